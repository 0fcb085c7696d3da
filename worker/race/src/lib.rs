//! The PoW 2.0 race model (seed `pow2-decentralized-ai.txt`, Appendix A) in burn, and the
//! artifacts a participant commits to.
//!
//! The weights, inputs and permutations come from `ail2_primitives::race`, which every miner
//! and validator derives identically; this crate runs the forward pass:
//!
//! ```text
//! x = E[tokens] + P                                 [batch, seq, d]
//! for each layer:
//!     h = rmsnorm(x)                                 (ε = 1e-5, no gain)
//!     x = x + concat_h(softmax(q·kᵀ/√d_h)·v)·W_o     with q, k, v = h·W_q, h·W_k, h·W_v
//!     x = x + relu(rmsnorm(x)·W_1)·W_2
//! y = rmsnorm(x[last position])                      [batch, d]
//! artifact = binary16(y[perm[0]], …, y[perm[k − 1]])
//! ```
//!
//! Pre-norm residual blocks keep nonces' outputs apart: without them a deep random network
//! collapses onto one direction and its output becomes a function of the first token alone,
//! which a table reproduces without the compute (`docs/race.md`, "Why this model"). Attention
//! is bidirectional: with a causal mask, position 0 would depend on token 0 only and a miner
//! could cache a quarter of the work across nonces.
//!
//! A batch of many nonces runs as one forward pass: at sequence length 4 each nonce's
//! matrices are thin, and batching makes them matmuls the CPU and GPU run near peak.

pub mod work;

/// Coordinates of a nonce's permuted output in its artifact when a race does not say
/// otherwise (`RaceParams::artifact_len` on chain).
pub const ARTIFACT_LEN: u32 = 16;

use ail2_model::Device;
use ail2_primitives::race::{
	artifact, f16_value, fill_tensor, input_seed, input_tokens, permutation, NodeSeed, Nonce,
	RaceModel, RaceSeed, TensorSpec,
};
use burn::tensor::{activation::relu, activation::softmax, Int, Tensor, TensorData};

const EPS: f64 = 1e-5;

#[derive(Debug)]
pub enum RaceError {
	/// `d_model` is not a multiple of `heads`, or a dimension is zero.
	Shape(String),
	Readback(String),
}

impl std::fmt::Display for RaceError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Self::Shape(why) => write!(f, "invalid race model: {why}"),
			Self::Readback(why) => write!(f, "reading the output back failed: {why}"),
		}
	}
}

impl std::error::Error for RaceError {}

struct Layer {
	wq: Tensor<2>,
	wk: Tensor<2>,
	wv: Tensor<2>,
	wo: Tensor<2>,
	w1: Tensor<2>,
	w2: Tensor<2>,
}

/// A race's transformer, rebuilt from the race seed.
pub struct RaceNet {
	pub model: RaceModel,
	race: RaceSeed,
	embedding: Tensor<2>,
	/// `[1, seq, d]`
	positions: Tensor<3>,
	layers: Vec<Layer>,
	device: Device,
}

/// Derives every tensor's values, spreading the tensors over `threads`.
fn derive_tensors(race: &RaceSeed, specs: &[TensorSpec], threads: usize) -> Vec<Vec<f32>> {
	let mut out: Vec<Vec<f32>> =
		specs.iter().map(|s| vec![0f32; s.rows as usize * s.cols as usize]).collect();
	let threads = threads.max(1);
	// Biggest first, dealt round-robin, so threads finish together.
	let mut order: Vec<usize> = (0..specs.len()).collect();
	order.sort_by_key(|&i| std::cmp::Reverse(out[i].len()));
	let mut buckets: Vec<Vec<(usize, &mut Vec<f32>)>> = (0..threads).map(|_| Vec::new()).collect();
	let mut slots: Vec<Option<&mut Vec<f32>>> = out.iter_mut().map(Some).collect();
	for (n, &i) in order.iter().enumerate() {
		if let Some(slot) = slots[i].take() {
			buckets[n % threads].push((i, slot));
		}
	}
	std::thread::scope(|scope| {
		for bucket in buckets {
			scope.spawn(move || {
				for (i, values) in bucket {
					fill_tensor(race, &specs[i], values);
				}
			});
		}
	});
	out
}

