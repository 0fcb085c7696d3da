//! Request bodies that the worker (`serve.rs`) and the gateway (`gateway.rs`) must both take
//! or refuse alike: every refused value with the `param` its 400 must name, and bodies with
//! every accepted value of the fields that are checked.

use serde_json::{json, Value};

pub const CHAT: &str = "/v1/chat/completions";
pub const COMPLETIONS: &str = "/v1/completions";

/// `base` with `patch`'s fields set (replacing any of the same name).
fn patched(mut base: Value, patch: Value) -> String {
	if let (Some(base), Value::Object(patch)) = (base.as_object_mut(), patch) {
		base.extend(patch);
	}
	base.to_string()
}

/// A chat completion of "Hello!", greedy and four tokens long, with `patch`'s fields set.
pub fn chat(patch: Value) -> String {
	patched(
		json!({
			"model": "tiny",
			"messages": [{ "role": "user", "content": "Hello!" }],
			"max_tokens": 4,
			"temperature": 0,
		}),
		patch,
	)
}

/// A completion of "Once upon a time", greedy and four tokens long, with `patch`'s fields set.
pub fn completion(patch: Value) -> String {
	patched(
		json!({ "model": "tiny", "prompt": "Once upon a time", "max_tokens": 4, "temperature": 0 }),
		patch,
	)
}

/// A body that must be refused with a 400 naming `param`.
pub struct Refused {
	pub path: &'static str,
	pub body: String,
	pub param: &'static str,
}

fn chat_refused(patch: Value, param: &'static str) -> Refused {
	Refused { path: CHAT, body: chat(patch), param }
}

fn completion_refused(patch: Value, param: &'static str) -> Refused {
	Refused { path: COMPLETIONS, body: completion(patch), param }
}

/// Every value out of OpenAI's range, and every field AIL2 does not implement, on each
/// endpoint that defines it.
pub fn refused() -> Vec<Refused> {
	let image =
		json!({ "type": "image_url", "image_url": { "url": "https://example.invalid/a.png" } });
	let audio =
		json!({ "type": "input_audio", "input_audio": { "data": "AAAA", "format": "wav" } });
	let file = json!({ "type": "file", "file": { "file_id": "file-1" } });
	let tool = json!([{ "type": "function", "function": { "name": "now", "parameters": {} } }]);
	vec![
		chat_refused(json!({ "temperature": -1 }), "temperature"),
		chat_refused(json!({ "temperature": 2.5 }), "temperature"),
		chat_refused(json!({ "temperature": 1e9 }), "temperature"),
		chat_refused(json!({ "top_p": 0 }), "top_p"),
		chat_refused(json!({ "top_p": 1.5 }), "top_p"),
		chat_refused(json!({ "max_tokens": 0 }), "max_tokens"),
		chat_refused(json!({ "max_tokens": -1 }), "max_tokens"),
		chat_refused(
			json!({ "max_tokens": null, "max_completion_tokens": 0 }),
			"max_completion_tokens",
		),
		chat_refused(
			json!({ "messages": [{ "role": "wizard", "content": "Hello!" }] }),
			"messages[0].role",
		),
		chat_refused(json!({ "stop": ["a", "b", "c", "d", "e"] }), "stop"),
		chat_refused(json!({ "seed": 1.5 }), "seed"),
		chat_refused(json!({ "seed": "42" }), "seed"),
		chat_refused(json!({ "n": 2 }), "n"),
		chat_refused(json!({ "tools": tool }), "tools"),
		chat_refused(json!({ "tool_choice": "auto" }), "tool_choice"),
		chat_refused(json!({ "parallel_tool_calls": true }), "parallel_tool_calls"),
		chat_refused(json!({ "functions": [{ "name": "now", "parameters": {} }] }), "functions"),
		chat_refused(json!({ "function_call": "auto" }), "function_call"),
		chat_refused(json!({ "response_format": { "type": "json_object" } }), "response_format"),
		chat_refused(
			json!({ "response_format": { "type": "json_schema", "json_schema": { "name": "x" } } }),
			"response_format",
		),
		chat_refused(json!({ "logit_bias": { "42": -100 } }), "logit_bias"),
		chat_refused(json!({ "presence_penalty": 0.5 }), "presence_penalty"),
		chat_refused(json!({ "frequency_penalty": 0.5 }), "frequency_penalty"),
		chat_refused(json!({ "logprobs": true }), "logprobs"),
		chat_refused(json!({ "top_logprobs": 2 }), "top_logprobs"),
		chat_refused(json!({ "audio": { "voice": "alloy", "format": "wav" } }), "audio"),
		chat_refused(json!({ "modalities": ["text", "audio"] }), "modalities"),
		chat_refused(json!({ "prediction": { "type": "content", "content": "Hi" } }), "prediction"),
		chat_refused(
			json!({ "messages": [{ "role": "user", "content": [{ "type": "text", "text": "Look:" }, image] }] }),
			"messages[0].content",
		),
		chat_refused(
			json!({ "messages": [
				{ "role": "system", "content": "Listen." },
				{ "role": "user", "content": [audio] },
			] }),
			"messages[1].content",
		),
		chat_refused(
			json!({ "messages": [{ "role": "user", "content": [file] }] }),
			"messages[0].content",
		),
		completion_refused(json!({ "temperature": 3 }), "temperature"),
		completion_refused(json!({ "top_p": 0 }), "top_p"),
		completion_refused(json!({ "max_tokens": 0 }), "max_tokens"),
		completion_refused(json!({ "stop": ["a", "b", "c", "d", "e"] }), "stop"),
		completion_refused(json!({ "seed": 0.5 }), "seed"),
		completion_refused(json!({ "n": 2 }), "n"),
		completion_refused(json!({ "best_of": 2 }), "best_of"),
		completion_refused(json!({ "echo": true }), "echo"),
		completion_refused(json!({ "suffix": " The end." }), "suffix"),
		completion_refused(json!({ "logprobs": 1 }), "logprobs"),
		completion_refused(json!({ "logit_bias": { "42": 5 } }), "logit_bias"),
		completion_refused(json!({ "presence_penalty": -0.5 }), "presence_penalty"),
		completion_refused(json!({ "frequency_penalty": 2 }), "frequency_penalty"),
		completion_refused(json!({ "prompt": [1, 2, 3] }), "prompt"),
	]
}

