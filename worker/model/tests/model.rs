//! The burn model against an independent NumPy forward pass, and the properties generation
//! relies on, on the project's own tiny random model.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::{collections::HashMap, path::Path, process::Command};

use ail2_model::{
	default_device,
	random::{write_random_model, RandomModelSpec},
	to_vec, ChatMessage, FinishReason, GenerationRequest, KvCache, Logits, ModelError,
	SamplingParams, TextModel,
};
use safetensors::{tensor::TensorView, Dtype, SafeTensors};

fn tiny_model() -> (tempfile::TempDir, TextModel) {
	let dir = tempfile::tempdir().unwrap();
	write_random_model(dir.path(), &RandomModelSpec::tiny(), 42).unwrap();
	let model = TextModel::load(dir.path(), &default_device()).unwrap();
	(dir, model)
}

/// Runs `reference/llama_reference.py` (NumPy, float64) on `tokens`.
fn numpy_reference(dir: &Path, tokens: &[u32], greedy_steps: usize) -> (Vec<Vec<f64>>, Vec<u32>) {
	// Cargo sets CARGO_MANIFEST_DIR when it runs the test; the compile-time value is only a
	// fallback, as a test binary built in another checkout of the tree may be reused.
	let manifest_dir =
		std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
	let script = Path::new(&manifest_dir).join("reference/llama_reference.py");
	let python = std::env::var("AIL2_PYTHON").unwrap_or_else(|_| "python3".into());
	let ids: Vec<String> = tokens.iter().map(u32::to_string).collect();
	let output = Command::new(python)
		.arg(script)
		.arg(dir)
		.arg(ids.join(","))
		.arg(greedy_steps.to_string())
		.output()
		.expect("python3 with numpy and safetensors (scripts/setup.sh installs them)");
	assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
	let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
	let logits = serde_json::from_value(json["logits"].clone()).unwrap();
	let greedy = serde_json::from_value(json["greedy"].clone()).unwrap();
	(logits, greedy)
}

fn all_logits(model: &TextModel, tokens: &[u32]) -> Vec<Vec<f32>> {
	let logits = model.model.forward(tokens, &mut KvCache::new(), Logits::All).unwrap();
	let vocab = model.config.vocab_size;
	to_vec(logits).unwrap().chunks(vocab).map(<[f32]>::to_vec).collect()
}

fn max_abs_diff(a: &[f32], b: &[f64]) -> f64 {
	a.iter().zip(b).map(|(x, y)| (f64::from(*x) - y).abs()).fold(0.0, f64::max)
}

#[test]
fn logits_match_the_numpy_reference() {
	let (dir, model) = tiny_model();
	let tokens = model.encode("The miner signs a receipt for every request.").unwrap();
	assert!(tokens.len() > 5);
	let (reference, _) = numpy_reference(dir.path(), &tokens, 0);
	let ours = all_logits(&model, &tokens);
	assert_eq!(ours.len(), reference.len());
	for (position, (a, b)) in ours.iter().zip(&reference).enumerate() {
		assert_eq!(a.len(), b.len());
		let diff = max_abs_diff(a, b);
		assert!(diff < 1e-4, "position {position}: max |Δlogit| = {diff}");
	}
	// The logits are not degenerate: positions and tokens differ.
	let spread = reference[0].iter().fold(0.0f64, |m, v| m.max(v.abs()));
	assert!(spread > 0.5, "logits too flat to compare: {spread}");
}

#[test]
fn greedy_generation_matches_the_numpy_reference() {
	let (dir, model) = tiny_model();
	let prompt = model.encode("Once upon a time").unwrap();
	let steps = 12;
	let (_, reference) = numpy_reference(dir.path(), &prompt, steps);

	// Raw argmax decoding with the KV cache, no end-of-sequence handling, as the reference.
	let mut cache = KvCache::new();
	let mut input = prompt.clone();
	let mut ours = Vec::new();
	for _ in 0..steps {
		let logits =
			to_vec(model.model.forward(&input, &mut cache, Logits::Last).unwrap()).unwrap();
		let next = ail2_model::Sampler::new(&SamplingParams::greedy()).sample(&logits);
		ours.push(next);
		input = vec![next];
	}
	assert_eq!(ours, reference);
}

#[test]
fn cached_decoding_equals_full_recompute() {
	let (_dir, model) = tiny_model();
	let tokens = model.encode("A gateway chooses a worker for every request.").unwrap();
	let full = all_logits(&model, &tokens);

	// Prompt of 3 positions, then one position at a time through the cache.
	let mut cache = KvCache::new();
	let (prompt, rest) = tokens.split_at(3);
	let mut incremental = Vec::new();
	let logits = model.model.forward(prompt, &mut cache, Logits::All).unwrap();
	incremental
		.extend(to_vec(logits).unwrap().chunks(model.config.vocab_size).map(<[f32]>::to_vec));
	for &token in rest {
		let logits = model.model.forward(&[token], &mut cache, Logits::Last).unwrap();
		incremental.push(to_vec(logits).unwrap());
	}
	assert_eq!(cache.len(), tokens.len());
	for (position, (a, b)) in full.iter().zip(&incremental).enumerate() {
		let diff = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
		assert!(diff < 1e-4, "position {position}: cached and recomputed logits differ by {diff}");
	}
}

#[test]
fn seeded_generation_is_deterministic() {
	let (_dir, model) = tiny_model();
	let prompt = model.encode("Hello, how are you?").unwrap();
	let request = |seed| GenerationRequest {
		prompt: prompt.clone(),
		max_tokens: 24,
		sampling: SamplingParams { temperature: 0.9, top_p: 0.95, seed: Some(seed) },
		stop: vec![],
	};
	let first = model.generate(&request(5), |_| true).unwrap();
	let second = model.generate(&request(5), |_| true).unwrap();
	let other = model.generate(&request(6), |_| true).unwrap();
	assert_eq!(first, second);
	assert_ne!(first.tokens, other.tokens);
	assert_eq!(first.prompt_tokens, prompt.len());
}

