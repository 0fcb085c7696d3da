//! `ail2-worker validate`: assigned race validation duty only, with the options of `race`.

use clap::Args;

use super::{race::RaceCommand, GlobalArgs};

#[derive(Args)]
pub struct ValidateCommand {
	#[command(flatten)]
	race: RaceCommand,
}

impl ValidateCommand {
	pub async fn run(self, global: &GlobalArgs) -> anyhow::Result<()> {
		self.race.follow(global, false).await
	}
}
