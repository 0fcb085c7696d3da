//! The OpenAI-compatible request and response bodies the worker (and gateway) speak.

use ail2_model::ChatMessage;
use axum::{
	http::StatusCode,
	response::{IntoResponse, Response},
	Json,
};
use serde::{Deserialize, Serialize};

/// A prompt: one string or, as OpenAI allows, a list of which only single-element lists are
/// served.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Prompt {
	One(String),
	Many(Vec<String>),
}

/// What completions and chat completions share: the model and how to generate.
#[derive(Debug, Deserialize)]
pub struct GenerationOptions {
	pub model: String,
	#[serde(default, alias = "max_completion_tokens")]
	pub max_tokens: Option<u32>,
	#[serde(default)]
	pub temperature: Option<f32>,
	#[serde(default)]
	pub top_p: Option<f32>,
	#[serde(default)]
	pub seed: Option<u64>,
	#[serde(default)]
	pub stream: bool,
	#[serde(default)]
	pub stop: Option<Stop>,
}

#[derive(Debug, Deserialize)]
pub struct CompletionRequest {
	pub prompt: Prompt,
	#[serde(flatten)]
	pub options: GenerationOptions,
}

#[derive(Debug, Deserialize)]
pub struct ChatRequest {
	pub messages: Vec<ChatMessageIn>,
	#[serde(flatten)]
	pub options: GenerationOptions,
}

#[derive(Debug, Deserialize)]
pub struct ChatMessageIn {
	pub role: String,
	pub content: String,
}

impl From<&ChatMessageIn> for ChatMessage {
	fn from(message: &ChatMessageIn) -> Self {
		ChatMessage { role: message.role.clone(), content: message.content.clone() }
	}
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Stop {
	One(String),
	Many(Vec<String>),
}

impl Stop {
	pub fn into_vec(self) -> Vec<String> {
		match self {
			Self::One(s) => vec![s],
			Self::Many(v) => v,
		}
	}
}

#[derive(Debug, Serialize)]
pub struct Usage {
	pub prompt_tokens: u32,
	pub completion_tokens: u32,
	pub total_tokens: u32,
}

/// The signed receipt returned with every billed answer.
#[derive(Clone, Debug, Serialize)]
pub struct ReceiptOut {
	/// `0x` + SCALE of the `SignedReceipt`, exactly what goes into the batch.
	pub scale: String,
	/// `0x` + keccak256 of the receipt.
	pub id: String,
	pub counter: u64,
	/// Price in the smallest unit, as a decimal string (u128).
	pub price: String,
}

#[derive(Debug, Serialize)]
pub struct ModelList {
	pub object: &'static str,
	pub data: Vec<ModelCard>,
}

#[derive(Debug, Serialize)]
pub struct ModelCard {
	pub id: String,
	pub object: &'static str,
	pub created: u64,
	pub owned_by: String,
}

/// An error in OpenAI's shape: `{"error": {"message", "type", "code"}}`.
#[derive(Debug)]
pub struct ApiError {
	pub status: StatusCode,
	pub kind: &'static str,
	pub code: &'static str,
	pub message: String,
}

impl ApiError {
	pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
		let kind = match status {
			StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => "authentication_error",
			StatusCode::TOO_MANY_REQUESTS => "rate_limit_error",
			StatusCode::PAYMENT_REQUIRED => "insufficient_quota",
			s if s.is_server_error() => "server_error",
			_ => "invalid_request_error",
		};
		Self { status, kind, code, message: message.into() }
	}

	pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
		Self::new(StatusCode::BAD_REQUEST, code, message)
	}
}

impl IntoResponse for ApiError {
	fn into_response(self) -> Response {
		let body = serde_json::json!({
			"error": { "message": self.message, "type": self.kind, "code": self.code }
		});
		(self.status, Json(body)).into_response()
	}
}
