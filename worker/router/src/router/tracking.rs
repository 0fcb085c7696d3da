//! Per-worker tracking: what is learned about each worker (§5.3.3, §5.4), and the numbers a
//! decision reads of it, recomputed whenever either changes.
//!
//! `Router::workers[i]` is a [`Tracked`] worker; `lanes[i]` and `cached[i]` are what a
//! decision reads of it, and slot `i % 8` of `blocks[i / 8]` the sweep's `f32` copy
//! (`sweep.rs`). Every change to a worker — an upsert, a load report, an RTT probe, a
//! dispatch, an outcome — ends in [`Router::refresh`], which rebuilds all three, so a
//! decision only adds what depends on the request.

use crate::{
	factors,
	latency::{gpu_factor, kingman_wait_ms},
	learning::Ewma,
	sampling::{self, Bonus},
	RouterConfig,
};

use super::{
	types::{cuda_rank, Outcome, Worker, WorkerId, WorkerStatus},
	Router,
};

/// Flags of a [`Lane`].
pub(super) const AVAILABLE: u8 = 1;
/// Scored with a Thompson sample of its success rate (§5.4.3) instead of its mean.
pub(super) const COLD: u8 = 2;
/// In the previous decision's top K or its runners-up: scored first in the next decision,
/// so the bar for entering the top K starts high and most workers are ruled out by a cheap
/// bound.
pub(super) const IN_TOP: u8 = 4;

/// What every decision reads of a worker, recomputed whenever the worker or what is learned
/// about it changes, so that a decision only adds the parts that depend on the request.
///
/// One cache line per worker, in an array of its own: a decision over a thousand workers
/// streams 64 KiB and touches nothing else for workers that cannot make the top K.
#[derive(Clone, Copy, Debug)]
#[repr(C, align(64))]
pub(super) struct Lane {
	/// `w_q·φ_q − w_s·φ_s − Penalty(load)`, plus `w_r·φ_r(posterior mean)` once warm.
	pub(super) fixed: f64,
	pub(super) price: f64,
	/// `RTT + W_q` when the same for every request (a service time has been observed and
	/// the worker is not saturated); NaN when it is worked out per request.
	pub(super) wait_ms: f64,
	/// Compute time relative to the reference GPU: GPU factor × learned correction.
	pub(super) slowness: f64,
	/// The exploration bonus's coefficients (UCB1 or UCB-V); none while cold.
	pub(super) bonus: Bonus,
	/// φ_p from the router's `proximity_client`.
	pub(super) proximity: f64,
	pub(super) vram_mib: u32,
	/// CUDA `major·256 + minor`: one comparison.
	pub(super) cuda: u16,
	pub(super) flags: u8,
}

impl Lane {
	/// `lat_pred = RTT + W_q + T_compute` (§5.3) from the lane alone, when its wait is the
	/// same for every request; `None` when [`Tracked::predict`] must work it out.
	#[inline]
	pub(super) fn known_latency(&self, config: &RouterConfig, reference_ms: f64) -> Option<f64> {
		if self.wait_ms.is_nan() {
			return None;
		}
		let compute = reference_ms * self.slowness;
		Some(if compute.is_finite() { self.wait_ms + compute } else { config.saturated_latency_ms })
	}
}

impl Default for Lane {
	fn default() -> Self {
		Self {
			fixed: 0.0,
			// Not a price: the first refresh marks the prices changed.
			price: f64::NAN,
			wait_ms: f64::NAN,
			slowness: 1.0,
			bonus: Bonus::NONE,
			proximity: 1.0,
			vram_mib: 0,
			cuda: 0,
			flags: COLD,
		}
	}
}

/// How a worker's queueing wait is known.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Wait {
	/// From its observed service time: `RTT + W_q`, the same for every request.
	Known(f64),
	/// `ρ ≥ max_utilisation` at the last dispatch. The arrival rate falls once the router
	/// stops sending: from `until_ms` on, the time since that dispatch alone would bring `ρ`
	/// below the limit, and the wait is worked out again at each decision.
	Saturated { until_ms: f64 },
	/// No service time observed yet: estimated from each request's compute time.
	PerRequest,
}

