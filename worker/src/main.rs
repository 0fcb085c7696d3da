//! `ail2-worker`: the AIL2 miner's process. This file parses the command line, starts tracing
//! and hands over to the command's module in `commands/`.

mod commands;

use clap::Parser;
use commands::{Command, GlobalArgs};

#[derive(Parser)]
#[command(
	name = "ail2-worker",
	version,
	about = "AIL2 miner: serve models, get paid from receipts"
)]
struct Cli {
	#[command(flatten)]
	global: GlobalArgs,
	#[command(subcommand)]
	command: Command,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
	tracing_subscriber::fmt()
		.with_env_filter(
			tracing_subscriber::EnvFilter::try_from_default_env()
				.unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
		)
		.init();
	let Cli { global, command } = Cli::parse();
	match command {
		Command::Keys(command) => command.run(&global),
		Command::InitModel(command) => command.run(),
		Command::Register(command) => command.run(&global).await,
		Command::Serve(command) => command.run(&global).await,
		Command::Race(command) => command.run(&global).await,
		Command::Validate(command) => command.run(&global).await,
		Command::Verify(command) => command.run().await,
		Command::Gateway(command) => command.run(&global).await,
		Command::GatewayKey(command) => command.run(),
		Command::ApiKey(command) => command.run(),
		Command::BenchModel(command) => command.run().await,
		Command::BenchRace(command) => command.run().await,
		Command::RaceSelftest(command) => command.run().await,
		Command::BenchReceipts(command) => command.run(&global).await,
		Command::SupervisorCheck(command) => command.run().await,
	}
}
