//! The routing workflow of whitepaper §5.6: filter by hard constraints, predict latency,
//! score, add the exploration bonus, keep the top K, sample by softmax, retry elsewhere on
//! failure, and learn from every response.

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use crate::{
	factors::{self, RiskSignals},
	latency::{gpu_factor, kingman_wait_ms, ComputeModel},
	learning::Ewma,
	sampling, RouterConfig,
};

/// A worker's on-chain identity (its hot key's account).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkerId(pub [u8; 32]);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkerStatus {
	Available,
	Busy,
	Offline,
}

/// Degrees of latitude and longitude.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GeoPoint {
	pub lat: f64,
	pub lon: f64,
}

/// A disc on the globe: where a model may run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Region {
	pub center: GeoPoint,
	pub radius_km: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Gpu {
	pub vram_mib: u32,
	/// CUDA version `(major, minor)`.
	pub cuda: (u8, u8),
	pub tflops: f64,
	pub bandwidth_gbs: f64,
}

/// What the registry and the health probes say about a worker.
#[derive(Clone, Debug, PartialEq)]
pub struct Worker {
	pub id: WorkerId,
	pub gpu: Gpu,
	pub location: GeoPoint,
	pub status: WorkerStatus,
	/// Expected price of a request, in any unit shared by all workers.
	pub price: f64,
	/// Requests it runs in parallel (`m`), and how many may wait.
	pub capacity: u32,
	pub queue_max: u32,
	/// Accuracy, relevance and coherence in [0, 1], from evaluations.
	pub quality: [f64; 3],
	pub risk: RiskSignals,
}

/// What a request needs and prefers (§5.1).
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
	pub vram_mib: u32,
	pub cuda: (u8, u8),
	/// Empty: anywhere.
	pub allowed_regions: Vec<Region>,
	pub client: Option<GeoPoint>,
	pub max_latency_ms: Option<f64>,
	pub budget: Option<f64>,
	pub min_quality: Option<f64>,
	pub tokens_in: u32,
	pub tokens_out: u32,
	pub context: u32,
}

/// What happened to a dispatched request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
	pub success: bool,
	/// End-to-end latency the gateway saw.
	pub latency_ms: f64,
	/// Network round trip, if measured separately (health probes).
	pub rtt_ms: Option<f64>,
	/// Time the worker spent computing, if it reported it.
	pub compute_ms: Option<f64>,
	pub tokens_in: u32,
	pub tokens_out: u32,
	pub context: u32,
}

/// A routing decision: the chosen worker and the top K it was drawn from (for a retry).
#[derive(Clone, Debug, PartialEq)]
pub struct Selection {
	pub chosen: WorkerId,
	pub top_k: Vec<WorkerId>,
	pub predicted_latency_ms: f64,
	pub score: f64,
}

/// A worker with everything learned about it.
#[derive(Clone, Debug)]
struct Tracked {
	worker: Worker,
	rtt_ms: Ewma,
	service_ms: Ewma,
	interarrival_ms: Ewma,
	last_dispatch_ms: Option<f64>,
	/// Observed compute time over the model's prediction for this GPU.
	compute_correction: Ewma,
	successes: u64,
	failures: u64,
	/// Reward = success × φ_l(observed latency): its running mean and variance (Welford).
	visits: u64,
	reward_mean: f64,
	reward_m2: f64,
	active: u32,
	queue: u32,
	gpu_util: f64,
	mem_util: f64,
}

impl Tracked {
	fn new(worker: Worker) -> Self {
		Self {
			worker,
			rtt_ms: Ewma::with_prior(50.0),
			service_ms: Ewma::default(),
			interarrival_ms: Ewma::default(),
			last_dispatch_ms: None,
			compute_correction: Ewma::with_prior(1.0),
			successes: 0,
			failures: 0,
			visits: 0,
			reward_mean: 0.0,
			reward_m2: 0.0,
			active: 0,
			queue: 0,
			gpu_util: 0.0,
			mem_util: 0.0,
		}
	}

	fn reward_variance(&self) -> f64 {
		if self.visits < 2 {
			0.25
		} else {
			self.reward_m2 / self.visits as f64
		}
	}
}

/// One candidate's numbers during a decision.
struct Candidate {
	id: WorkerId,
	latency_ms: f64,
	score: f64,
	ucb: f64,
	load: f64,
}

pub struct Router {
	config: RouterConfig,
	compute: ComputeModel,
	workers: BTreeMap<WorkerId, Tracked>,
	decisions: u64,
	rng: ChaCha20Rng,
}

