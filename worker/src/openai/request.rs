//! Reading a generation request body field by field, as OpenAI validates it.
//!
//! Every field OpenAI defines for the endpoint is either read and honoured, accepted only at
//! the value that asks for nothing (`n: 1`, `presence_penalty: 0`, `response_format:
//! {"type": "text"}`, …), or refused with a 400 whose `param` names it: a client never gets
//! something other than what it asked for without an error. `null` reads as absent, as
//! OpenAI reads it; fields OpenAI does not define are ignored, as OpenAI ignores them.
//! Nothing here depends on the model, so the gateway refuses exactly what the worker would,
//! before anything is authorised or billed.

use serde_json::{Map, Value};

use super::{ApiError, ChatMessageIn, Endpoint, GenerationOptions};

/// The roles a chat message may have.
const ROLES: [&str; 5] = ["system", "developer", "user", "assistant", "tool"];

/// The most stop sequences a request may have.
const MAX_STOP: usize = 4;

/// What a field AIL2 does not implement is accepted at, besides absent or `null`.
enum Accepts {
	/// No value: the field asks for something whatever it says.
	Nothing,
	/// The one value that asks for nothing, as the refusal writes it, and its test.
	Only(&'static str, fn(&Value) -> bool),
}

/// A request field AIL2 does not implement, and why it is refused.
struct Unimplemented {
	name: &'static str,
	accepts: Accepts,
	why: &'static str,
}

const ONE_CHOICE: &str = "AIL2 generates one choice per request; send n requests for n choices \
	(each is answered and billed with its own receipt)";
const NO_LOGPROBS: &str = "log-probabilities are not returned yet, so asking for them is refused \
	until they are";
const NO_TOOLS: &str = "tool and function calling are not implemented";
const NO_PENALTIES: &str = "repetition penalties are not implemented";
const TEXT_ONLY: &str = "AIL2's models take and produce text only";

/// The fields both endpoints define that AIL2 does not implement.
const UNIMPLEMENTED: &[Unimplemented] = &[
	Unimplemented { name: "n", accepts: Accepts::Only("1", is_one), why: ONE_CHOICE },
	Unimplemented {
		name: "logit_bias",
		accepts: Accepts::Only("{}", is_empty_object),
		why: "token biases are not implemented",
	},
	Unimplemented {
		name: "presence_penalty",
		accepts: Accepts::Only("0", is_zero),
		why: NO_PENALTIES,
	},
	Unimplemented {
		name: "frequency_penalty",
		accepts: Accepts::Only("0", is_zero),
		why: NO_PENALTIES,
	},
];

/// The chat completion fields AIL2 does not implement.
const CHAT_UNIMPLEMENTED: &[Unimplemented] = &[
	Unimplemented { name: "logprobs", accepts: Accepts::Only("false", is_false), why: NO_LOGPROBS },
	Unimplemented { name: "top_logprobs", accepts: Accepts::Nothing, why: NO_LOGPROBS },
	Unimplemented { name: "tools", accepts: Accepts::Nothing, why: NO_TOOLS },
	Unimplemented {
		name: "tool_choice",
		accepts: Accepts::Only("\"none\"", is_none_string),
		why: NO_TOOLS,
	},
	Unimplemented { name: "parallel_tool_calls", accepts: Accepts::Nothing, why: NO_TOOLS },
	Unimplemented { name: "functions", accepts: Accepts::Nothing, why: NO_TOOLS },
	Unimplemented {
		name: "function_call",
		accepts: Accepts::Only("\"none\"", is_none_string),
		why: NO_TOOLS,
	},
	Unimplemented {
		name: "response_format",
		accepts: Accepts::Only("{\"type\": \"text\"}", is_text_format),
		why: "JSON modes and structured outputs are not implemented",
	},
	Unimplemented { name: "audio", accepts: Accepts::Nothing, why: TEXT_ONLY },
	Unimplemented {
		name: "modalities",
		accepts: Accepts::Only("[\"text\"]", is_text_only),
		why: TEXT_ONLY,
	},
	Unimplemented {
		name: "prediction",
		accepts: Accepts::Nothing,
		why: "predicted outputs are not implemented",
	},
	Unimplemented {
		name: "web_search_options",
		accepts: Accepts::Nothing,
		why: "web search is not implemented",
	},
	Unimplemented {
		name: "reasoning_effort",
		accepts: Accepts::Only("\"none\"", is_none_string),
		why: "AIL2's models do not reason before they answer",
	},
	Unimplemented {
		name: "verbosity",
		accepts: Accepts::Only("\"medium\"", is_medium_string),
		why: "an answer's length is set by max_tokens only",
	},
];

/// The legacy completion fields AIL2 does not implement.
const COMPLETIONS_UNIMPLEMENTED: &[Unimplemented] = &[
	Unimplemented { name: "logprobs", accepts: Accepts::Nothing, why: NO_LOGPROBS },
	Unimplemented { name: "best_of", accepts: Accepts::Only("1", is_one), why: ONE_CHOICE },
	Unimplemented {
		name: "echo",
		accepts: Accepts::Only("false", is_false),
		why: "the prompt is not echoed",
	},
	Unimplemented {
		name: "suffix",
		accepts: Accepts::Only("\"\"", is_empty_string),
		why: "insertion (text after the completion) is not implemented",
	},
];

fn is_one(value: &Value) -> bool {
	value.as_u64() == Some(1)
}

fn is_zero(value: &Value) -> bool {
	value.as_f64() == Some(0.0)
}

fn is_false(value: &Value) -> bool {
	value.as_bool() == Some(false)
}

fn is_empty_object(value: &Value) -> bool {
	value.as_object().is_some_and(Map::is_empty)
}

fn is_empty_string(value: &Value) -> bool {
	value.as_str() == Some("")
}

fn is_none_string(value: &Value) -> bool {
	value.as_str() == Some("none")
}

fn is_medium_string(value: &Value) -> bool {
	value.as_str() == Some("medium")
}

fn is_text_format(value: &Value) -> bool {
	value.as_object().is_some_and(|format| {
		format.len() == 1 && format.get("type").and_then(Value::as_str) == Some("text")
	})
}

fn is_text_only(value: &Value) -> bool {
	matches!(value.as_array().map(Vec::as_slice), Some([Value::String(only)]) if only == "text")
}

/// The fields of a request body, a JSON object.
pub(super) struct Fields<'a>(&'a Map<String, Value>);

