//! The worker's HTTP routes and the handlers that read a request and write its response.

use std::sync::Arc;

use ail2_model::{ChatMessage, TextModel};
use axum::{
	body::Bytes,
	extract::{rejection::BytesRejection, DefaultBodyLimit, State},
	http::{header, HeaderMap},
	response::{IntoResponse, Response},
	routing::{get, post},
	Json, Router,
};

use super::{
	auth::GatewayKeys,
	batches,
	generation::{self, Job},
	transcripts, AppState, Health,
};
use crate::openai::{ApiError, Endpoint, Input, ModelCard, ModelList};

/// The worker's API: health and metrics, the OpenAI endpoints, the challengers' batch
/// endpoints and the payers' transcript endpoint.
pub fn router<G: GatewayKeys>(state: Arc<AppState<G>>) -> Router {
	let max_body = state.limits.max_body_bytes;
	let mut router = Router::new()
		.route("/health", get(health::<G>))
		.route("/metrics", get(metrics::<G>))
		.route("/v1/models", get(models::<G>));
	for endpoint in Endpoint::ALL {
		router = router.route(
			endpoint.path(),
			post(
				move |State(state): State<Arc<AppState<G>>>,
				      headers: HeaderMap,
				      body: Result<Bytes, BytesRejection>| {
					generate(state, endpoint, headers, body)
				},
			),
		);
	}
	router
		.route("/v1/batches/{id}", get(batches::info::<G>))
		.route("/v1/batches/{id}/leaves", get(batches::leaves::<G>))
		.route("/v1/batches/{id}/proof/{index}", get(batches::proof::<G>))
		.route("/v1/leaves/{content_hash}", get(batches::leaves_by_content::<G>))
		.route("/v1/transcripts", post(transcripts::serve::<G>))
		.layer(DefaultBodyLimit::max(max_body))
		.with_state(state)
}

async fn health<G: GatewayKeys>(State(state): State<Arc<AppState<G>>>) -> Json<Health> {
	Json(Health::of(&state))
}

async fn metrics<G: GatewayKeys>(State(state): State<Arc<AppState<G>>>) -> impl IntoResponse {
	([(header::CONTENT_TYPE, super::metrics::CONTENT_TYPE)], state.metrics.render())
}

async fn models<G: GatewayKeys>(State(state): State<Arc<AppState<G>>>) -> Json<ModelList> {
	let served = &state.served;
	Json(ModelList::new(vec![ModelCard::new(
		served.name.clone(),
		format!("ail2 model {}", served.model_id),
	)]))
}

/// A completion or chat completion: read, tokenised, served; counted by endpoint and status.
/// A body too large to read is refused in OpenAI's shape too.
async fn generate<G: GatewayKeys>(
	state: Arc<AppState<G>>,
	endpoint: Endpoint,
	headers: HeaderMap,
	body: Result<Bytes, BytesRejection>,
) -> Response {
	let result = async {
		let body = body.map_err(|rejection| {
			ApiError::unreadable_body(&rejection, state.limits.max_body_bytes)
		})?;
		let request = endpoint.parse(&body)?;
		let prompt = prompt_tokens(&state.served.model, request.input)?;
		let job = Job::new(endpoint, request.options, prompt, &state.limits, body.len());
		generation::serve(state.clone(), &headers, job).await
	}
	.await;
	let response = result.unwrap_or_else(IntoResponse::into_response);
	super::metrics::count_request(&state.metrics.requests, endpoint, response.status());
	response
}

/// The prompt's tokens: the text as given, or the messages in the model's chat template.
fn prompt_tokens(model: &TextModel, input: Input) -> Result<Vec<u32>, ApiError> {
	let prompt = match input {
		Input::Prompt(text) => text,
		Input::Messages(messages) => {
			let messages: Vec<ChatMessage> = messages.iter().map(ChatMessage::from).collect();
			model.chat_prompt(&messages).map_err(ApiError::internal)?
		},
	};
	model.encode(&prompt).map_err(ApiError::internal)
}
