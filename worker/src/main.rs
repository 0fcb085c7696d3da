//! `ail2-worker`: the AIL2 miner's process.

use std::{
	net::SocketAddr,
	path::{Path, PathBuf},
	str::FromStr,
	sync::Arc,
	time::{Duration, Instant},
};

use ail2_chain::{ChainClient, Registration};
use ail2_model::{
	default_device,
	random::{write_random_model, RandomModelSpec},
	TextModel,
};
use ail2_primitives::{
	keccak256,
	receipt::{Receipt, SemVer, SignedReceipt},
};
use ail2_worker::{
	batcher::{BatchPolicy, Batcher},
	keys::WorkerKeys,
	serve::{self, auth::ChainGatewayKeys, metrics::Metrics, AppState, Limits, ServedModel},
	shutdown::Shutdown,
	store::{ReceiptLog, Store},
};
use anyhow::{anyhow, bail, Context};
use clap::{Args, Parser, Subcommand};
use codec::Encode;
use subxt_signer::{sr25519, SecretUri};

#[derive(Parser)]
#[command(
	name = "ail2-worker",
	version,
	about = "AIL2 miner: serve models, get paid from receipts"
)]
struct Cli {
	#[command(flatten)]
	common: Common,
	#[command(subcommand)]
	command: Command,
}

#[derive(Args)]
struct Common {
	/// Where the key file and the receipt store live.
	#[arg(long, env = "AIL2_DATA_DIR", default_value = "./ail2-worker-data", global = true)]
	data_dir: PathBuf,
	/// WebSocket RPC of an AIL2 node.
	#[arg(long, env = "AIL2_CHAIN_URL", default_value = "ws://127.0.0.1:9944", global = true)]
	chain_url: String,
}