/// The rest of what a decision may need of a worker, beside its [`Lane`].
#[derive(Clone, Copy, Debug)]
pub(super) struct Cached {
	/// Beta posterior of the success rate: `α_prior + successes`, `β_prior + failures`.
	pub(super) alpha: f64,
	pub(super) beta: f64,
	pub(super) load: f64,
	/// `(n − m + 1)⁺ / m` for `n` requests running or queued on `m` slots: a new request
	/// waits for this many service times (the wait given the backlog the router knows).
	pub(super) backlog: f64,
	/// `qual` (before the exponent), for the `min_quality` preference.
	pub(super) qual: f64,
	pub(super) wait: Wait,
}

impl Default for Cached {
	fn default() -> Self {
		Self { alpha: 1.0, beta: 1.0, load: 0.0, backlog: 0.0, qual: 0.0, wait: Wait::PerRequest }
	}
}

/// A worker with everything learned about it.
#[derive(Clone, Debug)]
pub(super) struct Tracked {
	pub(super) worker: Worker,
	rtt_ms: Ewma,
	service_ms: Ewma,
	interarrival_ms: Ewma,
	last_dispatch_ms: Option<f64>,
	/// Observed compute time over the model's prediction for this GPU.
	compute_correction: Ewma,
	pub(super) successes: u64,
	pub(super) failures: u64,
	/// Reward = success × φ_l(observed latency): its running mean and variance (Welford).
	pub(super) visits: u64,
	reward_mean: f64,
	reward_m2: f64,
	active: u32,
	queue: u32,
	gpu_util: f64,
	mem_util: f64,
}

