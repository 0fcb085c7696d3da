//! `ail2-worker gateway`: the OpenAI-compatible front door of the worker network.
//!
//! A client sends `Authorization: Bearer <API key>`; the key names the payer, its rate limit
//! and the most one request may cost. The gateway picks a worker serving the requested model
//! with the router (whitepaper chapter 5), signs the payer's authorisation for that worker
//! with the gateway key the payer registered on chain, forwards the request, and checks the
//! worker's receipt (signatures, terms, price by the model's billing function) before
//! returning the answer. A worker that fails or times out before answering is replaced by
//! another, once.

pub mod config;
pub mod metrics;
pub mod ratelimit;
pub mod registry;

use std::{
	collections::HashMap,
	convert::Infallible,
	sync::{Arc, Mutex},
	time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use ail2_chain::RegisteredModel;
use ail2_primitives::{
	billing::{receipt_price, Usage},
	receipt::{signing::Keypair, AccountBytes, Authorisation, Signature, SignedReceipt},
	Balance,
};
use ail2_router::{Outcome, Selection, WorkerId};
use axum::{
	body::Bytes,
	extract::State,
	http::{header, HeaderMap, HeaderValue, StatusCode},
	response::{
		sse::{Event, Sse},
		IntoResponse, Response,
	},
	routing::{get, post},
	Json, Router,
};
use codec::{Decode, Encode};
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::serve::{
	auth::{AUTHORISATION_HEADER, SIGNATURE_HEADER},
	openai::{ApiError, ChatRequest, CompletionRequest, ModelCard, ModelList},
};
use config::{ApiKey, ApiKeys};
use metrics::{GatewayMetrics, KeyLabels, OutcomeLabels, RequestLabels, WorkerLabels};
use ratelimit::TokenBucket;
use registry::{Registry, Target};

/// The response header naming the worker (hot key) that answered.
pub const WORKER_HEADER: &str = "x-ail2-worker";

#[derive(Clone, Copy, Debug)]
pub struct Settings {
	/// How long a worker may take to answer (to finish, for a non-streaming request).
	pub request_timeout: Duration,
	/// How long an authorisation stays valid after it is signed.
	pub authorisation_ttl: Duration,
	/// Output tokens assumed for routing when a request does not say.
	pub default_max_tokens: u32,
	pub max_body_bytes: usize,
}

impl Default for Settings {
	fn default() -> Self {
		Self {
			request_timeout: Duration::from_secs(120),
			authorisation_ttl: Duration::from_secs(180),
			default_max_tokens: 128,
			max_body_bytes: 1 << 20,
		}
	}
}

/// What one key has spent through this gateway since it started.
#[derive(Clone, Copy, Debug, Default)]
struct Spending {
	requests: u64,
	spent: Balance,
}

pub struct GatewayState {
	pub keys: ApiKeys,
	pub registry: Arc<Registry>,
	/// The gateway key: payers register its public half on chain.
	pub signer: Keypair,
	pub chain_id: u32,
	pub http: reqwest::Client,
	pub metrics: Arc<GatewayMetrics>,
	pub settings: Settings,
	buckets: Mutex<HashMap<[u8; 32], TokenBucket>>,
	/// The last counter given to each (worker, payer) stream.
	counters: Mutex<HashMap<(WorkerId, AccountBytes), u64>>,
	spending: Mutex<HashMap<[u8; 32], Spending>>,
	started: Instant,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
	mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn unix_micros() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros() as u64)
}

fn worker_label(id: &WorkerId) -> String {
	format!("0x{}", hex::encode(id.0))
}

impl GatewayState {
	pub fn new(
		keys: ApiKeys,
		registry: Arc<Registry>,
		signer: Keypair,
		chain_id: u32,
		http: reqwest::Client,
		settings: Settings,
	) -> Self {
		Self {
			keys,
			registry,
			signer,
			chain_id,
			http,
			metrics: Arc::new(GatewayMetrics::new()),
			settings,
			buckets: Mutex::new(HashMap::new()),
			counters: Mutex::new(HashMap::new()),
			spending: Mutex::new(HashMap::new()),
			started: Instant::now(),
		}
	}

