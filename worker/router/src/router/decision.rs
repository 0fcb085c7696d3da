//! The decision (§5.6 steps 2–4): the hard constraints and soft preferences, the predicted
//! latency, the score and its UCB, the top K, and the softmax draw among them.
//!
//! A decision looks at the previous decision's top K first, then the cold workers whose
//! turn it is, then the warm fleet through the sweep (`sweep.rs`), so that the bar for
//! entering the top K — the K-th best UCB, which only rises — is high early, and a worker
//! whose UCB bound is below it costs no exponential. Workers that miss a soft preference
//! are kept aside and enter only if none meets them (soft constraints are best effort).

use rand_chacha::ChaCha20Rng;

use crate::{
	factors::{self, CostRange},
	sampling, RouterConfig,
};

use super::{
	tracking::{Cached, Lane, Tracked, Wait, AVAILABLE, COLD, IN_TOP},
	types::{cuda_rank, Request, Selection, WorkerId},
	Router,
};

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
pub(super) struct Gate<'a> {
	pub(super) request: &'a Request,
	cuda: u16,
	allowed: Option<&'a dyn Fn(&WorkerId) -> bool>,
	/// Regions or a retry's restriction to check (they need the worker's record).
	pub(super) slow: bool,
	/// Whether the request has soft preferences.
	soft: bool,
	pub(super) reference_ms: f64,
	pub(super) now_ms: f64,
}

impl<'a> Gate<'a> {
	fn new(
		request: &'a Request,
		allowed: Option<&'a dyn Fn(&WorkerId) -> bool>,
		reference_ms: f64,
		now_ms: f64,
	) -> Self {
		Self {
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
		}
	}

	/// The hard constraints, and a retry's restriction: VRAM, CUDA and availability from
	/// the lane, regions from the worker's record ([`Router::admissible`]).
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

