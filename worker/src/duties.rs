//! A serving worker's proof-of-inference duties (pallet-poi, `docs/verification.md`):
//!
//! - **bidding**: once per round it bids for election as an inference node of its model, the
//!   chain's `min_bid` or the operator's `--bid`, never above `--max-bid`; bidding also puts it
//!   in the model's verifier groups;
//! - **verifying**, for each unsettled batch whose verifier group lists it: once the batch's
//!   duty seed is fixed it fetches the batch's leaves from the serving worker, checks them
//!   against the root on chain, and opens a check on every receipt the seed makes due
//!   (`P_verify` of its price, scaled by the worker's reputation, at least the model's
//!   declared rate); then for every open check on the batch (spot checks and payers'
//!   reports) it fetches the transcript as a group member, replays it with its own copy of the
//!   model ([`crate::poi::judge`]) and votes; a check whose deadline passed without a
//!   majority it closes.
//!
//! Everything is read at the finalized block, the state the serving worker authorises
//! verifiers by. Duties are shared out so that the group does not pay for the same call
//! several times: leaf `i`'s check is opened and closed by member `i mod n` of the group, and
//! by the others only if that member has not done it `GRACE_BLOCKS` later. A worker that
//! cannot serve a transcript is given until half the verdict period has passed (a restart, a
//! network blip) and is then voted against: a transcript nobody can fetch is a failure.
//! What the task does is logged and counted in `/metrics`; a failed step is retried at the
//! next poll.

use std::{
	collections::{HashMap, HashSet},
	sync::Arc,
	time::Duration,
};

use ail2_chain::{
	poi::{AuditView, BatchView, CheckView, PoiParams},
	ChainClient, ChainError,
};
use ail2_primitives::{
	keccak256,
	merkle::{MerkleSumTree, SumNode},
	poi::selected,
	receipt::{AccountBytes, SignedReceipt},
	transcript::Tolerance,
	Balance,
};
use codec::Decode;
use subxt_signer::sr25519::Keypair;
use tokio_util::sync::CancellationToken;

use crate::{
	poi::{fetch_transcript_as_verifier, judge, FetchError},
	serve::{metrics::Metrics, ServedModel},
};

/// Blocks a designated member has before the rest of the group does its duty instead.
pub const GRACE_BLOCKS: u32 = 3;

/// How long a verifier's transcript request stays valid.
const REQUEST_TTL_MS: u64 = 60_000;

/// What the worker bids each round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BidPolicy {
	/// No bids: the worker is never elected and never verifies.
	Off,
	/// The chain's `min_bid`.
	Minimum,
	/// This amount (at least the chain's `min_bid`).
	Amount(Balance),
}

#[derive(Clone, Debug)]
pub struct DutyOptions {
	pub bid: BidPolicy,
	/// The most the worker bids in a round; a minimum above it means no bid.
	pub max_bid: Balance,
	/// Whether it verifies as a group member (it must bid to be in a group at all).
	pub verify: bool,
	pub poll: Duration,
	pub tolerance: Tolerance,
	pub slack: f64,
}

impl DutyOptions {
	/// The bid for a round whose minimum is `min_bid`, or `None` when the policy or the
	/// limit rules it out.
	pub fn bid_amount(&self, min_bid: Balance) -> Option<Balance> {
		let amount = match self.bid {
			BidPolicy::Off => return None,
			BidPolicy::Minimum => min_bid,
			BidPolicy::Amount(amount) => amount.max(min_bid),
		};
		(amount <= self.max_bid).then_some(amount)
	}
}

