use crate::{currency::UNITS, Balance, Balances, BlockNumber, Runtime, Slashing, Workers};
use ail2_primitives::race::RaceModel;
use frame_support::{
	parameter_types,
	traits::{ConstU32, Randomness},
};
use pallet_race::RaceParams;
use sp_runtime::Perbill;

#[cfg(not(feature = "fast-runtime"))]
mod schedule {
	use super::*;
	/// A race every epoch: a minute to commit, a minute to reveal, the window, and ten
	/// minutes to validate.
	pub const RACE_PERIOD: BlockNumber = crate::time::EPOCH_DURATION_IN_BLOCKS;
	pub const COMMIT: u32 = 10;
	pub const REVEAL: u32 = 10;
	pub const VALIDATION: u32 = 100;
	/// Ten minutes, the whitepaper's window.
	pub const WINDOW: u32 = 100;
	/// A commitment a minute at most.
	pub const COMMIT_INTERVAL: u32 = 10;
	/// A fleet of thousands; judged 256 a block, 16 blocks after the race's phases.
	pub const MAX_PARTICIPANTS: u32 = 4_096;
}
#[cfg(feature = "fast-runtime")]
mod schedule {
	use super::*;
	/// 72 s of three-second blocks: 9 s to commit, 9 s to reveal, a 36 s window, 15 s to
	/// validate. A transaction takes one or two blocks to be included, so no phase is shorter
	/// than three.
	pub const RACE_PERIOD: BlockNumber = 24;
	pub const COMMIT: u32 = 3;
	pub const REVEAL: u32 = 3;
	pub const VALIDATION: u32 = 5;
	pub const WINDOW: u32 = 12;
	/// A commitment every 6 s at most.
	pub const COMMIT_INTERVAL: u32 = 2;
	/// Judged in the race's last block: the period leaves no block more.
	pub const MAX_PARTICIPANTS: u32 = 256;
}
pub use schedule::*;

/// The race of development chains and tests: the tiny model (4 layers, d_model 64), which a
/// CPU core runs thousands of times a second.
pub fn dev_params() -> RaceParams {
	RaceParams { model: RaceModel::TINY, ..DEFAULT_PARAMS }
}

/// A thousandth of a unit per commitment: a participant commits at most once per interval,
/// so a race's commitments cost it at most `window / interval` thousandths.
pub const COMMIT_FEE: Balance = UNITS / 1_000;

/// The whitepaper's race with this runtime's phases and fee: the race of a chain whose
/// genesis names none, and the values `pallet_race::migrations::v2` fills in.
pub const DEFAULT_PARAMS: RaceParams = RaceParams {
	window: WINDOW,
	commit: COMMIT,
	reveal: REVEAL,
	validation: VALIDATION,
	commit_interval: COMMIT_INTERVAL,
	commit_fee: COMMIT_FEE,
	..RaceParams::WHITEPAPER
};

parameter_types! {
	pub const RacePeriod: BlockNumber = RACE_PERIOD;
	pub const DefaultRaceParams: RaceParams = DEFAULT_PARAMS;
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
	/// Accepted weight is the day's work that issuance pays by.
	type OnWeightsAccepted = crate::Issuance;
	type Randomness = ParentBlockVrf;
	/// A protocol-admin referendum, a parameter-admin referendum (race phases and fees are
	/// governance parameters, §9.1), or root.
	type ParamsOrigin = frame_support::traits::EitherOf<
		crate::governance::ProtocolAdmin,
		crate::governance::ParameterAdmin,
	>;
	type DefaultParams = DefaultRaceParams;
	type RacePeriod = RacePeriod;
	type MaxCommitters = ConstU32<16>;
	type MaxParticipants = ConstU32<MAX_PARTICIPANTS>;
	type JudgedPerBlock = ConstU32<256>;
	type MaxSampleSize = ConstU32<1_024>;
	type MaxArtifactLen = ConstU32<64>;
	type ValidatorsPerParticipant = ConstU32<3>;
	type HistoryDepth = ConstU32<8>;
	type NonVoterPenalty = RaceNonVoterPenalty;
	type TreasuryAccount = super::receipts::TreasuryAccount;
	type WeightInfo = crate::weights::pallet_race::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = super::benchmarks::Setup;
}
