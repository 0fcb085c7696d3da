//! The Llama-family decoder.

use burn::{
	module::{Module, Param},
	tensor::{
		activation::{silu, softmax},
		Bool, Int, Tensor, TensorData,
	},
};

use crate::{Device, LlamaConfig, ModelError, Weights};

/// Which positions the forward pass returns logits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Logits {
	/// Every input position: `[seq, vocab]` (tests, scoring).
	All,
	/// Only the last one: `[1, vocab]` (generation; skips the output projection elsewhere).
	Last,
	/// The last `n` positions (at most every input position): `[n, vocab]` (a verifier's
	/// replay needs the output positions only).
	Tail(usize),
}

/// Root-mean-square layer norm: `x / sqrt(mean(x²) + ε) · g`.
#[derive(Module, Debug)]
pub struct RmsNorm {
	/// `[1, d]`
	gain: Param<Tensor<2>>,
	eps: f64,
}

impl RmsNorm {
	/// `x: [seq, d] → [seq, d]`
	fn forward(&self, x: Tensor<2>) -> Tensor<2> {
		let inv_rms = x.clone().powf_scalar(2.0).mean_dim(1).add_scalar(self.eps).sqrt().recip();
		x.mul(inv_rms).mul(self.gain.val())
	}
}

/// Grouped-query self-attention with rotary position embeddings.
#[derive(Module, Debug)]
pub struct Attention {
	/// `[d, heads · head_dim]`
	wq: Param<Tensor<2>>,
	/// `[d, kv_heads · head_dim]`
	wk: Param<Tensor<2>>,
	/// `[d, kv_heads · head_dim]`
	wv: Param<Tensor<2>>,
	/// `[heads · head_dim, d]`
	wo: Param<Tensor<2>>,
	heads: usize,
	kv_heads: usize,
	head_dim: usize,
}

/// SwiGLU feed-forward: `(silu(x·G) ⊙ x·U)·D`.
#[derive(Module, Debug)]
pub struct Mlp {
	/// `[d, ff]`
	gate: Param<Tensor<2>>,
	/// `[d, ff]`
	up: Param<Tensor<2>>,
	/// `[ff, d]`
	down: Param<Tensor<2>>,
}

#[derive(Module, Debug)]
pub struct DecoderLayer {
	attention_norm: RmsNorm,
	attention: Attention,
	mlp_norm: RmsNorm,
	mlp: Mlp,
}

/// A Llama-family decoder-only transformer.
#[derive(Module, Debug)]
pub struct Llama {
	/// `[vocab, d]`
	embedding: Param<Tensor<2>>,
	layers: Vec<DecoderLayer>,
	norm: RmsNorm,
	/// `[d, vocab]`
	output: Param<Tensor<2>>,
	/// `cos(p · θ_i)` for every position `p` and frequency `i`: `[max_positions, head_dim / 2]`
	rope_cos: Tensor<2>,
	/// `sin(p · θ_i)`, same shape.
	rope_sin: Tensor<2>,
	vocab: usize,
	max_positions: usize,
}

/// The keys and values of the positions seen so far, per layer: `[kv_heads, positions,
/// head_dim]` each. Generation feeds only the new token once the prompt is cached.
#[derive(Debug, Default)]
pub struct KvCache {
	layers: Vec<Option<(Tensor<3>, Tensor<3>)>>,
	positions: usize,
}

impl KvCache {
	pub fn new() -> Self {
		Self::default()
	}

	/// How many positions are cached.
	pub fn len(&self) -> usize {
		self.positions
	}

	pub fn is_empty(&self) -> bool {
		self.positions == 0
	}
}

fn param2(values: Vec<f32>, shape: [usize; 2], device: &Device) -> Param<Tensor<2>> {
	Param::from_tensor(Tensor::from_data(TensorData::new(values, shape), device))
}

