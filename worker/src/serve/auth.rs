//! The payer's gateway authorisation a request must carry.
//!
//! Headers: `x-ail2-authorisation` (hex of the SCALE-encoded `Authorisation`) and
//! `x-ail2-gateway-signature` (hex of the 65-byte recoverable signature over its keccak256).
//! The gateway writes them with [`headers`]; the worker reads them with [`parse`]. The signer
//! must be a gateway key the payer registered on chain and that is active now.

use std::{
	collections::HashMap,
	sync::Arc,
	time::{Duration, Instant},
};

use ail2_chain::{ChainClient, ChainError};
use ail2_primitives::{
	receipt::{AccountBytes, Authorisation, PublicKey, Signature},
	Hash,
};
use axum::http::{HeaderMap, StatusCode};
use codec::{Decode, Encode};
use tokio::sync::Mutex;

use super::AppState;
use crate::{clock, openai::ApiError};

pub const AUTHORISATION_HEADER: &str = "x-ail2-authorisation";
pub const SIGNATURE_HEADER: &str = "x-ail2-gateway-signature";

/// At most this many keys are remembered.
const MAX_CACHED_KEYS: usize = 65_536;

/// How long a key found inactive is not asked about again.
const UNKNOWN_KEY_TTL: Duration = Duration::from_secs(2);

/// What the worker reads from the chain to authorise a request: the payers' gateway keys,
/// and the checks a verifier group may fetch transcripts for.
pub trait GatewayKeys: Send + Sync + 'static {
	/// Why a key's state could not be read.
	type Error: std::error::Error + Send;

	/// Whether `key` is registered for `payer` and authorises requests now.
	fn is_active(
		&self,
		payer: AccountBytes,
		key: PublicKey,
	) -> impl std::future::Future<Output = Result<bool, Self::Error>> + Send;

	/// The open check on leaf `index` of batch `batch`, with what a verifier's request is
	/// judged by; `None` when the chain holds no such check. Without a chain, none.
	fn audited_check(
		&self,
		batch: u64,
		index: u64,
	) -> impl std::future::Future<Output = Result<Option<AuditedCheck>, Self::Error>> + Send {
		let _ = (batch, index);
		async { Ok(None) }
	}
}

/// An open check as pallet-poi holds it: which receipt, whose batch, and who may fetch its
/// transcript.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditedCheck {
	/// The checked receipt's id.
	pub receipt_id: Hash,
	/// The batch's worker (hot key) and payer.
	pub worker: AccountBytes,
	pub payer: AccountBytes,
	/// The batch's verifier group (hot keys).
	pub group: Vec<AccountBytes>,
}

/// Gateway keys read from the chain (finalized state). An active key is remembered for
/// `ttl` (shorter than the chain's revocation delay, so a revoked key's late receipts still
/// bill); an unknown key only for a moment, so a payer who just registered one is served.
pub struct ChainGatewayKeys {
	chain: Arc<ChainClient>,
	ttl: Duration,
	cache: Mutex<HashMap<(AccountBytes, PublicKey), (bool, Instant)>>,
}

impl ChainGatewayKeys {
	pub fn new(chain: Arc<ChainClient>, ttl: Duration) -> Self {
		Self { chain, ttl, cache: Mutex::new(HashMap::new()) }
	}
}

impl GatewayKeys for ChainGatewayKeys {
	type Error = ChainError;

	async fn is_active(&self, payer: AccountBytes, key: PublicKey) -> Result<bool, ChainError> {
		if let Some((active, at)) = self.cache.lock().await.get(&(payer, key)) {
			let ttl = if *active { self.ttl } else { UNKNOWN_KEY_TTL };
			if at.elapsed() < ttl {
				return Ok(*active);
			}
		}
		let record = self.chain.gateway_key(payer, key).await?;
		let now = self.chain.finalized_number().await?;
		// A key revoked on chain stops being accepted at once, whatever its grace period
		// for batches already proposed.
		let active = record.is_some_and(|r| r.added_at <= now && r.revoked_from.is_none());
		let mut cache = self.cache.lock().await;
		// Requests signed by random keys must not grow the cache without bound.
		if cache.len() >= MAX_CACHED_KEYS {
			let ttl = self.ttl;
			cache.retain(|_, (active, at)| {
				at.elapsed() < if *active { ttl } else { UNKNOWN_KEY_TTL }
			});
			if cache.len() >= MAX_CACHED_KEYS {
				cache.clear();
			}
		}
		cache.insert((payer, key), (active, Instant::now()));
		Ok(active)
	}