impl Tracked {
	pub(super) fn new(worker: Worker) -> Self {
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

	/// What a health probe reported: requests running and queued, GPU and memory use.
	pub(super) fn report_load(&mut self, active: u32, queue: u32, gpu_util: f64, mem_util: f64) {
		self.active = active;
		self.queue = queue;
		self.gpu_util = gpu_util.clamp(0.0, 1.0);
		self.mem_util = mem_util.clamp(0.0, 1.0);
	}

	/// A network round trip measured outside a request (a health probe).
	pub(super) fn observe_rtt(&mut self, config: &RouterConfig, rtt_ms: f64) {
		self.rtt_ms.observe(config, rtt_ms.max(0.0));
	}

	/// A request sent to it at `now_ms`: one more running, and an interarrival time observed.
	pub(super) fn dispatched(&mut self, config: &RouterConfig, now_ms: f64) {
		self.active = self.active.saturating_add(1);
		if let Some(last) = self.last_dispatch_ms {
			self.interarrival_ms.observe(config, (now_ms - last).max(0.0));
		}
		self.last_dispatch_ms = Some(now_ms);
	}

	/// Learns from a response (§5.6 `update_stats`) to a request whose compute time on the
	/// reference GPU was predicted as `predicted_compute`: success counts, the reward's mean
	/// and variance, RTT, service time and the compute-time correction (§5.3.3).
	pub(super) fn learn(
		&mut self,
		config: &RouterConfig,
		outcome: &Outcome,
		predicted_compute: f64,
	) {
		self.active = self.active.saturating_sub(1);
		if outcome.success {
			self.successes = self.successes.saturating_add(1);
		} else {
			self.failures = self.failures.saturating_add(1);
		}
		let baseline_ms = factors::latency_baseline(config, predicted_compute);
		let reward = if outcome.success {
			factors::latency(config, outcome.latency_ms, baseline_ms)
		} else {
			0.0
		};
		self.visits = self.visits.saturating_add(1);
		let delta = reward - self.reward_mean;
		self.reward_mean += delta / self.visits as f64;
		self.reward_m2 += delta * (reward - self.reward_mean);

		if let Some(rtt) = outcome.rtt_ms {
			self.rtt_ms.observe(config, rtt);
		}
		if outcome.success {
			let compute =
				outcome.compute_ms.unwrap_or((outcome.latency_ms - self.rtt_ms.mean).max(0.0));
			self.service_ms.observe(config, compute);
			let gpu = gpu_factor(config, self.worker.gpu.tflops, self.worker.gpu.bandwidth_gbs);
			let expected = predicted_compute * gpu;
			if expected > 0.0 && expected.is_finite() {
				self.compute_correction.observe(config, compute / expected);
			}
		}
	}

	/// The queueing wait `W_q` of a request with service time `service_ms`: Kingman's mean
	/// wait (§5.3.1) at the learned arrival rate, or the wait behind the known backlog if
	/// that is longer. `now_ms` (the decision's time) caps the arrival rate by the time since
	/// the last dispatch; `None` when the worker is saturated (`ρ ≥ max_utilisation`).
	fn wait_for(
		&self,
		config: &RouterConfig,
		service_ms: f64,
		backlog: f64,
		now_ms: Option<f64>,
	) -> Option<f64> {
		if service_ms <= 0.0 {
			return Some(0.0);
		}
		let mut interarrival = self.interarrival_ms.mean;
		if let (Some(now), Some(last)) = (now_ms, self.last_dispatch_ms) {
			interarrival = interarrival.max(now - last);
		}
		let arrival_rate = if self.interarrival_ms.observations > 0 && interarrival > 0.0 {
			1_000.0 / interarrival
		} else {
			0.0
		};
		let kingman = kingman_wait_ms(
			config,
			arrival_rate,
			1_000.0 / service_ms,
			self.worker.capacity,
			self.interarrival_ms.cv2(),
			self.service_ms.cv2(),
		)?;
		Some(kingman.max(backlog * service_ms))
	}

	/// When the time since the last dispatch alone brings `ρ = λ / (m·μ)` below
	/// `max_utilisation`: `λ < max_utilisation · m · μ` once `1 / λ` exceeds
	/// `service / (max_utilisation · m)`.
	fn saturated_until(&self, config: &RouterConfig) -> f64 {
		let slots = f64::from(self.worker.capacity);
		let interarrival = self.service_ms.mean / (config.max_utilisation * slots);
		match self.last_dispatch_ms {
			Some(last) if interarrival.is_finite() => last + interarrival,
			_ => f64::INFINITY,
		}
	}

	/// `(n − m + 1)⁺ / m` with `n` the requests running or queued.
	fn backlog(&self) -> f64 {
		let waiting = self.active.saturating_add(self.queue).saturating_add(1);
		let slots = self.worker.capacity.max(1);
		f64::from(waiting.saturating_sub(slots)) / f64::from(slots)
	}

	/// Its [`Lane`] and [`Cached`] after a change; the lane's proximity and top-K flag are
	/// kept from `previous`.
	fn refreshed(&self, config: &RouterConfig, previous: &Lane) -> (Lane, Cached) {
		let w = &config.weights;
		let [acc, rel, coh] = self.worker.quality;
		let load = factors::load(
			config,
			self.active,
			self.worker.capacity,
			self.gpu_util,
			self.mem_util,
			self.queue,
			self.worker.queue_max,
		);
		let cold = self.successes.saturating_add(self.failures) < config.cold_start_observations;
		let (alpha, beta) = sampling::beta_posterior(config, self.successes, self.failures);
		let mut fixed = w.quality * factors::quality(config, acc, rel, coh)
			- w.risk * factors::risk(config, &self.worker.risk)
			- factors::overload_penalty(config, load);
		if !cold {
			fixed += w.success * factors::success(config, alpha / (alpha + beta));
		}
		let bonus = if self.visits < config.cold_start_observations {
			Bonus::NONE
		} else if config.ucb_variance {
			Bonus::ucb_v(
				config.exploration_weight,
				self.reward_variance(),
				config.reward_bound,
				self.visits,
			)
		} else {
			Bonus::ucb1(config.exploration_weight, config.ucb1_c, self.visits)
		};
		let backlog = self.backlog();
		let wait = if self.service_ms.observations > 0 {
			match self.wait_for(config, self.service_ms.mean, backlog, None) {
				Some(wait) => Wait::Known(self.rtt_ms.mean + wait),
				None => Wait::Saturated { until_ms: self.saturated_until(config) },
			}
		} else {
			Wait::PerRequest
		};
		let gpu = &self.worker.gpu;
		let mut flags = previous.flags & IN_TOP;
		if self.worker.status == WorkerStatus::Available {
			flags |= AVAILABLE;
		}
		if cold {
			flags |= COLD;
		}
		let lane = Lane {
			fixed,
			price: self.worker.price,
			wait_ms: match wait {
				Wait::Known(wait) => wait,
				Wait::Saturated { .. } | Wait::PerRequest => f64::NAN,
			},
			slowness: gpu_factor(config, gpu.tflops, gpu.bandwidth_gbs)
				* self.compute_correction.mean.max(0.0),
			bonus,
			proximity: previous.proximity,
			vram_mib: gpu.vram_mib,
			cuda: cuda_rank(gpu.cuda),
			flags,
		};
		let cached =
			Cached { alpha, beta, load, backlog, qual: factors::qual(config, acc, rel, coh), wait };
		(lane, cached)
	}

	/// `lat_pred = RTT + W_q + T_compute` (§5.3) at `now_ms` for a request whose compute
	/// time on the reference GPU is `reference_ms`.
	pub(super) fn predict(
		&self,
		config: &RouterConfig,
		lane: &Lane,
		cached: &Cached,
		reference_ms: f64,
		now_ms: f64,
	) -> f64 {
		if let Some(latency) = lane.known_latency(config, reference_ms) {
			return latency;
		}
		let compute = reference_ms * lane.slowness;
		if !compute.is_finite() {
			return config.saturated_latency_ms;
		}
		let wait = match cached.wait {
			// Only a NaN wait gets here: the lane reads NaN as "worked out per request".
			Wait::Known(base) => return base + compute,
			Wait::Saturated { until_ms } if now_ms < until_ms => None,
			Wait::Saturated { .. } => {
				self.wait_for(config, self.service_ms.mean, cached.backlog, Some(now_ms))
			},
			Wait::PerRequest => self.wait_for(config, compute, cached.backlog, Some(now_ms)),
		};
		match wait {
			Some(wait) => self.rtt_ms.mean + wait + compute,
			None => config.saturated_latency_ms,
		}
	}
}

impl Router {
	/// Recomputes what decisions read of worker `index` after a change.
	pub(super) fn refresh(&mut self, index: usize) {
		if let (Some(tracked), Some(lane), Some(cached)) =
			(self.workers.get(index), self.lanes.get_mut(index), self.cached.get_mut(index))
		{
			let price = lane.price;
			(*lane, *cached) = tracked.refreshed(&self.config, lane);
			if lane.price.to_bits() != price.to_bits() {
				self.price_dirty = true;
			}
		}
		self.mirror(index);
	}

