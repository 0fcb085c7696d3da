//! Domain tags: every value AIL2 derives by hashing starts with a tag naming what it is, so
//! that values derived for different purposes from the same inputs differ (a signature over
//! a proof of possession is never one over a receipt, a race seed never an input seed).
//!
//! Every tag reads `ail2:<area>:<purpose>`: `area` is the pallet or module that owns the
//! value (`race`, `receipt`, `challenges`), `purpose` what the value is for. A tagged hash is
//! `keccak256(tag ‖ part ‖ part ‖ …)` over fixed-width parts (integers little-endian,
//! accounts and hashes as their 32 bytes), so the encoding needs no length prefixes and an
//! independent implementation is a few lines (`primitives/reference/race.py`).
//!
//! Tags are also used as the subject of on-chain randomness requests, where the pallet
//! SCALE-encodes them with the race index (`T::Randomness::random(&(tag, race).encode())`).

use alloc::vec::Vec;

use crate::{keccak256, Hash};

/// A worker's node seed, from its public key.
pub const RACE_NODE: &[u8] = b"ail2:race:node";
/// The seed of one attempt: (race seed, node seed, nonce).
pub const RACE_INPUT: &[u8] = b"ail2:race:input";
/// The stream of one weight tensor of the race model.
pub const RACE_TENSOR: &[u8] = b"ail2:race:tensor";
/// The stream of the race's target vector.
pub const RACE_TARGET: &[u8] = b"ail2:race:target";
/// The stream of one attempt's input tokens.
pub const RACE_TOKENS: &[u8] = b"ail2:race:tokens";
/// The stream of one attempt's output permutation.
pub const RACE_PERMUTATION: &[u8] = b"ail2:race:permutation";
/// A committer's commitment to its seed contribution.
pub const RACE_COMMIT: &[u8] = b"ail2:race:commit";
/// The stream that picks a participant's nonces for validation.
pub const RACE_SAMPLE: &[u8] = b"ail2:race:sample";
/// One nonce's leaf in a participant's work commitment: (nonce, artifact).
pub const RACE_LEAF: &[u8] = b"ail2:race:leaf";
/// The stream that picks the leaves one validator opens of one participant's commitment.
pub const RACE_LEAF_SAMPLE: &[u8] = b"ail2:race:leaf-sample";
/// What a validator signs to request a participant's openings.
pub const RACE_OPENINGS: &[u8] = b"ail2:race:openings";
/// The race seed, fixed as the window opens (and its randomness subject).
pub const RACE_SEED: &[u8] = b"ail2:race:seed";
/// The sample seed, fixed as the window closes (and its randomness subject).
pub const RACE_SAMPLE_SEED: &[u8] = b"ail2:race:sample-seed";
/// The message a receipt key signs to prove it belongs to a (owner, hot key) pair.
pub const RECEIPT_KEY_PROOF: &[u8] = b"ail2:receipt:key-proof";
/// The randomness subject of a dispute's arbitration committee draw.
pub const CHALLENGES_ARBITRATION: &[u8] = b"ail2:challenges:arbitration";
/// A receipt's commitment to its inference transcript.
pub const POI_TRANSCRIPT: &[u8] = b"ail2:poi:transcript";
/// What a payer's gateway key signs to fetch a transcript from the worker that served it.
pub const POI_TRANSCRIPT_REQUEST: &[u8] = b"ail2:poi:transcript-request";
/// What a member of a batch's verifier group signs to fetch the transcript of a receipt
/// under check from the worker that served it.
pub const POI_VERIFIER_REQUEST: &[u8] = b"ail2:poi:verifier-request";
/// The digest that decides whether a receipt is spot-checked under a batch's duty seed.
pub const POI_SPOT_CHECK: &[u8] = b"ail2:poi:spot-check";
/// The randomness subject of a batch's duty seed.
pub const POI_DUTY: &[u8] = b"ail2:poi:duty";
/// The randomness subject of a round's inference-node election.
pub const POI_ELECTION: &[u8] = b"ail2:poi:election";

/// Every tag above, for the test that they follow the convention and are distinct.
pub const ALL: &[&[u8]] = &[
	RACE_NODE,
	RACE_INPUT,
	RACE_TENSOR,
	RACE_TARGET,
	RACE_TOKENS,
	RACE_PERMUTATION,
	RACE_COMMIT,
	RACE_SAMPLE,
	RACE_LEAF,
	RACE_LEAF_SAMPLE,
	RACE_OPENINGS,
	RACE_SEED,
	RACE_SAMPLE_SEED,
	RECEIPT_KEY_PROOF,
	CHALLENGES_ARBITRATION,
	POI_TRANSCRIPT,
	POI_TRANSCRIPT_REQUEST,
	POI_VERIFIER_REQUEST,
	POI_SPOT_CHECK,
	POI_DUTY,
	POI_ELECTION,
];

/// `keccak256(tag ‖ parts…)`.
pub fn tagged_hash(tag: &[u8], parts: &[&[u8]]) -> Hash {
	let length = parts.iter().fold(tag.len(), |sum, part| sum.saturating_add(part.len()));
	let mut data = Vec::with_capacity(length);
	data.extend_from_slice(tag);
	for part in parts {
		data.extend_from_slice(part);
	}
	keccak256(&data)
}

#[cfg(test)]
mod tests {
	use super::*;
	use alloc::collections::BTreeSet;

	#[test]
	fn every_tag_reads_ail2_area_purpose_and_is_distinct() {
		let lowercase = |part: &[u8]| {
			!part.is_empty() && part.iter().all(|b| b.is_ascii_lowercase() || *b == b'-')
		};
		for tag in ALL {
			let text = core::str::from_utf8(tag);
			let parts: Vec<&[u8]> = tag.split(|b| *b == b':').collect();
			let [b"ail2", area, purpose] = parts.as_slice() else {
				panic!("{text:?} is not ail2:<area>:<purpose>");
			};
			assert!(lowercase(area) && lowercase(purpose), "{text:?}: lowercase words only");
		}
		assert_eq!(ALL.iter().collect::<BTreeSet<_>>().len(), ALL.len());
	}

	#[test]
	fn a_tagged_hash_is_keccak_of_the_concatenation() {
		assert_eq!(tagged_hash(b"ail2:t:p", &[b"ab", b"", b"c"]), keccak256(b"ail2:t:pabc"));
		assert_eq!(tagged_hash(b"ail2:t:p", &[]), keccak256(b"ail2:t:p"));
	}
}
