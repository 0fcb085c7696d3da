//! Openings: a participant serves the leaves its validators sample, each with its path to the
//! committed root, at `POST /v1/race/openings`; a validator asks with a request signed by its
//! hot key, so that only the validators the chain assigned can make a participant read its
//! log.
//!
//! The request is `{race, validator, indices, signature}`: `signature` is the validator's
//! sr25519 signature over [`request_message`]. The participant answers 403 when the signature
//! fails or the chain does not assign the validator to it, 400 for more indices than the
//! race's sample size, 404 when it holds no log for the race or has no commitment on chain,
//! and otherwise `{race, count, root, openings: [{nonce, artifact, siblings: [{hash, sum}]}]}`
//! for the commitment the chain holds.

use std::sync::Arc;

use ail2_chain::{race::assignment, ChainClient};
use ail2_primitives::{
	domain::{self, tagged_hash},
	merkle::SumNode,
	receipt::AccountBytes,
	Hash,
};
use ail2_race::work::Opening;
use axum::{extract::State, http::StatusCode, response::IntoResponse, Json};
use serde::{Deserialize, Serialize};

use super::RaceShared;

/// What a validator signs to request openings: `keccak256("ail2:race:openings" ‖ race (4
/// bytes LE) ‖ participant ‖ validator ‖ index count (4 bytes LE) ‖ each index (8 bytes LE))`.
pub fn request_message(
	race: u32,
	participant: &AccountBytes,
	validator: &AccountBytes,
	indices: &[u64],
) -> Hash {
	let list: Vec<u8> = indices.iter().flat_map(|i| i.to_le_bytes()).collect();
	tagged_hash(
		domain::RACE_OPENINGS,
		&[
			&race.to_le_bytes(),
			participant,
			validator,
			&(indices.len() as u32).to_le_bytes(),
			&list,
		],
	)
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OpeningsRequest {
	pub race: u32,
	/// The validator's account, hex.
	pub validator: String,
	pub indices: Vec<u64>,
	/// sr25519 over [`request_message`], hex.
	pub signature: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NodeJson {
	pub hash: String,
	/// Decimal, as sums may exceed what JSON numbers hold exactly.
	pub sum: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OpeningJson {
	pub nonce: u64,
	pub artifact: Vec<u16>,
	pub siblings: Vec<NodeJson>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OpeningsResponse {
	pub race: u32,
	pub count: u64,
	pub root: String,
	pub openings: Vec<OpeningJson>,
}

impl OpeningJson {
	fn from_opening(opening: Opening) -> Self {
		Self {
			nonce: opening.nonce,
			artifact: opening.artifact,
			siblings: opening
				.siblings
				.iter()
				.map(|n| NodeJson { hash: hex::encode(n.hash), sum: n.sum.to_string() })
				.collect(),
		}
	}

	/// The opening, or `None` when a sibling is malformed.
	pub fn to_opening(&self) -> Option<Opening> {
		let siblings = self
			.siblings
			.iter()
			.map(|n| {
				let hash: Hash = hex::decode(&n.hash).ok()?.try_into().ok()?;
				Some(SumNode { hash, sum: n.sum.parse().ok()? })
			})
			.collect::<Option<Vec<_>>>()?;
		Some(Opening { nonce: self.nonce, artifact: self.artifact.clone(), siblings })
	}
}

/// The state of the openings endpoint.
#[derive(Clone)]
pub struct OpeningsState {
	pub shared: Arc<RaceShared>,
	pub chain: Arc<ChainClient>,
	/// The runtime's `ValidatorsPerParticipant`.
	pub validators_per_participant: u32,
}

fn refuse(status: StatusCode, message: impl Into<String>) -> axum::response::Response {
	(status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

/// `POST /v1/race/openings`.
pub async fn serve_openings(
	State(state): State<OpeningsState>,
	Json(request): Json<OpeningsRequest>,
) -> axum::response::Response {
	let me = state.chain.account();
	let Some(validator) = hex::decode(request.validator.trim_start_matches("0x"))
		.ok()
		.and_then(|b| <AccountBytes>::try_from(b).ok())
	else {
		return refuse(StatusCode::BAD_REQUEST, "validator is not a 32-byte hex account");
	};
	let Some(signature) = hex::decode(request.signature.trim_start_matches("0x"))
		.ok()
		.and_then(|b| <[u8; 64]>::try_from(b).ok())
	else {
		return refuse(StatusCode::BAD_REQUEST, "signature is not 64 bytes of hex");
	};
	let message = request_message(request.race, &me, &validator, &request.indices);
	if !subxt_signer::sr25519::verify(
		&subxt_signer::sr25519::Signature(signature),
		message,
		&subxt_signer::sr25519::PublicKey(validator),
	) {
		return refuse(StatusCode::FORBIDDEN, "the signature does not verify");
	}
	let view = match state.chain.race_view().await {
		Ok(view) => view,
		Err(error) => return refuse(StatusCode::SERVICE_UNAVAILABLE, error.to_string()),
	};
	let Some(race) = view.race.filter(|r| r.index == request.race) else {
		return refuse(StatusCode::NOT_FOUND, "not the race in progress");
	};
	let Some(sample_seed) = race.sample_seed else {
		return refuse(StatusCode::FORBIDDEN, "the race's window has not closed");
	};
	let pool = match state.chain.race_pool().await {
		Ok(pool) => pool,
		Err(error) => return refuse(StatusCode::SERVICE_UNAVAILABLE, error.to_string()),
	};
	if !assignment(&sample_seed, &me, &pool, state.validators_per_participant)
		.iter()
		.any(|(v, _)| *v == validator)
	{
		return refuse(StatusCode::FORBIDDEN, "the chain does not assign this validator to us");
	}
	if request.indices.len() > race.params.sample_size as usize {
		return refuse(StatusCode::BAD_REQUEST, "more indices than the race's sample size");
	}
	let commitment = match state.chain.race_work(me).await {
		Ok(Some(commitment)) => commitment,
		Ok(None) => return refuse(StatusCode::NOT_FOUND, "no commitment of ours on chain"),
		Err(error) => return refuse(StatusCode::SERVICE_UNAVAILABLE, error.to_string()),
	};
	let shared = state.shared.clone();
	let indices = request.indices.clone();
	let opened = tokio::task::spawn_blocking(move || {
		let mut work = crate::sync::lock(&shared.work);
		match work.as_mut().filter(|w| w.race == race.index) {
			Some(active) => Some(active.log.open(commitment.count, &indices)),
			None => None,
		}
	})
	.await;
	match opened {
		Ok(Some(Ok(openings))) => {
			state.shared.metrics.openings_served.inc_by(openings.len() as u64);
			Json(OpeningsResponse {
				race: race.index,
				count: commitment.count,
				root: hex::encode(commitment.root),
				openings: openings.into_iter().map(OpeningJson::from_opening).collect(),
			})
			.into_response()
		},
		Ok(Some(Err(error))) => refuse(StatusCode::NOT_FOUND, error.to_string()),
		Ok(None) => refuse(StatusCode::NOT_FOUND, "no work log for this race"),
		Err(error) => refuse(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()),
	}
}

/// Fetches `indices` of `participant`'s commitment from `url`, signed as `chain`'s account:
/// the openings by index (those not served are missing), or why none could be fetched.
pub async fn fetch_openings(
	http: &reqwest::Client,
	chain: &ChainClient,
	url: &str,
	race: u32,
	participant: &AccountBytes,
	indices: &[u64],
) -> Result<Vec<OpeningJson>, String> {
	let me = chain.account();
	let signature = chain.sign(&request_message(race, participant, &me, indices));
	let request = OpeningsRequest {
		race,
		validator: hex::encode(me),
		indices: indices.to_vec(),
		signature: hex::encode(signature),
	};
	let endpoint = format!("{}/v1/race/openings", url.trim_end_matches('/'));
	let body = serde_json::to_vec(&request).map_err(|e| e.to_string())?;
	let response = http
		.post(&endpoint)
		.header(reqwest::header::CONTENT_TYPE, "application/json")
		.body(body)
		.send()
		.await
		.map_err(|e| e.to_string())?;
	let status = response.status();
	let bytes = response.bytes().await.map_err(|e| e.to_string())?;
	if !status.is_success() {
		return Err(format!("{endpoint} answered {status}: {}", String::from_utf8_lossy(&bytes)));
	}
	let body: OpeningsResponse = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
	Ok(body.openings)
}

/// `POST /v1/race/openings`, for merging with the status router.
pub fn router(state: OpeningsState) -> axum::Router {
	axum::Router::new()
		.route("/v1/race/openings", axum::routing::post(serve_openings))
		.with_state(state)
}
