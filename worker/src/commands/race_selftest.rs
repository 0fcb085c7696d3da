//! `ail2-worker race-selftest`: the readiness self-test before a race.

use ail2_model::default_device;
use anyhow::bail;
use clap::Args;

use super::race_preset;

#[derive(Args)]
pub struct RaceSelftestCommand {
	/// `tiny` or `whitepaper`.
	#[arg(long, default_value = "tiny")]
	preset: String,
	/// Nonces per forward pass.
	#[arg(long, default_value_t = 256)]
	batch: usize,
	/// How long the throughput is measured, in seconds.
	#[arg(long, default_value_t = 3.0)]
	seconds: f64,
}

impl RaceSelftestCommand {
	/// Fails if a race derivation of this build differs from the checked-in vectors.
	pub async fn run(self) -> anyhow::Result<()> {
		let Self { preset, batch, seconds } = self;
		let model = race_preset(&preset)?;
		let device = default_device();
		let readiness = tokio::task::spawn_blocking(move || {
			ail2_race::self_test(model, batch, seconds, &device)
		})
		.await??;
		println!(
			"race model {preset}: {:.1} nonces/s expected on {}",
			readiness.nonces_per_second,
			ail2_model::backend_name()
		);
		if !readiness.failures.is_empty() {
			bail!(
				"this build's race derivations differ from the checked-in vectors: {}",
				readiness.failures.join(", ")
			);
		}
		println!("race derivations match the checked-in vectors: ready");
		Ok(())
	}
}
