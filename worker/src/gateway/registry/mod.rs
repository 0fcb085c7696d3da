//! What the gateway routes over: the chain's active models and registered workers, each
//! worker probed over HTTP for the model it serves and its load. One router per model.
//!
//! The registry is read from its [`RegistrySource`] at most every `source_interval`; every
//! active worker is probed on each refresh ([`probe`]), and each model's [`pool`] is rebuilt
//! from the answers. A worker joins a model's pool only when its `/health` names that
//! model's on-chain id, name and current version, the gateway's chain, and the receipt key
//! the chain has for it: an endpoint cannot pose as another worker, and receipts it signs
//! are payable.

mod pool;
mod probe;
mod source;

use std::{
	collections::{HashMap, HashSet},
	sync::{Arc, Mutex, MutexGuard},
	time::{Duration, Instant},
};

use ail2_chain::{RegisteredModel, RegisteredWorker};
use ail2_router::{
	GeoPoint, Outcome, Region, Request, RouterConfig, Selection, WorkerId, WorkerStatus,
};

use pool::Pool;
pub use pool::{ModelView, Share, Target};
pub use probe::gpu_datasheet;
pub use source::{RegistrySource, StaticSource};

use super::{
	risk::{Assessment, Book, Level, Observed, RiskConfig},
	state::lock,
};

/// The registry as last read from the source.
struct Snapshot {
	workers: Vec<RegisteredWorker>,
	models: Vec<RegisteredModel>,
	at: Instant,
}

pub struct Registry {
	chain_id: u32,
	router_config: RouterConfig,
	risk_config: RiskConfig,
	pools: Mutex<HashMap<String, Pool>>,
	last_source: Mutex<Option<Snapshot>>,
	/// What the gateway observed of each worker, across models.
	book: Mutex<Book>,
}

/// One worker's risk on one model, as `GET /workers` lists it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct WorkerRisk {
	pub model: String,
	#[serde(serialize_with = "hex_id")]
	pub worker: WorkerId,
	pub url: Option<String>,
	#[serde(flatten)]
	pub assessment: Assessment,
	/// For a worker the router chose while its share was limited: how often the choice was
	/// kept and diverted.
	pub share: Option<Share>,
}

fn hex_id<S: serde::Serializer>(id: &WorkerId, serializer: S) -> Result<S::Ok, S::Error> {
	serializer.serialize_str(&format!("0x{}", hex::encode(id.0)))
}

impl Registry {
	pub fn new(chain_id: u32, router_config: RouterConfig) -> Self {
		Self::with_risk(chain_id, router_config, RiskConfig::default())
	}

	pub fn with_risk(chain_id: u32, router_config: RouterConfig, risk_config: RiskConfig) -> Self {
		Self {
			chain_id,
			router_config,
			risk_config,
			pools: Mutex::new(HashMap::new()),
			last_source: Mutex::new(None),
			book: Mutex::new(Book::default()),
		}
	}

	/// Records what the gateway saw of a worker; it counts in its risk from the next
	/// refresh.
	pub fn observe(&self, id: &WorkerId, f: impl FnOnce(&mut Observed)) {
		f(lock(&self.book).entry(*id));
	}

	/// The handling level of a worker on `model`.
	pub fn level(&self, model: &str, id: &WorkerId) -> Level {
		self.pools().get(model).map_or(Level::Normal, |pool| pool.level(id))
	}

	/// Every assessed worker's risk, by model then worker.
	pub fn risks(&self) -> Vec<WorkerRisk> {
		let pools = self.pools();
		let mut risks: Vec<WorkerRisk> = pools
			.values()
			.flat_map(|pool| {
				pool.assessments.iter().map(|(id, assessment)| WorkerRisk {
					model: pool.model.name.clone(),
					worker: *id,
					url: pool.targets.get(id).map(|target| target.url.clone()),
					assessment: *assessment,
					share: pool.shares.get(id).copied(),
				})
			})
			.collect();
		risks.sort_by(|a, b| (&a.model, a.worker.0).cmp(&(&b.model, b.worker.0)));
		risks
	}

