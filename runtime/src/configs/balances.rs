use crate::{
	currency::EXISTENTIAL_DEPOSIT, Balance, Runtime, RuntimeEvent, RuntimeFreezeReason,
	RuntimeHoldReason, System,
};
use frame_support::{parameter_types, traits::ConstU32};

parameter_types! {
	pub const ExistentialDeposit: Balance = EXISTENTIAL_DEPOSIT;
}

impl pallet_balances::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	type Balance = Balance;
	/// Dust from reaped accounts is burned.
	type DustRemoval = ();
	type ExistentialDeposit = ExistentialDeposit;
	type AccountStore = System;
	type ReserveIdentifier = [u8; 8];
	type FreezeIdentifier = RuntimeFreezeReason;
	/// Staking still locks through the legacy currency API; vesting will add one more.
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ConstU32<50>;
	/// One freeze per freezing pallet.
	type MaxFreezes = ConstU32<8>;
	type DoneSlashHandler = ();
}
