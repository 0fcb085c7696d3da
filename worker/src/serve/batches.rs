//! The challengers' endpoints: a proposed batch's record, its leaves, and one leaf with its
//! inclusion proof, so anyone can check a batch proposed on chain against its receipts.
//! Batches are addressed by the **chain's** batch id; the leaf file is also served under its
//! content hash, the address the worker proposes on chain before the batch has an id
//! (`docs/receipts.md` §10).

use std::sync::Arc;

use ail2_primitives::receipt::SignedReceipt;
use axum::{
	extract::{Path, State},
	http::{header, StatusCode},
	response::{IntoResponse, Response},
	Json,
};
use codec::Encode;
use serde_json::{json, Value};

use super::{auth::GatewayKeys, AppState};
use crate::{
	batcher::leaves_url,
	openai::{ApiError, ReceiptOut},
	store::{Store, StoreError},
};

/// `GET /v1/batches/{batch}`: the batch the chain knows as `batch`, as the worker closed it.
pub(super) async fn info<G: GatewayKeys>(
	State(state): State<Arc<AppState<G>>>,
	Path(chain_batch): Path<u64>,
) -> Result<Json<Value>, ApiError> {
	let (local_id, record) = blocking(&state, move |store| store.batch_by_chain_id(chain_batch))
		.await?
		.ok_or_else(|| not_found(chain_batch))?;
	Ok(Json(json!({
		"batch": chain_batch,
		"local_id": local_id,
		"payer": format!("0x{}", hex::encode(record.payer)),
		"model": record.model,
		"version": {
			"major": record.version.major,
			"minor": record.version.minor,
			"patch": record.version.patch,
		},
		"first_counter": record.first_counter,
		"last_counter": record.last_counter,
		"count": record.count,
		"root_hash": format!("0x{}", hex::encode(record.root_hash)),
		"total": record.total.to_string(),
		"content_hash": format!("0x{}", hex::encode(record.content_hash)),
		"leaves": leaves_url("", &record.content_hash),
		"state": record.state.name(),
	})))
}

/// `GET /v1/batches/{batch}/leaves`: SCALE of the batch's signed receipts in order (its
/// keccak256 is the batch's `content_hash`).
pub(super) async fn leaves<G: GatewayKeys>(
	State(state): State<Arc<AppState<G>>>,
	Path(chain_batch): Path<u64>,
) -> Result<Response, ApiError> {
	let file = blocking(&state, move |store| {
		let Some((_, record)) = store.batch_by_chain_id(chain_batch)? else { return Ok(None) };
		store.batch_receipts(&record).map(Some)
	})
	.await?;
	leaf_file(file.ok_or_else(|| not_found(chain_batch))?)
}

/// `GET /v1/leaves/0x{content_hash}`: the same leaf file, addressed by its keccak256. This
/// is the URL the worker proposes on chain.
pub(super) async fn leaves_by_content<G: GatewayKeys>(
	State(state): State<Arc<AppState<G>>>,
	Path(content_hash): Path<String>,
) -> Result<Response, ApiError> {
	let unknown = || {
		ApiError::new(
			StatusCode::NOT_FOUND,
			"batch_not_found",
			format!("no batch with content hash {content_hash}"),
		)
	};
	let hash: ail2_primitives::Hash = hex::decode(content_hash.trim_start_matches("0x"))
		.ok()
		.and_then(|bytes| bytes.try_into().ok())
		.ok_or_else(unknown)?;
	let file = blocking(&state, move |store| {
		let Some((_, record)) = store.batch_by_content(&hash)? else { return Ok(None) };
		store.batch_receipts(&record).map(Some)
	})
	.await?;
	leaf_file(file.ok_or_else(unknown)?)
}

/// `GET /v1/batches/{batch}/proof/{index}`: one leaf with its inclusion proof, for
/// challengers who want a single receipt.
pub(super) async fn proof<G: GatewayKeys>(
	State(state): State<Arc<AppState<G>>>,
	Path((chain_batch, index)): Path<(u64, u64)>,
) -> Result<Json<Value>, ApiError> {
	let (receipts, tree) = blocking(&state, move |store| {
		let Some((_, record)) = store.batch_by_chain_id(chain_batch)? else { return Ok(None) };
		store.batch_tree(&record).map(Some)
	})
	.await?
	.ok_or_else(|| not_found(chain_batch))?;
	let proof = tree.proof(index).ok_or_else(|| {
		ApiError::new(
			StatusCode::NOT_FOUND,
			"leaf_not_found",
			format!("batch {chain_batch} has no leaf {index}"),
		)
	})?;
	let leaf = receipts.get(index as usize).ok_or_else(|| not_found(chain_batch))?;
	Ok(Json(json!({
		"receipt": ReceiptOut::from(leaf),
		"proof": format!("0x{}", hex::encode(proof.encode())),
		"leaves": tree.leaves(),
	})))
}

fn leaf_file(receipts: Vec<SignedReceipt>) -> Result<Response, ApiError> {
	Ok(([(header::CONTENT_TYPE, "application/octet-stream")], receipts.encode()).into_response())
}

/// Runs store reads and tree building on the blocking pool, off the async runtime: a large
/// batch's tree takes a second.
async fn blocking<G, R: Send + 'static>(
	state: &AppState<G>,
	work: impl FnOnce(&Store) -> Result<R, StoreError> + Send + 'static,
) -> Result<R, ApiError> {
	let store = state.store.clone();
	tokio::task::spawn_blocking(move || work(&store))
		.await
		.map_err(ApiError::internal)?
		.map_err(ApiError::internal)
}

fn not_found(chain_batch: u64) -> ApiError {
	ApiError::new(StatusCode::NOT_FOUND, "batch_not_found", format!("no batch {chain_batch}"))
}
