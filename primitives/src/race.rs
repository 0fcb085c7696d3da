//! The Proof-of-Work 2.0 race's shared derivations (seed `pow2-decentralized-ai.txt`,
//! Appendix A): the race seed and the sample seed; from a race seed, the random
//! transformer's weights and the target vector; from a worker's public key, its node seed;
//! from (race seed, node seed, nonce), the input sequence and the permutation applied to the
//! output before its distance to the target; the seed commitments and the validation sample.
//!
//! Every miner and every validator must derive the same numbers on every platform, so these
//! algorithms are frozen and written out here rather than taken from crates whose output
//! may change between versions:
//!
//! - the random stream is ChaCha20 (the 20-round block function of RFC 8439, with a 64-bit
//!   block counter and a zero 64-bit nonce), keyed per purpose by a tagged keccak256
//!   ([`crate::domain`]);
//! - a uniform `f32` in [0, 1) is the stream word's top 24 bits times 2⁻²⁴ (exact);
//! - a normal draw is Irwin–Hall: the sum of twelve 24-bit integers, centred, converted to
//!   `f32` once (IEEE 754 round-to-nearest) and scaled by 2⁻²⁴ (exact) — mean 0, variance 1,
//!   no transcendental functions, so no libm differences;
//! - bounded integers are Lemire's multiply-shift with rejection (unbiased, integers only);
//! - permutations are Fisher–Yates over those integers.
//!
//! `primitives/tests/race_vectors.json` pins the outputs; `primitives/reference/race.py`
//! computes the same vectors independently.

use alloc::{collections::BTreeMap, vec::Vec};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

use crate::{
	domain::{self, tagged_hash},
	merkle::SumNode,
	Hash,
};

/// The seed of one race: every miner's model and target come from it.
pub type RaceSeed = Hash;
/// A worker's seed, from its public key: its inputs differ from everyone else's.
pub type NodeSeed = Hash;
/// The seed of one attempt: (race seed, node seed, nonce).
pub type InputSeed = Hash;
/// A miner's attempt number.
pub type Nonce = u64;

/// The shape of the race's transformer (pow2 Appendix A: 64 layers, 128 heads, d_model 512,
/// FFN 8192, vocabulary 8192, sequences of 4).
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
pub struct RaceModel {
	pub layers: u32,
	pub heads: u32,
	pub d_model: u32,
	pub d_ff: u32,
	pub vocab: u32,
	pub seq_len: u32,
}

impl RaceModel {
	/// The whitepaper's model.
	pub const WHITEPAPER: Self =
		Self { layers: 64, heads: 128, d_model: 512, d_ff: 8192, vocab: 8192, seq_len: 4 };

	/// The model of development chains and tests: 4 layers, d_model 64, which one CPU core
	/// runs thousands of times a second.
	pub const TINY: Self =
		Self { layers: 4, heads: 4, d_model: 64, d_ff: 256, vocab: 1024, seq_len: 4 };

