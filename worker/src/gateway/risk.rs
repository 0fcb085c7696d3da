//! The gateway's risk score of each worker (whitepaper §8.2):
//! `Risk = σ(a_0 + Σ a_i · z(feature_i))`, with `z(x) = (x − μ) / s` against the reference
//! `μ` and scale `s` of an honest worker, and the four handling levels of §8.2.1 acting on
//! routing:
//!
//! | risk      | level               | the gateway                                          |
//! |-----------|---------------------|------------------------------------------------------|
//! | 0 – 0.2   | normal              | routes as the router scores                          |
//! | 0.2 – 0.5 | more verification   | also fetches the transcript of every receipt the worker returns and checks it against the receipt's commitment |
//! | 0.5 – 0.8 | limited share       | keeps a `limited_share` of the router's choices of it, sends the rest elsewhere |
//! | 0.8 – 1   | excluded            | never routes to it                                   |
//!
//! The features, from the chain and the gateway's own observations of the worker:
//! violations on record (pallet-slashing: proven frauds and failed spot checks), reputation
//! not yet earned (missed verifier duties and fraud lower it), the share of dispatched
//! requests that failed and that timed out, its latency per output token against the
//! median of the model's pool, and the share of its transcripts that failed the gateway's
//! commitment check. Rates start at their reference value and move with evidence
//! (`prior_requests` pseudo-observations), so one early failure does not condemn a new
//! worker. The intercept `a_0` places a worker at the reference values in the normal band.
//! The score also feeds the router's own risk factor (§5.2.6), so a riskier worker is
//! chosen less often even in the normal band.

use std::collections::HashMap;

use ail2_chain::RegisteredWorker;
use ail2_router::{factors::RiskSignals, WorkerId};
use serde::Serialize;

/// One feature's reference value, scale and weight.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Feature {
	/// `μ`: what an honest worker shows.
	pub mean: f64,
	/// `s`: how far from `μ` one unit of `z` is.
	pub scale: f64,
	/// `a_i`.
	pub weight: f64,
}

impl Feature {
	const fn new(mean: f64, scale: f64, weight: f64) -> Self {
		Self { mean, scale, weight }
	}

	/// `z(x)`, within ±`Z_LIMIT` so that no one feature outweighs every other.
	pub fn z(&self, x: f64) -> f64 {
		if self.scale <= 0.0 {
			return 0.0;
		}
		((x - self.mean) / self.scale).clamp(-Z_LIMIT, Z_LIMIT)
	}
}

/// The most one feature's `z` counts, either way.
pub const Z_LIMIT: f64 = 8.0;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RiskConfig {
	/// `a_0`.
	pub intercept: f64,
	pub violations: Feature,
	pub reputation_deficit: Feature,
	pub failure_rate: Feature,
	pub timeout_rate: Feature,
	pub latency_ratio: Feature,
	pub transcript_failure_rate: Feature,
	/// Pseudo-observations at the reference rate before any evidence.
	pub prior_requests: f64,
	/// The share of the router's choices a worker of limited share keeps.
	pub limited_share: f64,
}

impl Default for RiskConfig {
	/// One violation on record excludes (`z` = 4, weighted 2); a worker that has not earned
	/// any reputation yet stays normal (risk 0.08); over a hundred requests, a failure rate of
	/// 10% asks for more verification, 15% limits, 30% excludes; one failed transcript check
	/// limits, two exclude.
	fn default() -> Self {
		Self {
			intercept: -3.0,
			violations: Feature::new(0.0, 0.25, 2.0),
			reputation_deficit: Feature::new(0.5, 0.5, 0.5),
			failure_rate: Feature::new(0.02, 0.025, 1.0),
			timeout_rate: Feature::new(0.01, 0.05, 1.0),
			latency_ratio: Feature::new(1.0, 1.0, 0.5),
			transcript_failure_rate: Feature::new(0.0, 0.05, 2.0),
			prior_requests: 10.0,
			limited_share: 0.25,
		}
	}
}

