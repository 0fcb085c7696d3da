//! Exploration (whitepaper §5.4): UCB1 / UCB-V bonuses, softmax sampling with an annealed
//! temperature, and Beta posteriors for Thompson sampling.

use rand::Rng;

use crate::RouterConfig;

/// `τ = τ_min + (τ_max − τ_min) · exp(−t / τ_anneal)` after `t` decisions (§5.4.2).
pub fn temperature(config: &RouterConfig, t: u64) -> f64 {
	config.temperature_min
		+ (config.temperature_max - config.temperature_min)
			* (-(t as f64) / config.temperature_anneal).exp()
}

/// UCB1's bonus `c · sqrt(ln t / N)`; infinite for a worker never chosen (§5.4.1).
pub fn ucb1_bonus(c: f64, t: u64, n: u64) -> f64 {
	if n == 0 {
		return f64::INFINITY;
	}
	Bonus::ucb1(1.0, c, n).at(t)
}

/// UCB-V's bonus `sqrt(2·V·ln t / N) + 3·b·ln t / N` (§5.4.1).
pub fn ucb_v_bonus(variance: f64, bound: f64, t: u64, n: u64) -> f64 {
	if n == 0 {
		return f64::INFINITY;
	}
	Bonus::ucb_v(1.0, variance, bound, n).at(t)
}

/// An exploration bonus split into what depends on the worker and what on the decision
/// count `t`: UCB1 and UCB-V both have the form `sqrt·√(ln t) + linear·ln t`, so a worker's
/// two coefficients are kept between its observations and a decision adds only `ln t`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Bonus {
	pub sqrt: f64,
	pub linear: f64,
}

impl Bonus {
	/// No bonus: a worker whose exploration is its Thompson sample (§5.4.3).
	pub const NONE: Self = Self { sqrt: 0.0, linear: 0.0 };
	/// A worker never chosen: always explored first.
	pub const UNVISITED: Self = Self { sqrt: f64::INFINITY, linear: 0.0 };

	/// `scale ·` UCB1's `c · sqrt(ln t / N)` after `n` visits.
	pub fn ucb1(scale: f64, c: f64, n: u64) -> Self {
		if n == 0 {
			return Self::UNVISITED;
		}
		Self { sqrt: scale * c / (n as f64).sqrt(), linear: 0.0 }
	}

	/// `scale ·` UCB-V's `sqrt(2·V·ln t / N) + 3·b·ln t / N` after `n` visits whose rewards,
	/// bounded by `bound`, have variance `variance`.
	pub fn ucb_v(scale: f64, variance: f64, bound: f64, n: u64) -> Self {
		if n == 0 {
			return Self::UNVISITED;
		}
		let n = n as f64;
		Self { sqrt: scale * (2.0 * variance.max(0.0) / n).sqrt(), linear: scale * 3.0 * bound / n }
	}

	/// The bonus after `t` decisions.
	pub fn at(&self, t: u64) -> f64 {
		let log_t = (t.max(1) as f64).ln();
		self.with_log(log_t, log_t.sqrt())
	}

	/// The bonus for `ln t` and its square root, worked out once per decision.
	#[inline]
	pub fn with_log(&self, log_t: f64, sqrt_log_t: f64) -> f64 {
		self.sqrt * sqrt_log_t + self.linear * log_t
	}
}

/// `P(n) = exp(Score(n) / τ) / Σ exp(Score(j) / τ)`, computed stably (max subtracted).
pub fn softmax(scores: &[f64], temperature: f64) -> Vec<f64> {
	let tau = temperature.max(1e-12);
	let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
	let weights: Vec<f64> = scores.iter().map(|s| ((s - max) / tau).exp()).collect();
	let total: f64 = weights.iter().sum();
	weights.iter().map(|w| w / total).collect()
}