impl Llama {
	/// Builds the model from Hugging Face-named weights, checking every shape against the
	/// config. Tensors it does not use (for example `rotary_emb.inv_freq`) are ignored.
	pub fn from_weights(
		config: &LlamaConfig,
		weights: &mut Weights,
		device: &Device,
	) -> Result<Self, ModelError> {
		let d = config.hidden_size;
		let ff = config.intermediate_size;
		let head_dim = config.head_dim();
		let q_dim = config.num_attention_heads * head_dim;
		let kv_dim = config.kv_heads() * head_dim;
		let norm = |weights: &mut Weights, name: &str| -> Result<RmsNorm, ModelError> {
			Ok(RmsNorm {
				gain: param2(weights.take(name, &[d])?, [1, d], device),
				eps: config.rms_norm_eps,
			})
		};

		let embedding_values =
			weights.take("model.embed_tokens.weight", &[config.vocab_size, d])?;
		let output = if config.tie_word_embeddings && !weights.contains("lm_head.weight") {
			transpose(&embedding_values, config.vocab_size, d)
		} else {
			weights.take_linear("lm_head.weight", d, config.vocab_size)?
		};

		let mut layers = Vec::with_capacity(config.num_hidden_layers);
		for layer in 0..config.num_hidden_layers {
			let prefix = format!("model.layers.{layer}");
			let linear = |weights: &mut Weights, name: &str, d_in: usize, d_out: usize| {
				weights
					.take_linear(&format!("{prefix}.{name}.weight"), d_in, d_out)
					.map(|values| param2(values, [d_in, d_out], device))
			};
			layers.push(DecoderLayer {
				attention_norm: norm(weights, &format!("{prefix}.input_layernorm.weight"))?,
				attention: Attention {
					wq: linear(weights, "self_attn.q_proj", d, q_dim)?,
					wk: linear(weights, "self_attn.k_proj", d, kv_dim)?,
					wv: linear(weights, "self_attn.v_proj", d, kv_dim)?,
					wo: linear(weights, "self_attn.o_proj", q_dim, d)?,
					heads: config.num_attention_heads,
					kv_heads: config.kv_heads(),
					head_dim,
				},
				mlp_norm: norm(weights, &format!("{prefix}.post_attention_layernorm.weight"))?,
				mlp: Mlp {
					gate: linear(weights, "mlp.gate_proj", d, ff)?,
					up: linear(weights, "mlp.up_proj", d, ff)?,
					down: linear(weights, "mlp.down_proj", ff, d)?,
				},
			});
		}

		let (cos, sin) = rope_tables(config.max_position_embeddings, head_dim, config.rope_theta);
		let half = head_dim / 2;
		Ok(Self {
			embedding: param2(embedding_values, [config.vocab_size, d], device),
			layers,
			norm: norm(weights, "model.norm.weight")?,
			output: param2(output, [d, config.vocab_size], device),
			rope_cos: Tensor::from_data(
				TensorData::new(cos, [config.max_position_embeddings, half]),
				device,
			),
			rope_sin: Tensor::from_data(
				TensorData::new(sin, [config.max_position_embeddings, half]),
				device,
			),
			vocab: config.vocab_size,
			max_positions: config.max_position_embeddings,
		})
	}

	/// Runs `tokens` (the positions after those in `cache`) through the model, appends their
	/// keys and values to `cache` and returns the next-token logits: `[seq, vocab]` for
	/// [`Logits::All`], `[1, vocab]` for [`Logits::Last`].
	pub fn forward(
		&self,
		tokens: &[u32],
		cache: &mut KvCache,
		logits: Logits,
	) -> Result<Tensor<2>, ModelError> {
		if tokens.is_empty() {
			return Err(ModelError::EmptyPrompt);
		}
		if let Some(&id) = tokens.iter().find(|&&id| id as usize >= self.vocab) {
			return Err(ModelError::TokenOutOfRange { id, vocab: self.vocab });
		}
		let start = cache.positions;
		let seq = tokens.len();
		let end = start + seq;
		if end > self.max_positions {
			return Err(ModelError::ContextExceeded { needed: end, context: self.max_positions });
		}
		if cache.layers.len() != self.layers.len() {
			cache.layers = (0..self.layers.len()).map(|_| None).collect();
		}
		let device = self.embedding.device();

		let ids: Vec<i64> = tokens.iter().map(|&id| i64::from(id)).collect();
		let ids = Tensor::<1, Int>::from_data(TensorData::new(ids, [seq]), &device);
		let mut x = self.embedding.val().select(0, ids);

		let cos = self.rope_cos.clone().narrow(0, start, seq).unsqueeze_dim::<3>(0);
		let sin = self.rope_sin.clone().narrow(0, start, seq).unsqueeze_dim::<3>(0);
		let mask = (seq > 1).then(|| causal_mask(start, seq, &device));

		for (layer, slot) in self.layers.iter().zip(cache.layers.iter_mut()) {
			let attended = layer.attention.forward(
				layer.attention_norm.forward(x.clone()),
				(&cos, &sin),
				mask.as_ref(),
				slot,
			);
			x = x.add(attended);
			x = x.clone().add(layer.mlp.forward(layer.mlp_norm.forward(x)));
		}
		cache.positions = end;

		let x = match logits {
			Logits::All => x,
			Logits::Last => x.narrow(0, seq - 1, 1),
			Logits::Tail(n) => {
				let n = n.clamp(1, seq);
				x.narrow(0, seq - n, n)
			},
		};
		Ok(self.norm.forward(x).matmul(self.output.val()))
	}

	pub fn vocab_size(&self) -> usize {
		self.vocab
	}

	pub fn context_length(&self) -> usize {
		self.max_positions
	}
}