impl RaceNet {
	/// Rebuilds the race model of `race` on `device`, deriving weights on every core.
	pub fn build(race: &RaceSeed, model: RaceModel, device: &Device) -> Result<Self, RaceError> {
		Self::build_layers(race, model, model.layers, device)
	}

	/// Builds only the first `layers` layers: what a lazy miner would run. For tests of the
	/// validation, which must catch it.
	pub fn build_truncated(
		race: &RaceSeed,
		model: RaceModel,
		layers: u32,
		device: &Device,
	) -> Result<Self, RaceError> {
		Self::build_layers(race, model, layers.min(model.layers), device)
	}

	fn build_layers(
		race: &RaceSeed,
		model: RaceModel,
		layers: u32,
		device: &Device,
	) -> Result<Self, RaceError> {
		if model.d_model == 0 || model.heads == 0 || !model.d_model.is_multiple_of(model.heads) {
			return Err(RaceError::Shape(format!(
				"d_model {} must be a positive multiple of heads {}",
				model.d_model, model.heads
			)));
		}
		if model.seq_len == 0 || model.vocab == 0 || model.d_ff == 0 {
			return Err(RaceError::Shape("seq_len, vocab and d_ff must be positive".into()));
		}
		let specs: Vec<TensorSpec> =
			model.tensors().into_iter().take(2 + 6 * layers as usize).collect();
		let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
		let mut values = derive_tensors(race, &specs, threads).into_iter();
		let mut next = |spec: &TensorSpec| {
			let data = values.next().unwrap_or_default();
			Tensor::<2>::from_data(
				TensorData::new(data, [spec.rows as usize, spec.cols as usize]),
				device,
			)
		};
		let embedding = next(&specs[0]);
		let positions = next(&specs[1]).unsqueeze_dim::<3>(0);
		let layers = specs[2..]
			.chunks_exact(6)
			.map(|s| Layer {
				wq: next(&s[0]),
				wk: next(&s[1]),
				wv: next(&s[2]),
				wo: next(&s[3]),
				w1: next(&s[4]),
				w2: next(&s[5]),
			})
			.collect();
		Ok(Self { model, race: *race, embedding, positions, layers, device: device.clone() })
	}

	/// Floating-point operations of one nonce's forward pass (multiply-adds count two).
	pub fn flops_per_nonce(&self) -> f64 {
		let m = &self.model;
		let (d, ff, s) = (f64::from(m.d_model), f64::from(m.d_ff), f64::from(m.seq_len));
		let per_token = 2.0 * (4.0 * d * d + 2.0 * d * ff) + 2.0 * 2.0 * s * d;
		per_token * s * self.layers.len() as f64
	}

	/// The final normalised last-position vectors of `batch` inputs, each `seq_len` tokens
	/// (`tokens.len() = batch · seq_len`): `batch · d_model` values.
	pub fn forward(&self, tokens: &[u32]) -> Result<Vec<f32>, RaceError> {
		let (s, d) = (self.model.seq_len as usize, self.model.d_model as usize);
		let batch = tokens.len() / s;
		if batch == 0 || !tokens.len().is_multiple_of(s) {
			return Err(RaceError::Shape(format!("{} tokens is not a batch of {s}", tokens.len())));
		}
		let heads = self.model.heads as usize;
		let dh = d / heads;
		let ids: Vec<i64> = tokens.iter().map(|&t| i64::from(t % self.model.vocab)).collect();
		let ids = Tensor::<1, Int>::from_data(TensorData::new(ids, [batch * s]), &self.device);
		let x = self.embedding.clone().select(0, ids).reshape([batch, s, d]);
		let mut x = x.add(self.positions.clone()).reshape([batch * s, d]);
		let scale = 1.0 / (dh as f64).sqrt();
		for layer in &self.layers {
			let h = rms_norm(x.clone());
			let split = |t: Tensor<2>| t.reshape([batch, s, heads, dh]).swap_dims(1, 2);
			let q = split(h.clone().matmul(layer.wq.clone()));
			let k = split(h.clone().matmul(layer.wk.clone()));
			let v = split(h.matmul(layer.wv.clone()));
			let scores = q.matmul(k.swap_dims(2, 3)).mul_scalar(scale);
			let attended = softmax(scores, 3).matmul(v);
			let attended = attended.swap_dims(1, 2).reshape([batch * s, d]);
			x = x.add(attended.matmul(layer.wo.clone()));
			let h = rms_norm(x.clone());
			x = x.add(relu(h.matmul(layer.w1.clone())).matmul(layer.w2.clone()));
		}
		let last = x.reshape([batch, s, d]).narrow(1, s - 1, 1).reshape([batch, d]);
		rms_norm(last)
			.into_data()
			.try_into_vec::<f32>()
			.map_err(|e| RaceError::Readback(format!("{e:?}")))
	}