impl<'a> Fields<'a> {
	pub(super) fn new(body: &'a Value) -> Result<Self, ApiError> {
		body.as_object().map(Self).ok_or_else(|| {
			ApiError::bad_request("invalid_json", "the request body must be a JSON object")
		})
	}

	/// The field `name`, unless it is absent or `null`.
	fn get(&self, name: &str) -> Option<&'a Value> {
		self.0.get(name).filter(|value| !value.is_null())
	}

	/// What completions and chat completions share: the model and how to generate.
	pub(super) fn options(&self, endpoint: Endpoint) -> Result<GenerationOptions, ApiError> {
		let model = match self.get("model") {
			Some(Value::String(model)) => model.clone(),
			Some(_) => return Err(invalid_type("model", "a string")),
			None => return Err(missing("model")),
		};
		let max_tokens = match (self.tokens("max_tokens")?, self.tokens("max_completion_tokens")?) {
			(Some(_), Some(_)) => {
				return Err(invalid_value(
					"max_tokens",
					"send `max_tokens` or `max_completion_tokens`, not both",
				))
			},
			(one, other) => one.or(other),
		};
		let temperature =
			self.number("temperature", |t| (0.0..=2.0).contains(&t), "from 0 to 2")?;
		let top_p = self.number("top_p", |p| p > 0.0 && p <= 1.0, "above 0 and at most 1")?;
		let options = GenerationOptions {
			model,
			max_tokens,
			// Both in range, so exact enough as f32.
			temperature: temperature.map(|t| t as f32),
			top_p: top_p.map(|p| p as f32),
			seed: self.seed()?,
			stream: self.boolean("stream")?.unwrap_or(false),
			stop: self.stop()?,
		};
		let own = match endpoint {
			Endpoint::Completions => COMPLETIONS_UNIMPLEMENTED,
			Endpoint::ChatCompletions => CHAT_UNIMPLEMENTED,
		};
		for field in UNIMPLEMENTED.iter().chain(own) {
			self.refuse(field)?;
		}
		Ok(options)
	}

	/// The prompt of a completion: one string, or a list of exactly one.
	pub(super) fn prompt(&self) -> Result<String, ApiError> {
		let list = match self.get("prompt") {
			Some(Value::String(text)) => return Ok(text.clone()),
			Some(Value::Array(list)) => list,
			Some(_) => return Err(invalid_type("prompt", "a string")),
			None => return Err(missing("prompt")),
		};
		match list.as_slice() {
			[Value::String(text)] => Ok(text.clone()),
			_ if list.iter().all(Value::is_string) => Err(ApiError::invalid_param(
				"unsupported_prompt",
				"prompt",
				"send one prompt per request",
			)),
			_ => Err(ApiError::invalid_param(
				"unsupported_value",
				"prompt",
				"send the prompt as text; prompts of token ids are not supported",
			)),
		}
	}

	/// The messages of a chat completion, each content as text; never empty.
	pub(super) fn messages(&self) -> Result<Vec<ChatMessageIn>, ApiError> {
		let list = match self.get("messages") {
			Some(Value::Array(list)) => list,
			Some(_) => return Err(invalid_type("messages", "an array of messages")),
			None => return Err(missing("messages")),
		};
		if list.is_empty() {
			return Err(ApiError::invalid_param(
				"invalid_messages",
				"messages",
				"messages must not be empty",
			));
		}
		list.iter().enumerate().map(|(index, message)| read_message(index, message)).collect()
	}

	/// Refuses `field` unless it is absent or at the value that asks for nothing.
	fn refuse(&self, field: &Unimplemented) -> Result<(), ApiError> {
		let Some(value) = self.get(field.name) else {
			return Ok(());
		};
		let name = field.name;
		match field.accepts {
			Accepts::Only(_, neutral) if neutral(value) => Ok(()),
			Accepts::Only(accepted, _) => Err(ApiError::invalid_param(
				"unsupported_value",
				name,
				format!("`{name}` other than {accepted} is not supported: {}", field.why),
			)),
			Accepts::Nothing => Err(ApiError::invalid_param(
				"unsupported_parameter",
				name,
				format!("`{name}` is not supported: {}", field.why),
			)),
		}
	}

	/// A number that must satisfy `valid`, which `range` says in words.
	fn number(
		&self,
		name: &str,
		valid: impl Fn(f64) -> bool,
		range: &str,
	) -> Result<Option<f64>, ApiError> {
		let Some(value) = self.get(name) else {
			return Ok(None);
		};
		let number = value.as_f64().ok_or_else(|| invalid_type(name, "a number"))?;
		if !valid(number) {
			return Err(invalid_value(name, format!("`{name}` must be {range}; got {number}")));
		}
		Ok(Some(number))
	}

	/// A count of tokens: an integer from 1.
	fn tokens(&self, name: &str) -> Result<Option<u32>, ApiError> {
		let Some(value) = self.get(name) else {
			return Ok(None);
		};
		if let Some(negative) = value.as_i64().filter(|n| *n < 1) {
			return Err(invalid_value(
				name,
				format!("`{name}` must be at least 1; got {negative}"),
			));
		}
		let count = value.as_u64().ok_or_else(|| invalid_type(name, "an integer"))?;
		u32::try_from(count).map(Some).map_err(|_| {
			invalid_value(name, format!("`{name}` must be at most {}; got {count}", u32::MAX))
		})
	}

	/// Any 64-bit integer, as OpenAI takes it; a negative one seeds the random stream with
	/// its two's-complement bits.
	fn seed(&self) -> Result<Option<u64>, ApiError> {
		let Some(value) = self.get("seed") else {
			return Ok(None);
		};
		value
			.as_u64()
			.or_else(|| value.as_i64().map(|seed| seed as u64))
			.map(Some)
			.ok_or_else(|| invalid_type("seed", "an integer"))
	}

	fn boolean(&self, name: &str) -> Result<Option<bool>, ApiError> {
		let Some(value) = self.get(name) else {
			return Ok(None);
		};
		value.as_bool().map(Some).ok_or_else(|| invalid_type(name, "true or false"))
	}

	/// Up to [`MAX_STOP`] sequences, none of them empty.
	fn stop(&self) -> Result<Vec<String>, ApiError> {
		let expected = "a string or an array of strings";
		let sequences: Vec<String> = match self.get("stop") {
			None => return Ok(Vec::new()),
			Some(Value::String(one)) => vec![one.clone()],
			Some(Value::Array(many)) => many
				.iter()
				.map(|sequence| sequence.as_str().map(str::to_owned))
				.collect::<Option<_>>()
				.ok_or_else(|| invalid_type("stop", expected))?,
			Some(_) => return Err(invalid_type("stop", expected)),
		};
		if sequences.len() > MAX_STOP {
			return Err(invalid_value(
				"stop",
				format!("`stop` takes at most {MAX_STOP} sequences; got {}", sequences.len()),
			));
		}
		if sequences.iter().any(String::is_empty) {
			return Err(invalid_value("stop", "a stop sequence must not be empty"));
		}
		Ok(sequences)
	}
}

