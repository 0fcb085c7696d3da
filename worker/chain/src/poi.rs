//! pallet-poi from the worker's side: the parameters, rounds and bids of inference-node
//! elections, the audits of proposed batches and their checks, and the calls of bidders and
//! verifiers. Everything is read at the finalized block: a verifier's duties and a worker's
//! answers to verifiers must agree on the same state.

use ail2_primitives::{
	merkle::SumNode,
	poi::Perbill,
	receipt::{AccountBytes, SemVer, SignedReceipt},
	Balance, Hash, ModelId,
};
use subxt::utils::{AccountId32, Static};

use crate::{ail2, rpc, runtime_types, ChainError};

/// pallet-poi's parameters as the worker uses them (`PoiParams` on chain).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoiParams {
	pub p0: Perbill,
	pub k: Perbill,
	pub fee_unit: Balance,
	pub p_max: Perbill,
	pub low_reputation_factor: u32,
	pub verifier_count: u32,
	pub verdict_period: u32,
	pub report_fee: Balance,
	pub round_length: u32,
	pub min_bid: Balance,
}

impl PoiParams {
	/// The probability that a receipt charging `price` is due for a check in a batch of a
	/// worker with `reputation` under a model version declaring `declared_rate`: what
	/// pallet-poi's `open_check` requires of a spot check.
	pub fn check_probability(
		&self,
		price: Balance,
		reputation: Perbill,
		declared_rate: Perbill,
	) -> Perbill {
		use ail2_primitives::poi::{p_verify, reputation_scaled};
		reputation_scaled(
			p_verify(price, self.p0, self.k, self.fee_unit, self.p_max),
			reputation,
			self.low_reputation_factor,
		)
		.max(declared_rate)
	}
}

/// The round in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoiRound {
	pub index: u32,
	pub started_at: u32,
}

/// What pallet-poi keeps of a proposed batch until it is paid or voided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditView {
	pub batch: u64,
	/// `None` until the block after the proposal.
	pub seed: Option<Hash>,
	pub reputation: Perbill,
	pub declared_rate: Perbill,
	/// The verifier group with the stake each votes with.
	pub group: Vec<(AccountBytes, Balance)>,
	pub open: u32,
}

/// An open check on leaf `index` of a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckView {
	pub index: u64,
	pub receipt_id: Hash,
	/// The payer who reported it, or `None` for a spot check.
	pub reporter: Option<AccountBytes>,
	/// The group votes until this block (inclusive).
	pub deadline: u32,
	pub votes: Vec<(AccountBytes, bool)>,
}

/// A batch's record on chain, as a verifier needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchView {
	pub worker: AccountBytes,
	pub payer: AccountBytes,
	pub model: ModelId,
	pub version: SemVer,
	pub root: SumNode,
	pub count: u64,
	pub content_hash: Hash,
	/// Where the worker serves the batch's leaf file.
	pub url: String,
	pub challenge_until: u32,
}

fn perbill(value: runtime_types::sp_arithmetic::per_things::Perbill) -> Perbill {
	Perbill::from_parts(value.0)
}

fn accounts<T>(list: Vec<(AccountId32, T)>) -> Vec<(AccountBytes, T)> {
	list.into_iter().map(|(who, value)| (who.0, value)).collect()
}

impl crate::ChainClient {
	/// The parameters in force.
	pub async fn poi_params(&self) -> Result<PoiParams, ChainError> {
		let at = self.api.at_current_block().await.map_err(rpc)?;
		let value = at
			.storage()
			.try_fetch(ail2::storage().poi().params(), ())
			.await
			.map_err(rpc)?
			.ok_or_else(|| ChainError::Decode("no proof-of-inference parameters".into()))?;
		let p = value.decode().map_err(rpc)?;
		Ok(PoiParams {
			p0: perbill(p.p0),
			k: perbill(p.k),
			fee_unit: p.fee_unit,
			p_max: perbill(p.p_max),
			low_reputation_factor: p.low_reputation_factor,
			verifier_count: p.verifier_count,
			verdict_period: p.verdict_period,
			report_fee: p.report_fee,
			round_length: p.round_length,
			min_bid: p.min_bid,
		})
	}

