//! Generation: a parsed request is checked against the served model and its limits,
//! authorised, priced, admitted, run on the blocking pool, and answered in one body or as a
//! stream of events that ends with the persisted receipt.

use std::{sync::Arc, time::Instant};

use ail2_model::{Generation, GenerationRequest, ModelError, SamplingParams};
use axum::{
	http::{HeaderMap, StatusCode},
	response::{IntoResponse, Response},
	Json,
};
use tokio::{sync::mpsc, task::JoinHandle};

use super::{
	admission::Slot,
	auth::{self, GatewayKeys},
	billing::{self, Billing},
	AppState, Limits, ServedModel,
};
use crate::openai::{sse, ApiError, Endpoint, GenerationOptions, Reply};

/// Text pieces generated but not yet sent; the model waits when the client lags this far.
const BUFFERED_PIECES: usize = 64;

/// A request after parsing, whatever the endpoint.
pub(super) struct Job {
	endpoint: Endpoint,
	model: String,
	prompt: Vec<u32>,
	max_tokens: u32,
	sampling: SamplingParams,
	stop: Vec<String>,
	stream: bool,
	bytes_in: u64,
}

impl Job {
	pub(super) fn new(
		endpoint: Endpoint,
		options: GenerationOptions,
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
			stop: options.stop,
			stream: options.stream,
			bytes_in: body_len as u64,
		}
	}

	/// Whether the served model can take this request at all: the model it names, a prompt
	/// that is not empty and fits the context.
	fn check(&self, served: &ServedModel, limits: &Limits) -> Result<(), ApiError> {
		if self.model != served.name {
			return Err(ApiError::new(
				StatusCode::NOT_FOUND,
				"model_not_found",
				format!("this worker serves `{}`", served.name),
			));
		}
		if self.prompt.is_empty() {
			return Err(ApiError::bad_request("empty_prompt", "the prompt is empty"));
		}
		let context = served.model.config.max_position_embeddings;
		if self.prompt.len() > limits.max_prompt_tokens || self.prompt.len() >= context {
			return Err(ApiError::bad_request(
				"context_length_exceeded",
				format!(
					"the prompt has {} tokens; this worker takes at most {}",
					self.prompt.len(),
					limits.max_prompt_tokens.min(context.saturating_sub(1))
				),
			));
		}
		Ok(())
	}
}

/// A generation and its time on the model in milliseconds, once the blocking task ends.
type Finished = JoinHandle<Result<(Generation, u64), ModelError>>;

/// Checks, authorises, admits, generates, bills; answers in one body or as a stream.
pub(super) async fn serve<G: GatewayKeys>(
	state: Arc<AppState<G>>,
	headers: &HeaderMap,
	job: Job,
) -> Result<Response, ApiError> {
	let served = state.served.clone();
	job.check(&served, &state.limits)?;
	let (authorisation, gateway_signature) = auth::authorise(&state, headers).await?;
	let reservation = billing::reserve(&state.store, &authorisation)?;
	let prompt_tokens = job.prompt.len() as u32;
	let max_tokens = billing::affordable_tokens(
		&served.policy,
		prompt_tokens,
		job.max_tokens,
		authorisation.max_price,
	);
	if max_tokens == 0 {
		return Err(ApiError::new(
			StatusCode::PAYMENT_REQUIRED,
			"price_above_authorised_cap",
			"the authorised max_price does not cover one completion token",
		));
	}
	let slot = state.admission.admit(&state.metrics).await?;

	let id = format!("cmpl-{}", hex::encode(&authorisation.route_id[..12]));
	let reply = Reply::new(job.endpoint, id, served.name.clone());
	let billing = Billing {
		state: state.clone(),
		authorisation,
		gateway_signature,
		bytes_in: job.bytes_in,
		reservation,
		prompt: job.prompt.clone(),
		max_tokens,
		sampling: job.sampling,
	};
	let request = GenerationRequest {
		prompt: job.prompt,
		max_tokens: max_tokens as usize,
		sampling: job.sampling,
		stop: job.stop,
	};
	if !job.stream {
		let (generation, gpu_ms) = finish(generate(state, slot, request, None)).await?;
		let receipt = billing.bill(&generation, gpu_ms).await?;
		return Ok(Json(reply.answer(&generation, &receipt)).into_response());
	}
	let (pieces, pieces_out) = mpsc::channel(BUFFERED_PIECES);
	let generation = generate(state, slot, request, Some(pieces));
	Ok(stream(reply, pieces_out, generation, billing))
}

/// Runs the model on the blocking pool, holding `slot` until it ends; each piece of text
/// goes to `pieces` as it is generated, and the model stops when nobody reads them.
fn generate<G: GatewayKeys>(
	state: Arc<AppState<G>>,
	slot: Slot,
	request: GenerationRequest,
	pieces: Option<mpsc::Sender<String>>,
) -> Finished {
	tokio::task::spawn_blocking(move || {
		let _slot = slot;
		state.metrics.running.inc();
		let started = Instant::now();
		let result = state.served.model.generate(&request, |piece| {
			pieces.as_ref().is_none_or(|pieces| pieces.blocking_send(piece.to_owned()).is_ok())
		});
		state.metrics.running.dec();
		let elapsed = started.elapsed();
		state.metrics.inference_seconds.observe(elapsed.as_secs_f64());
		result.map(|generation| (generation, elapsed.as_millis() as u64))
	})
}

async fn finish(generation: Finished) -> Result<(Generation, u64), ApiError> {
	generation.await.map_err(ApiError::internal)?.map_err(ApiError::internal)
}

/// The streamed answer: each piece as it comes, then the last chunk with the receipt
/// (persisted first) or the error, then `[DONE]`.
fn stream<G: GatewayKeys>(
	reply: Reply,
	mut pieces: mpsc::Receiver<String>,
	generation: Finished,
	billing: Billing<G>,
) -> Response {
	let (events, response) = sse::stream();
	// Not tied to the response: a client that goes away stops the generation, but what was
	// generated is still billed.
	tokio::spawn(async move {
		while let Some(piece) = pieces.recv().await {
			if events.send(reply.chunk(&piece).to_string()).await.is_err() {
				break;
			}
		}
		// A client that went away stops the generation: its next piece finds no reader.
		drop(pieces);
		let last = match finish(generation).await {
			Ok((generation, gpu_ms)) => match billing.bill(&generation, gpu_ms).await {
				Ok(receipt) => reply.last_chunk(&generation, &receipt),
				Err(error) => error.body(),
			},
			Err(error) => error.body(),
		};
		// The client may have gone: then there is nobody to tell.
		if events.send(last.to_string()).await.is_ok() {
			events.send(sse::DONE).await.ok();
		}
	});
	response
}
