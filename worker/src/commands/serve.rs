//! `ail2-worker serve`: serves a model over the OpenAI-compatible API, signs receipts, and
//! batches and settles them; bids for election and verifies as proof of inference asks.
//! Three critical tasks: the HTTP server, the batcher and the proof-of-inference duties.

use std::{
	net::SocketAddr,
	path::PathBuf,
	sync::Arc,
	time::{Duration, Instant},
};

use ail2_chain::ChainClient;
use ail2_model::{default_device, TextModel};
use ail2_primitives::receipt::SemVer;
use ail2_worker::{
	batcher::{BatchPolicy, Batcher},
	duties::{BidPolicy, Duties, DutyOptions},
	keys::WorkerKeys,
	serve::{self, auth::ChainGatewayKeys, metrics::Metrics, AppState, Limits, ServedModel},
	store::{ReceiptLog, Store},
	supervisor::Supervisor,
};
use anyhow::{anyhow, bail};
use clap::Args;

use super::{spawn_http, GlobalArgs};

#[derive(Args)]
pub struct ServeCommand {
	/// A Hugging Face model folder: config.json, model.safetensors, tokenizer.json.
	#[arg(long, env = "AIL2_MODEL_DIR", help_heading = "Model")]
	model_dir: PathBuf,
	/// The on-chain model id this worker serves.
	#[arg(long, env = "AIL2_MODEL_ID", help_heading = "Model")]
	model_id: u32,
	/// The model version, `major.minor.patch`.
	#[arg(long, env = "AIL2_MODEL_VERSION", default_value = "1.0.0", help_heading = "Model")]
	model_version: String,
	/// The name clients put in `model`.
	#[arg(long, env = "AIL2_MODEL_NAME", help_heading = "Model")]
	model_name: String,
	/// The project receipts are billed under.
	#[arg(long, env = "AIL2_PROJECT_ID", default_value_t = 0, help_heading = "Model")]
	project_id: u32,
	/// Where the API listens.
	#[arg(long, env = "AIL2_LISTEN", default_value = "127.0.0.1:8080", help_heading = "HTTP")]
	listen: SocketAddr,
	/// Base URL of this worker as others reach it (leaf files are served under it).
	#[arg(long, env = "AIL2_PUBLIC_URL", help_heading = "HTTP")]
	public_url: Option<String>,
	#[command(flatten)]
	limits: LimitArgs,
	#[command(flatten)]
	batching: BatchArgs,
	#[command(flatten)]
	duties: DutyArgs,
}

/// Proof-of-inference duties: bidding for election and verifying other workers' receipts.
#[derive(Args)]
#[command(next_help_heading = "Proof of inference")]
struct DutyArgs {
	/// What to bid each round for election as an inference node, in the token's smallest
	/// unit: `min` (the chain's minimum), an amount, or `off` (never elected; a network whose
	/// workers all bid routes only to the elected ones). Bids of the elected go to the
	/// model's verifier group; bidding is also what puts a worker in the group.
	#[arg(long, env = "AIL2_BID", default_value = "min", value_parser = parse_bid)]
	bid: BidPolicy,
	/// The most the worker bids in a round (default: 1 AIL2); a chain minimum above it means
	/// no bid.
	#[arg(long, env = "AIL2_MAX_BID", default_value_t = 1_000_000_000_000)]
	max_bid: u128,
	/// Do not verify other workers' receipts as a verifier-group member (a member that does
	/// not vote loses reputation).
	#[arg(long, env = "AIL2_NO_VERIFY")]
	no_verify: bool,
	/// How often the duties read the chain, in milliseconds.
	#[arg(long, env = "AIL2_DUTY_POLL_MS", default_value_t = 2_000)]
	duty_poll_ms: u64,
}

fn parse_bid(text: &str) -> Result<BidPolicy, String> {
	match text {
		"min" => Ok(BidPolicy::Minimum),
		"off" => Ok(BidPolicy::Off),
		amount => amount
			.parse()
			.map(BidPolicy::Amount)
			.map_err(|_| format!("`{amount}` is not `min`, `off` or an amount")),
	}
}

/// How much work the worker takes on at once.
#[derive(Args)]
#[command(next_help_heading = "Limits")]
struct LimitArgs {
	/// Generations running at once.
	#[arg(long, env = "AIL2_CONCURRENCY", default_value_t = 2)]
	concurrency: usize,
	/// Requests allowed to wait; beyond that the worker answers 429.
	#[arg(long, env = "AIL2_QUEUE", default_value_t = 32)]
	queue: usize,
	/// The longest prompt accepted, in tokens.
	#[arg(long, env = "AIL2_MAX_PROMPT_TOKENS", default_value_t = 4096)]
	max_prompt_tokens: usize,
	/// Completion length when a request names none, in tokens.
	#[arg(long, env = "AIL2_DEFAULT_MAX_TOKENS", default_value_t = 128)]
	default_max_tokens: u32,
}

