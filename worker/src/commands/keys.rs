//! `ail2-worker keys`: the worker's hot and receipt keys.

use ail2_worker::keys::WorkerKeys;
use clap::{Args, Subcommand};

use super::GlobalArgs;

#[derive(Args)]
pub struct KeysCommand {
	#[command(subcommand)]
	action: KeysAction,
}

#[derive(Subcommand)]
enum KeysAction {
	/// Generate a key file (refuses to overwrite one).
	Generate {
		/// Use this secret URI as the hot key instead of a random one (dev chains: `//Ferdie`).
		#[arg(long)]
		hot_uri: Option<String>,
	},
	/// Print the public keys.
	Inspect,
}

impl KeysCommand {
	pub fn run(self, global: &GlobalArgs) -> anyhow::Result<()> {
		let keys = match self.action {
			KeysAction::Generate { hot_uri } => {
				WorkerKeys::generate(&global.key_file(), hot_uri.as_deref())?
			},
			KeysAction::Inspect => WorkerKeys::load(&global.key_file())?,
		};
		println!("hot key (account):  0x{}", hex::encode(keys.hot_account()));
		println!("receipt key:        0x{}", hex::encode(keys.receipt.public()));
		Ok(())
	}
}