/// Index drawn with the given probabilities (which sum to 1).
pub fn categorical(probabilities: &[f64], rng: &mut impl Rng) -> usize {
	let u: f64 = rng.random();
	let mut acc = 0.0;
	for (i, p) in probabilities.iter().enumerate() {
		acc += p;
		if u < acc {
			return i;
		}
	}
	probabilities.len().saturating_sub(1)
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut impl Rng) -> f64 {
	let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
	let u2: f64 = rng.random();
	(-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A Gamma(shape, 1) draw by Marsaglia and Tsang's method (shape < 1 boosted by U^{1/shape}).
pub fn gamma(shape: f64, rng: &mut impl Rng) -> f64 {
	if shape < 1.0 {
		let u: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
		return gamma(shape + 1.0, rng) * u.powf(1.0 / shape);
	}
	let d = shape - 1.0 / 3.0;
	let c = 1.0 / (9.0 * d).sqrt();
	loop {
		let x = normal(rng);
		let v = (1.0 + c * x).powi(3);
		if v <= 0.0 {
			continue;
		}
		let u: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
		if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
			return d * v;
		}
	}
}

/// The Beta posterior of a worker's success rate (§5.4.3):
/// `(α_prior + successes, β_prior + failures)`.
pub fn beta_posterior(config: &RouterConfig, successes: u64, failures: u64) -> (f64, f64) {
	let (alpha, beta) = config.beta_prior;
	(alpha + successes as f64, beta + failures as f64)
}

/// θ ~ Beta(α, β) as X / (X + Y) with X ~ Gamma(α), Y ~ Gamma(β) (§5.4.3).
pub fn beta(alpha: f64, beta: f64, rng: &mut impl Rng) -> f64 {
	let x = gamma(alpha, rng);
	let y = gamma(beta, rng);
	if x + y > 0.0 {
		x / (x + y)
	} else {
		0.5
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use rand::SeedableRng;
	use rand_chacha::ChaCha20Rng;

	#[test]
	fn temperature_anneals_from_max_to_min() {
		let c = RouterConfig::default();
		assert!((temperature(&c, 0) - 0.05).abs() < 1e-12);
		// 0.005 + 0.045·e^{−1} after τ_anneal decisions.
		assert!((temperature(&c, 2_000) - (0.005 + 0.045 * (-1f64).exp())).abs() < 1e-12);
		assert!((temperature(&c, u64::MAX) - 0.005).abs() < 1e-12);
	}

	#[test]
	fn bonuses_by_hand() {
		// sqrt(2) · sqrt(ln 100 / 4)
		assert!((ucb1_bonus(2f64.sqrt(), 100, 4) - (2.0 * 100f64.ln() / 4.0).sqrt()).abs() < 1e-12);
		// sqrt(2·0.04·ln 100 / 25) + 3·1·ln 100 / 25
		let l = 100f64.ln();
		assert!(
			(ucb_v_bonus(0.04, 1.0, 100, 25) - ((0.08 * l / 25.0).sqrt() + 3.0 * l / 25.0)).abs()
				< 1e-12
		);
		assert!(ucb_v_bonus(0.0, 1.0, 100, 0).is_infinite());
	}

	#[test]
	fn softmax_by_hand() {
		// τ = 1: e^1 / (e^1 + e^0) = 0.731058…
		let p = softmax(&[1.0, 0.0], 1.0);
		assert!((p[0] - 0.731_058_578_630_004_9).abs() < 1e-12);
		assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
		// τ → 0: all mass on the best.
		let p = softmax(&[0.3, 0.5, 0.1], 1e-9);
		assert_eq!(p, vec![0.0, 1.0, 0.0]);
	}

	#[test]
	fn beta_samples_have_the_right_mean() {
		let mut rng = ChaCha20Rng::seed_from_u64(3);
		// Beta(8, 2): mean 0.8, variance 8·2 / (100·11) ≈ 0.01455.
		let draws: Vec<f64> = (0..20_000).map(|_| beta(8.0, 2.0, &mut rng)).collect();
		let mean = draws.iter().sum::<f64>() / draws.len() as f64;
		let var = draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / draws.len() as f64;
		assert!((mean - 0.8).abs() < 0.005, "{mean}");
		assert!((var - 16.0 / 1_100.0).abs() < 0.001, "{var}");
		assert!(draws.iter().all(|d| (0.0..=1.0).contains(d)));
		// Shape below one takes the boosted path.
		let small: f64 = (0..20_000).map(|_| beta(0.5, 0.5, &mut rng)).sum::<f64>() / 20_000.0;
		assert!((small - 0.5).abs() < 0.01, "{small}");
	}
}
