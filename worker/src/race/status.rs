//! What `race` and `validate` show: `/health` (this worker's race status, its last window's
//! work and its recent validations) and `/metrics`; the openings endpoint is in
//! [`super::openings`].

use std::sync::{Arc, Mutex, MutexGuard};

use prometheus_client::{
	metrics::{counter::Counter, gauge::Gauge},
	registry::Registry,
};
use serde::Serialize;

/// This worker's work in one race's window.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct WorkReport {
	pub race: u32,
	/// Nonces computed (leaves logged).
	pub nonces: u64,
	pub seconds: f64,
	pub nonces_per_second: f64,
	/// The count of the latest commitment the chain accepted: the weight if validated.
	pub committed: u64,
	/// Commitments the chain accepted.
	pub commitments: u64,
	pub build_seconds: f64,
}

/// One validation this worker performed.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct ValidationReport {
	pub race: u32,
	pub participant: String,
	/// Leaves asked for.
	pub opened: u32,
	/// Leaves that failed: not served, off the committed root, or beyond the tolerance.
	pub failed: u32,
	/// Why the openings could not be fetched at all, if they could not.
	pub error: Option<String>,
}

/// Validations kept in `/health`.
pub const VALIDATIONS_SHOWN: usize = 32;

/// What `/health` shows.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RaceStatus {
	pub account: String,
	pub block: u32,
	pub race: Option<u32>,
	pub phase: Option<String>,
	/// The latest window's work (updated while it runs).
	pub last_work: Option<WorkReport>,
	pub votes_cast: u64,
	/// The latest validations, newest last.
	pub validations: Vec<ValidationReport>,
}

/// Prometheus metrics of racing and validation (`/metrics`).
pub struct RaceMetrics {
	registry: Registry,
	pub nonces: Counter,
	pub committed: Gauge,
	pub commitments: Counter,
	pub commitment_failures: Counter,
	pub votes: Counter,
	pub leaves_checked: Counter,
	pub leaves_failed: Counter,
	pub openings_served: Counter,
	pub nonces_per_second: Gauge<f64, std::sync::atomic::AtomicU64>,
	pub race: Gauge,
}

impl RaceMetrics {
	pub fn new() -> Self {
		let mut registry = Registry::with_prefix("ail2_race");
		let nonces = Counter::default();
		let committed = Gauge::default();
		let commitments = Counter::default();
		let commitment_failures = Counter::default();
		let votes = Counter::default();
		let leaves_checked = Counter::default();
		let leaves_failed = Counter::default();
		let openings_served = Counter::default();
		let nonces_per_second = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
		let race = Gauge::default();
		registry.register("nonces", "Nonces computed", nonces.clone());
		registry.register(
			"committed",
			"Count of the latest commitment the chain accepted",
			committed.clone(),
		);
		registry.register(
			"commitments",
			"Work commitments the chain accepted",
			commitments.clone(),
		);
		registry.register(
			"commitment_failures",
			"commit_work calls that failed",
			commitment_failures.clone(),
		);
		registry.register("votes", "Validation votes cast", votes.clone());
		registry.register(
			"leaves_checked",
			"Leaves of others opened and checked",
			leaves_checked.clone(),
		);
		registry.register("leaves_failed", "Leaves of others that failed", leaves_failed.clone());
		registry.register(
			"openings_served",
			"Leaves opened for validators",
			openings_served.clone(),
		);
		registry.register(
			"nonces_per_second",
			"Speed in the latest race window",
			nonces_per_second.clone(),
		);
		registry.register("index", "The race this worker last took part in", race.clone());
		Self {
			registry,
			nonces,
			committed,
			commitments,
			commitment_failures,
			votes,
			leaves_checked,
			leaves_failed,
			openings_served,
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

/// The work log of the race being computed or validated, which openings are served from.
pub struct ActiveWork {
	pub race: u32,
	pub log: ail2_race::work::WorkLog,
}

/// Shared between the race follower and the HTTP endpoints.
pub struct RaceShared {
	pub metrics: RaceMetrics,
	pub status: Mutex<RaceStatus>,
	pub work: Mutex<Option<ActiveWork>>,
}

impl RaceShared {
	pub fn new(account: String) -> Self {
		Self {
			metrics: RaceMetrics::new(),
			status: Mutex::new(RaceStatus { account, ..Default::default() }),
			work: Mutex::new(None),
		}
	}

	/// The status, also after a panic elsewhere (it is only ever overwritten whole or by field).
	pub(super) fn status(&self) -> MutexGuard<'_, RaceStatus> {
		crate::sync::lock(&self.status)
	}

	/// Records a validation in `/health`, keeping the latest `VALIDATIONS_SHOWN`.
	pub(super) fn record_validation(&self, report: ValidationReport) {
		let mut status = self.status();
		status.validations.push(report);
		let excess = status.validations.len().saturating_sub(VALIDATIONS_SHOWN);
		status.validations.drain(..excess);
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
