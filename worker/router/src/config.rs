//! Every constant of chapter 5 as configuration. Values the whitepaper gives are its
//! defaults (λ_l = 2.0, lat_baseline = 500 ms, k_r = 20, succ_threshold = 0.95, top K = 20);
//! the others are AIL2's choices, documented where they are set.

/// Weights of the score `w_l·φ_l + w_r·φ_r + w_c·φ_c + w_q·φ_q + w_p·φ_p − w_s·φ_s` (§5.2).
#[derive(Clone, Debug, PartialEq)]
pub struct Weights {
	pub latency: f64,
	pub success: f64,
	pub cost: f64,
	pub quality: f64,
	pub proximity: f64,
	pub risk: f64,
}

impl Default for Weights {
	/// Latency and reliability first, as users notice them most; they sum to 1 with risk.
	fn default() -> Self {
		Self {
			latency: 0.30,
			success: 0.25,
			cost: 0.15,
			quality: 0.15,
			proximity: 0.05,
			risk: 0.10,
		}
	}
}

#[derive(Clone, Debug, PartialEq)]
pub struct RouterConfig {
	pub weights: Weights,
	/// `λ_l` of φ_l (§5.2.1).
	pub latency_decay: f64,
	/// `lat_baseline` of φ_l, milliseconds.
	pub latency_baseline_ms: f64,
	/// The baseline of a request is the larger of `latency_baseline_ms` and this multiple of
	/// its compute time on the reference GPU (§5.3.2); 0 keeps the fixed baseline. With a
	/// fixed 500 ms, every worker is scored near 0 for a long generation (φ_l(2 s) = e^−8),
	/// so a request of a thousand tokens could not tell a 2 s worker from a 20 s one.
	pub latency_baseline_per_reference: f64,
	/// `k_r` of φ_r (§5.2.2).
	pub success_steepness: f64,
	/// `succ_threshold` of φ_r.
	pub success_threshold: f64,
	/// `α_acc, α_rel, α_coh` of the quality mix (§5.2.4).
	pub quality_mix: [f64; 3],
	/// `γ_q` of φ_q = qual^γ_q.
	pub quality_exponent: f64,
	/// `d_scale` of φ_p = exp(−d / d_scale), kilometres (§5.2.5).
	pub proximity_scale_km: f64,
	/// `β_1..β_4` of the risk sigmoid: burst, dispute, failure and fraud z-scores (§5.2.6).
	pub risk_betas: [f64; 4],
	/// `penalty_multiplier` of φ_s = risk · (1 + penalty_multiplier · violations).
	pub risk_violation_multiplier: f64,
	/// UCB-V (true) or UCB1 (false) exploration bonus (§5.4.1).
	pub ucb_variance: bool,
	/// Scale of the bonus against the score. UCB's bonus is sized for rewards in [0, b] and
	/// grows like `3·b·ln t / N`, which would drown score differences of a tenth; this keeps
	/// exploration of warm workers within the score's range.
	pub exploration_weight: f64,
	/// `c` of UCB1.
	pub ucb1_c: f64,
	/// `b`, the reward bound of UCB-V (rewards lie in [0, 1]).
	pub reward_bound: f64,
	/// Candidates kept for sampling (`top_k(ucb, 20)`, §5.6).
	pub top_k: usize,
	/// `τ_min, τ_max, τ_anneal` of τ = τ_min + (τ_max − τ_min)·exp(−t / τ_anneal) (§5.4.2).
	pub temperature_min: f64,
	pub temperature_max: f64,
	pub temperature_anneal: f64,
	/// `α_prior, β_prior` of the Beta posterior (§5.4.3).
	pub beta_prior: (f64, f64),
	/// Workers with fewer observations than this are scored with a Thompson sample of their
	/// success rate instead of its estimate, and get no UCB bonus: the sample is their
	/// exploration (§5.4.3), so a large fleet of newcomers does not crowd the top K.
	pub cold_start_observations: u64,
	/// Cold workers scored per decision at most; they take turns, so a fleet of newcomers
	/// costs each decision a bounded number of Thompson draws.
	pub cold_candidates: usize,
	/// `w_1..w_4` of Load = w_1·active/capacity + w_2·GPU + w_3·memory + w_4·queue/queue_max
	/// (§5.5.1).
	pub load_weights: [f64; 4],
	/// `Load_threshold` and `k_overload` of the overload penalty (§5.5.3).
	pub load_threshold: f64,
	pub overload_k: f64,
	/// Scores closer than this count as equal; the less loaded worker wins (§5.5.2).
	pub tie_epsilon: f64,
	/// `α_base` and `τ_decay` of the learning rate α = α_base·exp(−t / τ_decay) (§5.3.3);
	/// `α_min` keeps a worker's estimates following it after many observations.
	pub learning_rate_base: f64,
	pub learning_rate_decay: f64,
	pub learning_rate_min: f64,
	/// Reference GPU of the compute-time model (§5.3.2): TFLOPS, GB/s, and `δ`.
	pub reference_tflops: f64,
	pub reference_bandwidth_gbs: f64,
	pub bandwidth_exponent: f64,
	/// Below this predicted utilisation `ρ` the Kingman wait is used; at or above it the
	/// worker is saturated and its predicted latency is `saturated_latency_ms`.
	pub max_utilisation: f64,
	pub saturated_latency_ms: f64,
}

impl Default for RouterConfig {
	fn default() -> Self {
		Self {
			weights: Weights::default(),
			latency_decay: 2.0,
			latency_baseline_ms: 500.0,
			latency_baseline_per_reference: 1.0,
			success_steepness: 20.0,
			success_threshold: 0.95,
			quality_mix: [0.4, 0.3, 0.3],
			quality_exponent: 2.0,
			proximity_scale_km: 2_000.0,
			risk_betas: [0.5, 1.0, 1.0, 2.0],
			risk_violation_multiplier: 0.5,
			ucb_variance: true,
			exploration_weight: 0.05,
			ucb1_c: 2f64.sqrt(),
			reward_bound: 1.0,
			top_k: 20,
			// Scores span about one unit; τ = 0.05 lets a worker 0.1 behind take ~12% of
			// traffic at first, τ = 0.005 almost none once annealed over a few thousand
			// decisions.
			temperature_min: 0.005,
			temperature_max: 0.05,
			temperature_anneal: 2_000.0,
			// A newcomer is presumed near the success threshold (prior mean 0.95, worth 20
			// observations), so its Thompson samples compete with established workers.
			beta_prior: (19.0, 1.0),
			cold_start_observations: 10,
			cold_candidates: 20,
			load_weights: [0.4, 0.3, 0.1, 0.2],
			load_threshold: 0.8,
			overload_k: 4.0,
			tie_epsilon: 1e-9,
			learning_rate_base: 0.5,
			learning_rate_decay: 50.0,
			learning_rate_min: 0.05,
			reference_tflops: 312.0,
			reference_bandwidth_gbs: 2_039.0,
			bandwidth_exponent: 0.5,
			max_utilisation: 0.99,
			saturated_latency_ms: 60_000.0,
		}
	}
}