impl Router {
	pub fn new(config: RouterConfig, compute: ComputeModel, seed: u64) -> Self {
		Self {
			config,
			compute,
			workers: BTreeMap::new(),
			decisions: 0,
			rng: ChaCha20Rng::seed_from_u64(seed),
		}
	}

	pub fn config(&self) -> &RouterConfig {
		&self.config
	}

	/// Adds a worker, or updates what the registry says about one (its learned stats stay).
	pub fn upsert(&mut self, worker: Worker) {
		match self.workers.get_mut(&worker.id) {
			Some(tracked) => tracked.worker = worker,
			None => {
				self.workers.insert(worker.id, Tracked::new(worker));
			},
		}
	}

	pub fn remove(&mut self, id: &WorkerId) {
		self.workers.remove(id);
	}

	pub fn len(&self) -> usize {
		self.workers.len()
	}

	pub fn is_empty(&self) -> bool {
		self.workers.is_empty()
	}

	/// What a health probe reported: requests running and queued, GPU and memory use.
	pub fn report_load(
		&mut self,
		id: &WorkerId,
		active: u32,
		queue: u32,
		gpu_util: f64,
		mem_util: f64,
	) {
		if let Some(tracked) = self.workers.get_mut(id) {
			tracked.active = active;
			tracked.queue = queue;
			tracked.gpu_util = gpu_util.clamp(0.0, 1.0);
			tracked.mem_util = mem_util.clamp(0.0, 1.0);
		}
	}

	/// A network round trip measured outside a request (a health probe).
	pub fn observe_rtt(&mut self, id: &WorkerId, rtt_ms: f64) {
		let config = &self.config;
		if let Some(tracked) = self.workers.get_mut(id) {
			tracked.rtt_ms.observe(config, rtt_ms.max(0.0));
		}
	}

	/// The worker as last upserted, if known.
	pub fn worker(&self, id: &WorkerId) -> Option<&Worker> {
		self.workers.get(id).map(|t| &t.worker)
	}

	/// Every known worker's id.
	pub fn ids(&self) -> impl Iterator<Item = &WorkerId> {
		self.workers.keys()
	}

	pub fn set_status(&mut self, id: &WorkerId, status: WorkerStatus) {
		if let Some(tracked) = self.workers.get_mut(id) {
			tracked.worker.status = status;
		}
	}

	/// Hard constraints (§5.1): VRAM, CUDA, region, availability.
	pub fn admissible(worker: &Worker, request: &Request) -> bool {
		worker.status == WorkerStatus::Available
			&& worker.gpu.vram_mib >= request.vram_mib
			&& worker.gpu.cuda >= request.cuda
			&& (request.allowed_regions.is_empty()
				|| request.allowed_regions.iter().any(|region| {
					factors::haversine_km(
						region.center.lat,
						region.center.lon,
						worker.location.lat,
						worker.location.lon,
					) <= region.radius_km
				}))
	}

	/// `lat_pred = RTT + W_q + T_compute` (§5.3).
	fn predict_latency(&self, tracked: &Tracked, request: &Request) -> f64 {
		let gpu = &tracked.worker.gpu;
		let compute =
			self.compute.reference_ms(request.tokens_in, request.tokens_out, request.context)
				* gpu_factor(&self.config, gpu.tflops, gpu.bandwidth_gbs)
				* tracked.compute_correction.mean.max(0.0);
		let service_ms =
			if tracked.service_ms.observations > 0 { tracked.service_ms.mean } else { compute };
		let arrival_rate =
			if tracked.interarrival_ms.observations > 0 && tracked.interarrival_ms.mean > 0.0 {
				1_000.0 / tracked.interarrival_ms.mean
			} else {
				0.0
			};
		let wait = if service_ms > 0.0 {
			kingman_wait_ms(
				&self.config,
				arrival_rate,
				1_000.0 / service_ms,
				tracked.worker.capacity,
				tracked.interarrival_ms.cv2(),
				tracked.service_ms.cv2(),
			)
		} else {
			Some(0.0)
		};
		match wait {
			Some(wait) if compute.is_finite() => tracked.rtt_ms.mean + wait + compute,
			_ => self.config.saturated_latency_ms,
		}
	}

	fn load(&self, tracked: &Tracked) -> f64 {
		factors::load(
			&self.config,
			tracked.active,
			tracked.worker.capacity,
			tracked.gpu_util,
			tracked.mem_util,
			tracked.queue,
			tracked.worker.queue_max,
		)
	}

