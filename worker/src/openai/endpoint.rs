//! The two generation endpoints: where each is served and how its request body is read.

use super::{ApiError, ChatMessageIn, ChatRequest, CompletionRequest, GenerationOptions, Prompt};

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
	pub options: GenerationOptions,
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
}