	/// The next counter of (worker, payer): above every earlier one, and above the clock in
	/// microseconds, so a restarted gateway never reuses a counter without storing any.
	fn next_counter(&self, worker: WorkerId, payer: AccountBytes) -> u64 {
		let mut counters = lock(&self.counters);
		let last = counters.entry((worker, payer)).or_insert(0);
		*last = last.saturating_add(1).max(unix_micros());
		*last
	}

	fn now_ms(&self) -> f64 {
		self.started.elapsed().as_secs_f64() * 1_000.0
	}
}

pub fn router(state: Arc<GatewayState>) -> Router {
	let max_body = state.settings.max_body_bytes;
	Router::new()
		.route("/health", get(health))
		.route("/metrics", get(metrics_text))
		.route("/v1/models", get(models))
		.route("/v1/completions", post(completions))
		.route("/v1/chat/completions", post(chat_completions))
		.route("/v1/ail2/usage", get(usage))
		.layer(axum::extract::DefaultBodyLimit::max(max_body))
		.with_state(state)
}

async fn health(State(state): State<Arc<GatewayState>>) -> Json<Value> {
	let models: Vec<Value> = state
		.registry
		.models()
		.into_iter()
		.map(|view| json!({ "model": view.model.name, "workers": view.available }))
		.collect();
	Json(json!({
		"status": "ok",
		"chain_id": state.chain_id,
		"gateway_key": format!("0x{}", hex::encode(state.signer.public())),
		"models": models,
	}))
}

