//! The SSE relay: a streaming answer is passed on event by event as the worker sends it.
//! The event that carries the receipt is checked first and, if the receipt is not payable as
//! authorised, replaced by an error event; a stream that ends without a payable receipt ends
//! with an error event, and counts as the worker's failure.

use std::time::Instant;

use ail2_primitives::receipt::{Authorisation, Signature, SignedReceipt};
use axum::{body::Bytes, http::StatusCode, response::Response};
use futures_util::StreamExt;
use serde_json::Value;

use super::{
	metrics::worker_label,
	proxy::{with_worker, Call, Dispatched, Failure},
	receipt::{verify_receipt, ReceiptRejected},
	registry::Target,
};
use crate::openai::{
	sse::{self, EventReader, EventSender},
	ApiError, Usage,
};

/// A worker's stream on its way to the client.
pub(super) struct Relay {
	call: Call,
	target: Target,
	authorisation: Authorisation,
	signature: Signature,
	started: Instant,
	request: ail2_router::Request,
}

impl Call {
	/// The relay of this call's stream from `target`, which was sent `authorisation`.
	pub(super) fn relay(
		&self,
		target: &Target,
		authorisation: Authorisation,
		signature: Signature,
		started: Instant,
		request: ail2_router::Request,
	) -> Relay {
		Relay {
			// The body was sent; the relay has no use for it.
			call: Call { body: Bytes::new(), ..self.clone() },
			target: target.clone(),
			authorisation,
			signature,
			started,
			request,
		}
	}
}

impl Relay {
	/// Starts passing on the worker's `response`; returns the response to the client.
	pub(super) fn start(self, response: reqwest::Response) -> Response {
		let (events, client) = sse::stream();
		let client = with_worker(client, &self.target);
		// Not tied to the client's response: the outcome is recorded (and a payable receipt
		// charged) even if the client goes away.
		tokio::spawn(self.run(response, events));
		client
	}

	async fn run(self, response: reqwest::Response, events: EventSender) {
		let mut bytes = response.bytes_stream();
		let mut reader = EventReader::default();
		let mut verified = false;
		let mut problem: Option<Failure> = None;
		'read: while let Some(chunk) = bytes.next().await {
			let chunk = match chunk {
				Ok(chunk) => chunk,
				Err(e) => {
					problem = Some(Failure::StreamBroke(e));
					break;
				},
			};
			reader.push(&chunk);
			while let Some(data) = reader.next_data() {
				let data = match self.receipt_in(&data) {
					None => data,
					Some(Ok(receipt)) => {
						self.call.charge(&self.target, &receipt);
						verified = true;
						data
					},
					Some(Err(reason)) => {
						let event =
							upstream_error(format!("the worker's receipt was rejected: {reason}"));
						problem = Some(Failure::BadReceipt(reason));
						event
					},
				};
				if events.send(data).await.is_err() {
					problem = Some(Failure::ClientGone);
					break 'read;
				}
			}
		}
		if !verified && problem.is_none() {
			problem = Some(Failure::NoReceipt);
		}
		match problem {
			None => {
				self.call.record(&self.target, Dispatched::Success, self.started, &self.request)
			},
			Some(reason) => {
				tracing::warn!(worker = %worker_label(&self.target.id), %reason, "stream failed");
				self.call.record(&self.target, Dispatched::Failure, self.started, &self.request);
				if !verified {
					// Nobody to tell if the client went away.
					events.send(upstream_error(reason.to_string())).await.ok();
				}
			},
		}
	}

	/// The receipt an event carries, checked against the authorisation; `None` for an event
	/// without one.
	fn receipt_in(&self, data: &str) -> Option<Result<SignedReceipt, ReceiptRejected>> {
		if data == sse::DONE {
			return None;
		}
		let event: Value = serde_json::from_str(data).ok()?;
		let receipt = event.get("receipt")?;
		Some(verify_receipt(
			Some(receipt),
			&self.authorisation,
			&self.signature,
			&self.call.model,
			Usage::in_answer(&event),
		))
	}
}

/// An error event in OpenAI's shape.
fn upstream_error(message: String) -> String {
	ApiError::new(StatusCode::BAD_GATEWAY, "upstream_failed", message).body().to_string()
}