/// `messages[index]`: a known role and content as text.
fn read_message(index: usize, message: &Value) -> Result<ChatMessageIn, ApiError> {
	let at = format!("messages[{index}]");
	let Some(fields) = message.as_object() else {
		return Err(invalid_type(&at, "an object with a role and content"));
	};
	let role_param = format!("{at}.role");
	let role = match fields.get("role") {
		Some(Value::String(role)) => role,
		Some(_) => return Err(invalid_type(&role_param, "a string")),
		None => return Err(missing(&role_param)),
	};
	if !ROLES.contains(&role.as_str()) {
		return Err(invalid_value(
			&role_param,
			format!("`{role}` is not a role; use one of {}", ROLES.join(", ")),
		));
	}
	let content = read_content(&format!("{at}.content"), fields.get("content"))?;
	Ok(ChatMessageIn { role: role.clone(), content })
}

/// A message's content as text: a string, or an array of text parts joined in order, with
/// nothing between them (so the parts of a string read exactly as the string does).
fn read_content(param: &str, content: Option<&Value>) -> Result<String, ApiError> {
	match content {
		Some(Value::String(text)) => Ok(text.clone()),
		Some(Value::Array(parts)) => parts.iter().map(|part| text_part(param, part)).collect(),
		Some(_) => Err(invalid_type(param, "a string or an array of content parts")),
		None => Err(missing(param)),
	}
}

