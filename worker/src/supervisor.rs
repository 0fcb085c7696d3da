//! Named critical tasks under one cancellation token.
//!
//! A long-running command (`serve`, `gateway`, `race`, `validate`) is a few tasks that are only
//! useful together: an HTTP server and the batcher, the registry follower or the race follower.
//! Each is spawned here as a *critical* task with a name. The first one to end before shutdown —
//! with an error, a panic, or even without one — is a failure: it cancels the token every task
//! stops on, the others drain, and [`Supervisor::wait`] returns the failure with the task's name,
//! for the process to exit with. SIGINT and SIGTERM cancel the same token
//! ([`Supervisor::stop_on_signals`]), so a signal and a failure stop the process by one path.
//!
//! Work a task hands to the blocking pool or to its own [`tokio::task::JoinSet`] reports a panic
//! through [`resume_panic`], so that it reaches the supervisor as the task's panic rather than as
//! a logged `JoinError`.

use std::{
	any::Any,
	fmt,
	future::Future,
	panic::AssertUnwindSafe,
	sync::{Arc, Mutex},
};

use futures_util::FutureExt;
use tokio::{
	signal::unix::{signal, SignalKind},
	task::JoinError,
};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

/// Why a supervised command stopped before it was asked to.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TaskError {
	/// The task returned an error.
	#[error("task {task} failed: {error}")]
	Failed { task: &'static str, error: String },
	/// The task panicked.
	#[error("task {task} panicked: {message}")]
	Panicked { task: &'static str, message: String },
	/// The task returned while nothing had asked it to stop.
	#[error("task {task} failed: it stopped before shutdown")]
	Stopped { task: &'static str },
}

impl TaskError {
	/// The name of the task that failed.
	pub fn task(&self) -> &'static str {
		match self {
			Self::Failed { task, .. } | Self::Panicked { task, .. } | Self::Stopped { task } => {
				task
			},
		}
	}
}

/// What a critical task's future ends with: nothing, or a result whose error is its failure.
pub trait TaskOutput: Send + 'static {
	/// The failure to report, if any.
	fn into_failure(self) -> Option<String>;
}

impl TaskOutput for () {
	fn into_failure(self) -> Option<String> {
		None
	}
}

impl<E: fmt::Display + Send + 'static> TaskOutput for Result<(), E> {
	fn into_failure(self) -> Option<String> {
		// The alternate form, so that an error with context shows its whole chain.
		self.err().map(|error| format!("{error:#}"))
	}
}

/// The critical tasks of one command, the token they stop on, and the first failure among them.
#[derive(Default)]
pub struct Supervisor {
	token: CancellationToken,
	tracker: TaskTracker,
	/// The first failure; those after it are usually its consequences, and are only logged.
	failure: Arc<Mutex<Option<TaskError>>>,
}

impl Supervisor {
	pub fn new() -> Self {
		Self::default()
	}

	/// The token every task stops on: cancelled by a signal or by the first task to fail.
	pub fn token(&self) -> CancellationToken {
		self.token.clone()
	}

