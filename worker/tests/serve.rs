//! The worker's HTTP API on the tiny model: authorisation, errors, receipts, overload, and
//! what OpenAI clients send (content parts, checked values, unimplemented fields).
//! Gateway keys come from an in-memory set here; the end-to-end test reads them from a node.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod common;
mod openai_cases;

use std::{sync::Arc, time::Duration};

use ail2_model::{default_device, TextModel};

use ail2_primitives::{
	billing::{receipt_price, Usage},
	keccak256,
	receipt::{signing::Keypair, Authorisation, SignedReceipt},
};
use ail2_worker::{
	serve::{router, Limits},
	store::Store,
};
use axum::{
	body::Body,
	http::{Request, StatusCode},
	Router,
};
use codec::{Decode, Encode};
use common::{policy, worker_state, WorkerState, MODEL_ID, PAYER, VERSION};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

struct Harness {
	_dir: tempfile::TempDir,
	app: Router,
	store: Arc<Store>,
	worker: Keypair,
	gateway: Keypair,
}

fn harness(limits: Limits) -> Harness {
	let dir = tempfile::tempdir().unwrap();
	let WorkerState { state, store, worker, gateway, .. } = worker_state(dir.path(), limits);
	Harness { _dir: dir, app: router(Arc::new(state)), store, worker, gateway }
}