	/// The finalized block's number and the round in progress there.
	pub async fn poi_round(&self) -> Result<(u32, PoiRound), ChainError> {
		let at = self.api.at_current_block().await.map_err(rpc)?;
		let block =
			u32::try_from(at.block_number()).map_err(|e| ChainError::Decode(e.to_string()))?;
		let round = match at
			.storage()
			.try_fetch(ail2::storage().poi().current_round(), ())
			.await
			.map_err(rpc)?
		{
			Some(value) => {
				let round = value.decode().map_err(rpc)?;
				PoiRound { index: round.index, started_at: round.started_at }
			},
			None => PoiRound { index: 0, started_at: 0 },
		};
		Ok((block, round))
	}

	/// This worker's bid for `model` in the next round's election, if any.
	pub async fn own_bid(&self, model: ModelId) -> Result<Option<Balance>, ChainError> {
		let at = self.api.at_current_block().await.map_err(rpc)?;
		let value = at
			.storage()
			.try_fetch(ail2::storage().poi().bids(), (model, AccountId32(self.account())))
			.await
			.map_err(rpc)?;
		value.map(|value| value.decode().map_err(rpc)).transpose()
	}

	/// Bids `amount` (held) for election as an inference node of `model` next round.
	pub async fn bid(&self, model: ModelId, amount: Balance) -> Result<(), ChainError> {
		self.submit(&ail2::transactions().poi().bid(model, amount)).await.map(|_| ())
	}

	/// Every audit of an unsettled batch (one storage iteration).
	pub async fn audits(&self) -> Result<Vec<AuditView>, ChainError> {
		let at = self.api.at_current_block().await.map_err(rpc)?;
		let mut entries =
			at.storage().iter(ail2::storage().poi().audits(), ()).await.map_err(rpc)?;
		let mut audits = Vec::new();
		while let Some(entry) = entries.next().await {
			let entry = entry.map_err(rpc)?;
			let audit = entry.value().decode().map_err(rpc)?;
			let (batch,) = entry.key().map_err(rpc)?.decode().map_err(rpc)?;
			audits.push(AuditView {
				batch,
				seed: audit.seed,
				reputation: perbill(audit.reputation),
				declared_rate: perbill(audit.declared_rate),
				group: accounts(audit.group.0),
				open: audit.open,
			});
		}
		Ok(audits)
	}

	/// The open check on leaf `index` of `batch`, if any.
	pub async fn check(&self, batch: u64, index: u64) -> Result<Option<CheckView>, ChainError> {
		let at = self.api.at_current_block().await.map_err(rpc)?;
		let value = at
			.storage()
			.try_fetch(ail2::storage().poi().checks(), (batch, index))
			.await
			.map_err(rpc)?;
		value
			.map(|value| {
				let check = value.decode().map_err(rpc)?;
				Ok(CheckView {
					index,
					receipt_id: check.receipt_id,
					reporter: check.reporter.map(|r| r.0),
					deadline: check.deadline,
					votes: accounts(check.votes.0),
				})
			})
			.transpose()
	}

	/// The open checks of `batch`.
	pub async fn checks(&self, batch: u64) -> Result<Vec<CheckView>, ChainError> {
		let at = self.api.at_current_block().await.map_err(rpc)?;
		let mut entries =
			at.storage().iter(ail2::storage().poi().checks(), (batch,)).await.map_err(rpc)?;
		let mut checks = Vec::new();
		while let Some(entry) = entries.next().await {
			let entry = entry.map_err(rpc)?;
			let check = entry.value().decode().map_err(rpc)?;
			let (_, index) = entry.key().map_err(rpc)?.decode().map_err(rpc)?;
			checks.push(CheckView {
				index,
				receipt_id: check.receipt_id,
				reporter: check.reporter.map(|r| r.0),
				deadline: check.deadline,
				votes: accounts(check.votes.0),
			});
		}
		Ok(checks)
	}