	/// Runs `task` as the critical task `name`. It is expected to run until the token is
	/// cancelled; if it returns an error, panics, or returns at all before that, every task is
	/// stopped and [`Self::wait`] reports it.
	pub fn spawn_critical<F>(&self, name: &'static str, task: F)
	where
		F: Future + Send + 'static,
		F::Output: TaskOutput,
	{
		let token = self.token.clone();
		let first_failure = self.failure.clone();
		// The tracker holds the task; the wrapper catches its panic, so nothing is lost with the
		// handle.
		self.tracker.spawn(async move {
			let failure = match AssertUnwindSafe(task).catch_unwind().await {
				Ok(output) => match output.into_failure() {
					Some(error) => Some(TaskError::Failed { task: name, error }),
					None if token.is_cancelled() => None,
					None => Some(TaskError::Stopped { task: name }),
				},
				Err(panic) => {
					Some(TaskError::Panicked { task: name, message: panic_message(panic.as_ref()) })
				},
			};
			match failure {
				Some(failure) => {
					tracing::error!("{failure}; stopping every task");
					crate::sync::lock(&first_failure).get_or_insert(failure);
					token.cancel();
				},
				None => tracing::debug!(task = name, "task stopped"),
			}
		});
	}

	/// Cancels the token on the first SIGINT or SIGTERM. The handlers are installed before this
	/// returns, so a signal that arrives from then on is never missed.
	pub fn stop_on_signals(&self) -> std::io::Result<()> {
		let mut interrupt = signal(SignalKind::interrupt())?;
		let mut terminate = signal(SignalKind::terminate())?;
		let token = self.token.clone();
		self.spawn_critical("signals", async move {
			tokio::select! {
				_ = interrupt.recv() => {},
				_ = terminate.recv() => {},
				_ = token.cancelled() => return,
			}
			tracing::info!("shutdown requested");
			token.cancel();
		});
		Ok(())
	}

	/// Waits until every task has stopped: after a signal, or after the first failure, which it
	/// returns.
	pub async fn wait(self) -> Result<(), TaskError> {
		self.tracker.close();
		self.tracker.wait().await;
		match crate::sync::lock(&self.failure).take() {
			Some(failure) => Err(failure),
			None => Ok(()),
		}
	}
}

/// A joined task's error, unless the task panicked: then the panic continues in the caller, so
/// that the supervised task it belongs to reports it, with its message.
pub fn resume_panic(error: JoinError) -> JoinError {
	match error.try_into_panic() {
		Ok(payload) => std::panic::resume_unwind(payload),
		Err(error) => error,
	}
}

/// The text of a panic (`panic!` with a literal or with a format string).
fn panic_message(payload: &(dyn Any + Send)) -> String {
	match payload.downcast_ref::<&'static str>() {
		Some(text) => (*text).to_owned(),
		None => match payload.downcast_ref::<String>() {
			Some(text) => text.clone(),
			None => "a panic without a message".to_owned(),
		},
	}
}

#[cfg(test)]
mod tests {
	use std::{
		convert::Infallible,
		sync::atomic::{AtomicBool, Ordering},
	};

	use super::*;

	/// A task that runs until it is told to stop, and says whether it drained.
	fn server(supervisor: &Supervisor) -> Arc<AtomicBool> {
		let (token, drained) = (supervisor.token(), Arc::new(AtomicBool::new(false)));
		let flag = drained.clone();
		supervisor.spawn_critical("server", async move {
			token.cancelled().await;
			flag.store(true, Ordering::SeqCst);
			Ok::<(), Infallible>(())
		});
		drained
	}

	async fn batcher_that_panics() {
		panic!("the store vanished")
	}

	fn search_with_a_bad_shape() {
		panic!("bad shape")
	}

	#[tokio::test]
	async fn a_panicking_critical_task_stops_every_task_and_is_named() {
		let supervisor = Supervisor::new();
		let token = supervisor.token();
		let drained = server(&supervisor);
		supervisor.spawn_critical("batcher", batcher_that_panics());
		let failure = supervisor.wait().await.unwrap_err();
		assert_eq!(
			failure,
			TaskError::Panicked { task: "batcher", message: "the store vanished".into() }
		);
		assert_eq!(failure.to_string(), "task batcher panicked: the store vanished");
		assert!(token.is_cancelled());
		assert!(drained.load(Ordering::SeqCst), "the server drained");
	}

	#[tokio::test]
	async fn a_failing_or_finished_critical_task_is_a_failure() {
		let supervisor = Supervisor::new();
		let drained = server(&supervisor);
		supervisor.spawn_critical("registry", async { Err::<(), _>("the node went away") });
		let failure = supervisor.wait().await.unwrap_err();
		assert_eq!(failure.to_string(), "task registry failed: the node went away");
		assert!(drained.load(Ordering::SeqCst));

		let supervisor = Supervisor::new();
		server(&supervisor);
		supervisor.spawn_critical("follower", async {});
		assert_eq!(supervisor.wait().await, Err(TaskError::Stopped { task: "follower" }));
	}

	#[tokio::test]
	async fn a_requested_stop_drains_without_failure() {
		let supervisor = Supervisor::new();
		let drained = server(&supervisor);
		supervisor.token().cancel();
		assert_eq!(supervisor.wait().await, Ok(()));
		assert!(drained.load(Ordering::SeqCst));
	}

	#[tokio::test]
	async fn a_panic_in_joined_work_reaches_the_task() {
		let supervisor = Supervisor::new();
		supervisor.spawn_critical("search", async {
			tokio::task::spawn_blocking(search_with_a_bad_shape).await.map_err(resume_panic)
		});
		assert_eq!(
			supervisor.wait().await,
			Err(TaskError::Panicked { task: "search", message: "bad shape".into() })
		);
	}
}