/// §8.2.1's handling levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
	Normal,
	MoreVerification,
	LimitedShare,
	Excluded,
}

impl Level {
	/// The level of a risk score: bands of 0.2, 0.5 and 0.8.
	pub fn of(risk: f64) -> Self {
		if risk >= 0.8 {
			Self::Excluded
		} else if risk >= 0.5 {
			Self::LimitedShare
		} else if risk >= 0.2 {
			Self::MoreVerification
		} else {
			Self::Normal
		}
	}

	/// The level as a number for `/metrics`: 0 normal … 3 excluded.
	pub fn index(self) -> i64 {
		self as i64
	}
}

/// What the gateway saw of one worker.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Observed {
	pub requests: u64,
	pub failures: u64,
	pub timeouts: u64,
	/// Exponentially weighted latency per output token of its answers, in ms.
	pub ms_per_token: Option<f64>,
	pub audits: u64,
	pub audit_failures: u64,
}

/// The weight of the newest latency in the moving average.
const LATENCY_EWMA: f64 = 0.2;

impl Observed {
	pub fn success(&mut self, latency_ms: f64, tokens_out: u32) {
		self.requests = self.requests.saturating_add(1);
		let per_token = latency_ms / f64::from(tokens_out.max(1));
		self.ms_per_token = Some(match self.ms_per_token {
			Some(old) => old + LATENCY_EWMA * (per_token - old),
			None => per_token,
		});
	}

	pub fn failure(&mut self, timed_out: bool) {
		self.requests = self.requests.saturating_add(1);
		self.failures = self.failures.saturating_add(1);
		if timed_out {
			self.timeouts = self.timeouts.saturating_add(1);
		}
	}

	pub fn audit(&mut self, passed: bool) {
		self.audits = self.audits.saturating_add(1);
		if !passed {
			self.audit_failures = self.audit_failures.saturating_add(1);
		}
	}
}

/// A worker's features (§8.2's `feature_i`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Features {
	pub violations: f64,
	pub reputation_deficit: f64,
	pub failure_rate: f64,
	pub timeout_rate: f64,
	pub latency_ratio: f64,
	pub transcript_failure_rate: f64,
}

/// A rate with `prior` pseudo-observations at the reference `mean`.
fn smoothed(events: u64, trials: u64, prior: f64, mean: f64) -> f64 {
	(events as f64 + prior * mean) / (trials as f64 + prior)
}

impl Features {
	/// The features of `worker`, given what the gateway observed of it and the median
	/// latency per token of its pool.
	pub fn of(
		config: &RiskConfig,
		worker: &RegisteredWorker,
		observed: &Observed,
		pool_ms_per_token: Option<f64>,
	) -> Self {
		let prior = config.prior_requests;
		let latency_ratio = match (observed.ms_per_token, pool_ms_per_token) {
			(Some(own), Some(median)) if median > 0.0 => own / median,
			_ => config.latency_ratio.mean,
		};
		Self {
			violations: f64::from(worker.violations),
			reputation_deficit: 1.0 - f64::from(worker.reputation_ppb.min(1_000_000_000)) / 1e9,
			failure_rate: smoothed(
				observed.failures,
				observed.requests,
				prior,
				config.failure_rate.mean,
			),
			timeout_rate: smoothed(
				observed.timeouts,
				observed.requests,
				prior,
				config.timeout_rate.mean,
			),
			latency_ratio,
			transcript_failure_rate: smoothed(
				observed.audit_failures,
				observed.audits,
				prior,
				config.transcript_failure_rate.mean,
			),
		}
	}

	/// `a_0 + Σ a_i · z(feature_i)`.
	pub fn logit(&self, config: &RiskConfig) -> f64 {
		let terms = [
			(config.violations, self.violations),
			(config.reputation_deficit, self.reputation_deficit),
			(config.failure_rate, self.failure_rate),
			(config.timeout_rate, self.timeout_rate),
			(config.latency_ratio, self.latency_ratio),
			(config.transcript_failure_rate, self.transcript_failure_rate),
		];
		terms
			.iter()
			.fold(config.intercept, |sum, (feature, x)| sum + feature.weight * feature.z(*x))
	}

