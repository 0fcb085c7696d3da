//! Random-weight Llama models the project makes itself, written as a Hugging Face model
//! folder (`config.json`, `model.safetensors`, `tokenizer.json`, `tokenizer_config.json`).
//!
//! Weights come from a ChaCha20 stream seeded by the caller, so the same spec and seed give
//! the same files on every machine. The tokenizer is a real byte-level BPE trained on a
//! built-in English text: every string round-trips through it.

use std::{collections::HashMap, path::Path};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use safetensors::{tensor::TensorView, Dtype};
use tokenizers::{
	models::bpe::{BpeTrainerBuilder, BPE},
	pre_tokenizers::byte_level::ByteLevel,
	AddedToken, NormalizerWrapper, PostProcessorWrapper, TokenizerBuilder, TokenizerImpl,
};

use crate::{config::EosTokens, LlamaConfig, ModelError};

const BOS: &str = "<s>";
const EOS: &str = "</s>";
const CHAT_TEMPLATE: &str = "{% for m in messages %}<|{{ m.role }}|>\n{{ m.content }}</s>\n{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}";

/// The shape of a random model.
#[derive(Clone, Debug, PartialEq)]
pub struct RandomModelSpec {
	/// The BPE trainer's target; the config's `vocab_size` is what training reached.
	pub vocab_target: usize,
	pub hidden_size: usize,
	pub intermediate_size: usize,
	pub layers: usize,
	pub heads: usize,
	pub kv_heads: usize,
	pub context: usize,
}

impl RandomModelSpec {
	/// Two layers, d = 64, grouped-query attention (4 query heads over 2 KV heads), a
	/// 512-token vocabulary: fast enough for every test.
	pub fn tiny() -> Self {
		Self {
			vocab_target: 512,
			hidden_size: 64,
			intermediate_size: 176,
			layers: 2,
			heads: 4,
			kv_heads: 2,
			context: 512,
		}
	}

	/// About 100 million parameters (d = 768, 14 layers), for throughput measurements.
	pub fn m100() -> Self {
		Self {
			vocab_target: 4096,
			hidden_size: 768,
			intermediate_size: 2304,
			layers: 14,
			heads: 12,
			kv_heads: 4,
			context: 2048,
		}
	}

	pub fn preset(name: &str) -> Option<Self> {
		match name {
			"tiny" => Some(Self::tiny()),
			"100m" => Some(Self::m100()),
			_ => None,
		}
	}
}

/// Writes a random model described by `spec` into `dir` (created if needed) and returns its
/// config.
pub fn write_random_model(
	dir: &Path,
	spec: &RandomModelSpec,
	seed: u64,
) -> Result<LlamaConfig, ModelError> {
	let io = |path: &Path| {
		let path = path.to_owned();
		move |source| ModelError::Io { path, source }
	};
	std::fs::create_dir_all(dir).map_err(io(dir))?;

	let tokenizer = train_tokenizer(spec.vocab_target)?;
	let tokenizer_path = dir.join("tokenizer.json");
	tokenizer.save(&tokenizer_path, false).map_err(|e| ModelError::Tokenizer(e.to_string()))?;
	let vocab_size = tokenizer.get_vocab_size(true);
	let bos = tokenizer.token_to_id(BOS);
	let eos = tokenizer.token_to_id(EOS);

	let config = LlamaConfig {
		vocab_size,
		hidden_size: spec.hidden_size,
		intermediate_size: spec.intermediate_size,
		num_hidden_layers: spec.layers,
		num_attention_heads: spec.heads,
		num_key_value_heads: Some(spec.kv_heads),
		rms_norm_eps: 1e-5,
		rope_theta: 10_000.0,
		max_position_embeddings: spec.context,
		tie_word_embeddings: false,
		bos_token_id: bos,
		eos_token_id: eos.map(EosTokens::One),
	};
	config
		.check()
		.map_err(|reason| ModelError::Config { path: dir.join("config.json"), reason })?;

	let mut json = serde_json::to_value(&config)
		.map_err(|e| ModelError::Config { path: dir.join("config.json"), reason: e.to_string() })?;
	if let Some(object) = json.as_object_mut() {
		object.insert("architectures".into(), serde_json::json!(["LlamaForCausalLM"]));
		object.insert("model_type".into(), "llama".into());
		object.insert("hidden_act".into(), "silu".into());
		object.insert("torch_dtype".into(), "float32".into());
	}
	let config_path = dir.join("config.json");
	std::fs::write(&config_path, format!("{json:#}\n")).map_err(io(&config_path))?;

	let tokenizer_config = serde_json::json!({
		"bos_token": BOS,
		"eos_token": EOS,
		"chat_template": CHAT_TEMPLATE,
		"model_max_length": spec.context,
	});
	let tokenizer_config_path = dir.join("tokenizer_config.json");
	std::fs::write(&tokenizer_config_path, format!("{tokenizer_config:#}\n"))
		.map_err(io(&tokenizer_config_path))?;

	let tensors = random_tensors(&config, seed);
	let views = tensors
		.iter()
		.map(|(name, (shape, bytes))| {
			TensorView::new(Dtype::F32, shape.clone(), bytes).map(|view| (name.clone(), view))
		})
		.collect::<Result<Vec<_>, _>>()
		.map_err(|e| ModelError::Safetensors { path: dir.to_owned(), reason: e.to_string() })?;
	let weights_path = dir.join("model.safetensors");
	let metadata = HashMap::from([("format".to_owned(), "pt".to_owned())]);
	safetensors::serialize_to_file(views, Some(metadata), &weights_path).map_err(|e| {
		ModelError::Safetensors { path: weights_path.clone(), reason: e.to_string() }
	})?;
	Ok(config)
}

