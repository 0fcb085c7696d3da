use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::ModelError;

/// The fields of a Hugging Face Llama `config.json` that the forward pass needs.
///
/// Unknown fields are ignored, so configs of Llama-family models (Llama 2/3, TinyLlama,
/// SmolLM, Mistral without sliding window) load unchanged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LlamaConfig {
	pub vocab_size: usize,
	pub hidden_size: usize,
	pub intermediate_size: usize,
	pub num_hidden_layers: usize,
	pub num_attention_heads: usize,
	/// Grouped-query attention: `num_attention_heads` must be a multiple. Absent means
	/// multi-head attention (one KV head per query head).
	#[serde(default)]
	pub num_key_value_heads: Option<usize>,
	#[serde(default = "default_rms_norm_eps")]
	pub rms_norm_eps: f64,
	#[serde(default = "default_rope_theta")]
	pub rope_theta: f64,
	pub max_position_embeddings: usize,
	/// The output projection reuses the embedding matrix when true.
	#[serde(default)]
	pub tie_word_embeddings: bool,
	#[serde(default)]
	pub bos_token_id: Option<u32>,
	/// One id or a list (Llama 3 lists several end tokens).
	#[serde(default)]
	pub eos_token_id: Option<EosTokens>,
}

/// `eos_token_id` as Hugging Face writes it: a number or a list of numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EosTokens {
	One(u32),
	Many(Vec<u32>),
}

fn default_rms_norm_eps() -> f64 {
	1e-6
}

fn default_rope_theta() -> f64 {
	10_000.0
}

impl LlamaConfig {
	/// Reads and checks `config.json`.
	pub fn from_file(path: &Path) -> Result<Self, ModelError> {
		let text = std::fs::read_to_string(path)
			.map_err(|source| ModelError::Io { path: path.to_owned(), source })?;
		let config: Self = serde_json::from_str(&text)
			.map_err(|e| ModelError::Config { path: path.to_owned(), reason: e.to_string() })?;
		config.check().map_err(|reason| ModelError::Config { path: path.to_owned(), reason })?;
		Ok(config)
	}

	/// The dimensions must be positive and divide as the architecture requires.
	pub fn check(&self) -> Result<(), String> {
		let positive = [
			("vocab_size", self.vocab_size),
			("hidden_size", self.hidden_size),
			("intermediate_size", self.intermediate_size),
			("num_hidden_layers", self.num_hidden_layers),
			("num_attention_heads", self.num_attention_heads),
			("num_key_value_heads", self.kv_heads()),
			("max_position_embeddings", self.max_position_embeddings),
		];
		if let Some((name, _)) = positive.iter().find(|(_, value)| *value == 0) {
			return Err(format!("{name} must be positive"));
		}
		if !self.hidden_size.is_multiple_of(self.num_attention_heads) {
			return Err("hidden_size must be a multiple of num_attention_heads".into());
		}
		if !self.num_attention_heads.is_multiple_of(self.kv_heads()) {
			return Err("num_attention_heads must be a multiple of num_key_value_heads".into());
		}
		if !self.head_dim().is_multiple_of(2) {
			return Err("the head dimension must be even for rotary embeddings".into());
		}
		if !(self.rms_norm_eps > 0.0 && self.rope_theta > 1.0) {
			return Err("rms_norm_eps must be positive and rope_theta above 1".into());
		}
		Ok(())
	}

	pub fn kv_heads(&self) -> usize {
		self.num_key_value_heads.unwrap_or(self.num_attention_heads)
	}

	pub fn head_dim(&self) -> usize {
		self.hidden_size / self.num_attention_heads
	}

	/// The end-of-sequence ids generation stops at.
	pub fn eos_ids(&self) -> Vec<u32> {
		match &self.eos_token_id {
			Some(EosTokens::One(id)) => vec![*id],
			Some(EosTokens::Many(ids)) => ids.clone(),
			None => Vec::new(),
		}
	}

	/// Number of weights, for reports.
	pub fn parameter_count(&self) -> usize {
		let d = self.hidden_size;
		let kv = self.kv_heads() * self.head_dim();
		let per_layer = 2 * d + d * d * 2 + 2 * d * kv + 3 * d * self.intermediate_size;
		let head = if self.tie_word_embeddings { 0 } else { self.vocab_size * d };
		self.vocab_size * d + self.num_hidden_layers * per_layer + d + head
	}
}
