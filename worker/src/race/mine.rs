//! The window's work: the race model is built from its seed; nonces 0, 1, 2, … are computed
//! in batches on the rayon pool until the window is about to close, each nonce's artifact
//! logged to `<data dir>/race/race-N.leaves`; every `commit_interval` blocks the log is
//! synced and its root committed on chain, and a last commitment goes out as the work stops.
//! Every nonce counts: the weight is the count of the last commitment validators accept.

use std::{
	path::PathBuf,
	sync::{
		atomic::{AtomicU32, Ordering},
		Arc,
	},
	time::{Duration, Instant},
};

use ail2_chain::race::RaceState;
use ail2_model::Device;
use ail2_primitives::{
	race::{node_seed, NodeSeed, Nonce, RaceModel},
	Hash,
};
use ail2_race::{work::WorkLog, RaceNet};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::{lower_thread_priority, ActiveWork, Follower, RaceError, RaceShared, WorkReport};
use crate::supervisor::resume_panic;

/// Blocks before the window closes at which the work stops, so that its last commitment is
/// included in time (a transaction takes one or two blocks).
const STOP_BEFORE_CLOSE: u32 = 3;
/// How often the best block is read while the work runs.
const BEST_BLOCK_EVERY: Duration = Duration::from_millis(500);

/// The file a race's leaves are logged to.
pub fn leaves_path(dir: &std::path::Path, race: u32) -> PathBuf {
	dir.join(format!("race-{race}.leaves"))
}

impl Follower {
	/// Computes `race`'s window with `seed` until it is about to close, or shutdown, and
	/// commits as it goes. Leaf logs of other races are removed first: races never overlap,
	/// so only this one's can still be opened.
	pub(super) async fn mine(
		&mut self,
		race: &RaceState,
		seed: Hash,
	) -> Result<WorkReport, RaceError> {
		let params = race.params;
		let dir = self.options.secrets_dir.clone();
		prune_logs(&dir, race.index);
		let path = leaves_path(&dir, race.index);
		// A restart in the window resumes the log it left (what it committed stays openable).
		let log = match WorkLog::reopen(&path, params.artifact_len) {
			Ok(log) => log,
			Err(_) => WorkLog::create(&path, params.artifact_len)?,
		};
		*crate::sync::lock(&self.shared.work) = Some(ActiveWork { race: race.index, log });

		let best = Arc::new(AtomicU32::new(self.chain.best_number().await.unwrap_or(0)));
		let stop_at = race.validation_from.saturating_sub(STOP_BEFORE_CLOSE);
		let window = Window {
			seed,
			model: params.model,
			k: params.artifact_len,
			device: self.device.clone(),
			node: node_seed(&self.chain.account()),
			batch: self.options.batch.max(1) as u64,
			stop_at,
			best: best.clone(),
			shutdown: self.shutdown.clone(),
			shared: self.shared.clone(),
		};
		let started = Instant::now();
		let mut computing = tokio::task::spawn_blocking(move || window.run());
		let mut commits = JoinSet::new();
		let mut last_sent: Option<(u32, u64)> = None;
		let interval = params.commit_interval.max(1);
		let outcome = loop {
			tokio::select! {
				done = &mut computing => break done,
				() = tokio::time::sleep(BEST_BLOCK_EVERY) => {
					if let Ok(number) = self.chain.best_number().await {
						best.store(number, Ordering::Relaxed);
						let due = last_sent.is_none_or(|(at, _)| number > at.saturating_add(interval));
						// None so close to the end that the last commitment would come too
						// soon after it.
						if due && number.saturating_add(interval).saturating_add(1) < stop_at {
							self.commit(race.index, number, &mut last_sent, &mut commits).await;
						}
					}
				},
			}
		};
		let mut report = outcome.map_err(|error| RaceError::Blocking(resume_panic(error)))??;
		// The last commitment, of everything computed.
		let number = self.chain.best_number().await.unwrap_or(0);
		self.commit(race.index, number, &mut last_sent, &mut commits).await;
		let (mut accepted, mut committed) = (0u64, 0u64);
		while let Some(done) = commits.join_next().await {
			match done.map_err(resume_panic) {
				Ok((count, Ok(()))) => {
					accepted += 1;
					committed = committed.max(count);
				},
				Ok((count, Err(error))) => {
					self.shared.metrics.commitment_failures.inc();
					tracing::warn!(%error, race = race.index, count, "commitment not accepted");
				},
				Err(error) => tracing::warn!(%error, race = race.index, "commitment task failed"),
			}
		}
		report.race = race.index;
		report.committed = committed;
		report.commitments = accepted;
		let metrics = &self.shared.metrics;
		metrics.commitments.inc_by(accepted);
		metrics.committed.set(i64::try_from(committed).unwrap_or(i64::MAX));
		metrics.nonces_per_second.set(report.nonces_per_second);
		tracing::info!(
			race = report.race,
			nonces = report.nonces,
			committed,
			nonces_per_second = report.nonces_per_second,
			build_seconds = report.build_seconds,
			"race window done; elapsed {:.1} s",
			started.elapsed().as_secs_f64()
		);
		Ok(report)
	}

