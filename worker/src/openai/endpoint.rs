//! The two generation endpoints: where each is served and how its request body is read.

use serde_json::Value;

use super::{request::Fields, ApiError, ChatMessageIn, GenerationOptions};

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
	/// A completion's one prompt.
	Prompt(String),
	/// Never empty; each content as text.
	Messages(Vec<ChatMessageIn>),
}

/// A request body after parsing, whichever the endpoint.
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

	/// Reads a request body of this endpoint, refusing what OpenAI would refuse and what
	/// AIL2 does not implement (see [`request`](super::request)). The worker and the gateway
	/// (which forwards the body unchanged) refuse the same bodies with the same errors.
	pub fn parse(self, body: &[u8]) -> Result<GenerationBody, ApiError> {
		let body: Value = serde_json::from_slice(body).map_err(|e| {
			ApiError::bad_request(
				"invalid_json",
				format!("the request body is not valid JSON: {e}"),
			)
		})?;
		let fields = Fields::new(&body)?;
		let options = fields.options(self)?;
		let input = match self {
			Self::Completions => Input::Prompt(fields.prompt()?),
			Self::ChatCompletions => Input::Messages(fields.messages()?),
		};
		Ok(GenerationBody { input, options })
	}
}
