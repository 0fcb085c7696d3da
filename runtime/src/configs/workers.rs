use crate::{
	currency::UNITS,
	time::{DAYS, EPOCH_DURATION_IN_BLOCKS, MINUTES},
	Balance, Balances, BlockNumber, Runtime, RuntimeHoldReason,
};
use frame_support::{parameter_types, traits::ConstU32};
use sp_runtime::Perbill;

parameter_types! {
	/// Least stake an active worker holds.
	pub const WorkerMinStake: Balance = 1_000 * UNITS;
	/// Unbonding stake stays slashable this long: longer than any challenge window plus a
	/// dispute, so a cheater cannot leave before its batches are judged.
	pub const WorkerUnbondingPeriod: BlockNumber = 7 * DAYS;
	pub const HeartbeatTimeout: BlockNumber = 10 * MINUTES;
	/// Price epochs follow BABE epochs.
	pub const PriceEpochLength: BlockNumber = EPOCH_DURATION_IN_BLOCKS;
	pub const InitialReputation: Perbill = Perbill::from_percent(50);
}

/// The most workers the registry holds: it bounds every stake-weighted draw and the price
/// median, which read them all.
pub type MaxWorkers = ConstU32<1_024>;

impl pallet_workers::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	/// A protocol-admin referendum (or root).
	type AdminOrigin = crate::governance::ProtocolAdmin;
	/// The Security Council with 2/3: suspends or bans at once, never re-activates.
	type EmergencyOrigin = crate::governance::CouncilTwoThirds;
	type MinStake = WorkerMinStake;
	type UnbondingPeriod = WorkerUnbondingPeriod;
	type HeartbeatTimeout = HeartbeatTimeout;
	type EpochLength = PriceEpochLength;
	type MaxWorkersPerOwner = ConstU32<64>;
	type MaxWorkers = MaxWorkers;
	type InitialReputation = InitialReputation;
	type WeightInfo = crate::weights::pallet_workers::WeightInfo<Runtime>;
}