/// The text of a content part, which must be a `text` part.
fn text_part<'a>(param: &str, part: &'a Value) -> Result<&'a str, ApiError> {
	let Some(kind) = part.get("type").and_then(Value::as_str) else {
		return Err(invalid_type(param, "an array of content parts, each with a string `type`"));
	};
	if kind != "text" {
		return Err(ApiError::invalid_param(
			"unsupported_value",
			param,
			format!(
				"content parts of type `{kind}` are not supported: {TEXT_ONLY}; send `text` parts"
			),
		));
	}
	part.get("text").and_then(Value::as_str).ok_or_else(|| {
		invalid_type(param, "an array of content parts; a `text` part's `text` a string")
	})
}

fn invalid_type(param: &str, expected: &str) -> ApiError {
	ApiError::invalid_param("invalid_type", param, format!("`{param}` must be {expected}"))
}

fn invalid_value(param: &str, message: impl Into<String>) -> ApiError {
	ApiError::invalid_param("invalid_value", param, message)
}

fn missing(param: &str) -> ApiError {
	ApiError::invalid_param("missing_required_parameter", param, format!("`{param}` is required"))
}

#[cfg(test)]
mod tests {
	use ail2_model::ChatMessage;
	use serde_json::json;

	use super::*;
	use crate::openai::{GenerationBody, Input};

	fn chat(patch: Value) -> Value {
		let mut body = json!({
			"model": "tiny",
			"messages": [{ "role": "user", "content": "Hello!" }],
		});
		if let (Some(body), Value::Object(patch)) = (body.as_object_mut(), patch) {
			body.extend(patch);
		}
		body
	}

