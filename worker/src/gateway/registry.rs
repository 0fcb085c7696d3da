//! What the gateway routes over: the chain's active models and registered workers, each
//! worker probed over HTTP for the model it serves and its load. One router per model.
//!
//! A worker joins a model's pool only when its `/health` names that model's on-chain id,
//! name and current version, the gateway's chain, and the receipt key the chain has for it:
//! an endpoint cannot pose as another worker, and receipts it signs are payable.

use std::{
	collections::{HashMap, HashSet},
	sync::{Arc, Mutex, MutexGuard},
	time::{Duration, Instant},
};

use ail2_chain::{ChainClient, RegisteredModel, RegisteredWorker};
use ail2_primitives::{
	billing::{receipt_price, Usage},
	receipt::{PublicKey, SemVer},
};
use ail2_router::{
	factors::RiskSignals, latency::ComputeModel, GeoPoint, Gpu, Outcome, Region, Request, Router,
	RouterConfig, Selection, Worker, WorkerId, WorkerStatus,
};
use serde::Deserialize;

/// Where the registry comes from: the chain, or a fixed list in tests.
pub trait RegistrySource: Send + Sync + 'static {
	fn workers(
		&self,
	) -> impl std::future::Future<Output = Result<Vec<RegisteredWorker>, String>> + Send;
	fn models(
		&self,
	) -> impl std::future::Future<Output = Result<Vec<RegisteredModel>, String>> + Send;
}

impl RegistrySource for ChainClient {
	async fn workers(&self) -> Result<Vec<RegisteredWorker>, String> {
		ChainClient::workers(self).await.map_err(|e| e.to_string())
	}

	async fn models(&self) -> Result<Vec<RegisteredModel>, String> {
		self.active_models().await.map_err(|e| e.to_string())
	}
}

/// A registry that never changes.
pub struct StaticSource {
	pub workers: Vec<RegisteredWorker>,
	pub models: Vec<RegisteredModel>,
}

impl RegistrySource for StaticSource {
	async fn workers(&self) -> Result<Vec<RegisteredWorker>, String> {
		Ok(self.workers.clone())
	}

	async fn models(&self) -> Result<Vec<RegisteredModel>, String> {
		Ok(self.models.clone())
	}
}

/// What a worker's `/health` says.
#[derive(Clone, Debug, Deserialize)]
pub struct Health {
	pub model: String,
	pub model_id: u32,
	pub version: String,
	pub chain_id: u32,
	pub receipt_key: String,
	#[serde(default)]
	pub running: u32,
	#[serde(default)]
	pub queued: u32,
	#[serde(default = "one")]
	pub concurrency: u32,
	#[serde(default)]
	pub queue: u32,
}

fn one() -> u32 {
	1
}

/// Where to send a model's requests on one worker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
	pub id: WorkerId,
	pub receipt_key: PublicKey,
	pub url: String,
}

struct Pool {
	model: RegisteredModel,
	router: Router,
	targets: HashMap<WorkerId, Target>,
}

/// A model as requests see it.
#[derive(Clone, Debug)]
pub struct ModelView {
	pub model: RegisteredModel,
	pub available: usize,
}

/// The registry as last read from the source.
struct Snapshot {
	workers: Vec<RegisteredWorker>,
	models: Vec<RegisteredModel>,
	at: Instant,
}

pub struct Registry {
	chain_id: u32,
	router_config: RouterConfig,
	pools: Mutex<HashMap<String, Pool>>,
	last_source: Mutex<Option<Snapshot>>,
}

/// Datasheet FLOPS (dense FP16 tensor, TFLOPS) and memory bandwidth (GB/s) by GPU name, for
/// the router's compute-time model; the router corrects them from observed times.
pub fn gpu_datasheet(name: &str) -> (f64, f64) {
	let name = name.to_ascii_lowercase();
	const TABLE: [(&str, f64, f64); 8] = [
		("h200", 990.0, 4_800.0),
		("h100", 990.0, 3_350.0),
		("a100", 312.0, 2_039.0),
		("l40", 181.0, 864.0),
		("a10", 125.0, 600.0),
		("4090", 165.0, 1_008.0),
		("3090", 71.0, 936.0),
		("cpu", 1.0, 50.0),
	];
	TABLE
		.iter()
		.find(|(key, _, _)| name.contains(key))
		.map_or((100.0, 1_000.0), |(_, tflops, bandwidth)| (*tflops, *bandwidth))
}

fn micro_degrees(value: i32) -> f64 {
	f64::from(value) / 1_000_000.0
}

fn version_text(version: SemVer) -> String {
	format!("{}.{}.{}", version.major, version.minor, version.patch)
}

impl Registry {
	pub fn new(chain_id: u32, router_config: RouterConfig) -> Self {
		Self {
			chain_id,
			router_config,
			pools: Mutex::new(HashMap::new()),
			last_source: Mutex::new(None),
		}
	}

