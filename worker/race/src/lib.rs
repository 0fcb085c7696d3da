//! The PoW 2.0 race model (seed `pow2-decentralized-ai.txt`, Appendix A) in burn.
//!
//! The weights, target, inputs and permutations come from `ail2_primitives::race`, which
//! every miner and validator derives identically; this crate runs the forward pass:
//!
//! ```text
//! x = E[tokens] + P                                 [batch, seq, d]
//! for each layer:
//!     h = rmsnorm(x)                                 (ε = 1e-5, no gain)
//!     x = concat_h(softmax(q·kᵀ/√d_h + causal)·v)·W_o    with q, k, v = h·W_q, h·W_k, h·W_v
//!     x = relu(rmsnorm(x)·W_1)·W_2
//! y = rmsnorm(x[last position])                      [batch, d]
//! distance² = Σ_i (y[perm[i]] − target[i])²;  a hit when distance² < threshold²
//! ```
//!
//! Unlike an LLM, the blocks have **no residual connections**: each replaces the stream.
//! With them, the output of a model missing its last layers stays correlated with the full
//! model's, so a "lazy" miner running fewer layers keeps most of its hits (measured at 64
//! layers, d_model 64: a model one layer short kept 90% of its hits; at 4 layers, 77%).
//! Without them a truncated model's hits are hits of the full model only by chance (5% at a
//! 1-in-20 threshold), and honest recomputation still agreed on every hit at 64 layers. The
//! matmuls, and so the hardware the race rewards, are the same.
//!
//! A batch of many nonces runs as one forward pass: at sequence length 4 each nonce's
//! matrices are thin, and batching makes them matmuls the CPU and GPU run near peak.

use ail2_model::Device;
use ail2_primitives::race::{
	fill_tensor, input_seed, input_tokens, permutation, target_vector, NodeSeed, Nonce, RaceModel,
	RaceSeed, TensorSpec,
};
use burn::tensor::{activation::relu, activation::softmax, Bool, Int, Tensor, TensorData};

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

/// A race's transformer and target, rebuilt from the race seed.
pub struct RaceNet {
	pub model: RaceModel,
	race: RaceSeed,
	embedding: Tensor<2>,
	/// `[1, seq, d]`
	positions: Tensor<3>,
	layers: Vec<Layer>,
	target: Vec<f32>,
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
		Ok(Self {
			model,
			race: *race,
			embedding,
			positions,
			layers,
			target: target_vector(race, model.d_model),
			device: device.clone(),
		})
	}

	pub fn target(&self) -> &[f32] {
		&self.target
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
		let mask = causal_mask(s, &self.device).expand([batch, heads, s, s]);
		let scale = 1.0 / (dh as f64).sqrt();
		for layer in &self.layers {
			let h = rms_norm(x.clone());
			let split = |t: Tensor<2>| t.reshape([batch, s, heads, dh]).swap_dims(1, 2);
			let q = split(h.clone().matmul(layer.wq.clone()));
			let k = split(h.clone().matmul(layer.wk.clone()));
			let v = split(h.matmul(layer.wv.clone()));
			let scores = q.matmul(k.swap_dims(2, 3)).mul_scalar(scale);
			let attended = softmax(scores.mask_fill(mask.clone(), f32::NEG_INFINITY), 3).matmul(v);
			let attended = attended.swap_dims(1, 2).reshape([batch * s, d]);
			// No residual connections: each block replaces the stream (see the crate docs).
			x = attended.matmul(layer.wo.clone());
			let h = rms_norm(x);
			x = relu(h.matmul(layer.w1.clone())).matmul(layer.w2.clone());
		}
		let last = x.reshape([batch, s, d]).narrow(1, s - 1, 1).reshape([batch, d]);
		rms_norm(last)
			.into_data()
			.try_into_vec::<f32>()
			.map_err(|e| RaceError::Readback(format!("{e:?}")))
	}

	/// Squared distances to the target of `nonces` of the worker with `node` seed.
	pub fn distances(&self, node: &NodeSeed, nonces: &[Nonce]) -> Result<Vec<f64>, RaceError> {
		let seeds: Vec<_> = nonces.iter().map(|&n| input_seed(&self.race, node, n)).collect();
		let tokens: Vec<u32> =
			seeds.iter().flat_map(|seed| input_tokens(seed, &self.model)).collect();
		let outputs = self.forward(&tokens)?;
		let d = self.model.d_model as usize;
		Ok(seeds
			.iter()
			.zip(outputs.chunks_exact(d))
			.map(|(seed, output)| {
				distance_squared(output, &self.target, &permutation(seed, self.model.d_model))
			})
			.collect())
	}

	/// The nonces among `nonces` that hit (distance² < `threshold_sq`).
	pub fn search(
		&self,
		node: &NodeSeed,
		nonces: &[Nonce],
		threshold_sq: f64,
	) -> Result<Vec<Nonce>, RaceError> {
		let distances = self.distances(node, nonces)?;
		Ok(nonces
			.iter()
			.zip(distances)
			.filter(|(_, distance)| *distance < threshold_sq)
			.map(|(nonce, _)| *nonce)
			.collect())
	}

	/// How many of a participant's claimed hits are not hits when recomputed here.
	pub fn mismatches(
		&self,
		node: &NodeSeed,
		claimed: &[Nonce],
		threshold_sq: f64,
	) -> Result<usize, RaceError> {
		Ok(self.distances(node, claimed)?.iter().filter(|d| **d >= threshold_sq).count())
	}
}

