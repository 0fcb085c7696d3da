//! `ail2-worker race`: takes part in PoW races (commit and reveal seed contributions, search
//! each window, submit hits) and performs assigned validation duty. Two critical tasks: the
//! race follower and the HTTP server of `/health` and `/metrics`.

use std::{
	net::SocketAddr,
	sync::{Arc, Mutex},
	time::Duration,
};

use ail2_chain::ChainClient;
use ail2_model::default_device;
use ail2_worker::{
	keys::WorkerKeys,
	race::{self, RaceMetrics, RaceOptions, RaceShared, RaceStatus},
	supervisor::Supervisor,
};
use anyhow::{bail, Context};
use clap::Args;

use super::{spawn_http, GlobalArgs};

#[derive(Args)]
pub struct RaceCommand {
	/// Serves `/health` (this worker's race status and last search) and `/metrics`.
	#[arg(long, env = "AIL2_RACE_LISTEN", default_value = "127.0.0.1:9620")]
	listen: SocketAddr,
	/// Nonces per forward pass (thin matrices at seq 4: batch many).
	#[arg(long, env = "AIL2_RACE_BATCH", default_value_t = 256, help_heading = "Search")]
	batch: usize,
	/// CPU threads for the search (default: all cores).
	#[arg(long, env = "AIL2_RACE_THREADS", help_heading = "Search")]
	threads: Option<usize>,
	/// How often the chain is read, in milliseconds.
	#[arg(long, env = "AIL2_RACE_POLL_MS", default_value_t = 1_000, help_heading = "Chain")]
	poll_ms: u64,
	/// How often found hits are submitted during a window, in seconds.
	#[arg(long, env = "AIL2_RACE_SUBMIT_EVERY_SECS", default_value_t = 6, help_heading = "Chain")]
	submit_every_secs: u64,
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

		let shared = Arc::new(RaceShared {
			metrics: RaceMetrics::new(),
			status: Mutex::new(RaceStatus {
				account: format!("0x{}", hex::encode(keys.hot_account())),
				..Default::default()
			}),
		});
		let options = RaceOptions {
			mine,
			validate: true,
			batch: self.batch,
			poll: Duration::from_millis(self.poll_ms.max(100)),
			submit_every: Duration::from_secs(self.submit_every_secs.max(1)),
			max_nonces_per_call: usize::try_from(limits.max_nonces_per_call)
				.unwrap_or(usize::MAX),
			secrets_dir: global.data_dir.join("race"),
		};
		let listener = tokio::net::TcpListener::bind(self.listen).await?;

		let supervisor = Supervisor::new();
		supervisor.stop_on_signals()?;
		let follower = race::run(chain, device, options, shared.clone(), supervisor.token());
		supervisor.spawn_critical("race-follower", follower);
		tracing::info!(listen = %listener.local_addr()?, mine, "following races");
		spawn_http(&supervisor, "http", listener, race::router(shared));
		supervisor.wait().await?;
		tracing::info!("stopped");
		Ok(())
	}
}