	/// The named models an operator can choose on the command line.
	pub const PRESETS: [(&'static str, Self); 2] =
		[("tiny", Self::TINY), ("whitepaper", Self::WHITEPAPER)];

	/// The model called `name` in [`Self::PRESETS`].
	pub fn preset(name: &str) -> Option<Self> {
		Self::PRESETS.iter().find(|(preset, _)| *preset == name).map(|(_, model)| *model)
	}

	/// The tensors in derivation order: `(index, rows, columns, scale)`. Embeddings are
	/// N(0, 1); a projection from `n` inputs is N(0, 1/n). Index 0 is the token embedding
	/// `[vocab × d]`, 1 the position embedding `[seq × d]`, then per layer `l` at
	/// `2 + 6·l`: `W_q, W_k, W_v, W_o` `[d × d]`, `W_1` `[d × d_ff]`, `W_2` `[d_ff × d]`
	/// (row-major, `x · W`).
	pub fn tensors(&self) -> Vec<TensorSpec> {
		let d = self.d_model;
		let mut out = Vec::new();
		out.push(TensorSpec { index: 0, rows: self.vocab, cols: d, fan_in: 0 });
		out.push(TensorSpec { index: 1, rows: self.seq_len, cols: d, fan_in: 0 });
		for layer in 0..self.layers {
			let base = layer.saturating_mul(6).saturating_add(2);
			let shapes =
				[(0, d, d), (1, d, d), (2, d, d), (3, d, d), (4, d, self.d_ff), (5, self.d_ff, d)];
			for (offset, rows, cols) in shapes {
				let index = base.saturating_add(offset);
				out.push(TensorSpec { index, rows, cols, fan_in: rows });
			}
		}
		out
	}

	/// Parameters in all tensors.
	pub fn parameters(&self) -> u64 {
		self.tensors().iter().map(|t| u64::from(t.rows).saturating_mul(u64::from(t.cols))).sum()
	}
}

/// One weight tensor of the race model.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct TensorSpec {
	pub index: u32,
	pub rows: u32,
	pub cols: u32,
	/// Inputs summed by a projection (its entries are N(0, 1/fan_in)); 0 for embeddings.
	pub fan_in: u32,
}

impl TensorSpec {
	/// The standard deviation of the entries: 1, or 1/√fan_in (IEEE 754 square root and
	/// division are correctly rounded, so this is the same everywhere).
	#[cfg(feature = "std")]
	pub fn scale(&self) -> f32 {
		if self.fan_in == 0 {
			1.0
		} else {
			1.0 / (self.fan_in as f32).sqrt()
		}
	}
}

/// `keccak256("ail2:race:node" ‖ public key)`.
pub fn node_seed(public_key: &[u8]) -> NodeSeed {
	tagged_hash(domain::RACE_NODE, &[public_key])
}

/// `keccak256("ail2:race:input" ‖ race seed ‖ node seed ‖ nonce (8 bytes, little-endian))`.
pub fn input_seed(race: &RaceSeed, node: &NodeSeed, nonce: Nonce) -> InputSeed {
	tagged_hash(domain::RACE_INPUT, &[race, node, &nonce.to_le_bytes()])
}

/// The stream of tensor `index` of the race model.
pub fn tensor_stream(race: &RaceSeed, index: u32) -> ChaCha20 {
	ChaCha20::new(&tagged_hash(domain::RACE_TENSOR, &[race, &index.to_le_bytes()]))
}

#[cfg(feature = "std")]
/// Fills `out` (row-major) with tensor `spec`'s entries, or its first `out.len()` of them.
pub fn fill_tensor(race: &RaceSeed, spec: &TensorSpec, out: &mut [f32]) {
	let mut stream = tensor_stream(race, spec.index);
	let scale = spec.scale();
	for value in out.iter_mut() {
		*value = stream.normal() * scale;
	}
}

#[cfg(feature = "std")]
/// The race's target vector: `d` draws `nᵢ` of N(0, 1) scaled to length √d, the length of
/// every (RMS-normalised) output, so that the hit rate of a distance threshold is the same
/// in every race instead of varying with the drawn target's length. The scale is
/// `sqrt(d / Σ nᵢ²)` in f64 (summed in index order; IEEE division and square root are
/// correctly rounded), and each `nᵢ · scale` is rounded once to f32.
pub fn target_vector(race: &RaceSeed, d: u32) -> Vec<f32> {
	let mut stream = ChaCha20::new(&tagged_hash(domain::RACE_TARGET, &[race]));
	let draws: Vec<f32> = (0..d).map(|_| stream.normal()).collect();
	let squares: f64 = draws.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
	if squares == 0.0 {
		return draws;
	}
	let scale = (f64::from(d) / squares).sqrt();
	draws.iter().map(|&x| (f64::from(x) * scale) as f32).collect()
}

/// The attempt's input tokens: `seq_len` draws from `[0, vocab)`.
pub fn input_tokens(input: &InputSeed, model: &RaceModel) -> Vec<u32> {
	let mut stream = ChaCha20::new(&tagged_hash(domain::RACE_TOKENS, &[input]));
	(0..model.seq_len).map(|_| stream.below(model.vocab)).collect()
}

/// The attempt's permutation of the output's `d` coordinates: output coordinate
/// `permutation[i]` is compared with target coordinate `i`.
pub fn permutation(input: &InputSeed, d: u32) -> Vec<u32> {
	let mut stream = ChaCha20::new(&tagged_hash(domain::RACE_PERMUTATION, &[input]));
	let mut out: Vec<u32> = (0..d).collect();
	// Fisher–Yates from the back.
	for i in (1..d).rev() {
		let j = stream.below(i.saturating_add(1));
		out.swap(i as usize, j as usize);
	}
	out
}

/// A committer's commitment to its seed contribution for race `race`:
/// `keccak256("ail2:race:commit" ‖ race (4 bytes, little-endian) ‖ committer ‖ secret)`.
/// Binding the committer's account stops anyone from replaying another's commitment.
pub fn seed_commitment(race: u32, committer: &[u8], secret: &Hash) -> Hash {
	tagged_hash(domain::RACE_COMMIT, &[&race.to_le_bytes(), committer, secret])
}

/// The seed of race `race`, fixed as its window opens:
/// `keccak256("ail2:race:seed" ‖ race (4 bytes, little-endian) ‖ randomness ‖ the revealed
/// secrets in committer order)`. The randomness is unknown until the window opens and no
/// single committer chooses the secrets, so nobody can search before the window.
pub fn race_seed(race: u32, randomness: &[u8], secrets: &[Hash]) -> RaceSeed {
	let index = race.to_le_bytes();
	let mut parts: Vec<&[u8]> = Vec::with_capacity(secrets.len().saturating_add(2));
	parts.push(&index);
	parts.push(randomness);
	parts.extend(secrets.iter().map(|secret| secret.as_slice()));
	tagged_hash(domain::RACE_SEED, &parts)
}

/// The sample seed of race `race`, fixed as its window closes:
/// `keccak256("ail2:race:sample-seed" ‖ race (4 bytes, little-endian) ‖ race seed ‖
/// randomness)`, with randomness drawn after the last submission, so no miner knows during
/// the window which of its nonces [`sample`] will pick.
pub fn sample_seed(race: u32, seed: &RaceSeed, randomness: &[u8]) -> Hash {
	tagged_hash(domain::RACE_SAMPLE_SEED, &[&race.to_le_bytes(), seed, randomness])
}

/// The positions (ascending) of a participant's submitted nonces that validators recompute:
/// `k` of the `submitted` positions, or all of them when `submitted ≤ k`. The first `k`
/// steps of a Fisher–Yates shuffle of `0..submitted`, from the front, on the stream keyed by
/// `keccak256("ail2:race:sample" ‖ sample seed ‖ participant)`. The sample seed is fixed
/// only after the race window closes, so a miner cannot know which nonces will be checked.
pub fn sample(sample_seed: &Hash, participant: &[u8], submitted: u32, k: u32) -> Vec<u32> {
	let mut positions: Vec<u32> = (0..submitted).collect();
	if submitted > k {
		let mut stream =
			ChaCha20::new(&tagged_hash(domain::RACE_SAMPLE, &[sample_seed, participant]));
		for i in 0..k {
			let j = i.saturating_add(stream.below(submitted.saturating_sub(i)));
			positions.swap(i as usize, j as usize);
		}
		positions.truncate(k as usize);
		positions.sort_unstable();
	}
	positions
}

/// The coordinates of a nonce's output that make its artifact: the first `k` of the
/// permuted output (`output[perm[0]], …, output[perm[k − 1]]`), each rounded to IEEE 754
/// binary16 ([`f16_bits`]). Fewer when `k` exceeds the permutation or the output.
pub fn artifact(output: &[f32], perm: &[u32], k: u32) -> Vec<u16> {
	perm.iter()
		.take(k as usize)
		.map_while(|&p| output.get(p as usize).map(|&y| f16_bits(y)))
		.collect()
}

/// The artifact's bytes: each binary16 value as 2 bytes, little-endian, in order.
pub fn artifact_bytes(artifact: &[u16]) -> Vec<u8> {
	artifact.iter().flat_map(|h| h.to_le_bytes()).collect()
}

/// Leaf `nonce` of a participant's work commitment: `(keccak256("ail2:race:leaf" ‖ nonce
/// (8 bytes, little-endian) ‖ artifact bytes), 1)`. Every leaf counts one, so the root of the
/// Merkle-sum tree over nonces `0..n` ([`crate::merkle`]) commits to the count `n` as its sum.
/// The tag's first byte (`a`) differs from the receipt leaf (0x00) and inner node (0x01)
/// tags, so a race leaf is never read as either.
pub fn work_leaf(nonce: Nonce, artifact: &[u16]) -> SumNode {
	let bytes = artifact_bytes(artifact);
	SumNode { hash: tagged_hash(domain::RACE_LEAF, &[&nonce.to_le_bytes(), &bytes]), sum: 1 }
}

/// The leaves (ascending nonces) that `validator` opens of `participant`'s commitment of
/// `count` leaves: `s` distinct positions of `0..count`, or all of them when `count ≤ s`. The
/// first `s` steps of a Fisher–Yates shuffle of `0..count` from the front, kept sparse (only
/// displaced positions are stored, so a count of billions costs `s` entries), with
/// [`ChaCha20::below_u64`] on the stream keyed by `keccak256("ail2:race:leaf-sample" ‖ sample
/// seed ‖ participant ‖ validator)`. Each validator draws its own leaves, and the sample seed
/// is fixed only after the window closes, so a participant cannot know which leaves will be
/// opened while it computes them.
pub fn leaf_sample(
	sample_seed: &Hash,
	participant: &[u8],
	validator: &[u8],
	count: u64,
	s: u32,
) -> Vec<u64> {
	let s = u64::from(s);
	if count <= s {
		return (0..count).collect();
	}
	let mut stream = ChaCha20::new(&tagged_hash(
		domain::RACE_LEAF_SAMPLE,
		&[sample_seed, participant, validator],
	));
	// `moved[j]` is the value at position `j` once it differs from `j`.
	let mut moved: BTreeMap<u64, u64> = BTreeMap::new();
	let mut picked = Vec::with_capacity(s as usize);
	for i in 0..s {
		let j = i.saturating_add(stream.below_u64(count.saturating_sub(i)));
		let at_j = moved.get(&j).copied().unwrap_or(j);
		let at_i = moved.get(&i).copied().unwrap_or(i);
		moved.insert(j, at_i);
		picked.push(at_j);
	}
	picked.sort_unstable();
	picked
}

/// `x` rounded to the nearest IEEE 754 binary16 value (ties to even), as its bits: what
/// NumPy's `float16` and C's `_Float16` give. Overflow becomes infinity; NaN stays a (quiet)
/// NaN. Integer operations only, so no platform differs.
pub fn f16_bits(x: f32) -> u16 {
	let bits = x.to_bits();
	let sign = ((bits >> 16) & 0x8000) as u16;
	let exponent = ((bits >> 23) & 0xff) as i32;
	let mantissa = bits & 0x7f_ffff;
	if exponent == 0xff {
		let nan = if mantissa == 0 { 0 } else { 0x0200 | (mantissa >> 13) as u16 };
		return sign | 0x7c00 | nan;
	}
	let unbiased = exponent.saturating_sub(127);
	if unbiased > 15 {
		return sign | 0x7c00;
	}
	// Rounds `value >> shift` to nearest, ties to even.
	let round = |value: u32, shift: u32| -> u32 {
		let kept = value >> shift;
		let rest = value & ((1u32 << shift).wrapping_sub(1));
		let half = 1u32 << shift.saturating_sub(1);
		if rest > half || (rest == half && kept & 1 == 1) {
			kept.saturating_add(1)
		} else {
			kept
		}
	};
	if unbiased >= -14 {
		// A normal half; a carry out of the mantissa moves to the next exponent (or to
		// infinity from the largest), which is the right value.
		let biased = unbiased.saturating_add(15) as u32;
		return sign | (round((biased << 23) | mantissa, 13) as u16);
	}
	if unbiased < -25 {
		return sign;
	}
	// A subnormal half: the value in units of 2⁻²⁴ is `(1.mantissa) · 2^(unbiased + 24)`.
	let full = mantissa | 0x80_0000;
	// `unbiased` is in −25..=−15 here, so this is 14..=24.
	let shift = unbiased.saturating_add(1).unsigned_abs();
	sign | (round(full, shift) as u16)
}

/// The value of binary16 bits `h`, exactly (every binary16 value is an f32 value).
#[cfg(feature = "std")]
pub fn f16_value(h: u16) -> f32 {
	let sign = if h & 0x8000 == 0 { 1.0f32 } else { -1.0 };
	let exponent = i32::from((h >> 10) & 0x1f);
	let mantissa = f32::from(h & 0x3ff);
	match exponent {
		0 => sign * mantissa * (1.0 / 16_777_216.0),
		31 if mantissa == 0.0 => sign * f32::INFINITY,
		31 => f32::NAN,
		_ => sign * (1.0 + mantissa / 1024.0) * 2f32.powi(exponent.saturating_sub(15)),
	}
}

/// One ChaCha20 quarter round on four state words.
#[inline(always)]
fn quarter(mut a: u32, mut b: u32, mut c: u32, mut d: u32) -> (u32, u32, u32, u32) {
	a = a.wrapping_add(b);
	d = (d ^ a).rotate_left(16);
	c = c.wrapping_add(d);
	b = (b ^ c).rotate_left(12);
	a = a.wrapping_add(b);
	d = (d ^ a).rotate_left(8);
	c = c.wrapping_add(d);
	b = (b ^ c).rotate_left(7);
	(a, b, c, d)
}

macro_rules! quarter_round {
	($s:ident, $a:literal, $b:literal, $c:literal, $d:literal) => {
		($s[$a], $s[$b], $s[$c], $s[$d]) = quarter($s[$a], $s[$b], $s[$c], $s[$d]);
	};
}

/// The ChaCha20 block function (RFC 8439 §2.3) on a state whose last four words are `tail`.
pub fn chacha20_block(key: &[u32; 8], tail: [u32; 4]) -> [u32; 16] {
	let [k0, k1, k2, k3, k4, k5, k6, k7] = *key;
	let [t0, t1, t2, t3] = tail;
	let initial: [u32; 16] = [
		0x6170_7865,
		0x3320_646e,
		0x7962_2d32,
		0x6b20_6574,
		k0,
		k1,
		k2,
		k3,
		k4,
		k5,
		k6,
		k7,
		t0,
		t1,
		t2,
		t3,
	];
	let mut s = initial;
	for _ in 0..10 {
		quarter_round!(s, 0, 4, 8, 12);
		quarter_round!(s, 1, 5, 9, 13);
		quarter_round!(s, 2, 6, 10, 14);
		quarter_round!(s, 3, 7, 11, 15);
		quarter_round!(s, 0, 5, 10, 15);
		quarter_round!(s, 1, 6, 11, 12);
		quarter_round!(s, 2, 7, 8, 13);
		quarter_round!(s, 3, 4, 9, 14);
	}
	let mut out = [0u32; 16];
	for ((o, s), i) in out.iter_mut().zip(s).zip(initial) {
		*o = s.wrapping_add(i);
	}
	out
}

/// A ChaCha20 keystream read as little-endian 32-bit words: block 0, 1, 2, … (64-bit block
/// counter in state words 12–13, zero nonce in 14–15).
#[derive(Clone, Debug)]
pub struct ChaCha20 {
	key: [u32; 8],
	block: u64,
	words: [u32; 16],
	next: usize,
}

impl ChaCha20 {
	pub fn new(key: &[u8; 32]) -> Self {
		let mut words = [0u32; 8];
		for (word, bytes) in words.iter_mut().zip(key.chunks_exact(4)) {
			*word = bytes.try_into().map(u32::from_le_bytes).unwrap_or(0);
		}
		Self { key: words, block: 0, words: [0; 16], next: 16 }
	}