#[derive(Subcommand)]
enum Command {
	/// Create or show the worker's keys.
	Keys {
		#[command(subcommand)]
		action: KeysAction,
	},
	/// Write a random-weight model folder (config, safetensors, tokenizer) for tests and dev.
	InitModel {
		#[arg(long, default_value = "tiny")]
		preset: String,
		#[arg(long, default_value_t = 42)]
		seed: u64,
		#[arg(long)]
		out: PathBuf,
	},
	/// Register this worker on chain (signed by the owner account); does nothing if the hot
	/// key is already registered with this receipt key.
	Register(RegisterArgs),
	/// Serve a model over the OpenAI-compatible API, sign receipts, batch and settle them.
	Serve(ServeArgs),
	/// Take part in PoW races: commit and reveal seed contributions when chosen, search each
	/// race window for hits and submit them, and perform assigned validation duty.
	Race(RaceArgs),
	/// Perform assigned race validation duty only (no searching).
	Validate(RaceArgs),
	/// Run a gateway: the OpenAI-compatible API for app developers, routing each request to
	/// the best worker and signing the payer's authorisation.
	Gateway(GatewayArgs),
	/// Create or show a gateway's signing key.
	GatewayKey {
		#[command(subcommand)]
		action: GatewayKeyAction,
	},
	/// Make a new API key and print the configuration entry (with its hash) for the gateway.
	ApiKey {
		/// A name for the key (shown in metrics and errors).
		#[arg(long)]
		name: String,
		/// The paying account: SS58 or 0x and 64 hex digits.
		#[arg(long)]
		payer: String,
		/// The most one request may cost, in the smallest unit.
		#[arg(long)]
		max_price: u128,
		#[arg(long, default_value_t = 600)]
		requests_per_minute: u32,
	},
	/// Measure generation speed (prefill and decode tokens/s) of a random model.
	BenchModel {
		#[arg(long, default_value = "tiny")]
		preset: String,
		/// Tokens to generate.
		#[arg(long, default_value_t = 64)]
		tokens: usize,
		/// Prompt length in tokens.
		#[arg(long, default_value_t = 32)]
		prompt: usize,
	},
	/// Measure the PoW race model: nonces/s and GFLOP/s against a 1024³ matmul in the same run,
	/// and what validating a sample of k nonces costs against a race window.
	BenchRace {
		/// `tiny` or `whitepaper` (64 layers, 128 heads, d_model 512, FFN 8192, vocab 8192,
		/// sequences of 4).
		#[arg(long, default_value = "tiny")]
		preset: String,
		/// Nonces per forward pass.
		#[arg(long, default_value_t = 256)]
		batch: usize,
		#[arg(long, default_value_t = 10.0)]
		seconds: f64,
		/// Validation sample size k and race window (seconds) for the validation-cost figure.
		#[arg(long, default_value_t = 200)]
		sample: u64,
		#[arg(long, default_value_t = 600.0)]
		window_secs: f64,
	},
	/// The readiness self-test before a race: this build's race derivations against the
	/// checked-in vectors, and the throughput to expect. Fails if a derivation differs.
	RaceSelftest {
		#[arg(long, default_value = "tiny")]
		preset: String,
		#[arg(long, default_value_t = 256)]
		batch: usize,
		#[arg(long, default_value_t = 3.0)]
		seconds: f64,
	},
	/// Measure the distance threshold at which a fraction `1/rarity` of nonces hit, for a
	/// race model's `RaceParams::distance_threshold`: the empirical quantile over `nonces`
	/// attempts, and the normal approximation from their mean and spread.
	RaceCalibrate {
		#[arg(long, default_value = "tiny")]
		preset: String,
		#[arg(long, default_value_t = 200_000)]
		nonces: u64,
		#[arg(long, default_value_t = 900.0)]
		rarity: f64,
		/// Race seeds the nonces are spread over (each costs a model build).
		#[arg(long, default_value_t = 4)]
		seeds: u64,
		#[arg(long, default_value_t = 256)]
		batch: usize,
	},
	/// Measure receipts signed and persisted per second, and batch build time.
	BenchReceipts {
		#[arg(long, default_value_t = 100_000)]
		count: u64,
	},
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

#[derive(Subcommand)]
enum GatewayKeyAction {
	/// Write a new key file (refuses to overwrite one) and print its public key.
	Generate {
		#[arg(long, env = "AIL2_GATEWAY_KEY_FILE")]
		out: PathBuf,
		/// Use this secret (0x + 64 hex digits) instead of a random one: dev chains only.
		#[arg(long)]
		secret: Option<String>,
	},
	/// Print the public key payers register on chain.
	Inspect {
		#[arg(long, env = "AIL2_GATEWAY_KEY_FILE")]
		file: PathBuf,
	},
}

#[derive(Args)]
struct GatewayArgs {
	/// The API keys (TOML; see docs/app-developers.md).
	#[arg(long, env = "AIL2_GATEWAY_API_KEYS")]
	api_keys: PathBuf,
	/// The gateway's signing key file (`ail2-worker gateway-key generate`).
	#[arg(long, env = "AIL2_GATEWAY_KEY_FILE")]
	gateway_key_file: PathBuf,
	#[arg(long, env = "AIL2_GATEWAY_LISTEN", default_value = "127.0.0.1:8090")]
	listen: SocketAddr,
	/// How often workers' /health is probed.
	#[arg(long, default_value_t = 2_000)]
	probe_interval_ms: u64,
	/// How often the worker registry and models are re-read from the chain.
	#[arg(long, default_value_t = 6_000)]
	registry_interval_ms: u64,
	/// How long a worker may take to answer.
	#[arg(long, default_value_t = 120)]
	request_timeout_secs: u64,
}

#[derive(Args)]
struct RegisterArgs {
	/// The owner (cold) account's secret URI; it pays the stake.
	#[arg(long, env = "AIL2_OWNER_URI")]
	owner_uri: String,
	/// Stake in the smallest unit.
	#[arg(long, env = "AIL2_STAKE")]
	stake: u128,
	/// The public URL clients and gateways reach this worker at.
	#[arg(long, env = "AIL2_ENDPOINT")]
	endpoint: String,
	#[arg(long, default_value = "cpu")]
	gpu_model: String,
	#[arg(long, default_value_t = 1)]
	gpu_count: u8,
	#[arg(long, default_value_t = 16_384)]
	vram_mib: u32,
	/// CUDA version as `major.minor`.
	#[arg(long, default_value = "12.0")]
	cuda: String,
	#[arg(long, default_value_t = 0)]
	lat_micro_deg: i32,
	#[arg(long, default_value_t = 0)]
	lon_micro_deg: i32,
}

#[derive(Args)]
struct RaceArgs {
	/// Serves `/health` (this worker's race status and last search) and `/metrics`.
	#[arg(long, env = "AIL2_RACE_LISTEN", default_value = "127.0.0.1:9620")]
	listen: SocketAddr,
	/// Nonces per forward pass (thin matrices at seq 4: batch many).
	#[arg(long, env = "AIL2_RACE_BATCH", default_value_t = 256)]
	batch: usize,
	/// CPU threads for the search (default: all cores).
	#[arg(long, env = "AIL2_RACE_THREADS")]
	threads: Option<usize>,
	/// How often the chain is read, in milliseconds.
	#[arg(long, default_value_t = 1_000)]
	poll_ms: u64,
	/// How often found hits are submitted during a window, in seconds.
	#[arg(long, default_value_t = 6)]
	submit_every_secs: u64,
}

#[derive(Args)]
struct ServeArgs {
	/// A Hugging Face model folder: config.json, model.safetensors, tokenizer.json.
	#[arg(long, env = "AIL2_MODEL_DIR")]
	model_dir: PathBuf,
	/// The on-chain model id this worker serves.
	#[arg(long, env = "AIL2_MODEL_ID")]
	model_id: u32,
	/// The model version, `major.minor.patch`.
	#[arg(long, env = "AIL2_MODEL_VERSION", default_value = "1.0.0")]
	model_version: String,
	/// The name clients put in `model`.
	#[arg(long, env = "AIL2_MODEL_NAME")]
	model_name: String,
	#[arg(long, env = "AIL2_PROJECT_ID", default_value_t = 0)]
	project_id: u32,
	#[arg(long, env = "AIL2_LISTEN", default_value = "127.0.0.1:8080")]
	listen: SocketAddr,
	/// Base URL of this worker as others reach it (leaf files are served under it).
	#[arg(long, env = "AIL2_PUBLIC_URL")]
	public_url: Option<String>,
	#[command(flatten)]
	limits: LimitArgs,
	#[command(flatten)]
	batching: BatchArgs,
}

#[derive(Args)]
struct LimitArgs {
	/// Generations running at once.
	#[arg(long, env = "AIL2_CONCURRENCY", default_value_t = 2)]
	concurrency: usize,
	/// Requests allowed to wait; beyond that the worker answers 429.
	#[arg(long, env = "AIL2_QUEUE", default_value_t = 32)]
	queue: usize,
	#[arg(long, env = "AIL2_MAX_PROMPT_TOKENS", default_value_t = 4096)]
	max_prompt_tokens: usize,
	#[arg(long, env = "AIL2_DEFAULT_MAX_TOKENS", default_value_t = 128)]
	default_max_tokens: u32,
}

#[derive(Args)]
struct BatchArgs {
	#[arg(long, env = "AIL2_BATCH_MAX_RECEIPTS", default_value_t = 10_000)]
	batch_max_receipts: usize,
	#[arg(long, env = "AIL2_BATCH_MAX_AGE_SECS", default_value_t = 600)]
	batch_max_age_secs: u64,
	/// Forget paid or voided batches and their receipts this many hours after they were
	/// closed (0 keeps them forever).
	#[arg(long, env = "AIL2_KEEP_SETTLED_HOURS", default_value_t = 168)]
	keep_settled_hours: u64,
}

fn parse_version(text: &str) -> anyhow::Result<SemVer> {
	let parts: Vec<u16> = text
		.split('.')
		.map(str::parse)
		.collect::<Result<_, _>>()
		.context("version must be major.minor.patch")?;
	match parts.as_slice() {
		[major, minor, patch] => Ok(SemVer { major: *major, minor: *minor, patch: *patch }),
		_ => bail!("version must be major.minor.patch"),
	}
}

async fn run_gateway(common: &Common, args: GatewayArgs) -> anyhow::Result<()> {
	use ail2_worker::gateway::{self, config::ApiKeys, registry::Registry, GatewayState, Settings};
	let keys = ApiKeys::load(&args.api_keys)?;
	if keys.is_empty() {
		tracing::warn!(file = %args.api_keys.display(), "no API keys configured: every request will be refused");
	}
	let signer = ail2_worker::keys::load_gateway_key(&args.gateway_key_file)?;
	let chain = ChainClient::connect_reader(&common.chain_url).await?;
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
	let probe_interval = Duration::from_millis(args.probe_interval_ms.max(100));
	registry
		.refresh(&chain, &http, Duration::ZERO, probe_interval.max(Duration::from_millis(500)))
		.await
		.map_err(|e| anyhow!("reading the registry: {e}"))?;
	tokio::spawn(gateway::registry::follow(
		registry.clone(),
		chain,
		http.clone(),
		probe_interval,
		Duration::from_millis(args.registry_interval_ms),
	));
	let settings = Settings {
		request_timeout: Duration::from_secs(args.request_timeout_secs.max(1)),
		..Settings::default()
	};
	let state =
		Arc::new(GatewayState::new(keys, registry.clone(), signer, chain_id, http, settings));
	let listener = tokio::net::TcpListener::bind(args.listen).await?;
	tracing::info!(
		listen = %listener.local_addr()?,
		gateway_key = %format!("0x{}", hex::encode(state.signer.public())),
		models = ?registry.models().iter().map(|v| (v.model.name.clone(), v.available)).collect::<Vec<_>>(),
		"gateway serving"
	);
	let (_fire, mut shutdown) = Shutdown::on_signals();
	axum::serve(listener, gateway::router(state))
		.with_graceful_shutdown(async move { shutdown.wait().await })
		.await?;
	Ok(())
}

/// The race model of a preset name: `tiny` (tests, dev chains) or `whitepaper`.
fn race_preset(name: &str) -> anyhow::Result<ail2_primitives::race::RaceModel> {
	use ail2_primitives::race::RaceModel;
	match name {
		"tiny" => {
			Ok(RaceModel { layers: 4, heads: 4, d_model: 64, d_ff: 256, vocab: 1024, seq_len: 4 })
		},
		"whitepaper" => Ok(RaceModel::WHITEPAPER),
		other => bail!("unknown race preset `{other}` (tiny, whitepaper)"),
	}
}

fn key_file(common: &Common) -> PathBuf {
	common.data_dir.join("keys.json")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
	tracing_subscriber::fmt()
		.with_env_filter(
			tracing_subscriber::EnvFilter::try_from_default_env()
				.unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
		)
		.init();
	let cli = Cli::parse();
	match cli.command {
		Command::Keys { action: KeysAction::Generate { hot_uri } } => {
			let keys = WorkerKeys::generate(&key_file(&cli.common), hot_uri.as_deref())?;
			print_keys(&keys);
		},
		Command::Keys { action: KeysAction::Inspect } => {
			print_keys(&WorkerKeys::load(&key_file(&cli.common))?)
		},
		Command::InitModel { preset, seed, out } => {
			let spec =
				RandomModelSpec::preset(&preset).ok_or_else(|| anyhow!("presets: tiny, 100m"))?;
			let config = write_random_model(&out, &spec, seed)?;
			println!(
				"wrote {} ({} parameters, vocabulary {})",
				out.display(),
				config.parameter_count(),
				config.vocab_size
			);
		},
		Command::Register(args) => register(&cli.common, args).await?,
		Command::Gateway(args) => run_gateway(&cli.common, args).await?,
		Command::GatewayKey { action: GatewayKeyAction::Generate { out, secret } } => {
			let secret = secret
				.map(|text| {
					hex::decode(text.trim_start_matches("0x"))
						.ok()
						.and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
						.ok_or_else(|| anyhow!("--secret must be 0x and 64 hex digits"))
				})
				.transpose()?;
			let key = ail2_worker::keys::generate_gateway_key(&out, secret)?;
			println!("gateway key: 0x{}", hex::encode(key.public()));
		},
		Command::GatewayKey { action: GatewayKeyAction::Inspect { file } } => {
			let key = ail2_worker::keys::load_gateway_key(&file)?;
			println!("gateway key: 0x{}", hex::encode(key.public()));
		},
		Command::ApiKey { name, payer, max_price, requests_per_minute } => {
			ail2_worker::gateway::config::parse_account(&payer)?;
			let mut secret = [0u8; 24];
			rand::RngCore::fill_bytes(&mut rand::rng(), &mut secret);
			let key = format!("ail2-{}", hex::encode(secret));
			let hash = hex::encode(ail2_worker::gateway::config::sha256(&key));
			eprintln!("API key (give it to the app; it is not stored anywhere): {key}");
			println!(
				"[[api_keys]]\nname = \"{name}\"\nsha256 = \"{hash}\"\npayer = \"{payer}\"\nrequests_per_minute = {requests_per_minute}\nmax_price = \"{max_price}\""
			);
		},
		Command::Serve(args) => run_serve(&cli.common, args).await?,
		Command::Race(args) => run_race(&cli.common, args, true).await?,
		Command::Validate(args) => run_race(&cli.common, args, false).await?,
		Command::BenchRace { preset, batch, seconds, sample, window_secs } => {
			let model = race_preset(&preset)?;
			let device = default_device();
			let report = tokio::task::spawn_blocking(move || {
				ail2_race::bench(model, batch, seconds, &device)
			})
			.await??;
			println!(
				"race model {preset}: {} parameters, built from its seed in {:.1} s",
				model.parameters(),
				report.build_seconds
			);
			println!(
				"{:.1} nonces/s ({} in {:.1} s, batches of {batch}) = {:.1} GFLOP/s; 1024³ matmul in the same run: {:.1} GFLOP/s ({:.0}%)",
				report.nonces_per_second,
				report.nonces,
				report.seconds,
				report.gflops,
				report.matmul_gflops,
				100.0 * report.gflops / report.matmul_gflops
			);
			let window_nonces = report.nonces_per_second * window_secs;
			println!(
				"validating k = {sample} nonces costs {:.3}% of one participant's {window_secs:.0} s window ({:.0} nonces)",
				100.0 * sample as f64 / window_nonces,
				window_nonces
			);
		},
		Command::RaceSelftest { preset, batch, seconds } => {
			let model = race_preset(&preset)?;
			let device = default_device();
			let readiness = tokio::task::spawn_blocking(move || {
				ail2_race::self_test(model, batch, seconds, &device)
			})
			.await??;
			println!(
				"race model {preset}: {:.1} nonces/s expected on {}",
				readiness.nonces_per_second,
				ail2_model::backend_name()
			);
			if !readiness.failures.is_empty() {
				bail!(
					"this build's race derivations differ from the checked-in vectors: {}",
					readiness.failures.join(", ")
				);
			}
			println!("race derivations match the checked-in vectors: ready");
		},
		Command::RaceCalibrate { preset, nonces, rarity, seeds, batch } => {
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
		},
		Command::BenchReceipts { count } => bench_receipts(&cli.common.data_dir, count).await?,
		Command::BenchModel { preset, tokens, prompt } => {
			tokio::task::spawn_blocking(move || bench_model(&preset, tokens, prompt)).await??
		},
	}
	Ok(())
}

fn print_keys(keys: &WorkerKeys) {
	println!("hot key (account):  0x{}", hex::encode(keys.hot_account()));
	println!("receipt key:        0x{}", hex::encode(keys.receipt.public()));
}

async fn register(common: &Common, args: RegisterArgs) -> anyhow::Result<()> {
	let keys = WorkerKeys::load(&key_file(common))?;
	let uri = SecretUri::from_str(&args.owner_uri).map_err(|e| anyhow!("owner URI: {e}"))?;
	let owner = sr25519::Keypair::from_uri(&uri).map_err(|e| anyhow!("owner URI: {e}"))?;
	let owner_account = owner.public_key().0;
	let chain = ChainClient::connect(&common.chain_url, owner).await?;

	match chain.worker_receipt_key(keys.hot_account()).await? {
		Some(key) if key == keys.receipt.public() => {
			tracing::info!("already registered with this receipt key");
			return Ok(());
		},
		Some(_) => bail!("the hot key is registered with another receipt key"),
		None => {},
	}
	let (major, minor) =
		args.cuda.split_once('.').ok_or_else(|| anyhow!("--cuda is major.minor"))?;
	// Proof of possession: the receipt key signs keccak256(SCALE((tag, owner, hot))).
	let message =
		keccak256(&(b"ail2/receipt-key".as_slice(), owner_account, keys.hot_account()).encode());
	let registration = Registration {
		hot_key: keys.hot_account(),
		receipt_key: keys.receipt.public(),
		receipt_key_proof: keys.receipt.sign(&message),
		gpu_model: args.gpu_model,
		gpu_count: args.gpu_count,
		vram_mib: args.vram_mib,
		cuda: (major.parse()?, minor.parse()?),
		lat_micro_deg: args.lat_micro_deg,
		lon_micro_deg: args.lon_micro_deg,
		endpoint: args.endpoint,
		stake: args.stake,
	};
	ChainClient::register_worker(&chain, &registration).await?;
	tracing::info!(hot = %hex::encode(keys.hot_account()), "registered");
	Ok(())
}

async fn run_serve(common: &Common, args: ServeArgs) -> anyhow::Result<()> {
	let keys = WorkerKeys::load(&key_file(common))?;
	let version = parse_version(&args.model_version)?;
	let chain = Arc::new(ChainClient::connect(&common.chain_url, keys.hot.clone()).await?);
	match chain.worker_receipt_key(keys.hot_account()).await? {
		Some(key) if key == keys.receipt.public() => {},
		Some(_) => bail!("the chain knows this hot key with another receipt key"),
		None => bail!("this worker is not registered; run `ail2-worker register` first"),
	}
	let pricing = chain.model_pricing(args.model_id, version).await?.ok_or_else(|| {
		anyhow!("model {} version {} is not on chain", args.model_id, args.model_version)
	})?;
	if !pricing.billable {
		tracing::warn!("the model is not active on chain; its receipts cannot be proposed yet");
	}
	let chain_id = chain.chain_id().await?;

	let started = Instant::now();
	let model_dir = args.model_dir.clone();
	let model = tokio::task::spawn_blocking(move || TextModel::load(&model_dir, &default_device()))
		.await??;
	tracing::info!(
		dir = %args.model_dir.display(),
		parameters = model.config.parameter_count(),
		backend = ail2_model::backend_name(),
		seconds = started.elapsed().as_secs_f64(),
		"model loaded"
	);

	std::fs::create_dir_all(&common.data_dir)?;
	let store = Arc::new(Store::open(&common.data_dir.join("receipts.redb"))?);
	let log = ReceiptLog::start(store.clone(), 1024);
	let metrics = Arc::new(Metrics::new());
	let served = Arc::new(ServedModel {
		model,
		name: args.model_name,
		model_id: args.model_id,
		version,
		project_id: args.project_id,
		policy: pricing.policy,
		policy_hash: pricing.policy_hash,
		chain_id,
	});
	let limits = Limits {
		concurrency: args.limits.concurrency,
		queue: args.limits.queue,
		max_prompt_tokens: args.limits.max_prompt_tokens,
		default_max_tokens: args.limits.default_max_tokens,
		..Limits::default()
	};
	let state = Arc::new(AppState::new(
		served,
		keys.receipt.clone(),
		ChainGatewayKeys::new(chain.clone(), Duration::from_secs(30)),
		store.clone(),
		log,
		metrics.clone(),
		limits,
	));

	let (_fire, shutdown) = Shutdown::on_signals();
	let public_url = args.public_url.unwrap_or_else(|| format!("http://{}", args.listen));
	let batcher = Batcher {
		store,
		chain,
		policy: BatchPolicy {
			max_receipts: args.batching.batch_max_receipts,
			max_age: Duration::from_secs(args.batching.batch_max_age_secs),
			tick: Duration::from_secs(2),
			public_url,
			keep_settled: (args.batching.keep_settled_hours > 0).then(|| {
				Duration::from_secs(args.batching.keep_settled_hours.saturating_mul(3_600))
			}),
		},
		metrics,
	};
	let batcher_task = tokio::spawn(batcher.run(shutdown.clone()));

	let listener = tokio::net::TcpListener::bind(args.listen).await?;
	tracing::info!(listen = %listener.local_addr()?, "serving");
	let mut server_shutdown = shutdown.clone();
	axum::serve(listener, serve::router(state))
		.with_graceful_shutdown(async move { server_shutdown.wait().await })
		.await?;
	batcher_task.await.ok();
	tracing::info!("stopped");
	Ok(())
}

/// `ail2-worker race` (`mine`) or `ail2-worker validate`: checks this build's race
/// derivations, then follows the chain's races until stopped.
async fn run_race(common: &Common, args: RaceArgs, mine: bool) -> anyhow::Result<()> {
	use ail2_worker::race::{self, RaceOptions, RaceShared};
	// The search runs on rayon's pool at a lower CPU priority (nice +10): when the node or
	// `serve` on the same machine needs a core it gets it at once, and the race only takes
	// what is left. Starved, a node validates transactions seconds late and misses blocks.
	let mut pool = rayon::ThreadPoolBuilder::new().start_handler(|_| race::lower_thread_priority());
	if let Some(threads) = args.threads {
		pool = pool.num_threads(threads.max(1));
	}
	pool.build_global().context("setting up the search threads")?;
	let keys = WorkerKeys::load(&key_file(common))?;
	let chain = Arc::new(ChainClient::connect(&common.chain_url, keys.hot.clone()).await?);
	if chain.worker_receipt_key(keys.hot_account()).await?.is_none() {
		bail!("this worker is not registered; run `ail2-worker register` first");
	}
	// The readiness self-test: derivations against the vectors compiled in, and the speed
	// to expect with the model of the chain's next race.
	let device = default_device();
	let model = chain.race_params().await?.model;
	let test_device = device.clone();
	let batch = args.batch;
	let readiness =
		tokio::task::spawn_blocking(move || ail2_race::self_test(model, batch, 1.0, &test_device))
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
		metrics: race::RaceMetrics::new(),
		status: std::sync::Mutex::new(race::RaceStatus {
			account: format!("0x{}", hex::encode(keys.hot_account())),
			..Default::default()
		}),
	});
	let (_fire, shutdown) = Shutdown::on_signals();
	let options = RaceOptions {
		mine,
		validate: true,
		batch: args.batch,
		poll: Duration::from_millis(args.poll_ms.max(100)),
		submit_every: Duration::from_secs(args.submit_every_secs.max(1)),
		secrets_dir: common.data_dir.join("race"),
	};
	let runner = tokio::spawn(race::run(chain, device, options, shared.clone(), shutdown.clone()));
	let listener = tokio::net::TcpListener::bind(args.listen).await?;
	tracing::info!(listen = %listener.local_addr()?, mine, "following races");
	let mut server_shutdown = shutdown;
	axum::serve(listener, race::router(shared))
		.with_graceful_shutdown(async move { server_shutdown.wait().await })
		.await?;
	runner.await??;
	tracing::info!("stopped");
	Ok(())
}

