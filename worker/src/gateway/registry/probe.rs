//! Probing: each active worker's `/health`, and what a good answer makes of the worker in a
//! model's router. A worker serves a model only when its `/health` names that model's
//! on-chain id, name and current version, the gateway's chain, and the receipt key the chain
//! has for it: an endpoint cannot pose as another worker, and receipts it signs are payable.

use std::time::{Duration, Instant};

use ail2_chain::{RegisteredModel, RegisteredWorker};
use ail2_primitives::billing::{receipt_price, Usage};
use ail2_router::{factors::RiskSignals, GeoPoint, Gpu, Worker, WorkerId, WorkerStatus};

use crate::serve::Health;

/// A worker's answer to one probe: its health (none if it did not answer well) and how long
/// the answer took.
pub(super) struct Probe<'a> {
	pub(super) worker: &'a RegisteredWorker,
	pub(super) health: Option<Health>,
	pub(super) rtt: Duration,
}

/// Probes every active worker in `workers` once, all at the same time.
pub(super) async fn probe_active<'a>(
	workers: &'a [RegisteredWorker],
	http: &reqwest::Client,
	timeout: Duration,
) -> Vec<Probe<'a>> {
	let probes = workers.iter().filter(|w| w.active).map(|worker| async move {
		let started = Instant::now();
		let url = format!("{}/health", worker.endpoint.trim_end_matches('/'));
		let health = async {
			let response = http.get(&url).timeout(timeout).send().await.ok()?;
			let body = response.error_for_status().ok()?.bytes().await.ok()?;
			serde_json::from_slice::<Health>(&body).ok()
		}
		.await;
		Probe { worker, health, rtt: started.elapsed() }
	});
	futures_util::future::join_all(probes).await
}

/// Whether `health` says the worker serves `model` on `chain_id`, signing with the receipt
/// key the chain has for it.
pub(super) fn serves(
	health: &Health,
	registered: &RegisteredWorker,
	model: &RegisteredModel,
	chain_id: u32,
) -> bool {
	health.model == model.name
		&& health.model_id == model.id
		&& health.version == model.version.to_string()
		&& health.chain_id == chain_id
		&& health.receipt_key.trim_start_matches("0x") == hex::encode(registered.receipt_key)
}

/// The router's view of a worker serving `model`, from its registration and its health.
pub(super) fn router_worker(
	registered: &RegisteredWorker,
	health: &Health,
	model: &RegisteredModel,
) -> Worker {
	let (tflops, bandwidth_gbs) = gpu_datasheet(&registered.gpu_model);
	let count = f64::from(registered.gpu_count.max(1));
	Worker {
		id: WorkerId(registered.hot_key),
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
	}
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

/// Degrees from the chain's millionths of a degree.
pub(super) fn micro_degrees(value: i32) -> f64 {
	f64::from(value) / 1_000_000.0
}
