//! `ail2-worker race` and `ail2-worker validate`: follow pallet-race on the chain, commit and
//! reveal seed contributions when this worker is a committer, search the race window for
//! hits on all the cores it is given and submit them, and recompute the samples of the
//! participants this worker is assigned to validate.
//!
//! Everything is driven by the race state at the best block, polled every `poll`. A seed
//! secret is written to disk before its commitment is submitted, so a restart between commit
//! and reveal still reveals (a withheld reveal is slashed).
//!
//! - [`secrets`]: the seed secrets kept between commit and reveal;
//! - [`search`]: the window's search and the submission of its hits;
//! - [`validate`]: validation duty;
//! - [`status`]: what `/health` and `/metrics` show.

mod search;
mod secrets;
mod status;
mod validate;

use std::{collections::HashSet, path::PathBuf, sync::Arc, time::Duration};

use ail2_chain::{race::Phase, ChainClient, ChainError};
use ail2_model::Device;
use ail2_primitives::{race::seed_commitment, receipt::AccountBytes};
use ail2_race::RaceNet;
use tokio::task::{JoinError, JoinSet};
use tokio_util::sync::CancellationToken;

pub use status::{router, RaceMetrics, RaceShared, RaceStatus, SearchReport};

use crate::supervisor::resume_panic;

/// Why a race step failed (the next poll tries again), or why following could not start.
#[derive(Debug, thiserror::Error)]
pub enum RaceError {
	#[error(transparent)]
	Chain(#[from] ChainError),
	#[error(transparent)]
	Model(#[from] ail2_race::RaceError),
	#[error("{action} {}: {error}", path.display())]
	Io { action: &'static str, path: PathBuf, error: std::io::Error },
	#[error("{} does not hold a 32-byte hex secret", path.display())]
	CorruptSecret { path: PathBuf },
	#[error("no secret kept for race {race} at {}", path.display())]
	NoSecret { race: u32, path: PathBuf },
	#[error("the blocking pool dropped race work: {0}")]
	Blocking(JoinError),
}

/// What this worker does in races.
#[derive(Clone, Debug)]
pub struct RaceOptions {
	/// Search windows and submit hits (`race`); `validate` only validates.
	pub mine: bool,
	/// Perform assigned validation duty.
	pub validate: bool,
	/// Nonces per forward pass.
	pub batch: usize,
	/// How often the chain is read.
	pub poll: Duration,
	/// How often found hits are submitted during the window.
	pub submit_every: Duration,
	/// Most hits in one `submit_nonces` call: the runtime's `MaxNoncesPerCall`, read from its
	/// metadata when the command starts (`ChainClient::race_limits`).
	pub max_nonces_per_call: usize,
	/// Where seed secrets are kept between commit and reveal.
	pub secrets_dir: PathBuf,
}

/// What this worker did in the race in progress.
#[derive(Default)]
struct Progress {
	race: Option<u32>,
	committed: bool,
	revealed: bool,
	searched: bool,
	voted: HashSet<AccountBytes>,
	/// The phase last seen (logged when it changes).
	phase: Option<Phase>,
	/// The race's model, built once for validation.
	net: Option<Arc<RaceNet>>,
}

/// The race follower's state between polls.
struct Follower {
	chain: Arc<ChainClient>,
	device: Device,
	options: RaceOptions,
	shared: Arc<RaceShared>,
	shutdown: CancellationToken,
	/// This worker's account.
	me: AccountBytes,
	progress: Progress,
	/// The submissions of past searches, counting the hits the chain accepts.
	submissions: JoinSet<()>,
}

/// Follows the chain until `shutdown` is cancelled. A failed step is logged and retried at the
/// next poll; a step in progress is dropped at shutdown (its search stops at once).
pub async fn run(
	chain: Arc<ChainClient>,
	device: Device,
	options: RaceOptions,
	shared: Arc<RaceShared>,
	shutdown: CancellationToken,
) -> Result<(), RaceError> {
	std::fs::create_dir_all(&options.secrets_dir).map_err(|error| RaceError::Io {
		action: "creating",
		path: options.secrets_dir.clone(),
		error,
	})?;
	let mut follower = Follower {
		me: chain.account(),
		chain,
		device,
		options,
		shared,
		shutdown: shutdown.clone(),
		progress: Progress::default(),
		submissions: JoinSet::new(),
	};
	loop {
		tokio::select! {
			stepped = follower.step() => {
				if let Err(error) = stepped {
					tracing::warn!(%error, "race step failed; retrying");
				}
			},
			() = shutdown.cancelled() => return Ok(()),
		}
		let next_poll = tokio::time::sleep(follower.options.poll);
		tokio::pin!(next_poll);
		loop {
			tokio::select! {
				() = &mut next_poll => break,
				() = shutdown.cancelled() => return Ok(()),
				Some(done) = follower.submissions.join_next() => {
					if let Err(error) = done.map_err(resume_panic) {
						tracing::warn!(%error, "a submission task stopped");
					}
				},
			}
		}
	}
}

impl Follower {
	async fn step(&mut self) -> Result<(), RaceError> {
		let view = self.chain.race_view().await?;
		let Some(race) = view.race.clone() else {
			let mut status = self.shared.status();
			status.block = view.block;
			status.phase = None;
			return Ok(());
		};
		if self.progress.race != Some(race.index) {
			self.progress = Progress { race: Some(race.index), ..Progress::default() };
			self.shared.metrics.race.set(i64::from(race.index));
		}
		let phase = race.phase(view.block);
		if self.progress.phase != Some(phase) {
			self.progress.phase = Some(phase);
			tracing::info!(race = race.index, ?phase, block = view.block, "race phase");
		}
		{
			let mut status = self.shared.status();
			status.block = view.block;
			status.race = Some(race.index);
			status.phase = Some(format!("{phase:?}"));
		}
		let me = self.me;
		match phase {
			Phase::Commit if view.committers.contains(&me) && !self.progress.committed => {
				let secret = secrets::secret_for(&self.options.secrets_dir, race.index, true)?;
				if self.chain.race_commitment(me).await?.is_none() {
					let commitment = seed_commitment(race.index, &me, &secret);
					self.chain.commit_seed(race.index, commitment).await?;
					tracing::info!(race = race.index, "seed contribution committed");
				}
				self.progress.committed = true;
			},
			Phase::Reveal if !self.progress.revealed => {
				if let Some(commitment) = self.chain.race_commitment(me).await? {
					if commitment.revealed.is_none() {
						let secret =
							secrets::secret_for(&self.options.secrets_dir, race.index, false)?;
						self.chain.reveal_seed(race.index, secret).await?;
						tracing::info!(race = race.index, "seed contribution revealed");
					}
				}
				self.progress.revealed = true;
			},
			Phase::Window if self.options.mine && !self.progress.searched => {
				if let Some(seed) = race.seed {
					self.progress.searched = true;
					let report = self.search(&race, seed).await?;
					self.shared.status().last_search = Some(report);
				}
			},
			Phase::Validation if self.options.validate => {
				if let Some(sample_seed) = race.sample_seed {
					self.validate(&race, sample_seed, &view.participants).await?;
				}
			},
			_ => {},
		}
		Ok(())
	}
}

/// Lowers the calling thread's CPU priority by 10 (on Linux, niceness is per thread): race
/// work yields to the node and to serving on the same machine.
pub fn lower_thread_priority() {
	#[cfg(target_os = "linux")]
	// SAFETY: setpriority only reads its integer arguments; `0` names the calling thread.
	unsafe {
		libc::setpriority(libc::PRIO_PROCESS, 0, 10);
	}
}
