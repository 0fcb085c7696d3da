//! The answers of the generation endpoints: the whole answer to a request that did not
//! stream, or the chunks of a streamed one, the last of which carries the usage and the
//! receipt.

use ail2_model::{FinishReason, Generation};
use serde_json::{json, Value};

use super::{Endpoint, ReceiptOut, Usage};
use crate::clock;

/// What every answer and chunk of one response repeats: its endpoint, id and model.
#[derive(Clone, Debug)]
pub struct Reply {
	endpoint: Endpoint,
	id: String,
	model: String,
}

impl Reply {
	pub fn new(endpoint: Endpoint, id: String, model: String) -> Self {
		Self { endpoint, id, model }
	}

	/// The whole answer to a request that did not stream.
	pub fn answer(&self, generation: &Generation, receipt: &ReceiptOut) -> Value {
		let (object, choice) = match self.endpoint {
			Endpoint::Completions => (
				"text_completion",
				json!({
					"index": 0,
					"text": generation.text,
					"finish_reason": generation.finish_reason,
					"logprobs": null,
				}),
			),
			Endpoint::ChatCompletions => (
				"chat.completion",
				json!({
					"index": 0,
					"message": { "role": "assistant", "content": generation.text },
					"finish_reason": generation.finish_reason,
				}),
			),
		};
		billed(self.envelope(object, choice), generation, receipt)
	}

	/// A chunk of a streamed answer carrying the next `piece` of text.
	pub fn chunk(&self, piece: &str) -> Value {
		self.chunk_of(Some(piece), None)
	}

	/// The last chunk of a streamed answer: why it finished, its usage and its receipt.
	pub fn last_chunk(&self, generation: &Generation, receipt: &ReceiptOut) -> Value {
		billed(self.chunk_of(None, Some(generation.finish_reason)), generation, receipt)
	}

	fn chunk_of(&self, piece: Option<&str>, finish: Option<FinishReason>) -> Value {
		let (object, choice) = match self.endpoint {
			Endpoint::Completions => (
				"text_completion",
				json!({ "index": 0, "text": piece.unwrap_or_default(), "finish_reason": finish }),
			),
			Endpoint::ChatCompletions => {
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
		self.envelope(object, choice)
	}

	/// `choice` in what every answer and chunk carries around it.
	fn envelope(&self, object: &str, choice: Value) -> Value {
		json!({
			"id": self.id,
			"object": object,
			"created": clock::unix_ms() / 1000,
			"model": self.model,
			"choices": [choice],
		})
	}
}

/// `body` with what was billed: the generation's usage and the receipt.
fn billed(mut body: Value, generation: &Generation, receipt: &ReceiptOut) -> Value {
	body["usage"] = json!(Usage::of(generation));
	body["receipt"] = json!(receipt);
	body
}
