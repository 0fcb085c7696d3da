//! A model folder loaded for serving: weights, tokenizer, chat template and the generation
//! loop.

use std::path::Path;

use serde::Serialize;
use tokenizers::Tokenizer;

use crate::{
	sampling::{logprob_micro_nats, Sampler},
	Device, KvCache, Llama, LlamaConfig, Logits, ModelError, SamplingParams, Weights,
};

/// Used when the folder has no `tokenizer_config.json` chat template.
const FALLBACK_CHAT_TEMPLATE: &str = "{% for m in messages %}<|{{ m.role }}|>\n{{ m.content }}\n{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}";

/// A chat message as OpenAI's API carries it.
#[derive(Clone, Debug, Serialize)]
pub struct ChatMessage {
	pub role: String,
	pub content: String,
}

pub struct GenerationRequest {
	pub prompt: Vec<u32>,
	pub max_tokens: usize,
	pub sampling: SamplingParams,
	/// Generation ends before any of these strings; they are not part of the text.
	pub stop: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
	/// An end-of-sequence token or a stop string.
	Stop,
	/// `max_tokens` or the context length was reached.
	Length,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Generation {
	pub tokens: Vec<u32>,
	pub text: String,
	pub finish_reason: FinishReason,
	pub prompt_tokens: usize,
	/// For each token, its log-probability under the model (before temperature and
	/// nucleus), in micro-nats: what the transcript signs for the verifiers.
	pub logprobs: Vec<i32>,
	/// The seed of the sampler's stream (the request's, or the one drawn for it).
	pub seed: u64,
}

/// What a verifier's replay of a transcript found.
#[derive(Clone, Debug, PartialEq)]
pub struct Replay {
	/// The model's log-probability of each output token, in micro-nats.
	pub logprobs: Vec<i32>,
	/// Output positions whose token the seeded sampler could not have drawn from the
	/// replayed logits.
	pub unsampled: Vec<usize>,
}

pub struct TextModel {
	pub config: LlamaConfig,
	pub model: Llama,
	tokenizer: Tokenizer,
	chat_template: String,
	eos: Vec<u32>,
}

impl TextModel {
	/// Loads `config.json`, the safetensors weights and `tokenizer.json` from `dir`.
	pub fn load(dir: &Path, device: &Device) -> Result<Self, ModelError> {
		let config = LlamaConfig::from_file(&dir.join("config.json"))?;
		let mut weights = Weights::from_dir(dir)?;
		let model = Llama::from_weights(&config, &mut weights, device)?;
		let tokenizer = Tokenizer::from_file(dir.join("tokenizer.json"))
			.map_err(|e| ModelError::Tokenizer(e.to_string()))?;
		let chat_template = read_chat_template(&dir.join("tokenizer_config.json"))
			.unwrap_or_else(|| FALLBACK_CHAT_TEMPLATE.to_owned());
		let eos = config.eos_ids();
		Ok(Self { config, model, tokenizer, chat_template, eos })
	}

	pub fn encode(&self, text: &str) -> Result<Vec<u32>, ModelError> {
		let encoding =
			self.tokenizer.encode(text, false).map_err(|e| ModelError::Tokenizer(e.to_string()))?;
		Ok(encoding.get_ids().to_vec())
	}

	pub fn decode(&self, tokens: &[u32]) -> Result<String, ModelError> {
		self.tokenizer.decode(tokens, true).map_err(|e| ModelError::Tokenizer(e.to_string()))
	}

	/// The prompt for a chat: the model's chat template applied to `messages`, ending where
	/// the assistant's answer begins.
	pub fn chat_prompt(&self, messages: &[ChatMessage]) -> Result<String, ModelError> {
		let mut env = minijinja::Environment::new();
		env.add_template("chat", &self.chat_template)
			.map_err(|e| ModelError::Tokenizer(format!("chat template: {e}")))?;
		let bos = self.config.bos_token_id.and_then(|id| self.tokenizer.id_to_token(id));
		let eos = self.eos.first().and_then(|&id| self.tokenizer.id_to_token(id));
		env.get_template("chat")
			.and_then(|template| {
				template.render(minijinja::context! {
					messages => messages,
					add_generation_prompt => true,
					bos_token => bos.unwrap_or_default(),
					eos_token => eos.unwrap_or_default(),
				})
			})
			.map_err(|e| ModelError::Tokenizer(format!("chat template: {e}")))
	}

