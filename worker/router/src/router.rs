//! The routing workflow of whitepaper §5.6: filter by hard constraints, predict latency,
//! score, add the exploration bonus, keep the top K, sample by softmax, retry elsewhere on
//! failure, and learn from every response.

use std::collections::HashMap;

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

/// A CUDA version `(major, minor)` as one number that orders the same way.
fn cuda_rank((major, minor): (u8, u8)) -> u16 {
	u16::from(major) << 8 | u16::from(minor)
}

/// `1 + x + x²/2! + … + x⁸/8!` in Horner form, in the type of `x` (`f64` or `f32`). For
/// x ≥ 0 every partial sum of e^x's series is at most e^x, so its reciprocal bounds e^−x
/// from above — within 0.03% up to x = 2, where the third-order sum is 17% off.
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

/// Flags of a [`Lane`].
const AVAILABLE: u8 = 1;
/// Scored with a Thompson sample of its success rate (§5.4.3) instead of its mean.
const COLD: u8 = 2;
/// In the previous decision's top K or its runners-up: scored first in the next decision,
/// so the bar for entering the top K starts high and most workers are ruled out by a cheap
/// bound.
const IN_TOP: u8 = 4;

/// What every decision reads of a worker, recomputed whenever the worker or what is learned
/// about it changes, so that a decision only adds the parts that depend on the request.
///
/// One cache line per worker, in an array of its own: a decision over a thousand workers
/// streams 64 KiB and touches nothing else for workers that cannot make the top K.
#[derive(Clone, Copy, Debug)]
#[repr(C, align(64))]
struct Lane {
	/// `w_q·φ_q − w_s·φ_s − Penalty(load)`, plus `w_r·φ_r(posterior mean)` once warm.
	fixed: f64,
	price: f64,
	/// `RTT + W_q` when the same for every request (a service time has been observed and
	/// the worker is not saturated); NaN when it is worked out per request.
	wait_ms: f64,
	/// Compute time relative to the reference GPU: GPU factor × learned correction.
	slowness: f64,
	/// The exploration bonus is `bonus_sqrt·√(ln t) + bonus_lin·ln t` (UCB1 and UCB-V both
	/// have this form); zero while cold.
	bonus_sqrt: f64,
	bonus_lin: f64,
	/// φ_p from the router's `proximity_client`.
	proximity: f64,
	vram_mib: u32,
	/// CUDA `major·256 + minor`: one comparison.
	cuda: u16,
	flags: u8,
}

impl Default for Lane {
	fn default() -> Self {
		Self {
			fixed: 0.0,
			// Not a price: the first refresh marks the prices changed.
			price: f64::NAN,
			wait_ms: f64::NAN,
			slowness: 1.0,
			bonus_sqrt: 0.0,
			bonus_lin: 0.0,
			proximity: 1.0,
			vram_mib: 0,
			cuda: 0,
			flags: COLD,
		}
	}
}

/// Workers per [`Block`].
const BLOCK: usize = 8;

/// `f32` copies of what bounds the UCB of eight workers, field by field, so the sweep over a
/// fleet runs as vector arithmetic with no branch per worker. Only a filter: whatever it
/// keeps is looked at again in `f64`, and it errs on the side of keeping.
#[derive(Clone, Copy, Debug, Default)]
struct Block {
	/// `fixed + w_c + w_p`: the score's request-independent part with φ_c ≤ 1, and φ_p = 1
	/// for a client whose location is unknown.
	far: [f32; BLOCK],
	/// `fixed + w_c + w_p·φ_p` for the router's client location.
	near: [f32; BLOCK],
	bonus_sqrt: [f32; BLOCK],
	bonus_lin: [f32; BLOCK],
	/// `RTT + W_q` when known, else 0 (no wait: the bound stays an upper bound).
	wait: [f32; BLOCK],
	/// A saturated worker's `until_ms` rounded down (−∞ when not saturated): before it, its
	/// latency is `saturated_latency_ms`.
	saturated_until: [f32; BLOCK],
	slowness: [f32; BLOCK],
	vram_mib: [f32; BLOCK],
	cuda: [f32; BLOCK],
	/// [`SKIP`], [`BOUND`] or [`VISIT`].
	mode: [f32; BLOCK],
	/// `mode`, or [`SKIP`] where the worker lacks the VRAM or CUDA of the router's
	/// `requirement` (a model's requests all ask the same).
	ready: [f32; BLOCK],
}

/// A worker's mode for a request needing `requirement`: [`SKIP`] if it lacks the VRAM or
/// CUDA. From the blocks' `f32` copies (rounding to `f32` is monotonic: what fits still fits).
fn ready(mode: f32, vram_mib: f32, cuda: f32, (need_vram, need_cuda): (u32, u16)) -> f32 {
	if vram_mib >= need_vram as f32 && cuda >= f32::from(need_cuda) {
		mode
	} else {
		SKIP
	}
}

/// Not available (or no worker in this slot).
const SKIP: f32 = 0.0;
/// Bounded by the sweep.
const BOUND: f32 = 1.0;
/// Always looked at (cold workers take turns in order).
const VISIT: f32 = 2.0;

/// `value` as the largest `f32` not above it.
fn round_down(value: f64) -> f32 {
	let rounded = value as f32;
	if f64::from(rounded) > value {
		rounded.next_down()
	} else {
		rounded
	}
}

/// `value` as the smallest `f32` not below it.
fn round_up(value: f64) -> f32 {
	let rounded = value as f32;
	if f64::from(rounded) < value {
		rounded.next_up()
	} else {
		rounded
	}
}

/// What the `f32` sweep gives away to rounding: it keeps a worker unless its bound is below
/// the bar by more than this.
const SWEEP_MARGIN: f64 = 1e-5;

