//! The normalisation functions φ of the score (whitepaper §5.2). Each maps its raw metric
//! into [0, 1] (φ_s into [0, 1 + multiplier·violations]).
//!
//! This is the one definition of each factor: the router's decision calls these functions,
//! and where it needs a factor in another form — φ_c over a range worked out once per
//! decision, the bound of φ_l that rules workers out without an exponential, in `f64` and
//! in the sweep's `f32` — that form is defined here, next to the factor it stands for.

use crate::RouterConfig;

/// Mean Earth radius of the Haversine formula, kilometres.
pub const EARTH_RADIUS_KM: f64 = 6_371.0;

/// φ_l(lat) = exp(−λ_l · lat / lat_baseline) (§5.2.1); a negative latency counts as 0.
pub fn latency(config: &RouterConfig, latency_ms: f64, baseline_ms: f64) -> f64 {
	(-config.latency_decay * latency_ms.max(0.0) / baseline_ms).exp()
}

/// `λ_l / lat_baseline`, the rate of φ_l's decay: φ_l(lat) = e^−x with x = rate · lat.
pub fn latency_rate(config: &RouterConfig, baseline_ms: f64) -> f64 {
	config.latency_decay / baseline_ms
}

/// `1 + x + x²/2! + … + x⁸/8!` in Horner form, in the type of `x` (`f64` or `f32`). For
/// x ≥ 0 every partial sum of e^x's series is at most e^x, so its reciprocal bounds
/// φ_l = e^−x from above — within 0.03% up to x = 2, where the third-order sum is 17% off.
macro_rules! exp_series {
	($x:expr) => {{
		let x = $x;
		1.0 + x
			* (1.0
				+ x * (1.0 / 2.0
					+ x * (1.0 / 6.0
						+ x * (1.0 / 24.0
							+ x * (1.0 / 120.0
								+ x * (1.0 / 720.0
									+ x * (1.0 / 5_040.0 + x * (1.0 / 40_320.0))))))))
	}};
}

/// Whether `weight · φ_l(lat)` is certainly below `gap`, without an exponential:
/// φ_l = e^−x ≤ 1 / `exp_series!(x)` for x = `rate · lat` ≥ 0 ([`latency_rate`]), so it is
/// when `weight < gap · exp_series!(x)`. No branches: the decision asks it of every worker
/// that meets the constraints, to skip scoring those that cannot enter the top K.
#[inline]
pub fn latency_gain_below(weight: f64, rate: f64, latency_ms: f64, gap: f64) -> bool {
	let series = exp_series!(rate * latency_ms.max(0.0));
	(gap > 0.0) & (gap * series > weight)
}

/// [`latency_gain_below`] in `f32`, the same series and comparison, for the sweep's vector
/// arithmetic over eight workers at a time. `f32` rounding is not covered here: the sweep
/// gives it a margin in `weight` and `gap`, and re-checks in `f64` whatever this keeps.
#[inline]
pub fn latency_gain_below_f32(weight: f32, rate: f32, latency_ms: f32, gap: f32) -> bool {
	let series = exp_series!(rate * latency_ms.max(0.0));
	(gap > 0.0) & (gap * series > weight)
}

/// `lat_baseline` for a request whose compute time on the reference GPU is `reference_ms`:
/// `max(latency_baseline_ms, latency_baseline_per_reference · reference_ms)`.
pub fn latency_baseline(config: &RouterConfig, reference_ms: f64) -> f64 {
	let scaled = config.latency_baseline_per_reference * reference_ms;
	if scaled.is_finite() {
		config.latency_baseline_ms.max(scaled)
	} else {
		config.latency_baseline_ms
	}
}

/// φ_r(succ) = 1 / (1 + exp(−k_r · (succ − succ_threshold))) (§5.2.2).
pub fn success(config: &RouterConfig, success_rate: f64) -> f64 {
	sigmoid(config.success_steepness * (success_rate - config.success_threshold))
}

/// φ_c(cost) = 1 − (cost − cost_min) / (cost_max − cost_min) (§5.2.3), over the candidates'
/// range; equal costs all score 1.
pub fn cost(cost: f64, min: f64, max: f64) -> f64 {
	CostRange::new(min, max).factor(cost)
}

/// The candidates' cost range of φ_c, worked out once per decision: the factor of each
/// worker then multiplies by the width's reciprocal, as divisions are slow.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CostRange {
	min: f64,
	/// `1 / (cost_max − cost_min)`; 0 when all costs are equal.
	scale: f64,
}

