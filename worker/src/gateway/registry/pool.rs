//! One model's pool: its router, and where to send the model's requests on each worker in
//! it.

use std::collections::{HashMap, HashSet};

use ail2_chain::RegisteredModel;
use ail2_primitives::receipt::PublicKey;
use ail2_router::{latency::ComputeModel, Router, RouterConfig, WorkerId, WorkerStatus};

use super::probe::{self, Probe};
use crate::gateway::risk::{self, Assessment, Book, Features, Level, RiskConfig};

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
	/// The risk of every worker that serves the model, excluded ones included.
	pub(super) assessments: HashMap<WorkerId, Assessment>,
	/// How often the router chose a worker of limited share and the gateway kept or
	/// diverted the choice.
	pub(super) shares: HashMap<WorkerId, Share>,
}

/// A limited worker's share of its choices.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Share {
	pub kept: u64,
	pub diverted: u64,
}

impl Pool {
	pub(super) fn new(model: RegisteredModel, config: RouterConfig) -> Self {
		Self {
			model,
			router: Router::new(config, ComputeModel::default(), rand::random()),
			targets: HashMap::new(),
			assessments: HashMap::new(),
			shares: HashMap::new(),
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
	/// answer is offline, and every other leaves. Each serving worker's risk is assessed
	/// from the chain's record and the gateway's `book`; an excluded one leaves too.
	pub(super) fn apply(
		&mut self,
		model: &RegisteredModel,
		probes: &[Probe<'_>],
		chain_id: u32,
		book: &Book,
		risk_config: &RiskConfig,
	) {
		self.model = model.clone();
		let median = book.median_ms_per_token(self.targets.keys());
		let mut present = HashSet::new();
		let mut assessments = HashMap::new();
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
			let features = Features::of(risk_config, registered, &book.get(&id), median);
			let assessment = risk::assess(risk_config, features);
			assessments.insert(id, assessment);
			if assessment.level == Level::Excluded {
				continue;
			}
			present.insert(id);
			let mut worker = probe::router_worker(registered, health, model);
			worker.risk = features.router_signals(risk_config, registered.violations);
			self.router.upsert(worker);
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
		self.assessments = assessments;
	}

	/// The handling level of a worker of the pool; one not assessed yet is normal.
	pub(super) fn level(&self, id: &WorkerId) -> Level {
		self.assessments.get(id).map_or(Level::Normal, |assessment| assessment.level)
	}
}