/// How a worker's queueing wait is known.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Wait {
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
struct Cached {
	/// Beta posterior of the success rate: `α_prior + successes`, `β_prior + failures`.
	alpha: f64,
	beta: f64,
	load: f64,
	/// `(n − m + 1)⁺ / m` for `n` requests running or queued on `m` slots: a new request
	/// waits for this many service times (the wait given the backlog the router knows).
	backlog: f64,
	/// `qual` (before the exponent), for the `min_quality` preference.
	qual: f64,
	wait: Wait,
}

impl Default for Cached {
	fn default() -> Self {
		Self { alpha: 1.0, beta: 1.0, load: 0.0, backlog: 0.0, qual: 0.0, wait: Wait::PerRequest }
	}
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
		let [a, r, c] = config.quality_mix;
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
		let (a0, b0) = config.beta_prior;
		let alpha = a0 + self.successes as f64;
		let beta = b0 + self.failures as f64;
		let mut fixed = w.quality * factors::quality(config, acc, rel, coh)
			- w.risk * factors::risk(config, &self.worker.risk)
			- factors::overload_penalty(config, load);
		if !cold {
			fixed += w.success * factors::success(config, alpha / (alpha + beta));
		}
		let (bonus_sqrt, bonus_lin) = if self.visits < config.cold_start_observations {
			(0.0, 0.0)
		} else if self.visits == 0 {
			(f64::INFINITY, 0.0)
		} else {
			let n = self.visits as f64;
			let scale = config.exploration_weight;
			if config.ucb_variance {
				(
					scale * (2.0 * self.reward_variance().max(0.0) / n).sqrt(),
					scale * 3.0 * config.reward_bound / n,
				)
			} else {
				(scale * config.ucb1_c / n.sqrt(), 0.0)
			}
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
			bonus_sqrt,
			bonus_lin,
			proximity: previous.proximity,
			vram_mib: gpu.vram_mib,
			cuda: cuda_rank(gpu.cuda),
			flags,
		};
		let cached = Cached {
			alpha,
			beta,
			load,
			backlog,
			qual: (a * acc + r * rel + c * coh).clamp(0.0, 1.0),
			wait,
		};
		(lane, cached)
	}

	/// `lat_pred = RTT + W_q + T_compute` (§5.3) at `now_ms` for a request whose compute
	/// time on the reference GPU is `reference_ms`.
	fn predict(
		&self,
		config: &RouterConfig,
		lane: &Lane,
		cached: &Cached,
		reference_ms: f64,
		now_ms: f64,
	) -> f64 {
		let compute = reference_ms * lane.slowness;
		if !compute.is_finite() {
			return config.saturated_latency_ms;
		}
		let wait = match cached.wait {
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

/// One candidate's numbers during a decision.
#[derive(Clone, Copy, Debug)]
struct Candidate {
	index: usize,
	latency_ms: f64,
	score: f64,
	ucb: f64,
	load: f64,
}

/// What a decision asks of every worker: the hard constraints (§5.1), its predicted
/// latency, and the soft preferences.
struct Gate<'a> {
	request: &'a Request,
	cuda: u16,
	allowed: Option<&'a dyn Fn(&WorkerId) -> bool>,
	/// Regions or a retry's restriction to check (they need the worker's record).
	slow: bool,
	/// Whether the request has soft preferences.
	soft: bool,
	reference_ms: f64,
	now_ms: f64,
}

impl Gate<'_> {
	/// The hard constraints, and a retry's restriction.
	#[inline]
	fn admits(&self, index: usize, lane: &Lane, workers: &[Tracked]) -> bool {
		if lane.flags & AVAILABLE == 0
			|| lane.vram_mib < self.request.vram_mib
			|| lane.cuda < self.cuda
		{
			return false;
		}
		!self.slow
			|| workers.get(index).is_some_and(|tracked| {
				Router::admissible(&tracked.worker, self.request)
					&& self.allowed.is_none_or(|allowed| allowed(&tracked.worker.id))
			})
	}

	/// `lat_pred` (§5.3): from the lane when its wait is known, else worked out.
	#[inline]
	fn latency(
		&self,
		config: &RouterConfig,
		index: usize,
		lane: &Lane,
		workers: &[Tracked],
		cached: &[Cached],
	) -> Option<f64> {
		if lane.wait_ms.is_nan() {
			let cached = cached.get(index)?;
			if let Wait::Saturated { until_ms } = cached.wait {
				if self.now_ms < until_ms {
					return Some(config.saturated_latency_ms);
				}
			}
			let tracked = workers.get(index)?;
			return Some(tracked.predict(config, lane, cached, self.reference_ms, self.now_ms));
		}
		let compute = self.reference_ms * lane.slowness;
		Some(if compute.is_finite() { lane.wait_ms + compute } else { config.saturated_latency_ms })
	}

	/// The soft preferences: latency, budget, quality.
	fn prefers(&self, index: usize, lane: &Lane, latency_ms: f64, cached: &[Cached]) -> bool {
		let request = self.request;
		request.max_latency_ms.is_none_or(|max| latency_ms <= max)
			&& request.budget.is_none_or(|budget| lane.price <= budget)
			&& request
				.min_quality
				.is_none_or(|min| cached.get(index).is_some_and(|cached| cached.qual >= min))
	}
}

/// What a decision has gathered so far.
struct Tally {
	top: TopK,
	/// Workers that miss a soft preference, in case none meets them.
	fallback: Vec<(usize, f64)>,
	/// Workers that meet the soft preferences (all, when there are none).
	preferred: usize,
	cold_taken: usize,
	last_cold: Option<usize>,
}

/// What a decision reads while it looks at workers.
struct Scan<'a> {
	config: &'a RouterConfig,
	lanes: &'a [Lane],
	cached: &'a [Cached],
	workers: &'a [Tracked],
	gate: &'a Gate<'a>,
	terms: &'a Terms,
}

