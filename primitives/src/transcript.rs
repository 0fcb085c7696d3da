//! Inference transcripts (proof of inference, FUN AI §7): what a verifier needs to re-execute
//! a served request, and the commitment to it that the receipt carries.
//!
//! A receipt commits to `keccak256("ail2:poi:transcript" ‖ SCALE(transcript))`; only that
//! hash travels to the chain. The worker keeps the transcript itself and serves it to the
//! verifiers assigned to the receipt and to its payer. A verifier replays prompt and output
//! through the model in one prefill and compares the log-probabilities it computes with the
//! signed ones ([`divergence`]), and checks that the seeded sampler picks the same tokens.
//!
//! Log-probabilities travel as integers, in **micro-nats** (`round(ln p · 10⁶)`, ≤ 0), so the
//! transcript hashes the same bytes on every machine and the comparison needs no floats.
//! Sampling parameters are kept as the IEEE-754 bit patterns the worker's sampler used, so a
//! verifier reproduces the sampler exactly.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode};
use scale_info::TypeInfo;

use crate::{
	domain, keccak256,
	receipt::{AccountBytes, PublicKey, SemVer},
	Counter, Hash, ModelId,
};

/// One micro-nat: log-probabilities are `round(ln p · MICRO_NATS_PER_NAT)`.
pub const MICRO_NATS_PER_NAT: i64 = 1_000_000;

/// How the worker chose each output token.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub struct Sampling {
	/// The temperature as an `f32` bit pattern; `0.0` (or below) means greedy.
	pub temperature_bits: u32,
	/// The nucleus mass `top_p` as an `f32` bit pattern.
	pub top_p_bits: u32,
	/// The seed of the sampler's ChaCha20 stream, the request's or one the worker drew.
	pub seed: u64,
}

/// Why generation ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub enum Finish {
	/// An end-of-sequence token or a stop string.
	Stop,
	/// `max_tokens` or the context length.
	Length,
}

/// Everything a verifier needs to re-execute one request.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub struct Transcript {
	/// The model and version served: the verifier replays this model, whatever the worker ran.
	pub model_id: ModelId,
	pub version: SemVer,
	/// The prompt as the model saw it: token ids after the chat template.
	pub prompt: Vec<u32>,
	/// The request's completion limit after the price cap.
	pub max_tokens: u32,
	pub sampling: Sampling,
	/// The generated tokens, in order (a final end-of-sequence token is not among them).
	pub output: Vec<u32>,
	/// For each output token, the log-probability the model gave it, in micro-nats: from the
	/// raw logits (before temperature and nucleus), so the value does not depend on sampling.
	pub logprobs: Vec<i32>,
	pub finish: Finish,
}

impl Transcript {
	/// The commitment a receipt carries: `keccak256("ail2:poi:transcript" ‖ SCALE(self))`.
	pub fn hash(&self) -> Hash {
		domain::tagged_hash(domain::POI_TRANSCRIPT, &[&self.encode()])
	}

	/// Whether the transcript is well formed: one log-probability per output token, none
	/// positive, and no more output than its limit.
	pub fn well_formed(&self) -> bool {
		self.output.len() == self.logprobs.len()
			&& self.logprobs.iter().all(|&lp| lp <= 0)
			&& u32::try_from(self.output.len()).is_ok_and(|n| n <= self.max_tokens)
	}
}

/// The hash a receipt carries when no transcript backs it (receipts from before proof of
/// inference, benchmarks); a verifier treats a receipt with it as unverifiable and fails it.
pub fn no_transcript() -> Hash {
	keccak256(domain::POI_TRANSCRIPT)
}

/// What a payer's gateway key signs to fetch, before `expires_at_ms`, the transcript of its
/// receipt `counter` from the worker with receipt key `node_pubkey`:
/// `keccak256("ail2:poi:transcript-request" ‖ node_pubkey ‖ payer ‖ counter (u64 LE) ‖
/// expires_at_ms (u64 LE))`.
pub fn request_message(
	node_pubkey: &PublicKey,
	payer: &AccountBytes,
	counter: Counter,
	expires_at_ms: u64,
) -> Hash {
	domain::tagged_hash(
		domain::POI_TRANSCRIPT_REQUEST,
		&[node_pubkey, payer, &counter.to_le_bytes(), &expires_at_ms.to_le_bytes()],
	)
}