fn now_ms() -> u64 {
	std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

fn authorisation(h: &Harness, counter: u64) -> Authorisation {
	Authorisation {
		payer: PAYER,
		node_pubkey: h.worker.public(),
		project_id: 1,
		model_id: MODEL_ID,
		version: VERSION,
		chain_id: 42,
		route_id: keccak256(&counter.to_le_bytes()),
		counter,
		max_price: 1_000_000,
		expires_at_ms: now_ms() + 60_000,
	}
}

fn request(path: &str, body: &str, auth: Option<(&Authorisation, &Keypair)>) -> Request<Body> {
	let mut builder = Request::post(path).header("content-type", "application/json");
	if let Some((authorisation, key)) = auth {
		builder = builder
			.header("x-ail2-authorisation", hex::encode(authorisation.encode()))
			.header("x-ail2-gateway-signature", hex::encode(key.sign(&authorisation.message())));
	}
	builder.body(Body::from(body.to_owned())).unwrap()
}

async fn send(app: &Router, request: Request<Body>) -> (StatusCode, serde_json::Value) {
	let response = app.clone().oneshot(request).await.unwrap();
	let status = response.status();
	let bytes = response.into_body().collect().await.unwrap().to_bytes();
	(status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
}

const CHAT: &str = r#"{"model":"tiny","messages":[{"role":"user","content":"Hello!"}],"max_tokens":8,"temperature":0}"#;

#[tokio::test]
async fn a_paid_request_returns_a_persisted_receipt_priced_by_the_policy() {
	let h = harness(Limits::default());
	let auth = authorisation(&h, 1);
	let (status, body) =
		send(&h.app, request("/v1/chat/completions", CHAT, Some((&auth, &h.gateway)))).await;
	assert_eq!(status, StatusCode::OK, "{body}");
	assert_eq!(body["object"], "chat.completion");
	let usage = &body["usage"];
	let scale =
		hex::decode(body["receipt"]["scale"].as_str().unwrap().trim_start_matches("0x")).unwrap();
	let signed = SignedReceipt::decode(&mut scale.as_slice()).unwrap();

	assert!(signed.node_signature_valid());
	assert_eq!(signed.gateway_signer(), Some(h.gateway.public()));
	assert_eq!(signed.receipt.authorisation(), auth);
	assert_eq!(u64::from(signed.receipt.tokens_in), usage["prompt_tokens"].as_u64().unwrap());
	assert_eq!(u64::from(signed.receipt.tokens_out), usage["completion_tokens"].as_u64().unwrap());
	let expected = receipt_price(
		&policy(),
		&Usage {
			tokens_in: signed.receipt.tokens_in,
			tokens_out: signed.receipt.tokens_out,
			gpu_ms: signed.receipt.gpu_ms,
		},
	);
	assert_eq!(signed.receipt.price, expected);
	assert_eq!(body["receipt"]["price"], expected.to_string());

	// Persisted and waiting for a batch; the counter cannot be used again.
	let pending = h.store.pending().unwrap();
	assert_eq!(pending.len(), 1);
	assert_eq!(pending[0].count, 1);
	let (status, body) =
		send(&h.app, request("/v1/chat/completions", CHAT, Some((&auth, &h.gateway)))).await;
	assert_eq!(status, StatusCode::CONFLICT);
	assert_eq!(body["error"]["code"], "counter_used");
}

#[tokio::test]
async fn missing_or_forged_authorisation_is_refused() {
	let h = harness(Limits::default());
	let (status, body) = send(&h.app, request("/v1/chat/completions", CHAT, None)).await;
	assert_eq!(status, StatusCode::UNAUTHORIZED);
	assert_eq!(body["error"]["code"], "missing_authorisation");

	// Signed by a key the payer never registered.
	let stranger = Keypair::from_secret(&[0x33; 32]).unwrap();
	let auth = authorisation(&h, 1);
	let (status, body) =
		send(&h.app, request("/v1/chat/completions", CHAT, Some((&auth, &stranger)))).await;
	assert_eq!(status, StatusCode::FORBIDDEN);
	assert_eq!(body["error"]["code"], "unknown_gateway_key");

	// For another worker.
	let mut other = authorisation(&h, 1);
	other.node_pubkey = stranger.public();
	let (status, body) =
		send(&h.app, request("/v1/chat/completions", CHAT, Some((&other, &h.gateway)))).await;
	assert_eq!(status, StatusCode::FORBIDDEN);
	assert_eq!(body["error"]["code"], "wrong_worker");

	// Expired.
	let mut expired = authorisation(&h, 1);
	expired.expires_at_ms = now_ms() - 1;
	let (status, body) =
		send(&h.app, request("/v1/chat/completions", CHAT, Some((&expired, &h.gateway)))).await;
	assert_eq!(status, StatusCode::FORBIDDEN);
	assert_eq!(body["error"]["code"], "authorisation_expired");

	// The gateway's signature in its high-s form, (r, n − s, v ⊕ 1): it recovers the same key
	// through libsecp256k1, but anyone can write it, so it is refused.
	let auth = authorisation(&h, 2);
	let twin = ail2_primitives::receipt::high_s_twin(&h.gateway.sign(&auth.message()));
	let malleated = Request::post("/v1/chat/completions")
		.header("content-type", "application/json")
		.header("x-ail2-authorisation", hex::encode(auth.encode()))
		.header("x-ail2-gateway-signature", hex::encode(twin))
		.body(Body::from(CHAT))
		.unwrap();
	let (status, body) = send(&h.app, malleated).await;
	assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
	assert_eq!(body["error"]["code"], "invalid_signature");

	// Garbage headers.
	let bad = Request::post("/v1/chat/completions")
		.header("x-ail2-authorisation", "zz")
		.header("x-ail2-gateway-signature", "00")
		.body(Body::from(CHAT))
		.unwrap();
	let (status, body) = send(&h.app, bad).await;
	assert_eq!(status, StatusCode::UNAUTHORIZED);
	assert_eq!(body["error"]["code"], "invalid_authorisation");
	assert!(h.store.pending().unwrap().is_empty(), "nothing refused may leave a receipt");
}

#[tokio::test]
async fn malformed_oversize_and_unknown_model_requests_get_json_errors() {
	let h = harness(Limits { max_prompt_tokens: 32, ..Limits::default() });
	let auth = authorisation(&h, 1);
	let (status, body) = send(
		&h.app,
		request(
			"/v1/chat/completions",
			"{\"model\": \"tiny\", \"messages\": [",
			Some((&auth, &h.gateway)),
		),
	)
	.await;
	assert_eq!(status, StatusCode::BAD_REQUEST);
	assert_eq!(body["error"]["code"], "invalid_json");
	assert_eq!(body["error"]["type"], "invalid_request_error");

	let long = "word ".repeat(200);
	let oversize = format!(r#"{{"model":"tiny","prompt":"{long}","max_tokens":4}}"#);
	let (status, body) =
		send(&h.app, request("/v1/completions", &oversize, Some((&auth, &h.gateway)))).await;
	assert_eq!(status, StatusCode::BAD_REQUEST);
	assert_eq!(body["error"]["code"], "context_length_exceeded");

	let other_model = r#"{"model":"gpt-4","prompt":"hi","max_tokens":4}"#;
	let (status, body) =
		send(&h.app, request("/v1/completions", other_model, Some((&auth, &h.gateway)))).await;
	assert_eq!(status, StatusCode::NOT_FOUND);
	assert_eq!(body["error"]["code"], "model_not_found");
	assert!(h.store.pending().unwrap().is_empty());
}

#[tokio::test]
async fn the_price_cap_limits_the_completion_length() {
	let h = harness(Limits::default());
	let model = TextModel::load(&h._dir.path().join("model"), &default_device()).unwrap();
	let prompt = "The quick brown fox jumps";
	let prompt_tokens = model.encode(prompt).unwrap().len() as u128;
	// token_base 1000 + 100 per input token + 300 per output token: room for exactly 3.
	let mut auth = authorisation(&h, 1);
	auth.max_price = 1_000 + prompt_tokens * 100 + 3 * 300;
	let body = format!(r#"{{"model":"tiny","prompt":"{prompt}","max_tokens":50,"temperature":0}}"#);
	let (status, response) =
		send(&h.app, request("/v1/completions", &body, Some((&auth, &h.gateway)))).await;
	assert_eq!(status, StatusCode::OK, "{response}");
	assert_eq!(
		u128::from(response["usage"]["prompt_tokens"].as_u64().unwrap() as u32),
		prompt_tokens
	);
	assert!(response["usage"]["completion_tokens"].as_u64().unwrap() <= 3);
	let price: u128 = response["receipt"]["price"].as_str().unwrap().parse().unwrap();
	assert!(price <= auth.max_price);

	let mut broke = authorisation(&h, 2);
	broke.max_price = 10;
	let (status, response) =
		send(&h.app, request("/v1/completions", &body, Some((&broke, &h.gateway)))).await;
	assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
	assert_eq!(response["error"]["code"], "price_above_authorised_cap");
}

#[tokio::test]
async fn streaming_ends_with_the_receipt_then_done() {
	let h = harness(Limits::default());
	let auth = authorisation(&h, 1);
	let body = r#"{"model":"tiny","messages":[{"role":"user","content":"Tell me a story."}],"max_tokens":12,"stream":true,"seed":4}"#;
	let response = h
		.app
		.clone()
		.oneshot(request("/v1/chat/completions", body, Some((&auth, &h.gateway))))
		.await
		.unwrap();
	assert_eq!(response.status(), StatusCode::OK);
	let text = String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec())
		.unwrap();
	let events: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("data: ")).collect();
	assert_eq!(events.last(), Some(&"[DONE]"));
	let last: serde_json::Value = serde_json::from_str(events[events.len() - 2]).unwrap();
	assert!(last["receipt"]["scale"].as_str().unwrap().starts_with("0x"), "{last}");
	let content: String = events[..events.len() - 2]
		.iter()
		.map(|e| {
			serde_json::from_str::<serde_json::Value>(e).unwrap()["choices"][0]["delta"]["content"]
				.as_str()
				.unwrap_or_default()
				.to_owned()
		})
		.collect();
	assert_eq!(h.store.pending().unwrap()[0].count, 1);
	assert!(last["usage"]["completion_tokens"].as_u64().unwrap() > 0 || content.is_empty());
}

#[tokio::test]
async fn overload_answers_429_and_recovers() {
	let h = harness(Limits { concurrency: 1, queue: 0, ..Limits::default() });
	// A streaming request whose body nobody reads holds the only slot once its channel fills.
	let first = authorisation(&h, 1);
	let long = r#"{"model":"tiny","prompt":"Once upon a time","max_tokens":400,"stream":true,"temperature":1.0,"seed":1}"#;
	let held = h
		.app
		.clone()
		.oneshot(request("/v1/completions", long, Some((&first, &h.gateway))))
		.await
		.unwrap();
	assert_eq!(held.status(), StatusCode::OK);

	let second = authorisation(&h, 2);
	let short = r#"{"model":"tiny","prompt":"Hi","max_tokens":2}"#;
	let (status, body) =
		send(&h.app, request("/v1/completions", short, Some((&second, &h.gateway)))).await;
	assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
	assert_eq!(body["error"]["code"], "overloaded");

	// The client goes away: generation stops and the slot is free again.
	drop(held);
	let mut status = StatusCode::TOO_MANY_REQUESTS;
	for _ in 0..100 {
		let third = authorisation(&h, 3);
		let (s, _) =
			send(&h.app, request("/v1/completions", short, Some((&third, &h.gateway)))).await;
		status = s;
		if s != StatusCode::TOO_MANY_REQUESTS {
			break;
		}
		tokio::time::sleep(Duration::from_millis(50)).await;
	}
	assert_eq!(status, StatusCode::OK);
}

/// Sends `body` to `path` with a fresh authorisation for `counter`; it must be served.
async fn served(h: &Harness, counter: u64, path: &str, body: &str) -> Value {
	let auth = authorisation(h, counter);
	let (status, answer) = send(&h.app, request(path, body, Some((&auth, &h.gateway)))).await;
	assert_eq!(status, StatusCode::OK, "{path} {body}: {answer}");
	assert!(answer["receipt"]["scale"].is_string(), "{answer}");
	answer
}

fn text_of(answer: &Value) -> &str {
	let choice = &answer["choices"][0];
	choice["message"]["content"].as_str().or_else(|| choice["text"].as_str()).unwrap()
}

fn completion_tokens(answer: &Value) -> u64 {
	answer["usage"]["completion_tokens"].as_u64().unwrap()
}

#[tokio::test]
async fn out_of_range_and_unimplemented_fields_are_refused_by_param_before_authorisation() {
	let h = harness(Limits::default());
	let auth = authorisation(&h, 1);
	for case in openai_cases::refused() {
		for with_auth in [Some((&auth, &h.gateway)), None] {
			let (status, body) = send(&h.app, request(case.path, &case.body, with_auth)).await;
			assert_eq!(status, StatusCode::BAD_REQUEST, "{} {}: {body}", case.path, case.body);
			let error = &body["error"];
			assert_eq!(error["param"], case.param, "{} {}: {body}", case.path, case.body);
			assert_eq!(error["type"], "invalid_request_error", "{body}");
			assert!(error["code"].is_string(), "{body}");
			assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
		}
	}
	// max_tokens 0 is the client's mistake (400), not a price cap (402).
	let zero = openai_cases::chat(json!({ "max_tokens": 0 }));
	let (status, body) =
		send(&h.app, request(openai_cases::CHAT, &zero, Some((&auth, &h.gateway)))).await;
	assert_eq!(
		(status, body["error"]["code"].as_str()),
		(StatusCode::BAD_REQUEST, Some("invalid_value"))
	);
	// Logprobs are refused, for now, saying so.
	let logprobs = openai_cases::chat(json!({ "logprobs": true }));
	let (_, body) = send(&h.app, request(openai_cases::CHAT, &logprobs, None)).await;
	assert!(body["error"]["message"].as_str().unwrap().contains("not returned yet"), "{body}");

	// Nothing was reserved or billed: the counter of every refused request is still free.
	assert!(h.store.pending().unwrap().is_empty());
	served(&h, 1, "/v1/chat/completions", CHAT).await;
}

#[tokio::test]
async fn accepted_values_are_served() {
	let h = harness(Limits::default());
	for (counter, (path, body)) in (1..).zip(openai_cases::accepted()) {
		served(&h, counter, path, &body).await;
	}
}

#[tokio::test]
async fn content_parts_give_the_answer_of_the_string_they_make() {
	let h = harness(Limits::default());
	let (string, parts) = openai_cases::string_and_parts();
	let from_string = served(&h, 1, openai_cases::CHAT, &string).await;
	let from_parts = served(&h, 2, openai_cases::CHAT, &parts).await;
	assert_eq!(from_parts["usage"], from_string["usage"]);
	assert_eq!(text_of(&from_parts), text_of(&from_string));
	assert!(completion_tokens(&from_string) > 0);
}

#[tokio::test]
async fn token_limits_seeds_and_roles_are_honoured() {
	let h = harness(Limits::default());
	let chat = openai_cases::chat;
	let sampled = json!({ "temperature": 1, "max_tokens": 24 });

	let one = served(&h, 1, openai_cases::CHAT, &chat(json!({ "max_tokens": 1 }))).await;
	assert!(completion_tokens(&one) <= 1, "{one}");
	let two = json!({ "max_tokens": null, "max_completion_tokens": 2 });
	let two = served(&h, 2, openai_cases::CHAT, &chat(two)).await;
	assert!(completion_tokens(&two) <= 2, "{two}");
	let one = openai_cases::completion(json!({ "max_tokens": 1 }));
	let one = served(&h, 3, openai_cases::COMPLETIONS, &one).await;
	assert!(completion_tokens(&one) <= 1, "{one}");

	// The same seed, the same answer, negative seeds included.
	let mut counter = 3;
	for seed in [json!(7), json!(-7)] {
		let mut body = sampled.clone();
		body["seed"] = seed;
		let body = chat(body);
		counter += 2;
		let first = served(&h, counter, openai_cases::CHAT, &body).await;
		let second = served(&h, counter + 1, openai_cases::CHAT, &body).await;
		assert_eq!(text_of(&first), text_of(&second), "{body}");
	}

	// A developer message is read as the system message it stands for.
	let mut system = sampled.clone();
	system["seed"] = json!(5);
	let mut developer = system.clone();
	system["messages"] = json!([
		{ "role": "system", "content": "Be brief." }, { "role": "user", "content": "Hi" }
	]);
	developer["messages"] = json!([
		{ "role": "developer", "content": "Be brief." }, { "role": "user", "content": "Hi" }
	]);
	let system = served(&h, 20, openai_cases::CHAT, &chat(system)).await;
	let developer = served(&h, 21, openai_cases::CHAT, &chat(developer)).await;
	assert_eq!(developer["usage"], system["usage"]);
	assert_eq!(text_of(&developer), text_of(&system));
}

#[tokio::test]
async fn a_body_too_large_gets_an_openai_error_object() {
	let h = harness(Limits { max_body_bytes: 512, ..Limits::default() });
	let auth = authorisation(&h, 1);
	let long = json!({ "messages": [{ "role": "user", "content": "word ".repeat(200) }] });
	let body = openai_cases::chat(long);
	let (status, answer) =
		send(&h.app, request(openai_cases::CHAT, &body, Some((&auth, &h.gateway)))).await;
	assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
	assert_eq!(answer["error"]["code"], "request_too_large", "{answer}");
	assert_eq!(answer["error"]["type"], "invalid_request_error");
	assert!(answer["error"]["message"].as_str().unwrap().contains("512"), "{answer}");
	assert!(h.store.pending().unwrap().is_empty());
}

/// GETs `path` and returns the status and the body's bytes.
async fn get_bytes(app: &Router, path: &str) -> (StatusCode, Vec<u8>) {
	let response = app.clone().oneshot(Request::get(path).body(Body::empty()).unwrap()).await;
	let response = response.unwrap();
	let status = response.status();
	(status, response.into_body().collect().await.unwrap().to_bytes().to_vec())
}

#[tokio::test]
async fn batches_are_served_by_the_chain_id_and_their_leaves_by_content_hash() {
	use ail2_worker::store::BatchState;
	let h = harness(Limits::default());
	for counter in [1, 2] {
		let auth = authorisation(&h, counter);
		let (status, body) =
			send(&h.app, request("/v1/chat/completions", CHAT, Some((&auth, &h.gateway)))).await;
		assert_eq!(status, StatusCode::OK, "{body}");
	}
	let (local_id, record) =
		h.store.close_batch(&PAYER, (MODEL_ID, VERSION), 100, 1).unwrap().unwrap();
	let leaves_path = format!("/v1/leaves/0x{}", hex::encode(record.content_hash));

	// Not on chain yet: no chain id serves it, but its leaf file is already at its address.
	let (status, _) = get_bytes(&h.app, &format!("/v1/batches/{local_id}")).await;
	assert_eq!(status, StatusCode::NOT_FOUND);
	let (status, file) = get_bytes(&h.app, &leaves_path).await;
	assert_eq!(status, StatusCode::OK);
	assert_eq!(keccak256(&file), record.content_hash);

	h.store.set_batch_state(local_id, BatchState::Proposed { chain_batch: 17 }).unwrap();
	let (status, body) = get_bytes(&h.app, "/v1/batches/17").await;
	assert_eq!(status, StatusCode::OK);
	let info: Value = serde_json::from_slice(&body).unwrap();
	assert_eq!(info["batch"], 17);
	assert_eq!(info["local_id"], local_id);
	assert_eq!(info["state"], "proposed");
	assert_eq!(info["count"], 2);
	assert_eq!(
		info["version"],
		json!({ "major": VERSION.major, "minor": VERSION.minor, "patch": VERSION.patch })
	);
	assert_eq!(info["leaves"], leaves_path);
	assert_eq!(info["total"], record.total.to_string());
	let (_, by_id) = get_bytes(&h.app, "/v1/batches/17/leaves").await;
	assert_eq!(by_id, file);
	let (status, body) = get_bytes(&h.app, "/v1/batches/17/proof/1").await;
	assert_eq!(status, StatusCode::OK);
	let proof: Value = serde_json::from_slice(&body).unwrap();
	assert_eq!(proof["receipt"]["counter"], 2);
	assert_eq!(proof["leaves"], 2);

	h.store.set_batch_state(local_id, BatchState::Settled { chain_batch: 17 }).unwrap();
	let (_, body) = get_bytes(&h.app, "/v1/batches/17").await;
	assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["state"], "paid");

	// Unknown ids and hashes, and malformed hashes, are 404s in OpenAI's shape.
	for path in ["/v1/batches/18", "/v1/leaves/0x00", "/v1/leaves/nothex", "/v1/batches/17/proof/2"]
	{
		let (status, body) = get_bytes(&h.app, path).await;
		assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
		let error: Value = serde_json::from_slice(&body).unwrap();
		assert!(error["error"]["code"].is_string(), "{path}: {error}");
	}
	let unknown = format!("/v1/leaves/0x{}", hex::encode([7u8; 32]));
	assert_eq!(get_bytes(&h.app, &unknown).await.0, StatusCode::NOT_FOUND);
}
