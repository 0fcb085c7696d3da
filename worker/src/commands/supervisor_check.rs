//! `ail2-worker supervisor-check` (hidden): a test hook for the supervision the long-running
//! commands share, which needs no chain. An HTTP task serves `/health` on `--listen`, and the
//! critical task `probe` fails as asked, so a test can watch the process stop with the task's
//! name and a non-zero status, or drain on SIGTERM and exit 0.

use std::{net::SocketAddr, time::Duration};

use ail2_worker::supervisor::Supervisor;
use anyhow::anyhow;
use clap::{Args, ValueEnum};

use super::spawn_http;

#[derive(Args)]
pub struct SupervisorCheckCommand {
	/// Where the HTTP task listens.
	#[arg(long, default_value = "127.0.0.1:0")]
	listen: SocketAddr,
	/// How the `probe` task ends.
	#[arg(long, value_enum, default_value_t = Ending::Never)]
	fail: Ending,
	/// When the `probe` task ends, in milliseconds after it started.
	#[arg(long, default_value_t = 100)]
	after_ms: u64,
}

#[derive(Clone, Copy, ValueEnum)]
enum Ending {
	/// It panics.
	Panic,
	/// It returns an error.
	Error,
	/// It runs until the process is stopped.
	Never,
}

impl SupervisorCheckCommand {
	pub async fn run(self) -> anyhow::Result<()> {
		let supervisor = Supervisor::new();
		// Before the listener: once a client can connect, a signal is handled.
		supervisor.stop_on_signals()?;
		let listener = tokio::net::TcpListener::bind(self.listen).await?;
		tracing::info!(listen = %listener.local_addr()?, "supervisor check listening");
		let router = axum::Router::new().route("/health", axum::routing::get(|| async { "ok" }));
		spawn_http(&supervisor, "http", listener, router);
		let (ending, after, shutdown) =
			(self.fail, Duration::from_millis(self.after_ms), supervisor.token());
		supervisor.spawn_critical("probe", async move {
			match ending {
				Ending::Never => {
					shutdown.cancelled().await;
					Ok(())
				},
				Ending::Panic => {
					tokio::time::sleep(after).await;
					panic!("the probe was asked to panic")
				},
				Ending::Error => {
					tokio::time::sleep(after).await;
					Err(anyhow!("the probe was asked to fail"))
				},
			}
		});
		supervisor.wait().await?;
		tracing::info!("stopped");
		Ok(())
	}
}