	/// The router's risk signals (§5.2.6) from the same evidence: failures (and timeouts)
	/// as `z(fail)`, violations and failed transcript checks as `z(fraud)`.
	pub fn router_signals(&self, config: &RiskConfig, violations: u32) -> RiskSignals {
		RiskSignals {
			burst_z: 0.0,
			dispute_z: 0.0,
			failure_z: config.failure_rate.z(self.failure_rate)
				+ config.timeout_rate.z(self.timeout_rate),
			fraud_z: config.violations.z(self.violations)
				+ config.transcript_failure_rate.z(self.transcript_failure_rate),
			violations,
		}
	}
}

/// A worker's score as the gateway shows it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Assessment {
	pub risk: f64,
	pub level: Level,
	pub features: Features,
}

/// `σ(logit)` and its level.
pub fn assess(config: &RiskConfig, features: Features) -> Assessment {
	let risk = ail2_router::factors::sigmoid(features.logit(config));
	Assessment { risk, level: Level::of(risk), features }
}

/// What the gateway observed of every worker, by hot key.
#[derive(Default)]
pub struct Book(pub HashMap<WorkerId, Observed>);

impl Book {
	pub fn get(&self, id: &WorkerId) -> Observed {
		self.0.get(id).copied().unwrap_or_default()
	}

	pub fn entry(&mut self, id: WorkerId) -> &mut Observed {
		self.0.entry(id).or_default()
	}