async fn metrics_text(State(state): State<Arc<GatewayState>>) -> impl IntoResponse {
	(
		[(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")],
		state.metrics.render(),
	)
}

async fn models(State(state): State<Arc<GatewayState>>, headers: HeaderMap) -> Response {
	if let Err(error) = authenticate(&state, &headers) {
		return error.into_response();
	}
	let data = state
		.registry
		.models()
		.into_iter()
		.filter(|view| view.available > 0)
		.map(|view| ModelCard {
			owned_by: format!(
				"ail2 model {} v{}.{}.{}",
				view.model.id,
				view.model.version.major,
				view.model.version.minor,
				view.model.version.patch
			),
			id: view.model.name,
			object: "model",
			created: 0,
		})
		.collect();
	Json(ModelList { object: "list", data }).into_response()
}

/// The caller's spending through this gateway since it started.
async fn usage(State(state): State<Arc<GatewayState>>, headers: HeaderMap) -> Response {
	let (hash, key) = match authenticate(&state, &headers) {
		Ok(found) => found,
		Err(error) => return error.into_response(),
	};
	let spending = lock(&state.spending).get(&hash).copied().unwrap_or_default();
	Json(json!({
		"key": key.name,
		"payer": format!("0x{}", hex::encode(key.payer)),
		"max_price": key.max_price.to_string(),
		"requests": spending.requests,
		"spent": spending.spent.to_string(),
	}))
	.into_response()
}

/// The configured key the bearer token names.
fn authenticate(
	state: &GatewayState,
	headers: &HeaderMap,
) -> Result<([u8; 32], Arc<ApiKey>), ApiError> {
	let unauthorised = |message: &str| {
		ApiError::new(StatusCode::UNAUTHORIZED, "invalid_api_key", message.to_owned())
	};
	let value = headers
		.get(header::AUTHORIZATION)
		.ok_or_else(|| unauthorised("send your API key as `Authorization: Bearer <key>`"))?;
	let token = value
		.to_str()
		.ok()
		.and_then(|text| text.strip_prefix("Bearer "))
		.map(str::trim)
		.ok_or_else(|| unauthorised("the Authorization header must be `Bearer <key>`"))?;
	state
		.keys
		.find(token)
		.map(|(hash, key)| (*hash, key.clone()))
		.ok_or_else(|| unauthorised("unknown API key"))
}

fn rate_limit(state: &GatewayState, hash: &[u8; 32], key: &ApiKey) -> Result<(), ApiError> {
	let now = Instant::now();
	let mut buckets = lock(&state.buckets);
	let bucket = buckets
		.entry(*hash)
		.or_insert_with(|| TokenBucket::new(key.requests_per_minute, key.burst, now));
	bucket.try_take(now).map_err(|wait| {
		state.metrics.rate_limited.get_or_create(&KeyLabels { key: key.name.clone() }).inc();
		ApiError::new(
			StatusCode::TOO_MANY_REQUESTS,
			"rate_limit_exceeded",
			format!(
				"key `{}` allows {} requests per minute; retry in {} ms",
				key.name,
				key.requests_per_minute,
				wait.as_millis().max(1)
			),
		)
	})
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Endpoint {
	Completions,
	Chat,
}

impl Endpoint {
	fn path(self) -> &'static str {
		match self {
			Self::Completions => "/v1/completions",
			Self::Chat => "/v1/chat/completions",
		}
	}

	fn name(self) -> &'static str {
		match self {
			Self::Completions => "completions",
			Self::Chat => "chat.completions",
		}
	}
}

async fn completions(
	State(state): State<Arc<GatewayState>>,
	headers: HeaderMap,
	body: Bytes,
) -> Response {
	handle(state, Endpoint::Completions, headers, body).await
}

async fn chat_completions(
	State(state): State<Arc<GatewayState>>,
	headers: HeaderMap,
	body: Bytes,
) -> Response {
	handle(state, Endpoint::Chat, headers, body).await
}

/// What routing needs from a request body (which is forwarded unchanged).
struct Parsed {
	model: String,
	stream: bool,
	max_tokens: Option<u32>,
}

fn parse(endpoint: Endpoint, body: &[u8]) -> Result<Parsed, ApiError> {
	let invalid = |e: serde_json::Error| {
		ApiError::bad_request("invalid_json", format!("the request body is not valid: {e}"))
	};
	let options = match endpoint {
		Endpoint::Completions => {
			serde_json::from_slice::<CompletionRequest>(body).map_err(invalid)?.options
		},
		Endpoint::Chat => {
			let request = serde_json::from_slice::<ChatRequest>(body).map_err(invalid)?;
			if request.messages.is_empty() {
				return Err(ApiError::bad_request(
					"invalid_messages",
					"messages must not be empty",
				));
			}
			request.options
		},
	};
	Ok(Parsed { model: options.model, stream: options.stream, max_tokens: options.max_tokens })
}

async fn handle(
	state: Arc<GatewayState>,
	endpoint: Endpoint,
	headers: HeaderMap,
	body: Bytes,
) -> Response {
	let response =
		route(&state, endpoint, &headers, body).await.unwrap_or_else(|e| e.into_response());
	state
		.metrics
		.requests
		.get_or_create(&RequestLabels {
			endpoint: endpoint.name().into(),
			status: response.status().as_u16(),
		})
		.inc();
	response
}

async fn route(
	state: &Arc<GatewayState>,
	endpoint: Endpoint,
	headers: &HeaderMap,
	body: Bytes,
) -> Result<Response, ApiError> {
	let (hash, key) = authenticate(state, headers)?;
	rate_limit(state, &hash, &key)?;
	let parsed = parse(endpoint, &body)?;
	let view = state.registry.model(&parsed.model).ok_or_else(|| {
		ApiError::new(
			StatusCode::NOT_FOUND,
			"model_not_found",
			format!("no active model named `{}` on this chain", parsed.model),
		)
	})?;
	let model = view.model;
	let cheapest =
		receipt_price(&model.pricing.policy, &Usage { tokens_in: 0, tokens_out: 1, gpu_ms: 0 });
	if cheapest > key.max_price {
		return Err(ApiError::new(
			StatusCode::PAYMENT_REQUIRED,
			"price_above_key_cap",
			format!(
				"the cheapest `{}` request costs {cheapest}; key `{}` allows at most {} per request",
				model.name, key.name, key.max_price
			),
		));
	}
	// About four bytes of JSON per prompt token: enough for the latency model.
	let tokens_in = u32::try_from(body.len() / 4).unwrap_or(u32::MAX);
	let tokens_out = parsed.max_tokens.unwrap_or(state.settings.default_max_tokens);
	let request =
		Registry::route_request(&model, tokens_in, tokens_out, Some(key.max_price as f64));
	let call = Call {
		state: state.clone(),
		endpoint,
		model,
		key: key.clone(),
		key_hash: hash,
		body,
		stream: parsed.stream,
	};

	let mut previous: Option<Selection> = None;
	let mut last_refusal: Option<Response> = None;
	let mut reasons = Vec::new();
	for attempt in 0..2 {
		let now = state.now_ms();
		let Some((selection, target)) =
			state.registry.select(&call.model.name, &request, previous.as_ref(), now)
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
				reasons.push(reason);
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

/// One client request on its way to workers.
#[derive(Clone)]
struct Call {
	state: Arc<GatewayState>,
	endpoint: Endpoint,
	model: RegisteredModel,
	key: Arc<ApiKey>,
	key_hash: [u8; 32],
	body: Bytes,
	stream: bool,
}

enum Attempt {
	/// The worker answered: the answer (or the worker's own refusal of the request).
	Answered(Response),
	/// Try another worker. `refusal` keeps the worker's response when it refused the
	/// authorisation, to show the client if no worker accepts it.
	Failed { reason: String, refusal: Option<Response> },
}

impl Call {
	fn authorise(&self, target: &Target) -> (Authorisation, Signature) {
		let state = &self.state;
		let expires = SystemTime::now()
			.checked_add(state.settings.authorisation_ttl)
			.and_then(|t| t.duration_since(UNIX_EPOCH).ok())
			.map_or(u64::MAX, |d| d.as_millis() as u64);
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
			expires_at_ms: expires,
		};
		let signature = state.signer.sign(&authorisation.message());
		(authorisation, signature)
	}

	fn record(
		&self,
		target: &Target,
		outcome: &str,
		success: bool,
		latency: Duration,
		request: &ail2_router::Request,
	) {
		let metrics = &self.state.metrics;
		let labels =
			WorkerLabels { model: self.model.name.clone(), worker: worker_label(&target.id) };
		metrics
			.outcomes
			.get_or_create(&OutcomeLabels {
				model: labels.model.clone(),
				worker: labels.worker.clone(),
				outcome: outcome.into(),
			})
			.inc();
		if success {
			metrics.latency_seconds.get_or_create(&labels).observe(latency.as_secs_f64());
		}
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

	fn charge(&self, receipt: &SignedReceipt) {
		let mut spending = lock(&self.state.spending);
		let entry = spending.entry(self.key_hash).or_default();
		entry.requests = entry.requests.saturating_add(1);
		entry.spent = entry.spent.saturating_add(receipt.receipt.price);
		self.state
			.metrics
			.spent
			.get_or_create(&KeyLabels { key: self.key.name.clone() })
			.inc_by(u64::try_from(receipt.receipt.price).unwrap_or(u64::MAX));
	}

	async fn attempt(&self, target: &Target, request: &ail2_router::Request) -> Attempt {
		let started = Instant::now();
		let (authorisation, signature) = self.authorise(target);
		let sent = self
			.state
			.http
			.post(format!("{}{}", target.url, self.endpoint.path()))
			.header(header::CONTENT_TYPE, "application/json")
			.header(AUTHORISATION_HEADER, format!("0x{}", hex::encode(authorisation.encode())))
			.header(SIGNATURE_HEADER, format!("0x{}", hex::encode(signature)))
			.timeout(self.state.settings.request_timeout)
			.body(self.body.clone())
			.send()
			.await;
		let failed = |reason: String, refusal: Option<Response>| {
			self.record(target, "failure", false, started.elapsed(), request);
			Attempt::Failed { reason, refusal }
		};
		let response = match sent {
			Ok(response) => response,
			Err(e) => {
				self.state.registry.mark_offline(&self.model.name, &target.id);
				return failed(format!("unreachable: {e}"), None);
			},
		};
		let status = response.status();
		if !status.is_success() {
			let code = status.as_u16();
			let body = response.bytes().await.unwrap_or_default();
			let relayed = relay(code, body.clone());
			return match code {
				// The worker refused the authorisation: another may not.
				401 | 403 => failed(format!("refused the authorisation ({code})"), Some(relayed)),
				// Busy, failing, or a counter clash: another worker can serve it.
				409 | 429 | 500..=599 => failed(format!("answered {code}"), None),
				// The request itself is wrong (too long a prompt, price cap): same anywhere.
				_ => {
					self.record(target, "client_error", true, started.elapsed(), request);
					Attempt::Answered(relayed)
				},
			};
		}
		if self.stream {
			return Attempt::Answered(self.relay_stream(
				target,
				response,
				authorisation,
				signature,
				started,
				request.clone(),
			));
		}
		let body = match response.bytes().await {
			Ok(body) => body,
			Err(e) => return failed(format!("answer cut short: {e}"), None),
		};
		let parsed: Value = match serde_json::from_slice(&body) {
			Ok(value) => value,
			Err(e) => return failed(format!("answer is not JSON: {e}"), None),
		};
		let usage = answer_usage(&parsed);
		match verify_receipt(parsed.get("receipt"), &authorisation, &signature, &self.model, usage)
		{
			Ok(receipt) => {
				self.charge(&receipt);
				self.record(target, "success", true, started.elapsed(), request);
				let mut response =
					(StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body)
						.into_response();
				if let Ok(value) = HeaderValue::from_str(&worker_label(&target.id)) {
					response.headers_mut().insert(WORKER_HEADER, value);
				}
				Attempt::Answered(response)
			},
			Err(reason) => failed(format!("bad receipt: {reason}"), None),
		}
	}

	/// Passes the worker's events on as they come; the event carrying the receipt is checked
	/// first and replaced by an error event if the receipt is not payable as authorised.
	fn relay_stream(
		&self,
		target: &Target,
		response: reqwest::Response,
		authorisation: Authorisation,
		signature: Signature,
		started: Instant,
		request: ail2_router::Request,
	) -> Response {
		let (events, events_out) = mpsc::channel::<Result<Event, Infallible>>(64);
		let call = Call { body: Bytes::new(), ..self.clone() };
		let worker = target.clone();
		tokio::spawn(async move {
			let target = worker;
			let mut bytes = response.bytes_stream();
			let mut buffer: Vec<u8> = Vec::new();
			let mut verified = false;
			let mut problem: Option<String> = None;
			'read: while let Some(chunk) = bytes.next().await {
				let chunk = match chunk {
					Ok(chunk) => chunk,
					Err(e) => {
						problem = Some(format!("the worker's stream broke: {e}"));
						break;
					},
				};
				buffer.extend_from_slice(&chunk);
				while let Some(end) = find_event_end(&buffer) {
					let raw: Vec<u8> = buffer.drain(..end.0 + end.1).collect();
					let Some(data) = event_data(&raw[..end.0]) else { continue };
					let data = if data != "[DONE]" {
						match serde_json::from_str::<Value>(&data) {
							Ok(value) if value.get("receipt").is_some() => {
								let usage = answer_usage(&value);
								match verify_receipt(
									value.get("receipt"),
									&authorisation,
									&signature,
									&call.model,
									usage,
								) {
									Ok(receipt) => {
										call.charge(&receipt);
										verified = true;
										data
									},
									Err(reason) => {
										problem = Some(format!("bad receipt: {reason}"));
										stream_error(&format!(
											"the worker's receipt was rejected: {reason}"
										))
									},
								}
							},
							_ => data,
						}
					} else {
						data
					};
					if events.send(Ok(Event::default().data(data))).await.is_err() {
						problem = Some("the client went away".into());
						break 'read;
					}
				}
			}
			if !verified && problem.is_none() {
				problem = Some("the stream ended without a receipt".into());
			}
			match problem {
				None => call.record(&target, "success", true, started.elapsed(), &request),
				Some(reason) => {
					tracing::warn!(worker = %worker_label(&target.id), %reason, "stream failed");
					call.record(&target, "failure", false, started.elapsed(), &request);
					if !verified {
						let _ = events.send(Ok(Event::default().data(stream_error(&reason)))).await;
					}
				},
			}
		});
		let mut response = Sse::new(ReceiverStream::new(events_out)).into_response();
		if let Ok(value) = HeaderValue::from_str(&worker_label(&target.id)) {
			response.headers_mut().insert(WORKER_HEADER, value);
		}
		response
	}
}

/// `(prompt_tokens, completion_tokens)` of an answer's (or final chunk's) `usage`.
fn answer_usage(answer: &Value) -> Option<(u32, u32)> {
	let usage = answer.get("usage")?;
	Some((
		u32::try_from(usage.get("prompt_tokens")?.as_u64()?).ok()?,
		u32::try_from(usage.get("completion_tokens")?.as_u64()?).ok()?,
	))
}

fn stream_error(message: &str) -> String {
	json!({ "error": { "message": message, "type": "server_error", "code": "upstream_failed" } })
		.to_string()
}

/// The end of the first complete server-sent event in `buffer`: (its length, the blank
/// line's length).
fn find_event_end(buffer: &[u8]) -> Option<(usize, usize)> {
	let lf = buffer.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2));
	let crlf = buffer.windows(4).position(|w| w == b"\r\n\r\n").map(|i| (i, 4));
	match (lf, crlf) {
		(Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
		(a, b) => a.or(b),
	}
}

/// The `data:` lines of one event, joined by newlines.
fn event_data(event: &[u8]) -> Option<String> {
	let text = std::str::from_utf8(event).ok()?;
	let lines: Vec<&str> = text
		.lines()
		.filter_map(|line| line.strip_prefix("data:"))
		.map(|data| data.strip_prefix(' ').unwrap_or(data))
		.collect();
	(!lines.is_empty()).then(|| lines.join("\n"))
}

fn relay(status: u16, body: Bytes) -> Response {
	let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
	(status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Checks a worker's receipt (`{"scale": "0x…", …}`) against what the gateway authorised:
/// the terms it repeats, both signatures, the model's policy hash, and its price recomputed
/// from its usage by the model's billing function (and that usage against the answer's).
pub fn verify_receipt(
	receipt: Option<&Value>,
	authorisation: &Authorisation,
	gateway_signature: &Signature,
	model: &RegisteredModel,
	answer_usage: Option<(u32, u32)>,
) -> Result<SignedReceipt, String> {
	let scale = receipt
		.and_then(|r| r.get("scale"))
		.and_then(Value::as_str)
		.ok_or("the answer carries no receipt")?;
	let bytes =
		hex::decode(scale.trim_start_matches("0x")).map_err(|_| "the receipt is not hex")?;
	let signed =
		SignedReceipt::decode(&mut bytes.as_slice()).map_err(|_| "the receipt does not decode")?;
	let receipt = &signed.receipt;
	if receipt.authorisation() != *authorisation {
		return Err("it does not repeat the authorised terms".into());
	}
	if signed.gateway_signature != *gateway_signature {
		return Err("it does not carry this gateway's signature".into());
	}
	if !signed.node_signature_valid() {
		return Err("the worker's signature is invalid".into());
	}
	if receipt.policy_hash != model.pricing.policy_hash {
		return Err("it quotes another pricing policy".into());
	}
	let usage = Usage {
		tokens_in: receipt.tokens_in,
		tokens_out: receipt.tokens_out,
		gpu_ms: receipt.gpu_ms,
	};
	let price = receipt_price(&model.pricing.policy, &usage);
	if receipt.price != price {
		return Err(format!("price {} differs from the model's {price}", receipt.price));
	}
	if !receipt.within_authorised_terms() {
		return Err("it exceeds the authorised price or time".into());
	}
	if let Some((prompt, completion)) = answer_usage {
		if (prompt, completion) != (receipt.tokens_in, receipt.tokens_out) {
			return Err("its token counts differ from the answer's".into());
		}
	}
	Ok(signed)
}
