use crate::{currency::UNITS, time::DAYS, Balance, BlockNumber, Runtime, Workers};
use frame_support::parameter_types;
use sp_runtime::{FixedU128, Perbill};

parameter_types! {
	/// `BaseRate` of §8.4: with the severities of the violations, a first offence is
	/// slashed at the bottom of its range.
	pub const SlashBaseRate: Perbill = Perbill::from_percent(10);
	/// Each effective prior violation adds half the base again.
	pub SlashRepeatStep: FixedU128 = FixedU128::from_rational(1, 2);
	/// `MaxSlash` of §8.4.
	pub const MaxSlash: Balance = 100_000 * UNITS;
	/// `τ_decay` of §8.3: a violation weighs 1/e after 30 days.
	pub const ViolationDecay: BlockNumber = 30 * DAYS;
	/// `ξ` of §8.3.
	pub PenaltySteepness: FixedU128 = FixedU128::from_rational(1, 2);
	/// Three effective violations suspend a worker.
	pub SuspendThreshold: FixedU128 = FixedU128::from_u32(3);
	pub const ReputationLoss: Perbill = Perbill::from_percent(10);
	pub const BountyShare: Perbill = Perbill::from_percent(10);
	/// About a day of a well-used worker's earnings.
	pub const MaxBounty: Balance = 100 * UNITS;
}

impl pallet_slashing::Config for Runtime {
	type Balance = Balance;
	type Workers = Workers;
	/// A slashing-admin referendum (or root).
	type ReportOrigin = crate::governance::SlashingAdmin;
	type TreasuryAccount = super::receipts::TreasuryAccount;
	type BaseRate = SlashBaseRate;
	type RepeatStep = SlashRepeatStep;
	type MaxSlash = MaxSlash;
	type DecayTime = ViolationDecay;
	type PenaltySteepness = PenaltySteepness;
	type SuspendThreshold = SuspendThreshold;
	type ReputationLoss = ReputationLoss;
	type BountyShare = BountyShare;
	type MaxBounty = MaxBounty;
	type WeightInfo = crate::weights::pallet_slashing::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = super::benchmarks::Setup;
}
