//! The gateway in front of real workers on the tiny model (over TCP): API keys, rate limits,
//! price caps, errors in OpenAI's shape, routing with one retry, streaming, the receipt
//! check, and what OpenAI clients send (content parts, checked values, unimplemented fields). The registry is a fixed list here; the end-to-end test reads it from a node.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod openai_cases;

use std::{collections::HashSet, convert::Infallible, sync::Arc, time::Duration};

use ail2_chain::{ModelPricing, RegisteredModel, RegisteredWorker};
use ail2_model::{
	default_device,
	random::{write_random_model, RandomModelSpec},
	TextModel,
};
use ail2_primitives::{
	billing::{receipt_price, BillingMode, PricingPolicy, Usage},
	keccak256,
	receipt::{signing::Keypair, AccountBytes, Authorisation, PublicKey, SemVer, SignedReceipt},
};
use ail2_router::RouterConfig;
use ail2_worker::{
	gateway::{
		self,
		config::{sha256, ApiKeys},
		registry::{Registry, StaticSource},
		risk::{Feature, RiskConfig},
		verify_receipt, GatewayState, Settings,
	},
	serve::{auth::GatewayKeys, metrics::Metrics, AppState, Limits, ServedModel},
	store::{ReceiptLog, Store},
};
use axum::{
	body::Body,
	http::{Request, StatusCode},
	routing::{get, post},
	Json, Router,
};
use codec::{Decode, Encode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

struct KnownKeys(HashSet<(AccountBytes, PublicKey)>);

impl GatewayKeys for KnownKeys {
	type Error = Infallible;

	async fn is_active(&self, payer: AccountBytes, key: PublicKey) -> Result<bool, Infallible> {
		Ok(self.0.contains(&(payer, key)))
	}
}

const PAYER: AccountBytes = [0xd0; 32];
const MODEL_ID: u32 = 7;
const VERSION: SemVer = SemVer { major: 1, minor: 0, patch: 0 };
const CHAIN_ID: u32 = 42;

fn policy() -> PricingPolicy {
	PricingPolicy {
		mode: BillingMode::Token,
		token_base: 1_000,
		per_1k_input_tokens: 100_000,
		per_1k_output_tokens: 300_000,
		time_base: 0,
		per_gpu_second: 0,
		min_fee: 0,
		max_fee: 1_000_000_000,
	}
}

fn registered_model() -> RegisteredModel {
	RegisteredModel {
		id: MODEL_ID,
		name: "tiny".into(),
		version: VERSION,
		pricing: ModelPricing {
			policy: policy(),
			policy_hash: keccak256(&policy().encode()),
			billable: true,
		},
		min_vram_mib: 1_024,
		min_cuda: (11, 0),
		allowed_regions: vec![],
		max_latency_ms: 0,
		inference_nodes: vec![],
	}
}

fn registered(hot: u8, receipt_key: PublicKey, url: &str, gpu: &str) -> RegisteredWorker {
	RegisteredWorker {
		hot_key: [hot; 32],
		receipt_key,
		gpu_model: gpu.into(),
		gpu_count: 1,
		vram_mib: 81_920,
		cuda: (12, 2),
		lat_micro_deg: 0,
		lon_micro_deg: 0,
		endpoint: url.into(),
		active: true,
		reputation_ppb: 1_000_000_000,
		violations: 0,
	}
}

async fn listen(app: Router) -> String {
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
	let url = format!("http://{}", listener.local_addr().unwrap());
	tokio::spawn(async move { axum::serve(listener, app).await.ok() });
	url
}

/// A real worker serving the tiny model; it accepts the gateway key for `PAYER`.
async fn start_worker(dir: &std::path::Path, secret: u8, gateway: &Keypair) -> (String, Keypair) {
	let model = TextModel::load(&dir.join("model"), &default_device()).unwrap();
	let key = Keypair::from_secret(&[secret; 32]).unwrap();
	let store = Arc::new(Store::open(&dir.join(format!("receipts-{secret}.redb"))).unwrap());
	let log = ReceiptLog::start(store.clone(), 64).unwrap();
	let served = Arc::new(ServedModel {
		model,
		name: "tiny".into(),
		model_id: MODEL_ID,
		version: VERSION,
		project_id: 0,
		policy: policy(),
		policy_hash: keccak256(&policy().encode()),
		chain_id: CHAIN_ID,
	});
	let keys = KnownKeys(HashSet::from([(PAYER, gateway.public())]));
	let state = AppState::new(
		served,
		key.clone(),
		keys,
		store,
		log,
		Arc::new(Metrics::new()),
		Limits::default(),
	);
	(listen(ail2_worker::serve::router(Arc::new(state))).await, key)
}

/// A worker that looks healthy and fails every request with 500.
async fn start_failing_worker(key: &Keypair) -> String {
	let health = json!({
		"status": "ok", "model": "tiny", "model_id": MODEL_ID, "version": "1.0.0",
		"chain_id": CHAIN_ID, "receipt_key": format!("0x{}", hex::encode(key.public())),
		"running": 0, "queued": 0, "concurrency": 4, "queue": 8,
	});
	let fail = || async {
		(StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"error": {"message": "GPU fell off"}})))
	};
	let app = Router::new()
		.route("/health", get(move || async move { Json(health) }))
		.route("/v1/chat/completions", post(fail))
		.route("/v1/completions", post(fail));
	listen(app).await
}

