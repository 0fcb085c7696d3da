//! One module per `ail2-worker` command, each with its argument struct and its `run`.
//!
//! The long-running commands (`serve`, `gateway`, `race`, `validate`) run their tasks under
//! one [`Supervisor`]: the first task to fail stops the others, and so does SIGINT/SIGTERM.

pub mod api_key;
pub mod bench_model;
pub mod bench_race;
pub mod bench_receipts;
pub mod gateway;
pub mod gateway_key;
pub mod init_model;
pub mod keys;
pub mod race;
pub mod race_selftest;
pub mod register;
pub mod serve;
pub mod supervisor_check;
pub mod validate;
pub mod verify;

use std::path::PathBuf;

use ail2_primitives::race::RaceModel;
use ail2_worker::supervisor::Supervisor;
use anyhow::anyhow;
use clap::{Args, Subcommand};
use tokio::net::TcpListener;

/// Options every command takes.
#[derive(Args)]
pub struct GlobalArgs {
	/// Where the key file and the receipt store live.
	#[arg(long, env = "AIL2_DATA_DIR", default_value = "./ail2-worker-data", global = true)]
	pub data_dir: PathBuf,
	/// WebSocket RPC of an AIL2 node.
	#[arg(long, env = "AIL2_CHAIN_URL", default_value = "ws://127.0.0.1:9944", global = true)]
	pub chain_url: String,
}

impl GlobalArgs {
	/// The worker's key file (`keys generate`).
	pub fn key_file(&self) -> PathBuf {
		self.data_dir.join("keys.json")
	}
}

#[derive(Subcommand)]
pub enum Command {
	/// Create or show the worker's keys.
	Keys(keys::KeysCommand),
	/// Write a random-weight model folder (config, safetensors, tokenizer) for tests and dev.
	InitModel(init_model::InitModelCommand),
	/// Register this worker on chain (signed by the owner account); does nothing if the hot
	/// key is already registered with this receipt key.
	Register(register::RegisterCommand),
	/// Serve a model over the OpenAI-compatible API, sign receipts, batch and settle them.
	Serve(serve::ServeCommand),
	/// Take part in PoW races: commit and reveal seed contributions when chosen, compute each
	/// race window and commit to the work, serve openings, and perform assigned validation.
	Race(race::RaceCommand),
	/// Perform assigned race validation duty only (no computing).
	Validate(validate::ValidateCommand),
	/// Re-execute a request from its receipt (proof of inference): fetch the transcript from
	/// the worker as the payer, check it against the receipt and replay it through the model.
	Verify(verify::VerifyCommand),
	/// Run a gateway: the OpenAI-compatible API for app developers, routing each request to
	/// the best worker and signing the payer's authorisation.
	Gateway(gateway::GatewayCommand),
	/// Create or show a gateway's signing key.
	GatewayKey(gateway_key::GatewayKeyCommand),
	/// Make a new API key and print the configuration entry (with its hash) for the gateway.
	ApiKey(api_key::ApiKeyCommand),
	/// Measure generation speed (prefill and decode tokens/s) of a random model.
	BenchModel(bench_model::BenchModelCommand),
	/// Measure the PoW race model: nonces/s and GFLOP/s against a 1024³ matmul in the same run,
	/// and what validating a sample of k nonces costs against a race window.
	BenchRace(bench_race::BenchRaceCommand),
	/// The readiness self-test before a race: this build's race derivations against the
	/// checked-in vectors, and the throughput to expect. Fails if a derivation differs.
	RaceSelftest(race_selftest::RaceSelftestCommand),
	/// Measure receipts signed and persisted per second, and batch build time.
	BenchReceipts(bench_receipts::BenchReceiptsCommand),
	/// Test hook: run the supervisor with an HTTP task and a task that fails as asked.
	#[command(hide = true)]
	SupervisorCheck(supervisor_check::SupervisorCheckCommand),
}

/// The race model of a preset name (`RaceModel::PRESETS`: `tiny` for tests and dev chains,
/// `whitepaper`).
fn race_preset(name: &str) -> anyhow::Result<RaceModel> {
	RaceModel::preset(name).ok_or_else(|| {
		let names: Vec<&str> = RaceModel::PRESETS.iter().map(|(name, _)| *name).collect();
		anyhow!("unknown race preset `{name}` ({})", names.join(", "))
	})
}

/// Serves `router` on `listener` as the critical task `name`, until the supervisor stops.
fn spawn_http(
	supervisor: &Supervisor,
	name: &'static str,
	listener: TcpListener,
	router: axum::Router,
) {
	let shutdown = supervisor.token();
	supervisor.spawn_critical(name, async move {
		axum::serve(listener, router).with_graceful_shutdown(shutdown.cancelled_owned()).await
	});
}
