//! `ail2-worker init-model`: a random-weight model folder for tests and development, or a
//! perturbed copy of one (what a cheating worker would serve, for proof-of-inference tests).

use std::path::PathBuf;

use ail2_model::random::{perturb_model, write_random_model, Perturbation, RandomModelSpec};
use anyhow::{anyhow, bail};
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
	/// Instead of a new model, write a perturbed copy of this model folder (tests of proof
	/// of inference only: an honest worker never serves one).
	#[arg(long, hide = true)]
	perturb_from: Option<PathBuf>,
	/// With `--perturb-from`: multiply every linear weight by this factor.
	#[arg(long, hide = true, requires = "perturb_from")]
	scale: Option<f32>,
	/// With `--perturb-from`: drop this decoder layer (zero its output projections).
	#[arg(long, hide = true, requires = "perturb_from", conflicts_with = "scale")]
	drop_layer: Option<usize>,
}

impl InitModelCommand {
	pub fn run(self) -> anyhow::Result<()> {
		if let Some(from) = &self.perturb_from {
			let perturbation = match (self.scale, self.drop_layer) {
				(Some(factor), None) => Perturbation::ScaleLinear(factor),
				(None, Some(layer)) => Perturbation::DropLayer(layer),
				_ => bail!("--perturb-from needs --scale or --drop-layer"),
			};
			perturb_model(from, &self.out, perturbation)?;
			println!("wrote {} ({perturbation:?} of {})", self.out.display(), from.display());
			return Ok(());
		}
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
