//! The request and response bodies of the OpenAI-compatible API.

use ail2_model::{ChatMessage, Generation};
use ail2_primitives::receipt::SignedReceipt;
use codec::Encode;
use serde::Serialize;
use serde_json::Value;

/// What completions and chat completions share: the model and how to generate, as read and
/// checked by [`Endpoint::parse`](super::Endpoint::parse).
#[derive(Debug)]
pub struct GenerationOptions {
	pub model: String,
	/// `max_tokens` or `max_completion_tokens`: at least 1.
	pub max_tokens: Option<u32>,
	/// From 0 to 2.
	pub temperature: Option<f32>,
	/// Above 0 and at most 1.
	pub top_p: Option<f32>,
	pub seed: Option<u64>,
	pub stream: bool,
	/// At most four, none empty.
	pub stop: Vec<String>,
}

/// A chat message of a request, its content as text.
#[derive(Debug)]
pub struct ChatMessageIn {
	/// `system`, `developer`, `user`, `assistant` or `tool`.
	pub role: String,
	pub content: String,
}

impl From<&ChatMessageIn> for ChatMessage {
	/// A `developer` message, OpenAI's newer name for a system message, reaches the model's
	/// chat template as `system`, the role chat templates know.
	fn from(message: &ChatMessageIn) -> Self {
		let role = if message.role == "developer" { "system" } else { message.role.as_str() };
		ChatMessage { role: role.to_owned(), content: message.content.clone() }
	}
}

/// The token counts of an answer (or of a stream's last chunk).
#[derive(Debug, Serialize)]
pub struct Usage {
	pub prompt_tokens: u32,
	pub completion_tokens: u32,
	pub total_tokens: u32,
}

impl Usage {
	pub fn of(generation: &Generation) -> Self {
		let prompt = u32::try_from(generation.prompt_tokens).unwrap_or(u32::MAX);
		let completion = u32::try_from(generation.tokens.len()).unwrap_or(u32::MAX);
		Self {
			prompt_tokens: prompt,
			completion_tokens: completion,
			total_tokens: prompt.saturating_add(completion),
		}
	}

	/// `(prompt_tokens, completion_tokens)` of the `usage` an answer (or a stream's last
	/// chunk) carries, if it carries one.
	pub fn in_answer(answer: &Value) -> Option<(u32, u32)> {
		let usage = answer.get("usage")?;
		let count = |field: &str| u32::try_from(usage.get(field)?.as_u64()?).ok();
		Some((count("prompt_tokens")?, count("completion_tokens")?))
	}
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
	/// `0x` + the receipt's commitment to its inference transcript.
	pub transcript: String,
}

impl From<&SignedReceipt> for ReceiptOut {
	fn from(signed: &SignedReceipt) -> Self {
		Self {
			scale: format!("0x{}", hex::encode(signed.encode())),
			id: format!("0x{}", hex::encode(signed.receipt.id())),
			counter: signed.receipt.counter,
			price: signed.receipt.price.to_string(),
			transcript: format!("0x{}", hex::encode(signed.receipt.transcript)),
		}
	}
}

/// The body of `GET /v1/models`.
#[derive(Debug, Serialize)]
pub struct ModelList {
	pub object: &'static str,
	pub data: Vec<ModelCard>,
}

impl ModelList {
	pub fn new(data: Vec<ModelCard>) -> Self {
		Self { object: "list", data }
	}
}

/// One model of `GET /v1/models`.
#[derive(Debug, Serialize)]
pub struct ModelCard {
	pub id: String,
	pub object: &'static str,
	pub created: u64,
	pub owned_by: String,
}

impl ModelCard {
	pub fn new(id: String, owned_by: String) -> Self {
		Self { id, object: "model", created: 0, owned_by }
	}
}
