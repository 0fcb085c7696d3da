//! The two generation endpoints: where each is served, how its request body is read, and
//! the shapes of its answers.

use ail2_model::{FinishReason, Generation};
use serde_json::{json, Value};

use super::{ApiError, ChatMessageIn, ChatRequest, CompletionRequest, Prompt, ReceiptOut, Usage};
use crate::clock;

/// A generation endpoint of the OpenAI API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
	/// `POST /v1/completions`: a prompt in, text out.
	Completions,
	/// `POST /v1/chat/completions`: messages in, the assistant's message out.
	ChatCompletions,
}

/// What a request asks the model to continue.
#[derive(Debug)]
pub enum Input {
	Prompt(Prompt),
	/// Never empty.
	Messages(Vec<ChatMessageIn>),
}

/// A generation request body after parsing, whichever the endpoint.
#[derive(Debug)]
pub struct GenerationBody {
	pub input: Input,
	pub options: super::GenerationOptions,
}

impl Endpoint {
	pub const ALL: [Self; 2] = [Self::Completions, Self::ChatCompletions];

	pub const fn path(self) -> &'static str {
		match self {
			Self::Completions => "/v1/completions",
			Self::ChatCompletions => "/v1/chat/completions",
		}
	}

	/// The endpoint's name in metrics and logs.
	pub const fn label(self) -> &'static str {
		match self {
			Self::Completions => "completions",
			Self::ChatCompletions => "chat.completions",
		}
	}

	/// Reads a request body of this endpoint. The worker and the gateway (which forwards the
	/// body unchanged) refuse the same bodies with the same errors.
	pub fn parse(self, body: &[u8]) -> Result<GenerationBody, ApiError> {
		let invalid = |e: serde_json::Error| {
			ApiError::bad_request("invalid_json", format!("the request body is not valid: {e}"))
		};
		match self {
			Self::Completions => {
				let request: CompletionRequest = serde_json::from_slice(body).map_err(invalid)?;
				Ok(GenerationBody {
					input: Input::Prompt(request.prompt),
					options: request.options,
				})
			},
			Self::ChatCompletions => {
				let request: ChatRequest = serde_json::from_slice(body).map_err(invalid)?;
				if request.messages.is_empty() {
					return Err(ApiError::bad_request(
						"invalid_messages",
						"messages must not be empty",
					));
				}
				Ok(GenerationBody {
					input: Input::Messages(request.messages),
					options: request.options,
				})
			},
		}
	}

	/// The whole answer to a request that did not stream.
	pub fn answer(
		self,
		id: &str,
		model: &str,
		generation: &Generation,
		receipt: &ReceiptOut,
	) -> Value {
		let (object, choice) = match self {
			Self::Completions => (
				"text_completion",
				json!({
					"index": 0,
					"text": generation.text,
					"finish_reason": generation.finish_reason,
					"logprobs": null,
				}),
			),
			Self::ChatCompletions => (
				"chat.completion",
				json!({
					"index": 0,
					"message": { "role": "assistant", "content": generation.text },
					"finish_reason": generation.finish_reason,
				}),
			),
		};
		let mut answer = envelope(id, object, model, choice);
		answer["usage"] = json!(Usage::of(generation));
		answer["receipt"] = json!(receipt);
		answer
	}

	/// The last chunk of a streamed answer: why it finished, its usage and its receipt.
	pub fn last_chunk(
		self,
		id: &str,
		model: &str,
		generation: &Generation,
		receipt: &ReceiptOut,
	) -> Value {
		let mut chunk = self.chunk(id, model, None, Some(generation.finish_reason));
		chunk["usage"] = json!(Usage::of(generation));
		chunk["receipt"] = json!(receipt);
		chunk
	}

	/// One chunk of a streamed answer: a piece of text, or (with `finish`) the end.
	pub fn chunk(
		self,
		id: &str,
		model: &str,
		piece: Option<&str>,
		finish: Option<FinishReason>,
	) -> Value {
		let (object, choice) = match self {
			Self::Completions => (
				"text_completion",
				json!({ "index": 0, "text": piece.unwrap_or_default(), "finish_reason": finish }),
			),
			Self::ChatCompletions => {
				let delta = match piece {
					Some(text) => json!({ "role": "assistant", "content": text }),
					None => json!({}),
				};
				(
					"chat.completion.chunk",
					json!({ "index": 0, "delta": delta, "finish_reason": finish }),
				)
			},
		};
		envelope(id, object, model, choice)
	}
}

/// What every answer and chunk carries around its one choice.
fn envelope(id: &str, object: &str, model: &str, choice: Value) -> Value {
	json!({
		"id": id,
		"object": object,
		"created": clock::unix_ms() / 1000,
		"model": model,
		"choices": [choice],
	})
}