fn keys_config() -> ApiKeys {
	let payer = format!("0x{}", hex::encode(PAYER));
	ApiKeys::parse(&format!(
		r#"
[[api_keys]]
name = "good"
sha256 = "{}"
payer = "{payer}"
max_price = "1000000000"

[[api_keys]]
name = "poor"
sha256 = "{}"
payer = "{payer}"
max_price = 1

[[api_keys]]
name = "slow"
sha256 = "{}"
payer = "{payer}"
requests_per_minute = 1
burst = 1
max_price = "1000000000"
"#,
		hex::encode(sha256("sk-good")),
		hex::encode(sha256("sk-poor")),
		hex::encode(sha256("sk-slow")),
	))
	.unwrap()
}

/// Softmax at τ → 0 and no Thompson noise: the router's choice follows its predictions.
fn greedy_router() -> RouterConfig {
	RouterConfig {
		temperature_min: 1e-9,
		temperature_max: 1e-9,
		cold_start_observations: 0,
		..RouterConfig::default()
	}
}

struct Harness {
	_dir: tempfile::TempDir,
	app: Router,
	state: Arc<GatewayState>,
	workers: Vec<Keypair>,
	source: StaticSource,
}

/// A gateway over `count` real workers and, if `failing`, one more that fails everything and
/// has the fastest GPU (so the router tries it first).
async fn harness(count: u8, failing: bool) -> Harness {
	harness_electing(count, failing, vec![]).await
}

/// As [`harness`], with the model's elected inference nodes (hot keys) set to `elected`.
async fn harness_electing(count: u8, failing: bool, elected: Vec<[u8; 32]>) -> Harness {
	harness_with(count, failing, elected, RiskConfig::default(), |_| {}).await
}

/// As [`harness_electing`], the gateway scoring risk by `risk`, and the registered workers
/// as `adjust` leaves them.
async fn harness_with(
	count: u8,
	failing: bool,
	elected: Vec<[u8; 32]>,
	risk: RiskConfig,
	adjust: impl FnOnce(&mut [RegisteredWorker]),
) -> Harness {
	let dir = tempfile::tempdir().unwrap();
	write_random_model(&dir.path().join("model"), &RandomModelSpec::tiny(), 3).unwrap();
	let gateway_key = Keypair::from_secret(&[0x22; 32]).unwrap();
	let mut registered_workers = Vec::new();
	let mut worker_keys = Vec::new();
	for i in 0..count {
		let (url, key) = start_worker(dir.path(), 0x30 + i, &gateway_key).await;
		registered_workers.push(registered(0x40 + i, key.public(), &url, "cpu"));
		worker_keys.push(key);
	}
	if failing {
		let key = Keypair::from_secret(&[0x3f; 32]).unwrap();
		let url = start_failing_worker(&key).await;
		registered_workers.push(registered(0x4f, key.public(), &url, "h200"));
	}
	adjust(&mut registered_workers);
	let model = RegisteredModel { inference_nodes: elected, ..registered_model() };
	let source = StaticSource { workers: registered_workers, models: vec![model] };
	let registry = Arc::new(Registry::with_risk(CHAIN_ID, greedy_router(), risk));
	let http = reqwest::Client::new();
	registry.refresh(&source, &http, Duration::ZERO, Duration::from_secs(5)).await.unwrap();
	let state = Arc::new(GatewayState::new(
		keys_config(),
		registry,
		gateway_key,
		CHAIN_ID,
		http,
		Settings::default(),
	));
	Harness { _dir: dir, app: gateway::router(state.clone()), state, workers: worker_keys, source }
}

