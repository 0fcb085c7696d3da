//! How other pallets (challenges) and workers use settlement.

use crate::{Batch, BatchId};
use ail2_primitives::receipt::PublicKey;
use sp_runtime::DispatchError;

/// Read access to batches, for pallet-challenges and workers.
pub trait BatchInspect<AccountId, BlockNumber> {
	/// A batch that may still be challenged: in its window, not disputed.
	fn open_batch(batch: BatchId) -> Option<Batch<AccountId, BlockNumber>>;
	/// Any batch not yet paid or voided, disputed ones included.
	fn unsettled_batch(batch: BatchId) -> Option<Batch<AccountId, BlockNumber>>;
	/// Whether `key` authorised `payer`'s receipts in a batch proposed at block `at`.
	fn gateway_key_valid_at(payer: &AccountId, key: &PublicKey, at: BlockNumber) -> bool;
}

/// What pallet-challenges does to batches.
pub trait BatchControl {
	/// Voids a batch that is open or disputed: its reserve goes back to the payer's escrow
	/// and its counter range stays consumed.
	fn void(batch: BatchId) -> Result<(), DispatchError>;
	/// Freezes an open batch while an arbitration dispute runs.
	fn freeze(batch: BatchId) -> Result<(), DispatchError>;
	/// Returns a disputed batch to its window; if the window has passed, it can be
	/// settled at once.
	fn release(batch: BatchId) -> Result<(), DispatchError>;
}
