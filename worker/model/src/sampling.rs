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

/// Draws the next token. Every sampler has a seed, the request's or a fresh one, which the
/// transcript records so that a verifier can run the same stream.
pub struct Sampler {
	seed: u64,
	kind: Kind,
}

enum Kind {
	Greedy,
	Nucleus { temperature: f64, top_p: f64, rng: Box<ChaCha20Rng> },
}

impl Sampler {
	pub fn new(params: &SamplingParams) -> Self {
		let seed = params.seed.unwrap_or_else(|| rand::rng().random());
		if params.temperature <= 0.0 {
			return Self { seed, kind: Kind::Greedy };
		}
		let (temperature, top_p) = nucleus_params(params);
		let rng = Box::new(ChaCha20Rng::seed_from_u64(seed));
		Self { seed, kind: Kind::Nucleus { temperature, top_p, rng } }
	}

	/// The seed of this sampler's stream.
	pub fn seed(&self) -> u64 {
		self.seed
	}

	/// The next token id. `logits` must not be empty.
	pub fn sample(&mut self, logits: &[f32]) -> u32 {
		match &mut self.kind {
			Kind::Greedy => argmax(logits),
			Kind::Nucleus { temperature, top_p, rng } => {
				nucleus(logits, *temperature, *top_p, rng.random::<f64>())
			},
		}
	}

	/// Whether this sampler, given `logits`, could have drawn `token`, allowing `slack` (a
	/// fraction) for a verifier's logits differing from the worker's by rounding. Consumes
	/// one draw from the stream, as [`Self::sample`] does, so it is called once per position
	/// in order. A nucleus draw must land within `slack` of the nucleus mass of the token's
	/// share of the stream (shares are laid out in token-id order, so a small change of the
	/// probabilities moves every share a little, never reorders them); a greedy token's
	/// probability must be within `slack` (relative) of the most likely one's.
	pub fn could_draw(&mut self, logits: &[f32], token: u32, slack: f64) -> bool {
		let probs = softmax(
			logits,
			match &self.kind {
				Kind::Greedy => 1.0,
				Kind::Nucleus { temperature, .. } => *temperature,
			},
		);
		let Some(&chosen) = probs.get(token as usize) else { return false };
		match &mut self.kind {
			Kind::Greedy => {
				let best = probs.iter().copied().fold(0.0, f64::max);
				chosen >= best * (1.0 - slack)
			},
			Kind::Nucleus { top_p, rng, .. } => {
				let u = rng.random::<f64>();
				let (members, mass) = nucleus_members(&probs, *top_p);
				// The token's share of the stream starts after the members with lower ids.
				let before: f64 = probs
					.iter()
					.zip(&members)
					.take(token as usize)
					.filter(|(_, member)| **member)
					.map(|(p, _)| p)
					.sum();
				let target = u * mass;
				let margin = slack * mass;
				before - margin <= target && target < before + chosen + margin
			},
		}
	}
}

/// Temperature and nucleus mass as the sampler uses them.
fn nucleus_params(params: &SamplingParams) -> (f64, f64) {
	(f64::from(params.temperature), f64::from(params.top_p.clamp(f32::MIN_POSITIVE, 1.0)))
}

/// `softmax(logits / temperature)` in f64.
fn softmax(logits: &[f32], temperature: f64) -> Vec<f64> {
	let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
	let mut probs: Vec<f64> =
		logits.iter().map(|&l| ((f64::from(l) - f64::from(max)) / temperature).exp()).collect();
	let total: f64 = probs.iter().sum();
	probs.iter_mut().for_each(|p| *p /= total);
	probs
}

/// The nucleus: which tokens are in it (indexed by id) and its mass. Members are the shortest
/// run of the most likely tokens (ties by id) whose mass reaches `top_p`.
fn nucleus_members(probs: &[f64], top_p: f64) -> (Vec<bool>, f64) {
	let mut order: Vec<(u32, f64)> =
		probs.iter().enumerate().map(|(i, &p)| (i as u32, p)).collect();
	order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
	let mut members = vec![false; probs.len()];
	let mut mass = 0.0;
	for (id, p) in order {
		if let Some(member) = members.get_mut(id as usize) {
			*member = true;
		}
		mass += p;
		if mass >= top_p {
			break;
		}
	}
	(members, mass)
}

