//! The challengers' endpoints: a closed batch's record, its leaves, and one leaf with its
//! inclusion proof, so anyone can check a batch proposed on chain against its receipts.

use std::sync::Arc;

use ail2_primitives::merkle::MerkleSumTree;
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
	openai::{ApiError, ReceiptOut},
	store::BatchRecord,
};

/// `GET /v1/batches/{id}`: the batch as proposed.
pub(super) async fn info<G: GatewayKeys>(
	State(state): State<Arc<AppState<G>>>,
	Path(id): Path<u64>,
) -> Result<Json<Value>, ApiError> {
	let record = batch(&state, id)?;
	Ok(Json(json!({
		"payer": format!("0x{}", hex::encode(record.payer)),
		"model": record.model,
		"first_counter": record.first_counter,
		"last_counter": record.last_counter,
		"count": record.count,
		"root_hash": format!("0x{}", hex::encode(record.root_hash)),
		"total": record.total.to_string(),
		"content_hash": format!("0x{}", hex::encode(record.content_hash)),
		"state": format!("{:?}", record.state),
	})))
}

/// `GET /v1/batches/{id}/leaves`: SCALE of the batch's signed receipts in order (its
/// keccak256 is the batch's `content_hash`).
pub(super) async fn leaves<G: GatewayKeys>(
	State(state): State<Arc<AppState<G>>>,
	Path(id): Path<u64>,
) -> Result<Response, ApiError> {
	let record = batch(&state, id)?;
	let receipts = state.store.batch_receipts(&record).map_err(ApiError::internal)?;
	Ok(([(header::CONTENT_TYPE, "application/octet-stream")], receipts.encode()).into_response())
}

/// `GET /v1/batches/{id}/proof/{index}`: one leaf with its inclusion proof, for challengers
/// who want a single receipt.
pub(super) async fn proof<G: GatewayKeys>(
	State(state): State<Arc<AppState<G>>>,
	Path((id, index)): Path<(u64, u64)>,
) -> Result<Json<Value>, ApiError> {
	let record = batch(&state, id)?;
	let receipts = state.store.batch_receipts(&record).map_err(ApiError::internal)?;
	let tree = MerkleSumTree::from_receipts(&receipts)
		.map_err(|e| ApiError::internal(format!("{e:?}")))?;
	let proof = tree.proof(index).ok_or_else(|| {
		ApiError::new(
			StatusCode::NOT_FOUND,
			"leaf_not_found",
			format!("batch {id} has no leaf {index}"),
		)
	})?;
	let leaf = receipts.get(index as usize).ok_or_else(|| not_found(id))?;
	Ok(Json(json!({
		"receipt": ReceiptOut::from(leaf),
		"proof": format!("0x{}", hex::encode(proof.encode())),
		"leaves": tree.leaves(),
	})))
}

fn batch<G>(state: &AppState<G>, id: u64) -> Result<BatchRecord, ApiError> {
	state.store.batch(id).map_err(ApiError::internal)?.ok_or_else(|| not_found(id))
}

fn not_found(id: u64) -> ApiError {
	ApiError::new(StatusCode::NOT_FOUND, "batch_not_found", format!("no batch {id}"))
}
