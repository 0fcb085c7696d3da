//! `ail2-worker serve`: the OpenAI-compatible HTTP API in front of one model.
//!
//! Every request must carry the payer gateway's authorisation (see [`auth`]). A completed
//! request yields a receipt signed with the worker's receipt key; it is committed to the
//! store before the response (or the stream's last event) carries it back.

pub mod auth;
pub mod metrics;
pub mod openai;

use std::{
	convert::Infallible,
	sync::{
		atomic::{AtomicUsize, Ordering},
		Arc,
	},
	time::{Instant, SystemTime, UNIX_EPOCH},
};

use ail2_model::{
	ChatMessage, FinishReason, Generation, GenerationRequest, SamplingParams, TextModel,
};
use ail2_primitives::{
	billing::{receipt_price, PricingPolicy, Usage},
	receipt::{signing::Keypair, Authorisation, Receipt, SemVer, Signature, SignedReceipt},
	Hash, ModelId,
};
use axum::{
	body::Bytes,
	extract::{Path, State},
	http::{HeaderMap, StatusCode},
	response::{
		sse::{Event, Sse},
		IntoResponse, Response,
	},
	routing::{get, post},
	Json, Router,
};
use codec::Encode;
use serde_json::json;
use tokio::sync::{mpsc, Semaphore};
use tokio_stream::wrappers::ReceiverStream;

use crate::store::{ReceiptLog, Reservation, Store, StoreError};
use auth::GatewayKeys;
use metrics::Metrics;
use openai::{ApiError, ChatRequest, CompletionRequest, Prompt, ReceiptOut};

/// What the worker serves and on which terms.
pub struct ServedModel {
	pub model: TextModel,
	/// The name clients use in `model` (the on-chain model name).
	pub name: String,
	pub model_id: ModelId,
	pub version: SemVer,
	pub project_id: u32,
	pub policy: PricingPolicy,
	pub policy_hash: Hash,
	pub chain_id: u32,
}

#[derive(Clone, Copy, Debug)]
pub struct Limits {
	/// Requests generating at once (each holds a blocking thread).
	pub concurrency: usize,
	/// Requests allowed to wait for a slot; more are answered 429.
	pub queue: usize,
	pub max_prompt_tokens: usize,
	pub default_max_tokens: u32,
	pub max_body_bytes: usize,
}

impl Default for Limits {
	fn default() -> Self {
		Self {
			concurrency: 2,
			queue: 32,
			max_prompt_tokens: 4096,
			default_max_tokens: 128,
			max_body_bytes: 1 << 20,
		}
	}
}

pub struct AppState<G> {
	pub served: Arc<ServedModel>,
	pub receipt_key: Keypair,
	pub gateway_keys: G,
	pub store: Arc<Store>,
	pub log: ReceiptLog,
	pub metrics: Arc<Metrics>,
	pub limits: Limits,
	slots: Arc<Semaphore>,
	/// Requests running or waiting for a slot.
	admitted: Arc<AtomicUsize>,
}

impl<G: GatewayKeys> AppState<G> {
	pub fn new(
		served: Arc<ServedModel>,
		receipt_key: Keypair,
		gateway_keys: G,
		store: Arc<Store>,
		log: ReceiptLog,
		metrics: Arc<Metrics>,
		limits: Limits,
	) -> Self {
		Self {
			served,
			receipt_key,
			gateway_keys,
			store,
			log,
			metrics,
			limits,
			slots: Arc::new(Semaphore::new(limits.concurrency.max(1))),
			admitted: Arc::new(AtomicUsize::new(0)),
		}
	}
}

pub fn router<G: GatewayKeys>(state: Arc<AppState<G>>) -> Router {
	let max_body = state.limits.max_body_bytes;
	Router::new()
		.route("/health", get(health::<G>))
		.route("/metrics", get(metrics_text::<G>))
		.route("/v1/models", get(models::<G>))
		.route("/v1/completions", post(completions::<G>))
		.route("/v1/chat/completions", post(chat_completions::<G>))
		.route("/v1/batches/{id}", get(batch_info::<G>))
		.route("/v1/batches/{id}/leaves", get(batch_leaves::<G>))
		.route("/v1/batches/{id}/proof/{index}", get(batch_proof::<G>))
		.layer(axum::extract::DefaultBodyLimit::max(max_body))
		.with_state(state)
}