	/// The artifacts (`k` binary16 coordinates of each permuted output) of `nonces` of the
	/// worker with `node` seed, in order.
	pub fn artifacts(
		&self,
		node: &NodeSeed,
		nonces: &[Nonce],
		k: u32,
	) -> Result<Vec<Vec<u16>>, RaceError> {
		let seeds: Vec<_> = nonces.iter().map(|&n| input_seed(&self.race, node, n)).collect();
		let tokens: Vec<u32> =
			seeds.iter().flat_map(|seed| input_tokens(seed, &self.model)).collect();
		let outputs = self.forward(&tokens)?;
		let d = self.model.d_model as usize;
		Ok(seeds
			.iter()
			.zip(outputs.chunks_exact(d))
			.map(|(seed, output)| artifact(output, &permutation(seed, self.model.d_model), k))
			.collect())
	}

	/// How many of `openings` (nonce, claimed artifact) differ from this model's artifacts by
	/// more than `tolerance` ([`rms_difference`]), recomputed for the worker with `node` seed.
	pub fn mismatches(
		&self,
		node: &NodeSeed,
		openings: &[(Nonce, Vec<u16>)],
		k: u32,
		tolerance: f64,
	) -> Result<usize, RaceError> {
		if openings.is_empty() {
			return Ok(0);
		}
		let nonces: Vec<Nonce> = openings.iter().map(|(nonce, _)| *nonce).collect();
		let recomputed = self.artifacts(node, &nonces, k)?;
		Ok(openings
			.iter()
			.zip(recomputed)
			.filter(|((_, claimed), mine)| {
				claimed.len() != mine.len() || !(rms_difference(claimed, mine) <= tolerance)
			})
			.count())
	}
}

/// `sqrt(mean((a_i − b_i)²))` of two artifacts' values, in f64; infinite when their lengths
/// differ or either is empty, NaN when a value is NaN (which no tolerance accepts).
pub fn rms_difference(a: &[u16], b: &[u16]) -> f64 {
	if a.len() != b.len() || a.is_empty() {
		return f64::INFINITY;
	}
	let sum: f64 = a
		.iter()
		.zip(b)
		.map(|(&x, &y)| {
			let diff = f64::from(f16_value(x)) - f64::from(f16_value(y));
			diff * diff
		})
		.sum();
	(sum / a.len() as f64).sqrt()
}

/// `x / sqrt(mean(x²) + ε)` over the last dimension.
fn rms_norm(x: Tensor<2>) -> Tensor<2> {
	let inv_rms = x.clone().powf_scalar(2.0).mean_dim(1).add_scalar(EPS).sqrt().recip();
	x.mul(inv_rms)
}

/// Throughput of a race model on this machine, against a large matmul in the same run.
#[derive(Clone, Debug)]
pub struct RaceBench {
	pub build_seconds: f64,
	pub nonces: u64,
	pub seconds: f64,
	pub nonces_per_second: f64,
	pub gflops: f64,
	pub matmul_gflops: f64,
}