impl CostRange {
	pub fn new(min: f64, max: f64) -> Self {
		Self { min, scale: if max > min { 1.0 / (max - min) } else { 0.0 } }
	}

	/// φ_c of `cost` over this range.
	#[inline]
	pub fn factor(&self, cost: f64) -> f64 {
		if self.scale > 0.0 {
			(1.0 - (cost - self.min) * self.scale).clamp(0.0, 1.0)
		} else {
			1.0
		}
	}
}

/// qual = α_acc·accuracy + α_rel·relevance + α_coh·coherence (§5.2.4), clamped to [0, 1];
/// a request's `min_quality` is compared with it.
pub fn qual(config: &RouterConfig, accuracy: f64, relevance: f64, coherence: f64) -> f64 {
	let [a, r, c] = config.quality_mix;
	(a * accuracy + r * relevance + c * coherence).clamp(0.0, 1.0)
}

/// φ_q = qual^γ_q (§5.2.4).
pub fn quality(config: &RouterConfig, accuracy: f64, relevance: f64, coherence: f64) -> f64 {
	qual(config, accuracy, relevance, coherence).powf(config.quality_exponent)
}

/// Great-circle distance in kilometres by the Haversine formula (§5.2.5); degrees in.
pub fn haversine_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
	let (phi1, phi2) = (lat1.to_radians(), lat2.to_radians());
	let dphi = (lat2 - lat1).to_radians();
	let dlambda = (lon2 - lon1).to_radians();
	let h = (dphi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (dlambda / 2.0).sin().powi(2);
	2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// φ_p(prox) = exp(−d / d_scale) (§5.2.5).
pub fn proximity(config: &RouterConfig, distance_km: f64) -> f64 {
	(-distance_km.max(0.0) / config.proximity_scale_km).exp()
}

/// The standardised behaviour a worker's risk is computed from (§5.2.6): z-scores of its
/// request bursts, disputes, failures and frauds against the network.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RiskSignals {
	pub burst_z: f64,
	pub dispute_z: f64,
	pub failure_z: f64,
	pub fraud_z: f64,
	/// Violations on record (pallet-slashing).
	pub violations: u32,
}

/// risk = sigmoid(β_1·z(burst) + β_2·z(dispute) + β_3·z(fail) + β_4·z(fraud));
/// φ_s = risk · (1 + penalty_multiplier · violations) (§5.2.6).
pub fn risk(config: &RouterConfig, signals: &RiskSignals) -> f64 {
	let [b1, b2, b3, b4] = config.risk_betas;
	let risk = sigmoid(
		b1 * signals.burst_z
			+ b2 * signals.dispute_z
			+ b3 * signals.failure_z
			+ b4 * signals.fraud_z,
	);
	risk * (1.0 + config.risk_violation_multiplier * f64::from(signals.violations))
}

/// The logistic function `1 / (1 + e^−x)` of φ_r and the risk.
pub fn sigmoid(x: f64) -> f64 {
	1.0 / (1.0 + (-x).exp())
}

/// Load(n) = w_1·active/capacity + w_2·GPU_util + w_3·Mem_util + w_4·queue/queue_max
/// (§5.5.1).
pub fn load(
	config: &RouterConfig,
	active: u32,
	capacity: u32,
	gpu_util: f64,
	mem_util: f64,
	queue: u32,
	queue_max: u32,
) -> f64 {
	let ratio = |a: u32, b: u32| if b == 0 { 1.0 } else { f64::from(a) / f64::from(b) };
	let [w1, w2, w3, w4] = config.load_weights;
	w1 * ratio(active, capacity) + w2 * gpu_util + w3 * mem_util + w4 * ratio(queue, queue_max)
}

