//! Prometheus metrics of the gateway (`/metrics`): requests, and per worker its selections,
//! outcomes and latency.

use prometheus_client::{
	encoding::EncodeLabelSet,
	metrics::{counter::Counter, family::Family, histogram::Histogram},
	registry::Registry,
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
	pub endpoint: String,
	pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WorkerLabels {
	pub model: String,
	pub worker: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
	pub model: String,
	pub worker: String,
	/// `success`, `failure` (retried elsewhere) or `client_error` (the worker refused the
	/// request itself, e.g. too long a prompt).
	pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KeyLabels {
	pub key: String,
}

pub struct GatewayMetrics {
	registry: Registry,
	pub requests: Family<RequestLabels, Counter>,
	pub selections: Family<WorkerLabels, Counter>,
	pub outcomes: Family<OutcomeLabels, Counter>,
	pub latency_seconds: Family<WorkerLabels, Histogram>,
	pub retries: Counter,
	pub rate_limited: Family<KeyLabels, Counter>,
	pub spent: Family<KeyLabels, Counter>,
}

fn latency_histogram() -> Histogram {
	Histogram::new([0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0])
}

impl GatewayMetrics {
	pub fn new() -> Self {
		let mut registry = Registry::with_prefix("ail2_gateway");
		let requests = Family::<RequestLabels, Counter>::default();
		let selections = Family::<WorkerLabels, Counter>::default();
		let outcomes = Family::<OutcomeLabels, Counter>::default();
		let latency_seconds = Family::<WorkerLabels, Histogram>::new_with_constructor(
			latency_histogram as fn() -> Histogram,
		);
		let retries = Counter::default();
		let rate_limited = Family::<KeyLabels, Counter>::default();
		let spent = Family::<KeyLabels, Counter>::default();
		registry.register("requests", "Client requests by endpoint and status", requests.clone());
		registry.register(
			"worker_selections",
			"Times the router chose a worker",
			selections.clone(),
		);
		registry.register("worker_outcomes", "Dispatched requests by outcome", outcomes.clone());
		registry.register(
			"worker_latency_seconds",
			"Time from dispatch to the worker's complete answer",
			latency_seconds.clone(),
		);
		registry.register("retries", "Requests sent to a second worker", retries.clone());
		registry.register(
			"rate_limited",
			"Requests refused by a key's rate limit",
			rate_limited.clone(),
		);
		registry.register(
			"spent",
			"Verified receipt prices by API key, in the smallest unit",
			spent.clone(),
		);
		Self {
			registry,
			requests,
			selections,
			outcomes,
			latency_seconds,
			retries,
			rate_limited,
			spent,
		}
	}

	pub fn render(&self) -> String {
		crate::serve::metrics::render(&self.registry)
	}
}

impl Default for GatewayMetrics {
	fn default() -> Self {
		Self::new()
	}
}