/// What a member of a verifier group signs (sr25519, with its hot key) to fetch, before
/// `expires_at_ms`, the transcript behind the check on leaf `index` of batch `batch` from the
/// worker with receipt key `node_pubkey`: `keccak256("ail2:poi:verifier-request" ‖
/// node_pubkey ‖ verifier ‖ batch (u64 LE) ‖ index (u64 LE) ‖ expires_at_ms (u64 LE))`. The
/// worker serves it only while the chain holds that check and lists `verifier` in the batch's
/// group.
pub fn verifier_request_message(
	node_pubkey: &PublicKey,
	verifier: &AccountBytes,
	batch: u64,
	index: u64,
	expires_at_ms: u64,
) -> Hash {
	domain::tagged_hash(
		domain::POI_VERIFIER_REQUEST,
		&[
			node_pubkey,
			verifier,
			&batch.to_le_bytes(),
			&index.to_le_bytes(),
			&expires_at_ms.to_le_bytes(),
		],
	)
}

/// How far a replay's log-probabilities are from the signed ones, in micro-nats.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Divergence {
	/// The largest `|signed − replayed|` over the output tokens.
	pub max: u64,
	/// `Σ |signed − replayed| / n`, rounded down (0 for an empty output).
	pub mean: u64,
}

/// The divergence of `replayed` from `signed`, or `None` if their lengths differ (a replay
/// always has one value per output token, so a length mismatch is a malformed transcript).
pub fn divergence(signed: &[i32], replayed: &[i32]) -> Option<Divergence> {
	if signed.len() != replayed.len() {
		return None;
	}
	let mut max = 0u64;
	let mut sum = 0u64;
	for (&s, &r) in signed.iter().zip(replayed) {
		let gap = i64::from(s).abs_diff(i64::from(r));
		max = max.max(gap);
		sum = sum.saturating_add(gap);
	}
	let n = u64::try_from(signed.len()).unwrap_or(u64::MAX);
	let mean = sum.checked_div(n).unwrap_or(0);
	Some(Divergence { max, mean })
}

/// The default replay tolerance: no token's log-probability off by more than 0.05 nats and
/// 0.015 nats on average. A worker on bfloat16 weights stays 2.8× inside it; a copy with
/// every weight scaled by 0.98 is 2.3× outside (`docs/verification.md`).
pub const DEFAULT_TOLERANCE: Tolerance = Tolerance { max: 50_000, mean: 15_000 };

/// The default slack of a replayed sampler, in parts per million: a draw may land within 2%
/// of the nucleus mass outside the token's share of the seeded stream, a greedy token within
/// 2% of the best token's probability (`docs/verification.md`).
pub const DEFAULT_SAMPLING_SLACK_PPM: u32 = 20_000;

/// The tolerance a replay must meet, in micro-nats.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Tolerance {
	/// No single token's log-probability may differ by more.
	pub max: u64,
	/// The mean difference may not exceed this.
	pub mean: u64,
}

impl Divergence {
	/// Whether this divergence is within `tolerance` (both bounds inclusive).
	pub fn within(&self, tolerance: &Tolerance) -> bool {
		self.max <= tolerance.max && self.mean <= tolerance.mean
	}
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
	use super::*;

	fn transcript() -> Transcript {
		Transcript {
			model_id: 7,
			version: SemVer::new(1, 0, 2),
			prompt: vec![1, 300, 42],
			max_tokens: 4,
			sampling: Sampling {
				temperature_bits: 0.7f32.to_bits(),
				top_p_bits: 0.95f32.to_bits(),
				seed: 99,
			},
			output: vec![5, 6],
			logprobs: vec![-1_250_000, -31],
			finish: Finish::Stop,
		}
	}

	#[test]
	fn the_hash_is_the_tagged_keccak_of_the_encoding() {
		let t = transcript();
		let mut preimage = b"ail2:poi:transcript".to_vec();
		preimage.extend_from_slice(&t.encode());
		assert_eq!(t.hash(), keccak256(&preimage));
		// The layout by hand: u32, 3 × u16, compact(3) + 3 × u32, u32, 2 × u32 + u64,
		// compact(2) + 2 × u32, compact(2) + 2 × i32, enum index.
		let mut manual = Vec::new();
		manual.extend_from_slice(&7u32.to_le_bytes());
		for part in [1u16, 0, 2] {
			manual.extend_from_slice(&part.to_le_bytes());
		}
		manual.push(3 << 2);
		for token in [1u32, 300, 42] {
			manual.extend_from_slice(&token.to_le_bytes());
		}
		manual.extend_from_slice(&4u32.to_le_bytes());
		manual.extend_from_slice(&0.7f32.to_bits().to_le_bytes());
		manual.extend_from_slice(&0.95f32.to_bits().to_le_bytes());
		manual.extend_from_slice(&99u64.to_le_bytes());
		manual.push(2 << 2);
		manual.extend_from_slice(&5u32.to_le_bytes());
		manual.extend_from_slice(&6u32.to_le_bytes());
		manual.push(2 << 2);
		manual.extend_from_slice(&(-1_250_000i32).to_le_bytes());
		manual.extend_from_slice(&(-31i32).to_le_bytes());
		manual.push(0);
		assert_eq!(t.encode(), manual);
	}

