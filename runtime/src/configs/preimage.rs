//! Preimages: the calls referenda and motions propose, stored on chain by anyone who pays
//! the deposit (a hold, returned when the preimage is no longer needed).

use crate::{
	currency::deposit, AccountId, Balance, Balances, Runtime, RuntimeEvent, RuntimeHoldReason,
};
use frame_support::{
	parameter_types,
	traits::{fungible::HoldConsideration, LinearStoragePrice},
};
use frame_system::EnsureRoot;

parameter_types! {
	/// A preimage costs a storage item plus its bytes, like any other storage AIL2 charges.
	pub const PreimageBaseDeposit: Balance = deposit(2, 64);
	pub const PreimageByteDeposit: Balance = deposit(0, 1);
	pub const PreimageHoldReason: RuntimeHoldReason =
		RuntimeHoldReason::Preimage(pallet_preimage::HoldReason::Preimage);
}

impl pallet_preimage::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_preimage::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type ManagerOrigin = EnsureRoot<AccountId>;
	type Consideration = HoldConsideration<
		AccountId,
		Balances,
		PreimageHoldReason,
		LinearStoragePrice<PreimageBaseDeposit, PreimageByteDeposit, Balance>,
	>;
}
