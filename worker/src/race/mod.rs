//! `ail2-worker race` and `ail2-worker validate`: follow pallet-race on the chain, commit and
//! reveal seed contributions when this worker is a committer, compute the race window's
//! nonces on all the cores it is given and commit to them, serve the openings its validators
//! ask for, and open and recompute the samples of the participants it is assigned to
//! validate.
//!
//! Everything is driven by the race state at the best block, polled every `poll`. A seed
//! secret is written to disk before its commitment is submitted, so a restart between commit
//! and reveal still reveals (a withheld reveal is slashed).
//!
//! - [`secrets`]: the seed secrets kept between commit and reveal;
//! - [`mine`]: the window's work and its commitments;
//! - [`openings`]: the openings served to validators, and fetched from participants;
//! - [`validate`]: validation duty;
//! - [`status`]: what `/health` and `/metrics` show.

mod mine;
pub mod openings;
mod secrets;
mod status;
mod validate;

use std::{collections::HashSet, path::PathBuf, sync::Arc, time::Duration};

use ail2_chain::{race::Phase, ChainClient, ChainError};
use ail2_model::Device;
use ail2_primitives::{race::seed_commitment, receipt::AccountBytes};
use ail2_race::RaceNet;
use tokio::task::JoinError;
use tokio_util::sync::CancellationToken;

pub use status::{
	router, ActiveWork, RaceMetrics, RaceShared, RaceStatus, ValidationReport, WorkReport,
};

/// Why a race step failed (the next poll tries again), or why following could not start.
#[derive(Debug, thiserror::Error)]
pub enum RaceError {
	#[error(transparent)]
	Chain(#[from] ChainError),
	#[error(transparent)]
	Model(#[from] ail2_race::RaceError),
	#[error(transparent)]
	Work(#[from] ail2_race::work::WorkError),
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
	/// Compute windows and commit (`race`); `validate` only validates.
	pub mine: bool,
	/// Perform assigned validation duty.
	pub validate: bool,
	/// Nonces per forward pass.
	pub batch: usize,
	/// How often the chain is read.
	pub poll: Duration,
	/// Validators per participant: the runtime's `ValidatorsPerParticipant`, read from its
	/// metadata when the command starts (`ChainClient::race_limits`).
	pub validators_per_participant: u32,
	/// Where seed secrets are kept between commit and reveal, and leaf logs until the race
	/// is finalized.
	pub secrets_dir: PathBuf,
	/// The URL validators fetch openings from (this worker's `--listen`, as reachable).
	pub public_url: String,
	/// Claim this many times the nonces computed (1 for honest work): a test hook for the
	/// adversary test, whose overclaimed leaves cannot be opened.
	pub overclaim: u64,
}

/// What this worker did in the race in progress.
#[derive(Default)]
struct Progress {
	race: Option<u32>,
	committed: bool,
	revealed: bool,
	worked: bool,
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
	/// Validators per participant (the runtime's constant).
	validators: u32,
	/// For fetching openings.
	http: reqwest::Client,
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
		validators: options.validators_per_participant,
		options,
		shared,
		shutdown: shutdown.clone(),
		progress: Progress::default(),
		http: reqwest::Client::new(),
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
		tokio::select! {
			() = tokio::time::sleep(follower.options.poll) => {},
			() = shutdown.cancelled() => return Ok(()),
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
			Phase::Window if self.options.mine && !self.progress.worked => {
				if let Some(seed) = race.seed {
					self.progress.worked = true;
					let report = self.mine(&race, seed).await?;
					self.shared.status().last_work = Some(report);
				}
			},
			Phase::Validation if self.options.validate => {
				if let Some(sample_seed) = race.sample_seed {
					self.validate(&race, sample_seed, view.participants).await?;
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
