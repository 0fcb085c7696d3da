//! What `race` and `validate` show: `/health` (this worker's race status and last search) and
//! `/metrics`.

use std::sync::{Arc, Mutex, MutexGuard};

use prometheus_client::{
	metrics::{counter::Counter, gauge::Gauge},
	registry::Registry,
};
use serde::Serialize;

/// The outcome of this worker's search in one race.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct SearchReport {
	pub race: u32,
	pub nonces: u64,
	pub seconds: f64,
	pub nonces_per_second: f64,
	pub hits: u64,
	pub submitted: u64,
	pub build_seconds: f64,
}

/// What `/health` shows.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RaceStatus {
	pub account: String,
	pub block: u32,
	pub race: Option<u32>,
	pub phase: Option<String>,
	/// The latest completed search.
	pub last_search: Option<SearchReport>,
	pub votes_cast: u64,
}

/// Prometheus metrics of racing and validation (`/metrics`).
pub struct RaceMetrics {
	registry: Registry,
	pub nonces: Counter,
	pub hits: Counter,
	pub submitted: Counter,
	pub submission_failures: Counter,
	pub votes: Counter,
	pub nonces_per_second: Gauge<f64, std::sync::atomic::AtomicU64>,
	pub race: Gauge,
}

impl RaceMetrics {
	pub fn new() -> Self {
		let mut registry = Registry::with_prefix("ail2_race");
		let nonces = Counter::default();
		let hits = Counter::default();
		let submitted = Counter::default();
		let submission_failures = Counter::default();
		let votes = Counter::default();
		let nonces_per_second = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
		let race = Gauge::default();
		registry.register("nonces", "Nonces searched", nonces.clone());
		registry.register("hits", "Hits found", hits.clone());
		registry.register("submitted", "Hits submitted on chain", submitted.clone());
		registry.register(
			"submission_failures",
			"submit_nonces calls that failed",
			submission_failures.clone(),
		);
		registry.register("votes", "Validation votes cast", votes.clone());
		registry.register(
			"nonces_per_second",
			"Search speed in the latest race",
			nonces_per_second.clone(),
		);
		registry.register("index", "The race this worker last took part in", race.clone());
		Self {
			registry,
			nonces,
			hits,
			submitted,
			submission_failures,
			votes,
			nonces_per_second,
			race,
		}
	}

	pub fn render(&self) -> String {
		crate::serve::metrics::render(&self.registry)
	}
}

impl Default for RaceMetrics {
	fn default() -> Self {
		Self::new()
	}
}

/// Shared between the race follower and the HTTP endpoints.
pub struct RaceShared {
	pub metrics: RaceMetrics,
	pub status: Mutex<RaceStatus>,
}

impl RaceShared {
	/// The status, also after a panic elsewhere (it is only ever overwritten whole or by field).
	pub(super) fn status(&self) -> MutexGuard<'_, RaceStatus> {
		crate::sync::lock(&self.status)
	}
}

/// `/health` (the status as JSON) and `/metrics`.
pub fn router(shared: Arc<RaceShared>) -> axum::Router {
	use axum::{extract::State, routing::get, Json};
	axum::Router::new()
		.route(
			"/health",
			get(
				|State(shared): State<Arc<RaceShared>>| async move { Json(shared.status().clone()) },
			),
		)
		.route(
			"/metrics",
			get(|State(shared): State<Arc<RaceShared>>| async move { shared.metrics.render() }),
		)
		.with_state(shared)
}