/// When receipts are batched, and how long settled batches are kept.
#[derive(Args)]
#[command(next_help_heading = "Batching")]
struct BatchArgs {
	/// Close a payer's batch once this many receipts wait.
	#[arg(long, env = "AIL2_BATCH_MAX_RECEIPTS", default_value_t = 10_000)]
	batch_max_receipts: usize,
	/// Close a payer's batch once its oldest receipt has waited this long, in seconds.
	#[arg(long, env = "AIL2_BATCH_MAX_AGE_SECS", default_value_t = 600)]
	batch_max_age_secs: u64,
	/// Forget paid or voided batches and their receipts this many hours after they were
	/// closed (0 keeps them forever).
	#[arg(long, env = "AIL2_KEEP_SETTLED_HOURS", default_value_t = 168)]
	keep_settled_hours: u64,
}

impl BatchArgs {
	fn policy(&self, public_url: String) -> BatchPolicy {
		BatchPolicy {
			max_receipts: self.batch_max_receipts,
			max_age: Duration::from_secs(self.batch_max_age_secs),
			tick: Duration::from_secs(2),
			public_url,
			keep_settled: (self.keep_settled_hours > 0)
				.then(|| Duration::from_secs(self.keep_settled_hours.saturating_mul(3_600))),
		}
	}
}

impl ServeCommand {
	/// Checks the registration and the model on chain, loads the model, then serves until
	/// stopped.
	pub async fn run(self, global: &GlobalArgs) -> anyhow::Result<()> {
		let keys = WorkerKeys::load(&global.key_file())?;
		let version: SemVer = self.model_version.parse()?;
		let chain = Arc::new(ChainClient::connect(&global.chain_url, keys.hot.clone()).await?);
		match chain.worker_receipt_key(keys.hot_account()).await? {
			Some(key) if key == keys.receipt.public() => {},
			Some(_) => bail!("the chain knows this hot key with another receipt key"),
			None => bail!("this worker is not registered; run `ail2-worker register` first"),
		}
		let pricing = chain.model_pricing(self.model_id, version).await?.ok_or_else(|| {
			anyhow!("model {} version {} is not on chain", self.model_id, self.model_version)
		})?;
		if !pricing.billable {
			tracing::warn!("the model is not active on chain; its receipts cannot be proposed yet");
		}
		let chain_id = chain.chain_id().await?;

		let started = Instant::now();
		let model_dir = self.model_dir.clone();
		let model =
			tokio::task::spawn_blocking(move || TextModel::load(&model_dir, &default_device()))
				.await??;
		tracing::info!(
			dir = %self.model_dir.display(),
			parameters = model.config.parameter_count(),
			backend = ail2_model::backend_name(),
			seconds = started.elapsed().as_secs_f64(),
			"model loaded"
		);

		std::fs::create_dir_all(&global.data_dir)?;
		let store = Arc::new(Store::open(&global.data_dir.join("receipts.redb"))?);
		let log = ReceiptLog::start(store.clone(), 1024)?;
		let metrics = Arc::new(Metrics::new());
		let served = Arc::new(ServedModel {
			model,
			name: self.model_name,
			model_id: self.model_id,
			version,
			project_id: self.project_id,
			policy: pricing.policy,
			policy_hash: pricing.policy_hash,
			chain_id,
		});
		let limits = Limits {
			concurrency: self.limits.concurrency,
			queue: self.limits.queue,
			max_prompt_tokens: self.limits.max_prompt_tokens,
			default_max_tokens: self.limits.default_max_tokens,
			..Limits::default()
		};
		let duties = Duties::new(
			chain.clone(),
			keys.hot.clone(),
			served.clone(),
			DutyOptions {
				bid: self.duties.bid,
				max_bid: self.duties.max_bid,
				verify: !self.duties.no_verify,
				poll: Duration::from_millis(self.duties.duty_poll_ms),
				tolerance: ail2_worker::poi::DEFAULT_TOLERANCE,
				slack: ail2_worker::poi::DEFAULT_SLACK,
			},
			metrics.clone(),
		);
		let state = Arc::new(AppState::new(
			served,
			keys.receipt.clone(),
			ChainGatewayKeys::new(chain.clone(), Duration::from_secs(30)),
			store.clone(),
			log,
			metrics.clone(),
			limits,
		));

		let public_url = self.public_url.unwrap_or_else(|| format!("http://{}", self.listen));
		let batcher = Batcher { store, chain, policy: self.batching.policy(public_url), metrics };
		let listener = tokio::net::TcpListener::bind(self.listen).await?;
		let supervisor = Supervisor::new();
		supervisor.stop_on_signals()?;
		supervisor.spawn_critical("batcher", batcher.run(supervisor.token()));
		supervisor.spawn_critical("poi-duties", duties.run(supervisor.token()));
		tracing::info!(listen = %listener.local_addr()?, "serving");
		spawn_http(&supervisor, "http", listener, serve::router(state));
		supervisor.wait().await?;
		tracing::info!("stopped");
		Ok(())
	}
}