#[test]
fn streamed_pieces_add_up_to_the_text_and_limits_hold() {
	let (_dir, model) = tiny_model();
	let request = GenerationRequest {
		prompt: model.encode("Write a short poem about the moon.").unwrap(),
		max_tokens: 16,
		sampling: SamplingParams { temperature: 1.0, top_p: 1.0, seed: Some(1) },
		stop: vec![],
	};
	let mut streamed = String::new();
	let generation = model
		.generate(&request, |piece| {
			streamed.push_str(piece);
			true
		})
		.unwrap();
	assert_eq!(streamed, generation.text);
	assert!(generation.tokens.len() <= 16);
	if generation.finish_reason == FinishReason::Length {
		assert_eq!(generation.tokens.len(), 16);
	}
	assert_eq!(model.decode(&generation.tokens).unwrap(), generation.text);
}

#[test]
fn tokenizer_round_trips_any_text_and_chat_template_renders() {
	let (_dir, model) = tiny_model();
	for text in ["Hello, wörld! 🎉", "line one\nline two\ttab", "数字 12345"] {
		let ids = model.encode(text).unwrap();
		assert_eq!(model.decode(&ids).unwrap(), text);
	}
	let prompt = model
		.chat_prompt(&[
			ChatMessage { role: "system".into(), content: "Be brief.".into() },
			ChatMessage { role: "user".into(), content: "Hi!".into() },
		])
		.unwrap();
	assert_eq!(prompt, "<|system|>\nBe brief.</s>\n<|user|>\nHi!</s>\n<|assistant|>\n");
}

#[test]
fn prompt_beyond_the_context_is_refused() {
	let (_dir, model) = tiny_model();
	let too_long = vec![3u32; model.config.max_position_embeddings + 1];
	let error = model.model.forward(&too_long, &mut KvCache::new(), Logits::Last).unwrap_err();
	assert!(matches!(error, ModelError::ContextExceeded { .. }), "{error}");
	let error = model
		.model
		.forward(&[model.config.vocab_size as u32], &mut KvCache::new(), Logits::Last)
		.unwrap_err();
	assert!(matches!(error, ModelError::TokenOutOfRange { .. }), "{error}");
}

/// Rewrites `model.safetensors` in `dir` after `edit` changed its tensor list.
fn rewrite_weights(dir: &Path, edit: impl FnOnce(&mut HashMap<String, (Vec<usize>, Vec<u8>)>)) {
	let path = dir.join("model.safetensors");
	let bytes = std::fs::read(&path).unwrap();
	let file = SafeTensors::deserialize(&bytes).unwrap();
	let mut tensors: HashMap<String, (Vec<usize>, Vec<u8>)> = file
		.iter()
		.map(|(name, view)| (name.to_owned(), (view.shape().to_vec(), view.data().to_vec())))
		.collect();
	edit(&mut tensors);
	let views: Vec<(String, TensorView)> = tensors
		.iter()
		.map(|(name, (shape, data))| {
			(name.clone(), TensorView::new(Dtype::F32, shape.clone(), data).unwrap())
		})
		.collect();
	safetensors::serialize_to_file(views, None, &path).unwrap();
}

#[test]
fn missing_tensor_is_named_in_the_error() {
	let dir = tempfile::tempdir().unwrap();
	write_random_model(dir.path(), &RandomModelSpec::tiny(), 1).unwrap();
	rewrite_weights(dir.path(), |tensors| {
		tensors.remove("model.layers.1.mlp.up_proj.weight");
	});
	let error = TextModel::load(dir.path(), &default_device()).err().unwrap();
	match error {
		ModelError::MissingTensor { name } => assert_eq!(name, "model.layers.1.mlp.up_proj.weight"),
		other => panic!("unexpected error {other}"),
	}
}

#[test]
fn mis_shaped_tensor_is_named_with_both_shapes() {
	let dir = tempfile::tempdir().unwrap();
	let config = write_random_model(dir.path(), &RandomModelSpec::tiny(), 1).unwrap();
	let d = config.hidden_size;
	rewrite_weights(dir.path(), |tensors| {
		tensors.insert(
			"model.layers.0.self_attn.k_proj.weight".into(),
			(vec![d, d], vec![0u8; d * d * 4]),
		);
	});
	let error = TextModel::load(dir.path(), &default_device()).err().unwrap();
	match error {
		ModelError::TensorShape { name, expected, found } => {
			assert_eq!(name, "model.layers.0.self_attn.k_proj.weight");
			assert_eq!(expected, vec![config.kv_heads() * config.head_dim(), d]);
			assert_eq!(found, vec![d, d]);
		},
		other => panic!("unexpected error {other}"),
	}
}

#[test]
fn random_models_are_reproducible_from_their_seed() {
	let (a, b, c) =
		(tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
	write_random_model(a.path(), &RandomModelSpec::tiny(), 9).unwrap();
	write_random_model(b.path(), &RandomModelSpec::tiny(), 9).unwrap();
	write_random_model(c.path(), &RandomModelSpec::tiny(), 10).unwrap();
	let read = |dir: &tempfile::TempDir, file: &str| std::fs::read(dir.path().join(file)).unwrap();
	assert_eq!(read(&a, "model.safetensors"), read(&b, "model.safetensors"));
	assert_eq!(read(&a, "tokenizer.json"), read(&b, "tokenizer.json"));
	assert_ne!(read(&a, "model.safetensors"), read(&c, "model.safetensors"));
}
