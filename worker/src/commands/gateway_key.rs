//! `ail2-worker gateway-key`: a gateway's signing key, which payers register on chain.

use std::path::PathBuf;

use ail2_worker::keys::{generate_gateway_key, load_gateway_key};
use anyhow::anyhow;
use clap::{Args, Subcommand};

#[derive(Args)]
pub struct GatewayKeyCommand {
	#[command(subcommand)]
	action: GatewayKeyAction,
}

#[derive(Subcommand)]
enum GatewayKeyAction {
	/// Write a new key file (refuses to overwrite one) and print its public key.
	Generate {
		/// The key file to write.
		#[arg(long, env = "AIL2_GATEWAY_KEY_FILE")]
		out: PathBuf,
		/// Use this secret (0x + 64 hex digits) instead of a random one: dev chains only.
		#[arg(long)]
		secret: Option<String>,
	},
	/// Print the public key payers register on chain.
	Inspect {
		/// The key file to read.
		#[arg(long, env = "AIL2_GATEWAY_KEY_FILE")]
		file: PathBuf,
	},
}

impl GatewayKeyCommand {
	pub fn run(self) -> anyhow::Result<()> {
		let key = match self.action {
			GatewayKeyAction::Generate { out, secret } => {
				let secret = secret
					.map(|text| {
						hex::decode(text.trim_start_matches("0x"))
							.ok()
							.and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
							.ok_or_else(|| anyhow!("--secret must be 0x and 64 hex digits"))
					})
					.transpose()?;
				generate_gateway_key(&out, secret)?
			},
			GatewayKeyAction::Inspect { file } => load_gateway_key(&file)?,
		};
		println!("gateway key: 0x{}", hex::encode(key.public()));
		Ok(())
	}
}
