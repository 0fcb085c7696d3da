//! The window's search: the race model is built from its seed, nonces are tried from 0 upward
//! on the rayon pool until the window is about to close, and hits go out while it runs.

use std::{
	sync::{
		atomic::{AtomicU32, Ordering},
		Arc,
	},
	time::{Duration, Instant},
};

use ail2_chain::{race::RaceState, ChainClient};
use ail2_model::Device;
use ail2_primitives::{
	race::{node_seed, NodeSeed, Nonce, RaceModel},
	Hash,
};
use ail2_race::RaceNet;
use tokio::{sync::mpsc, task::JoinSet};
use tokio_util::sync::CancellationToken;

use super::{lower_thread_priority, Follower, RaceError, RaceShared, SearchReport};
use crate::supervisor::resume_panic;

/// Blocks before the window closes at which the search stops, so that its last hits are
/// included in time (a transaction takes one or two blocks to be included).
const STOP_BEFORE_CLOSE: u32 = 3;
/// How often the best block is read while the search runs.
const BEST_BLOCK_EVERY: Duration = Duration::from_millis(500);

impl Follower {
	/// Searches `race`'s window with `seed` until it is about to close, `max_nonces` hits were
	/// found, or shutdown. The hits are submitted in ascending chunks as they come, by a task
	/// kept in `submissions`: it outlives the search to count the hits the chain accepts (the
	/// last submissions are still on their way to finality, and validation must not wait).
	pub(super) async fn search(
		&mut self,
		race: &RaceState,
		seed: Hash,
	) -> Result<SearchReport, RaceError> {
		let params = race.params;
		// The best block, followed while the search runs; 0 until it is known.
		let best = Arc::new(AtomicU32::new(self.chain.best_number().await.unwrap_or(0)));
		let (hits_tx, hits_rx) = mpsc::unbounded_channel::<Vec<Nonce>>();
		{
			let (chain, shared, index) = (self.chain.clone(), self.shared.clone(), race.index);
			let (every, per_call) =
				(self.options.submit_every, self.options.max_nonces_per_call.max(1));
			self.submissions.spawn(async move {
				let submitted = submit_hits(&chain, index, hits_rx, every, per_call, &shared).await;
				if let Some(last) =
					shared.status().last_search.as_mut().filter(|last| last.race == index)
				{
					last.submitted = submitted;
				}
				tracing::info!(race = index, submitted, "hits accepted on chain");
			});
		}

		let started = Instant::now();
		let window = Window {
			seed,
			model: params.model,
			device: self.device.clone(),
			node: node_seed(&self.chain.account()),
			batch: self.options.batch.max(1) as u64,
			threshold: params.threshold_squared(),
			max_hits: u64::from(params.max_nonces),
			stop_at: race.validation_from.saturating_sub(STOP_BEFORE_CLOSE),
			best: best.clone(),
			shutdown: self.shutdown.clone(),
			hits: hits_tx,
		};
		let mut searching = tokio::task::spawn_blocking(move || window.search());
		let searched = loop {
			tokio::select! {
				searched = &mut searching => break searched,
				() = tokio::time::sleep(BEST_BLOCK_EVERY) => {
					if let Ok(number) = self.chain.best_number().await {
						best.store(number, Ordering::Relaxed);
					}
				},
			}
		};
		let mut report = searched.map_err(|error| RaceError::Blocking(resume_panic(error)))??;
		report.race = race.index;
		let metrics = &self.shared.metrics;
		metrics.nonces.inc_by(report.nonces);
		metrics.hits.inc_by(report.hits);
		metrics.nonces_per_second.set(report.nonces_per_second);
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
}

/// One window's search, run on the blocking pool.
struct Window {
	seed: Hash,
	model: RaceModel,
	device: Device,
	/// This worker's node seed, which its nonces are bound to.
	node: NodeSeed,
	/// Nonces per forward pass.
	batch: u64,
	threshold: f64,
	max_hits: u64,
	/// The block at which the search stops.
	stop_at: u32,
	/// The best block, followed by the async side while the search runs; 0 until known.
	best: Arc<AtomicU32>,
	shutdown: CancellationToken,
	hits: mpsc::UnboundedSender<Vec<Nonce>>,
}

impl Window {
	/// Builds the race's model, then tries nonces from 0 upward in batches until the window is
	/// about to close, `max_hits` were found, or shutdown; hits are sent as they are found.
	fn search(self) -> Result<SearchReport, RaceError> {
		lower_thread_priority();
		let built = Instant::now();
		let net = RaceNet::build(&self.seed, self.model, &self.device)?;
		let build_seconds = built.elapsed().as_secs_f64();
		let searching = Instant::now();
		let (mut next, mut hits) = (0u64, 0u64);
		loop {
			let at = self.best.load(Ordering::Relaxed);
			if (at != 0 && at >= self.stop_at)
				|| hits >= self.max_hits
				|| self.shutdown.is_cancelled()
			{
				break;
			}
			let nonces: Vec<Nonce> = (next..next.saturating_add(self.batch)).collect();
			let mut found = net.search(&self.node, &nonces, self.threshold)?;
			next = next.saturating_add(self.batch);
			found.truncate(
				usize::try_from(self.max_hits.saturating_sub(hits)).unwrap_or(usize::MAX),
			);
			hits += found.len() as u64;
			if !found.is_empty() && self.hits.send(found).is_err() {
				break;
			}
		}
		let seconds = searching.elapsed().as_secs_f64();
		tracing::info!(
			block = self.best.load(Ordering::Relaxed),
			stop_at = self.stop_at,
			"search stopped"
		);
		Ok(SearchReport {
			nonces: next,
			seconds,
			nonces_per_second: if seconds > 0.0 { next as f64 / seconds } else { 0.0 },
			hits,
			build_seconds,
			..SearchReport::default()
		})
	}
}

/// Submits hits as they arrive: every `every`, whatever was found since goes out in chunks
/// of at most `per_call` (the runtime's `MaxNoncesPerCall`), without waiting for earlier chunks to be finalized (the
/// account nonce orders them, so they stay ascending on chain); when the search ends the rest
/// goes out at once. Returns how many hits the chain accepted.
async fn submit_hits(
	chain: &ChainClient,
	race: u32,
	mut hits: mpsc::UnboundedReceiver<Vec<Nonce>>,
	every: Duration,
	per_call: usize,
	shared: &RaceShared,
) -> u64 {
	let mut pending: Vec<Nonce> = Vec::new();
	let mut calls = JoinSet::new();
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
			let take = pending.len().min(per_call);
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
		match done.map_err(resume_panic) {
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