#[derive(Debug, thiserror::Error)]
pub enum DutyError {
	#[error(transparent)]
	Chain(#[from] ChainError),
	#[error("batch {batch}'s leaves: {reason}")]
	Leaves { batch: u64, reason: String },
}

/// The leaves of a batch, checked against its record on chain.
struct Leaves {
	receipts: Vec<SignedReceipt>,
	tree: MerkleSumTree,
}

/// A transaction a pass of the duties submits.
#[derive(Clone)]
enum Action {
	Open { batch: u64, index: u64, receipt: SignedReceipt, siblings: Vec<SumNode> },
	Vote { batch: u64, index: u64, valid: bool },
	Close { batch: u64, index: u64 },
}

/// What the task remembers of one audited batch.
#[derive(Default)]
struct BatchDuty {
	leaves: Option<Arc<Leaves>>,
	/// The due checks are opened (or being opened by others).
	scanned: bool,
	/// Checks voted on.
	voted: HashSet<u64>,
	/// Each judged check's verdict, kept until the vote is counted.
	verdicts: HashMap<u64, bool>,
	/// The block at which each check's transcript was first asked for.
	asked: HashMap<u64, u32>,
	/// The block at which the seed was first seen fixed.
	seen_seeded: Option<u32>,
}

pub struct Duties {
	chain: Arc<ChainClient>,
	hot: Keypair,
	served: Arc<ServedModel>,
	options: DutyOptions,
	metrics: Arc<Metrics>,
	http: reqwest::Client,
	me: AccountBytes,
	bid_round: Option<u32>,
	batches: HashMap<u64, BatchDuty>,
}

/// The member of `group` that does leaf `index`'s duties first.
pub fn designated(group: &[(AccountBytes, Balance)], index: u64) -> Option<AccountBytes> {
	let len = u64::try_from(group.len()).ok().filter(|len| *len > 0)?;
	group.get(usize::try_from(index % len).ok()?).map(|(member, _)| *member)
}

/// The leaves of `audit`'s batch its seed makes due for a spot check under `params`.
pub fn due_leaves(params: &PoiParams, audit: &AuditView, receipts: &[SignedReceipt]) -> Vec<u64> {
	let Some(seed) = audit.seed else { return Vec::new() };
	receipts
		.iter()
		.enumerate()
		.filter(|(_, signed)| {
			let p = params.check_probability(
				signed.receipt.price,
				audit.reputation,
				audit.declared_rate,
			);
			selected(&seed, &signed.receipt.id(), p)
		})
		.map(|(index, _)| index as u64)
		.collect()
}

impl Duties {
	pub fn new(
		chain: Arc<ChainClient>,
		hot: Keypair,
		served: Arc<ServedModel>,
		options: DutyOptions,
		metrics: Arc<Metrics>,
	) -> Self {
		Self {
			me: hot.public_key().0,
			chain,
			hot,
			served,
			options,
			metrics,
			http: reqwest::Client::builder()
				.timeout(Duration::from_secs(30))
				.build()
				.unwrap_or_default(),
			bid_round: None,
			batches: HashMap::new(),
		}
	}

	/// Does the duties until `shutdown` is cancelled.
	pub async fn run(mut self, shutdown: CancellationToken) -> Result<(), DutyError> {
		loop {
			tokio::select! {
				stepped = self.step() => {
					if let Err(error) = stepped {
						tracing::warn!(%error, "proof-of-inference duties failed; retrying");
					}
				},
				() = shutdown.cancelled() => return Ok(()),
			}
			tokio::select! {
				() = tokio::time::sleep(self.options.poll) => {},
				() = shutdown.cancelled() => return Ok(()),
			}
		}
	}

	async fn step(&mut self) -> Result<(), DutyError> {
		let params = self.chain.poi_params().await?;
		let (block, round) = self.chain.poi_round().await?;
		if self.bid_round != Some(round.index) {
			self.bid(&params, round.index).await?;
		}
		if self.options.verify {
			self.verify(&params, block).await?;
		}
		Ok(())
	}

	/// One bid per round, unless one stands already (placed after the round's election).
	async fn bid(&mut self, params: &PoiParams, round: u32) -> Result<(), DutyError> {
		self.bid_round = Some(round);
		let model = self.served.model_id;
		let Some(amount) = self.options.bid_amount(params.min_bid) else {
			if self.options.bid != BidPolicy::Off {
				tracing::warn!(
					min_bid = params.min_bid,
					max_bid = self.options.max_bid,
					"the chain's minimum bid is above --max-bid: not bidding this round"
				);
			}
			return Ok(());
		};
		if self.chain.own_bid(model).await?.is_some() {
			return Ok(());
		}
		match self.chain.bid(model, amount).await {
			Ok(()) => {
				self.metrics.poi_bids.inc();
				tracing::info!(round, model, amount, "bid for election as an inference node");
			},
			// A refused bid (no funds, not active) costs a fee: wait for the next round.
			Err(ChainError::Dispatch(reason)) => {
				tracing::warn!(round, model, amount, %reason, "the bid was refused");
			},
			Err(error) => {
				self.bid_round = None;
				return Err(error.into());
			},
		}
		Ok(())
	}

