//! `ail2-worker race`: takes part in PoW races (commit and reveal seed contributions, compute
//! each window and commit to the work, serve openings to validators) and performs assigned
//! validation duty. Two critical tasks: the race follower and the HTTP server of `/health`,
//! `/metrics` and `/v1/race/openings`.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use ail2_chain::ChainClient;
use ail2_model::default_device;
use ail2_worker::{
	keys::WorkerKeys,
	race::{self, openings, RaceOptions, RaceShared},
	supervisor::Supervisor,
};
use anyhow::{bail, Context};
use clap::Args;

use super::{spawn_http, GlobalArgs};

#[derive(Args)]
pub struct RaceCommand {
	/// Serves `/health` (this worker's race status, last window and validations), `/metrics`
	/// and `/v1/race/openings` (to the validators the chain assigns).
	#[arg(long, env = "AIL2_RACE_LISTEN", default_value = "127.0.0.1:9620")]
	listen: SocketAddr,
	/// The URL validators reach `--listen` at, committed on chain with the work (default:
	/// `http://` and the listen address).
	#[arg(long, env = "AIL2_RACE_PUBLIC_URL")]
	public_url: Option<String>,
	/// Nonces per forward pass (thin matrices at seq 4: batch many).
	#[arg(long, env = "AIL2_RACE_BATCH", default_value_t = 256, help_heading = "Search")]
	batch: usize,
	/// CPU threads for the search (default: all cores).
	#[arg(long, env = "AIL2_RACE_THREADS", help_heading = "Search")]
	threads: Option<usize>,
	/// Test hook: commit this many times the nonces computed, under the honest root (the
	/// end-to-end adversary, whom validators must reject).
	#[arg(long, hide = true, default_value_t = 1)]
	overclaim: u64,
	/// How often the chain is read, in milliseconds.
	#[arg(long, env = "AIL2_RACE_POLL_MS", default_value_t = 1_000, help_heading = "Chain")]
	poll_ms: u64,
}

impl RaceCommand {
	pub async fn run(self, global: &GlobalArgs) -> anyhow::Result<()> {
		self.follow(global, true).await
	}

	/// Checks this build's race derivations, then follows the chain's races until stopped:
	/// searching windows when `mine`, validating in any case.
	pub(super) async fn follow(self, global: &GlobalArgs, mine: bool) -> anyhow::Result<()> {
		// The search runs on rayon's pool at a lower CPU priority (nice +10): when the node or
		// `serve` on the same machine needs a core it gets it at once, and the race only takes
		// what is left. Starved, a node validates transactions seconds late and misses blocks.
		let mut pool =
			rayon::ThreadPoolBuilder::new().start_handler(|_| race::lower_thread_priority());
		if let Some(threads) = self.threads {
			pool = pool.num_threads(threads.max(1));
		}
		pool.build_global().context("setting up the search threads")?;
		let keys = WorkerKeys::load(&global.key_file())?;
		let chain = Arc::new(ChainClient::connect(&global.chain_url, keys.hot.clone()).await?);
		if chain.worker_receipt_key(keys.hot_account()).await?.is_none() {
			bail!("this worker is not registered; run `ail2-worker register` first");
		}
		// The readiness self-test: derivations against the vectors compiled in, and the speed
		// to expect with the model of the chain's next race.
		let device = default_device();
		let model = chain.race_params().await?.model;
		// Chain limits come from the runtime's metadata, not from a copy here.
		let limits = chain.race_limits().await?;
		let (test_device, batch) = (device.clone(), self.batch);
		let readiness = tokio::task::spawn_blocking(move || {
			ail2_race::self_test(model, batch, 1.0, &test_device)
		})
		.await??;
		if !readiness.failures.is_empty() {
			bail!(
				"this build's race derivations differ from the checked-in vectors: {}",
				readiness.failures.join(", ")
			);
		}
		tracing::info!(
			nonces_per_second = readiness.nonces_per_second,
			backend = ail2_model::backend_name(),
			threads = rayon::current_num_threads(),
			"race self-test passed"
		);

		let shared = Arc::new(RaceShared::new(format!("0x{}", hex::encode(keys.hot_account()))));
		let listener = tokio::net::TcpListener::bind(self.listen).await?;
		let public_url = self
			.public_url
			.clone()
			.unwrap_or_else(|| format!("http://{}", listener.local_addr().unwrap_or(self.listen)));
		let options = RaceOptions {
			mine,
			validate: true,
			batch: self.batch,
			poll: Duration::from_millis(self.poll_ms.max(100)),
			validators_per_participant: limits.validators_per_participant,
			secrets_dir: global.data_dir.join("race"),
			public_url,
			overclaim: self.overclaim,
		};
		let openings = openings::router(openings::OpeningsState {
			shared: shared.clone(),
			chain: chain.clone(),
			validators_per_participant: limits.validators_per_participant,
		});

		let supervisor = Supervisor::new();
		supervisor.stop_on_signals()?;
		tracing::info!(listen = %listener.local_addr()?, url = %options.public_url, mine, "following races");
		let follower = race::run(chain, device, options, shared.clone(), supervisor.token());
		supervisor.spawn_critical("race-follower", follower);
		spawn_http(&supervisor, "http", listener, race::router(shared).merge(openings));
		supervisor.wait().await?;
		tracing::info!("stopped");
		Ok(())
	}
}