fn now_ms() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

async fn health<G: GatewayKeys>(State(state): State<Arc<AppState<G>>>) -> Json<serde_json::Value> {
	let served = &state.served;
	let running = state.limits.concurrency.saturating_sub(state.slots.available_permits());
	let admitted = state.admitted.load(Ordering::Relaxed);
	// What a gateway needs to route here and to address authorisations to this worker.
	Json(json!({
		"status": "ok",
		"model": served.name,
		"model_id": served.model_id,
		"version": format!("{}.{}.{}", served.version.major, served.version.minor, served.version.patch),
		"chain_id": served.chain_id,
		"receipt_key": format!("0x{}", hex::encode(state.receipt_key.public())),
		"backend": ail2_model::backend_name(),
		"running": running,
		"queued": admitted.saturating_sub(running),
		"admitted": admitted,
		"concurrency": state.limits.concurrency,
		"queue": state.limits.queue,
	}))
}

async fn metrics_text<G: GatewayKeys>(State(state): State<Arc<AppState<G>>>) -> impl IntoResponse {
	(
		[(
			axum::http::header::CONTENT_TYPE,
			"application/openmetrics-text; version=1.0.0; charset=utf-8",
		)],
		state.metrics.render(),
	)
}

async fn models<G: GatewayKeys>(State(state): State<Arc<AppState<G>>>) -> Json<openai::ModelList> {
	Json(openai::ModelList {
		object: "list",
		data: vec![openai::ModelCard {
			id: state.served.name.clone(),
			object: "model",
			created: 0,
			owned_by: format!("ail2 model {}", state.served.model_id),
		}],
	})
}

/// A request after parsing, whatever the endpoint.
struct Job {
	endpoint: &'static str,
	model: String,
	prompt: Vec<u32>,
	max_tokens: u32,
	sampling: SamplingParams,
	stop: Vec<String>,
	stream: bool,
	bytes_in: u64,
}

impl Job {
	fn new(
		endpoint: &'static str,
		options: openai::GenerationOptions,
		prompt: Vec<u32>,
		limits: &Limits,
		body_len: usize,
	) -> Self {
		Self {
			endpoint,
			model: options.model,
			prompt,
			max_tokens: options.max_tokens.unwrap_or(limits.default_max_tokens),
			sampling: SamplingParams {
				temperature: options.temperature.unwrap_or(1.0),
				top_p: options.top_p.unwrap_or(1.0),
				seed: options.seed,
			},
			stop: options.stop.map(openai::Stop::into_vec).unwrap_or_default(),
			stream: options.stream,
			bytes_in: body_len as u64,
		}
	}
}

async fn completions<G: GatewayKeys>(
	State(state): State<Arc<AppState<G>>>,
	headers: HeaderMap,
	body: Bytes,
) -> Response {
	let result = async {
		let request: CompletionRequest = parse_json(&body)?;
		let prompt = match request.prompt {
			Prompt::One(text) => text,
			Prompt::Many(mut list) if list.len() == 1 => list.remove(0),
			Prompt::Many(_) => {
				return Err(ApiError::bad_request(
					"unsupported_prompt",
					"send one prompt per request",
				))
			},
		};
		let tokens = state.served.model.encode(&prompt).map_err(internal)?;
		let job = Job::new("completions", request.options, tokens, &state.limits, body.len());
		serve(state.clone(), &headers, job).await
	}
	.await;
	finish(&state, "completions", result)
}

async fn chat_completions<G: GatewayKeys>(
	State(state): State<Arc<AppState<G>>>,
	headers: HeaderMap,
	body: Bytes,
) -> Response {
	let result = async {
		let request: ChatRequest = parse_json(&body)?;
		if request.messages.is_empty() {
			return Err(ApiError::bad_request("invalid_messages", "messages must not be empty"));
		}
		let messages: Vec<ChatMessage> = request.messages.iter().map(ChatMessage::from).collect();
		let prompt = state.served.model.chat_prompt(&messages).map_err(internal)?;
		let tokens = state.served.model.encode(&prompt).map_err(internal)?;
		let job = Job::new("chat.completions", request.options, tokens, &state.limits, body.len());
		serve(state.clone(), &headers, job).await
	}
	.await;
	finish(&state, "chat.completions", result)
}