/// A change to a model's weights that keeps its shapes, tokenizer and configuration: what a
/// worker that serves a cheaper or broken copy under the real model's version runs. Tests
/// and the proof-of-inference adversary use it; nothing honest does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Perturbation {
	/// Every linear weight (attention, MLP, output head) multiplied by a factor.
	ScaleLinear(f32),
	/// One decoder layer removed: its attention and MLP output projections zeroed, so the
	/// residual stream passes through it unchanged.
	DropLayer(usize),
	/// Every weight rounded to bfloat16 (8 bits of mantissa): not a cheat but the precision
	/// of most published checkpoints and of GPU arithmetic, the honest deviation a tolerance
	/// must admit.
	RoundBf16,
}

/// Writes into `to` a copy of the model folder `from` with `perturbation` applied to its
/// weights (`model.safetensors`, f32); the other files are copied as they are.
pub fn perturb_model(from: &Path, to: &Path, perturbation: Perturbation) -> Result<(), ModelError> {
	let io = |path: &Path| {
		let path = path.to_owned();
		move |source| ModelError::Io { path, source }
	};
	std::fs::create_dir_all(to).map_err(io(to))?;
	for file in ["config.json", "tokenizer.json", "tokenizer_config.json"] {
		let source = from.join(file);
		if source.exists() {
			std::fs::copy(&source, to.join(file)).map_err(io(&source))?;
		}
	}
	let weights_path = from.join("model.safetensors");
	let bytes = std::fs::read(&weights_path).map_err(io(&weights_path))?;
	let corrupt = |reason: String| ModelError::Safetensors { path: weights_path.clone(), reason };
	let tensors =
		safetensors::SafeTensors::deserialize(&bytes).map_err(|e| corrupt(e.to_string()))?;
	let mut changed: Vec<NamedTensor> = Vec::new();
	for (name, view) in tensors.tensors() {
		if view.dtype() != Dtype::F32 {
			return Err(corrupt(format!("{name} is {:?}, not f32", view.dtype())));
		}
		let factor = match perturbation {
			Perturbation::ScaleLinear(factor)
				if name.ends_with("proj.weight") || name == "lm_head.weight" =>
			{
				factor
			},
			Perturbation::DropLayer(layer)
				if name == format!("model.layers.{layer}.self_attn.o_proj.weight")
					|| name == format!("model.layers.{layer}.mlp.down_proj.weight") =>
			{
				0.0
			},
			_ => 1.0,
		};
		let round = perturbation == Perturbation::RoundBf16;
		let data: Vec<u8> = view
			.data()
			.chunks_exact(4)
			.flat_map(|b| {
				let value = f32::from_le_bytes([b[0], b[1], b[2], b[3]]) * factor;
				let value = if round { half::bf16::from_f32(value).to_f32() } else { value };
				value.to_le_bytes()
			})
			.collect();
		changed.push((name, (view.shape().to_vec(), data)));
	}
	let views = changed
		.iter()
		.map(|(name, (shape, bytes))| {
			TensorView::new(Dtype::F32, shape.clone(), bytes).map(|view| (name.clone(), view))
		})
		.collect::<Result<Vec<_>, _>>()
		.map_err(|e| corrupt(e.to_string()))?;
	let out = to.join("model.safetensors");
	let metadata = HashMap::from([("format".to_owned(), "pt".to_owned())]);
	safetensors::serialize_to_file(views, Some(metadata), &out)
		.map_err(|e| ModelError::Safetensors { path: out.clone(), reason: e.to_string() })
}

