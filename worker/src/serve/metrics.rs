//! Prometheus metrics of the serving worker (`/metrics`).

use prometheus_client::{
	encoding::{text::encode, EncodeLabelSet},
	metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
	registry::Registry,
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
	pub endpoint: String,
	pub status: u16,
}

pub struct Metrics {
	registry: Registry,
	pub requests: Family<RequestLabels, Counter>,
	pub receipts: Counter,
	pub tokens_generated: Counter,
	pub inference_seconds: Histogram,
	pub queued: Gauge,
	pub running: Gauge,
	pub batches_proposed: Counter,
	pub batches_settled: Counter,
}

impl Metrics {
	pub fn new() -> Self {
		let mut registry = Registry::with_prefix("ail2_worker");
		let requests = Family::<RequestLabels, Counter>::default();
		let receipts = Counter::default();
		let tokens_generated = Counter::default();
		let inference_seconds =
			Histogram::new([0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0]);
		let queued = Gauge::default();
		let running = Gauge::default();
		let batches_proposed = Counter::default();
		let batches_settled = Counter::default();
		registry.register("requests", "HTTP requests by endpoint and status", requests.clone());
		registry.register("receipts", "Receipts signed and persisted", receipts.clone());
		registry.register(
			"tokens_generated",
			"Completion tokens generated",
			tokens_generated.clone(),
		);
		registry.register("inference_seconds", "Time per generation", inference_seconds.clone());
		registry.register("queued_requests", "Requests waiting for a model slot", queued.clone());
		registry.register("running_requests", "Requests being generated", running.clone());
		registry.register(
			"batches_proposed",
			"Batches proposed on chain",
			batches_proposed.clone(),
		);
		registry.register("batches_settled", "Batches paid out", batches_settled.clone());
		Self {
			registry,
			requests,
			receipts,
			tokens_generated,
			inference_seconds,
			queued,
			running,
			batches_proposed,
			batches_settled,
		}
	}

	pub fn record(&self, endpoint: &str, status: u16) {
		self.requests.get_or_create(&RequestLabels { endpoint: endpoint.into(), status }).inc();
	}

	pub fn render(&self) -> String {
		render(&self.registry)
	}
}

/// The OpenMetrics text of `registry` (empty if encoding fails).
pub fn render(registry: &Registry) -> String {
	let mut out = String::new();
	if encode(&mut out, registry).is_err() {
		out.clear();
	}
	out
}

impl Default for Metrics {
	fn default() -> Self {
		Self::new()
	}
}