/// Bodies that must be served: each checked field at the ends of its range, at the value
/// that asks for nothing, or `null`; content parts; every role; an unknown field.
pub fn accepted() -> Vec<(&'static str, String)> {
	vec![
		(CHAT, chat(json!({ "temperature": 2, "seed": 1 }))),
		(CHAT, chat(json!({ "temperature": 1, "top_p": 1, "seed": 2 }))),
		(CHAT, chat(json!({ "temperature": 1, "top_p": 0.01, "seed": 3 }))),
		(CHAT, chat(json!({ "max_tokens": 1 }))),
		(CHAT, chat(json!({ "max_tokens": null, "max_completion_tokens": 2 }))),
		(CHAT, chat(json!({ "stop": ["\n\n", "###", "User:", "</s>"] }))),
		(CHAT, chat(json!({ "stop": "\n" }))),
		(CHAT, chat(json!({ "seed": -5, "temperature": 1 }))),
		(
			CHAT,
			chat(json!({
				"n": 1, "response_format": { "type": "text" }, "logit_bias": {},
				"presence_penalty": 0, "frequency_penalty": 0, "logprobs": false,
				"modalities": ["text"], "tool_choice": "none",
			})),
		),
		(
			CHAT,
			chat(json!({
				"n": null, "tools": null, "top_logprobs": null, "audio": null, "seed": null,
				"user": "someone", "metadata": { "app": "test" }, "store": false,
				"stream_options": { "include_usage": true }, "an_unknown_field": [1, 2, 3],
			})),
		),
		(
			CHAT,
			chat(json!({ "messages": [
				{ "role": "system", "content": "Be brief." },
				{ "role": "developer", "content": [{ "type": "text", "text": "Be kind." }] },
				{ "role": "user", "content": [{ "type": "text", "text": "Hello" }, { "type": "text", "text": "!" }] },
				{ "role": "assistant", "content": "Hi." },
				{ "role": "tool", "content": "42", "tool_call_id": "call-1" },
				{ "role": "user", "content": "Again?", "name": "dave" },
			] })),
		),
		(COMPLETIONS, completion(json!({ "prompt": ["Once upon a time"] }))),
		(COMPLETIONS, completion(json!({ "n": 1, "best_of": 1, "echo": false, "suffix": null }))),
		(
			COMPLETIONS,
			completion(json!({ "logprobs": null, "logit_bias": {}, "presence_penalty": 0 })),
		),
		(COMPLETIONS, completion(json!({ "max_tokens": 1, "stop": ["a", "b", "c", "d"] }))),
	]
}

/// The same chat, its message content as one string and as text parts that make it.
pub fn string_and_parts() -> (String, String) {
	let sampled = json!({ "temperature": 1, "seed": 11, "max_tokens": 16 });
	let mut string = sampled.clone();
	string["messages"] = json!([
		{ "role": "system", "content": "You are terse." },
		{ "role": "user", "content": "Tell me about the sea." },
	]);
	let mut parts = sampled;
	parts["messages"] = json!([
		{ "role": "system", "content": [{ "type": "text", "text": "You are terse." }] },
		{ "role": "user", "content": [
			{ "type": "text", "text": "Tell me " },
			{ "type": "text", "text": "about " },
			{ "type": "text", "text": "the sea." },
		] },
	]);
	(chat(string), chat(parts))
}
