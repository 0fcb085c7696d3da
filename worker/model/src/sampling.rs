//! Choosing the next token from logits: greedy, or temperature + nucleus (top-p) sampling
//! from a seeded ChaCha20 stream, so a request with a seed is reproducible.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};

/// What a request asks of the sampler (OpenAI's `temperature`, `top_p`, `seed`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SamplingParams {
	/// 0 means greedy (always the most likely token).
	pub temperature: f32,
	/// Sample only from the smallest set of tokens whose probability reaches `top_p`.
	pub top_p: f32,
	/// Fixes the random stream; absent means a fresh random seed.
	pub seed: Option<u64>,
}

impl Default for SamplingParams {
	fn default() -> Self {
		Self { temperature: 1.0, top_p: 1.0, seed: None }
	}
}

impl SamplingParams {
	pub fn greedy() -> Self {
		Self { temperature: 0.0, top_p: 1.0, seed: None }
	}
}

pub enum Sampler {
	Greedy,
	Nucleus { temperature: f64, top_p: f64, rng: Box<ChaCha20Rng> },
}

impl Sampler {
	pub fn new(params: &SamplingParams) -> Self {
		if params.temperature <= 0.0 {
			return Self::Greedy;
		}
		let rng = match params.seed {
			Some(seed) => ChaCha20Rng::seed_from_u64(seed),
			None => ChaCha20Rng::from_os_rng(),
		};
		Self::Nucleus {
			temperature: f64::from(params.temperature),
			top_p: f64::from(params.top_p.clamp(f32::MIN_POSITIVE, 1.0)),
			rng: Box::new(rng),
		}
	}

	/// The next token id. `logits` must not be empty.
	pub fn sample(&mut self, logits: &[f32]) -> u32 {
		match self {
			Self::Greedy => argmax(logits),
			Self::Nucleus { temperature, top_p, rng } => {
				nucleus(logits, *temperature, *top_p, rng.random::<f64>())
			},
		}
	}
}

/// Index of the largest logit; the lowest index wins ties, NaN never wins.
pub fn argmax(logits: &[f32]) -> u32 {
	let mut best = (0usize, f32::NEG_INFINITY);
	for (i, &value) in logits.iter().enumerate() {
		if value > best.1 {
			best = (i, value);
		}
	}
	best.0 as u32
}

/// Samples with `u ∈ [0, 1)` from `softmax(logits / temperature)` restricted to the nucleus:
/// tokens sorted by probability (ties by id), the shortest prefix whose mass reaches `top_p`.
pub fn nucleus(logits: &[f32], temperature: f64, top_p: f64, u: f64) -> u32 {
	let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
	let mut probs: Vec<(u32, f64)> = logits
		.iter()
		.enumerate()
		.map(|(i, &l)| (i as u32, ((f64::from(l) - f64::from(max)) / temperature).exp()))
		.collect();
	let total: f64 = probs.iter().map(|(_, p)| p).sum();
	probs.iter_mut().for_each(|(_, p)| *p /= total);
	probs.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));

	let mut mass = 0.0;
	let mut kept = 0;
	for (_, p) in &probs {
		mass += p;
		kept += 1;
		if mass >= top_p {
			break;
		}
	}
	let nucleus = &probs[..kept];
	let target = u * mass;
	let mut acc = 0.0;
	for (id, p) in nucleus {
		acc += p;
		if target < acc {
			return *id;
		}
	}
	nucleus.last().map_or(0, |(id, _)| *id)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn argmax_prefers_the_first_of_equal_maxima() {
		assert_eq!(argmax(&[0.1, 3.0, 3.0, -1.0]), 1);
		assert_eq!(argmax(&[f32::NAN, 0.5]), 1);
	}

	#[test]
	fn nucleus_keeps_only_the_top_mass() {
		// softmax of ln(0.5), ln(0.3), ln(0.2) is (0.5, 0.3, 0.2).
		let logits = [0.5f32.ln(), 0.3f32.ln(), 0.2f32.ln()];
		// top_p 0.7: nucleus {0, 1} with mass 0.8; u·0.8 < 0.5 picks token 0.
		assert_eq!(nucleus(&logits, 1.0, 0.7, 0.6), 0);
		// u = 0.7 → 0.56 ≥ 0.5 → token 1; token 2 is never reachable.
		assert_eq!(nucleus(&logits, 1.0, 0.7, 0.7), 1);
		assert_eq!(nucleus(&logits, 1.0, 0.7, 0.999), 1);
		// Full nucleus: u = 0.85 lands in token 2's share (0.8..1.0).
		assert_eq!(nucleus(&logits, 1.0, 1.0, 0.85), 2);
	}

	#[test]
	fn low_temperature_concentrates_on_the_best_token() {
		let logits = [1.0f32, 1.1, 0.9];
		assert_eq!(nucleus(&logits, 0.001, 1.0, 0.999), 1);
	}

	#[test]
	fn seeded_samplers_repeat_and_differ_across_seeds() {
		let logits: Vec<f32> = (0..50).map(|i| (i as f32 * 0.37).sin()).collect();
		let params = |seed| SamplingParams { temperature: 1.0, top_p: 0.95, seed: Some(seed) };
		let draw = |seed| {
			let mut sampler = Sampler::new(&params(seed));
			(0..64).map(|_| sampler.sample(&logits)).collect::<Vec<_>>()
		};
		assert_eq!(draw(7), draw(7));
		assert_ne!(draw(7), draw(8));
	}
}
