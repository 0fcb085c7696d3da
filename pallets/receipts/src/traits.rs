//! How other pallets (challenges) and workers use settlement.

use crate::{Batch, BatchId};
use ail2_primitives::receipt::PublicKey;
use frame_support::weights::Weight;
use sp_runtime::{DispatchError, Perbill};

/// What settlement's revenue owes beyond the model's split, and who is told of it (the
/// issuance pallet): a share of every paid batch funds model training and is taken before the
/// revenue split; the batch's fees then earn the hardware providers the demand subsidy. `()`
/// takes nothing and is told nothing.
pub trait SettlementRevenue<AccountId, Balance> {
	/// The training fund's account and its share of every paid batch's total.
	fn training_fund() -> Option<(AccountId, Perbill)>;
	/// A batch's `fees`, the total its payer paid, were paid out.
	fn batch_paid(fees: Balance);
	/// The most [`Self::batch_paid`] costs, added to `settle_batch`'s weight.
	fn paid_weight() -> Weight {
		Weight::zero()
	}
}

impl<AccountId, Balance> SettlementRevenue<AccountId, Balance> for () {
	fn training_fund() -> Option<(AccountId, Perbill)> {
		None
	}

	fn batch_paid(_: Balance) {}
}

/// Read access to batches, for pallet-challenges and workers.
pub trait BatchInspect<AccountId, BlockNumber> {
	/// A batch that may still be challenged: in its window, not disputed.
	fn open_batch(batch: BatchId) -> Option<Batch<AccountId, BlockNumber>>;
	/// Any batch not yet paid or voided, disputed ones included.
	fn unsettled_batch(batch: BatchId) -> Option<Batch<AccountId, BlockNumber>>;
	/// Whether `key` authorised `payer`'s receipts in a batch proposed at block `at`.
	fn gateway_key_valid_at(payer: &AccountId, key: &PublicKey, at: BlockNumber) -> bool;
}

/// What proof of inference (pallet-poi) does as batches come and go: it opens an audit when a
/// batch is proposed, holds the batch's settlement while spot checks on it are open, and
/// forgets the audit once the batch is paid or voided. `()` audits nothing.
pub trait BatchAudit<AccountId, BlockNumber> {
	/// Called by `propose_batch` once the batch is stored; an error refuses the proposal.
	fn proposed(
		batch: BatchId,
		record: &Batch<AccountId, BlockNumber>,
	) -> Result<(), DispatchError>;
	/// Whether the batch may not be paid yet, though its window has passed.
	fn holds_settlement(batch: BatchId) -> bool;
	/// The batch was paid or voided.
	fn closed(batch: BatchId);
	/// The most [`Self::proposed`] costs, added to `propose_batch`'s weight.
	fn proposal_weight() -> Weight {
		Weight::zero()
	}
	/// The most [`Self::holds_settlement`] and [`Self::closed`] cost together, added to
	/// `settle_batch`'s weight.
	fn closing_weight() -> Weight {
		Weight::zero()
	}
}

impl<AccountId, BlockNumber> BatchAudit<AccountId, BlockNumber> for () {
	fn proposed(_: BatchId, _: &Batch<AccountId, BlockNumber>) -> Result<(), DispatchError> {
		Ok(())
	}

	fn holds_settlement(_: BatchId) -> bool {
		false
	}

	fn closed(_: BatchId) {}
}

/// Two audits of every batch (proof of inference and data-availability challenges): both see
/// every proposal and closing, and either may hold a batch's settlement.
impl<AccountId, BlockNumber, A, B> BatchAudit<AccountId, BlockNumber> for (A, B)
where
	A: BatchAudit<AccountId, BlockNumber>,
	B: BatchAudit<AccountId, BlockNumber>,
{
	fn proposed(
		batch: BatchId,
		record: &Batch<AccountId, BlockNumber>,
	) -> Result<(), DispatchError> {
		A::proposed(batch, record)?;
		B::proposed(batch, record)
	}

	fn holds_settlement(batch: BatchId) -> bool {
		A::holds_settlement(batch) || B::holds_settlement(batch)
	}

	fn closed(batch: BatchId) {
		A::closed(batch);
		B::closed(batch);
	}

	fn proposal_weight() -> Weight {
		A::proposal_weight().saturating_add(B::proposal_weight())
	}

	fn closing_weight() -> Weight {
		A::closing_weight().saturating_add(B::closing_weight())
	}
}

/// What pallet-challenges does to batches.
pub trait BatchControl {
	/// Voids a batch that is open or disputed, or whose window has passed while an audit
	/// holds its settlement: its reserve goes back to the payer's escrow and its counter
	/// range stays consumed.
	fn void(batch: BatchId) -> Result<(), DispatchError>;
	/// Freezes an open batch while an arbitration dispute runs.
	fn freeze(batch: BatchId) -> Result<(), DispatchError>;
	/// Returns a disputed batch to its window; if the window has passed, it can be
	/// settled at once.
	fn release(batch: BatchId) -> Result<(), DispatchError>;
}
