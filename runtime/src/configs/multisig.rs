use crate::{currency::deposit, Balance, Balances, Runtime, RuntimeCall, RuntimeEvent, System};
use frame_support::{parameter_types, traits::ConstU32};

parameter_types! {
	/// Deposit for a pending multisig operation: one item of 88 bytes.
	pub const DepositBase: Balance = deposit(1, 88);
	/// Additional deposit per approving signatory (32 bytes each).
	pub const DepositFactor: Balance = deposit(0, 32);
}

impl pallet_multisig::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type Currency = Balances;
	type DepositBase = DepositBase;
	type DepositFactor = DepositFactor;
	type MaxSignatories = ConstU32<100>;
	type WeightInfo = pallet_multisig::weights::SubstrateWeight<Runtime>;
	type BlockNumberProvider = System;
}