/// Writes a random model of `preset`, then times a prompt's prefill and greedy decoding.
fn bench_model(preset: &str, tokens: usize, prompt_len: usize) -> anyhow::Result<()> {
	use ail2_model::{KvCache, Logits, Sampler, SamplingParams};
	let spec = RandomModelSpec::preset(preset).ok_or_else(|| anyhow!("presets: tiny, 100m"))?;
	let dir = std::env::temp_dir().join(format!("ail2-bench-model-{}", std::process::id()));
	let config = write_random_model(&dir, &spec, 1)?;
	let started = Instant::now();
	let model = TextModel::load(&dir, &default_device())?;
	let load = started.elapsed();
	std::fs::remove_dir_all(&dir).ok();
	let prompt: Vec<u32> = (0..prompt_len).map(|i| (i * 7 % config.vocab_size) as u32).collect();
	let mut cache = KvCache::new();
	let mut sampler = Sampler::new(&SamplingParams::greedy());

	let started = Instant::now();
	let logits = ail2_model::to_vec(model.model.forward(&prompt, &mut cache, Logits::Last)?)?;
	let prefill = started.elapsed();
	let mut next = sampler.sample(&logits);
	let started = Instant::now();
	for _ in 0..tokens {
		let logits = ail2_model::to_vec(model.model.forward(&[next], &mut cache, Logits::Last)?)?;
		next = sampler.sample(&logits);
	}
	let decode = started.elapsed();
	println!(
		"{preset}: {} parameters on {} ({} threads); load {:.2} s; prefill {prompt_len} tokens {:.1} tokens/s; decode {tokens} tokens {:.2} tokens/s",
		config.parameter_count(),
		ail2_model::backend_name(),
		std::thread::available_parallelism().map_or(1, |n| n.get()),
		load.as_secs_f64(),
		prompt_len as f64 / prefill.as_secs_f64(),
		tokens as f64 / decode.as_secs_f64(),
	);
	Ok(())
}

