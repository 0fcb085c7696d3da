//! `ail2-worker register`: registers this worker on chain, signed by its owner account.

use std::str::FromStr;

use ail2_chain::{ChainClient, Registration};
use ail2_primitives::receipt::proof_of_possession_message;
use ail2_worker::keys::WorkerKeys;
use anyhow::{anyhow, bail};
use clap::Args;
use subxt_signer::{sr25519, SecretUri};

use super::GlobalArgs;

#[derive(Args)]
pub struct RegisterCommand {
	/// The owner (cold) account's secret URI; it pays the stake.
	#[arg(long, env = "AIL2_OWNER_URI", help_heading = "Owner")]
	owner_uri: String,
	/// Stake in the smallest unit.
	#[arg(long, env = "AIL2_STAKE", help_heading = "Owner")]
	stake: u128,
	/// The public URL clients and gateways reach this worker at.
	#[arg(long, env = "AIL2_ENDPOINT")]
	endpoint: String,
	/// The GPU model, as routers match it (`cpu` for none).
	#[arg(long, env = "AIL2_GPU_MODEL", default_value = "cpu", help_heading = "Hardware")]
	gpu_model: String,
	/// How many GPUs serve.
	#[arg(long, env = "AIL2_GPU_COUNT", default_value_t = 1, help_heading = "Hardware")]
	gpu_count: u8,
	/// Memory per GPU, in MiB.
	#[arg(long, env = "AIL2_VRAM_MIB", default_value_t = 16_384, help_heading = "Hardware")]
	vram_mib: u32,
	/// CUDA version as `major.minor`.
	#[arg(long, env = "AIL2_CUDA", default_value = "12.0", help_heading = "Hardware")]
	cuda: String,
	/// Latitude in millionths of a degree (routers prefer workers near the client).
	#[arg(long, env = "AIL2_LAT_MICRO_DEG", default_value_t = 0, help_heading = "Location")]
	lat_micro_deg: i32,
	/// Longitude in millionths of a degree.
	#[arg(long, env = "AIL2_LON_MICRO_DEG", default_value_t = 0, help_heading = "Location")]
	lon_micro_deg: i32,
}

impl RegisterCommand {
	/// Registers the hot and receipt keys of the key file; does nothing if the hot key is
	/// already registered with this receipt key.
	pub async fn run(self, global: &GlobalArgs) -> anyhow::Result<()> {
		let keys = WorkerKeys::load(&global.key_file())?;
		let uri = SecretUri::from_str(&self.owner_uri).map_err(|e| anyhow!("owner URI: {e}"))?;
		let owner = sr25519::Keypair::from_uri(&uri).map_err(|e| anyhow!("owner URI: {e}"))?;
		let owner_account = owner.public_key().0;
		let chain = ChainClient::connect(&global.chain_url, owner).await?;

		match chain.worker_receipt_key(keys.hot_account()).await? {
			Some(key) if key == keys.receipt.public() => {
				tracing::info!("already registered with this receipt key");
				return Ok(());
			},
			Some(_) => bail!("the hot key is registered with another receipt key"),
			None => {},
		}
		let (major, minor) =
			self.cuda.split_once('.').ok_or_else(|| anyhow!("--cuda is major.minor"))?;
		let message = proof_of_possession_message(&owner_account, &keys.hot_account());
		let registration = Registration {
			hot_key: keys.hot_account(),
			receipt_key: keys.receipt.public(),
			receipt_key_proof: keys.receipt.sign(&message),
			gpu_model: self.gpu_model,
			gpu_count: self.gpu_count,
			vram_mib: self.vram_mib,
			cuda: (major.parse()?, minor.parse()?),
			lat_micro_deg: self.lat_micro_deg,
			lon_micro_deg: self.lon_micro_deg,
			endpoint: self.endpoint,
			stake: self.stake,
		};
		ChainClient::register_worker(&chain, &registration).await?;
		tracing::info!(hot = %hex::encode(keys.hot_account()), "registered");
		Ok(())
	}
}