	/// One pass over every audit that lists this worker: what is due is gathered over all of
	/// them, then submitted at once, so that no batch waits for another's transactions to be
	/// finalized.
	async fn verify(&mut self, params: &PoiParams, block: u32) -> Result<(), DutyError> {
		let audits: Vec<AuditView> = self
			.chain
			.audits()
			.await?
			.into_iter()
			.filter(|audit| audit.group.iter().any(|(member, _)| *member == self.me))
			.collect();
		let live: HashSet<u64> = audits.iter().map(|a| a.batch).collect();
		self.batches.retain(|batch, _| live.contains(batch));
		let mut actions = Vec::new();
		for audit in audits {
			if let Err(error) = self.verify_batch(params, block, &audit, &mut actions).await {
				tracing::warn!(batch = audit.batch, %error, "verifier duty failed; retrying");
			}
		}
		let chain = &self.chain;
		let results = futures_util::future::join_all(actions.iter().map(|action| async move {
			match action.clone() {
				Action::Open { batch, index, receipt, siblings } => {
					chain.open_check(batch, index, receipt, siblings).await
				},
				Action::Vote { batch, index, valid } => chain.vote(batch, index, valid).await,
				Action::Close { batch, index } => chain.close_check(batch, index).await,
			}
		}))
		.await;
		let mut failed = None;
		for (action, result) in actions.iter().zip(results) {
			if let Err(error) = self.record(action, result) {
				failed = Some(error);
			}
		}
		failed.map_or(Ok(()), |error| Err(error.into()))
	}

	/// Counts and logs what a submitted action came to; a vote is remembered as cast unless
	/// the chain may still take it (its check was past its deadline, and may be extended).
	fn record(
		&mut self,
		action: &Action,
		result: Result<(), ChainError>,
	) -> Result<(), ChainError> {
		match (action, result) {
			(Action::Open { batch, index, .. }, Ok(())) => {
				self.metrics.poi_checks_opened.inc();
				tracing::info!(batch, index, "spot check opened");
			},
			// Another member opened it first, or the window closed meanwhile.
			(Action::Open { batch, index, .. }, Err(ChainError::Dispatch(reason))) => {
				tracing::debug!(batch, index, %reason, "spot check not opened");
			},
			(Action::Vote { batch, index, valid }, Ok(())) => {
				let counter = if *valid {
					&self.metrics.poi_votes_valid
				} else {
					&self.metrics.poi_votes_invalid
				};
				counter.inc();
				tracing::info!(batch, index, valid, "voted on a check");
				self.batches.entry(*batch).or_default().voted.insert(*index);
			},
			(Action::Vote { batch, index, .. }, Err(ChainError::Dispatch(reason))) => {
				if reason.contains("VotingClosed") {
					tracing::info!(
						batch,
						index,
						"the vote came after the deadline; again if the check is extended"
					);
				} else {
					// Already voted, concluded, or no longer a member: nothing to do again.
					tracing::debug!(batch, index, %reason, "vote not counted");
					self.batches.entry(*batch).or_default().voted.insert(*index);
				}
			},
			(Action::Close { batch, index }, Ok(())) => {
				tracing::info!(batch, index, "closed a check past its deadline");
			},
			(Action::Close { batch, index }, Err(ChainError::Dispatch(reason))) => {
				tracing::debug!(batch, index, %reason, "check not closed");
			},
			(_, Err(error)) => return Err(error),
		}
		Ok(())
	}

