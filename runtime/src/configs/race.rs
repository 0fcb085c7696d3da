use crate::{currency::UNITS, Balance, Balances, BlockNumber, Runtime, Slashing, Workers};
use ail2_primitives::race::RaceModel;
use frame_support::{
	parameter_types,
	traits::{ConstU32, Randomness},
};
use pallet_race::RaceParams;
use sp_runtime::{FixedU64, Perbill};

#[cfg(not(feature = "fast-runtime"))]
mod schedule {
	use super::*;
	/// A race every epoch: a minute to commit, a minute to reveal, the window, and ten
	/// minutes to validate.
	pub const RACE_PERIOD: BlockNumber = crate::time::EPOCH_DURATION_IN_BLOCKS;
	pub const COMMIT: BlockNumber = 10;
	pub const REVEAL: BlockNumber = 10;
	pub const VALIDATION: BlockNumber = 100;
	/// The dev chain's window: ten minutes, like the whitepaper's.
	pub const DEV_WINDOW: u32 = 100;
}
#[cfg(feature = "fast-runtime")]
mod schedule {
	use super::*;
	/// 72 s of three-second blocks: 9 s to commit, 9 s to reveal, a 36 s window, 15 s to
	/// validate. A transaction takes one or two blocks to be included, so no phase is shorter
	/// than three; the window is long enough for a CPU worker to find hundreds of hits at the
	/// end-to-end test's threshold even when other tests share the machine.
	pub const RACE_PERIOD: BlockNumber = 24;
	pub const COMMIT: BlockNumber = 3;
	pub const REVEAL: BlockNumber = 3;
	pub const VALIDATION: BlockNumber = 5;
	pub const DEV_WINDOW: u32 = 12;
}
pub use schedule::*;

/// The race of development chains and tests: the tiny model (4 layers, d_model 64), which a
/// CPU core runs thousands of times a second. Its threshold, 8.844, makes about one nonce in
/// 900 hit (`ail2-worker race-calibrate --preset tiny`: 8.8443 over 400,000 nonces).
pub fn dev_params() -> RaceParams {
	RaceParams {
		model: RaceModel::TINY,
		distance_threshold: FixedU64::from_inner(8_844_000_000),
		window: DEV_WINDOW,
		sample_size: 200,
		max_mismatches: 2,
		max_nonces: 4_096,
	}
}

parameter_types! {
	pub const RacePeriod: BlockNumber = RACE_PERIOD;
	pub const CommitPeriod: BlockNumber = COMMIT;
	pub const RevealPeriod: BlockNumber = REVEAL;
	pub const ValidationPeriod: BlockNumber = VALIDATION;
	/// A thousandth of a unit for a participant's first hit, a millionth more for each next.
	pub const NonceFeeBase: Balance = UNITS / 1_000;
	pub const NonceFeeStep: Balance = UNITS / 1_000_000;
	pub const RaceNonVoterPenalty: Perbill = Perbill::from_percent(5);
}

/// BABE's VRF output of the parent block: known only once that block is built, and not
/// something its author can grind by reordering transactions. Before any block carries one
/// (the genesis epoch's first block) it falls back to the randomness of one epoch ago.
pub struct ParentBlockVrf;
impl Randomness<crate::Hash, BlockNumber> for ParentBlockVrf {
	fn random(subject: &[u8]) -> (crate::Hash, BlockNumber) {
		match pallet_babe::ParentBlockRandomness::<Runtime>::random(subject) {
			(Some(output), block) => (output, block),
			(None, _) => pallet_babe::RandomnessFromOneEpochAgo::<Runtime>::random(subject),
		}
	}
}

impl pallet_race::Config for Runtime {
	type Currency = Balances;
	type Workers = Workers;
	type Violations = Slashing;
	type Randomness = ParentBlockVrf;
	/// A protocol-admin referendum, a parameter-admin referendum (race phases and fees are
	/// governance parameters, §9.1), or root.
	type ParamsOrigin =
		frame_support::traits::EitherOf<crate::governance::ProtocolAdmin, crate::governance::ParameterAdmin>;
	type RacePeriod = RacePeriod;
	type CommitPeriod = CommitPeriod;
	type RevealPeriod = RevealPeriod;
	type ValidationPeriod = ValidationPeriod;
	type MaxCommitters = ConstU32<16>;
	type MaxParticipants = ConstU32<256>;
	type MaxNonces = ConstU32<4_096>;
	type MaxNoncesPerCall = ConstU32<512>;
	type ValidatorsPerParticipant = ConstU32<3>;
	type HistoryDepth = ConstU32<8>;
	type NonceFeeBase = NonceFeeBase;
	type NonceFeeStep = NonceFeeStep;
	type NonVoterPenalty = RaceNonVoterPenalty;
	type TreasuryAccount = super::receipts::TreasuryAccount;
	type WeightInfo = crate::weights::pallet_race::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = super::benchmarks::Setup;
}
