//! What the serving tests share: a worker's state around the tiny model, with the payer's
//! gateway keys from an in-memory set instead of the chain.

// Each test file uses a part of this module.
#![allow(dead_code)]

use std::{
	collections::{HashMap, HashSet},
	convert::Infallible,
	path::Path,
	sync::{Arc, Mutex},
};

use ail2_model::{
	default_device,
	random::{write_random_model, RandomModelSpec},
	TextModel,
};
use ail2_primitives::{
	billing::{BillingMode, PricingPolicy},
	keccak256,
	receipt::{signing::Keypair, AccountBytes, PublicKey, SemVer},
};
use ail2_worker::{
	serve::{
		auth::{AuditedCheck, GatewayKeys},
		metrics::Metrics,
		AppState, Limits, ServedModel,
	},
	store::{ReceiptLog, Store},
};
use codec::Encode;

/// Gateway keys the payers registered, as (payer, key) pairs, and the open checks the chain
/// holds, by (batch, leaf index).
pub struct KnownKeys(
	pub HashSet<(AccountBytes, PublicKey)>,
	pub Arc<Mutex<HashMap<(u64, u64), AuditedCheck>>>,
);

impl GatewayKeys for KnownKeys {
	type Error = Infallible;

	async fn is_active(&self, payer: AccountBytes, key: PublicKey) -> Result<bool, Infallible> {
		Ok(self.0.contains(&(payer, key)))
	}

	async fn audited_check(
		&self,
		batch: u64,
		index: u64,
	) -> Result<Option<AuditedCheck>, Infallible> {
		Ok(self.1.lock().unwrap().get(&(batch, index)).cloned())
	}
}

pub const PAYER: AccountBytes = [0xd0; 32];
pub const MODEL_ID: u32 = 7;
pub const VERSION: SemVer = SemVer { major: 1, minor: 0, patch: 0 };

pub fn policy() -> PricingPolicy {
	PricingPolicy {
		mode: BillingMode::Token,
		token_base: 1_000,
		per_1k_input_tokens: 100_000,
		per_1k_output_tokens: 300_000,
		time_base: 0,
		per_gpu_second: 0,
		min_fee: 0,
		max_fee: 1_000_000_000,
	}
}

/// A worker's state serving the tiny model written to `dir/model`, its store in `dir`; the
/// worker's receipt key and the payer's one gateway key.
pub struct WorkerState {
	pub state: AppState<KnownKeys>,
	pub store: Arc<Store>,
	pub worker: Keypair,
	pub gateway: Keypair,
	/// The open checks the worker's chain view holds.
	pub checks: Arc<Mutex<HashMap<(u64, u64), AuditedCheck>>>,
}

pub fn worker_state(dir: &Path, limits: Limits) -> WorkerState {
	write_random_model(&dir.join("model"), &RandomModelSpec::tiny(), 3).unwrap();
	let model = TextModel::load(&dir.join("model"), &default_device()).unwrap();
	let worker = Keypair::from_secret(&[0x11; 32]).unwrap();
	let gateway = Keypair::from_secret(&[0x22; 32]).unwrap();
	let store = Arc::new(Store::open(&dir.join("receipts.redb")).unwrap());
	let log = ReceiptLog::start(store.clone(), 64).unwrap();
	let served = Arc::new(ServedModel {
		model,
		name: "tiny".into(),
		model_id: MODEL_ID,
		version: VERSION,
		project_id: 1,
		policy: policy(),
		policy_hash: keccak256(&policy().encode()),
		chain_id: 42,
	});
	let checks = Arc::default();
	let keys = KnownKeys(HashSet::from([(PAYER, gateway.public())]), Arc::clone(&checks));
	let state = AppState::new(
		served,
		worker.clone(),
		keys,
		store.clone(),
		log,
		Arc::new(Metrics::new()),
		limits,
	);
	WorkerState { state, store, worker, gateway, checks }
}
