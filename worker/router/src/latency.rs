//! Latency prediction (whitepaper §5.3): `lat_pred = RTT + W_q + T_compute`.

use crate::RouterConfig;

/// The per-token compute model `T_compute = T_base + α·in + β·out + γ·in·out / context`
/// of the reference GPU (§5.3.2), all in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ComputeModel {
	pub base_ms: f64,
	pub per_input_token_ms: f64,
	pub per_output_token_ms: f64,
	pub cross_ms: f64,
}

impl Default for ComputeModel {
	/// A 7B-class model on the reference GPU: 20 ms set-up, 0.2 ms per prompt token,
	/// 15 ms per generated token.
	fn default() -> Self {
		Self { base_ms: 20.0, per_input_token_ms: 0.2, per_output_token_ms: 15.0, cross_ms: 0.5 }
	}
}

impl ComputeModel {
	/// `T_compute` on the reference GPU.
	pub fn reference_ms(&self, tokens_in: u32, tokens_out: u32, context: u32) -> f64 {
		let (tin, tout) = (f64::from(tokens_in), f64::from(tokens_out));
		let cross =
			if context == 0 { 0.0 } else { self.cross_ms * tin * tout / f64::from(context) };
		self.base_ms + self.per_input_token_ms * tin + self.per_output_token_ms * tout + cross
	}
}

/// `(FLOPS_ref / FLOPS_GPU) · (BW_ref / BW_GPU)^δ` (§5.3.2): how much slower than the
/// reference a GPU computes.
pub fn gpu_factor(config: &RouterConfig, tflops: f64, bandwidth_gbs: f64) -> f64 {
	if tflops <= 0.0 || bandwidth_gbs <= 0.0 {
		return f64::INFINITY;
	}
	(config.reference_tflops / tflops)
		* (config.reference_bandwidth_gbs / bandwidth_gbs).powf(config.bandwidth_exponent)
}

/// Kingman's approximation of the M/G/m queueing wait (§5.3.1):
/// `ρ = λ / (m·μ)`, `W_q ≈ (ρ / (1 − ρ)) · ((C_a² + C_s²) / 2) · (1 / μ)`.
/// `arrival_rate` λ and `service_rate` μ per second; returns milliseconds, or `None` when
/// `ρ ≥ max_utilisation` (the queue grows without bound).
pub fn kingman_wait_ms(
	config: &RouterConfig,
	arrival_rate: f64,
	service_rate: f64,
	servers: u32,
	ca2: f64,
	cs2: f64,
) -> Option<f64> {
	if service_rate <= 0.0 || servers == 0 {
		return None;
	}
	let rho = arrival_rate.max(0.0) / (f64::from(servers) * service_rate);
	if rho >= config.max_utilisation {
		return None;
	}
	Some(rho / (1.0 - rho) * (ca2 + cs2) / 2.0 / service_rate * 1_000.0)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn kingman_by_hand() {
		let c = RouterConfig::default();
		// λ = 6/s, m = 2, μ = 4/s: ρ = 0.75; W_q = 3 · (1 + 0.5)/2 · 0.25 s = 0.5625 s.
		let w = kingman_wait_ms(&c, 6.0, 4.0, 2, 1.0, 0.5).unwrap();
		assert!((w - 562.5).abs() < 1e-9, "{w}");
		// An idle worker does not wait.
		assert_eq!(kingman_wait_ms(&c, 0.0, 4.0, 2, 1.0, 1.0), Some(0.0));
		// Saturated: ρ = 1.
		assert_eq!(kingman_wait_ms(&c, 8.0, 4.0, 2, 1.0, 1.0), None);
	}

	#[test]
	fn compute_time_by_hand() {
		let model = ComputeModel {
			base_ms: 10.0,
			per_input_token_ms: 0.1,
			per_output_token_ms: 5.0,
			cross_ms: 2.0,
		};
		// 10 + 0.1·100 + 5·20 + 2·100·20/1000 = 10 + 10 + 100 + 4 = 124
		assert!((model.reference_ms(100, 20, 1_000) - 124.0).abs() < 1e-12);
		let c = RouterConfig::default();
		// Half the FLOPS and a quarter of the bandwidth: 2 · 4^0.5 = 4× slower.
		let f = gpu_factor(&c, 156.0, 2_039.0 / 4.0);
		assert!((f - 4.0).abs() < 1e-12, "{f}");
	}
}