	pub fn next_u32(&mut self) -> u32 {
		if self.next >= 16 {
			let counter = self.block;
			self.words = chacha20_block(&self.key, [counter as u32, (counter >> 32) as u32, 0, 0]);
			self.block = self.block.wrapping_add(1);
			self.next = 0;
		}
		let word = self.words.get(self.next).copied().unwrap_or(0);
		self.next = self.next.saturating_add(1);
		word
	}

	/// Uniform in [0, 1): the word's top 24 bits × 2⁻²⁴.
	#[cfg(feature = "std")]
	pub fn uniform(&mut self) -> f32 {
		(self.next_u32() >> 8) as f32 * (1.0 / 16_777_216.0)
	}

	/// Approximately N(0, 1) by Irwin–Hall: `(Σ₁₂ uᵢ − 6·2²⁴) · 2⁻²⁴` with `uᵢ` the words'
	/// top 24 bits, summed exactly in integers and rounded to `f32` once.
	#[cfg(feature = "std")]
	pub fn normal(&mut self) -> f32 {
		const MEAN: i64 = 6 * (1 << 24);
		let mut sum: i64 = 0;
		for _ in 0..12 {
			sum = sum.wrapping_add(i64::from(self.next_u32() >> 8));
		}
		sum.wrapping_sub(MEAN) as f32 * (1.0 / 16_777_216.0)
	}

