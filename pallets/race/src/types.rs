//! Race parameters, the schedule of one race and the verdicts on its participants.

use ail2_primitives::{race::RaceModel, Hash};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::{traits::Saturating, FixedU64};

/// Races are numbered from 0.
pub type RaceIndex = u32;

/// A race's difficulty and validation rules (seed `pow2` Appendix A), set by governance.
/// A race runs with the parameters in force when it starts.
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
	/// A nonce hits when the Euclidean distance between its permuted output and the target
	/// vector is below this (a fixed-point number with 9 decimals). Chosen so that about one
	/// nonce in 900 hits; `ail2-worker race-calibrate` measures it for a model.
	pub distance_threshold: FixedU64,
	/// Blocks of the race window, in which hits are submitted.
	pub window: u32,
	/// `k`: nonces of each participant a validator recomputes.
	pub sample_size: u32,
	/// `m`: mismatches in a sample a validator still accepts (float non-determinism across
	/// machines is tolerated statistically, never by exact equality).
	pub max_mismatches: u32,
	/// Most hits one participant may submit in a race.
	pub max_nonces: u32,
	/// Blocks of the commit phase, in which committers post seed commitments.
	pub commit: u32,
	/// Blocks of the reveal phase, in which committers reveal their secrets.
	pub reveal: u32,
	/// Blocks of the validation phase, in which validators recompute samples and vote.
	pub validation: u32,
	/// The fee for a participant's first hit, in the native token's smallest unit; it goes
	/// to the treasury and prices spam, not work.
	pub nonce_fee_base: u128,
	/// How much more each further hit of the same participant costs (see `submission_fee`).
	pub nonce_fee_step: u128,
}

impl RaceParams {
	/// The whitepaper's race: 64 layers, 128 heads, d_model 512, FFN 8192, vocabulary 8192,
	/// sequences of 4; threshold 29.81, about one nonce in 900 (`ail2-worker race-calibrate
	/// --preset whitepaper`: distance² over 1,536 nonces has mean 1022.0 and standard deviation
	/// 43.6, and the normal approximation of the 1/900 quantile is 29.81; the analytic
	/// `sqrt(2·512 − 2·3.06·√512)` is 29.76); a 100-block (10-minute) window; samples of 200
	/// with up to 2 mismatches; ten blocks each to commit and reveal the seed and a hundred to
	/// validate. It charges no hit fees: fees are in the native token's smallest unit, which
	/// only the runtime knows, so the runtime sets them.
	pub const WHITEPAPER: Self = Self {
		model: RaceModel::WHITEPAPER,
		distance_threshold: FixedU64::from_inner(29_811_000_000),
		window: 100,
		sample_size: 200,
		max_mismatches: 2,
		max_nonces: 4_096,
		commit: 10,
		reveal: 10,
		validation: 100,
		nonce_fee_base: 0,
		nonce_fee_step: 0,
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
	/// The seed is fixed; participants search and submit hits.
	Window,
	/// Validators recompute samples and vote.
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

/// A participant's submission so far.
#[derive(Clone, PartialEq, Eq, Debug, Default, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct Entry<Balance> {
	/// Nonces submitted (they are in `Submissions`, ascending).
	pub count: u32,
	/// The highest nonce submitted; the next must be above it.
	pub last: u64,
	/// Fees paid for them.
	pub fees: Balance,
}

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
	/// Validators holding more than 2/3 of the assigned weight found at most `m`
	/// mismatches: the participant's weight is its number of submitted hits.
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

/// The fee for a participant's submission of `count` more hits after `before`: hit number
/// `i` (from 0) costs `base + step × i`, so the fee grows with the count, and
/// `Σ_{i=before}^{before+count−1} (base + step·i) = count·base + step·(S(before+count) −
/// S(before))` with `S(n) = n(n−1)/2`.
pub fn submission_fee(base: u128, step: u128, before: u32, count: u32) -> u128 {
	let triangle = |n: u32| u128::from(n).saturating_mul(u128::from(n.saturating_sub(1))) / 2;
	let after = before.saturating_add(count);
	base.saturating_mul(u128::from(count))
		.saturating_add(step.saturating_mul(triangle(after).saturating_sub(triangle(before))))
}