	/// Read afresh each time: verifiers ask once per check, and a check that concluded
	/// must stop being served at once.
	async fn audited_check(
		&self,
		batch: u64,
		index: u64,
	) -> Result<Option<AuditedCheck>, ChainError> {
		let Some(check) = self.chain.check(batch, index).await? else { return Ok(None) };
		let (Some(audit), Some(record)) =
			(self.chain.audit(batch).await?, self.chain.batch_view(batch).await?)
		else {
			return Ok(None);
		};
		Ok(Some(AuditedCheck {
			receipt_id: check.receipt_id,
			worker: record.worker,
			payer: record.payer,
			group: audit.group.into_iter().map(|(member, _)| member).collect(),
		}))
	}
}

/// The headers that carry `authorisation` and the gateway's `signature` of it to a worker.
pub fn headers(
	authorisation: &Authorisation,
	signature: &Signature,
) -> [(&'static str, String); 2] {
	[
		(AUTHORISATION_HEADER, format!("0x{}", hex::encode(authorisation.encode()))),
		(SIGNATURE_HEADER, format!("0x{}", hex::encode(signature))),
	]
}

fn header_bytes(headers: &HeaderMap, name: &str) -> Result<Option<Vec<u8>>, ApiError> {
	let Some(value) = headers.get(name) else { return Ok(None) };
	let text = value.to_str().map_err(|_| {
		ApiError::new(
			StatusCode::UNAUTHORIZED,
			"invalid_authorisation",
			format!("{name} is not text"),
		)
	})?;
	hex::decode(text.trim().trim_start_matches("0x")).map(Some).map_err(|_| {
		ApiError::new(
			StatusCode::UNAUTHORIZED,
			"invalid_authorisation",
			format!("{name} is not hex"),
		)
	})
}

/// Reads and decodes the authorisation headers; checks the signature's form.
pub fn parse(headers: &HeaderMap) -> Result<(Authorisation, Signature, PublicKey), ApiError> {
	let unauthorised =
		|code, message: &str| ApiError::new(StatusCode::UNAUTHORIZED, code, message.to_owned());
	let (Some(authorisation), Some(signature)) =
		(header_bytes(headers, AUTHORISATION_HEADER)?, header_bytes(headers, SIGNATURE_HEADER)?)
	else {
		return Err(unauthorised(
			"missing_authorisation",
			"requests must carry x-ail2-authorisation and x-ail2-gateway-signature from the payer's gateway",
		));
	};
	let authorisation = Authorisation::decode(&mut authorisation.as_slice()).map_err(|_| {
		unauthorised("invalid_authorisation", "x-ail2-authorisation does not decode")
	})?;
	let signature: Signature = signature.try_into().map_err(|_| {
		unauthorised("invalid_authorisation", "x-ail2-gateway-signature must be 65 bytes")
	})?;
	let signer = ail2_primitives::receipt::recover(&authorisation.message(), &signature)
		.ok_or_else(|| {
			unauthorised("invalid_signature", "the gateway signature does not recover a key")
		})?;
	Ok((authorisation, signature, signer))
}

/// The checks that need no model work: the authorisation is for this worker, model and
/// chain, unexpired, and signed by an active gateway key of the payer.
pub(super) async fn authorise<G: GatewayKeys>(
	state: &AppState<G>,
	headers: &HeaderMap,
) -> Result<(Authorisation, Signature), ApiError> {
	let (authorisation, signature, signer) = parse(headers)?;
	let served = &state.served;
	let forbidden = |code, message: String| ApiError::new(StatusCode::FORBIDDEN, code, message);
	if authorisation.node_pubkey != state.receipt_key.public() {
		return Err(forbidden(
			"wrong_worker",
			"the authorisation names another worker's receipt key".into(),
		));
	}
	if authorisation.chain_id != served.chain_id {
		return Err(forbidden(
			"wrong_chain",
			format!("this worker bills on chain {}", served.chain_id),
		));
	}
	if authorisation.model_id != served.model_id || authorisation.version != served.version {
		return Err(forbidden(
			"wrong_model",
			"the authorisation is for another model or version".into(),
		));
	}
	if authorisation.expires_at_ms <= clock::unix_ms() {
		return Err(forbidden("authorisation_expired", "the authorisation has expired".into()));
	}
	let active = state.gateway_keys.is_active(authorisation.payer, signer).await.map_err(|e| {
		ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "chain_unavailable", e.to_string())
	})?;
	if !active {
		return Err(forbidden(
			"unknown_gateway_key",
			"the signing key is not an active gateway key of the payer".into(),
		));
	}
	Ok((authorisation, signature))
}