impl Scan<'_> {
	/// Looks at worker `index`: the hard constraints, a cold worker's turn, the predicted
	/// latency, the soft preferences, the bound against the bar, and if it may enter, the
	/// full score. A seed (in the previous top K) is looked at once, before the others.
	fn consider(&self, index: usize, seed: bool, tally: &mut Tally, rng: &mut ChaCha20Rng) {
		let Some(lane) = self.lanes.get(index) else { return };
		if (!seed && lane.flags & IN_TOP != 0) || !self.gate.admits(index, lane, self.workers) {
			return;
		}
		if lane.flags & COLD != 0 {
			if tally.cold_taken >= self.config.cold_candidates {
				return;
			}
			tally.cold_taken += 1;
			tally.last_cold = Some(index);
		}
		let Some(latency_ms) =
			self.gate.latency(self.config, index, lane, self.workers, self.cached)
		else {
			return;
		};
		if self.gate.soft && !self.gate.prefers(index, lane, latency_ms, self.cached) {
			tally.fallback.push((index, latency_ms));
			return;
		}
		tally.preferred += 1;
		if tally.top.is_full() && self.terms.below(lane, latency_ms, tally.top.bar) {
			return;
		}
		if let Some(cached) = self.cached.get(index) {
			let candidate = self.terms.candidate(self.config, lane, cached, index, latency_ms, rng);
			tally.top.offer(candidate, self.workers);
		}
	}
}

/// What a decision adds to a worker's [`Lane`] to score it.
struct Terms {
	log_t: f64,
	sqrt_log_t: f64,
	min_cost: f64,
	cost_scale: f64,
	cost_weight: f64,
	proximity_weight: f64,
	constant: f64,
	latency_weight: f64,
	latency_scale: f64,
	baseline_ms: f64,
	success_weight: f64,
	/// `w_r·φ_r(1)`: what a cold worker's Thompson sample can add at most.
	best_success: f64,
}

impl Terms {
	/// The score without φ_l and a cold worker's φ_r, with the exploration bonus; and the
	/// bonus.
	#[inline]
	fn partial(&self, lane: &Lane) -> (f64, f64) {
		// φ_c (§5.2.3) over the admissible workers' cost range.
		let cost = if self.cost_scale > 0.0 {
			(1.0 - (lane.price - self.min_cost) * self.cost_scale).clamp(0.0, 1.0)
		} else {
			1.0
		};
		let bonus = lane.bonus_sqrt * self.sqrt_log_t + lane.bonus_lin * self.log_t;
		let partial = lane.fixed
			+ self.cost_weight * cost
			+ self.proximity_weight * lane.proximity
			+ self.constant
			+ bonus;
		(partial, bonus)
	}

	/// Whether the worker's UCB is certainly below `bar`: φ_l = e^−x ≤ 1 / `exp_series!(x)`
	/// for x ≥ 0, so it is when `w_l < gap · exp_series!(x)`. No branches.
	#[inline]
	fn below(&self, lane: &Lane, latency_ms: f64, bar: f64) -> bool {
		let (partial, _) = self.partial(lane);
		let x = self.latency_scale * latency_ms.max(0.0);
		let series = exp_series!(x);
		let cold = f64::from(u8::from(lane.flags & COLD != 0));
		let gap = bar - partial - cold * self.best_success;
		(gap > 0.0) & (gap * series > self.latency_weight)
	}

	/// The worker scored in full, with a Thompson sample of its success rate when cold.
	fn candidate(
		&self,
		config: &RouterConfig,
		lane: &Lane,
		cached: &Cached,
		index: usize,
		latency_ms: f64,
		rng: &mut ChaCha20Rng,
	) -> Candidate {
		let (partial, bonus) = self.partial(lane);
		let mut gain = self.latency_weight * factors::latency(config, latency_ms, self.baseline_ms);
		if lane.flags & COLD != 0 {
			let sample = sampling::beta(cached.alpha, cached.beta, rng);
			gain += self.success_weight * factors::success(config, sample);
		}
		let ucb = partial + gain;
		Candidate { index, latency_ms, score: ucb - bonus, ucb, load: cached.load }
	}
}

/// A decision's numbers for the `f32` sweep.
struct Kernel {
	sqrt_log_t: f32,
	log_t: f32,
	/// `λ_l / lat_baseline`.
	scale: f32,
	/// The request's compute time on the reference GPU.
	reference: f32,
	/// The bar less [`SWEEP_MARGIN`].
	bar: f32,
	now: f32,
	saturated: f32,
	/// `w_l` plus [`SWEEP_MARGIN`].
	latency_weight: f32,
}

/// Candidates a decision keeps beyond its top K: the next decision scores them first with
/// the top K, so its bar is the K-th best of more than K and stays high when the worker
/// just chosen (whose UCB fell with its new visit) drops out.
const RUNNERS_UP: usize = 8;

/// The best candidates so far in rank order (higher UCB, then less load, then the lower
/// id): the top K and up to [`RUNNERS_UP`] more. Once there are K, `bar` is the K-th best
/// UCB.
struct TopK {
	k: usize,
	items: Vec<Candidate>,
	bar: f64,
}

impl TopK {
	fn new(k: usize) -> Self {
		Self { k, items: Vec::with_capacity(k + RUNNERS_UP + 1), bar: f64::NEG_INFINITY }
	}

	fn is_full(&self) -> bool {
		self.items.len() >= self.k
	}

	fn offer(&mut self, candidate: Candidate, workers: &[Tracked]) {
		let at = self
			.items
			.partition_point(|c| Router::rank(c, &candidate, workers) == std::cmp::Ordering::Less);
		if at >= self.k + RUNNERS_UP {
			return;
		}
		self.items.insert(at, candidate);
		self.items.truncate(self.k + RUNNERS_UP);
		if let Some(kth) = self.items.get(self.k.saturating_sub(1)) {
			self.bar = kth.ucb;
		}
	}

	/// The top K in rank order, and the runners-up.
	fn split(mut self) -> (Vec<Candidate>, Vec<Candidate>) {
		let runners_up = self.items.split_off(self.k.min(self.items.len()));
		(self.items, runners_up)
	}
}

