//! Race parameters, the schedule of one race and the verdicts on its participants.

use ail2_primitives::{race::RaceModel, Hash};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{traits::ConstU32, BoundedVec};
use scale_info::TypeInfo;
use sp_runtime::traits::Saturating;

/// Races are numbered from 0.
pub type RaceIndex = u32;

/// A race's model, commitment and validation rules (seed `pow2` Appendix A, with every nonce
/// counting instead of a distance threshold: `docs/race.md`), set by governance. A race runs
/// with the parameters in force when it starts.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	serde::Serialize,
	serde::Deserialize,
)]
pub struct RaceParams {
	/// The random transformer every participant runs.
	pub model: RaceModel,
	/// Blocks of the race window, in which participants compute and commit.
	pub window: u32,
	/// `k`: coordinates of a nonce's permuted output in its artifact, as binary16 values.
	pub artifact_len: u32,
	/// `τ` in millionths: a recomputed leaf fails when the RMS difference between its
	/// artifact and the opened one exceeds `tolerance / 10⁶` (outputs are RMS-normalised, so
	/// their coordinates are of order 1).
	pub tolerance: u32,
	/// `s`: leaves of each participant one validator opens and recomputes.
	pub sample_size: u32,
	/// `m`: failed leaves in a sample a validator still accepts. Honest recomputation stays
	/// within `τ` with a wide margin, so 0 by default: two of three validators failing an
	/// honest participant would need two machines broken at once.
	pub max_mismatches: u32,
	/// Least blocks between two commitments of one participant.
	pub commit_interval: u32,
	/// What each commitment costs, to the treasury, in the native token's smallest unit: it
	/// prices spam, not work.
	pub commit_fee: u128,
	/// Blocks of the commit phase, in which committers post seed commitments.
	pub commit: u32,
	/// Blocks of the reveal phase, in which committers reveal their secrets.
	pub reveal: u32,
	/// Blocks of the validation phase, in which validators open samples and vote.
	pub validation: u32,
}

impl RaceParams {
	/// The whitepaper's race: 64 layers, 128 heads, d_model 512, FFN 8192, vocabulary 8192,
	/// sequences of 4; artifacts of 16 coordinates within τ = 0.025 (`docs/race.md`: honest
	/// bf16 stays 2.4× inside it, fp8 on the last layers does not); a 100-block (10-minute)
	/// window with a commitment at most every 10 blocks; samples of 200 leaves per validator
	/// with no failure allowed; ten blocks each to commit and reveal the seed and a hundred to
	/// validate. It charges no commitment fee: fees are in the native token's smallest unit,
	/// which only the runtime knows, so the runtime sets it.
	pub const WHITEPAPER: Self = Self {
		model: RaceModel::WHITEPAPER,
		window: 100,
		artifact_len: 16,
		tolerance: 25_000,
		sample_size: 200,
		max_mismatches: 0,
		commit_interval: 10,
		commit_fee: 0,
		commit: 10,
		reveal: 10,
		validation: 100,
	};

	/// Blocks from a race's start to its end: the four phases.
	pub fn duration(&self) -> u32 {
		self.commit
			.saturating_add(self.reveal)
			.saturating_add(self.window)
			.saturating_add(self.validation)
	}
}

/// Where a race is in its schedule.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub enum Phase {
	/// Committers post `seed_commitment(race, committer, secret)`.
	Commit,
	/// Committers reveal their secrets.
	Reveal,
	/// The seed is fixed; participants compute and commit.
	Window,
	/// Validators open samples, recompute them and vote; then the race is judged.
	Validation,
}

