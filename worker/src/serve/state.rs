//! What the worker serves, on which terms and within which limits, and the state its
//! handlers share.

use std::sync::Arc;

use ail2_model::TextModel;
use ail2_primitives::{
	billing::PricingPolicy,
	receipt::{signing::Keypair, SemVer},
	Hash, ModelId,
};

use super::{admission::Admission, auth::GatewayKeys, metrics::Metrics};
use crate::store::{ReceiptLog, Store};

/// What the worker serves and on which terms.
pub struct ServedModel {
	pub model: TextModel,
	/// The name clients use in `model` (the on-chain model name).
	pub name: String,
	pub model_id: ModelId,
	pub version: SemVer,
	pub project_id: u32,
	pub policy: PricingPolicy,
	pub policy_hash: Hash,
	pub chain_id: u32,
}

#[derive(Clone, Copy, Debug)]
pub struct Limits {
	/// Requests generating at once (each holds a blocking thread).
	pub concurrency: usize,
	/// Requests allowed to wait for a slot; more are answered 429.
	pub queue: usize,
	pub max_prompt_tokens: usize,
	pub default_max_tokens: u32,
	pub max_body_bytes: usize,
}

impl Default for Limits {
	fn default() -> Self {
		Self {
			concurrency: 2,
			queue: 32,
			max_prompt_tokens: 4096,
			default_max_tokens: 128,
			max_body_bytes: 1 << 20,
		}
	}
}

pub struct AppState<G> {
	pub served: Arc<ServedModel>,
	/// Signs receipts; gateways address their authorisations to its public key.
	pub receipt_key: Keypair,
	pub gateway_keys: G,
	pub store: Arc<Store>,
	pub log: ReceiptLog,
	pub metrics: Arc<Metrics>,
	pub limits: Limits,
	pub(super) admission: Admission,
}

impl<G: GatewayKeys> AppState<G> {
	pub fn new(
		served: Arc<ServedModel>,
		receipt_key: Keypair,
		gateway_keys: G,
		store: Arc<Store>,
		log: ReceiptLog,
		metrics: Arc<Metrics>,
		limits: Limits,
	) -> Self {
		Self {
			served,
			receipt_key,
			gateway_keys,
			store,
			log,
			metrics,
			limits,
			admission: Admission::new(&limits),
		}
	}
}