	/// The audit of `batch`, if it is unsettled.
	pub async fn audit(&self, batch: u64) -> Result<Option<AuditView>, ChainError> {
		let at = self.api.at_current_block().await.map_err(rpc)?;
		let value =
			at.storage().try_fetch(ail2::storage().poi().audits(), (batch,)).await.map_err(rpc)?;
		value
			.map(|value| {
				let audit = value.decode().map_err(rpc)?;
				Ok(AuditView {
					batch,
					seed: audit.seed,
					reputation: perbill(audit.reputation),
					declared_rate: perbill(audit.declared_rate),
					group: accounts(audit.group.0),
					open: audit.open,
				})
			})
			.transpose()
	}

	/// `batch`'s record, if it exists.
	pub async fn batch_view(&self, batch: u64) -> Result<Option<BatchView>, ChainError> {
		let at = self.api.at_current_block().await.map_err(rpc)?;
		let value = at
			.storage()
			.try_fetch(ail2::storage().receipts().batches(), (batch,))
			.await
			.map_err(rpc)?;
		value
			.map(|value| {
				let b = value.decode().map_err(rpc)?;
				Ok(BatchView {
					worker: b.worker.0,
					payer: b.payer.0,
					model: b.model,
					version: SemVer {
						major: b.version.major,
						minor: b.version.minor,
						patch: b.version.patch,
					},
					root: SumNode { hash: b.root.hash, sum: b.root.sum },
					count: b.count,
					content_hash: b.content_hash,
					url: String::from_utf8_lossy(&b.url.0).into_owned(),
					challenge_until: b.challenge_until,
				})
			})
			.transpose()
	}

	/// The endpoint a registered worker (hot key) serves at.
	pub async fn worker_endpoint(&self, hot: AccountBytes) -> Result<Option<String>, ChainError> {
		let at = self.api.at_current_block().await.map_err(rpc)?;
		let value = at
			.storage()
			.try_fetch(ail2::storage().workers().workers(), (AccountId32(hot),))
			.await
			.map_err(rpc)?;
		value
			.map(|value| {
				Ok(String::from_utf8_lossy(&value.decode().map_err(rpc)?.endpoint.0).into_owned())
			})
			.transpose()
	}

	/// Opens a spot check on leaf `index` of `batch`, proven by `siblings`.
	pub async fn open_check(
		&self,
		batch: u64,
		index: u64,
		receipt: SignedReceipt,
		siblings: Vec<SumNode>,
	) -> Result<(), ChainError> {
		let call = ail2::transactions().poi().open_check(batch, leaf(index, receipt, siblings));
		self.submit(&call).await.map(|_| ())
	}

	/// The payer reports leaf `index` of its batch `batch` (the report fee is held).
	pub async fn report(
		&self,
		batch: u64,
		index: u64,
		receipt: SignedReceipt,
		siblings: Vec<SumNode>,
	) -> Result<(), ChainError> {
		let call = ail2::transactions().poi().report(batch, leaf(index, receipt, siblings));
		self.submit(&call).await.map(|_| ())
	}

	/// This verifier's verdict on the check on leaf `index` of `batch`.
	pub async fn vote(&self, batch: u64, index: u64, valid: bool) -> Result<(), ChainError> {
		self.submit(&ail2::transactions().poi().vote(batch, index, valid)).await.map(|_| ())
	}

	/// Closes a check whose deadline passed without a majority.
	pub async fn close_check(&self, batch: u64, index: u64) -> Result<(), ChainError> {
		self.submit(&ail2::transactions().poi().close_check(batch, index)).await.map(|_| ())
	}
}

fn leaf(
	index: u64,
	receipt: SignedReceipt,
	siblings: Vec<SumNode>,
) -> runtime_types::pallet_poi::types::LeafProof {
	runtime_types::pallet_poi::types::LeafProof {
		index,
		receipt: Static(receipt),
		siblings: crate::path(siblings),
	}
}