/// The race in progress: its parameters, its schedule and its seeds.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct Race<BlockNumber> {
	pub index: RaceIndex,
	pub params: RaceParams,
	/// The commit phase is `[started, reveal_from)`.
	pub started: BlockNumber,
	/// The reveal phase is `[reveal_from, window_from)`.
	pub reveal_from: BlockNumber,
	/// The window is `[window_from, validation_from)`; the seed is fixed as it opens.
	pub window_from: BlockNumber,
	/// Validation is `[validation_from, ends)`; the sample seed is fixed as it opens.
	pub validation_from: BlockNumber,
	/// The race is finalized at the start of this block.
	pub ends: BlockNumber,
	/// The race seed (model, target, inputs); `None` until the window opens.
	pub seed: Option<Hash>,
	/// The seed of validation samples and assignments; `None` until the window closes.
	pub sample_seed: Option<Hash>,
}

impl<BlockNumber: Copy + PartialOrd + Saturating + From<u32>> Race<BlockNumber> {
	/// The schedule of a race starting at `started`, with the phases of `params`: it is fixed
	/// here, so parameters set later never move a race already running.
	pub fn schedule(index: RaceIndex, params: RaceParams, started: BlockNumber) -> Self {
		let reveal_from = started.saturating_add(BlockNumber::from(params.commit));
		let window_from = reveal_from.saturating_add(BlockNumber::from(params.reveal));
		let validation_from = window_from.saturating_add(BlockNumber::from(params.window));
		let ends = validation_from.saturating_add(BlockNumber::from(params.validation));
		Self {
			index,
			params,
			started,
			reveal_from,
			window_from,
			validation_from,
			ends,
			seed: None,
			sample_seed: None,
		}
	}

	/// The phase at block `now` (the race ends at `ends`, before any call of that block).
	pub fn phase(&self, now: BlockNumber) -> Phase {
		if now < self.reveal_from {
			Phase::Commit
		} else if now < self.window_from {
			Phase::Reveal
		} else if now < self.validation_from {
			Phase::Window
		} else {
			Phase::Validation
		}
	}
}

/// A committer's commitment and, once revealed, its secret.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct SeedCommitment {
	pub commitment: Hash,
	pub revealed: Option<Hash>,
}

/// A participant's latest work commitment in the current race.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct WorkEntry<BlockNumber> {
	/// Its position among the race's participants (`ParticipantAt`).
	pub index: u32,
	/// The root hash of the Merkle-sum tree over leaves `0..count`
	/// (`ail2_primitives::race::work_leaf`).
	pub root: Hash,
	/// Nonces committed: the root's sum, and the participant's weight if accepted.
	pub count: u64,
	/// The block of the latest commitment.
	pub committed_at: BlockNumber,
	/// Where validators fetch openings (`POST {url}/v1/race/openings`).
	pub url: OpeningsUrl,
}

/// Longest openings URL a participant may name.
pub const MAX_URL_LEN: u32 = 256;

/// Where a participant serves its openings.
pub type OpeningsUrl = BoundedVec<u8, ConstU32<MAX_URL_LEN>>;

/// What the validators decided about one participant.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum Verdict {
	/// Validators holding more than 2/3 of the assigned weight found at most `m` failed
	/// leaves: the participant's weight is its committed count.
	Accepted,
	/// Validators holding more than 2/3 of the assigned weight found more than `m`: no
	/// weight, and a spot-check failure reported to pallet-slashing.
	Rejected,
	/// Neither side reached 2/3 (validators missing or split): no weight, no report.
	Undecided,
	/// No other worker could validate: no weight.
	Unvalidated,
}

/// The verdict on a participant from its validators' weights: `accepting` is the weight of
/// those who voted with at most `m` mismatches, `rejecting` of those who voted with more,
/// `assigned` of all assigned (voting or not). A side wins with more than 2/3 of `assigned`.
pub fn verdict(accepting: u128, rejecting: u128, assigned: u128) -> Verdict {
	let two_thirds = |weight: u128| weight.saturating_mul(3) > assigned.saturating_mul(2);
	if assigned == 0 {
		Verdict::Unvalidated
	} else if two_thirds(accepting) {
		Verdict::Accepted
	} else if two_thirds(rejecting) {
		Verdict::Rejected
	} else {
		Verdict::Undecided
	}
}
