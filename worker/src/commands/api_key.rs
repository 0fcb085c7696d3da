//! `ail2-worker api-key`: a new API key for an app, and the gateway's configuration entry for
//! it (which holds only the key's hash).

use ail2_worker::gateway::config::{parse_account, sha256};
use clap::Args;

#[derive(Args)]
pub struct ApiKeyCommand {
	/// A name for the key (shown in metrics and errors).
	#[arg(long)]
	name: String,
	/// The paying account: SS58 or 0x and 64 hex digits.
	#[arg(long)]
	payer: String,
	/// The most one request may cost, in the smallest unit.
	#[arg(long)]
	max_price: u128,
	/// Requests the key may make per minute.
	#[arg(long, default_value_t = 600)]
	requests_per_minute: u32,
}

impl ApiKeyCommand {
	/// Prints the key on stderr (it is shown once and stored nowhere) and the entry on stdout.
	pub fn run(self) -> anyhow::Result<()> {
		let Self { name, payer, max_price, requests_per_minute } = self;
		parse_account(&payer)?;
		let mut secret = [0u8; 24];
		rand::RngCore::fill_bytes(&mut rand::rng(), &mut secret);
		let key = format!("ail2-{}", hex::encode(secret));
		let hash = hex::encode(sha256(&key));
		eprintln!("API key (give it to the app; it is not stored anywhere): {key}");
		println!(
			"[[api_keys]]\nname = \"{name}\"\nsha256 = \"{hash}\"\npayer = \"{payer}\"\nrequests_per_minute = {requests_per_minute}\nmax_price = \"{max_price}\""
		);
		Ok(())
	}
}
