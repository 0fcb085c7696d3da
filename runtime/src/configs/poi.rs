//! Proof of inference: rounds, inference-node elections, verifier groups and spot checks.

use crate::{currency::CENTS, Runtime};
use frame_support::{parameter_types, traits::ConstU32};
use pallet_poi::PoiParams;
use sp_runtime::Perbill;

#[cfg(not(feature = "fast-runtime"))]
mod schedule {
	/// An hour of six-second blocks per round.
	pub const ROUND: u32 = 600;
	/// Five minutes to replay and vote.
	pub const VERDICT_PERIOD: u32 = 50;
}
#[cfg(feature = "fast-runtime")]
mod schedule {
	/// A minute of three-second blocks per round.
	pub const ROUND: u32 = 20;
	/// Thirty seconds to replay and vote (a vote takes a block or two to be included): the dev
	/// chain's challenge windows are 10–30 blocks.
	pub const VERDICT_PERIOD: u32 = 10;
}
use schedule::*;

/// `P_verify = min(1% + 1%·ln(1 + fee / 0.01 AIL2), 10%)`, four times as often for a worker
/// without reputation: a one-cent request is checked 1.7% of the time at full reputation and
/// 6.8% at none, a one-unit request 5.6% and 22.5%, the largest 10% and 40% (Gonka's band is
/// 1–10% at full reputation). Groups of five (FUN AI §5), one extension of the verdict
/// period.
pub const DEFAULT_PARAMS: PoiParams = PoiParams {
	p0: Perbill::from_percent(1),
	k: Perbill::from_percent(1),
	fee_unit: CENTS,
	p_max: Perbill::from_percent(10),
	low_reputation_factor: 4,
	verifier_count: 5,
	verdict_period: VERDICT_PERIOD,
	max_extensions: 1,
	report_fee: CENTS * 10,
	round_length: ROUND,
	inference_nodes: 16,
	min_bid: CENTS,
	reputation_step: Perbill::from_percent(2),
	missed_duty_penalty: Perbill::from_percent(5),
};

parameter_types! {
	pub const DefaultPoiParams: PoiParams = DEFAULT_PARAMS;
}

impl pallet_poi::Config for Runtime {
	type Currency = crate::Balances;
	type RuntimeHoldReason = crate::RuntimeHoldReason;
	type Workers = crate::Workers;
	type Models = crate::Models;
	type Batches = crate::Receipts;
	type Violations = crate::Slashing;
	/// The parent block's VRF output: a batch's duty seed is fixed in the block after the one
	/// that included its proposal, from that block's VRF, which the worker could not know
	/// when it proposed; an election's from the VRF of the round's last block.
	type Randomness = super::race::ParentBlockVrf;
	/// A parameter-admin referendum (check rates and fees are governance parameters, §9.1),
	/// a protocol-admin one, or root.
	type ParamsOrigin = frame_support::traits::EitherOf<
		crate::governance::ProtocolAdmin,
		crate::governance::ParameterAdmin,
	>;
	type DefaultParams = DefaultPoiParams;
	type MaxVerifiers = ConstU32<9>;
	type MaxInferenceNodes = ConstU32<64>;
	type MaxBidders = ConstU32<256>;
	type MaxModels = ConstU32<32>;
	type MaxChecksPerBatch = ConstU32<64>;
	type MaxProposalsPerBlock = ConstU32<256>;
	type WeightInfo = crate::weights::pallet_poi::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = super::benchmarks::Setup;
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::currency::UNITS;
	use ail2_primitives::poi::{p_verify, reputation_scaled};

	fn rate(fee: u128, reputation: Perbill) -> Perbill {
		let p = DEFAULT_PARAMS;
		reputation_scaled(
			p_verify(fee, p.p0, p.k, p.fee_unit, p.p_max),
			reputation,
			p.low_reputation_factor,
		)
	}

	#[test]
	fn the_default_check_rates_are_the_documented_ones() {
		// 1% + 1%·ln 2 = 1.693%; ×4 without reputation.
		assert_eq!(rate(CENTS, Perbill::one()), Perbill::from_parts(16_931_471));
		assert_eq!(rate(CENTS, Perbill::zero()), Perbill::from_parts(67_725_884));
		// 1% + 1%·ln 101 = 5.615%; ×4 = 22.46%.
		assert_eq!(rate(UNITS, Perbill::one()), Perbill::from_parts(56_151_205));
		assert_eq!(rate(UNITS, Perbill::zero()), Perbill::from_parts(224_604_820));
		// Capped at 10% before the reputation factor.
		assert_eq!(rate(1_000 * UNITS, Perbill::one()), Perbill::from_percent(10));
		assert_eq!(rate(1_000 * UNITS, Perbill::zero()), Perbill::from_percent(40));
		assert!(pallet_poi::Pallet::<Runtime>::check_params(&DEFAULT_PARAMS).is_ok());
	}
}