	/// `lat_pred` (§5.3): from the lane when its wait is known, else worked out. A worker
	/// still saturated at `now_ms` is answered without reading its record, as
	/// [`Tracked::predict`] would.
	#[inline]
	fn latency(
		&self,
		config: &RouterConfig,
		index: usize,
		lane: &Lane,
		workers: &[Tracked],
		cached: &[Cached],
	) -> Option<f64> {
		if let Some(latency) = lane.known_latency(config, self.reference_ms) {
			return Some(latency);
		}
		let cached = cached.get(index)?;
		if let Wait::Saturated { until_ms } = cached.wait {
			if self.now_ms < until_ms {
				return Some(config.saturated_latency_ms);
			}
		}
		let tracked = workers.get(index)?;
		Some(tracked.predict(config, lane, cached, self.reference_ms, self.now_ms))
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

/// What a decision adds to a worker's [`Lane`] to score it.
pub(super) struct Terms {
	pub(super) log_t: f64,
	pub(super) sqrt_log_t: f64,
	cost: CostRange,
	cost_weight: f64,
	proximity_weight: f64,
	constant: f64,
	pub(super) latency_weight: f64,
	/// `λ_l / lat_baseline` ([`factors::latency_rate`]).
	pub(super) latency_rate: f64,
	baseline_ms: f64,
	success_weight: f64,
	/// `w_r·φ_r(1)`: what a cold worker's Thompson sample can add at most.
	best_success: f64,
}

impl Terms {
	/// The terms of decision `t` for a request whose compute time on the reference GPU is
	/// `reference_ms`, over the admissible workers' `cost` range, from a client whose
	/// location is known or not.
	fn new(
		config: &RouterConfig,
		t: u64,
		cost: CostRange,
		reference_ms: f64,
		located: bool,
	) -> Self {
		let w = &config.weights;
		let baseline_ms = factors::latency_baseline(config, reference_ms);
		let log_t = (t.max(1) as f64).ln();
		Self {
			log_t,
			sqrt_log_t: log_t.sqrt(),
			cost,
			cost_weight: w.cost,
			// φ_p is 1 for every worker when the client's location is unknown.
			proximity_weight: if located { w.proximity } else { 0.0 },
			constant: if located { 0.0 } else { w.proximity },
			latency_weight: w.latency,
			latency_rate: factors::latency_rate(config, baseline_ms),
			baseline_ms,
			success_weight: w.success,
			best_success: w.success * factors::success(config, 1.0),
		}
	}

	/// The score without φ_l and a cold worker's φ_r, with the exploration bonus; and the
	/// bonus.
	#[inline]
	fn partial(&self, lane: &Lane) -> (f64, f64) {
		let bonus = lane.bonus.with_log(self.log_t, self.sqrt_log_t);
		let partial = lane.fixed
			+ self.cost_weight * self.cost.factor(lane.price)
			+ self.proximity_weight * lane.proximity
			+ self.constant
			+ bonus;
		(partial, bonus)
	}

	/// Whether the worker's UCB is certainly below `bar`: the partial score, a cold
	/// worker's best φ_r, and φ_l's bound ([`factors::latency_gain_below`]). No branches.
	#[inline]
	pub(super) fn below(&self, lane: &Lane, latency_ms: f64, bar: f64) -> bool {
		let (partial, _) = self.partial(lane);
		let cold = f64::from(u8::from(lane.flags & COLD != 0));
		let gap = bar - partial - cold * self.best_success;
		factors::latency_gain_below(self.latency_weight, self.latency_rate, latency_ms, gap)
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

/// Candidates a decision keeps beyond its top K: the next decision scores them first with
/// the top K, so its bar is the K-th best of more than K and stays high when the worker
/// just chosen (whose UCB fell with its new visit) drops out.
const RUNNERS_UP: usize = 8;

/// The ranking of the top K: higher UCB first, then less load, then the lower id.
fn rank(a: &Candidate, b: &Candidate, workers: &[Tracked]) -> std::cmp::Ordering {
	b.ucb.total_cmp(&a.ucb).then_with(|| a.load.total_cmp(&b.load)).then_with(|| {
		let id = |c: &Candidate| workers.get(c.index).map(|w| w.worker.id);
		id(a).cmp(&id(b))
	})
}

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
			.partition_point(|c| rank(c, &candidate, workers) == std::cmp::Ordering::Less);
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

impl Router {
	/// Decision `t` for `request` at `now_ms`, among the workers `allowed` admits (all, but
	/// for a retry): §5.6 steps 2–4, and the chosen worker's dispatch is recorded.
	pub(super) fn decide(
		&mut self,
		request: &Request,
		now_ms: f64,
		allowed: Option<&dyn Fn(&WorkerId) -> bool>,
	) -> Option<Selection> {
		self.decisions = self.decisions.saturating_add(1);
		let t = self.decisions;
		let reference_ms =
			self.compute.reference_ms(request.tokens_in, request.tokens_out, request.context);
		if self.lanes.is_empty() {
			return None;
		}
		self.locate_client(request.client.map(|c| (c.lat, c.lon)));
		self.require((request.vram_mib, cuda_rank(request.cuda)));
		let gate = Gate::new(request, allowed, reference_ms, now_ms);
		let cost = self.cost_range(&gate);
		let terms = Terms::new(&self.config, t, cost, reference_ms, request.client.is_some());

		let (top, runners_up) = self.gather(&gate, &terms).split();
		if top.is_empty() {
			return None;
		}
		self.remember(&top, &runners_up);
		let chosen = self.draw(&top, t)?;
		let id_of = |c: &Candidate| self.workers.get(c.index).map(|w| w.worker.id);
		let selection = Selection {
			chosen: id_of(&chosen)?,
			top_k: top.iter().filter_map(id_of).collect(),
			predicted_latency_ms: chosen.latency_ms,
			score: chosen.score,
		};
		if let Some(tracked) = self.workers.get_mut(chosen.index) {
			tracked.dispatched(&self.config, now_ms);
		}
		self.refresh(chosen.index);
		Some(selection)
	}

	/// φ_c's range (§5.2.3) over the admissible workers' prices. Every worker of an AIL2
	/// model bills by the model's one pricing policy, so φ_c is usually 1 for all and this
	/// pass is skipped.
	fn cost_range(&mut self, gate: &Gate) -> CostRange {
		if self.price_dirty {
			self.uniform_price = self.lanes.windows(2).all(|pair| match pair {
				[a, b] => a.price.to_bits() == b.price.to_bits(),
				_ => true,
			});
			self.price_dirty = false;
		}
		if self.uniform_price {
			return CostRange::new(0.0, 0.0);
		}
		let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
		for (index, lane) in self.lanes.iter().enumerate() {
			if gate.admits(index, lane, &self.workers) {
				// Plain comparisons: `f64::min` and `max` handle NaN, a branch more.
				if lane.price < min {
					min = lane.price;
				}
				if lane.price > max {
					max = lane.price;
				}
			}
		}
		CostRange::new(min, max)
	}

	/// The top K by UCB (ties: less load, then id) of the workers that meet the hard
	/// constraints and, if any does, the soft preferences (they are best effort: the others
	/// wait in `fallback` in case none does). Once there are K, the K-th best UCB is a bar
	/// that only rises, and a worker whose UCB bound — no exponential — is below it cannot
	/// enter. Cold workers take turns: at most `cold_candidates` of them per decision.
	fn gather(&mut self, gate: &Gate, terms: &Terms) -> TopK {
		let count = self.lanes.len();
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
			gate,
			terms,
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
					self.sweep_blocks(gate, terms, cold, bar, range, &mut cold_left, &mut kept);
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
		top
	}

	/// The next decision's seeds: this top K and its runners-up, the warm ones (a cold one
	/// is scored with a fresh Thompson sample each time it takes its turn).
	fn remember(&mut self, top: &[Candidate], runners_up: &[Candidate]) {
		for index in self.last_top.drain(..) {
			if let Some(lane) = self.lanes.get_mut(index) {
				lane.flags &= !IN_TOP;
			}
		}
		for candidate in top.iter().chain(runners_up) {
			if let Some(lane) = self.lanes.get_mut(candidate.index) {
				if lane.flags & COLD == 0 {
					lane.flags |= IN_TOP;
					self.last_top.push(candidate.index);
				}
			}
		}
	}

	/// The softmax draw over the top K at decision `t`'s temperature (§5.4.2), then
	/// least-load tie-breaking (§5.5.2): among candidates scoring the same as the one drawn,
	/// the least loaded.
	fn draw(&mut self, top: &[Candidate], t: u64) -> Option<Candidate> {
		let scores: Vec<f64> = top.iter().map(|c| c.score).collect();
		let probabilities = sampling::softmax(&scores, sampling::temperature(&self.config, t));
		let drawn = *top.get(sampling::categorical(&probabilities, &mut self.rng))?;
		let epsilon = self.config.tie_epsilon;
		let id_of = |c: &Candidate| self.workers.get(c.index).map(|w| w.worker.id);
		let chosen = top
			.iter()
			.filter(|c| (c.score - drawn.score).abs() <= epsilon)
			.min_by(|a, b| a.load.total_cmp(&b.load).then_with(|| id_of(a).cmp(&id_of(b))))
			.copied()
			.unwrap_or(drawn);
		Some(chosen)
	}
}
