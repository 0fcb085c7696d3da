//! `ail2-worker bench-model`: generation speed of a random model, and what a verifier's
//! replay of the same request costs against serving it (proof of inference).

use std::time::Instant;

use ail2_model::{
	default_device,
	random::{write_random_model, RandomModelSpec},
	KvCache, Logits, Sampler, SamplingParams, TextModel,
};
use anyhow::anyhow;
use clap::Args;

#[derive(Args)]
pub struct BenchModelCommand {
	/// The model's size: `tiny` or `100m`.
	#[arg(long, default_value = "tiny")]
	preset: String,
	/// Tokens to generate.
	#[arg(long, default_value_t = 64)]
	tokens: usize,
	/// Prompt length in tokens.
	#[arg(long, default_value_t = 32)]
	prompt: usize,
}

impl BenchModelCommand {
	pub async fn run(self) -> anyhow::Result<()> {
		tokio::task::spawn_blocking(move || self.measure()).await?
	}

	/// Writes a random model of the preset, then times a prompt's prefill and greedy decoding.
	fn measure(self) -> anyhow::Result<()> {
		let Self { preset, tokens, prompt: prompt_len } = self;
		let spec =
			RandomModelSpec::preset(&preset).ok_or_else(|| anyhow!("presets: tiny, 100m"))?;
		let dir = std::env::temp_dir().join(format!("ail2-bench-model-{}", std::process::id()));
		let config = write_random_model(&dir, &spec, 1)?;
		let started = Instant::now();
		let model = TextModel::load(&dir, &default_device())?;
		let load = started.elapsed();
		std::fs::remove_dir_all(&dir).ok();
		let prompt: Vec<u32> =
			(0..prompt_len).map(|i| (i * 7 % config.vocab_size) as u32).collect();
		let mut cache = KvCache::new();
		let mut sampler = Sampler::new(&SamplingParams::greedy());

		let started = Instant::now();
		let logits = ail2_model::to_vec(model.model.forward(&prompt, &mut cache, Logits::Last)?)?;
		let prefill = started.elapsed();
		let mut next = sampler.sample(&logits);
		let mut output = Vec::with_capacity(tokens);
		let started = Instant::now();
		for _ in 0..tokens {
			output.push(next);
			let logits =
				ail2_model::to_vec(model.model.forward(&[next], &mut cache, Logits::Last)?)?;
			next = sampler.sample(&logits);
		}
		let decode = started.elapsed();
		// The verifier's side: the prompt and the output in one prefill, with the sampler's
		// check at every output position.
		let started = Instant::now();
		let replay = model.replay(&prompt, &output, &SamplingParams::greedy(), 1e-3)?;
		let replayed = started.elapsed();
		anyhow::ensure!(replay.unsampled.is_empty(), "the replay rejects an honest generation");
		println!(
			"{preset}: {} parameters on {} ({} threads); load {:.2} s; prefill {prompt_len} tokens {:.1} tokens/s; decode {tokens} tokens {:.2} tokens/s; replay {:.1} ms = {:.1}% of serving ({:.1} ms)",
			config.parameter_count(),
			ail2_model::backend_name(),
			std::thread::available_parallelism().map_or(1, |n| n.get()),
			load.as_secs_f64(),
			prompt_len as f64 / prefill.as_secs_f64(),
			tokens as f64 / decode.as_secs_f64(),
			replayed.as_secs_f64() * 1e3,
			100.0 * replayed.as_secs_f64() / (prefill + decode).as_secs_f64(),
			(prefill + decode).as_secs_f64() * 1e3,
		);
		Ok(())
	}
}