	/// φ_p of worker `index` for the router's client location.
	pub(super) fn locate(&mut self, index: usize) {
		let (Some((lat, lon)), Some(tracked), Some(lane)) =
			(self.proximity_client, self.workers.get(index), self.lanes.get_mut(index))
		else {
			return;
		};
		let at = tracked.worker.location;
		lane.proximity =
			factors::proximity(&self.config, factors::haversine_km(lat, lon, at.lat, at.lon));
		self.mirror(index);
	}

	/// Points every lane's φ_p at `client` when a request comes from a new known location.
	pub(super) fn locate_client(&mut self, client: Option<(f64, f64)>) {
		if client.is_some() && client != self.proximity_client {
			self.proximity_client = client;
			for index in 0..self.lanes.len() {
				self.locate(index);
			}
		}
	}

	pub(super) fn tracked(&self, id: &WorkerId) -> Option<&Tracked> {
		self.workers.get(*self.index.get(id)?)
	}

	/// Applies `change` to the worker `id`, if known, and refreshes what decisions read of it.
	pub(super) fn track(
		&mut self,
		id: &WorkerId,
		change: impl FnOnce(&mut Tracked, &RouterConfig),
	) {
		let Some(&index) = self.index.get(id) else { return };
		if let Some(tracked) = self.workers.get_mut(index) {
			change(tracked, &self.config);
		}
		self.refresh(index);
	}
}