	/// Uniform in `[0, bound)` (0 when `bound` is 0) for 64-bit bounds: Lemire's
	/// multiply-shift on a 64-bit word made of two stream words (the first is the low half),
	/// redrawing both when the low 64 bits of the product fall in the biased zone.
	pub fn below_u64(&mut self, bound: u64) -> u64 {
		if bound == 0 {
			return 0;
		}
		let threshold = bound.wrapping_neg().checked_rem(bound).unwrap_or(0);
		loop {
			let low = u64::from(self.next_u32());
			let word = low | (u64::from(self.next_u32()) << 32);
			let product = u128::from(word).wrapping_mul(u128::from(bound));
			if (product as u64) >= threshold {
				return product.wrapping_shr(64) as u64;
			}
		}
	}

	/// Uniform in `[0, bound)` (0 when `bound` is 0), unbiased: Lemire's multiply-shift,
	/// redrawing when the low half falls in the biased zone.
	pub fn below(&mut self, bound: u32) -> u32 {
		if bound == 0 {
			return 0;
		}
		let threshold = bound.wrapping_neg().checked_rem(bound).unwrap_or(0);
		loop {
			let product = u64::from(self.next_u32()).wrapping_mul(u64::from(bound));
			if (product as u32) >= threshold {
				return product.wrapping_shr(32) as u32;
			}
		}
	}
}
