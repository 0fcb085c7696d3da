//! `ail2-worker bench-race`: the PoW race model's speed, and what validation costs.

use ail2_model::default_device;
use clap::Args;

use super::race_preset;

#[derive(Args)]
pub struct BenchRaceCommand {
	/// `tiny` or `whitepaper` (64 layers, 128 heads, d_model 512, FFN 8192, vocab 8192,
	/// sequences of 4).
	#[arg(long, default_value = "tiny")]
	preset: String,
	/// Nonces per forward pass.
	#[arg(long, default_value_t = 256)]
	batch: usize,
	/// How long to search, in seconds.
	#[arg(long, default_value_t = 10.0)]
	seconds: f64,
	/// Validation sample size k, for the validation-cost figure.
	#[arg(long, default_value_t = 200, help_heading = "Validation cost")]
	sample: u64,
	/// The race window the sample is compared with, in seconds.
	#[arg(long, default_value_t = 600.0, help_heading = "Validation cost")]
	window_secs: f64,
}

impl BenchRaceCommand {
	pub async fn run(self) -> anyhow::Result<()> {
		let Self { preset, batch, seconds, sample, window_secs } = self;
		let model = race_preset(&preset)?;
		let device = default_device();
		let report =
			tokio::task::spawn_blocking(move || ail2_race::bench(model, batch, seconds, &device))
				.await??;
		println!(
			"race model {preset}: {} parameters, built from its seed in {:.1} s",
			model.parameters(),
			report.build_seconds
		);
		println!(
			"{:.1} nonces/s ({} in {:.1} s, batches of {batch}) = {:.1} GFLOP/s; 1024³ matmul in the same run: {:.1} GFLOP/s ({:.0}%)",
			report.nonces_per_second,
			report.nonces,
			report.seconds,
			report.gflops,
			report.matmul_gflops,
			100.0 * report.gflops / report.matmul_gflops
		);
		let window_nonces = report.nonces_per_second * window_secs;
		println!(
			"validating k = {sample} nonces costs {:.3}% of one participant's {window_secs:.0} s window ({:.0} nonces)",
			100.0 * sample as f64 / window_nonces,
			window_nonces
		);
		Ok(())
	}
}