	/// The success rate the score uses: the posterior mean, or a Thompson sample from
	/// Beta(α_prior + successes, β_prior + failures) while the worker is new (§5.4.3).
	fn success_rate(&mut self, id: &WorkerId) -> f64 {
		let Some(tracked) = self.workers.get(id) else { return 0.0 };
		let (a0, b0) = self.config.beta_prior;
		let alpha = a0 + tracked.successes as f64;
		let beta = b0 + tracked.failures as f64;
		if tracked.successes + tracked.failures < self.config.cold_start_observations {
			sampling::beta(alpha, beta, &mut self.rng)
		} else {
			alpha / (alpha + beta)
		}
	}

	/// Chooses a worker for `request` at time `now_ms` (any monotonic clock), or `None` when
	/// no worker meets the hard constraints.
	pub fn select(&mut self, request: &Request, now_ms: f64) -> Option<Selection> {
		self.select_excluding(request, now_ms, &[])
	}

	/// Chooses again after `failed` did not answer: from the decision's top K without it,
	/// or from every admissible worker but it if the top K has no one left (§5.6).
	pub fn retry_select(
		&mut self,
		request: &Request,
		previous: &Selection,
		now_ms: f64,
	) -> Option<Selection> {
		let excluded = [previous.chosen];
		let restricted: Vec<WorkerId> =
			previous.top_k.iter().copied().filter(|id| *id != previous.chosen).collect();
		if restricted
			.iter()
			.any(|id| self.workers.get(id).is_some_and(|t| Self::admissible(&t.worker, request)))
		{
			self.decide(request, now_ms, |id| restricted.contains(id))
		} else {
			self.select_excluding(request, now_ms, &excluded)
		}
	}

	fn select_excluding(
		&mut self,
		request: &Request,
		now_ms: f64,
		excluded: &[WorkerId],
	) -> Option<Selection> {
		self.decide(request, now_ms, |id| !excluded.contains(id))
	}