fn finish<G>(state: &AppState<G>, endpoint: &str, result: Result<Response, ApiError>) -> Response {
	let response = result.unwrap_or_else(IntoResponse::into_response);
	state.metrics.record(endpoint, response.status().as_u16());
	response
}

fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
	serde_json::from_slice(body).map_err(|e| {
		ApiError::bad_request("invalid_json", format!("the request body is not valid: {e}"))
	})
}

fn internal(e: impl std::fmt::Display) -> ApiError {
	ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", e.to_string())
}

/// The checks that need no model work: the authorisation is for this worker, model and
/// chain, unexpired, signed by an active gateway key of the payer, with a fresh counter.
async fn authorise<G: GatewayKeys>(
	state: &AppState<G>,
	headers: &HeaderMap,
) -> Result<(Authorisation, Signature, Reservation), ApiError> {
	let (authorisation, signature, signer) = auth::parse(headers)?;
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
	if authorisation.expires_at_ms <= now_ms() {
		return Err(forbidden("authorisation_expired", "the authorisation has expired".into()));
	}
	let active = state
		.gateway_keys
		.is_active(authorisation.payer, signer)
		.await
		.map_err(|e| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "chain_unavailable", e))?;
	if !active {
		return Err(forbidden(
			"unknown_gateway_key",
			"the signing key is not an active gateway key of the payer".into(),
		));
	}
	let reservation = state.store.reserve(authorisation.payer, authorisation.counter);
	state
		.store
		.counter_available(&authorisation.payer, authorisation.counter)
		.map_err(counter_error)?;
	Ok((authorisation, signature, reservation))
}

fn counter_error(e: StoreError) -> ApiError {
	match e {
		StoreError::CounterUsed { .. } | StoreError::CounterBatched { .. } => {
			ApiError::new(StatusCode::CONFLICT, "counter_used", e.to_string())
		},
		other => internal(other),
	}
}

