//! `ail2-worker race-calibrate`: the distance threshold for a wanted hit rate.

use ail2_model::default_device;
use clap::Args;

use super::race_preset;

#[derive(Args)]
pub struct RaceCalibrateCommand {
	/// `tiny` or `whitepaper`.
	#[arg(long, default_value = "tiny")]
	preset: String,
	/// Nonces tried.
	#[arg(long, default_value_t = 200_000)]
	nonces: u64,
	/// One nonce in this many should hit.
	#[arg(long, default_value_t = 900.0)]
	rarity: f64,
	/// Race seeds the nonces are spread over (each costs a model build).
	#[arg(long, default_value_t = 4)]
	seeds: u64,
	/// Nonces per forward pass.
	#[arg(long, default_value_t = 256)]
	batch: usize,
}

impl RaceCalibrateCommand {
	pub async fn run(self) -> anyhow::Result<()> {
		let Self { preset, nonces, rarity, seeds, batch } = self;
		let model = race_preset(&preset)?;
		let device = default_device();
		let calibration = tokio::task::spawn_blocking(move || {
			ail2_race::calibrate(model, nonces, seeds, batch.max(1), 1.0 / rarity, &device)
		})
		.await??;
		println!(
			"race model {preset}: distance² over {nonces} nonces: mean {:.3}, standard deviation {:.3}",
			calibration.mean_sq, calibration.std_sq
		);
		println!(
			"1 in {rarity}: empirical threshold {:.4} (distance_threshold inner {}), normal approximation {:.4}",
			calibration.empirical,
			(calibration.empirical * 1e9).round() as u64,
			calibration.normal
		);
		Ok(())
	}
}