	fn completion(patch: Value) -> Value {
		let mut body = json!({ "model": "tiny", "prompt": "Once" });
		if let (Some(body), Value::Object(patch)) = (body.as_object_mut(), patch) {
			body.extend(patch);
		}
		body
	}

	fn parse(endpoint: Endpoint, body: &Value) -> Result<GenerationBody, ApiError> {
		endpoint.parse(body.to_string().as_bytes())
	}

	/// The `param` and `code` of the refusal of `body`.
	fn refusal(endpoint: Endpoint, body: &Value) -> (String, &'static str) {
		let error = parse(endpoint, body).expect_err(&body.to_string());
		assert_eq!(error.status, axum::http::StatusCode::BAD_REQUEST, "{body}");
		assert_eq!(error.kind, "invalid_request_error");
		(error.param.unwrap_or_default(), error.code)
	}

	fn messages(body: &Value) -> Vec<ChatMessageIn> {
		match parse(Endpoint::ChatCompletions, body).unwrap().input {
			Input::Messages(messages) => messages,
			Input::Prompt(_) => unreachable!("a chat body has messages"),
		}
	}

	#[test]
	fn text_parts_read_exactly_as_the_string_they_make() {
		let parts = chat(json!({ "messages": [
			{ "role": "system", "content": [{ "type": "text", "text": "Be " }, { "type": "text", "text": "brief." }] },
			{ "role": "user", "content": [{ "type": "text", "text": "Hello!" }] },
			{ "role": "assistant", "content": [] },
		] }));
		let read = messages(&parts);
		assert_eq!(read[0].content, "Be brief.");
		assert_eq!(read[1].content, "Hello!");
		assert_eq!(read[2].content, "");
	}

	#[test]
	fn a_part_that_is_not_text_is_refused_by_its_type_at_its_message() {
		for kind in ["image_url", "input_audio", "file", "refusal"] {
			let body = chat(json!({ "messages": [
				{ "role": "user", "content": "Hi" },
				{ "role": "user", "content": [{ "type": "text", "text": "see" }, { "type": kind }] },
			] }));
			let error = parse(Endpoint::ChatCompletions, &body).unwrap_err();
			assert_eq!(error.param.as_deref(), Some("messages[1].content"));
			assert_eq!(error.code, "unsupported_value");
			assert!(error.message.contains(&format!("`{kind}`")), "{}", error.message);
		}
		let untyped =
			chat(json!({ "messages": [{ "role": "user", "content": [{ "text": "x" }] }] }));
		assert_eq!(refusal(Endpoint::ChatCompletions, &untyped).0, "messages[0].content");
		let number = chat(json!({ "messages": [{ "role": "user", "content": 3 }] }));
		assert_eq!(refusal(Endpoint::ChatCompletions, &number).0, "messages[0].content");
	}

	#[test]
	fn the_five_roles_are_read_and_any_other_refused() {
		for role in ROLES {
			let body = chat(json!({ "messages": [{ "role": role, "content": "x" }] }));
			assert_eq!(messages(&body)[0].role, role);
		}
		let wizard = chat(json!({ "messages": [{ "role": "wizard", "content": "x" }] }));
		assert_eq!(
			refusal(Endpoint::ChatCompletions, &wizard),
			("messages[0].role".into(), "invalid_value")
		);
		let none = chat(json!({ "messages": [{ "content": "x" }] }));
		assert_eq!(refusal(Endpoint::ChatCompletions, &none).0, "messages[0].role");
		// A developer message reaches the chat template as the system message it stands for.
		let developer = chat(json!({ "messages": [{ "role": "developer", "content": "x" }] }));
		assert_eq!(ChatMessage::from(&messages(&developer)[0]).role, "system");
		let empty = chat(json!({ "messages": [] }));
		assert_eq!(
			refusal(Endpoint::ChatCompletions, &empty),
			("messages".into(), "invalid_messages")
		);
	}