	#[test]
	fn every_field_changes_the_hash() {
		let base = transcript().hash();
		let edits: [fn(&mut Transcript); 9] = [
			|t| t.model_id += 1,
			|t| t.version.patch += 1,
			|t| t.prompt[1] += 1,
			|t| t.max_tokens += 1,
			|t| t.sampling.seed += 1,
			|t| t.sampling.temperature_bits += 1,
			|t| t.output.truncate(1),
			|t| t.logprobs[0] -= 1,
			|t| t.finish = Finish::Length,
		];
		for edit in edits {
			let mut t = transcript();
			edit(&mut t);
			assert_ne!(t.hash(), base);
		}
		assert_ne!(no_transcript(), base);
	}

	#[test]
	fn well_formed_needs_one_non_positive_logprob_per_token_within_the_limit() {
		assert!(transcript().well_formed());
		let mut extra = transcript();
		extra.logprobs.push(-5);
		assert!(!extra.well_formed());
		let mut positive = transcript();
		positive.logprobs[1] = 1;
		assert!(!positive.well_formed());
		let mut long = transcript();
		long.max_tokens = 1;
		assert!(!long.well_formed());
	}

	#[test]
	fn the_request_message_binds_worker_payer_counter_and_expiry() {
		let (key, payer) = ([2u8; 33], [5u8; 32]);
		let mut preimage = b"ail2:poi:transcript-request".to_vec();
		preimage.extend_from_slice(&key);
		preimage.extend_from_slice(&payer);
		preimage.extend_from_slice(&9u64.to_le_bytes());
		preimage.extend_from_slice(&1_000u64.to_le_bytes());
		assert_eq!(request_message(&key, &payer, 9, 1_000), keccak256(&preimage));
		assert_ne!(request_message(&key, &payer, 10, 1_000), keccak256(&preimage));
		assert_ne!(request_message(&key, &payer, 9, 1_001), keccak256(&preimage));
	}

	#[test]
	fn the_verifier_request_binds_worker_verifier_check_and_expiry() {
		let (key, verifier) = ([2u8; 33], [6u8; 32]);
		let mut preimage = b"ail2:poi:verifier-request".to_vec();
		preimage.extend_from_slice(&key);
		preimage.extend_from_slice(&verifier);
		preimage.extend_from_slice(&4u64.to_le_bytes());
		preimage.extend_from_slice(&1u64.to_le_bytes());
		preimage.extend_from_slice(&1_000u64.to_le_bytes());
		let message = verifier_request_message(&key, &verifier, 4, 1, 1_000);
		assert_eq!(message, keccak256(&preimage));
		for other in [
			verifier_request_message(&key, &[7u8; 32], 4, 1, 1_000),
			verifier_request_message(&key, &verifier, 5, 1, 1_000),
			verifier_request_message(&key, &verifier, 4, 2, 1_000),
			verifier_request_message(&key, &verifier, 4, 1, 1_001),
			// Never the payer's message for the same numbers.
			request_message(&key, &verifier, 4, 1_000),
		] {
			assert_ne!(other, message);
		}
	}

	#[test]
	fn divergence_by_hand() {
		// Gaps 10, 0, 35 (one of them across zero's sign): max 35, mean 45 / 3 = 15.
		let d = divergence(&[-100, -2_000, 0], &[-90, -2_000, -35]).unwrap();
		assert_eq!(d, Divergence { max: 35, mean: 15 });
		assert!(d.within(&Tolerance { max: 35, mean: 15 }));
		assert!(!d.within(&Tolerance { max: 34, mean: 15 }));
		assert!(!d.within(&Tolerance { max: 35, mean: 14 }));
		assert_eq!(divergence(&[], &[]), Some(Divergence::default()));
		assert_eq!(divergence(&[-1], &[]), None);
		// Extremes do not overflow.
		let wide = divergence(&[i32::MIN, 0], &[0, i32::MIN]).unwrap();
		assert_eq!(wide.max, 1 << 31);
		assert_eq!(wide.mean, 1 << 31);
	}
}