fn post_json(path: &str, body: &str, key: Option<&str>) -> Request<Body> {
	let mut builder = Request::post(path).header("content-type", "application/json");
	if let Some(key) = key {
		builder = builder.header("authorization", format!("Bearer {key}"));
	}
	builder.body(Body::from(body.to_owned())).unwrap()
}

async fn send(app: &Router, request: Request<Body>) -> (StatusCode, Value, Option<String>) {
	let response = app.clone().oneshot(request).await.unwrap();
	let status = response.status();
	let worker =
		response.headers().get(gateway::WORKER_HEADER).map(|v| v.to_str().unwrap().to_owned());
	let bytes = response.into_body().collect().await.unwrap().to_bytes();
	let body = serde_json::from_slice(&bytes)
		.unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
	(status, body, worker)
}

async fn get_with_key(app: &Router, path: &str, key: &str) -> (StatusCode, Value, Option<String>) {
	let request = Request::get(path)
		.header("authorization", format!("Bearer {key}"))
		.body(Body::empty())
		.unwrap();
	send(app, request).await
}

const CHAT: &str = r#"{"model":"tiny","messages":[{"role":"user","content":"Hello!"}],"max_tokens":8,"temperature":0}"#;

fn assert_openai_error(body: &Value, code: &str) {
	let error = &body["error"];
	assert_eq!(error["code"], code, "{body}");
	assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
	assert!(error["type"].as_str().is_some(), "{body}");
}

