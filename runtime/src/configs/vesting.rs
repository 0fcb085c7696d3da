//! Vesting: the founders' allocation of the `testnet` preset unlocks linearly (pow2
//! Appendix E), and anyone may give a vested transfer.

use crate::{currency::UNITS, Balance, Balances, Runtime, RuntimeEvent, System};
use frame_support::{parameter_types, traits::WithdrawReasons};
use sp_runtime::traits::ConvertInto;

parameter_types! {
	/// A vested transfer of less than one AIL2 would cost more storage than it is worth.
	pub const MinVestedTransfer: Balance = UNITS;
	/// Locked funds may still pay fees and be staked; they may not be transferred or reserved.
	pub UnvestedFundsAllowedWithdrawReasons: WithdrawReasons =
		WithdrawReasons::except(WithdrawReasons::TRANSFER | WithdrawReasons::RESERVE);
}

impl pallet_vesting::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type BlockNumberToBalance = ConvertInto;
	type MinVestedTransfer = MinVestedTransfer;
	type WeightInfo = pallet_vesting::weights::SubstrateWeight<Runtime>;
	type UnvestedFundsAllowedWithdrawReasons = UnvestedFundsAllowedWithdrawReasons;
	type BlockNumberProvider = System;
	const MAX_VESTING_SCHEDULES: u32 = 28;
}