impl Attention {
	/// `x: [seq, d]`, rotary tables `[1, seq, head_dim / 2]`, mask `[1, seq, positions]`
	/// (true where a query may not look) → `[seq, d]`.
	fn forward(
		&self,
		x: Tensor<2>,
		(cos, sin): (&Tensor<3>, &Tensor<3>),
		mask: Option<&Tensor<3, Bool>>,
		cache: &mut Option<(Tensor<3>, Tensor<3>)>,
	) -> Tensor<2> {
		let [seq, _] = x.dims();
		let (h, kvh, hd) = (self.heads, self.kv_heads, self.head_dim);
		let heads = |t: Tensor<2>, n: usize| t.reshape([seq, n, hd]).swap_dims(0, 1);

		let q = rotate(heads(x.clone().matmul(self.wq.val()), h), cos, sin);
		let k = rotate(heads(x.clone().matmul(self.wk.val()), kvh), cos, sin);
		let v = heads(x.matmul(self.wv.val()), kvh);

		let (k, v) = match cache.take() {
			Some((past_k, past_v)) => {
				(Tensor::cat(vec![past_k, k], 1), Tensor::cat(vec![past_v, v], 1))
			},
			None => (k, v),
		};
		*cache = Some((k.clone(), v.clone()));

		// Each group of `h / kvh` query heads shares one key/value head.
		let positions = k.dims()[1];
		let group = h / kvh;
		let share = |t: Tensor<3>| {
			if group == 1 {
				t
			} else {
				t.unsqueeze_dim::<4>(1)
					.expand([kvh, group, positions, hd])
					.reshape([h, positions, hd])
			}
		};
		let (k, v) = (share(k), share(v));

		let scale = 1.0 / (hd as f64).sqrt();
		let mut scores = q.matmul(k.swap_dims(1, 2)).mul_scalar(scale);
		if let Some(mask) = mask {
			scores = scores.mask_fill(mask.clone().expand([h, seq, positions]), f32::NEG_INFINITY);
		}
		let attended = softmax(scores, 2).matmul(v);
		attended.swap_dims(0, 1).reshape([seq, h * hd]).matmul(self.wo.val())
	}
}

impl Mlp {
	/// `[seq, d] → [seq, d]`
	fn forward(&self, x: Tensor<2>) -> Tensor<2> {
		let gate = silu(x.clone().matmul(self.gate.val()));
		gate.mul(x.matmul(self.up.val())).matmul(self.down.val())
	}
}

/// Rotary embedding in the Hugging Face layout: the head is split in halves `(a, b)` and
/// rotated to `(a·cos − b·sin, b·cos + a·sin)`. `x: [heads, seq, head_dim]`.
fn rotate(x: Tensor<3>, cos: &Tensor<3>, sin: &Tensor<3>) -> Tensor<3> {
	let half = x.dims()[2] / 2;
	let a = x.clone().narrow(2, 0, half);
	let b = x.narrow(2, half, half);
	let first = a.clone().mul(cos.clone()).sub(b.clone().mul(sin.clone()));
	let second = b.mul(cos.clone()).add(a.mul(sin.clone()));
	Tensor::cat(vec![first, second], 2)
}

/// `[1, seq, start + seq]`, true where key position `j` lies after query position
/// `start + i`.
fn causal_mask(start: usize, seq: usize, device: &Device) -> Tensor<3, Bool> {
	let positions = start + seq;
	let masked: Vec<bool> =
		(0..seq).flat_map(|i| (0..positions).map(move |j| j > start + i)).collect();
	Tensor::from_data(TensorData::new(masked, [1, seq, positions]), device)
}

/// `θ_i = theta^(−2i / head_dim)`; tables of `cos(p·θ_i)` and `sin(p·θ_i)`, computed in f64.
fn rope_tables(positions: usize, head_dim: usize, theta: f64) -> (Vec<f32>, Vec<f32>) {
	let half = head_dim / 2;
	let mut cos = Vec::with_capacity(positions * half);
	let mut sin = Vec::with_capacity(positions * half);
	for p in 0..positions {
		for i in 0..half {
			let freq = theta.powf(-((2 * i) as f64) / head_dim as f64);
			let angle = p as f64 * freq;
			cos.push(angle.cos() as f32);
			sin.push(angle.sin() as f32);
		}
	}
	(cos, sin)
}

fn transpose(values: &[f32], rows: usize, cols: usize) -> Vec<f32> {
	let mut out = vec![0.0f32; values.len()];
	for (r, row) in values.chunks_exact(cols).enumerate().take(rows) {
		for (c, value) in row.iter().enumerate() {
			if let Some(slot) = out.get_mut(c * rows + r) {
				*slot = *value;
			}
		}
	}
	out
}
