//! The gateway's HTTP routes: health, metrics, the workers' risk, the models and the
//! caller's usage, and the generation endpoints, with the API key's authentication and rate
//! limit in front.

use std::sync::Arc;

use ail2_primitives::billing::{receipt_price, Usage};
use axum::{
	body::Bytes,
	extract::{rejection::BytesRejection, DefaultBodyLimit, State},
	http::{header, HeaderMap, StatusCode},
	response::{IntoResponse, Response},
	routing::{get, post},
	Json, Router,
};
use serde_json::{json, Value};

use super::{
	config::ApiKey,
	metrics::{worker_label, KeyLabels, WorkerLabels},
	proxy::{self, Call},
	state::KeyHash,
	GatewayState,
};
use crate::{
	openai::{ApiError, Endpoint, ModelCard, ModelList},
	serve::metrics::{count_request, CONTENT_TYPE},
};

/// The gateway's API: health and metrics, the OpenAI endpoints, and the caller's usage.
pub fn router(state: Arc<GatewayState>) -> Router {
	let max_body = state.settings.max_body_bytes;
	let mut router = Router::new()
		.route("/health", get(health))
		.route("/metrics", get(metrics))
		.route("/workers", get(workers))
		.route("/v1/models", get(models))
		.route("/v1/ail2/usage", get(usage));
	for endpoint in Endpoint::ALL {
		router = router.route(
			endpoint.path(),
			post(
				move |State(state): State<Arc<GatewayState>>,
				      headers: HeaderMap,
				      body: Result<Bytes, BytesRejection>| {
					generate(state, endpoint, headers, body)
				},
			),
		);
	}
	router.layer(DefaultBodyLimit::max(max_body)).with_state(state)
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

async fn metrics(State(state): State<Arc<GatewayState>>) -> impl IntoResponse {
	for risk in state.registry.risks() {
		let labels = WorkerLabels { model: risk.model, worker: worker_label(&risk.worker) };
		state.metrics.risk.get_or_create(&labels).set(risk.assessment.risk);
		state.metrics.risk_level.get_or_create(&labels).set(risk.assessment.level.index());
	}
	([(header::CONTENT_TYPE, CONTENT_TYPE)], state.metrics.render())
}

/// Every worker the gateway assessed, with its risk score, handling level and the features
/// behind them (whitepaper §8.2): what an operator reads to see why a worker gets no
/// traffic. Public, like `/health`: it holds nothing the chain and the probes do not show.
async fn workers(State(state): State<Arc<GatewayState>>) -> Json<Value> {
	Json(json!({ "workers": state.registry.risks() }))
}

/// The models at least one worker serves now.
async fn models(State(state): State<Arc<GatewayState>>, headers: HeaderMap) -> Response {
	if let Err(error) = authenticate(&state, &headers) {
		return error.into_response();
	}
	let data = state
		.registry
		.models()
		.into_iter()
		.filter(|view| view.available > 0)
		.map(|view| {
			let owned_by = format!("ail2 model {} v{}", view.model.id, view.model.version);
			ModelCard::new(view.model.name, owned_by)
		})
		.collect();
	Json(ModelList::new(data)).into_response()
}

/// The caller's spending through this gateway since it started.
async fn usage(State(state): State<Arc<GatewayState>>, headers: HeaderMap) -> Response {
	let (hash, key) = match authenticate(&state, &headers) {
		Ok(found) => found,
		Err(error) => return error.into_response(),
	};
	let spending = state.spending(&hash);
	Json(json!({
		"key": key.name,
		"payer": format!("0x{}", hex::encode(key.payer)),
		"max_price": key.max_price.to_string(),
		"requests": spending.requests,
		"spent": spending.spent.to_string(),
	}))
	.into_response()
}

/// A completion or chat completion, sent on to a worker; counted by endpoint and status. A
/// body too large to read is refused in OpenAI's shape too.
async fn generate(
	state: Arc<GatewayState>,
	endpoint: Endpoint,
	headers: HeaderMap,
	body: Result<Bytes, BytesRejection>,
) -> Response {
	let admitted = match body {
		Ok(body) => admit(&state, endpoint, &headers, body).await,
		Err(rejection) => Err(ApiError::unreadable_body(&rejection, state.settings.max_body_bytes)),
	};
	let response = admitted.unwrap_or_else(IntoResponse::into_response);
	count_request(&state.metrics.requests, endpoint, response.status());
	response
}

/// Checks the caller, the rate and the request before it is routed: a request no worker
/// could take is refused here.
async fn admit(
	state: &Arc<GatewayState>,
	endpoint: Endpoint,
	headers: &HeaderMap,
	body: Bytes,
) -> Result<Response, ApiError> {
	let (hash, key) = authenticate(state, headers)?;
	rate_limit(state, &hash, &key)?;
	let options = endpoint.parse(&body)?.options;
	let view = state.registry.model(&options.model).ok_or_else(|| {
		ApiError::new(
			StatusCode::NOT_FOUND,
			"model_not_found",
			format!("no active model named `{}` on this chain", options.model),
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
	let tokens_out = options.max_tokens.unwrap_or(state.settings.default_max_tokens);
	let call = Call {
		state: state.clone(),
		endpoint,
		model,
		key,
		key_hash: hash,
		body,
		stream: options.stream,
	};
	proxy::route(call, tokens_out).await
}

/// The configured key the bearer token names.
fn authenticate(
	state: &GatewayState,
	headers: &HeaderMap,
) -> Result<(KeyHash, Arc<ApiKey>), ApiError> {
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

fn rate_limit(state: &GatewayState, hash: &KeyHash, key: &ApiKey) -> Result<(), ApiError> {
	state.take_request(hash, key).map_err(|wait| {
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
