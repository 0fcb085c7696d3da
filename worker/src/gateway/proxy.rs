//! Proxying: a request is routed to a worker with a fresh authorisation signed for it, and
//! the worker's answer is passed on once its receipt checks out. A worker that fails before
//! answering (unreachable, busy, failing, or refusing the authorisation) is replaced by the
//! router's next choice, once.

use std::{sync::Arc, time::Instant};

use ail2_chain::RegisteredModel;
use ail2_primitives::receipt::{Authorisation, Signature, SignedReceipt};
use ail2_router::{Outcome, Selection};
use axum::{
	body::Bytes,
	http::{header, HeaderValue, StatusCode},
	response::{IntoResponse, Response},
};
use serde_json::Value;

use super::{
	config::ApiKey,
	metrics::{worker_label, OutcomeLabels, WorkerLabels},
	receipt::{verify_receipt, ReceiptRejected},
	registry::{Registry, Target},
	risk::Level,
	state::KeyHash,
	GatewayState,
};
use crate::{
	clock,
	openai::{ApiError, Endpoint, Usage},
	serve::auth,
};

/// The response header naming the worker (hot key) that answered.
pub const WORKER_HEADER: &str = "x-ail2-worker";

/// How many workers one request is sent to at most.
const ATTEMPTS: usize = 2;

/// One client request on its way to workers.
#[derive(Clone)]
pub(super) struct Call {
	pub(super) state: Arc<GatewayState>,
	pub(super) endpoint: Endpoint,
	pub(super) model: RegisteredModel,
	pub(super) key: Arc<ApiKey>,
	pub(super) key_hash: KeyHash,
	/// The client's body, forwarded unchanged.
	pub(super) body: Bytes,
	pub(super) stream: bool,
}

/// What became of one worker's attempt.
pub(super) enum Attempt {
	/// The worker answered: the answer (or the worker's own refusal of the request).
	Answered(Response),
	/// Try another worker. `refusal` keeps the worker's response when it refused the
	/// authorisation, to show the client if no worker accepts it.
	Failed { reason: Failure, refusal: Option<Response> },
}

/// Why a worker's answer was not passed on as it came.
#[derive(Debug, thiserror::Error)]
pub(super) enum Failure {
	#[error("unreachable: {0}")]
	Unreachable(reqwest::Error),
	#[error("refused the authorisation ({0})")]
	RefusedAuthorisation(u16),
	#[error("answered {0}")]
	Status(u16),
	#[error("answer cut short: {0}")]
	CutShort(reqwest::Error),
	#[error("answer is not JSON: {0}")]
	NotJson(serde_json::Error),
	#[error("bad receipt: {0}")]
	BadReceipt(ReceiptRejected),
	#[error("the worker's stream broke: {0}")]
	StreamBroke(reqwest::Error),
	#[error("the client went away")]
	ClientGone,
	#[error("the stream ended without a receipt")]
	NoReceipt,
}

/// How a dispatched request ended, for metrics and the router.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Dispatched {
	/// Answered with a payable receipt.
	Success,
	/// Failed; retried elsewhere if attempts remain.
	Failure,
	/// The worker refused the request itself (e.g. too long a prompt), as any would.
	ClientError,
}

impl Dispatched {
	fn label(self) -> &'static str {
		match self {
			Self::Success => "success",
			Self::Failure => "failure",
			Self::ClientError => "client_error",
		}
	}
}