	fn pools(&self) -> MutexGuard<'_, HashMap<String, Pool>> {
		// A panic while holding the lock leaves plain data behind; keep serving.
		self.pools.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
	}

	/// The active models with how many workers serve each now.
	pub fn models(&self) -> Vec<ModelView> {
		let pools = self.pools();
		let mut views: Vec<ModelView> = pools.values().map(Self::view).collect();
		views.sort_by(|a, b| a.model.name.cmp(&b.model.name));
		views
	}

	pub fn model(&self, name: &str) -> Option<ModelView> {
		self.pools().get(name).map(Self::view)
	}

	fn view(pool: &Pool) -> ModelView {
		ModelView {
			model: pool.model.clone(),
			available: pool
				.targets
				.keys()
				.filter(|id| {
					pool.router.worker(id).is_some_and(|w| w.status == WorkerStatus::Available)
				})
				.count(),
		}
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
						lat: micro_degrees(region.lat_micro_deg),
						lon: micro_degrees(region.lon_micro_deg),
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
	/// failed).
	pub fn select(
		&self,
		model: &str,
		request: &Request,
		previous: Option<&Selection>,
		now_ms: f64,
	) -> Option<(Selection, Target)> {
		let mut pools = self.pools();
		let pool = pools.get_mut(model)?;
		let selection = match previous {
			None => pool.router.select(request, now_ms),
			Some(previous) => pool.router.retry_select(request, previous, now_ms),
		}?;
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
	) -> Result<(), String> {
		let cached = self.last_source.lock().ok().and_then(|last| {
			last.as_ref()
				.filter(|snapshot| snapshot.at.elapsed() < source_interval)
				.map(|snapshot| (snapshot.workers.clone(), snapshot.models.clone()))
		});
		let (workers, models) = match cached {
			Some(both) => both,
			None => {
				let workers = source.workers().await?;
				let models = source.models().await?;
				if let Ok(mut last) = self.last_source.lock() {
					*last = Some(Snapshot {
						workers: workers.clone(),
						models: models.clone(),
						at: Instant::now(),
					});
				}
				(workers, models)
			},
		};
		let probes = workers.iter().filter(|w| w.active).map(|worker| async move {
			let started = Instant::now();
			let url = format!("{}/health", worker.endpoint.trim_end_matches('/'));
			let health = async {
				let response = http.get(&url).timeout(probe_timeout).send().await.ok()?;
				let body = response.error_for_status().ok()?.bytes().await.ok()?;
				serde_json::from_slice::<Health>(&body).ok()
			}
			.await;
			(worker, health, started.elapsed())
		});
		let probed: Vec<(&RegisteredWorker, Option<Health>, Duration)> =
			futures_util::future::join_all(probes).await;
		self.apply(&models, &probed);
		Ok(())
	}

	/// Rebuilds the pools from the registry and the probes' answers.
	fn apply(
		&self,
		models: &[RegisteredModel],
		probed: &[(&RegisteredWorker, Option<Health>, Duration)],
	) {
		let mut pools = self.pools();
		let names: HashSet<&str> = models.iter().map(|m| m.name.as_str()).collect();
		pools.retain(|name, _| names.contains(name.as_str()));
		for model in models {
			let pool = pools.entry(model.name.clone()).or_insert_with(|| Pool {
				model: model.clone(),
				router: Router::new(
					self.router_config.clone(),
					ComputeModel::default(),
					rand::random(),
				),
				targets: HashMap::new(),
			});
			pool.model = model.clone();
			let mut present = HashSet::new();
			for (registered, health, rtt) in probed {
				let id = WorkerId(registered.hot_key);
				let Some(health) = health else {
					if pool.targets.contains_key(&id) {
						present.insert(id);
						pool.router.set_status(&id, WorkerStatus::Offline);
					}
					continue;
				};
				let serves_model = health.model == model.name
					&& health.model_id == model.id
					&& health.version == version_text(model.version)
					&& health.chain_id == self.chain_id
					&& health.receipt_key.trim_start_matches("0x")
						== hex::encode(registered.receipt_key);
				if !serves_model {
					continue;
				}
				present.insert(id);
				let (tflops, bandwidth_gbs) = gpu_datasheet(&registered.gpu_model);
				let count = f64::from(registered.gpu_count.max(1));
				pool.router.upsert(Worker {
					id,
					gpu: Gpu {
						vram_mib: registered.vram_mib,
						cuda: registered.cuda,
						tflops: tflops * count,
						bandwidth_gbs: bandwidth_gbs * count,
					},
					location: GeoPoint {
						lat: micro_degrees(registered.lat_micro_deg),
						lon: micro_degrees(registered.lon_micro_deg),
					},
					status: WorkerStatus::Available,
					// Every worker of a model bills by the model's one policy.
					price: receipt_price(
						&model.pricing.policy,
						&Usage { tokens_in: 256, tokens_out: 128, gpu_ms: 1_000 },
					) as f64,
					capacity: health.concurrency.max(1),
					queue_max: health.queue,
					// No evaluations on chain yet: every worker is presumed equally good.
					quality: [0.9, 0.9, 0.9],
					risk: RiskSignals::default(),
				});
				let concurrency = f64::from(health.concurrency.max(1));
				pool.router.report_load(
					&id,
					health.running,
					health.queued,
					f64::from(health.running) / concurrency,
					0.0,
				);
				pool.router.observe_rtt(&id, rtt.as_secs_f64() * 1_000.0);
				pool.targets.insert(
					id,
					Target {
						id,
						receipt_key: registered.receipt_key,
						url: registered.endpoint.trim_end_matches('/').to_owned(),
					},
				);
			}
			let gone: Vec<WorkerId> =
				pool.targets.keys().filter(|id| !present.contains(id)).copied().collect();
			for id in gone {
				pool.targets.remove(&id);
				pool.router.remove(&id);
			}
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
