//! The gateway's settings and the state its handlers share: the configured keys, the
//! registry, the gateway key, and per key its rate limit and spending, per (worker, payer)
//! the last counter given.

use std::{
	collections::HashMap,
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};

use ail2_primitives::{
	receipt::{signing::Keypair, AccountBytes},
	Balance,
};
use ail2_router::WorkerId;

use super::{
	config::{ApiKey, ApiKeys},
	metrics::{GatewayMetrics, KeyLabels},
	ratelimit::TokenBucket,
	registry::Registry,
};
use crate::clock;

#[derive(Clone, Copy, Debug)]
pub struct Settings {
	/// How long a worker may take to answer (to finish, for a non-streaming request).
	pub request_timeout: Duration,
	/// How long an authorisation stays valid after it is signed.
	pub authorisation_ttl: Duration,
	/// Output tokens assumed for routing when a request does not say.
	pub default_max_tokens: u32,
	pub max_body_bytes: usize,
}

impl Default for Settings {
	fn default() -> Self {
		Self {
			request_timeout: Duration::from_secs(120),
			authorisation_ttl: Duration::from_secs(180),
			default_max_tokens: 128,
			max_body_bytes: 1 << 20,
		}
	}
}

/// What one key has spent through this gateway since it started.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Spending {
	pub(super) requests: u64,
	pub(super) spent: Balance,
}

/// An API key as the state knows it: by the SHA-256 the configuration holds.
pub(super) type KeyHash = [u8; 32];

pub struct GatewayState {
	pub keys: ApiKeys,
	pub registry: Arc<Registry>,
	/// The gateway key: payers register its public half on chain.
	pub signer: Keypair,
	pub chain_id: u32,
	pub http: reqwest::Client,
	pub metrics: Arc<GatewayMetrics>,
	pub settings: Settings,
	buckets: Mutex<HashMap<KeyHash, TokenBucket>>,
	/// The last counter given to each (worker, payer) stream.
	counters: Mutex<HashMap<(WorkerId, AccountBytes), u64>>,
	spending: Mutex<HashMap<KeyHash, Spending>>,
	started: Instant,
}

impl GatewayState {
	pub fn new(
		keys: ApiKeys,
		registry: Arc<Registry>,
		signer: Keypair,
		chain_id: u32,
		http: reqwest::Client,
		settings: Settings,
	) -> Self {
		Self {
			keys,
			registry,
			signer,
			chain_id,
			http,
			metrics: Arc::new(GatewayMetrics::new()),
			settings,
			buckets: Mutex::new(HashMap::new()),
			counters: Mutex::new(HashMap::new()),
			spending: Mutex::new(HashMap::new()),
			started: Instant::now(),
		}
	}

	/// The next counter of (worker, payer): above every earlier one, and above the clock in
	/// microseconds, so a restarted gateway never reuses a counter without storing any.
	pub(super) fn next_counter(&self, worker: WorkerId, payer: AccountBytes) -> u64 {
		let mut counters = lock(&self.counters);
		let last = counters.entry((worker, payer)).or_insert(0);
		*last = last.saturating_add(1).max(clock::unix_micros());
		*last
	}

	/// The routers' clock: milliseconds since the gateway started.
	pub(super) fn now_ms(&self) -> f64 {
		self.started.elapsed().as_secs_f64() * 1_000.0
	}

	/// Takes one request from the key's bucket, or says how long until it allows one.
	pub(super) fn take_request(&self, hash: &KeyHash, key: &ApiKey) -> Result<(), Duration> {
		let now = Instant::now();
		let mut buckets = lock(&self.buckets);
		let bucket = buckets
			.entry(*hash)
			.or_insert_with(|| TokenBucket::new(key.requests_per_minute, key.burst, now));
		bucket.try_take(now)
	}

	/// What the key has spent so far.
	pub(super) fn spending(&self, hash: &KeyHash) -> Spending {
		lock(&self.spending).get(hash).copied().unwrap_or_default()
	}

	/// Adds a verified receipt's `price` to the key's spending.
	pub(super) fn charge(&self, hash: &KeyHash, key: &ApiKey, price: Balance) {
		let mut spending = lock(&self.spending);
		let entry = spending.entry(*hash).or_default();
		entry.requests = entry.requests.saturating_add(1);
		entry.spent = entry.spent.saturating_add(price);
		self.metrics
			.spent
			.get_or_create(&KeyLabels { key: key.name.clone() })
			.inc_by(u64::try_from(price).unwrap_or(u64::MAX));
	}
}

pub(super) use crate::sync::lock;
