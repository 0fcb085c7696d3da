//! The routing workflow of whitepaper §5.6: filter by hard constraints, predict latency,
//! score, add the exploration bonus, keep the top K, sample by softmax, retry elsewhere on
//! failure, and learn from every response.
//!
//! - `types.rs`: what the gateway passes in and gets back (workers, requests, outcomes,
//!   selections).
//! - this file: the [`Router`] and its public API — the registry's and the probes' updates,
//!   `select`, `retry_select` and `update`.
//! - `tracking.rs`: what is learned about each worker, and the per-worker numbers every
//!   decision reads (its lane), rebuilt after each change.
//! - `decision.rs`: one decision — constraints, preferences, score, UCB, top K, draw.
//! - `sweep.rs`: the `f32` blocks that let a decision rule most workers out eight at a time,
//!   and the cold workers' turns.
//!
//! The crate's root lists, term by term, where the whitepaper's score is computed.

mod decision;
mod sweep;
#[cfg(test)]
mod tests;
mod tracking;
mod types;

use std::collections::HashMap;

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use crate::{factors, latency::ComputeModel, RouterConfig};

pub use self::types::{
	GeoPoint, Gpu, Outcome, Region, Request, Selection, Worker, WorkerId, WorkerStatus,
};
use self::{
	sweep::Block,
	tracking::{Cached, Lane, Tracked, IN_TOP},
};

/// The scheduler of one model's workers (a gateway keeps one per model): it tracks them
/// from the registry's and the probes' updates, chooses one for each request
/// ([`Router::select`]) and learns from every outcome ([`Router::update`]).
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
		self.track(id, |tracked, _| tracked.report_load(active, queue, gpu_util, mem_util));
	}

	/// A network round trip measured outside a request (a health probe).
	pub fn observe_rtt(&mut self, id: &WorkerId, rtt_ms: f64) {
		self.track(id, |tracked, config| tracked.observe_rtt(config, rtt_ms));
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
		self.track(id, |tracked, _| tracked.worker.status = status);
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

	/// Learns from a response (§5.6 `update_stats`): success counts, the reward's mean and
	/// variance, RTT, service time and the compute-time correction.
	pub fn update(&mut self, id: &WorkerId, outcome: &Outcome) {
		let predicted_compute =
			self.compute.reference_ms(outcome.tokens_in, outcome.tokens_out, outcome.context);
		self.track(id, |tracked, config| tracked.learn(config, outcome, predicted_compute));
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
