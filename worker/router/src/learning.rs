//! Online estimates (whitepaper §5.3.3): exponentially weighted moving averages whose rate
//! decays with the number of observations, `α = α_base · exp(−t / τ_decay)`, floored at
//! `α_min` so an estimate keeps following a worker that changes.

use crate::RouterConfig;

/// `θ_new = (1 − α)·θ_old + α·θ_observed`, with the variance of the observations tracked
/// the same way (for C_s² and UCB-V).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Ewma {
	pub mean: f64,
	pub variance: f64,
	pub observations: u64,
}

/// The learning rate after `t` observations.
pub fn learning_rate(config: &RouterConfig, t: u64) -> f64 {
	let decayed = config.learning_rate_base * (-(t as f64) / config.learning_rate_decay).exp();
	decayed.max(config.learning_rate_min).min(1.0)
}

impl Ewma {
	/// Starts from a prior mean that counts as no observation.
	pub fn with_prior(mean: f64) -> Self {
		Self { mean, variance: 0.0, observations: 0 }
	}

	pub fn observe(&mut self, config: &RouterConfig, value: f64) {
		if !value.is_finite() {
			return;
		}
		if self.observations == 0 {
			self.mean = value;
			self.variance = 0.0;
		} else {
			let alpha = learning_rate(config, self.observations);
			let delta = value - self.mean;
			self.mean += alpha * delta;
			self.variance = (1.0 - alpha) * (self.variance + alpha * delta * delta);
		}
		self.observations = self.observations.saturating_add(1);
	}

	/// Squared coefficient of variation, `σ² / μ²` (1 for an exponential distribution).
	pub fn cv2(&self) -> f64 {
		if self.mean.abs() < f64::EPSILON || self.observations < 2 {
			1.0
		} else {
			self.variance / (self.mean * self.mean)
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn learning_rate_decays_to_its_floor() {
		let c = RouterConfig::default();
		assert!((learning_rate(&c, 0) - 0.5).abs() < 1e-12);
		// 0.5 · e^{−1} after τ_decay = 50 observations.
		assert!((learning_rate(&c, 50) - 0.5 * (-1f64).exp()).abs() < 1e-12);
		assert!((learning_rate(&c, 10_000) - 0.05).abs() < 1e-12);
	}

	#[test]
	fn ewma_by_hand() {
		let c = RouterConfig::default();
		let mut e = Ewma::default();
		e.observe(&c, 100.0);
		assert_eq!(e.mean, 100.0);
		// α(1) = 0.5·e^{−1/50}; mean = 100 + α·(200 − 100)
		e.observe(&c, 200.0);
		let alpha = 0.5 * (-1.0f64 / 50.0).exp();
		assert!((e.mean - (100.0 + alpha * 100.0)).abs() < 1e-9);
		assert!((e.variance - (1.0 - alpha) * alpha * 10_000.0).abs() < 1e-6);
		assert_eq!(e.observations, 2);
	}
}
