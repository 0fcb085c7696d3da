//! `ail2-worker race` and `ail2-worker validate`: follow pallet-race on the chain, commit and
//! reveal seed contributions when this worker is a committer, search the race window for
//! hits on all the cores it is given and submit them, and recompute the samples of the
//! participants this worker is assigned to validate.
//!
//! Everything is driven by the race state at the best block, polled every `poll`. A seed
//! secret is written to disk before its commitment is submitted, so a restart between commit
//! and reveal still reveals (a withheld reveal is slashed).

use std::{
	collections::HashSet,
	path::PathBuf,
	sync::{
		atomic::{AtomicBool, AtomicU32, Ordering},
		Arc, Mutex,
	},
	time::{Duration, Instant},
};

use ail2_chain::{
	race::{Phase, RaceParams, RaceState},
	ChainClient,
};
use ail2_model::Device;
use ail2_primitives::{
	race::{node_seed, sample, seed_commitment, Nonce},
	receipt::AccountBytes,
	Hash,
};
use ail2_race::RaceNet;
use prometheus_client::{
	metrics::{counter::Counter, gauge::Gauge},
	registry::Registry,
};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::shutdown::Shutdown;

/// Most hits in one `submit_nonces` call (the runtime's `MaxNoncesPerCall`).
pub const MAX_NONCES_PER_CALL: usize = 512;
/// Blocks before the window closes at which the search stops, so that its last hits are
/// included in time (a transaction takes one or two blocks to be included).
const STOP_BEFORE_CLOSE: u32 = 3;

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
	/// Where seed secrets are kept between commit and reveal.
	pub secrets_dir: PathBuf,
}

/// The outcome of this worker's search in one race.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct SearchReport {
	pub race: u32,
	pub nonces: u64,
	pub seconds: f64,
	pub nonces_per_second: f64,
	pub hits: u64,
	pub submitted: u64,
	pub build_seconds: f64,
}

/// What `/health` shows.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RaceStatus {
	pub account: String,
	pub block: u32,
	pub race: Option<u32>,
	pub phase: Option<String>,
	/// The latest completed search.
	pub last_search: Option<SearchReport>,
	pub votes_cast: u64,
}

/// Prometheus metrics of racing and validation (`/metrics`).
pub struct RaceMetrics {
	registry: Registry,
	pub nonces: Counter,
	pub hits: Counter,
	pub submitted: Counter,
	pub submission_failures: Counter,
	pub votes: Counter,
	pub nonces_per_second: Gauge<f64, std::sync::atomic::AtomicU64>,
	pub race: Gauge,
}

impl RaceMetrics {
	pub fn new() -> Self {
		let mut registry = Registry::with_prefix("ail2_race");
		let nonces = Counter::default();
		let hits = Counter::default();
		let submitted = Counter::default();
		let submission_failures = Counter::default();
		let votes = Counter::default();
		let nonces_per_second = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
		let race = Gauge::default();
		registry.register("nonces", "Nonces searched", nonces.clone());
		registry.register("hits", "Hits found", hits.clone());
		registry.register("submitted", "Hits submitted on chain", submitted.clone());
		registry.register(
			"submission_failures",
			"submit_nonces calls that failed",
			submission_failures.clone(),
		);
		registry.register("votes", "Validation votes cast", votes.clone());
		registry.register(
			"nonces_per_second",
			"Search speed in the latest race",
			nonces_per_second.clone(),
		);
		registry.register("index", "The race this worker last took part in", race.clone());
		Self {
			registry,
			nonces,
			hits,
			submitted,
			submission_failures,
			votes,
			nonces_per_second,
			race,
		}
	}

	pub fn render(&self) -> String {
		crate::serve::metrics::render(&self.registry)
	}
}

impl Default for RaceMetrics {
	fn default() -> Self {
		Self::new()
	}
}

