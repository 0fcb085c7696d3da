//! Prometheus metrics of the serving worker (`/metrics`), and what the worker's and the
//! gateway's metrics share: request labels, registration and rendering.

use axum::http::StatusCode;
use prometheus_client::{
	encoding::{text::encode, EncodeLabelSet},
	metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
	registry::{Metric, Registry},
};

use crate::openai::Endpoint;

/// The `Content-Type` of a `/metrics` response.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A request counted by its endpoint and the status it was answered with.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
	pub endpoint: String,
	pub status: u16,
}

/// Requests counted by endpoint and status.
pub type Requests = Family<RequestLabels, Counter>;

/// Counts one request to `endpoint` answered with `status`.
pub fn count_request(requests: &Requests, endpoint: Endpoint, status: StatusCode) {
	let labels = RequestLabels { endpoint: endpoint.label().into(), status: status.as_u16() };
	requests.get_or_create(&labels).inc();
}

pub struct Metrics {
	registry: Registry,
	pub requests: Requests,
	pub receipts: Counter,
	pub tokens_generated: Counter,
	pub inference_seconds: Histogram,
	pub queued: Gauge,
	pub running: Gauge,
	pub batches_proposed: Counter,
	pub batches_settled: Counter,
	pub availability_answered: Counter,
	pub transcripts_served: Counter,
	pub poi_bids: Counter,
	pub poi_checks_opened: Counter,
	pub poi_votes_valid: Counter,
	pub poi_votes_invalid: Counter,
}

impl Metrics {
	pub fn new() -> Self {
		let mut metrics = Registrar::new("ail2_worker");
		let buckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];
		Self {
			requests: metrics.add("requests", "HTTP requests by endpoint and status"),
			receipts: metrics.add("receipts", "Receipts signed and persisted"),
			tokens_generated: metrics.add("tokens_generated", "Completion tokens generated"),
			inference_seconds: metrics.add_metric(
				"inference_seconds",
				"Time per generation",
				Histogram::new(buckets),
			),
			queued: metrics.add("queued_requests", "Requests waiting for a model slot"),
			running: metrics.add("running_requests", "Requests being generated"),
			batches_proposed: metrics.add("batches_proposed", "Batches proposed on chain"),
			batches_settled: metrics.add("batches_settled", "Batches paid out"),
			availability_answered: metrics.add(
				"availability_answered",
				"Leaves posted on chain to answer data-availability challenges",
			),
			transcripts_served: metrics
				.add("transcripts_served", "Inference transcripts served to payers and verifiers"),
			poi_bids: metrics.add("poi_bids", "Bids placed for election as an inference node"),
			poi_checks_opened: metrics
				.add("poi_checks_opened", "Spot checks opened as a member of a verifier group"),
			poi_votes_valid: metrics
				.add("poi_votes_valid", "Checks voted valid after a matching replay"),
			poi_votes_invalid: metrics.add(
				"poi_votes_invalid",
				"Checks voted invalid: a failed replay or a transcript not produced",
			),
			registry: metrics.finish(),
		}
	}

	pub fn render(&self) -> String {
		render(&self.registry)
	}
}

impl Default for Metrics {
	fn default() -> Self {
		Self::new()
	}
}

/// Builds a registry while a metrics struct takes the metrics it registers.
pub struct Registrar(Registry);

impl Registrar {
	/// Every metric's name will start with `prefix`.
	pub fn new(prefix: &str) -> Self {
		Self(Registry::with_prefix(prefix))
	}

	/// A new metric, registered under `name`.
	pub fn add<M: Metric + Clone + Default>(&mut self, name: &str, help: &str) -> M {
		self.add_metric(name, help, M::default())
	}

	/// `metric`, registered under `name`.
	pub fn add_metric<M: Metric + Clone>(&mut self, name: &str, help: &str, metric: M) -> M {
		self.0.register(name, help, metric.clone());
		metric
	}

	pub fn finish(self) -> Registry {
		self.0
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