	#[test]
	fn values_out_of_openai_s_ranges_are_refused_by_param() {
		let cases = [
			(json!({ "temperature": -1 }), "temperature"),
			(json!({ "temperature": 2.01 }), "temperature"),
			(json!({ "temperature": 1e9 }), "temperature"),
			(json!({ "temperature": "hot" }), "temperature"),
			(json!({ "top_p": 0 }), "top_p"),
			(json!({ "top_p": 1.5 }), "top_p"),
			(json!({ "top_p": -0.5 }), "top_p"),
			(json!({ "max_tokens": 0 }), "max_tokens"),
			(json!({ "max_tokens": -3 }), "max_tokens"),
			(json!({ "max_tokens": 2.5 }), "max_tokens"),
			(json!({ "max_tokens": 5_000_000_000u64 }), "max_tokens"),
			(json!({ "max_completion_tokens": 0 }), "max_completion_tokens"),
			(json!({ "max_tokens": 4, "max_completion_tokens": 4 }), "max_tokens"),
			(json!({ "stop": ["a", "b", "c", "d", "e"] }), "stop"),
			(json!({ "stop": [1] }), "stop"),
			(json!({ "stop": "" }), "stop"),
			(json!({ "seed": 1.5 }), "seed"),
			(json!({ "seed": "7" }), "seed"),
			(json!({ "stream": "yes" }), "stream"),
			(json!({ "model": 3 }), "model"),
		];
		for (patch, param) in cases {
			let body = chat(patch.clone());
			assert_eq!(refusal(Endpoint::ChatCompletions, &body).0, param, "{patch}");
			let body = completion(patch.clone());
			assert_eq!(refusal(Endpoint::Completions, &body).0, param, "{patch}");
		}
	}

	#[test]
	fn values_at_the_ends_of_the_ranges_are_read() {
		let body = chat(json!({
			"temperature": 2, "top_p": 1, "max_completion_tokens": 1, "seed": -1,
			"stop": ["a", "b", "c", "d"], "stream": true,
		}));
		let options = parse(Endpoint::ChatCompletions, &body).unwrap().options;
		assert_eq!(options.temperature, Some(2.0));
		assert_eq!(options.top_p, Some(1.0));
		assert_eq!(options.max_tokens, Some(1));
		assert_eq!(options.seed, Some(u64::MAX));
		assert_eq!(options.stop, ["a", "b", "c", "d"]);
		assert!(options.stream);
		let body =
			completion(json!({ "temperature": 0, "top_p": 0.01, "max_tokens": 7, "stop": "\n" }));
		let options = parse(Endpoint::Completions, &body).unwrap().options;
		assert_eq!(options.temperature, Some(0.0));
		assert_eq!(options.max_tokens, Some(7));
		assert_eq!(options.stop, ["\n"]);
	}

	#[test]
	fn null_reads_as_absent_and_unknown_fields_are_ignored() {
		let body = chat(json!({
			"temperature": null, "top_p": null, "max_tokens": null, "seed": null, "stop": null,
			"n": null, "tools": null, "logprobs": null, "response_format": null,
			"user": "someone", "metadata": { "a": "b" }, "store": false, "no_such_field": [1, 2],
			"stream_options": { "include_usage": true }, "service_tier": "auto",
		}));
		let options = parse(Endpoint::ChatCompletions, &body).unwrap().options;
		assert_eq!(options.temperature, None);
		assert_eq!(options.max_tokens, None);
		assert!(options.stop.is_empty());
	}