/// Signs and persists `count` receipts through the same group-commit path `serve` uses,
/// then builds one Merkle-sum tree over them.
async fn bench_receipts(dir: &Path, count: u64) -> anyhow::Result<()> {
	std::fs::create_dir_all(dir)?;
	let path = dir.join(format!("bench-{}.redb", std::process::id()));
	let store = Arc::new(Store::open(&path)?);
	let log = ReceiptLog::start(store.clone(), 4096);
	let worker = ail2_primitives::receipt::signing::Keypair::from_secret(&[7u8; 32])
		.map_err(|_| anyhow!("bench key"))?;
	let payer = [9u8; 32];
	let started = Instant::now();
	let mut tasks = tokio::task::JoinSet::new();
	for counter in 1..=count {
		let log = log.clone();
		let worker = worker.clone();
		tasks.spawn(async move {
			let receipt = Receipt {
				project_id: 0,
				model_id: 1,
				version: SemVer { major: 1, minor: 0, patch: 0 },
				timestamp_ms: 1_790_000_000_000,
				tokens_in: 100,
				tokens_out: 40,
				gpu_ms: 250,
				bytes_in: 400,
				bytes_out: 160,
				price: 1_000,
				chain_id: 42,
				route_id: keccak256(&counter.to_le_bytes()),
				counter,
				node_pubkey: worker.public(),
				payer,
				policy_hash: [0u8; 32],
				max_price: 2_000,
				expires_at_ms: 1_790_000_060_000,
			};
			let signed = SignedReceipt {
				node_signature: worker.sign(&receipt.message()),
				gateway_signature: [0u8; 65],
				receipt,
			};
			log.persist(signed).await
		});
		if tasks.len() >= 8192 {
			while let Some(done) = tasks.join_next().await {
				done??;
			}
		}
	}
	while let Some(done) = tasks.join_next().await {
		done??;
	}
	let persisted = started.elapsed();
	println!(
		"{count} receipts signed and persisted in {:.2} s: {:.0} receipts/s",
		persisted.as_secs_f64(),
		count as f64 / persisted.as_secs_f64()
	);
	let started = Instant::now();
	let closed = store.close_batch(&payer, usize::MAX, 0)?;
	println!(
		"batch of {} receipts (read, tree, record) built in {:.3} s",
		closed.map_or(0, |(_, record)| record.count),
		started.elapsed().as_secs_f64()
	);
	drop(log);
	std::fs::remove_file(&path).ok();
	Ok(())
}