#[tokio::test]
async fn refusals_come_with_their_status_and_an_openai_error_body() {
	let h = harness(1, false).await;
	let (status, body, _) = send(&h.app, post_json("/v1/chat/completions", CHAT, None)).await;
	assert_eq!(status, StatusCode::UNAUTHORIZED);
	assert_openai_error(&body, "invalid_api_key");
	let (status, body, _) =
		send(&h.app, post_json("/v1/chat/completions", CHAT, Some("sk-unknown"))).await;
	assert_eq!(status, StatusCode::UNAUTHORIZED);
	assert_openai_error(&body, "invalid_api_key");

	let (status, body, _) =
		send(&h.app, post_json("/v1/chat/completions", "{\"model\":", Some("sk-good"))).await;
	assert_eq!(status, StatusCode::BAD_REQUEST);
	assert_openai_error(&body, "invalid_json");
	let (status, body, _) = send(
		&h.app,
		post_json("/v1/chat/completions", r#"{"model":"tiny","messages":[]}"#, Some("sk-good")),
	)
	.await;
	assert_eq!(status, StatusCode::BAD_REQUEST);
	assert_openai_error(&body, "invalid_messages");

	let unknown = CHAT.replace("\"tiny\"", "\"gpt-17\"");
	let (status, body, _) =
		send(&h.app, post_json("/v1/chat/completions", &unknown, Some("sk-good"))).await;
	assert_eq!(status, StatusCode::NOT_FOUND);
	assert_openai_error(&body, "model_not_found");

	// The cheapest tiny request costs 1,000 + ⌊300,000 / 1000⌋ = 1,300; "poor" allows 1.
	let (status, body, _) =
		send(&h.app, post_json("/v1/chat/completions", CHAT, Some("sk-poor"))).await;
	assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
	assert_openai_error(&body, "price_above_key_cap");
	assert!(body["error"]["message"].as_str().unwrap().contains("1300"), "{body}");

	// "slow" has a burst of one: the second request at once is refused.
	let (status, _, _) = send(&h.app, post_json("/v1/completions", "{}", Some("sk-slow"))).await;
	assert_eq!(status, StatusCode::BAD_REQUEST, "the first request passes the limiter");
	let (status, body, _) = send(&h.app, post_json("/v1/completions", "{}", Some("sk-slow"))).await;
	assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
	assert_openai_error(&body, "rate_limit_exceeded");
	assert!(h.state.metrics.render().contains("ail2_gateway_rate_limited_total{key=\"slow\"} 1"));

	// Nothing was dispatched, so nothing was spent.
	let (status, usage, _) = get_with_key(&h.app, "/v1/ail2/usage", "sk-good").await;
	assert_eq!(status, StatusCode::OK);
	assert_eq!(usage["requests"], 0);
	assert_eq!(usage["spent"], "0");
}

#[tokio::test]
async fn answers_carry_a_verified_receipt_and_spending_adds_up() {
	let h = harness(2, false).await;
	let (status, models, _) = get_with_key(&h.app, "/v1/models", "sk-good").await;
	assert_eq!(status, StatusCode::OK);
	assert_eq!(models["data"][0]["id"], "tiny");

	let keys: Vec<PublicKey> = h.workers.iter().map(Keypair::public).collect();
	let mut total = 0u128;
	let mut counters = HashSet::new();
	for _ in 0..6 {
		let (status, body, worker) =
			send(&h.app, post_json("/v1/chat/completions", CHAT, Some("sk-good"))).await;
		assert_eq!(status, StatusCode::OK, "{body}");
		assert!(worker.is_some());
		let scale =
			hex::decode(body["receipt"]["scale"].as_str().unwrap().trim_start_matches("0x"))
				.unwrap();
		let signed = SignedReceipt::decode(&mut scale.as_slice()).unwrap();
		let r = &signed.receipt;
		assert!(keys.contains(&r.node_pubkey));
		assert!(signed.node_signature_valid());
		assert_eq!(r.payer, PAYER);
		assert_eq!(r.max_price, 1_000_000_000);
		assert_eq!(signed.gateway_signer(), Some(h.state.signer.public()));
		let usage = Usage { tokens_in: r.tokens_in, tokens_out: r.tokens_out, gpu_ms: r.gpu_ms };
		assert_eq!(r.price, receipt_price(&policy(), &usage));
		assert!(counters.insert((r.node_pubkey, r.counter)), "counters are never reused");
		total += r.price;
	}
	let (_, usage, _) = get_with_key(&h.app, "/v1/ail2/usage", "sk-good").await;
	assert_eq!(usage["requests"], 6);
	assert_eq!(usage["spent"], total.to_string());
	let metrics = h.state.metrics.render();
	assert!(metrics.contains("ail2_gateway_worker_latency_seconds"), "{metrics}");
	assert!(metrics.contains("outcome=\"success\""), "{metrics}");
}

#[tokio::test]
async fn with_inference_nodes_elected_only_they_are_routed_to() {
	// Two healthy workers (hot keys 0x40, 0x41); the chain elected one of them for this
	// round. Each way round, every request goes to the elected one, whatever the router
	// would prefer.
	for elected in 0..2u8 {
		let h = harness_electing(2, false, vec![[0x40 + elected; 32]]).await;
		let key = h.workers[usize::from(elected)].public();
		for _ in 0..6 {
			let (status, body, _) =
				send(&h.app, post_json("/v1/chat/completions", CHAT, Some("sk-good"))).await;
			assert_eq!(status, StatusCode::OK, "{body}");
			let scale =
				hex::decode(body["receipt"]["scale"].as_str().unwrap().trim_start_matches("0x"))
					.unwrap();
			let signed = SignedReceipt::decode(&mut scale.as_slice()).unwrap();
			assert_eq!(signed.receipt.node_pubkey, key, "only the elected worker serves");
		}
	}
}

#[tokio::test]
async fn a_failing_worker_is_retried_elsewhere_without_the_client_noticing() {
	let h = harness(1, true).await;
	for _ in 0..3 {
		let (status, body, worker) =
			send(&h.app, post_json("/v1/chat/completions", CHAT, Some("sk-good"))).await;
		assert_eq!(status, StatusCode::OK, "{body}");
		assert_eq!(worker.unwrap(), format!("0x{}", hex::encode([0x40u8; 32])));
	}
	let metrics = h.state.metrics.render();
	let failing = format!("0x{}", hex::encode([0x4fu8; 32]));
	// The fast (failing) worker was tried first and its failure retried on the other.
	assert!(
		metrics.contains(&format!("outcome=\"failure\",worker=\"{failing}\""))
			|| metrics.contains(&format!("worker=\"{failing}\",outcome=\"failure\"")),
		"{metrics}"
	);
	let retries: u64 = metrics
		.lines()
		.find(|l| l.starts_with("ail2_gateway_retries_total"))
		.and_then(|l| l.split_whitespace().last())
		.unwrap()
		.parse()
		.unwrap();
	assert!(retries >= 1, "{metrics}");
}

#[tokio::test]
async fn with_only_failing_workers_the_client_gets_a_bad_gateway_error() {
	let h = harness(0, true).await;
	let (status, body, _) =
		send(&h.app, post_json("/v1/chat/completions", CHAT, Some("sk-good"))).await;
	assert_eq!(status, StatusCode::BAD_GATEWAY);
	assert_openai_error(&body, "upstream_failed");
}

#[tokio::test]
async fn streams_relay_every_piece_and_end_with_the_verified_receipt() {
	let h = harness(1, false).await;
	let body = CHAT.replace("\"temperature\":0", "\"temperature\":0,\"stream\":true");
	let response = h
		.app
		.clone()
		.oneshot(post_json("/v1/chat/completions", &body, Some("sk-good")))
		.await
		.unwrap();
	assert_eq!(response.status(), StatusCode::OK);
	let bytes = response.into_body().collect().await.unwrap().to_bytes();
	let text = String::from_utf8(bytes.to_vec()).unwrap();
	let events: Vec<&str> = text.split("\n\n").filter_map(|e| e.strip_prefix("data: ")).collect();
	assert_eq!(events.last(), Some(&"[DONE]"), "{text}");
	let last: Value = serde_json::from_str(events[events.len() - 2]).unwrap();
	assert!(last["receipt"]["scale"].is_string(), "{text}");
	assert!(events.len() >= 3, "pieces, the receipt and [DONE]: {text}");
	let (_, usage, _) = get_with_key(&h.app, "/v1/ail2/usage", "sk-good").await;
	assert_eq!(usage["requests"], 1);
}

#[test]
fn receipts_that_differ_from_the_authorisation_or_the_price_are_rejected() {
	let worker = Keypair::from_secret(&[0x11; 32]).unwrap();
	let gateway = Keypair::from_secret(&[0x22; 32]).unwrap();
	let model = registered_model();
	let authorisation = Authorisation {
		payer: PAYER,
		node_pubkey: worker.public(),
		project_id: 0,
		model_id: MODEL_ID,
		version: VERSION,
		chain_id: CHAIN_ID,
		route_id: [9; 32],
		counter: 5,
		max_price: 1_000_000,
		expires_at_ms: u64::MAX,
	};
	let gateway_signature = gateway.sign(&authorisation.message());
	let sign_as = |price: u128, tokens_out: u32, policy_hash, signer: &Keypair, malleate: bool| {
		let receipt = ail2_primitives::receipt::Receipt {
			project_id: 0,
			model_id: MODEL_ID,
			version: VERSION,
			timestamp_ms: 1,
			tokens_in: 10,
			tokens_out,
			gpu_ms: 3,
			bytes_in: 1,
			bytes_out: 1,
			price,
			chain_id: CHAIN_ID,
			route_id: [9; 32],
			counter: 5,
			node_pubkey: worker.public(),
			payer: PAYER,
			policy_hash,
			max_price: 1_000_000,
			expires_at_ms: u64::MAX,
			transcript: ail2_primitives::transcript::no_transcript(),
		};
		let mut node_signature = signer.sign(&receipt.message());
		if malleate {
			// The same worker's signature in its other valid-looking form, (r, n − s, v ⊕ 1):
			// anyone can write it without the key, so only the canonical form is accepted.
			node_signature = ail2_primitives::receipt::high_s_twin(&node_signature);
		}
		let signed = SignedReceipt { node_signature, gateway_signature, receipt };
		json!({ "scale": format!("0x{}", hex::encode(signed.encode())) })
	};
	let sign = |price: u128, tokens_out: u32, policy_hash, signer: &Keypair| {
		sign_as(price, tokens_out, policy_hash, signer, false)
	};
	let hash = model.pricing.policy_hash;
	// 1,000 + ⌊(100,000·10 + 300,000·4) / 1000⌋ = 1,000 + 2,200 = 3,200
	let good = sign(3_200, 4, hash, &worker);
	let check = |value: &Value, usage| {
		verify_receipt(Some(value), &authorisation, &gateway_signature, &model, usage)
			.map_err(|rejected| rejected.to_string())
	};
	assert!(check(&good, Some((10, 4))).is_ok());
	let error = check(&sign(3_201, 4, hash, &worker), None).unwrap_err();
	assert!(error.contains("differs from the model's 3200"), "{error}");
	assert!(check(&sign(3_200, 4, [0; 32], &worker), None).unwrap_err().contains("policy"));
	assert!(check(&sign(3_200, 4, hash, &gateway), None).unwrap_err().contains("signature"));
	let malleated = sign_as(3_200, 4, hash, &worker, true);
	assert!(check(&malleated, None).unwrap_err().contains("signature"));
	assert!(check(&good, Some((10, 5))).unwrap_err().contains("token counts"));
	assert!(check(&json!({}), None).unwrap_err().contains("no receipt"));
	let mut other = authorisation.clone();
	other.counter = 6;
	let error = verify_receipt(Some(&good), &other, &gateway_signature, &model, None)
		.unwrap_err()
		.to_string();
	assert!(error.contains("authorised terms"), "{error}");
}

/// Sends `body` to `path` with the good key; it must be served with a receipt.
async fn served(h: &Harness, path: &str, body: &str) -> Value {
	let (status, answer, worker) = send(&h.app, post_json(path, body, Some("sk-good"))).await;
	assert_eq!(status, StatusCode::OK, "{path} {body}: {answer}");
	assert!(worker.is_some());
	assert!(answer["receipt"]["scale"].is_string(), "{answer}");
	answer
}

#[tokio::test]
async fn out_of_range_and_unimplemented_fields_are_refused_by_param_before_dispatch() {
	let h = harness(1, false).await;
	for case in openai_cases::refused() {
		let (status, body, worker) =
			send(&h.app, post_json(case.path, &case.body, Some("sk-good"))).await;
		assert_eq!(status, StatusCode::BAD_REQUEST, "{} {}: {body}", case.path, case.body);
		assert_eq!(body["error"]["param"], case.param, "{} {}: {body}", case.path, case.body);
		assert_eq!(body["error"]["type"], "invalid_request_error", "{body}");
		assert!(worker.is_none(), "refused by the gateway itself: {body}");
	}
	// Nothing was authorised, sent or spent.
	let (_, usage, _) = get_with_key(&h.app, "/v1/ail2/usage", "sk-good").await;
	assert_eq!(usage["requests"], 0);
	assert_eq!(usage["spent"], "0");
	assert!(!h.state.metrics.render().contains("outcome=\""), "no worker was tried");
}

#[tokio::test]
async fn accepted_values_are_served_through_the_gateway() {
	let h = harness(1, false).await;
	let accepted = openai_cases::accepted();
	for (path, body) in &accepted {
		served(&h, path, body).await;
	}
	let (_, usage, _) = get_with_key(&h.app, "/v1/ail2/usage", "sk-good").await;
	assert_eq!(usage["requests"], accepted.len());
}

#[tokio::test]
async fn content_parts_pass_the_gateway_and_answer_as_their_string_does() {
	let h = harness(1, false).await;
	let (string, parts) = openai_cases::string_and_parts();
	let from_string = served(&h, openai_cases::CHAT, &string).await;
	let from_parts = served(&h, openai_cases::CHAT, &parts).await;
	assert_eq!(from_parts["usage"], from_string["usage"]);
	assert_eq!(
		from_parts["choices"][0]["message"]["content"],
		from_string["choices"][0]["message"]["content"]
	);
	// Streamed too.
	let stream = parts.replacen('{', "{\"stream\":true,", 1);
	let response = h
		.app
		.clone()
		.oneshot(post_json(openai_cases::CHAT, &stream, Some("sk-good")))
		.await
		.unwrap();
	assert_eq!(response.status(), StatusCode::OK);
	let bytes = response.into_body().collect().await.unwrap().to_bytes();
	let text = String::from_utf8(bytes.to_vec()).unwrap();
	let events: Vec<&str> = text.split("\n\n").filter_map(|e| e.strip_prefix("data: ")).collect();
	let last: Value = serde_json::from_str(events[events.len() - 2]).unwrap();
	assert!(last["receipt"]["scale"].is_string(), "{text}");
	assert_eq!(last["usage"], from_string["usage"], "{text}");
}

#[tokio::test]
async fn a_body_too_large_gets_an_openai_error_object_from_the_gateway() {
	let h = harness(1, false).await;
	let limit = Settings::default().max_body_bytes;
	let long = json!({ "messages": [{ "role": "user", "content": "x".repeat(limit) }] });
	let (status, body, worker) =
		send(&h.app, post_json(openai_cases::CHAT, &openai_cases::chat(long), Some("sk-good")))
			.await;
	assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
	assert_openai_error(&body, "request_too_large");
	assert_eq!(body["error"]["type"], "invalid_request_error");
	assert!(worker.is_none());
}

fn hot(byte: u8) -> String {
	format!("0x{}", hex::encode([byte; 32]))
}

async fn get_public(app: &Router, path: &str) -> Value {
	let (status, body, _) = send(app, Request::get(path).body(Body::empty()).unwrap()).await;
	assert_eq!(status, StatusCode::OK, "{body}");
	body
}

/// The `/workers` entry of `worker`.
fn listed<'a>(workers: &'a Value, worker: &str) -> &'a Value {
	workers["workers"]
		.as_array()
		.unwrap()
		.iter()
		.find(|entry| entry["worker"] == worker)
		.unwrap_or_else(|| panic!("{worker} is not listed: {workers}"))
}