	async fn verify_batch(
		&mut self,
		params: &PoiParams,
		block: u32,
		audit: &AuditView,
		actions: &mut Vec<Action>,
	) -> Result<(), DutyError> {
		let Some(record) = self.chain.batch_view(audit.batch).await? else { return Ok(()) };
		if record.model != self.served.model_id || record.version != self.served.version {
			// Only a worker running the batch's model version can replay it.
			return Ok(());
		}
		let duty = self.batches.entry(audit.batch).or_default();
		if audit.seed.is_some() && duty.seen_seeded.is_none() {
			duty.seen_seeded = Some(block);
		}
		let seeded_at = duty.seen_seeded;
		let needs_leaves = (audit.seed.is_some() && !duty.scanned) || audit.open > 0;
		if !needs_leaves {
			return Ok(());
		}
		let leaves = match &duty.leaves {
			Some(leaves) => leaves.clone(),
			None => {
				let leaves = Arc::new(self.fetch_leaves(audit.batch, &record).await?);
				self.batches.entry(audit.batch).or_default().leaves = Some(leaves.clone());
				leaves
			},
		};
		if let Some(seeded_at) = seeded_at {
			self.open_due(params, block, seeded_at, audit, &record, &leaves, actions).await?;
		}
		if audit.open > 0 {
			self.judge_checks(params, block, audit, &record, &leaves, actions).await?;
		}
		Ok(())
	}

	/// GETs the batch's leaf file, checks its hash and root against the chain's record.
	async fn fetch_leaves(&self, batch: u64, record: &BatchView) -> Result<Leaves, DutyError> {
		let fail = |reason: String| DutyError::Leaves { batch, reason };
		let response = self.http.get(&record.url).send().await.map_err(|e| fail(e.to_string()))?;
		if !response.status().is_success() {
			return Err(fail(format!("{} answered {}", record.url, response.status())));
		}
		let bytes = response.bytes().await.map_err(|e| fail(e.to_string()))?;
		if keccak256(&bytes) != record.content_hash {
			return Err(fail("the leaf file does not hash to the batch's content hash".into()));
		}
		let receipts = Vec::<SignedReceipt>::decode(&mut bytes.as_ref())
			.map_err(|e| fail(format!("the leaf file does not decode: {e}")))?;
		let tree = MerkleSumTree::from_receipts_parallel(&receipts)
			.map_err(|e| fail(format!("no tree: {e:?}")))?;
		if tree.root() != record.root || tree.leaves() != record.count {
			return Err(fail("the leaves do not make the batch's root".into()));
		}
		Ok(Leaves { receipts, tree })
	}

	/// The checks the seed makes due that are this member's to open (or overdue).
	#[allow(clippy::too_many_arguments)]
	async fn open_due(
		&mut self,
		params: &PoiParams,
		block: u32,
		seeded_at: u32,
		audit: &AuditView,
		record: &BatchView,
		leaves: &Leaves,
		actions: &mut Vec<Action>,
	) -> Result<(), DutyError> {
		if block > record.challenge_until {
			self.mark_scanned(audit.batch);
			return Ok(());
		}
		let overdue = block >= seeded_at.saturating_add(GRACE_BLOCKS);
		let mut pending = false;
		for index in due_leaves(params, audit, &leaves.receipts) {
			if self.chain.check(audit.batch, index).await?.is_some() {
				continue;
			}
			if designated(&audit.group, index) == Some(self.me) || overdue {
				let (Some(receipt), Some(proof)) =
					(leaves.receipts.get(index as usize), leaves.tree.proof(index))
				else {
					continue;
				};
				actions.push(Action::Open {
					batch: audit.batch,
					index,
					receipt: receipt.clone(),
					siblings: proof.siblings,
				});
			} else {
				pending = true;
			}
		}
		// Opened now, or by others: the next pass sees them as checks.
		if !pending {
			self.mark_scanned(audit.batch);
		}
		Ok(())
	}

	fn mark_scanned(&mut self, batch: u64) {
		self.batches.entry(batch).or_default().scanned = true;
	}

