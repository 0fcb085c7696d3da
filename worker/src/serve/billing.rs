//! Billing: the payer's counter is held while its request is served, the completion is cut
//! to what the authorised `max_price` pays for, and the receipt is priced by the model's
//! policy, committed to the request's inference transcript, signed with the receipt key and
//! persisted with the transcript before any response carries it.

use std::sync::Arc;

use ail2_model::{Generation, SamplingParams};
use ail2_primitives::{
	billing::{receipt_price, PricingPolicy, Usage},
	receipt::{Authorisation, Receipt, Signature, SignedReceipt},
};
use axum::http::StatusCode;

use super::{auth::GatewayKeys, AppState};
use crate::{
	clock,
	openai::{self, ApiError, ReceiptOut},
	store::{Reservation, Store, StoreError},
};

/// Holds the authorisation's counter for its payer, then checks that it is still unused and
/// above every batched counter. The reservation comes first, so no batch closes past the
/// counter between the check and the receipt's append.
pub(super) fn reserve(
	store: &Arc<Store>,
	authorisation: &Authorisation,
) -> Result<Reservation, ApiError> {
	let reservation = store.reserve(authorisation.payer, authorisation.counter);
	store.counter_available(&authorisation.payer, authorisation.counter).map_err(counter_error)?;
	Ok(reservation)
}

/// The largest completion length whose token price stays within the payer's cap.
pub(super) fn affordable_tokens(
	policy: &PricingPolicy,
	prompt: u32,
	wanted: u32,
	cap: u128,
) -> u32 {
	let price =
		|out: u32| receipt_price(policy, &Usage { tokens_in: prompt, tokens_out: out, gpu_ms: 0 });
	if price(wanted) <= cap {
		return wanted;
	}
	// Prices grow with output tokens: binary search the last affordable length.
	let (mut lo, mut hi) = (0u32, wanted);
	while lo < hi {
		let mid = lo + (hi - lo).div_ceil(2);
		if price(mid) <= cap {
			lo = mid;
		} else {
			hi = mid - 1;
		}
	}
	lo
}

fn counter_error(e: StoreError) -> ApiError {
	match e {
		StoreError::CounterUsed { .. } | StoreError::CounterBatched { .. } => {
			ApiError::new(StatusCode::CONFLICT, "counter_used", e.to_string())
		},
		other => ApiError::internal(other),
	}
}

/// What a finished generation needs to become a persisted receipt.
pub(super) struct Billing<G> {
	pub(super) state: Arc<AppState<G>>,
	pub(super) authorisation: Authorisation,
	pub(super) gateway_signature: Signature,
	pub(super) bytes_in: u64,
	/// Keeps batches from closing past this request's counter until it is persisted.
	pub(super) reservation: Reservation,
	/// The prompt's tokens, the completion limit after the price cap and the sampling
	/// parameters: the request as the transcript records it.
	pub(super) prompt: Vec<u32>,
	pub(super) max_tokens: u32,
	pub(super) sampling: SamplingParams,
}

impl<G: GatewayKeys> Billing<G> {
	/// Prices, signs and persists the receipt of `generation`, which took `gpu_ms`.
	pub(super) async fn bill(
		self,
		generation: &Generation,
		gpu_ms: u64,
	) -> Result<ReceiptOut, ApiError> {
		let served = &self.state.served;
		let a = &self.authorisation;
		// The counts the answer's `usage` reports, which the gateway checks against these.
		let counted = openai::Usage::of(generation);
		let usage = Usage {
			tokens_in: counted.prompt_tokens,
			tokens_out: counted.completion_tokens,
			gpu_ms,
		};
		let transcript = crate::poi::transcript_of(
			served.model_id,
			a.version,
			self.prompt,
			self.max_tokens,
			&self.sampling,
			generation,
		);
		let receipt = Receipt {
			project_id: a.project_id,
			model_id: a.model_id,
			version: a.version,
			timestamp_ms: clock::unix_ms(),
			tokens_in: usage.tokens_in,
			tokens_out: usage.tokens_out,
			gpu_ms,
			bytes_in: self.bytes_in,
			bytes_out: generation.text.len() as u64,
			price: receipt_price(&served.policy, &usage),
			chain_id: a.chain_id,
			route_id: a.route_id,
			counter: a.counter,
			node_pubkey: a.node_pubkey,
			payer: a.payer,
			policy_hash: served.policy_hash,
			max_price: a.max_price,
			expires_at_ms: a.expires_at_ms,
			transcript: transcript.hash(),
		};
		if !receipt.within_authorised_terms() {
			// Time-priced work that overran the cap, or finished after expiry: the payer did
			// not authorise it, so it cannot be billed.
			return Err(ApiError::new(
				StatusCode::PAYMENT_REQUIRED,
				"outside_authorised_terms",
				"the request finished outside its authorised price or time",
			));
		}
		let signed = SignedReceipt {
			node_signature: self.state.receipt_key.sign(&receipt.message()),
			gateway_signature: self.gateway_signature,
			receipt,
		};
		self.state.log.persist(signed.clone(), Some(transcript)).await.map_err(counter_error)?;
		drop(self.reservation);
		self.state.metrics.receipts.inc();
		self.state.metrics.tokens_generated.inc_by(u64::from(usage.tokens_out));
		Ok(ReceiptOut::from(&signed))
	}
}