pub struct Router {
	config: RouterConfig,
	compute: ComputeModel,
	workers: Vec<Tracked>,
	/// `lanes[i]` and `cached[i]` are what decisions read of `workers[i]`.
	lanes: Vec<Lane>,
	cached: Vec<Cached>,
	/// Worker `i`'s bounds are slot `i % 8` of `blocks[i / 8]`.
	blocks: Vec<Block>,
	/// Whether decisions sweep the blocks first (off only to test that it changes nothing).
	sweep: bool,
	/// Positions the sweep kept (scratch space).
	kept: Vec<usize>,
	/// Available cold workers (none: a decision skips looking for them).
	cold_lanes: usize,
	/// The VRAM and CUDA the blocks' `ready` is for.
	requirement: (u32, u16),
	index: HashMap<WorkerId, usize>,
	/// The client location the lanes' φ_p was computed for. A gateway routes from one place
	/// (its own, or none), so this changes rarely; a new location recomputes every lane.
	proximity_client: Option<(f64, f64)>,
	decisions: u64,
	rng: ChaCha20Rng,
	/// Where the next decision starts looking for cold workers (they take turns).
	cold_cursor: usize,
	/// Whether every worker has the same price (φ_c is then 1 for all), and whether a price
	/// changed since that was last worked out.
	uniform_price: bool,
	price_dirty: bool,
	/// Workers that miss a soft preference, in case none meets them (scratch space).
	fallback: Vec<(usize, f64)>,
	/// Positions of the last decision's top K (flagged `IN_TOP`): the next one's seeds.
	last_top: Vec<usize>,
}

impl Router {
	pub fn new(config: RouterConfig, compute: ComputeModel, seed: u64) -> Self {
		Self {
			config,
			compute,
			workers: Vec::new(),
			lanes: Vec::new(),
			cached: Vec::new(),
			blocks: Vec::new(),
			sweep: true,
			kept: Vec::new(),
			cold_lanes: 0,
			requirement: (0, 0),
			index: HashMap::new(),
			proximity_client: None,
			decisions: 0,
			rng: ChaCha20Rng::seed_from_u64(seed),
			cold_cursor: 0,
			uniform_price: true,
			price_dirty: false,
			fallback: Vec::new(),
			last_top: Vec::new(),
		}
	}

	pub fn config(&self) -> &RouterConfig {
		&self.config
	}