	fn pools(&self) -> MutexGuard<'_, HashMap<String, Pool>> {
		lock(&self.pools)
	}

	/// The active models with how many workers serve each now.
	pub fn models(&self) -> Vec<ModelView> {
		let pools = self.pools();
		let mut views: Vec<ModelView> = pools.values().map(Pool::view).collect();
		views.sort_by(|a, b| a.model.name.cmp(&b.model.name));
		views
	}

	pub fn model(&self, name: &str) -> Option<ModelView> {
		self.pools().get(name).map(Pool::view)
	}

	/// The router's request for `model`: its GPU and region constraints, the key's budget.
	pub fn route_request(
		model: &RegisteredModel,
		tokens_in: u32,
		tokens_out: u32,
		budget: Option<f64>,
	) -> Request {
		Request {
			vram_mib: model.min_vram_mib,
			cuda: model.min_cuda,
			allowed_regions: model
				.allowed_regions
				.iter()
				.map(|region| Region {
					center: GeoPoint {
						lat: probe::micro_degrees(region.lat_micro_deg),
						lon: probe::micro_degrees(region.lon_micro_deg),
					},
					radius_km: f64::from(region.radius_km),
				})
				.collect(),
			client: None,
			max_latency_ms: (model.max_latency_ms > 0).then_some(f64::from(model.max_latency_ms)),
			budget,
			min_quality: None,
			tokens_in,
			tokens_out,
			context: 4_096,
		}
	}

	/// Picks a worker for `request` on `model` (or, with `previous`, another one after it
	/// failed). A worker of limited share keeps `limited_share` of the router's choices of
	/// it; the rest go to the router's next choice where there is one.
	pub fn select(
		&self,
		model: &str,
		request: &Request,
		previous: Option<&Selection>,
		now_ms: f64,
	) -> Option<(Selection, Target)> {
		let mut pools = self.pools();
		let pool = pools.get_mut(model)?;
		let mut selection = match previous {
			None => pool.router.select(request, now_ms),
			Some(previous) => pool.router.retry_select(request, previous, now_ms),
		}?;
		if pool.level(&selection.chosen) == Level::LimitedShare {
			let limited = selection.chosen;
			let keep = rand::random::<f64>() < self.risk_config.limited_share;
			let other =
				if keep { None } else { pool.router.retry_select(request, &selection, now_ms) };
			let share = pool.shares.entry(limited).or_default();
			match other {
				Some(other) => {
					share.diverted = share.diverted.saturating_add(1);
					selection = other;
				},
				None => share.kept = share.kept.saturating_add(1),
			}
		}
		let target = pool.targets.get(&selection.chosen)?.clone();
		Some((selection, target))
	}

	/// Learns from a dispatched request's outcome.
	pub fn update(&self, model: &str, id: &WorkerId, outcome: &Outcome) {
		if let Some(pool) = self.pools().get_mut(model) {
			pool.router.update(id, outcome);
		}
	}

	/// Takes a worker out of rotation until its next good probe.
	pub fn mark_offline(&self, model: &str, id: &WorkerId) {
		if let Some(pool) = self.pools().get_mut(model) {
			pool.router.set_status(id, WorkerStatus::Offline);
		}
	}

	/// Re-reads the registry (at most every `source_interval`) and probes every active
	/// worker once.
	pub async fn refresh<S: RegistrySource>(
		&self,
		source: &S,
		http: &reqwest::Client,
		source_interval: Duration,
		probe_timeout: Duration,
	) -> Result<(), S::Error> {
		let cached = lock(&self.last_source)
			.as_ref()
			.filter(|snapshot| snapshot.at.elapsed() < source_interval)
			.map(|snapshot| (snapshot.workers.clone(), snapshot.models.clone()));
		let (workers, models) = match cached {
			Some(both) => both,
			None => {
				let workers = source.workers().await?;
				let models = source.models().await?;
				*lock(&self.last_source) = Some(Snapshot {
					workers: workers.clone(),
					models: models.clone(),
					at: Instant::now(),
				});
				(workers, models)
			},
		};
		let probes = probe::probe_active(&workers, http, probe_timeout).await;
		self.apply(&models, &probes);
		Ok(())
	}

	/// Rebuilds the pools from the registry and the probes' answers.
	fn apply(&self, models: &[RegisteredModel], probes: &[probe::Probe<'_>]) {
		let book = lock(&self.book);
		let mut pools = self.pools();
		let names: HashSet<&str> = models.iter().map(|m| m.name.as_str()).collect();
		pools.retain(|name, _| names.contains(name.as_str()));
		for model in models {
			pools
				.entry(model.name.clone())
				.or_insert_with(|| Pool::new(model.clone(), self.router_config.clone()))
				.apply(model, probes, self.chain_id, &book, &self.risk_config);
		}
	}
}

/// Keeps the registry current until the process ends.
pub async fn follow<S: RegistrySource>(
	registry: Arc<Registry>,
	source: S,
	http: reqwest::Client,
	probe_interval: Duration,
	source_interval: Duration,
) {
	let mut ticker = tokio::time::interval(probe_interval);
	ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
	loop {
		ticker.tick().await;
		if let Err(error) = registry
			.refresh(
				&source,
				&http,
				source_interval,
				probe_interval.max(Duration::from_millis(500)),
			)
			.await
		{
			tracing::warn!(%error, "registry refresh failed; routing on what was known");
		}
	}
}