/// Shared between the race loop and the HTTP endpoints.
pub struct RaceShared {
	pub metrics: RaceMetrics,
	pub status: Mutex<RaceStatus>,
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

/// Follows the chain until shutdown.
pub async fn run(
	chain: Arc<ChainClient>,
	device: Device,
	options: RaceOptions,
	shared: Arc<RaceShared>,
	mut shutdown: Shutdown,
) -> anyhow::Result<()> {
	std::fs::create_dir_all(&options.secrets_dir)?;
	let me = chain.account();
	let mut progress = Progress::default();
	loop {
		if let Err(error) = step(&chain, &device, &options, &shared, &mut progress, me).await {
			tracing::warn!(%error, "race step failed; retrying");
		}
		tokio::select! {
			_ = shutdown.wait() => break,
			_ = tokio::time::sleep(options.poll) => {},
		}
	}
	Ok(())
}

async fn step(
	chain: &Arc<ChainClient>,
	device: &Device,
	options: &RaceOptions,
	shared: &Arc<RaceShared>,
	progress: &mut Progress,
	me: AccountBytes,
) -> anyhow::Result<()> {
	let view = chain.race_view().await?;
	let Some(race) = view.race.clone() else {
		let mut status = lock(&shared.status);
		status.block = view.block;
		status.phase = None;
		return Ok(());
	};
	if progress.race != Some(race.index) {
		*progress = Progress { race: Some(race.index), ..Progress::default() };
		shared.metrics.race.set(i64::from(race.index));
	}
	let phase = race.phase(view.block);
	if progress.phase != Some(phase) {
		progress.phase = Some(phase);
		tracing::info!(race = race.index, ?phase, block = view.block, "race phase");
	}
	{
		let mut status = lock(&shared.status);
		status.block = view.block;
		status.race = Some(race.index);
		status.phase = Some(format!("{phase:?}"));
	}
	match phase {
		Phase::Commit if view.committers.contains(&me) && !progress.committed => {
			let secret = secret_for(options, race.index, true)?;
			if chain.race_commitment(me).await?.is_none() {
				chain.commit_seed(race.index, seed_commitment(race.index, &me, &secret)).await?;
				tracing::info!(race = race.index, "seed contribution committed");
			}
			progress.committed = true;
		},
		Phase::Reveal if !progress.revealed => {
			if let Some(commitment) = chain.race_commitment(me).await? {
				if commitment.revealed.is_none() {
					let secret = secret_for(options, race.index, false)?;
					chain.reveal_seed(race.index, secret).await?;
					tracing::info!(race = race.index, "seed contribution revealed");
				}
			}
			progress.revealed = true;
		},
		Phase::Window if options.mine && !progress.searched => {
			if let Some(seed) = race.seed {
				progress.searched = true;
				let report = search(chain, device, options, shared, &race, seed).await?;
				lock(&shared.status).last_search = Some(report);
			}
		},
		Phase::Validation if options.validate => {
			if let Some(sample_seed) = race.sample_seed {
				validate(
					chain,
					device,
					shared,
					progress,
					&race,
					sample_seed,
					&view.participants,
					me,
				)
				.await?;
			}
		},
		_ => {},
	}
	Ok(())
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

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
	mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The secret for `race`: read from disk, or (when `create`) drawn at random and written
/// (0600) before anyone sees its commitment.
fn secret_for(options: &RaceOptions, race: u32, create: bool) -> anyhow::Result<Hash> {
	let path = options.secrets_dir.join(format!("race-{race}.secret"));
	if let Ok(text) = std::fs::read_to_string(&path) {
		let bytes = hex::decode(text.trim())?;
		return bytes.try_into().map_err(|_| anyhow::anyhow!("{} is not 32 bytes", path.display()));
	}
	anyhow::ensure!(create, "no secret kept for race {race} at {}", path.display());
	let mut secret = [0u8; 32];
	rand::RngCore::fill_bytes(&mut rand::rng(), &mut secret);
	let tmp = path.with_extension("tmp");
	std::fs::write(&tmp, hex::encode(secret))?;
	#[cfg(unix)]
	{
		use std::os::unix::fs::PermissionsExt;
		std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
	}
	std::fs::rename(&tmp, &path)?;
	Ok(secret)
}

/// Builds the race's model, searches nonces from 0 upward in batches until the window is
/// about to close or `max_nonces` hits were found, and submits the hits in ascending chunks
/// as it goes.
async fn search(
	chain: &Arc<ChainClient>,
	device: &Device,
	options: &RaceOptions,
	shared: &Arc<RaceShared>,
	race: &RaceState,
	seed: Hash,
) -> anyhow::Result<SearchReport> {
	let params = race.params;
	let node = node_seed(&chain.account());
	let stop_at = race.validation_from.saturating_sub(STOP_BEFORE_CLOSE);
	// The best block, followed while the search runs.
	let best = Arc::new(AtomicU32::new(0));
	let done = Arc::new(AtomicBool::new(false));
	let follower = {
		let (chain, best, done) = (chain.clone(), best.clone(), done.clone());
		tokio::spawn(async move {
			while !done.load(Ordering::Relaxed) {
				if let Ok(number) = chain.best_number().await {
					best.store(number, Ordering::Relaxed);
				}
				tokio::time::sleep(Duration::from_millis(500)).await;
			}
		})
	};
	let (hits_tx, hits_rx) = mpsc::unbounded_channel::<Vec<Nonce>>();
	let submitter = tokio::spawn(submit_hits(
		chain.clone(),
		race.index,
		hits_rx,
		options.submit_every,
		shared.clone(),
	));

	let started = Instant::now();
	let model = params.model;
	let device = device.clone();
	let batch = options.batch.max(1) as u64;
	let threshold = params.threshold_squared();
	let max_hits = u64::from(params.max_nonces);
	let search_best = best.clone();
	let mut report = tokio::task::spawn_blocking(move || -> anyhow::Result<SearchReport> {
		lower_thread_priority();
		let built = Instant::now();
		let net = RaceNet::build(&seed, model, &device)?;
		let build_seconds = built.elapsed().as_secs_f64();
		let searching = Instant::now();
		let (mut next, mut hits) = (0u64, 0u64);
		loop {
			let at = search_best.load(Ordering::Relaxed);
			if (at != 0 && at >= stop_at) || hits >= max_hits {
				break;
			}
			let nonces: Vec<Nonce> = (next..next.saturating_add(batch)).collect();
			let mut found = net.search(&node, &nonces, threshold)?;
			next = next.saturating_add(batch);
			found.truncate(usize::try_from(max_hits.saturating_sub(hits)).unwrap_or(usize::MAX));
			hits += found.len() as u64;
			if !found.is_empty() && hits_tx.send(found).is_err() {
				break;
			}
		}
		let seconds = searching.elapsed().as_secs_f64();
		tracing::info!(block = search_best.load(Ordering::Relaxed), stop_at, "search stopped");
		Ok(SearchReport {
			nonces: next,
			seconds,
			nonces_per_second: if seconds > 0.0 { next as f64 / seconds } else { 0.0 },
			hits,
			build_seconds,
			..SearchReport::default()
		})
	})
	.await??;
	done.store(true, Ordering::Relaxed);
	follower.await.ok();
	report.race = race.index;
	// The last submissions are still on their way to finality; the count of accepted hits
	// joins the report when they are (validation must not wait for them).
	{
		let (shared, index) = (shared.clone(), race.index);
		tokio::spawn(async move {
			let submitted = submitter.await.unwrap_or(0);
			if let Some(last) =
				lock(&shared.status).last_search.as_mut().filter(|l| l.race == index)
			{
				last.submitted = submitted;
			}
			tracing::info!(race = index, submitted, "hits accepted on chain");
		});
	}
	shared.metrics.nonces.inc_by(report.nonces);
	shared.metrics.hits.inc_by(report.hits);
	shared.metrics.nonces_per_second.set(report.nonces_per_second);
	tracing::info!(
		race = report.race,
		nonces = report.nonces,
		seconds = report.seconds,
		nonces_per_second = report.nonces_per_second,
		hits = report.hits,
		build_seconds = report.build_seconds,
		"race window searched; elapsed {:.1} s",
		started.elapsed().as_secs_f64()
	);
	Ok(report)
}

/// Submits hits as they arrive: every `every`, whatever was found since goes out in chunks
/// of at most `MAX_NONCES_PER_CALL`, without waiting for earlier chunks to be finalized (the
/// account nonce orders them, so they stay ascending on chain); when the search ends the rest
/// goes out at once. Returns how many hits the chain accepted.
async fn submit_hits(
	chain: Arc<ChainClient>,
	race: u32,
	mut hits: mpsc::UnboundedReceiver<Vec<Nonce>>,
	every: Duration,
	shared: Arc<RaceShared>,
) -> u64 {
	let mut pending: Vec<Nonce> = Vec::new();
	let mut calls = tokio::task::JoinSet::new();
	let mut open = true;
	while open {
		let deadline = tokio::time::sleep(every);
		tokio::pin!(deadline);
		loop {
			tokio::select! {
				found = hits.recv() => match found {
					Some(found) => pending.extend(found),
					None => {
						open = false;
						break;
					},
				},
				_ = &mut deadline => break,
			}
		}
		while !pending.is_empty() {
			let take = pending.len().min(MAX_NONCES_PER_CALL);
			let chunk: Vec<Nonce> = pending.drain(..take).collect();
			let count = chunk.len() as u64;
			match chain.send_nonces(race, chunk).await {
				Ok(finalized) => {
					calls.spawn(async move { (count, finalized.await) });
				},
				Err(error) => {
					shared.metrics.submission_failures.inc();
					tracing::warn!(%error, race, count, "hits could not be sent");
				},
			}
		}
	}
	let mut submitted = 0u64;
	while let Some(done) = calls.join_next().await {
		match done {
			Ok((count, Ok(()))) => {
				submitted += count;
				shared.metrics.submitted.inc_by(count);
			},
			Ok((count, Err(error))) => {
				shared.metrics.submission_failures.inc();
				tracing::warn!(%error, race, count, "hits not accepted");
			},
			Err(error) => tracing::warn!(%error, race, "submission task failed"),
		}
	}
	submitted
}

/// Votes on every participant this worker is assigned to and has not voted on: recomputes
/// the participant's sample and counts the nonces that do not hit.
#[allow(clippy::too_many_arguments)]
async fn validate(
	chain: &Arc<ChainClient>,
	device: &Device,
	shared: &Arc<RaceShared>,
	progress: &mut Progress,
	race: &RaceState,
	sample_seed: Hash,
	participants: &[AccountBytes],
	me: AccountBytes,
) -> anyhow::Result<()> {
	let Some(seed) = race.seed else { return Ok(()) };
	let mut votes = tokio::task::JoinSet::new();
	for participant in participants {
		if *participant == me || progress.voted.contains(participant) {
			continue;
		}
		let assigned = chain.race_assignment(*participant).await?;
		if !assigned.iter().any(|(validator, _)| *validator == me)
			|| chain.race_vote(*participant, me).await?.is_some()
		{
			progress.voted.insert(*participant);
			continue;
		}
		let net = match &progress.net {
			Some(net) => net.clone(),
			None => {
				let (model, device) = (race.params.model, device.clone());
				let net = Arc::new(
					tokio::task::spawn_blocking(move || RaceNet::build(&seed, model, &device))
						.await??,
				);
				progress.net = Some(net.clone());
				net
			},
		};
		let mismatches = recheck(chain, net, race.params, sample_seed, *participant).await?;
		// Sent now, finalized together: the validation phase is short.
		let finalized = chain.send_race_vote(race.index, *participant, mismatches).await?;
		let participant = *participant;
		votes.spawn(async move { (participant, mismatches, finalized.await) });
	}
	while let Some(done) = votes.join_next().await {
		let Ok((participant, mismatches, result)) = done else { continue };
		match result {
			Ok(()) => {
				progress.voted.insert(participant);
				shared.metrics.votes.inc();
				lock(&shared.status).votes_cast += 1;
				tracing::info!(
					race = race.index,
					participant = %hex::encode(participant),
					mismatches,
					"validation vote cast"
				);
			},
			Err(error) => tracing::warn!(%error, race = race.index, "validation vote failed"),
		}
	}
	Ok(())
}

/// Mismatches in `participant`'s sample: `sample(sample_seed, participant, n, k)` of its
/// submitted nonces, recomputed with `net`.
async fn recheck(
	chain: &Arc<ChainClient>,
	net: Arc<RaceNet>,
	params: RaceParams,
	sample_seed: Hash,
	participant: AccountBytes,
) -> anyhow::Result<u32> {
	let submitted = chain.race_submissions(participant).await?;
	let positions = sample(&sample_seed, &participant, submitted.len() as u32, params.sample_size);
	let sampled: Vec<Nonce> =
		positions.iter().filter_map(|&p| submitted.get(p as usize).copied()).collect();
	let node = node_seed(&participant);
	let threshold = params.threshold_squared();
	let mismatches =
		tokio::task::spawn_blocking(move || net.mismatches(&node, &sampled, threshold)).await??;
	Ok(u32::try_from(mismatches).unwrap_or(u32::MAX))
}

/// `/health` (the status as JSON) and `/metrics`.
pub fn router(shared: Arc<RaceShared>) -> axum::Router {
	use axum::{extract::State, routing::get, Json};
	axum::Router::new()
		.route(
			"/health",
			get(|State(shared): State<Arc<RaceShared>>| async move {
				Json(lock(&shared.status).clone())
			}),
		)
		.route(
			"/metrics",
			get(|State(shared): State<Arc<RaceShared>>| async move { shared.metrics.render() }),
		)
		.with_state(shared)
}

#[cfg(test)]
mod tests {
	use super::*;

	fn options(dir: &std::path::Path) -> RaceOptions {
		RaceOptions {
			mine: true,
			validate: true,
			batch: 16,
			poll: Duration::from_millis(100),
			submit_every: Duration::from_secs(1),
			secrets_dir: dir.to_path_buf(),
		}
	}

	#[test]
	fn a_committed_secret_survives_a_restart_and_stays_private() {
		let dir = tempfile::tempdir().unwrap();
		let options = options(dir.path());
		// Nothing kept yet: revealing is impossible, committing draws one.
		assert!(secret_for(&options, 7, false).is_err());
		let secret = secret_for(&options, 7, true).unwrap();
		// The same secret after a "restart" (read back from disk), for commit and reveal.
		assert_eq!(secret_for(&options, 7, false).unwrap(), secret);
		assert_eq!(secret_for(&options, 7, true).unwrap(), secret);
		// Another race gets another secret.
		assert_ne!(secret_for(&options, 8, true).unwrap(), secret);
		#[cfg(unix)]
		{
			use std::os::unix::fs::PermissionsExt;
			let mode =
				std::fs::metadata(dir.path().join("race-7.secret")).unwrap().permissions().mode();
			assert_eq!(mode & 0o777, 0o600);
		}
	}

	#[test]
	fn a_corrupt_secret_file_is_an_error_not_a_new_secret() {
		let dir = tempfile::tempdir().unwrap();
		std::fs::write(dir.path().join("race-3.secret"), "abcd").unwrap();
		assert!(secret_for(&options(dir.path()), 3, true).is_err());
	}
}
