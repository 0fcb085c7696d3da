//! The payer's gateway authorisation a request must carry.
//!
//! Headers: `x-ail2-authorisation` (hex of the SCALE-encoded `Authorisation`) and
//! `x-ail2-gateway-signature` (hex of the 65-byte recoverable signature over its keccak256).
//! The signer must be a gateway key the payer registered on chain and that is active now.

use std::{
	collections::HashMap,
	sync::Arc,
	time::{Duration, Instant},
};

use ail2_chain::ChainClient;
use ail2_primitives::receipt::{AccountBytes, Authorisation, PublicKey, Signature};
use axum::http::{HeaderMap, StatusCode};
use codec::Decode;
use tokio::sync::Mutex;

use super::openai::ApiError;

pub const AUTHORISATION_HEADER: &str = "x-ail2-authorisation";
pub const SIGNATURE_HEADER: &str = "x-ail2-gateway-signature";

/// At most this many keys are remembered.
const MAX_CACHED_KEYS: usize = 65_536;

/// How long a key found inactive is not asked about again.
const UNKNOWN_KEY_TTL: Duration = Duration::from_secs(2);

/// Where gateway keys are looked up.
pub trait GatewayKeys: Send + Sync + 'static {
	/// Whether `key` is registered for `payer` and authorises requests now.
	fn is_active(
		&self,
		payer: AccountBytes,
		key: PublicKey,
	) -> impl std::future::Future<Output = Result<bool, String>> + Send;
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
	async fn is_active(&self, payer: AccountBytes, key: PublicKey) -> Result<bool, String> {
		if let Some((active, at)) = self.cache.lock().await.get(&(payer, key)) {
			let ttl = if *active { self.ttl } else { UNKNOWN_KEY_TTL };
			if at.elapsed() < ttl {
				return Ok(*active);
			}
		}
		let record = self.chain.gateway_key(payer, key).await.map_err(|e| e.to_string())?;
		let now = self.chain.finalized_number().await.map_err(|e| e.to_string())?;
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