	/// Generates up to `max_tokens` tokens after `prompt`, calling `on_text` with each new
	/// piece of text as soon as it is complete UTF-8; `on_text` returning false stops early
	/// (the client went away).
	pub fn generate(
		&self,
		request: &GenerationRequest,
		mut on_text: impl FnMut(&str) -> bool,
	) -> Result<Generation, ModelError> {
		let mut cache = KvCache::new();
		let mut sampler = Sampler::new(&request.sampling);
		let mut tokens: Vec<u32> = Vec::new();
		let mut logprobs: Vec<i32> = Vec::new();
		let mut text = String::new();
		let mut finish_reason = FinishReason::Length;
		let room = self.model.context_length().saturating_sub(request.prompt.len());
		let max_tokens = request.max_tokens.min(room);

		let mut input = request.prompt.clone();
		while tokens.len() < max_tokens {
			let logits = self.model.forward(&input, &mut cache, Logits::Last)?;
			let logits = to_vec(logits)?;
			let next = sampler.sample(&logits);
			if self.eos.contains(&next) {
				finish_reason = FinishReason::Stop;
				break;
			}
			tokens.push(next);
			logprobs.push(logprob_micro_nats(&logits, next));
			input = vec![next];

			let decoded = self.decode(&tokens)?;
			// A byte-level token can end inside a UTF-8 character; wait for the rest.
			if decoded.ends_with('\u{FFFD}') {
				continue;
			}
			if let Some(cut) = request.stop.iter().filter_map(|s| decoded.find(s.as_str())).min() {
				let piece = decoded.get(text.len()..cut).unwrap_or_default();
				if !piece.is_empty() {
					on_text(piece);
				}
				text = decoded.get(..cut).unwrap_or_default().to_owned();
				finish_reason = FinishReason::Stop;
				break;
			}
			let piece = decoded.get(text.len()..).unwrap_or_default().to_owned();
			text = decoded;
			if !piece.is_empty() && !on_text(&piece) {
				finish_reason = FinishReason::Stop;
				break;
			}
		}
		if finish_reason == FinishReason::Length {
			text = self.decode(&tokens)?;
		}
		Ok(Generation {
			tokens,
			text,
			finish_reason,
			prompt_tokens: request.prompt.len(),
			logprobs,
			seed: sampler.seed(),
		})
	}

	/// Replays `output` after `prompt` in one prefill (teacher forcing): the model's
	/// log-probability of each output token, and the positions where a sampler with
	/// `sampling` (its seed set) could not have drawn the token, within `slack` of
	/// probability mass.
	pub fn replay(
		&self,
		prompt: &[u32],
		output: &[u32],
		sampling: &SamplingParams,
		slack: f64,
	) -> Result<Replay, ModelError> {
		if prompt.is_empty() {
			return Err(ModelError::EmptyPrompt);
		}
		let Some((_, fed_output)) = output.split_last() else {
			return Ok(Replay { logprobs: Vec::new(), unsampled: Vec::new() });
		};
		// Position `prompt.len() − 1 + i` predicts output token `i`.
		let input: Vec<u32> = prompt.iter().chain(fed_output).copied().collect();
		let logits = self.model.forward(&input, &mut KvCache::new(), Logits::Tail(output.len()))?;
		let logits = to_vec(logits)?;
		let vocab = self.model.vocab_size();
		let mut sampler = Sampler::new(sampling);
		let mut replay =
			Replay { logprobs: Vec::with_capacity(output.len()), unsampled: Vec::new() };
		for (position, (row, &token)) in logits.chunks(vocab).zip(output).enumerate() {
			replay.logprobs.push(logprob_micro_nats(row, token));
			if !sampler.could_draw(row, token, slack) {
				replay.unsampled.push(position);
			}
		}
		Ok(replay)
	}
}

/// Copies a `[1, vocab]` logits tensor to the host.
pub fn to_vec(logits: burn::tensor::Tensor<2>) -> Result<Vec<f32>, ModelError> {
	logits.into_data().try_into_vec::<f32>().map_err(|e| ModelError::Readback(format!("{e:?}")))
}

fn read_chat_template(path: &Path) -> Option<String> {
	let text = std::fs::read_to_string(path).ok()?;
	let json: serde_json::Value = serde_json::from_str(&text).ok()?;
	json.get("chat_template")?.as_str().map(str::to_owned)
}