/// Sends `call` to the router's choice of worker and, if that one fails, to its next
/// choice; `tokens_out` is what the router assumes the completion will take.
pub(super) async fn route(call: Call, tokens_out: u32) -> Result<Response, ApiError> {
	let state = &call.state;
	// About four bytes of JSON per prompt token: enough for the latency model.
	let tokens_in = u32::try_from(call.body.len() / 4).unwrap_or(u32::MAX);
	let request = Registry::route_request(
		&call.model,
		tokens_in,
		tokens_out,
		Some(call.key.max_price as f64),
	);
	let mut previous: Option<Selection> = None;
	let mut last_refusal: Option<Response> = None;
	let mut reasons = Vec::new();
	for attempt in 0..ATTEMPTS {
		let Some((selection, target)) =
			state.registry.select(&call.model.name, &request, previous.as_ref(), state.now_ms())
		else {
			break;
		};
		if attempt > 0 {
			state.metrics.retries.inc();
		}
		state
			.metrics
			.selections
			.get_or_create(&WorkerLabels {
				model: call.model.name.clone(),
				worker: worker_label(&target.id),
			})
			.inc();
		match call.attempt(&target, &request).await {
			Attempt::Answered(response) => return Ok(response),
			Attempt::Failed { reason, refusal } => {
				tracing::warn!(worker = %worker_label(&target.id), %reason, attempt, "worker failed");
				reasons.push(reason.to_string());
				if refusal.is_some() {
					last_refusal = refusal;
				}
			},
		}
		previous = Some(selection);
	}
	if let Some(refusal) = last_refusal {
		// Every worker refused the authorisation itself (e.g. the payer never registered this
		// gateway's key): the client should see why.
		return Ok(refusal);
	}
	if reasons.is_empty() {
		return Err(ApiError::new(
			StatusCode::SERVICE_UNAVAILABLE,
			"no_worker_available",
			format!("no worker serving `{}` is available now", call.model.name),
		));
	}
	Err(ApiError::new(
		StatusCode::BAD_GATEWAY,
		"upstream_failed",
		format!("the workers tried failed: {}", reasons.join("; ")),
	))
}

impl Call {
	/// A new authorisation of this request for `target`, signed with the gateway key.
	fn authorise(&self, target: &Target) -> (Authorisation, Signature) {
		let state = &self.state;
		let authorisation = Authorisation {
			payer: self.key.payer,
			node_pubkey: target.receipt_key,
			project_id: 0,
			model_id: self.model.id,
			version: self.model.version,
			chain_id: state.chain_id,
			route_id: rand::random(),
			counter: state.next_counter(target.id, self.key.payer),
			max_price: self.key.max_price,
			expires_at_ms: clock::unix_ms_after(state.settings.authorisation_ttl),
		};
		let signature = state.signer.sign(&authorisation.message());
		(authorisation, signature)
	}

	/// Counts the outcome of an attempt on `target` and teaches the model's router.
	pub(super) fn record(
		&self,
		target: &Target,
		outcome: Dispatched,
		started: Instant,
		request: &ail2_router::Request,
	) {
		self.record_failure(target, outcome, false, started, request);
	}

	/// [`Self::record`], saying whether a failure was a timeout.
	pub(super) fn record_failure(
		&self,
		target: &Target,
		outcome: Dispatched,
		timed_out: bool,
		started: Instant,
		request: &ail2_router::Request,
	) {
		let latency = started.elapsed();
		let success = outcome != Dispatched::Failure;
		let metrics = &self.state.metrics;
		let labels =
			WorkerLabels { model: self.model.name.clone(), worker: worker_label(&target.id) };
		metrics
			.outcomes
			.get_or_create(&OutcomeLabels {
				model: labels.model.clone(),
				worker: labels.worker.clone(),
				outcome: outcome.label().into(),
			})
			.inc();
		if success {
			metrics.latency_seconds.get_or_create(&labels).observe(latency.as_secs_f64());
		}
		self.state.registry.observe(&target.id, |observed| match outcome {
			Dispatched::Success => {
				observed.success(latency.as_secs_f64() * 1_000.0, request.tokens_out)
			},
			Dispatched::Failure => observed.failure(timed_out),
			Dispatched::ClientError => {},
		});
		self.state.registry.update(
			&self.model.name,
			&target.id,
			&Outcome {
				success,
				latency_ms: latency.as_secs_f64() * 1_000.0,
				rtt_ms: None,
				compute_ms: None,
				tokens_in: request.tokens_in,
				tokens_out: request.tokens_out,
				context: request.context,
			},
		);
	}

	/// Adds a verified receipt to the key's spending; for a worker whose risk asks for more
	/// verification, checks in the background that it produces the transcript its receipt
	/// commits to.
	pub(super) fn charge(&self, target: &Target, receipt: &SignedReceipt) {
		self.state.charge(&self.key_hash, &self.key, receipt.receipt.price);
		if self.state.registry.level(&self.model.name, &target.id) >= Level::MoreVerification {
			let state = self.state.clone();
			let (target, receipt) = (target.clone(), receipt.receipt.clone());
			tokio::spawn(async move { audit_transcript(&state, &target, &receipt).await });
		}
	}

