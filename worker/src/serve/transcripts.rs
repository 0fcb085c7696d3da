//! `POST /v1/transcripts`: a served request's receipt and inference transcript, for the payer
//! who paid for it (signed by one of its active gateway keys).
//!
//! The body is `{payer, counter, expires_at_ms, signature}`: `signature` is the 65-byte
//! recoverable secp256k1 signature, by a gateway key the payer registered and that is active,
//! over [`request_message`](ail2_primitives::transcript::request_message) for this worker's
//! receipt key. The answer is `{receipt, transcript}`, each the hex of its SCALE encoding
//! (`transcript` is `null` for a receipt no transcript backs). 401 for a signature that does
//! not recover, 403 for an expired request or a key that is not the payer's, 404 when the
//! store holds no such receipt (never served, or pruned after its batch settled).

use std::sync::Arc;

use ail2_primitives::{
	receipt::{recover, AccountBytes, Signature},
	transcript::request_message,
	Counter,
};
use axum::{extract::State, http::StatusCode, Json};
use codec::Encode;
use serde::{Deserialize, Serialize};

use super::{auth::GatewayKeys, AppState};
use crate::{clock, openai::ApiError};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TranscriptRequest {
	/// The payer's account, hex.
	pub payer: String,
	pub counter: Counter,
	/// The request is refused from this time on (Unix ms).
	pub expires_at_ms: u64,
	/// hex of the gateway key's 65-byte signature over the request message.
	pub signature: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TranscriptResponse {
	/// hex of SCALE(SignedReceipt).
	pub receipt: String,
	/// hex of SCALE(Transcript), or `None` when no transcript backs the receipt.
	pub transcript: Option<String>,
}

fn hex_bytes<const N: usize>(text: &str, what: &str) -> Result<[u8; N], ApiError> {
	hex::decode(text.trim().trim_start_matches("0x"))
		.ok()
		.and_then(|bytes| <[u8; N]>::try_from(bytes).ok())
		.ok_or_else(|| {
			ApiError::bad_request("invalid_request", format!("{what} is not {N} bytes of hex"))
		})
}

pub(super) async fn serve<G: GatewayKeys>(
	State(state): State<Arc<AppState<G>>>,
	Json(request): Json<TranscriptRequest>,
) -> Result<Json<TranscriptResponse>, ApiError> {
	let payer: AccountBytes = hex_bytes(&request.payer, "payer")?;
	let signature: Signature = hex_bytes(&request.signature, "signature")?;
	let message = request_message(
		&state.receipt_key.public(),
		&payer,
		request.counter,
		request.expires_at_ms,
	);
	let signer = recover(&message, &signature).ok_or_else(|| {
		ApiError::new(
			StatusCode::UNAUTHORIZED,
			"invalid_signature",
			"the signature does not recover a key",
		)
	})?;
	if request.expires_at_ms <= clock::unix_ms() {
		return Err(ApiError::new(
			StatusCode::FORBIDDEN,
			"request_expired",
			"the request has expired",
		));
	}
	let active = state.gateway_keys.is_active(payer, signer).await.map_err(|e| {
		ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "chain_unavailable", e.to_string())
	})?;
	if !active {
		return Err(ApiError::new(
			StatusCode::FORBIDDEN,
			"unknown_gateway_key",
			"the signing key is not an active gateway key of the payer",
		));
	}
	let store = state.store.clone();
	let counter = request.counter;
	let served = tokio::task::spawn_blocking(move || store.served(&payer, counter))
		.await
		.map_err(ApiError::internal)?
		.map_err(ApiError::internal)?;
	let (receipt, transcript) = served.ok_or_else(|| {
		ApiError::new(StatusCode::NOT_FOUND, "no_such_receipt", "this worker holds no such receipt")
	})?;
	state.metrics.transcripts_served.inc();
	Ok(Json(TranscriptResponse {
		receipt: hex::encode(receipt.encode()),
		transcript: transcript.map(|t| hex::encode(t.encode())),
	}))
}