/// The largest completion length whose token price stays within the payer's cap.
fn affordable_tokens(policy: &PricingPolicy, prompt: u32, wanted: u32, cap: u128) -> u32 {
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

/// Authorises, queues, generates, signs and persists; answers in one body or as a stream.
async fn serve<G: GatewayKeys>(
	state: Arc<AppState<G>>,
	headers: &HeaderMap,
	job: Job,
) -> Result<Response, ApiError> {
	let served = state.served.clone();
	if job.model != served.name {
		return Err(ApiError::new(
			StatusCode::NOT_FOUND,
			"model_not_found",
			format!("this worker serves `{}`", served.name),
		));
	}
	if job.prompt.is_empty() {
		return Err(ApiError::bad_request("empty_prompt", "the prompt is empty"));
	}
	let context = served.model.config.max_position_embeddings;
	if job.prompt.len() > state.limits.max_prompt_tokens || job.prompt.len() >= context {
		return Err(ApiError::bad_request(
			"context_length_exceeded",
			format!(
				"the prompt has {} tokens; this worker takes at most {}",
				job.prompt.len(),
				state.limits.max_prompt_tokens.min(context.saturating_sub(1))
			),
		));
	}
	let (authorisation, gateway_signature, reservation) = authorise(&state, headers).await?;
	let prompt_tokens = job.prompt.len() as u32;
	let max_tokens =
		affordable_tokens(&served.policy, prompt_tokens, job.max_tokens, authorisation.max_price);
	if max_tokens == 0 {
		return Err(ApiError::new(
			StatusCode::PAYMENT_REQUIRED,
			"price_above_authorised_cap",
			"the authorised max_price does not cover one completion token",
		));
	}

	// Take a place among the running and waiting requests, or refuse when all are taken.
	let capacity = state.limits.concurrency.max(1).saturating_add(state.limits.queue);
	let admission = Admission::enter(state.admitted.clone());
	if admission.position >= capacity {
		return Err(ApiError::new(
			StatusCode::TOO_MANY_REQUESTS,
			"overloaded",
			"the worker is at capacity; retry later or elsewhere",
		));
	}
	state.metrics.queued.inc();
	let permit = state.slots.clone().acquire_owned().await;
	state.metrics.queued.dec();
	let permit = permit.map_err(internal)?;

	let request = GenerationRequest {
		prompt: job.prompt,
		max_tokens: max_tokens as usize,
		sampling: job.sampling,
		stop: job.stop,
	};
	let (pieces, pieces_out) = mpsc::channel::<String>(64);
	let streaming = job.stream;
	let worker_state = state.clone();
	let generation = tokio::task::spawn_blocking(move || {
		let _slot = (permit, admission);
		worker_state.metrics.running.inc();
		let started = Instant::now();
		let result = worker_state.served.model.generate(&request, |piece| {
			!streaming || pieces.blocking_send(piece.to_owned()).is_ok()
		});
		worker_state.metrics.running.dec();
		let elapsed = started.elapsed();
		worker_state.metrics.inference_seconds.observe(elapsed.as_secs_f64());
		result.map(|generation| (generation, elapsed.as_millis() as u64))
	});

	let id = format!("cmpl-{}", hex::encode(&authorisation.route_id[..12]));
	let billing = Billing {
		state: state.clone(),
		authorisation,
		gateway_signature,
		bytes_in: job.bytes_in,
		_reservation: reservation,
	};
	let endpoint = job.endpoint;
	if !streaming {
		let (generation, gpu_ms) = generation.await.map_err(internal)?.map_err(internal)?;
		let receipt = billing.bill(&generation, gpu_ms).await?;
		return Ok(
			Json(body_for(endpoint, &id, &served.name, &generation, &receipt)).into_response()
		);
	}

	// Streaming: pieces as they come, then the receipt (persisted first), then [DONE].
	let (events, events_out) = mpsc::channel::<Result<Event, Infallible>>(64);
	let name = served.name.clone();
	tokio::spawn(async move {
		let mut pieces_out = pieces_out;
		while let Some(piece) = pieces_out.recv().await {
			let chunk = chunk_for(endpoint, &id, &name, Some(&piece), None);
			if events.send(Ok(Event::default().data(chunk.to_string()))).await.is_err() {
				break;
			}
		}
		// A client that went away stops the generation: its next piece finds no reader.
		drop(pieces_out);
		let outcome = match generation.await {
			Ok(Ok((generation, gpu_ms))) => {
				billing.bill(&generation, gpu_ms).await.map(|r| (generation, r))
			},
			Ok(Err(e)) => Err(internal(e)),
			Err(e) => Err(internal(e)),
		};
		let last = match outcome {
			Ok((generation, receipt)) => {
				let mut chunk =
					chunk_for(endpoint, &id, &name, None, Some(generation.finish_reason));
				chunk["usage"] = json!(usage(&generation));
				chunk["receipt"] = json!(receipt);
				chunk
			},
			Err(error) => json!({ "error": { "message": error.message, "code": error.code } }),
		};
		let _ = events.send(Ok(Event::default().data(last.to_string()))).await;
		let _ = events.send(Ok(Event::default().data("[DONE]"))).await;
	});
	Ok(Sse::new(ReceiverStream::new(events_out)).into_response())
}

/// A place among admitted requests, given back when dropped.
struct Admission {
	counter: Arc<AtomicUsize>,
	/// How many were admitted before this one.
	position: usize,
}

impl Admission {
	fn enter(counter: Arc<AtomicUsize>) -> Self {
		let position = counter.fetch_add(1, Ordering::SeqCst);
		Self { counter, position }
	}
}

impl Drop for Admission {
	fn drop(&mut self) {
		self.counter.fetch_sub(1, Ordering::SeqCst);
	}
}

/// What a finished generation needs to become a persisted receipt.
struct Billing<G> {
	state: Arc<AppState<G>>,
	authorisation: Authorisation,
	gateway_signature: Signature,
	bytes_in: u64,
	/// Keeps batches from closing past this request's counter until it is persisted.
	_reservation: Reservation,
}

impl<G: GatewayKeys> Billing<G> {
	async fn bill(self, generation: &Generation, gpu_ms: u64) -> Result<ReceiptOut, ApiError> {
		let served = &self.state.served;
		let a = &self.authorisation;
		let usage = Usage {
			tokens_in: generation.prompt_tokens as u32,
			tokens_out: generation.tokens.len() as u32,
			gpu_ms,
		};
		let receipt = Receipt {
			project_id: a.project_id,
			model_id: a.model_id,
			version: a.version,
			timestamp_ms: now_ms(),
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
		self.state.log.persist(signed.clone()).await.map_err(counter_error)?;
		self.state.metrics.receipts.inc();
		self.state.metrics.tokens_generated.inc_by(u64::from(usage.tokens_out));
		Ok(receipt_out(&signed))
	}
}

pub fn receipt_out(signed: &SignedReceipt) -> ReceiptOut {
	ReceiptOut {
		scale: format!("0x{}", hex::encode(signed.encode())),
		id: format!("0x{}", hex::encode(signed.receipt.id())),
		counter: signed.receipt.counter,
		price: signed.receipt.price.to_string(),
	}
}

fn usage(generation: &Generation) -> openai::Usage {
	let prompt = generation.prompt_tokens as u32;
	let completion = generation.tokens.len() as u32;
	openai::Usage {
		prompt_tokens: prompt,
		completion_tokens: completion,
		total_tokens: prompt + completion,
	}
}

fn body_for(
	endpoint: &str,
	id: &str,
	model: &str,
	generation: &Generation,
	receipt: &ReceiptOut,
) -> serde_json::Value {
	let choice = if endpoint == "completions" {
		json!({ "index": 0, "text": generation.text, "finish_reason": generation.finish_reason, "logprobs": null })
	} else {
		json!({
			"index": 0,
			"message": { "role": "assistant", "content": generation.text },
			"finish_reason": generation.finish_reason,
		})
	};
	let object = if endpoint == "completions" { "text_completion" } else { "chat.completion" };
	json!({
		"id": id,
		"object": object,
		"created": now_ms() / 1000,
		"model": model,
		"choices": [choice],
		"usage": usage(generation),
		"receipt": receipt,
	})
}

fn chunk_for(
	endpoint: &str,
	id: &str,
	model: &str,
	piece: Option<&str>,
	finish: Option<FinishReason>,
) -> serde_json::Value {
	let choice = if endpoint == "completions" {
		json!({ "index": 0, "text": piece.unwrap_or_default(), "finish_reason": finish })
	} else {
		let delta = match piece {
			Some(text) => json!({ "role": "assistant", "content": text }),
			None => json!({}),
		};
		json!({ "index": 0, "delta": delta, "finish_reason": finish })
	};
	let object =
		if endpoint == "completions" { "text_completion" } else { "chat.completion.chunk" };
	json!({ "id": id, "object": object, "created": now_ms() / 1000, "model": model, "choices": [choice] })
}

async fn batch_info<G: GatewayKeys>(
	State(state): State<Arc<AppState<G>>>,
	Path(id): Path<u64>,
) -> Result<Json<serde_json::Value>, ApiError> {
	let record = state.store.batch(id).map_err(internal)?.ok_or_else(|| not_found(id))?;
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

fn not_found(id: u64) -> ApiError {
	ApiError::new(StatusCode::NOT_FOUND, "batch_not_found", format!("no batch {id}"))
}

/// The leaf file: SCALE of the batch's signed receipts in order (its keccak256 is the
/// batch's `content_hash`).
async fn batch_leaves<G: GatewayKeys>(
	State(state): State<Arc<AppState<G>>>,
	Path(id): Path<u64>,
) -> Result<Response, ApiError> {
	let record = state.store.batch(id).map_err(internal)?.ok_or_else(|| not_found(id))?;
	let receipts = state.store.batch_receipts(&record).map_err(internal)?;
	Ok(([(axum::http::header::CONTENT_TYPE, "application/octet-stream")], receipts.encode())
		.into_response())
}

/// One leaf with its inclusion proof, for challengers who want a single receipt.
async fn batch_proof<G: GatewayKeys>(
	State(state): State<Arc<AppState<G>>>,
	Path((id, index)): Path<(u64, u64)>,
) -> Result<Json<serde_json::Value>, ApiError> {
	let record = state.store.batch(id).map_err(internal)?.ok_or_else(|| not_found(id))?;
	let receipts = state.store.batch_receipts(&record).map_err(internal)?;
	let tree = ail2_primitives::merkle::MerkleSumTree::from_receipts(&receipts)
		.map_err(|e| internal(format!("{e:?}")))?;
	let proof = tree.proof(index).ok_or_else(|| {
		ApiError::new(
			StatusCode::NOT_FOUND,
			"leaf_not_found",
			format!("batch {id} has no leaf {index}"),
		)
	})?;
	let leaf = receipts.get(index as usize).ok_or_else(|| not_found(id))?;
	Ok(Json(json!({
		"receipt": receipt_out(leaf),
		"proof": format!("0x{}", hex::encode(proof.encode())),
		"leaves": tree.leaves(),
	})))
}