	/// The votes on the batch's open checks this member has not voted on (each replayed
	/// once, its verdict kept for a vote that must be cast again), and the closes of the
	/// checks past their deadline.
	async fn judge_checks(
		&mut self,
		params: &PoiParams,
		block: u32,
		audit: &AuditView,
		record: &BatchView,
		leaves: &Arc<Leaves>,
		actions: &mut Vec<Action>,
	) -> Result<(), DutyError> {
		let checks = self.chain.checks(audit.batch).await?;
		let endpoint = self.chain.worker_endpoint(record.worker).await?;
		let batch = audit.batch;
		for check in checks {
			if block > check.deadline {
				if designated(&audit.group, check.index) == Some(self.me)
					|| block > check.deadline.saturating_add(GRACE_BLOCKS)
				{
					actions.push(Action::Close { batch, index: check.index });
				}
				continue;
			}
			let voted = check.votes.iter().any(|(member, _)| *member == self.me);
			let duty = self.batches.entry(batch).or_default();
			if voted || duty.voted.contains(&check.index) {
				continue;
			}
			if let Some(valid) = duty.verdicts.get(&check.index) {
				actions.push(Action::Vote { batch, index: check.index, valid: *valid });
				continue;
			}
			let asked = *duty.asked.entry(check.index).or_insert(block);
			let patience = asked.saturating_add(params.verdict_period / 2);
			let valid = match self.judge_check(batch, &check, endpoint.as_deref(), leaves).await {
				Some(valid) => valid,
				None if block >= patience => {
					tracing::warn!(
						batch,
						index = check.index,
						"the worker did not produce the transcript in time: voting it invalid"
					);
					false
				},
				None => continue,
			};
			self.batches.entry(batch).or_default().verdicts.insert(check.index, valid);
			actions.push(Action::Vote { batch, index: check.index, valid });
		}
		Ok(())
	}

	/// The verdict on one check: `Some(valid)`, or `None` to ask again later (the worker
	/// could not be reached, or does not see the check yet). A worker that answers it holds
	/// no such receipt, or one whose transcript fails the replay, gets `Some(false)`.
	async fn judge_check(
		&self,
		batch: u64,
		check: &CheckView,
		endpoint: Option<&str>,
		leaves: &Leaves,
	) -> Option<bool> {
		let signed = leaves.receipts.get(usize::try_from(check.index).ok()?)?;
		if signed.receipt.id() != check.receipt_id {
			return None;
		}
		let endpoint = endpoint?;
		let fetched = fetch_transcript_as_verifier(
			&self.http,
			endpoint,
			&signed.receipt,
			(batch, check.index),
			&self.hot,
			REQUEST_TTL_MS,
		)
		.await;
		let transcript = match fetched {
			Ok(fetched) => fetched.transcript,
			Err(error @ (FetchError::Http(_) | FetchError::Refused { .. })) => {
				tracing::debug!(batch, index = check.index, %error, "transcript not fetched yet");
				return None;
			},
			Err(error) => {
				tracing::warn!(batch, index = check.index, %error, "the transcript is malformed");
				return Some(false);
			},
		};
		let served = self.served.clone();
		let receipt = signed.receipt.clone();
		let (tolerance, slack) = (self.options.tolerance, self.options.slack);
		let verdict = tokio::task::spawn_blocking(move || {
			judge(&receipt, transcript.as_ref(), &served.model, &tolerance, slack)
		})
		.await
		.ok()?;
		match &verdict {
			Ok(passed) => tracing::info!(batch, index = check.index, ?passed, "replay passed"),
			Err(failure) => tracing::warn!(batch, index = check.index, %failure, "replay failed"),
		}
		Some(verdict.is_ok())
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn options(bid: BidPolicy, max_bid: Balance) -> DutyOptions {
		DutyOptions {
			bid,
			max_bid,
			verify: true,
			poll: Duration::from_secs(1),
			tolerance: crate::poi::DEFAULT_TOLERANCE,
			slack: crate::poi::DEFAULT_SLACK,
		}
	}

	#[test]
	fn bids_follow_the_policy_within_the_limit() {
		assert_eq!(options(BidPolicy::Minimum, 100).bid_amount(10), Some(10));
		assert_eq!(options(BidPolicy::Amount(50), 100).bid_amount(10), Some(50));
		// Never below the chain's minimum, never above the operator's limit.
		assert_eq!(options(BidPolicy::Amount(5), 100).bid_amount(10), Some(10));
		assert_eq!(options(BidPolicy::Amount(150), 100).bid_amount(10), None);
		assert_eq!(options(BidPolicy::Minimum, 100).bid_amount(101), None);
		assert_eq!(options(BidPolicy::Off, 100).bid_amount(10), None);
	}

	#[test]
	fn duties_go_round_the_group_by_leaf_index() {
		let group = [([1u8; 32], 5), ([2u8; 32], 9), ([3u8; 32], 1)];
		let firsts: Vec<_> = (0..6).map(|i| designated(&group, i)).collect();
		let expected = [1u8, 2, 3, 1, 2, 3].map(|b| Some([b; 32]));
		assert_eq!(firsts, expected);
		assert_eq!(designated(&[], 4), None);
	}
}
