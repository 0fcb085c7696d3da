//! `POST /v1/transcripts`: a served request's receipt and inference transcript, for the payer
//! who paid for it and for the verifier group checking it; nobody else.
//!
//! A payer's body is `{payer, counter, expires_at_ms, signature}`: `signature` is the 65-byte
//! recoverable secp256k1 signature, by a gateway key the payer registered and that is active,
//! over [`request_message`](ail2_primitives::transcript::request_message) for this worker's
//! receipt key.
//!
//! A verifier's body is `{verifier, batch, index, counter, expires_at_ms, signature}`:
//! `signature` is the verifier's 64-byte sr25519 signature (its hot key, `verifier`) over
//! [`verifier_request_message`](ail2_primitives::transcript::verifier_request_message). It is
//! served while the chain holds a check on leaf `index` of batch `batch`, lists `verifier` in
//! the batch's group, and the receipt `counter` of the batch's payer is the checked one.
//!
//! The answer is `{receipt, transcript}`, each the hex of its SCALE encoding (`transcript` is
//! `null` for a receipt no transcript backs). 401 for a signature that does not verify, 403
//! for an expired request, a key that is not the payer's or a verifier outside the group,
//! 404 when the store holds no such receipt (never served, or pruned after its batch
//! settled) or the chain no such check.

use std::sync::Arc;

use ail2_primitives::{
	receipt::{recover, AccountBytes, Signature},
	transcript::{request_message, verifier_request_message},
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

/// A verifier group member's request for the transcript behind a check.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VerifierTranscriptRequest {
	/// The verifier's hot key, hex.
	pub verifier: String,
	/// The chain's batch id and the checked leaf's index.
	pub batch: u64,
	pub index: u64,
	/// The checked receipt's counter (the batch's payer is the receipt's).
	pub counter: Counter,
	/// The request is refused from this time on (Unix ms).
	pub expires_at_ms: u64,
	/// hex of the verifier's 64-byte sr25519 signature over the request message.
	pub signature: String,
}

/// Either request: a verifier's names `verifier`.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum AnyTranscriptRequest {
	Verifier(VerifierTranscriptRequest),
	Payer(TranscriptRequest),
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
	Json(request): Json<AnyTranscriptRequest>,
) -> Result<Json<TranscriptResponse>, ApiError> {
	let (payer, counter, receipt_id) = match request {
		AnyTranscriptRequest::Payer(request) => {
			(authorise_payer(&state, &request).await?, request.counter, None)
		},
		AnyTranscriptRequest::Verifier(request) => {
			let (payer, receipt_id) = authorise_verifier(&state, &request).await?;
			(payer, request.counter, Some(receipt_id))
		},
	};
	let store = state.store.clone();
	let served = tokio::task::spawn_blocking(move || store.served(&payer, counter))
		.await
		.map_err(ApiError::internal)?
		.map_err(ApiError::internal)?;
	let no_receipt = || {
		ApiError::new(StatusCode::NOT_FOUND, "no_such_receipt", "this worker holds no such receipt")
	};
	let (receipt, transcript) = served.ok_or_else(no_receipt)?;
	// A verifier gets the checked receipt only, never another of the payer's.
	if receipt_id.is_some_and(|id| id != receipt.receipt.id()) {
		return Err(no_receipt());
	}
	state.metrics.transcripts_served.inc();
	Ok(Json(TranscriptResponse {
		receipt: hex::encode(receipt.encode()),
		transcript: transcript.map(|t| hex::encode(t.encode())),
	}))
}

fn expired(expires_at_ms: u64) -> Result<(), ApiError> {
	if expires_at_ms <= clock::unix_ms() {
		return Err(ApiError::new(
			StatusCode::FORBIDDEN,
			"request_expired",
			"the request has expired",
		));
	}
	Ok(())
}

fn chain_unavailable(e: impl std::fmt::Display) -> ApiError {
	ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "chain_unavailable", e.to_string())
}

/// The payer, once its gateway key's signature is checked.
async fn authorise_payer<G: GatewayKeys>(
	state: &AppState<G>,
	request: &TranscriptRequest,
) -> Result<AccountBytes, ApiError> {
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
	expired(request.expires_at_ms)?;
	let active = state.gateway_keys.is_active(payer, signer).await.map_err(chain_unavailable)?;
	if !active {
		return Err(ApiError::new(
			StatusCode::FORBIDDEN,
			"unknown_gateway_key",
			"the signing key is not an active gateway key of the payer",
		));
	}
	Ok(payer)
}

/// The checked batch's payer and the checked receipt's id, once the verifier's signature and
/// membership are checked against the chain.
async fn authorise_verifier<G: GatewayKeys>(
	state: &AppState<G>,
	request: &VerifierTranscriptRequest,
) -> Result<(AccountBytes, ail2_primitives::Hash), ApiError> {
	let verifier: AccountBytes = hex_bytes(&request.verifier, "verifier")?;
	let signature: [u8; 64] = hex_bytes(&request.signature, "signature")?;
	let message = verifier_request_message(
		&state.receipt_key.public(),
		&verifier,
		request.batch,
		request.index,
		request.expires_at_ms,
	);
	let verified = subxt_signer::sr25519::verify(
		&subxt_signer::sr25519::Signature(signature),
		message,
		&subxt_signer::sr25519::PublicKey(verifier),
	);
	if !verified {
		return Err(ApiError::new(
			StatusCode::UNAUTHORIZED,
			"invalid_signature",
			"the signature is not the verifier's",
		));
	}
	expired(request.expires_at_ms)?;
	let check = state
		.gateway_keys
		.audited_check(request.batch, request.index)
		.await
		.map_err(chain_unavailable)?
		.ok_or_else(|| {
			ApiError::new(
				StatusCode::NOT_FOUND,
				"no_such_check",
				format!(
					"the chain holds no open check on leaf {} of batch {}",
					request.index, request.batch
				),
			)
		})?;
	if !check.group.contains(&verifier) {
		return Err(ApiError::new(
			StatusCode::FORBIDDEN,
			"not_in_group",
			"the verifier is not in the batch's verifier group",
		));
	}
	Ok((check.payer, check.receipt_id))
}
