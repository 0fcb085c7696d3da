//! Prometheus metrics of the gateway (`/metrics`): requests, and per worker its selections,
//! outcomes and latency.

use std::sync::atomic::AtomicU64;

use ail2_router::WorkerId;
use prometheus_client::{
	encoding::EncodeLabelSet,
	metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
	registry::Registry,
};

use crate::serve::metrics::{render, Registrar, Requests};

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
pub struct AuditLabels {
	pub worker: String,
	/// `true` or `false`.
	pub passed: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KeyLabels {
	pub key: String,
}

/// A worker in metrics labels and the response's worker header: `0x` + its hot key.
pub fn worker_label(id: &WorkerId) -> String {
	format!("0x{}", hex::encode(id.0))
}

pub struct GatewayMetrics {
	registry: Registry,
	pub requests: Requests,
	pub selections: Family<WorkerLabels, Counter>,
	pub outcomes: Family<OutcomeLabels, Counter>,
	pub latency_seconds: Family<WorkerLabels, Histogram>,
	pub retries: Counter,
	pub rate_limited: Family<KeyLabels, Counter>,
	pub spent: Family<KeyLabels, Counter>,
	pub transcript_audits: Family<AuditLabels, Counter>,
	/// §8.2's risk score of each worker in a model's pool, and its handling level (0 normal,
	/// 1 more verification, 2 limited share, 3 excluded).
	pub risk: Family<WorkerLabels, Gauge<f64, AtomicU64>>,
	pub risk_level: Family<WorkerLabels, Gauge>,
}

fn latency_histogram() -> Histogram {
	Histogram::new([0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0])
}

impl GatewayMetrics {
	pub fn new() -> Self {
		let mut metrics = Registrar::new("ail2_gateway");
		Self {
			requests: metrics.add("requests", "Client requests by endpoint and status"),
			selections: metrics.add("worker_selections", "Times the router chose a worker"),
			outcomes: metrics.add("worker_outcomes", "Dispatched requests by outcome"),
			latency_seconds: metrics.add_metric(
				"worker_latency_seconds",
				"Time from dispatch to the worker's complete answer",
				Family::new_with_constructor(latency_histogram as fn() -> Histogram),
			),
			retries: metrics.add("retries", "Requests sent to a second worker"),
			rate_limited: metrics.add("rate_limited", "Requests refused by a key's rate limit"),
			spent: metrics.add("spent", "Verified receipt prices by API key, in the smallest unit"),
			transcript_audits: metrics.add(
				"transcript_audits",
				"Transcripts fetched and checked against their receipts' commitments",
			),
			risk: metrics.add("worker_risk", "Risk score of each worker (whitepaper 8.2)"),
			risk_level: metrics.add(
				"worker_risk_level",
				"Handling level: 0 normal, 1 more verification, 2 limited share, 3 excluded",
			),
			registry: metrics.finish(),
		}
	}

	pub fn render(&self) -> String {
		render(&self.registry)
	}
}

impl Default for GatewayMetrics {
	fn default() -> Self {
		Self::new()
	}
}