/// Penalty(n) = (Load(n) − Load_threshold)² · k_overload above the threshold, else 0 (§5.5.3).
pub fn overload_penalty(config: &RouterConfig, load: f64) -> f64 {
	if load > config.load_threshold {
		(load - config.load_threshold).powi(2) * config.overload_k
	} else {
		0.0
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn close(a: f64, b: f64) -> bool {
		(a - b).abs() < 1e-12
	}

	#[test]
	fn latency_factor_by_hand() {
		let c = RouterConfig::default();
		// exp(−2 · 500 / 500) = e^−2
		assert!(close(latency(&c, 500.0, 500.0), 0.135_335_283_236_612_7));
		// exp(−2 · 125 / 500) = e^−0.5
		assert!(close(latency(&c, 125.0, 500.0), 0.606_530_659_712_633_4));
		assert!(close(latency(&c, 0.0, 500.0), 1.0));
		// exp(−2 · 1000 / 4000) = e^−0.5
		assert!(close(latency(&c, 1_000.0, 4_000.0), 0.606_530_659_712_633_4));
	}

	#[test]
	fn latency_baseline_grows_with_the_request() {
		let c = RouterConfig::default();
		// Short requests keep the whitepaper's 500 ms.
		assert!(close(latency_baseline(&c, 120.0), 500.0));
		assert!(close(latency_baseline(&c, 500.0), 500.0));
		// A 982 ms request on the reference GPU is judged against 982 ms.
		assert!(close(latency_baseline(&c, 982.0), 982.0));
		let fixed = RouterConfig { latency_baseline_per_reference: 0.0, ..c.clone() };
		assert!(close(latency_baseline(&fixed, 982.0), 500.0));
		assert!(close(latency_baseline(&c, f64::INFINITY), 500.0));
	}

	#[test]
	fn success_factor_by_hand() {
		let c = RouterConfig::default();
		assert!(close(success(&c, 0.95), 0.5));
		// 1 / (1 + e^{−20·0.04}) = 1 / (1 + e^−0.8)
		assert!(close(success(&c, 0.99), 0.689_974_481_127_612_8));
		// 1 / (1 + e^{1})
		assert!(close(success(&c, 0.90), 0.268_941_421_369_995_1));
	}

	#[test]
	fn cost_factor_by_hand() {
		assert!(close(cost(10.0, 10.0, 30.0), 1.0));
		assert!(close(cost(15.0, 10.0, 30.0), 0.75));
		assert!(close(cost(30.0, 10.0, 30.0), 0.0));
		assert!(close(cost(7.0, 7.0, 7.0), 1.0));
	}

	#[test]
	fn quality_factor_by_hand() {
		let c = RouterConfig::default();
		// qual = 0.4·0.9 + 0.3·0.8 + 0.3·0.7 = 0.81; φ = 0.81² = 0.6561
		assert!(close(quality(&c, 0.9, 0.8, 0.7), 0.6561));
	}

	#[test]
	fn haversine_by_hand() {
		// Paris (48.8566, 2.3522) to London (51.5074, −0.1278): 343.5 km.
		let d = haversine_km(48.8566, 2.3522, 51.5074, -0.1278);
		assert!((d - 343.556).abs() < 0.01, "{d}");
		// A quarter of the equator: π/2 · R.
		let quarter = haversine_km(0.0, 0.0, 0.0, 90.0);
		assert!((quarter - std::f64::consts::FRAC_PI_2 * EARTH_RADIUS_KM).abs() < 1e-9);
		let c = RouterConfig::default();
		// exp(−2000 / 2000) = e^−1
		assert!(close(proximity(&c, 2_000.0), 0.367_879_441_171_442_3));
	}

	#[test]
	fn risk_factor_by_hand() {
		let c = RouterConfig::default();
		let calm = RiskSignals::default();
		assert!(close(risk(&c, &calm), 0.5));
		// 0.5·1 + 1·0 + 1·1 + 2·0.25 = 2 → sigmoid(2) = 0.880797…; × (1 + 0.5·2) = 1.761594…
		let signals = RiskSignals {
			burst_z: 1.0,
			dispute_z: 0.0,
			failure_z: 1.0,
			fraud_z: 0.25,
			violations: 2,
		};
		assert!(close(risk(&c, &signals), 2.0 * 0.880_797_077_977_882_3));
	}

	#[test]
	fn load_and_overload_by_hand() {
		let c = RouterConfig::default();
		// 0.4·(3/4) + 0.3·0.5 + 0.1·0.2 + 0.2·(5/10) = 0.3 + 0.15 + 0.02 + 0.1 = 0.57
		assert!(close(load(&c, 3, 4, 0.5, 0.2, 5, 10), 0.57));
		assert!(close(overload_penalty(&c, 0.57), 0.0));
		// (1.0 − 0.8)² · 4 = 0.16
		assert!(close(overload_penalty(&c, 1.0), 0.16));
	}
}
