//! One shutdown signal for every task: SIGINT or SIGTERM flips it once.

use tokio::sync::watch;

#[derive(Clone)]
pub struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
	/// A signal fired by SIGINT/SIGTERM, and the sender to fire it by hand.
	pub fn on_signals() -> (watch::Sender<bool>, Self) {
		let (fire, signal) = watch::channel(false);
		let by_signal = fire.clone();
		tokio::spawn(async move {
			let ctrl_c = tokio::signal::ctrl_c();
			#[cfg(unix)]
			let terminate = async {
				match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
					Ok(mut term) => {
						term.recv().await;
					},
					Err(_) => std::future::pending::<()>().await,
				}
			};
			tokio::select! {
				_ = ctrl_c => {},
				_ = terminate => {},
			}
			tracing::info!("shutdown requested");
			let _ = by_signal.send(true);
		});
		(fire, Self(signal))
	}

	/// Resolves once shutdown was requested.
	pub async fn wait(&mut self) {
		while !*self.0.borrow() {
			if self.0.changed().await.is_err() {
				return;
			}
		}
	}
}