#[tokio::test]
async fn a_worker_with_a_violation_on_record_gets_no_traffic_and_is_listed_as_excluded() {
	// Two workers; the second has the fastest GPU, so the router would pick it, but it has a
	// violation on record (a failed spot check slashed it).
	let h = harness_with(2, false, vec![], RiskConfig::default(), |workers| {
		workers[1].gpu_model = "h200".into();
		workers[1].violations = 1;
	})
	.await;
	for _ in 0..6 {
		let (status, body, worker) =
			send(&h.app, post_json("/v1/chat/completions", CHAT, Some("sk-good"))).await;
		assert_eq!(status, StatusCode::OK, "{body}");
		assert_eq!(worker.unwrap(), hot(0x40), "the excluded worker is never routed to");
	}
	let workers = get_public(&h.app, "/workers").await;
	let excluded = listed(&workers, &hot(0x41));
	assert_eq!(excluded["level"], "excluded", "{workers}");
	assert_eq!(excluded["features"]["violations"], 1.0);
	assert!(excluded["risk"].as_f64().unwrap() >= 0.8, "{workers}");
	assert_eq!(excluded["url"], Value::Null, "an excluded worker is out of the pool");
	let normal = listed(&workers, &hot(0x40));
	assert_eq!(normal["level"], "normal", "{workers}");
	assert!(normal["risk"].as_f64().unwrap() < 0.2, "{workers}");
	// The same on /metrics: level 3 for the excluded worker, 0 for the other.
	let metrics = get_metrics(&h.app).await;
	let level = |worker: &str| {
		metrics
			.lines()
			.find(|line| line.contains("worker_risk_level{") && line.contains(worker))
			.and_then(|line| line.split_whitespace().last())
			.unwrap_or_else(|| panic!("no risk level for {worker}: {metrics}"))
			.to_owned()
	};
	assert_eq!(level(&hot(0x41)), "3");
	assert_eq!(level(&hot(0x40)), "0");
}