	/// Recomputes what decisions read of worker `index` after a change.
	fn refresh(&mut self, index: usize) {
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

	/// Copies worker `index`'s bounds from its lane into its block (clears the slot when
	/// there is no such worker).
	fn mirror(&mut self, index: usize) {
		let (block, slot) = (index / BLOCK, index % BLOCK);
		if self.blocks.len() <= block {
			self.blocks.resize(block + 1, Block::default());
		}
		let Some(b) = self.blocks.get_mut(block) else { return };
		if b.mode.get(slot) == Some(&VISIT) {
			self.cold_lanes = self.cold_lanes.saturating_sub(1);
		}
		let Some(lane) = self.lanes.get(index) else {
			if let Some(mode) = b.mode.get_mut(slot) {
				*mode = SKIP;
			}
			return;
		};
		let mode = if lane.flags & AVAILABLE == 0 {
			SKIP
		} else if lane.flags & COLD != 0 {
			VISIT
		} else {
			BOUND
		};
		if mode == VISIT {
			self.cold_lanes += 1;
		}
		let wait = if lane.wait_ms.is_nan() { 0.0 } else { lane.wait_ms };
		let until = match self.cached.get(index).map(|cached| cached.wait) {
			Some(Wait::Saturated { until_ms }) => until_ms,
			_ => f64::NEG_INFINITY,
		};
		if let Some(entry) = b.saturated_until.get_mut(slot) {
			*entry = round_down(until);
		}
		let fixed = lane.fixed + self.config.weights.cost;
		let proximity = self.config.weights.proximity;
		let fields: [(&mut [f32; BLOCK], f64); 10] = [
			(&mut b.far, fixed + proximity),
			(&mut b.near, fixed + proximity * lane.proximity),
			(&mut b.bonus_sqrt, lane.bonus_sqrt),
			(&mut b.bonus_lin, lane.bonus_lin),
			(&mut b.wait, wait),
			(&mut b.slowness, lane.slowness),
			(&mut b.vram_mib, f64::from(lane.vram_mib)),
			(&mut b.cuda, f64::from(lane.cuda)),
			(&mut b.mode, f64::from(mode)),
			(
				&mut b.ready,
				f64::from(ready(
					mode,
					lane.vram_mib as f32,
					f32::from(lane.cuda),
					self.requirement,
				)),
			),
		];
		for (field, value) in fields {
			if let Some(entry) = field.get_mut(slot) {
				*entry = value as f32;
			}
		}
	}

	/// Points the blocks' `ready` at a request's VRAM and CUDA.
	fn require(&mut self, requirement: (u32, u16)) {
		if self.requirement == requirement {
			return;
		}
		self.requirement = requirement;
		for b in &mut self.blocks {
			for (((ready, &mode), &vram), &cuda) in
				b.ready.iter_mut().zip(&b.mode).zip(&b.vram_mib).zip(&b.cuda)
			{
				*ready = self::ready(mode, vram, cuda, requirement);
			}
		}
	}

	/// φ_p of worker `index` for the router's client location.
	fn locate(&mut self, index: usize) {
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

	fn tracked(&self, id: &WorkerId) -> Option<&Tracked> {
		self.workers.get(*self.index.get(id)?)
	}

	/// Adds a worker, or updates what the registry says about one (its learned stats stay).
	pub fn upsert(&mut self, worker: Worker) {
		let (index, moved) = match self.index.get(&worker.id) {
			Some(&index) => {
				let mut moved = false;
				if let Some(tracked) = self.workers.get_mut(index) {
					moved = tracked.worker.location != worker.location;
					tracked.worker = worker;
				}
				(index, moved)
			},
			None => {
				let index = self.workers.len();
				self.index.insert(worker.id, index);
				self.workers.push(Tracked::new(worker));
				self.lanes.push(Lane::default());
				self.cached.push(Cached::default());
				(index, true)
			},
		};
		self.refresh(index);
		if moved {
			self.locate(index);
		}
	}

	pub fn remove(&mut self, id: &WorkerId) {
		let Some(index) = self.index.remove(id) else { return };
		if index < self.workers.len() && index < self.lanes.len() && index < self.cached.len() {
			// Positions change: forget the last top K (it only speeds the next decision up).
			for position in self.last_top.drain(..) {
				if let Some(lane) = self.lanes.get_mut(position) {
					lane.flags &= !IN_TOP;
				}
			}
			self.workers.swap_remove(index);
			self.price_dirty = true;
			self.lanes.swap_remove(index);
			self.cached.swap_remove(index);
			if let Some(moved) = self.workers.get(index) {
				self.index.insert(moved.worker.id, index);
			}
			self.mirror(index);
			self.mirror(self.lanes.len());
		}
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
		let Some(&index) = self.index.get(id) else { return };
		if let Some(tracked) = self.workers.get_mut(index) {
			tracked.active = active;
			tracked.queue = queue;
			tracked.gpu_util = gpu_util.clamp(0.0, 1.0);
			tracked.mem_util = mem_util.clamp(0.0, 1.0);
		}
		self.refresh(index);
	}

	/// A network round trip measured outside a request (a health probe).
	pub fn observe_rtt(&mut self, id: &WorkerId, rtt_ms: f64) {
		let Some(&index) = self.index.get(id) else { return };
		if let Some(tracked) = self.workers.get_mut(index) {
			tracked.rtt_ms.observe(&self.config, rtt_ms.max(0.0));
		}
		self.refresh(index);
	}

	/// The worker as last upserted, if known.
	pub fn worker(&self, id: &WorkerId) -> Option<&Worker> {
		self.tracked(id).map(|t| &t.worker)
	}

	/// Every known worker's id.
	pub fn ids(&self) -> impl Iterator<Item = &WorkerId> {
		self.workers.iter().map(|t| &t.worker.id)
	}

	pub fn set_status(&mut self, id: &WorkerId, status: WorkerStatus) {
		let Some(&index) = self.index.get(id) else { return };
		if let Some(tracked) = self.workers.get_mut(index) {
			tracked.worker.status = status;
		}
		self.refresh(index);
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

	/// Chooses a worker for `request` at time `now_ms` (any monotonic clock), or `None` when
	/// no worker meets the hard constraints.
	pub fn select(&mut self, request: &Request, now_ms: f64) -> Option<Selection> {
		self.decide(request, now_ms, None)
	}

	/// Chooses again after `failed` did not answer: from the decision's top K without it,
	/// or from every admissible worker but it if the top K has no one left (§5.6).
	pub fn retry_select(
		&mut self,
		request: &Request,
		previous: &Selection,
		now_ms: f64,
	) -> Option<Selection> {
		let restricted: Vec<WorkerId> =
			previous.top_k.iter().copied().filter(|id| *id != previous.chosen).collect();
		if restricted
			.iter()
			.any(|id| self.tracked(id).is_some_and(|t| Self::admissible(&t.worker, request)))
		{
			self.decide(request, now_ms, Some(&|id: &WorkerId| restricted.contains(id)))
		} else {
			self.decide(request, now_ms, Some(&|id: &WorkerId| *id != previous.chosen))
		}
	}

	/// Marks in `keep` the warm workers of block `b` whose UCB bound reaches the kernel's bar
	/// (`anchor`: the block's fixed part for this request's client).
	#[inline]
	fn bound_block(b: &Block, anchor: &[f32; BLOCK], keep: &mut [bool; BLOCK], k: &Kernel) {
		// One index over the arrays is what the compiler turns into vector code.
		#[allow(clippy::needless_range_loop)]
		for j in 0..BLOCK {
			let bound = anchor[j] + b.bonus_sqrt[j] * k.sqrt_log_t + b.bonus_lin[j] * k.log_t;
			// Branch-free, so the loop stays vector arithmetic.
			let waiting = f32::from(u8::from(k.now < b.saturated_until[j]));
			let latency =
				waiting * k.saturated + (1.0 - waiting) * (b.wait[j] + k.reference * b.slowness[j]);
			let x = k.scale * latency;
			let series = exp_series!(x);
			let gap = k.bar - bound;
			let below = (gap > 0.0) & (gap * series > k.latency_weight);
			keep[j] = (b.ready[j] == BOUND) & !below;
		}
	}

	/// Appends to `kept`, in order, the workers of positions `range` that meet the request's
	/// VRAM and CUDA and may reach `bar`: the `cold` ones while `cold_left` lasts (every
	/// cold one when other constraints remain to be checked), or the warm ones whose UCB
	/// bound (as [`Terms::below`], in `f32`, with [`SWEEP_MARGIN`] to spare) reaches it.
	#[allow(clippy::too_many_arguments)]
	#[inline(never)]
	fn sweep_blocks(
		&self,
		gate: &Gate,
		terms: &Terms,
		cold: bool,
		bar: f64,
		range: std::ops::Range<usize>,
		cold_left: &mut usize,
		kept: &mut Vec<usize>,
	) {
		if range.is_empty() {
			return;
		}
		let first = range.start / BLOCK;
		let last = (range.end - 1) / BLOCK;
		let near = gate.request.client.is_some();
		let kernel = Kernel {
			sqrt_log_t: terms.sqrt_log_t as f32,
			log_t: terms.log_t as f32,
			scale: terms.latency_scale as f32,
			reference: gate.reference_ms as f32,
			bar: (bar - SWEEP_MARGIN) as f32,
			now: round_up(gate.now_ms),
			saturated: round_down(self.config.saturated_latency_ms),
			latency_weight: (terms.latency_weight * (1.0 + SWEEP_MARGIN)) as f32,
		};
		let blocks = self.blocks.get(first..=last).unwrap_or_default();
		for (number, b) in (first..).zip(blocks) {
			// The cold workers whose turn it is have all been found.
			if cold && !gate.slow && *cold_left == 0 {
				return;
			}
			let anchor = if near { &b.near } else { &b.far };
			let mut keep = [false; BLOCK];
			if cold {
				// Cold workers are not bounded: only whether it is one's turn matters.
				for (keep, &ready) in keep.iter_mut().zip(&b.ready) {
					*keep = ready == VISIT;
				}
			} else {
				Self::bound_block(b, anchor, &mut keep, &kernel);
			}
			let mut mask = keep.iter().rev().fold(0u32, |mask, &keep| mask << 1 | u32::from(keep));
			if mask == 0 {
				continue;
			}
			// Only the first and last blocks reach outside `range`.
			let base = number * BLOCK;
			if base < range.start || base + BLOCK > range.end {
				for (j, slot) in (base..base + BLOCK).enumerate() {
					if !range.contains(&slot) {
						mask &= !(1 << j);
					}
				}
			}
			while mask != 0 {
				let j = mask.trailing_zeros() as usize;
				mask &= mask - 1;
				let index = base + j;
				if cold && !gate.slow {
					if *cold_left == 0 {
						continue;
					}
					*cold_left -= 1;
				}
				kept.push(index);
			}
		}
	}

	fn decide(
		&mut self,
		request: &Request,
		now_ms: f64,
		allowed: Option<&dyn Fn(&WorkerId) -> bool>,
	) -> Option<Selection> {
		self.decisions = self.decisions.saturating_add(1);
		let t = self.decisions;
		let reference_ms =
			self.compute.reference_ms(request.tokens_in, request.tokens_out, request.context);
		let count = self.lanes.len();
		if count == 0 {
			return None;
		}
		let client = request.client.map(|c| (c.lat, c.lon));
		if client.is_some() && client != self.proximity_client {
			self.proximity_client = client;
			for index in 0..count {
				self.locate(index);
			}
		}
		self.require((request.vram_mib, cuda_rank(request.cuda)));
		let gate = Gate {
			request,
			cuda: cuda_rank(request.cuda),
			// Regions and a retry's restriction need the worker's record; most decisions
			// don't.
			slow: !request.allowed_regions.is_empty() || allowed.is_some(),
			allowed,
			soft: request.max_latency_ms.is_some()
				|| request.budget.is_some()
				|| request.min_quality.is_some(),
			reference_ms,
			now_ms,
		};

		// φ_c (§5.2.3) over the admissible workers' cost range. Every worker of an AIL2 model
		// bills by the model's one pricing policy, so φ_c is usually 1 for all and this pass
		// is skipped.
		if self.price_dirty {
			self.uniform_price = self.lanes.windows(2).all(|pair| match pair {
				[a, b] => a.price.to_bits() == b.price.to_bits(),
				_ => true,
			});
			self.price_dirty = false;
		}
		let (mut min_cost, mut max_cost) = (0.0, 0.0);
		if !self.uniform_price {
			(min_cost, max_cost) = (f64::INFINITY, f64::NEG_INFINITY);
			for (index, lane) in self.lanes.iter().enumerate() {
				if gate.admits(index, lane, &self.workers) {
					// Plain comparisons: `f64::min` and `max` handle NaN, a branch more.
					if lane.price < min_cost {
						min_cost = lane.price;
					}
					if lane.price > max_cost {
						max_cost = lane.price;
					}
				}
			}
		}
		let w = &self.config.weights;
		let baseline_ms = factors::latency_baseline(&self.config, reference_ms);
		let log_t = (t.max(1) as f64).ln();
		let terms = Terms {
			log_t,
			sqrt_log_t: log_t.sqrt(),
			min_cost,
			// Divisions are slow: the per-worker arithmetic multiplies by reciprocals.
			cost_scale: if max_cost > min_cost { 1.0 / (max_cost - min_cost) } else { 0.0 },
			cost_weight: w.cost,
			// φ_p is 1 for every worker when the client's location is unknown.
			proximity_weight: if client.is_some() { w.proximity } else { 0.0 },
			constant: if client.is_some() { 0.0 } else { w.proximity },
			latency_weight: w.latency,
			latency_scale: self.config.latency_decay / baseline_ms,
			baseline_ms,
			success_weight: w.success,
			best_success: w.success * factors::success(&self.config, 1.0),
		};

		// The top K by UCB (ties: less load, then id) of the workers that meet the hard
		// constraints and, if any does, the soft preferences (they are best effort: the others
		// wait in `fallback` in case none does). Once there are K, the K-th best UCB is a bar
		// that only rises, and a worker whose UCB bound — no exponential — is below it cannot
		// enter. Cold workers take turns: at most `cold_candidates` of them per decision.
		let mut tally = Tally {
			top: TopK::new(self.config.top_k.max(1)),
			fallback: std::mem::take(&mut self.fallback),
			preferred: 0,
			cold_taken: 0,
			last_cold: None,
		};
		tally.fallback.clear();
		let mut kept = std::mem::take(&mut self.kept);
		let last_top = std::mem::take(&mut self.last_top);
		let start = self.cold_cursor.min(count);
		let scan = Scan {
			config: &self.config,
			lanes: &self.lanes,
			cached: &self.cached,
			workers: &self.workers,
			gate: &gate,
			terms: &terms,
		};
		// The previous top K and runners-up first, then the cold workers whose turn it is, so
		// the bar is high before the warm fleet is swept and a warm worker that cannot reach
		// it costs a few vector operations. Both sweeps go from the cold cursor round to it.
		for &index in &last_top {
			scan.consider(index, true, &mut tally, &mut self.rng);
		}
		for cold in [true, false] {
			if cold && self.cold_lanes == 0 {
				continue;
			}
			if self.sweep && (cold || tally.top.is_full()) {
				kept.clear();
				let mut cold_left = self.config.cold_candidates;
				for range in [start..count, 0..start] {
					let bar = tally.top.bar;
					self.sweep_blocks(&gate, &terms, cold, bar, range, &mut cold_left, &mut kept);
				}
				for &index in &kept {
					scan.consider(index, false, &mut tally, &mut self.rng);
				}
			} else {
				for step in 0..count {
					let index = match start + step {
						index if index >= count => index - count,
						index => index,
					};
					let is_cold = self.lanes.get(index).is_some_and(|lane| lane.flags & COLD != 0);
					if is_cold == cold {
						scan.consider(index, false, &mut tally, &mut self.rng);
					}
				}
			}
		}
		let Tally { mut top, fallback, preferred, last_cold, .. } = tally;
		if preferred == 0 {
			for &(index, latency_ms) in &fallback {
				let (Some(lane), Some(cached)) = (self.lanes.get(index), self.cached.get(index))
				else {
					continue;
				};
				if top.is_full() && terms.below(lane, latency_ms, top.bar) {
					continue;
				}
				let candidate =
					terms.candidate(&self.config, lane, cached, index, latency_ms, &mut self.rng);
				top.offer(candidate, &self.workers);
			}
		}
		self.kept = kept;
		if let Some(index) = last_cold {
			self.cold_cursor = index.saturating_add(1);
		}
		self.fallback = fallback;
		self.last_top = last_top;
		let (top, runners_up) = top.split();
		if top.is_empty() {
			return None;
		}
		// The next decision's seeds: this top K and its runners-up, the warm ones (a cold one
		// is scored with a fresh Thompson sample each time it takes its turn).
		for index in self.last_top.drain(..) {
			if let Some(lane) = self.lanes.get_mut(index) {
				lane.flags &= !IN_TOP;
			}
		}
		for candidate in top.iter().chain(&runners_up) {
			if let Some(lane) = self.lanes.get_mut(candidate.index) {
				if lane.flags & COLD == 0 {
					lane.flags |= IN_TOP;
					self.last_top.push(candidate.index);
				}
			}
		}

		let scores: Vec<f64> = top.iter().map(|c| c.score).collect();
		let probabilities = sampling::softmax(&scores, sampling::temperature(&self.config, t));
		let drawn = *top.get(sampling::categorical(&probabilities, &mut self.rng))?;
		// Least-load tie-breaking: among candidates scoring the same, the least loaded.
		let epsilon = self.config.tie_epsilon;
		let id_of = |c: &Candidate| self.workers.get(c.index).map(|w| w.worker.id);
		let chosen = top
			.iter()
			.filter(|c| (c.score - drawn.score).abs() <= epsilon)
			.min_by(|a, b| a.load.total_cmp(&b.load).then_with(|| id_of(a).cmp(&id_of(b))))
			.copied()
			.unwrap_or(drawn);
		let selection = Selection {
			chosen: id_of(&chosen)?,
			top_k: top.iter().filter_map(id_of).collect(),
			predicted_latency_ms: chosen.latency_ms,
			score: chosen.score,
		};

		if let Some(tracked) = self.workers.get_mut(chosen.index) {
			tracked.active = tracked.active.saturating_add(1);
			if let Some(last) = tracked.last_dispatch_ms {
				tracked.interarrival_ms.observe(&self.config, (now_ms - last).max(0.0));
			}
			tracked.last_dispatch_ms = Some(now_ms);
		}
		self.refresh(chosen.index);
		Some(selection)
	}

	/// The ranking of the top K: higher UCB first, then less load, then the lower id.
	fn rank(a: &Candidate, b: &Candidate, workers: &[Tracked]) -> std::cmp::Ordering {
		b.ucb.total_cmp(&a.ucb).then_with(|| a.load.total_cmp(&b.load)).then_with(|| {
			let id = |c: &Candidate| workers.get(c.index).map(|w| w.worker.id);
			id(a).cmp(&id(b))
		})
	}

	/// Learns from a response (§5.6 `update_stats`): success counts, the reward's mean and
	/// variance, RTT, service time and the compute-time correction.
	pub fn update(&mut self, id: &WorkerId, outcome: &Outcome) {
		let predicted_compute =
			self.compute.reference_ms(outcome.tokens_in, outcome.tokens_out, outcome.context);
		let config = &self.config;
		let Some(&index) = self.index.get(id) else { return };
		let Some(tracked) = self.workers.get_mut(index) else { return };
		tracked.active = tracked.active.saturating_sub(1);
		if outcome.success {
			tracked.successes = tracked.successes.saturating_add(1);
		} else {
			tracked.failures = tracked.failures.saturating_add(1);
		}
		let baseline_ms = factors::latency_baseline(config, predicted_compute);
		let reward = if outcome.success {
			factors::latency(config, outcome.latency_ms, baseline_ms)
		} else {
			0.0
		};
		tracked.visits = tracked.visits.saturating_add(1);
		let delta = reward - tracked.reward_mean;
		tracked.reward_mean += delta / tracked.visits as f64;
		tracked.reward_m2 += delta * (reward - tracked.reward_mean);

		if let Some(rtt) = outcome.rtt_ms {
			tracked.rtt_ms.observe(config, rtt);
		}
		if outcome.success {
			let compute =
				outcome.compute_ms.unwrap_or((outcome.latency_ms - tracked.rtt_ms.mean).max(0.0));
			tracked.service_ms.observe(config, compute);
			let gpu =
				gpu_factor(config, tracked.worker.gpu.tflops, tracked.worker.gpu.bandwidth_gbs);
			let expected = predicted_compute * gpu;
			if expected > 0.0 && expected.is_finite() {
				tracked.compute_correction.observe(config, compute / expected);
			}
		}
		self.refresh(index);
	}

	/// The learned success counts and visits of a worker, for metrics.
	pub fn stats(&self, id: &WorkerId) -> Option<(u64, u64, u64)> {
		self.tracked(id).map(|t| (t.successes, t.failures, t.visits))
	}

	/// The latency the router predicts for `request` on `id` at `now_ms`.
	pub fn predicted_latency(&self, id: &WorkerId, request: &Request, now_ms: f64) -> Option<f64> {
		let reference_ms =
			self.compute.reference_ms(request.tokens_in, request.tokens_out, request.context);
		let index = *self.index.get(id)?;
		let (tracked, lane, cached) =
			(self.workers.get(index)?, self.lanes.get(index)?, self.cached.get(index)?);
		Some(tracked.predict(&self.config, lane, cached, reference_ms, now_ms))
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	use crate::factors::RiskSignals;
	use rand::Rng;

	fn fleet_worker(n: usize, rng: &mut ChaCha20Rng, prices: bool) -> Worker {
		let mut id = [0u8; 32];
		id[..8].copy_from_slice(&(n as u64).to_le_bytes());
		let tflops = [65.0, 125.0, 312.0, 990.0][rng.random_range(0..4)];
		Worker {
			id: WorkerId(id),
			gpu: Gpu {
				vram_mib: [24_576, 49_152, 81_920][rng.random_range(0..3)],
				cuda: (11 + rng.random_range(0..2), rng.random_range(0..3)),
				tflops,
				bandwidth_gbs: tflops * 6.5,
			},
			location: GeoPoint {
				lat: rng.random_range(-50.0..60.0),
				lon: rng.random_range(-120.0..140.0),
			},
			status: WorkerStatus::Available,
			price: if prices { rng.random_range(5.0..15.0) } else { 10.0 },
			capacity: rng.random_range(1..8),
			queue_max: 16,
			quality: [rng.random_range(0.5..1.0), 0.9, 0.9],
			risk: RiskSignals { failure_z: rng.random_range(-1.0..1.0), ..RiskSignals::default() },
		}
	}

	/// The sweep only skips work: with and without it, a router makes the same decisions
	/// through churn (loads, outages, departures, arrivals, moves), cold and warm workers,
	/// clients with and without a location, differing prices, retries and soft preferences.
	#[test]
	fn the_sweep_changes_no_decision() {
		for prices in [false, true] {
			let mut env = ChaCha20Rng::seed_from_u64(u64::from(prices));
			let mut swept = Router::new(RouterConfig::default(), ComputeModel::default(), 3);
			let mut plain = Router::new(RouterConfig::default(), ComputeModel::default(), 3);
			plain.sweep = false;
			let mut next = 0usize;
			for _ in 0..300 {
				let w = fleet_worker(next, &mut env, prices);
				next += 1;
				swept.upsert(w.clone());
				plain.upsert(w);
			}
			let mut checked = 0;
			for step in 0..3_000u32 {
				let now = f64::from(step) * 7.0;
				let request = Request {
					vram_mib: [16_384, 40_000][env.random_range(0..2)],
					cuda: (11, env.random_range(0..3)),
					allowed_regions: vec![],
					client: (step % 3 != 0).then_some(GeoPoint {
						lat: [50.1, 1.3][(step / 500 % 2) as usize],
						lon: [8.7, 103.8][(step / 500 % 2) as usize],
					}),
					max_latency_ms: (step % 5 == 0).then_some(1_500.0),
					budget: None,
					min_quality: None,
					tokens_in: env.random_range(10..2_000),
					tokens_out: env.random_range(1..300),
					context: 4_096,
				};
				let a = swept.select(&request, now);
				let b = plain.select(&request, now);
				assert_eq!(a, b, "step {step}");
				let Some(selection) = a else { continue };
				checked += 1;
				if step % 11 == 0 {
					let retry = swept.retry_select(&request, &selection, now);
					assert_eq!(retry, plain.retry_select(&request, &selection, now));
				}
				let success = env.random::<f64>() > 0.05;
				let outcome = Outcome {
					success,
					latency_ms: env.random_range(100.0..3_000.0),
					rtt_ms: Some(env.random_range(5.0..150.0)),
					compute_ms: None,
					tokens_in: request.tokens_in,
					tokens_out: request.tokens_out,
					context: request.context,
				};
				swept.update(&selection.chosen, &outcome);
				plain.update(&selection.chosen, &outcome);
				let ids: Vec<WorkerId> = swept.ids().copied().collect();
				let pick = |env: &mut ChaCha20Rng| ids[env.random_range(0..ids.len())];
				match step % 50 {
					7 => {
						let id = pick(&mut env);
						let (active, queue) = (env.random_range(0..10), env.random_range(0..5));
						swept.report_load(&id, active, queue, 0.9, 0.5);
						plain.report_load(&id, active, queue, 0.9, 0.5);
					},
					19 => {
						let id = pick(&mut env);
						swept.set_status(&id, WorkerStatus::Offline);
						plain.set_status(&id, WorkerStatus::Offline);
					},
					23 => {
						let id = pick(&mut env);
						swept.remove(&id);
						plain.remove(&id);
					},
					31 => {
						let w = fleet_worker(next, &mut env, prices);
						next += 1;
						swept.upsert(w.clone());
						plain.upsert(w);
					},
					43 => {
						let id = pick(&mut env);
						if let Some(mut w) = swept.worker(&id).cloned() {
							w.location = GeoPoint { lat: 0.0, lon: 0.0 };
							w.status = WorkerStatus::Available;
							swept.upsert(w.clone());
							plain.upsert(w);
						}
					},
					_ => {},
				}
			}
			assert!(checked > 2_500, "{checked}");
		}
	}

	#[test]
	fn a_lane_is_one_cache_line() {
		assert_eq!(std::mem::size_of::<Lane>(), 64);
		assert_eq!(std::mem::align_of::<Lane>(), 64);
	}
}