	#[test]
	fn unimplemented_fields_are_accepted_only_at_the_value_that_asks_for_nothing() {
		let neutral = chat(json!({
			"n": 1, "logit_bias": {}, "presence_penalty": 0, "frequency_penalty": 0.0,
			"logprobs": false, "tool_choice": "none", "function_call": "none",
			"response_format": { "type": "text" }, "modalities": ["text"],
			"reasoning_effort": "none", "verbosity": "medium",
		}));
		assert!(parse(Endpoint::ChatCompletions, &neutral).is_ok());
		let neutral = completion(json!({
			"n": 1, "best_of": 1, "echo": false, "suffix": "", "logit_bias": {},
			"presence_penalty": 0, "frequency_penalty": 0,
		}));
		assert!(parse(Endpoint::Completions, &neutral).is_ok());

		let value = "unsupported_value";
		let parameter = "unsupported_parameter";
		let chat_cases = [
			(json!({ "n": 2 }), "n", value),
			(json!({ "n": 0 }), "n", value),
			(json!({ "logit_bias": { "50256": -100 } }), "logit_bias", value),
			(json!({ "presence_penalty": 0.5 }), "presence_penalty", value),
			(json!({ "frequency_penalty": -1 }), "frequency_penalty", value),
			(json!({ "logprobs": true }), "logprobs", value),
			(json!({ "top_logprobs": 2 }), "top_logprobs", parameter),
			(
				json!({ "tools": [{ "type": "function", "function": { "name": "f" } }] }),
				"tools",
				parameter,
			),
			(json!({ "tool_choice": "auto" }), "tool_choice", value),
			(json!({ "parallel_tool_calls": true }), "parallel_tool_calls", parameter),
			(json!({ "functions": [{ "name": "f" }] }), "functions", parameter),
			(json!({ "function_call": "auto" }), "function_call", value),
			(json!({ "response_format": { "type": "json_object" } }), "response_format", value),
			(json!({ "audio": { "voice": "alloy", "format": "mp3" } }), "audio", parameter),
			(json!({ "modalities": ["text", "audio"] }), "modalities", value),
			(
				json!({ "prediction": { "type": "content", "content": "x" } }),
				"prediction",
				parameter,
			),
			(json!({ "web_search_options": {} }), "web_search_options", parameter),
			(json!({ "reasoning_effort": "high" }), "reasoning_effort", value),
			(json!({ "verbosity": "low" }), "verbosity", value),
		];
		for (patch, param, code) in chat_cases {
			let body = chat(patch.clone());
			assert_eq!(refusal(Endpoint::ChatCompletions, &body), (param.into(), code), "{patch}");
		}
		let error =
			parse(Endpoint::ChatCompletions, &chat(json!({ "logprobs": true }))).unwrap_err();
		assert!(error.message.contains("not returned yet"), "{}", error.message);

		let completion_cases = [
			(json!({ "n": 3 }), "n", value),
			(json!({ "best_of": 2 }), "best_of", value),
			(json!({ "echo": true }), "echo", value),
			(json!({ "suffix": "end" }), "suffix", value),
			(json!({ "logprobs": 2 }), "logprobs", parameter),
			(json!({ "logit_bias": { "1": 5 } }), "logit_bias", value),
			(json!({ "presence_penalty": 1 }), "presence_penalty", value),
		];
		for (patch, param, code) in completion_cases {
			let body = completion(patch.clone());
			assert_eq!(refusal(Endpoint::Completions, &body), (param.into(), code), "{patch}");
		}
		// Chat-only fields are not completion fields: ignored there, as OpenAI ignores them.
		assert!(parse(Endpoint::Completions, &completion(json!({ "tools": [1] }))).is_ok());
	}

	#[test]
	fn prompts_are_text_one_per_request() {
		let read = |body: &Value| match parse(Endpoint::Completions, body).map(|b| b.input) {
			Ok(Input::Prompt(text)) => Ok(text),
			Ok(Input::Messages(_)) => unreachable!("a completion body has a prompt"),
			Err(error) => Err((error.param.unwrap_or_default(), error.code)),
		};
		assert_eq!(read(&completion(json!({ "prompt": ["Once"] }))), Ok("Once".to_owned()));
		assert_eq!(
			read(&completion(json!({ "prompt": ["a", "b"] }))),
			Err(("prompt".to_owned(), "unsupported_prompt"))
		);
		assert_eq!(
			read(&completion(json!({ "prompt": [1, 2, 3] }))),
			Err(("prompt".to_owned(), "unsupported_value"))
		);
		assert_eq!(
			read(&json!({ "model": "tiny" })),
			Err(("prompt".to_owned(), "missing_required_parameter"))
		);
	}

	#[test]
	fn a_body_that_is_not_a_json_object_is_invalid_json() {
		for body in ["{\"model\":", "[1]", "\"text\"", ""] {
			let error = Endpoint::ChatCompletions.parse(body.as_bytes()).unwrap_err();
			assert_eq!(error.code, "invalid_json", "{body}");
		}
	}
}
