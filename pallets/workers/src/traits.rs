//! How other pallets use the worker registry.

use crate::{EpochIndex, PublicKey};
use alloc::vec::Vec;
use sp_runtime::{DispatchError, Perbill};

/// Read access to the registry.
pub trait WorkerInspect<AccountId, Balance> {
	/// Whether the worker may be given work: registered, `Active` and staked at least
	/// `MinStake`.
	fn is_active(worker: &AccountId) -> bool;
	/// Whether the worker sent a heartbeat within `HeartbeatTimeout`.
	fn is_online(worker: &AccountId) -> bool;
	/// The worker's receipt key.
	fn receipt_key(worker: &AccountId) -> Option<PublicKey>;
	/// The worker that signs with `key`.
	fn worker_of_receipt_key(key: &PublicKey) -> Option<AccountId>;
	/// The worker's owner, who receives its earnings.
	fn owner(worker: &AccountId) -> Option<AccountId>;
	/// Active plus unbonding stake: everything a slash can reach.
	fn slashable_stake(worker: &AccountId) -> Balance;
	/// Active stake: the weight of the worker in stake-weighted choices.
	fn active_stake(worker: &AccountId) -> Balance;
	/// Active workers with their active stake, for stake-weighted draws.
	fn active_workers() -> Vec<(AccountId, Balance)>;
	/// The worker's reputation (zero for an unknown worker). Registries that keep none
	/// report zero, which the spot checks of proof of inference treat as the most scrutiny.
	fn reputation(_worker: &AccountId) -> Perbill {
		Perbill::zero()
	}
}

/// Punishments other pallets (slashing, challenges) apply.
pub trait WorkerPenalty<AccountId, Balance> {
	/// Moves up to `amount` of the worker's stake (active first, then unbonding chunks,
	/// newest first) to `to`. Returns what was moved.
	fn slash(worker: &AccountId, amount: Balance, to: &AccountId)
		-> Result<Balance, DispatchError>;
	/// Suspends the worker (governance may lift it).
	fn suspend(worker: &AccountId) -> Result<(), DispatchError>;
	/// Bans the worker for good.
	fn ban(worker: &AccountId) -> Result<(), DispatchError>;
	/// Lowers the worker's reputation by `by` (saturating at zero).
	fn reduce_reputation(worker: &AccountId, by: Perbill);
	/// Raises the worker's reputation by `by` (saturating at one).
	fn raise_reputation(worker: &AccountId, by: Perbill);
}

/// Unit-of-compute price votes, for pallet-models' stake-weighted median.
pub trait PriceVoteSource<Balance> {
	/// The epoch the chain is in now.
	fn current_epoch() -> EpochIndex;
	/// For every active worker: its vote cast in `epoch` (`None` if it did not vote then)
	/// and its active stake. At most `MaxWorkers` entries.
	fn votes(epoch: EpochIndex) -> Vec<(Option<Balance>, Balance)>;
}