/// GFLOP/s of an `n × n × n` matmul (`2n³` operations), best of `reps`.
pub fn matmul_gflops(device: &Device, n: usize, reps: usize) -> Result<f64, RaceError> {
	let values = |seed: u8| -> Vec<f32> {
		(0..n * n)
			.map(|i| ((i as u32).wrapping_mul(2_654_435_761) ^ u32::from(seed)) as f32 * 1e-10)
			.collect()
	};
	let a = Tensor::<2>::from_data(TensorData::new(values(1), [n, n]), device);
	let b = Tensor::<2>::from_data(TensorData::new(values(2), [n, n]), device);
	let mut best = f64::INFINITY;
	for _ in 0..reps.max(1) {
		let started = std::time::Instant::now();
		let c = a.clone().matmul(b.clone());
		c.into_data().try_into_vec::<f32>().map_err(|e| RaceError::Readback(format!("{e:?}")))?;
		best = best.min(started.elapsed().as_secs_f64());
	}
	Ok(2.0 * (n as f64).powi(3) / best / 1e9)
}

/// Builds `model` and searches nonces in batches of `batch` for about `seconds`.
pub fn bench(
	model: RaceModel,
	batch: usize,
	seconds: f64,
	device: &Device,
) -> Result<RaceBench, RaceError> {
	let race = [0x42; 32];
	let started = std::time::Instant::now();
	let net = RaceNet::build(&race, model, device)?;
	let build_seconds = started.elapsed().as_secs_f64();
	let (nonces, elapsed) = search_for(&net, batch, seconds)?;
	let nonces_per_second = nonces as f64 / elapsed;
	Ok(RaceBench {
		build_seconds,
		nonces,
		seconds: elapsed,
		nonces_per_second,
		gflops: nonces_per_second * net.flops_per_nonce() / 1e9,
		matmul_gflops: matmul_gflops(device, 1024, 3)?,
	})
}

/// Searches batches of `batch` nonces for about `seconds` after one warm-up batch: nonces
/// done and the seconds they took.
fn search_for(net: &RaceNet, batch: usize, seconds: f64) -> Result<(u64, f64), RaceError> {
	let node = ail2_primitives::race::node_seed(&[0x02; 33]);
	let batch = batch.max(1) as u64;
	let warm: Vec<u64> = (0..batch).collect();
	net.artifacts(&node, &warm, ARTIFACT_LEN)?;
	let started = std::time::Instant::now();
	let mut next = batch;
	while started.elapsed().as_secs_f64() < seconds {
		let nonces: Vec<u64> = (next..next + batch).collect();
		net.artifacts(&node, &nonces, ARTIFACT_LEN)?;
		next += batch;
	}
	Ok((next - batch, started.elapsed().as_secs_f64()))
}

/// Nonces per second of `model` on `device` (the model is built from a fixed seed first).
pub fn bench_search(
	model: RaceModel,
	batch: usize,
	seconds: f64,
	device: &Device,
) -> Result<f64, RaceError> {
	let net = RaceNet::build(&[0x42; 32], model, device)?;
	let (nonces, elapsed) = search_for(&net, batch, seconds)?;
	Ok(nonces as f64 / elapsed)
}

/// What the readiness self-test found.
#[derive(Clone, Debug)]
pub struct Readiness {
	/// Derivation checks against the checked-in vectors that failed (empty when ready).
	pub failures: Vec<String>,
	/// Nonces per second of `model` on this device, measured on a short run.
	pub nonces_per_second: f64,
}

/// The vectors `primitives/reference/race.py` wrote, compiled in.
const VECTORS: &str = include_str!("../../../primitives/tests/race_vectors.json");

/// Checks this build's derivations against the checked-in vectors (a miner whose derivations
/// differ would search a different race and be rejected by every validator), and measures
/// the throughput to expect for `model` with batches of `batch`.
pub fn self_test(
	model: RaceModel,
	batch: usize,
	seconds: f64,
	device: &Device,
) -> Result<Readiness, RaceError> {
	Ok(Readiness {
		failures: check_vectors(VECTORS),
		nonces_per_second: bench_search(model, batch, seconds, device)?,
	})
}