	/// Syncs the log and sends a commitment of its root if it grew since the last one.
	async fn commit(
		&self,
		race: u32,
		at: u32,
		last_sent: &mut Option<(u32, u64)>,
		commits: &mut JoinSet<(u64, Result<(), ail2_chain::ChainError>)>,
	) {
		// Syncing the file is blocking I/O: on the blocking pool, not the async runtime.
		let shared = self.shared.clone();
		let synced = tokio::task::spawn_blocking(move || {
			let mut work = crate::sync::lock(&shared.work);
			let active = work.as_mut().filter(|w| w.race == race)?;
			if let Err(error) = active.log.flush() {
				tracing::warn!(%error, "the work log could not be synced; not committing");
				return None;
			}
			active.log.root().map(|root| (root.hash, active.log.count()))
		})
		.await;
		let Ok(Some((hash, logged))) = synced else { return };
		// `--overclaim` (tests only) claims more than was computed under the honest root.
		let count = logged.saturating_mul(self.options.overclaim.max(1));
		if last_sent.is_some_and(|(_, sent)| sent >= count) {
			return;
		}
		match self.chain.send_commit_work(race, hash, count, &self.options.public_url).await {
			Ok(finalized) => {
				*last_sent = Some((at, count));
				commits.spawn(async move { (count, finalized.await) });
			},
			Err(error) => {
				self.shared.metrics.commitment_failures.inc();
				tracing::warn!(%error, race, count, "commitment could not be sent");
			},
		}
	}
}

/// Removes the leaf logs of races other than `keep` in `dir`.
fn prune_logs(dir: &std::path::Path, keep: u32) {
	let Ok(entries) = std::fs::read_dir(dir) else { return };
	for entry in entries.flatten() {
		let name = entry.file_name().to_string_lossy().into_owned();
		let race = name.strip_prefix("race-").and_then(|n| n.strip_suffix(".leaves"));
		if race.and_then(|n| n.parse::<u32>().ok()).is_some_and(|n| n != keep) {
			if let Err(error) = std::fs::remove_file(entry.path()) {
				tracing::warn!(%error, file = %name, "an old leaf log could not be removed");
			}
		}
	}
}

/// One window's work, run on the blocking pool.
struct Window {
	seed: Hash,
	model: RaceModel,
	k: u32,
	device: Device,
	/// This worker's node seed, which its nonces are bound to.
	node: NodeSeed,
	/// Nonces per forward pass.
	batch: u64,
	/// The block at which the work stops.
	stop_at: u32,
	/// The best block, followed by the async side while the work runs; 0 until known.
	best: Arc<AtomicU32>,
	shutdown: CancellationToken,
	shared: Arc<RaceShared>,
}

impl Window {
	/// Builds the race's model, then computes and logs nonces from where the log stands in
	/// batches until the window is about to close, or shutdown.
	fn run(self) -> Result<WorkReport, RaceError> {
		lower_thread_priority();
		let built = Instant::now();
		let net = RaceNet::build(&self.seed, self.model, &self.device)?;
		let build_seconds = built.elapsed().as_secs_f64();
		let working = Instant::now();
		let first = self.logged();
		let mut next: Nonce = first;
		loop {
			let at = self.best.load(Ordering::Relaxed);
			if (at != 0 && at >= self.stop_at) || self.shutdown.is_cancelled() {
				break;
			}
			let nonces: Vec<Nonce> = (next..next.saturating_add(self.batch)).collect();
			let artifacts = net.artifacts(&self.node, &nonces, self.k)?;
			{
				let mut work = crate::sync::lock(&self.shared.work);
				if let Some(active) = work.as_mut() {
					active.log.append(&artifacts)?;
				}
			}
			next = next.saturating_add(self.batch);
			self.shared.metrics.nonces.inc_by(self.batch);
		}
		let seconds = working.elapsed().as_secs_f64();
		let done = next.saturating_sub(first);
		Ok(WorkReport {
			nonces: next,
			seconds,
			nonces_per_second: if seconds > 0.0 { done as f64 / seconds } else { 0.0 },
			build_seconds,
			..WorkReport::default()
		})
	}

	fn logged(&self) -> Nonce {
		crate::sync::lock(&self.shared.work).as_ref().map_or(0, |active| active.log.count())
	}
}
