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
	pub const COMMIT: u32 = 10;
	pub const REVEAL: u32 = 10;
	pub const VALIDATION: u32 = 100;
	/// Ten minutes, the whitepaper's window.
	pub const WINDOW: u32 = 100;
}
#[cfg(feature = "fast-runtime")]
mod schedule {
	use super::*;
	/// 72 s of three-second blocks: 9 s to commit, 9 s to reveal, a 36 s window, 15 s to
	/// validate. A transaction takes one or two blocks to be included, so no phase is shorter
	/// than three; the window is long enough for a CPU worker to find hundreds of hits at the
	/// end-to-end test's threshold even when other tests share the machine.
	pub const RACE_PERIOD: BlockNumber = 24;
	pub const COMMIT: u32 = 3;
	pub const REVEAL: u32 = 3;
	pub const VALIDATION: u32 = 5;
	pub const WINDOW: u32 = 12;
}
pub use schedule::*;

/// The race of development chains and tests: the tiny model (4 layers, d_model 64), which a
/// CPU core runs thousands of times a second. Its threshold, 8.844, makes about one nonce in
/// 900 hit (`ail2-worker race-calibrate --preset tiny`: 8.8443 over 400,000 nonces).
pub fn dev_params() -> RaceParams {
	RaceParams {
		model: RaceModel::TINY,
		distance_threshold: FixedU64::from_inner(8_844_000_000),
		..DEFAULT_PARAMS
	}
}

/// A thousandth of a unit for a participant's first hit, a millionth more for each next.
pub const NONCE_FEE_BASE: Balance = UNITS / 1_000;
pub const NONCE_FEE_STEP: Balance = UNITS / 1_000_000;

/// The whitepaper's race with this runtime's phases and fees: the race of a chain whose
/// genesis names none, and what `pallet_race::migrations::v1` gives a chain that ran the
/// race when phases and fees were constants (these are those constants' values).
pub const DEFAULT_PARAMS: RaceParams = RaceParams {
	window: WINDOW,
	commit: COMMIT,
	reveal: REVEAL,
	validation: VALIDATION,
	nonce_fee_base: NONCE_FEE_BASE,
	nonce_fee_step: NONCE_FEE_STEP,
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
	type MaxParticipants = ConstU32<256>;
	type MaxNonces = ConstU32<4_096>;
	type MaxNoncesPerCall = ConstU32<512>;
	type ValidatorsPerParticipant = ConstU32<3>;
	type HistoryDepth = ConstU32<8>;
	type NonVoterPenalty = RaceNonVoterPenalty;
	type TreasuryAccount = super::receipts::TreasuryAccount;
	type WeightInfo = crate::weights::pallet_race::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = super::benchmarks::Setup;
}
