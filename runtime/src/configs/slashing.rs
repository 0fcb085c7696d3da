use crate::{currency::UNITS, time::DAYS, Balance, BlockNumber, Runtime, Workers};
use frame_support::parameter_types;
use pallet_slashing::SlashingParams;
use sp_runtime::{FixedU128, Perbill};

parameter_types! {
	/// The slash and bounty parameters at genesis and after `MigrateToV1`; governance
	/// changes them with `set_params`.
	pub SlashingDefaultParams: SlashingParams<Balance> = SlashingParams {
		// `BaseRate` of §8.4: with the severities of the violations, a first offence is
		// slashed at the bottom of its range.
		base_rate: Perbill::from_percent(10),
		// Each effective prior violation adds half the base again.
		repeat_step: FixedU128::from_rational(1, 2),
		// `MaxSlash` of §8.4.
		max_slash: 100_000 * UNITS,
		bounty_share: Perbill::from_percent(10),
		// About a day of a well-used worker's earnings.
		max_bounty: 100 * UNITS,
		// Three effective violations suspend a worker.
		suspend_threshold: FixedU128::from_u32(3),
	};
	/// A reporter keeps at most half of a slash: more, and slashing a worker one controls
	/// would cost little, or hunting faults would pay better than serving.
	pub const SlashMaxBountyShare: Perbill = Perbill::from_percent(50);
	/// A repeat multiplier grows by at most ten times the base per effective prior
	/// violation.
	pub SlashMaxRepeatStep: FixedU128 = FixedU128::from_u32(10);
	/// `τ_decay` of §8.3: a violation weighs 1/e after 30 days.
	pub const ViolationDecay: BlockNumber = 30 * DAYS;
	/// `ξ` of §8.3.
	pub PenaltySteepness: FixedU128 = FixedU128::from_rational(1, 2);
	pub const ReputationLoss: Perbill = Perbill::from_percent(10);
}

impl pallet_slashing::Config for Runtime {
	type Balance = Balance;
	type Workers = Workers;
	/// A slashing-admin referendum (or root).
	type ReportOrigin = crate::governance::SlashingAdmin;
	type TreasuryAccount = super::receipts::TreasuryAccount;
	/// A parameter-admin referendum (only the Parameter Committee submits; token holders
	/// approve) or root.
	type ParamsOrigin = crate::governance::ParameterAdmin;
	type DefaultParams = SlashingDefaultParams;
	type MaxBountyShare = SlashMaxBountyShare;
	type MaxRepeatStep = SlashMaxRepeatStep;
	type DecayTime = ViolationDecay;
	type PenaltySteepness = PenaltySteepness;
	type ReputationLoss = ReputationLoss;
	type WeightInfo = crate::weights::pallet_slashing::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = super::benchmarks::Setup;
}