async fn get_metrics(app: &Router) -> String {
	let response =
		app.clone().oneshot(Request::get("/metrics").body(Body::empty()).unwrap()).await.unwrap();
	String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

#[tokio::test]
async fn failures_seen_by_the_gateway_raise_a_worker_s_risk_until_it_is_excluded() {
	let h = harness(2, false).await;
	let registry = &h.state.registry;
	let id = ail2_router::WorkerId([0x41; 32]);
	let level = |workers: &Value| listed(workers, &hot(0x41))["level"].as_str().unwrap().to_owned();
	assert_eq!(level(&get_public(&h.app, "/workers").await), "normal");
	// Three failures in three requests: the rate (3 + 0.2) / 13 is far above the reference.
	for _ in 0..3 {
		registry.observe(&id, |observed| observed.failure(false));
	}
	registry
		.refresh(&h.source, &reqwest::Client::new(), Duration::ZERO, Duration::from_secs(5))
		.await
		.unwrap();
	assert_eq!(level(&get_public(&h.app, "/workers").await), "excluded");
	for _ in 0..4 {
		let (status, body, worker) =
			send(&h.app, post_json("/v1/chat/completions", CHAT, Some("sk-good"))).await;
		assert_eq!(status, StatusCode::OK, "{body}");
		assert_eq!(worker.unwrap(), hot(0x40));
	}
}

#[tokio::test]
async fn a_worker_of_limited_share_keeps_only_part_of_the_router_s_choices() {
	// Reputation counts heavily in this gateway's score: the second worker (fastest GPU,
	// no reputation earned) lands in the limited-share band, the first is normal.
	let risk = RiskConfig {
		intercept: -2.5,
		reputation_deficit: Feature { mean: 0.5, scale: 0.5, weight: 3.0 },
		..RiskConfig::default()
	};
	let h = harness_with(2, false, vec![], risk, |workers| {
		workers[1].gpu_model = "h200".into();
		workers[1].reputation_ppb = 0;
	})
	.await;
	let workers = get_public(&h.app, "/workers").await;
	assert_eq!(listed(&workers, &hot(0x41))["level"], "limited_share", "{workers}");
	let mut limited = 0;
	const REQUESTS: usize = 40;
	for _ in 0..REQUESTS {
		let (status, body, worker) =
			send(&h.app, post_json("/v1/chat/completions", CHAT, Some("sk-good"))).await;
		assert_eq!(status, StatusCode::OK, "{body}");
		if worker.unwrap() == hot(0x41) {
			limited += 1;
		}
	}
	// Each time the router chose it, the gateway kept the choice with probability
	// limited_share (1/4) and otherwise sent the request to the router's next choice. The
	// router, which prefers it, chose it at least once; all choices kept has probability
	// 4^-choices.
	let workers = get_public(&h.app, "/workers").await;
	let share = &listed(&workers, &hot(0x41))["share"];
	let (kept, diverted) = (share["kept"].as_u64().unwrap(), share["diverted"].as_u64().unwrap());
	assert!(diverted >= 1, "{workers}");
	assert_eq!(kept, limited, "it served exactly the choices kept: {workers}");
	// The normal worker's choices are never diverted.
	assert_eq!(listed(&workers, &hot(0x40))["share"], Value::Null, "{workers}");
}

#[tokio::test]
async fn a_risky_worker_s_answers_are_audited_against_their_commitments() {
	// A gateway that asks for more verification of every worker without a record.
	let risk = RiskConfig { intercept: -0.5, ..RiskConfig::default() };
	let h = harness_with(1, false, vec![], risk, |_| {}).await;
	let workers = get_public(&h.app, "/workers").await;
	assert_eq!(listed(&workers, &hot(0x40))["level"], "more_verification", "{workers}");
	for _ in 0..2 {
		let (status, body, _) =
			send(&h.app, post_json("/v1/chat/completions", CHAT, Some("sk-good"))).await;
		assert_eq!(status, StatusCode::OK, "{body}");
	}
	// The audits run in the background: the gateway fetches each transcript as the payer
	// and checks it against the receipt's commitment.
	let passed = |metrics: &str| {
		metrics
			.lines()
			.find(|line| {
				line.contains("transcript_audits")
					&& line.contains("passed=\"true\"")
					&& !line.starts_with('#')
			})
			.and_then(|line| line.split_whitespace().last())
			.and_then(|value| value.parse::<u64>().ok())
			.unwrap_or(0)
	};
	let deadline = std::time::Instant::now() + Duration::from_secs(10);
	loop {
		let metrics = get_metrics(&h.app).await;
		if passed(&metrics) == 2 {
			break;
		}
		assert!(std::time::Instant::now() < deadline, "the audits did not pass: {metrics}");
		tokio::time::sleep(Duration::from_millis(20)).await;
	}
	assert_eq!(registry_audits(&h), (2, 0));
}

/// The audits the gateway recorded of the first worker: (done, failed).
fn registry_audits(h: &Harness) -> (u64, u64) {
	let mut seen = (0, 0);
	h.state.registry.observe(&ail2_router::WorkerId([0x40; 32]), |observed| {
		seen = (observed.audits, observed.audit_failures)
	});
	seen
}