	fn decide(
		&mut self,
		request: &Request,
		now_ms: f64,
		allowed: impl Fn(&WorkerId) -> bool,
	) -> Option<Selection> {
		self.decisions = self.decisions.saturating_add(1);
		let t = self.decisions;
		let ids: Vec<WorkerId> = self
			.workers
			.iter()
			.filter(|(id, tracked)| allowed(id) && Self::admissible(&tracked.worker, request))
			.map(|(id, _)| *id)
			.collect();
		if ids.is_empty() {
			return None;
		}

		// Soft constraints (best effort): keep the workers that meet them, if any do.
		let latencies: Vec<f64> = ids
			.iter()
			.filter_map(|id| self.workers.get(id).map(|t| self.predict_latency(t, request)))
			.collect();
		let meets_soft = |tracked: &Tracked, latency: f64, config: &RouterConfig| {
			let [acc, rel, coh] = tracked.worker.quality;
			let [a, r, c] = config.quality_mix;
			request.max_latency_ms.is_none_or(|max| latency <= max)
				&& request.budget.is_none_or(|budget| tracked.worker.price <= budget)
				&& request.min_quality.is_none_or(|min| a * acc + r * rel + c * coh >= min)
		};
		let preferred: Vec<(WorkerId, f64)> = ids
			.iter()
			.zip(&latencies)
			.filter(|(id, latency)| {
				self.workers.get(id).is_some_and(|t| meets_soft(t, **latency, &self.config))
			})
			.map(|(id, latency)| (*id, *latency))
			.collect();
		let pool: Vec<(WorkerId, f64)> =
			if preferred.is_empty() { ids.into_iter().zip(latencies).collect() } else { preferred };

		let (min_cost, max_cost) = pool
			.iter()
			.filter_map(|(id, _)| self.workers.get(id))
			.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), t| {
				(lo.min(t.worker.price), hi.max(t.worker.price))
			});

		let mut candidates = Vec::with_capacity(pool.len());
		for (id, latency_ms) in pool {
			let success = self.success_rate(&id);
			let Some(tracked) = self.workers.get(&id) else { continue };
			let config = &self.config;
			let w = &config.weights;
			let [acc, rel, coh] = tracked.worker.quality;
			let proximity = request.client.map_or(1.0, |client| {
				factors::proximity(
					config,
					factors::haversine_km(
						client.lat,
						client.lon,
						tracked.worker.location.lat,
						tracked.worker.location.lon,
					),
				)
			});
			let load = self.load(tracked);
			let score = w.latency * factors::latency(config, latency_ms)
				+ w.success * factors::success(config, success)
				+ w.cost * factors::cost(tracked.worker.price, min_cost, max_cost)
				+ w.quality * factors::quality(config, acc, rel, coh)
				+ w.proximity * proximity
				- w.risk * factors::risk(config, &tracked.worker.risk)
				- factors::overload_penalty(config, load);
			let bonus = if tracked.visits < config.cold_start_observations {
				0.0
			} else if config.ucb_variance {
				config.exploration_weight
					* sampling::ucb_v_bonus(
						tracked.reward_variance(),
						config.reward_bound,
						t,
						tracked.visits,
					)
			} else {
				config.exploration_weight * sampling::ucb1_bonus(config.ucb1_c, t, tracked.visits)
			};
			candidates.push(Candidate { id, latency_ms, score, ucb: score + bonus, load });
		}

		// Top K by UCB (ties: less load, then id), then softmax over their scores.
		let k = self.config.top_k.max(1).min(candidates.len());
		let by_ucb = |a: &Candidate, b: &Candidate| {
			b.ucb.total_cmp(&a.ucb).then(a.load.total_cmp(&b.load)).then(a.id.cmp(&b.id))
		};
		if k < candidates.len() {
			candidates.select_nth_unstable_by(k - 1, by_ucb);
			candidates.truncate(k);
		}
		candidates.sort_by(by_ucb);
		let scores: Vec<f64> = candidates.iter().map(|c| c.score).collect();
		let probabilities = sampling::softmax(&scores, sampling::temperature(&self.config, t));
		let drawn = candidates.get(sampling::categorical(&probabilities, &mut self.rng))?;
		// Least-load tie-breaking: among candidates scoring the same, the least loaded.
		let epsilon = self.config.tie_epsilon;
		let chosen = candidates
			.iter()
			.filter(|c| (c.score - drawn.score).abs() <= epsilon)
			.min_by(|a, b| a.load.total_cmp(&b.load).then(a.id.cmp(&b.id)))
			.unwrap_or(drawn);
		let selection = Selection {
			chosen: chosen.id,
			top_k: candidates.iter().map(|c| c.id).collect(),
			predicted_latency_ms: chosen.latency_ms,
			score: chosen.score,
		};

		if let Some(tracked) = self.workers.get_mut(&selection.chosen) {
			tracked.active = tracked.active.saturating_add(1);
			if let Some(last) = tracked.last_dispatch_ms {
				tracked.interarrival_ms.observe(&self.config, (now_ms - last).max(0.0));
			}
			tracked.last_dispatch_ms = Some(now_ms);
		}
		Some(selection)
	}

	/// Learns from a response (§5.6 `update_stats`): success counts, the reward's mean and
	/// variance, RTT, service time and the compute-time correction.
	pub fn update(&mut self, id: &WorkerId, outcome: &Outcome) {
		let config = self.config.clone();
		let predicted_compute =
			self.compute.reference_ms(outcome.tokens_in, outcome.tokens_out, outcome.context);
		let Some(tracked) = self.workers.get_mut(id) else { return };
		tracked.active = tracked.active.saturating_sub(1);
		if outcome.success {
			tracked.successes = tracked.successes.saturating_add(1);
		} else {
			tracked.failures = tracked.failures.saturating_add(1);
		}
		let reward =
			if outcome.success { factors::latency(&config, outcome.latency_ms) } else { 0.0 };
		tracked.visits = tracked.visits.saturating_add(1);
		let delta = reward - tracked.reward_mean;
		tracked.reward_mean += delta / tracked.visits as f64;
		tracked.reward_m2 += delta * (reward - tracked.reward_mean);

		if let Some(rtt) = outcome.rtt_ms {
			tracked.rtt_ms.observe(&config, rtt);
		}
		if outcome.success {
			let compute =
				outcome.compute_ms.unwrap_or((outcome.latency_ms - tracked.rtt_ms.mean).max(0.0));
			tracked.service_ms.observe(&config, compute);
			let gpu =
				gpu_factor(&config, tracked.worker.gpu.tflops, tracked.worker.gpu.bandwidth_gbs);
			let expected = predicted_compute * gpu;
			if expected > 0.0 && expected.is_finite() {
				tracked.compute_correction.observe(&config, compute / expected);
			}
		}
	}

	/// The learned success counts and visits of a worker, for metrics.
	pub fn stats(&self, id: &WorkerId) -> Option<(u64, u64, u64)> {
		self.workers.get(id).map(|t| (t.successes, t.failures, t.visits))
	}

	/// The latency the router predicts for `request` on `id` now.
	pub fn predicted_latency(&self, id: &WorkerId, request: &Request) -> Option<f64> {
		self.workers.get(id).map(|t| self.predict_latency(t, request))
	}
}