fn check_vectors(text: &str) -> Vec<String> {
	use ail2_primitives::race::{node_seed, ChaCha20};
	let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else {
		return vec!["the compiled-in vectors do not parse".into()];
	};
	let bytes = |name: &str| -> Vec<u8> {
		let text = v[name].as_str().unwrap_or_default();
		(0..text.len() / 2)
			.filter_map(|i| u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok())
			.collect()
	};
	let seed32 = |bytes: Vec<u8>| -> [u8; 32] { bytes.try_into().unwrap_or([0; 32]) };
	let numbers = |value: &serde_json::Value| -> Vec<u64> {
		value.as_array().map_or(Vec::new(), |a| a.iter().filter_map(|n| n.as_u64()).collect())
	};
	let bits = |name: &str| -> Vec<u32> {
		v[name].as_array().map_or(Vec::new(), |a| {
			a.iter().filter_map(|b| u32::from_str_radix(b.as_str()?, 16).ok()).collect()
		})
	};
	let mut failures = Vec::new();
	let mut check = |name: &str, ok: bool| {
		if !ok {
			failures.push(name.to_owned());
		}
	};
	let race = seed32(bytes("race_seed"));
	let node = node_seed(&bytes("public_key"));
	check("node seed", node == seed32(bytes("node_seed")));
	let mut stream = ChaCha20::new(&seed32(bytes("stream_key")));
	let expected_words = numbers(&v["stream_words"]);
	let words: Vec<u64> = expected_words.iter().map(|_| u64::from(stream.next_u32())).collect();
	check("ChaCha20 stream", !words.is_empty() && words == expected_words);
	let uniforms: Vec<u32> = (0..4).map(|_| stream.uniform().to_bits()).collect();
	check("uniform draws", uniforms == bits("uniform_f32_bits"));
	let normals: Vec<u32> = (0..4).map(|_| stream.normal().to_bits()).collect();
	check("normal draws", normals == bits("normal_f32_bits"));
	let seed = input_seed(&race, &node, 1);
	let expected_seed = v["input_seeds"]["1"].as_str().unwrap_or_default();
	let seed_hex: String = seed.iter().map(|b| format!("{b:02x}")).collect();
	check("input seed", seed_hex == expected_seed);
	let perm: Vec<u64> = permutation(&seed, 16).into_iter().map(u64::from).collect();
	check("permutation", perm == numbers(&v["permutation_16"]));
	let halves: Vec<u64> = v["f16_inputs_f32_bits"].as_array().map_or(Vec::new(), |inputs| {
		inputs
			.iter()
			.filter_map(|b| u32::from_str_radix(b.as_str()?, 16).ok())
			.map(|b| u64::from(ail2_primitives::race::f16_bits(f32::from_bits(b))))
			.collect()
	});
	check("binary16 rounding", !halves.is_empty() && halves == numbers(&v["f16_bits"]));
	let counting = |nonce: u64| -> Vec<u16> { (0..16).map(|i| (nonce * 16 + i) as u16).collect() };
	let mut peaks = ail2_primitives::merkle::Peaks::default();
	for nonce in 0..13 {
		let _ = peaks.push(ail2_primitives::race::work_leaf(nonce, &counting(nonce)));
	}
	let root_hex: String = peaks
		.root()
		.map(|r| r.hash.iter().map(|b| format!("{b:02x}")).collect())
		.unwrap_or_default();
	check("work commitment", root_hex == v["work_roots"]["13"].as_str().unwrap_or_default());
	failures
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn this_build_passes_the_vector_check_and_a_tampered_file_fails_it() {
		assert_eq!(check_vectors(VECTORS), Vec::<String>::new());
		let tampered =
			VECTORS.replacen("\"permutation_16\": [\n  ", "\"permutation_16\": [\n  99, ", 1);
		assert_ne!(tampered, VECTORS);
		assert_eq!(check_vectors(&tampered), vec!["permutation".to_owned()]);
		assert_eq!(check_vectors("{"), vec!["the compiled-in vectors do not parse".to_owned()]);
	}
}