	/// The median latency per token of `ids` with observations.
	pub fn median_ms_per_token<'a>(&self, ids: impl Iterator<Item = &'a WorkerId>) -> Option<f64> {
		let mut values: Vec<f64> = ids.filter_map(|id| self.0.get(id)?.ms_per_token).collect();
		if values.is_empty() {
			return None;
		}
		values.sort_by(f64::total_cmp);
		let middle = values.len() / 2;
		Some(if values.len() % 2 == 0 {
			(values[middle - 1] + values[middle]) / 2.0
		} else {
			values[middle]
		})
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn worker(violations: u32, reputation_ppb: u32) -> RegisteredWorker {
		RegisteredWorker {
			hot_key: [1; 32],
			receipt_key: [2; 33],
			gpu_model: "RTX 4090".into(),
			gpu_count: 1,
			vram_mib: 24_576,
			cuda: (12, 4),
			lat_micro_deg: 0,
			lon_micro_deg: 0,
			endpoint: "http://127.0.0.1:1".into(),
			active: true,
			reputation_ppb,
			violations,
		}
	}

	fn close(a: f64, b: f64) -> bool {
		(a - b).abs() < 1e-9
	}

	#[test]
	fn levels_follow_the_whitepaper_bands() {
		assert_eq!(Level::of(0.0), Level::Normal);
		assert_eq!(Level::of(0.199), Level::Normal);
		assert_eq!(Level::of(0.2), Level::MoreVerification);
		assert_eq!(Level::of(0.5), Level::LimitedShare);
		assert_eq!(Level::of(0.8), Level::Excluded);
		assert_eq!(Level::of(1.0), Level::Excluded);
	}

	#[test]
	fn a_new_honest_worker_is_normal_by_hand() {
		let config = RiskConfig::default();
		let features = Features::of(&config, &worker(0, 0), &Observed::default(), None);
		// Rates at their references (z = 0), latency ratio 1 (z = 0); reputation deficit 1:
		// z = (1 − 0.5) / 0.5 = 1, weighted 0.5. Logit −3 + 0.5 = −2.5.
		assert!(close(features.logit(&config), -2.5));
		let assessment = assess(&config, features);
		assert!(close(assessment.risk, 1.0 / (1.0 + 2.5f64.exp())));
		assert_eq!(assessment.level, Level::Normal);
	}

	#[test]
	fn one_violation_on_record_excludes_by_hand() {
		let config = RiskConfig::default();
		let features = Features::of(&config, &worker(1, 0), &Observed::default(), None);
		// −3 + 0.5 + 2 · (1 / 0.25) = 5.5.
		assert!(close(features.logit(&config), 5.5));
		assert_eq!(assess(&config, features).level, Level::Excluded);
	}

	#[test]
	fn failure_rates_move_a_worker_through_the_levels() {
		let config = RiskConfig::default();
		let level = |failures: u64| {
			let mut observed = Observed::default();
			for _ in 0..failures {
				observed.failure(false);
			}
			for _ in failures..100 {
				observed.success(100.0, 10);
			}
			assess(&config, Features::of(&config, &worker(0, 1_000_000_000), &observed, Some(10.0)))
				.level
		};
		assert_eq!(level(0), Level::Normal);
		assert_eq!(level(2), Level::Normal);
		// 10 in 100: rate (10 + 0.2) / 110 = 0.0927, z = 2.91; logit −3 − 0.5 + 2.91 − 0.18
		// (timeouts below reference) = −0.77, risk 0.32.
		assert_eq!(level(10), Level::MoreVerification);
		assert_eq!(level(15), Level::LimitedShare);
		assert_eq!(level(30), Level::Excluded);
	}

	#[test]
	fn rates_start_at_the_reference_and_move_with_evidence() {
		// (1 + 10 · 0.02) / (1 + 10) = 0.109…: one failure in one request is not 100%.
		assert!(close(smoothed(1, 1, 10.0, 0.02), 1.2 / 11.0));
		assert!(close(smoothed(0, 0, 10.0, 0.02), 0.02));
		// With evidence the rate approaches the observed one.
		assert!((smoothed(500, 1_000, 10.0, 0.02) - 0.5).abs() < 0.01);
	}

	#[test]
	fn failed_transcript_checks_limit_then_exclude() {
		let config = RiskConfig::default();
		let mut observed = Observed::default();
		observed.audit(false);
		let one =
			assess(&config, Features::of(&config, &worker(0, 1_000_000_000), &observed, None));
		// Rate (1 + 0) / (1 + 10) = 0.0909: z = 1.82, weighted 2 → logit −3 − 0.5 + 3.64.
		assert!(close(one.features.logit(&config), -3.5 + 2.0 * (1.0 / 11.0) / 0.05));
		assert_eq!(one.level, Level::LimitedShare);
		observed.audit(false);
		let two =
			assess(&config, Features::of(&config, &worker(0, 1_000_000_000), &observed, None));
		assert_eq!(two.level, Level::Excluded);
	}

	#[test]
	fn a_slow_worker_asks_for_more_verification_at_most() {
		let config = RiskConfig::default();
		let mut observed = Observed::default();
		observed.success(500.0, 10);
		let slow = assess(
			&config,
			Features::of(&config, &worker(0, 1_000_000_000), &observed, Some(10.0)),
		);
		// Five times the pool's median: z = 4, weighted 0.5; rates slightly below reference.
		assert!(close(slow.features.latency_ratio, 5.0));
		assert!(slow.level <= Level::MoreVerification, "{slow:?}");
	}

	#[test]
	fn the_median_of_a_pool() {
		let mut book = Book::default();
		let ids = [WorkerId([1; 32]), WorkerId([2; 32]), WorkerId([3; 32])];
		assert_eq!(book.median_ms_per_token(ids.iter()), None);
		for (id, ms) in ids.iter().zip([10.0, 30.0, 20.0]) {
			book.entry(*id).success(ms, 1);
		}
		assert_eq!(book.median_ms_per_token(ids.iter()), Some(20.0));
		assert_eq!(book.median_ms_per_token(ids[..2].iter()), Some(20.0));
	}
}
