//! `ail2-worker gateway`: the OpenAI-compatible API for app developers, routing each request
//! to the best worker and signing the payer's authorisation. Two critical tasks: the HTTP
//! server and the registry follower, which re-reads the workers and models from the chain and
//! probes the workers.

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use ail2_chain::ChainClient;
use ail2_worker::{
	gateway::{
		self,
		config::ApiKeys,
		registry::{follow, Registry},
		GatewayState, Settings,
	},
	keys::load_gateway_key,
	supervisor::Supervisor,
};
use anyhow::anyhow;
use clap::Args;

use super::{spawn_http, GlobalArgs};

#[derive(Args)]
pub struct GatewayCommand {
	/// The API keys (TOML; see docs/app-developers.md).
	#[arg(long, env = "AIL2_GATEWAY_API_KEYS", help_heading = "Keys")]
	api_keys: PathBuf,
	/// The gateway's signing key file (`ail2-worker gateway-key generate`).
	#[arg(long, env = "AIL2_GATEWAY_KEY_FILE", help_heading = "Keys")]
	gateway_key_file: PathBuf,
	/// Where the API listens.
	#[arg(
		long,
		env = "AIL2_GATEWAY_LISTEN",
		default_value = "127.0.0.1:8090",
		help_heading = "HTTP"
	)]
	listen: SocketAddr,
	/// How long a worker may take to answer.
	#[arg(
		long,
		env = "AIL2_GATEWAY_REQUEST_TIMEOUT_SECS",
		default_value_t = 120,
		help_heading = "HTTP"
	)]
	request_timeout_secs: u64,
	/// How often workers' /health is probed.
	#[arg(
		long,
		env = "AIL2_GATEWAY_PROBE_INTERVAL_MS",
		default_value_t = 2_000,
		help_heading = "Registry"
	)]
	probe_interval_ms: u64,
	/// How often the worker registry and models are re-read from the chain.
	#[arg(
		long,
		env = "AIL2_GATEWAY_REGISTRY_INTERVAL_MS",
		default_value_t = 6_000,
		help_heading = "Registry"
	)]
	registry_interval_ms: u64,
}

impl GatewayCommand {
	/// Loads the keys, reads the registry once, then routes until stopped.
	pub async fn run(self, global: &GlobalArgs) -> anyhow::Result<()> {
		let keys = ApiKeys::load(&self.api_keys)?;
		if keys.is_empty() {
			tracing::warn!(file = %self.api_keys.display(), "no API keys configured: every request will be refused");
		}
		let signer = load_gateway_key(&self.gateway_key_file)?;
		let chain = ChainClient::connect_reader(&global.chain_url).await?;
		let chain_id = chain.chain_id().await?;
		// A payer who has not registered this gateway's key cannot be served: say so now.
		let now = chain.finalized_number().await?;
		for key in keys.iter() {
			let registered = chain.gateway_key(key.payer, signer.public()).await?;
			if !registered.is_some_and(|record| record.valid_at(now)) {
				tracing::warn!(
					key = %key.name,
					payer = %format!("0x{}", hex::encode(key.payer)),
					"the payer has not registered this gateway's key (receipts.add_gateway_key); workers will refuse its requests"
				);
			}
		}
		let http = reqwest::Client::builder()
			.connect_timeout(Duration::from_secs(3))
			.pool_idle_timeout(Duration::from_secs(30))
			.build()?;
		let registry = Arc::new(Registry::new(chain_id, ail2_router::RouterConfig::default()));
		let probe_interval = Duration::from_millis(self.probe_interval_ms.max(100));
		registry
			.refresh(&chain, &http, Duration::ZERO, probe_interval.max(Duration::from_millis(500)))
			.await
			.map_err(|e| anyhow!("reading the registry: {e}"))?;
		let settings = Settings {
			request_timeout: Duration::from_secs(self.request_timeout_secs.max(1)),
			..Settings::default()
		};
		let state = Arc::new(GatewayState::new(
			keys,
			registry.clone(),
			signer,
			chain_id,
			http.clone(),
			settings,
		));
		let listener = tokio::net::TcpListener::bind(self.listen).await?;

		let supervisor = Supervisor::new();
		supervisor.stop_on_signals()?;
		// The follower never returns by itself: it stops with the others.
		let (shutdown, registry_interval) =
			(supervisor.token(), Duration::from_millis(self.registry_interval_ms));
		let follower = follow(registry.clone(), chain, http, probe_interval, registry_interval);
		supervisor.spawn_critical("registry-follower", async move {
			shutdown.run_until_cancelled(follower).await;
		});
		tracing::info!(
			listen = %listener.local_addr()?,
			gateway_key = %format!("0x{}", hex::encode(state.signer.public())),
			models = ?registry.models().iter().map(|v| (v.model.name.clone(), v.available)).collect::<Vec<_>>(),
			"gateway serving"
		);
		spawn_http(&supervisor, "http", listener, gateway::router(state));
		supervisor.wait().await?;
		tracing::info!("stopped");
		Ok(())
	}
}
