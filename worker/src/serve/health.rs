//! The body of a worker's `GET /health`: what a gateway needs to route to the worker and to
//! address authorisations to it. The worker writes it and the gateway's registry reads it,
//! so both sides use this one type.

use ail2_primitives::ModelId;
use serde::{Deserialize, Serialize};

use super::{auth::GatewayKeys, AppState};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Health {
	/// `ok` whenever the worker answers.
	#[serde(default)]
	pub status: String,
	/// The served model's on-chain name.
	pub model: String,
	pub model_id: ModelId,
	/// The served version, `major.minor.patch` (`SemVer`'s `Display`).
	pub version: String,
	/// The chain the worker bills on.
	pub chain_id: u32,
	/// `0x` + the public receipt key that authorisations must name.
	pub receipt_key: String,
	/// The compute backend the model runs on.
	#[serde(default)]
	pub backend: String,
	/// Requests generating now.
	#[serde(default)]
	pub running: u32,
	/// Requests waiting for a model slot.
	#[serde(default)]
	pub queued: u32,
	/// Requests generating or waiting.
	#[serde(default)]
	pub admitted: u32,
	/// Requests that may generate at once.
	#[serde(default = "one")]
	pub concurrency: u32,
	/// Requests that may wait; more are answered 429.
	#[serde(default)]
	pub queue: u32,
}

fn one() -> u32 {
	1
}

impl Health {
	/// The worker's health now.
	pub(super) fn of<G: GatewayKeys>(state: &AppState<G>) -> Self {
		let served = &state.served;
		let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
		let running = state.admission.running();
		let admitted = state.admission.admitted();
		Self {
			status: "ok".into(),
			model: served.name.clone(),
			model_id: served.model_id,
			version: served.version.to_string(),
			chain_id: served.chain_id,
			receipt_key: format!("0x{}", hex::encode(state.receipt_key.public())),
			backend: ail2_model::backend_name().into(),
			running: count(running),
			queued: count(admitted.saturating_sub(running)),
			admitted: count(admitted),
			concurrency: count(state.limits.concurrency),
			queue: count(state.limits.queue),
		}
	}
}
