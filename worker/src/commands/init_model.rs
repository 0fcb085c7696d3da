//! `ail2-worker init-model`: a random-weight model folder for tests and development.

use std::path::PathBuf;

use ail2_model::random::{write_random_model, RandomModelSpec};
use anyhow::anyhow;
use clap::Args;

#[derive(Args)]
pub struct InitModelCommand {
	/// The model's size: `tiny` or `100m`.
	#[arg(long, default_value = "tiny")]
	preset: String,
	/// Seed of the random weights (the same seed writes the same model).
	#[arg(long, default_value_t = 42)]
	seed: u64,
	/// The folder to write: config.json, model.safetensors, tokenizer.json.
	#[arg(long)]
	out: PathBuf,
}

impl InitModelCommand {
	pub fn run(self) -> anyhow::Result<()> {
		let spec =
			RandomModelSpec::preset(&self.preset).ok_or_else(|| anyhow!("presets: tiny, 100m"))?;
		let config = write_random_model(&self.out, &spec, self.seed)?;
		println!(
			"wrote {} ({} parameters, vocabulary {})",
			self.out.display(),
			config.parameter_count(),
			config.vocab_size
		);
		Ok(())
	}
}