/// `Σ_i (output[perm[i]] − target[i])²`, accumulated in f64.
pub fn distance_squared(output: &[f32], target: &[f32], perm: &[u32]) -> f64 {
	perm.iter()
		.zip(target)
		.map(|(&p, &t)| {
			let y = output.get(p as usize).copied().unwrap_or(f32::NAN);
			let diff = f64::from(y) - f64::from(t);
			diff * diff
		})
		.sum()
}

/// The squared threshold at which a fraction `hit_rate` of `distances` hit (the empirical
/// quantile), for calibrating a race's difficulty.
pub fn threshold_for(mut distances: Vec<f64>, hit_rate: f64) -> Option<f64> {
	distances.retain(|d| d.is_finite());
	if distances.is_empty() {
		return None;
	}
	distances.sort_by(f64::total_cmp);
	let position = ((distances.len() as f64) * hit_rate).floor() as usize;
	distances.get(position.min(distances.len() - 1)).copied()
}

/// `x / sqrt(mean(x²) + ε)` over the last dimension.
fn rms_norm(x: Tensor<2>) -> Tensor<2> {
	let inv_rms = x.clone().powf_scalar(2.0).mean_dim(1).add_scalar(EPS).sqrt().recip();
	x.mul(inv_rms)
}

/// `[1, 1, s, s]`, true above the diagonal (a position never sees later ones).
fn causal_mask(s: usize, device: &Device) -> Tensor<4, Bool> {
	let masked: Vec<bool> = (0..s).flat_map(|i| (0..s).map(move |j| j > i)).collect();
	Tensor::from_data(TensorData::new(masked, [1, 1, s, s]), device)
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
	net.distances(&node, &warm)?;
	let started = std::time::Instant::now();
	let mut next = batch;
	while started.elapsed().as_secs_f64() < seconds {
		let nonces: Vec<u64> = (next..next + batch).collect();
		net.distances(&node, &nonces)?;
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

/// What `calibrate` measured: the distribution of squared distances and two thresholds
/// (distances, not squared) for the requested hit rate.
#[derive(Clone, Debug)]
pub struct Calibration {
	pub mean_sq: f64,
	pub std_sq: f64,
	/// The empirical quantile.
	pub empirical: f64,
	/// From the normal approximation of distance² (mean − z·σ), for runs too short to see
	/// enough hits.
	pub normal: f64,
}

/// Measures the distance threshold at which a fraction `hit_rate` of `nonces` attempts hit,
/// over `seeds` race seeds (the target is scaled to the outputs' length, so the rate does
/// not depend on the seed).
pub fn calibrate(
	model: RaceModel,
	nonces: u64,
	seeds: u64,
	batch: usize,
	hit_rate: f64,
	device: &Device,
) -> Result<Calibration, RaceError> {
	let seeds = seeds.max(1);
	let mut all = Vec::new();
	for seed in 0..seeds {
		let race = ail2_primitives::keccak256(&seed.to_le_bytes());
		let net = RaceNet::build(&race, model, device)?;
		let node = ail2_primitives::race::node_seed(&seed.to_be_bytes());
		let per_seed = nonces / seeds;
		let mut next = 0u64;
		while next < per_seed {
			let end = (next + batch as u64).min(per_seed);
			let chunk: Vec<u64> = (next..end).collect();
			all.extend(net.distances(&node, &chunk)?);
			next = end;
		}
	}
	let n = all.len().max(1) as f64;
	let mean_sq = all.iter().sum::<f64>() / n;
	let std_sq = (all.iter().map(|d| (d - mean_sq).powi(2)).sum::<f64>() / n).sqrt();
	let empirical = threshold_for(all, hit_rate).unwrap_or(f64::NAN).sqrt();
	let normal = (mean_sq - normal_quantile(1.0 - hit_rate) * std_sq).max(0.0).sqrt();
	Ok(Calibration { mean_sq, std_sq, empirical, normal })
}

/// The standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9
/// in the central region; enough for a difficulty estimate).
fn normal_quantile(p: f64) -> f64 {
	const A: [f64; 6] = [
		-3.969683028665376e1,
		2.209460984245205e2,
		-2.759285104469687e2,
		1.38357751867269e2,
		-3.066479806614716e1,
		2.506628277459239,
	];
	const B: [f64; 5] = [
		-5.447609879822406e1,
		1.615858368580409e2,
		-1.556989798598866e2,
		6.680131188771972e1,
		-1.328068155288572e1,
	];
	const C: [f64; 6] = [
		-7.784894002430293e-3,
		-3.223964580411365e-1,
		-2.400758277161838,
		-2.549732539343734,
		4.374664141464968,
		2.938163982698783,
	];
	const D: [f64; 4] =
		[7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
	let tail = |q: f64| {
		(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
			/ ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
	};
	if p < 0.02425 {
		tail((-2.0 * p.ln()).sqrt())
	} else if p > 1.0 - 0.02425 {
		-tail((-2.0 * (1.0 - p).ln()).sqrt())
	} else {
		let q = p - 0.5;
		let r = q * q;
		(((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
			/ (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
	}
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
	let target: Vec<u32> = target_vector(&race, 8).into_iter().map(f32::to_bits).collect();
	check("target vector", target == bits("target_8_bits"));
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
