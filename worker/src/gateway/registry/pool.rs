//! One model's pool: its router, and where to send the model's requests on each worker in
//! it.

use std::collections::{HashMap, HashSet};

use ail2_chain::RegisteredModel;
use ail2_primitives::receipt::PublicKey;
use ail2_router::{latency::ComputeModel, Router, RouterConfig, WorkerId, WorkerStatus};

use super::probe::{self, Probe};

/// Where to send a model's requests on one worker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
	pub id: WorkerId,
	pub receipt_key: PublicKey,
	pub url: String,
}

/// A model as requests see it.
#[derive(Clone, Debug)]
pub struct ModelView {
	pub model: RegisteredModel,
	/// Workers available for it now.
	pub available: usize,
}

pub(super) struct Pool {
	pub(super) model: RegisteredModel,
	pub(super) router: Router,
	pub(super) targets: HashMap<WorkerId, Target>,
}

impl Pool {
	pub(super) fn new(model: RegisteredModel, config: RouterConfig) -> Self {
		Self {
			model,
			router: Router::new(config, ComputeModel::default(), rand::random()),
			targets: HashMap::new(),
		}
	}

	pub(super) fn view(&self) -> ModelView {
		ModelView {
			model: self.model.clone(),
			available: self
				.targets
				.keys()
				.filter(|id| {
					self.router.worker(id).is_some_and(|w| w.status == WorkerStatus::Available)
				})
				.count(),
		}
	}

	/// Brings the pool up to date with the model's registration and the probes: a worker
	/// that serves the model is (re)entered with its load, one of the pool that did not
	/// answer is offline, and every other leaves.
	pub(super) fn apply(&mut self, model: &RegisteredModel, probes: &[Probe<'_>], chain_id: u32) {
		self.model = model.clone();
		let mut present = HashSet::new();
		for Probe { worker: registered, health, rtt } in probes {
			let id = WorkerId(registered.hot_key);
			let Some(health) = health else {
				if self.targets.contains_key(&id) {
					present.insert(id);
					self.router.set_status(&id, WorkerStatus::Offline);
				}
				continue;
			};
			if !probe::serves(health, registered, model, chain_id) {
				continue;
			}
			// Once the model has elected inference nodes, only they serve it this round.
			if !model.inference_nodes.is_empty()
				&& !model.inference_nodes.contains(&registered.hot_key)
			{
				continue;
			}
			present.insert(id);
			self.router.upsert(probe::router_worker(registered, health, model));
			let concurrency = f64::from(health.concurrency.max(1));
			self.router.report_load(
				&id,
				health.running,
				health.queued,
				f64::from(health.running) / concurrency,
				0.0,
			);
			self.router.observe_rtt(&id, rtt.as_secs_f64() * 1_000.0);
			self.targets.insert(
				id,
				Target {
					id,
					receipt_key: registered.receipt_key,
					url: registered.endpoint.trim_end_matches('/').to_owned(),
				},
			);
		}
		let gone: Vec<WorkerId> =
			self.targets.keys().filter(|id| !present.contains(id)).copied().collect();
		for id in gone {
			self.targets.remove(&id);
			self.router.remove(&id);
		}
	}
}