/// `ln softmax(logits)[token]`, the log-probability the model gives `token` before
/// temperature and nucleus, in micro-nats (rounded, saturating at `i32::MIN`).
pub fn logprob_micro_nats(logits: &[f32], token: u32) -> i32 {
	let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
	let total: f64 = logits.iter().map(|&l| (f64::from(l) - f64::from(max)).exp()).sum();
	let Some(&logit) = logits.get(token as usize) else { return i32::MIN };
	let logprob = f64::from(logit) - f64::from(max) - total.ln();
	// Saturating float-to-int cast; a log-probability is never above 0.
	(logprob * 1e6).round().min(0.0) as i32
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

/// Samples with `u ∈ [0, 1)` from `softmax(logits / temperature)` restricted to the nucleus
/// (the most likely tokens, ties by id, up to a mass of `top_p`): the nucleus's tokens are laid
/// out in token-id order, each with its probability as its share, and `u` times the nucleus
/// mass picks the share it falls in. The id order makes the draw continuous in the
/// probabilities, which is what lets a verifier re-check it from its own logits.
pub fn nucleus(logits: &[f32], temperature: f64, top_p: f64, u: f64) -> u32 {
	let probs = softmax(logits, temperature);
	let (members, mass) = nucleus_members(&probs, top_p);
	let target = u * mass;
	let mut acc = 0.0;
	let mut last = 0u32;
	for (id, (p, member)) in probs.iter().zip(&members).enumerate() {
		if !*member {
			continue;
		}
		acc += p;
		last = id as u32;
		if target < acc {
			return last;
		}
	}
	last
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
	fn shares_are_laid_out_in_token_id_order() {
		// Probabilities (0.2, 0.5, 0.3): shares [0, 0.2), [0.2, 0.7), [0.7, 1).
		let logits = [0.2f32.ln(), 0.5f32.ln(), 0.3f32.ln()];
		assert_eq!(nucleus(&logits, 1.0, 1.0, 0.1), 0);
		assert_eq!(nucleus(&logits, 1.0, 1.0, 0.5), 1);
		assert_eq!(nucleus(&logits, 1.0, 1.0, 0.8), 2);
		// top_p 0.7 keeps tokens 1 and 2 (mass 0.8): shares [0, 0.5), [0.5, 0.8).
		assert_eq!(nucleus(&logits, 1.0, 0.7, 0.6), 1);
		assert_eq!(nucleus(&logits, 1.0, 0.7, 0.7), 2);
		assert_eq!(nucleus(&logits, 1.0, 0.7, 0.01), 1);
	}

	#[test]
	fn a_replayed_sampler_accepts_its_own_draws_within_slack_and_nothing_else() {
		let logits: Vec<f32> = (0..50).map(|i| (i as f32 * 0.37).sin()).collect();
		// The verifier's logits differ from the worker's by a little rounding.
		let replayed: Vec<f32> = logits.iter().map(|l| l * 1.000_5 + 1e-4).collect();
		let params = SamplingParams { temperature: 0.9, top_p: 0.95, seed: Some(3) };
		let mut worker = Sampler::new(&params);
		let drawn: Vec<u32> = (0..200).map(|_| worker.sample(&logits)).collect();
		let mut verifier = Sampler::new(&params);
		assert!(drawn.iter().all(|&t| verifier.could_draw(&replayed, t, 0.02)));
		// Other tokens (half the vocabulary away) are not the sampler's; a neighbour may be
		// within the slack, which is 2% of the nucleus mass, a token's share here.
		let mut verifier = Sampler::new(&params);
		let wrong =
			drawn.iter().filter(|&&t| !verifier.could_draw(&replayed, (t + 25) % 50, 0.02)).count();
		assert!(wrong > 180, "only {wrong} of 200 other tokens refused");
		// Greedy: within 2% of the best probability.
		let mut greedy = Sampler::new(&SamplingParams::greedy());
		let best = argmax(&logits);
		assert!(greedy.could_draw(&replayed, best, 0.02));
		assert!(!greedy.could_draw(&replayed, (best + 25) % 50, 0.02));
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