/// A tensor name with its shape and little-endian f32 bytes.
type NamedTensor = (String, (Vec<usize>, Vec<u8>));

/// Every tensor under its Hugging Face name with its shape and little-endian f32 bytes.
/// Linear weights are `[out, in]` with entries uniform in `±√(3 / in)` (unit variance
/// activations), the embedding has unit variance, norm gains are near 1.
fn random_tensors(config: &LlamaConfig, seed: u64) -> Vec<NamedTensor> {
	let mut rng = ChaCha20Rng::seed_from_u64(seed);
	let d = config.hidden_size;
	let ff = config.intermediate_size;
	let q_dim = config.num_attention_heads * config.head_dim();
	let kv_dim = config.kv_heads() * config.head_dim();
	let mut tensors = Vec::new();
	let mut push = |name: String, shape: Vec<usize>, center: f32, half_width: f32| {
		let count: usize = shape.iter().product();
		let bytes = (0..count)
			.flat_map(|_| (center + half_width * rng.random_range(-1.0f32..1.0)).to_le_bytes())
			.collect();
		tensors.push((name, (shape, bytes)));
	};
	let linear_width = |fan_in: usize| (3.0 / fan_in as f32).sqrt();

	push("model.embed_tokens.weight".into(), vec![config.vocab_size, d], 0.0, 3f32.sqrt());
	for layer in 0..config.num_hidden_layers {
		let p = format!("model.layers.{layer}");
		push(format!("{p}.input_layernorm.weight"), vec![d], 1.0, 0.1);
		push(format!("{p}.self_attn.q_proj.weight"), vec![q_dim, d], 0.0, linear_width(d));
		push(format!("{p}.self_attn.k_proj.weight"), vec![kv_dim, d], 0.0, linear_width(d));
		push(format!("{p}.self_attn.v_proj.weight"), vec![kv_dim, d], 0.0, linear_width(d));
		push(format!("{p}.self_attn.o_proj.weight"), vec![d, q_dim], 0.0, linear_width(q_dim));
		push(format!("{p}.post_attention_layernorm.weight"), vec![d], 1.0, 0.1);
		push(format!("{p}.mlp.gate_proj.weight"), vec![ff, d], 0.0, linear_width(d));
		push(format!("{p}.mlp.up_proj.weight"), vec![ff, d], 0.0, linear_width(d));
		push(format!("{p}.mlp.down_proj.weight"), vec![d, ff], 0.0, linear_width(ff));
	}
	push("model.norm.weight".into(), vec![d], 1.0, 0.1);
	push("lm_head.weight".into(), vec![config.vocab_size, d], 0.0, linear_width(d));
	tensors
}

type TrainableTokenizer =
	TokenizerImpl<BPE, NormalizerWrapper, ByteLevel, PostProcessorWrapper, ByteLevel>;

/// A byte-level BPE (the GPT-2 / Llama 3 scheme) trained on [`CORPUS`].
fn train_tokenizer(vocab_target: usize) -> Result<TrainableTokenizer, ModelError> {
	let error = |e: tokenizers::Error| ModelError::Tokenizer(e.to_string());
	let mut trainer = BpeTrainerBuilder::new()
		.vocab_size(vocab_target)
		.min_frequency(2)
		.show_progress(false)
		.special_tokens(vec![AddedToken::from(BOS, true), AddedToken::from(EOS, true)])
		.initial_alphabet(ByteLevel::alphabet().into_iter().collect())
		.build();
	let mut tokenizer: TrainableTokenizer = TokenizerBuilder::new()
		.with_model(BPE::default())
		.with_normalizer(None)
		.with_pre_tokenizer(Some(ByteLevel::new(false, true, true)))
		.with_post_processor(None)
		.with_decoder(Some(ByteLevel::default()))
		.build()
		.map_err(error)?;
	tokenizer.train(&mut trainer, CORPUS.lines()).map_err(error)?;
	Ok(tokenizer)
}

/// Training text for the random models' tokenizer.
const CORPUS: &str = include_str!("corpus.txt");