	/// Sends the request to `target` and judges its answer.
	async fn attempt(&self, target: &Target, request: &ail2_router::Request) -> Attempt {
		let started = Instant::now();
		let (authorisation, signature) = self.authorise(target);
		let mut sending = self
			.state
			.http
			.post(format!("{}{}", target.url, self.endpoint.path()))
			.header(header::CONTENT_TYPE, "application/json");
		for (name, value) in auth::headers(&authorisation, &signature) {
			sending = sending.header(name, value);
		}
		let sent = sending
			.timeout(self.state.settings.request_timeout)
			.body(self.body.clone())
			.send()
			.await;
		let failed = |reason: Failure, refusal: Option<Response>| {
			self.record(target, Dispatched::Failure, started, request);
			Attempt::Failed { reason, refusal }
		};
		let response = match sent {
			Ok(response) => response,
			Err(e) => {
				self.state.registry.mark_offline(&self.model.name, &target.id);
				if e.is_timeout() {
					self.record_failure(target, Dispatched::Failure, true, started, request);
					return Attempt::Failed { reason: Failure::Unreachable(e), refusal: None };
				}
				return failed(Failure::Unreachable(e), None);
			},
		};
		let status = response.status();
		if !status.is_success() {
			let code = status.as_u16();
			let body = response.bytes().await.unwrap_or_default();
			let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY);
			let relayed = json_response(status, body);
			return match code {
				// The worker refused the authorisation: another may not.
				401 | 403 => failed(Failure::RefusedAuthorisation(code), Some(relayed)),
				// Busy, failing, or a counter clash: another worker can serve it.
				409 | 429 | 500..=599 => failed(Failure::Status(code), None),
				// The request itself is wrong (too long a prompt, price cap): same anywhere.
				_ => {
					self.record(target, Dispatched::ClientError, started, request);
					Attempt::Answered(relayed)
				},
			};
		}
		if self.stream {
			let relay = self.relay(target, authorisation, signature, started, request.clone());
			return Attempt::Answered(relay.start(response));
		}
		let body = match response.bytes().await {
			Ok(body) => body,
			Err(e) => return failed(Failure::CutShort(e), None),
		};
		let answer: Value = match serde_json::from_slice(&body) {
			Ok(value) => value,
			Err(e) => return failed(Failure::NotJson(e), None),
		};
		let usage = Usage::in_answer(&answer);
		match verify_receipt(answer.get("receipt"), &authorisation, &signature, &self.model, usage)
		{
			Ok(receipt) => {
				self.charge(target, &receipt);
				self.record(target, Dispatched::Success, started, request);
				Attempt::Answered(with_worker(json_response(StatusCode::OK, body), target))
			},
			Err(reason) => failed(Failure::BadReceipt(reason), None),
		}
	}
}

/// A worker's JSON body, passed on with `status`.
fn json_response(status: StatusCode, body: Bytes) -> Response {
	(status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// `response` with the header naming the worker that answered.
pub(super) fn with_worker(mut response: Response, target: &Target) -> Response {
	if let Ok(value) = HeaderValue::from_str(&worker_label(&target.id)) {
		response.headers_mut().insert(WORKER_HEADER, value);
	}
	response
}

/// Fetches, as the payer, the transcript behind `receipt` from the worker that signed it and
/// checks it against the receipt's commitment (everything a verifier checks before the
/// replay); the result counts in the worker's risk.
async fn audit_transcript(
	state: &GatewayState,
	target: &Target,
	receipt: &ail2_primitives::receipt::Receipt,
) {
	let fetched = crate::poi::fetch_transcript(
		&state.http,
		&target.url,
		receipt,
		&state.signer,
		state.settings.authorisation_ttl.as_millis() as u64,
	)
	.await;
	let passed = match fetched {
		Ok(fetched) => match crate::poi::check_commitment(receipt, fetched.transcript.as_ref()) {
			Ok(_) => true,
			Err(failure) => {
				tracing::warn!(worker = %worker_label(&target.id), %failure, counter = receipt.counter, "transcript check failed");
				false
			},
		},
		// The worker refused or could not be reached: it did not produce the transcript.
		Err(error) => {
			tracing::warn!(worker = %worker_label(&target.id), %error, counter = receipt.counter, "transcript not produced");
			false
		},
	};
	state
		.metrics
		.transcript_audits
		.get_or_create(&crate::gateway::metrics::AuditLabels {
			worker: worker_label(&target.id),
			passed: passed.to_string(),
		})
		.inc();
	state.registry.observe(&target.id, |observed| observed.audit(passed));
}
