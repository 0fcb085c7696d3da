//! Closes batches by size or age, proposes them on chain, and settles them after their
//! challenge window.
//!
//! The store records every step, so a restart resumes where the worker stopped: a batch is
//! built once (its receipts leave the waiting set in the same transaction), and before a
//! `Built` batch is proposed the chain's last counter for its stream (payer, model, version)
//! is read, so a proposal whose result was lost is found rather than sent twice.

use std::{sync::Arc, time::Duration};

use ail2_chain::{BatchProposal, ChainBatchStatus, ChainClient, ChainError};
use tokio::task::JoinError;
use tokio_util::sync::CancellationToken;

use crate::{
	serve::metrics::Metrics,
	store::{BatchRecord, BatchState, Store, StoreError},
	supervisor::resume_panic,
};

/// Why a batcher pass or prune did not finish; the next one tries again.
#[derive(Debug, thiserror::Error)]
pub enum BatcherError {
	#[error(transparent)]
	Store(#[from] StoreError),
	#[error(transparent)]
	Chain(#[from] ChainError),
	#[error("the blocking pool dropped the prune: {0}")]
	Blocking(JoinError),
}

#[derive(Clone, Debug)]
pub struct BatchPolicy {
	/// Close a payer's batch once this many receipts wait…
	pub max_receipts: usize,
	/// …or once the oldest has waited this long.
	pub max_age: Duration,
	/// How often to look.
	pub tick: Duration,
	/// Base URL the leaf files are served under (the worker's public address).
	pub public_url: String,
	/// Forget paid or voided batches, and their receipts, this long after they were closed
	/// (`None`: keep them).
	pub keep_settled: Option<Duration>,
}

/// How often settled batches are looked for to prune.
const PRUNE_EVERY: Duration = Duration::from_secs(600);

pub struct Batcher {
	pub store: Arc<Store>,
	pub chain: Arc<ChainClient>,
	pub policy: BatchPolicy,
	pub metrics: Arc<Metrics>,
}

impl Batcher {
	/// Runs until `shutdown` is cancelled; one pass per tick, and a prune of settled batches
	/// every [`PRUNE_EVERY`]. A failed pass is retried on the next tick.
	pub async fn run(self, shutdown: CancellationToken) {
		let mut pruned_at: Option<std::time::Instant> = None;
		loop {
			if let Err(error) = self.pass().await {
				tracing::warn!(%error, "batcher pass failed; retrying next tick");
			}
			if pruned_at.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
				pruned_at = Some(std::time::Instant::now());
				self.prune().await;
			}
			tokio::select! {
				_ = tokio::time::sleep(self.policy.tick) => {},
				_ = shutdown.cancelled() => break,
			}
		}
		tracing::info!("batcher stopped");
	}

	/// Closes due batches, proposes built ones, settles those past their window.
	pub async fn pass(&self) -> Result<(), BatcherError> {
		let now = crate::clock::unix_ms();
		for pending in self.store.pending()? {
			let age = Duration::from_millis(now.saturating_sub(pending.oldest_ms));
			if pending.count as usize >= self.policy.max_receipts || age >= self.policy.max_age {
				let stream = (pending.model, pending.version);
				if let Some((id, record)) =
					self.store.close_batch(&pending.payer, stream, self.policy.max_receipts, now)?
				{
					tracing::info!(batch = id, receipts = record.count, total = %record.total, "closed batch");
				}
			}
		}
		for (id, record) in self.store.open_batches()? {
			match record.state {
				BatchState::Built => self.propose(id, &record).await?,
				BatchState::Proposed { chain_batch } => {
					self.answer_availability(chain_batch, &record).await?;
					self.follow(id, chain_batch).await?
				},
				_ => {},
			}
		}
		Ok(())
	}

	/// Forgets what `keep_settled` allows, on the blocking pool: a week of receipts is one
	/// large write transaction. A panic there is the batcher's.
	async fn prune(&self) {
		let Some(keep) = self.policy.keep_settled else { return };
		let keep_ms = u64::try_from(keep.as_millis()).unwrap_or(u64::MAX);
		let (store, before) = (self.store.clone(), crate::clock::unix_ms().saturating_sub(keep_ms));
		let result = tokio::task::spawn_blocking(move || store.prune(before))
			.await
			.map_err(|error| BatcherError::Blocking(resume_panic(error)))
			.and_then(|pruned| pruned.map_err(BatcherError::from));
		match result {
			Ok(pruned) if pruned.batches > 0 => {
				tracing::info!(
					batches = pruned.batches,
					receipts = pruned.receipts,
					"pruned settled batches"
				);
			},
			Ok(_) => {},
			Err(error) => tracing::warn!(%error, "pruning settled batches failed"),
		}
	}

	async fn propose(&self, id: u64, record: &BatchRecord) -> Result<(), BatcherError> {
		let worker = self.chain.account();
		let stream = (record.payer, record.model, record.version);
		// A proposal that made it on chain before a crash is found, not repeated.
		if self.chain.last_counter(worker, stream).await? >= record.last_counter {
			if let Some(chain_batch) = self.chain.find_batch(stream, record.last_counter).await? {
				tracing::info!(batch = id, chain_batch, "batch was already proposed");
				self.store.set_batch_state(id, BatchState::Proposed { chain_batch })?;
				return Ok(());
			}
			tracing::error!(
				batch = id,
				"the chain is past this batch's counters but has no such batch; leaving it"
			);
			return Ok(());
		}
		let proposal = BatchProposal {
			payer: record.payer,
			model: record.model,
			version: record.version,
			first_counter: record.first_counter,
			last_counter: record.last_counter,
			root_hash: record.root_hash,
			total: record.total,
			count: record.count,
			content_hash: record.content_hash,
			url: leaves_url(&self.policy.public_url, &record.content_hash).into_bytes(),
		};
		let chain_batch = self.chain.propose_batch(&proposal).await?;
		self.store.set_batch_state(id, BatchState::Proposed { chain_batch })?;
		self.metrics.batches_proposed.inc();
		tracing::info!(batch = id, chain_batch, total = %record.total, "proposed batch");
		Ok(())
	}

	/// Posts the leaf a data-availability challenge asks for, if there is one: a worker that
	/// does not within the answer period loses the batch and is slashed.
	async fn answer_availability(
		&self,
		chain_batch: u64,
		record: &BatchRecord,
	) -> Result<(), BatcherError> {
		let Some(index) = self.chain.availability_challenge(chain_batch).await? else {
			return Ok(());
		};
		let store = self.store.clone();
		let record = record.clone();
		let (receipts, tree) = tokio::task::spawn_blocking(move || store.batch_tree(&record))
			.await
			.map_err(|error| BatcherError::Blocking(resume_panic(error)))??;
		let leaf = usize::try_from(index).ok().and_then(|i| receipts.into_iter().nth(i));
		let built = leaf.zip(tree.proof(index));
		let Some((receipt, proof)) = built else {
			tracing::error!(chain_batch, index, "asked for a leaf this batch does not have");
			return Ok(());
		};
		match self.chain.answer_availability(chain_batch, index, receipt, proof.siblings).await {
			Ok(()) => {
				tracing::info!(chain_batch, index, "posted the leaf a challenger asked for");
				self.metrics.availability_answered.inc();
				Ok(())
			},
			// Answered meanwhile (by anyone), or the batch closed: nothing left to do.
			Err(ChainError::Dispatch(error)) => {
				tracing::warn!(chain_batch, index, %error, "the leaf was not accepted");
				Ok(())
			},
			Err(error) => Err(error.into()),
		}
	}

	async fn follow(&self, id: u64, chain_batch: u64) -> Result<(), BatcherError> {
		match self.chain.batch_status(chain_batch).await? {
			Some(ChainBatchStatus::Challenge { until }) => {
				if self.chain.finalized_number().await? > until {
					match self.chain.settle_batch(chain_batch).await {
						Ok(()) | Err(ChainError::Dispatch(_)) => {},
						Err(e) => return Err(e.into()),
					}
				}
			},
			Some(ChainBatchStatus::Finalized) => {
				self.chain.settle_batch(chain_batch).await?;
			},
			Some(ChainBatchStatus::Paid) => {
				self.store.set_batch_state(id, BatchState::Settled { chain_batch })?;
				self.metrics.batches_settled.inc();
				tracing::info!(batch = id, chain_batch, "batch paid");
			},
			Some(ChainBatchStatus::Voided) => {
				self.store.set_batch_state(id, BatchState::Voided { chain_batch })?;
				tracing::error!(batch = id, chain_batch, "batch was voided on chain");
			},
			Some(ChainBatchStatus::Disputed) => {},
			// The worker's proposal was finalized, so the record existed: the chain pruned
			// it, `PruneDelay` after it closed, while this worker was not looking.
			None => {
				self.store.set_batch_state(id, BatchState::Pruned { chain_batch })?;
				tracing::warn!(
					batch = id,
					chain_batch,
					"the chain pruned this batch before the worker saw it paid or voided"
				);
			},
		}
		Ok(())
	}
}

/// Where a batch's leaf file is served: addressed by its content hash, which the worker knows
/// before the chain gives the batch an id (`docs/receipts.md` §10).
pub fn leaves_url(public_url: &str, content_hash: &ail2_primitives::Hash) -> String {
	format!("{}/v1/leaves/0x{}", public_url.trim_end_matches('/'), hex::encode(content_hash))
}
