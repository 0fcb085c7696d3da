//! The logic behind the calls, the challenge window, the bounds on the settlement
//! parameters and the implementations of the traits pallet-challenges uses.
//!
//! Governance may change the parameters at any time; nothing already running moves. Each
//! value is read once, when what it governs starts, and the result is stored: a batch's
//! `challenge_until` at proposal, a withdrawal's `unlock_at` at its request, a revocation's
//! `revoked_from` when the payer revokes. Purging a revoked key waits for the hard
//! `MaxChallengeWindow`, which bounds every window ever set, instead of a parameter.

use crate::*;
use ail2_primitives::{
	merkle::SumNode,
	receipt::{PublicKey, SemVer},
	Counter, Hash, ModelId,
};
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{
		fungible::{InspectHold, MutateHold},
		tokens::{Fortitude, Precision, Restriction},
	},
};
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_models::ModelInspect;
use pallet_workers::WorkerInspect;
use sp_runtime::{
	traits::{Saturating, UniqueSaturatedFrom, UniqueSaturatedInto, Zero},
	DispatchError,
};

impl<T: Config> Pallet<T> {
	fn hold_reason() -> T::RuntimeHoldReason {
		HoldReason::Escrow.into()
	}

	/// Escrow a payer can still commit: held, less reserved, less leaving.
	pub fn free_escrow(payer: &T::AccountId) -> BalanceOf<T> {
		let held = T::Currency::balance_on_hold(&Self::hold_reason(), payer);
		let escrow = Escrows::<T>::get(payer).unwrap_or_default();
		let leaving = escrow.leaving.map_or(Zero::zero(), |(amount, _)| amount);
		held.saturating_sub(escrow.reserved).saturating_sub(leaving)
	}

	/// The window a batch of `count` receipts charging `total` gets if proposed now:
	/// `BaseWindow + min(MaxExtraWindow, count / ReceiptsPerExtraBlock + total /
	/// ValuePerExtraBlock)` (§8.5) of the current parameters.
	pub fn challenge_window(count: u64, total: BalanceOf<T>) -> BlockNumberFor<T> {
		Params::<T>::get().challenge_window.blocks(count, total)
	}

	/// Whether `params` are within the bounds governance may set: a non-zero base window,
	/// non-zero divisors, a longest window within `MaxChallengeWindow`, a withdrawal delay
	/// longer than that window and within `MaxWithdrawalDelay`, and a non-zero revocation
	/// delay within `MaxWithdrawalDelay`.
	pub fn check_params(params: &SettlementParamsOf<T>) -> DispatchResult {
		let window = &params.challenge_window;
		ensure!(!window.base.is_zero(), Error::<T>::ZeroBaseWindow);
		ensure!(window.receipts_per_extra_block > 0, Error::<T>::ZeroReceiptsPerExtraBlock);
		ensure!(!window.value_per_extra_block.is_zero(), Error::<T>::ZeroValuePerExtraBlock);
		let longest = window.longest();
		ensure!(longest <= T::MaxChallengeWindow::get(), Error::<T>::ChallengeWindowTooLong);
		ensure!(params.withdrawal_delay > longest, Error::<T>::WithdrawalDelayTooShort);
		ensure!(
			params.withdrawal_delay <= T::MaxWithdrawalDelay::get(),
			Error::<T>::WithdrawalDelayTooLong
		);
		ensure!(!params.gateway_revocation_delay.is_zero(), Error::<T>::ZeroRevocationDelay);
		ensure!(
			params.gateway_revocation_delay <= T::MaxWithdrawalDelay::get(),
			Error::<T>::RevocationDelayTooLong
		);
		Ok(())
	}

	pub(crate) fn do_deposit(payer: T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		T::Currency::hold(&Self::hold_reason(), &payer, amount)?;
		Escrows::<T>::mutate(&payer, |e| {
			if e.is_none() {
				*e = Some(Escrow::default());
			}
		});
		Self::deposit_event(Event::Deposited { payer, amount });
		Ok(())
	}

	pub(crate) fn do_request_withdrawal(
		payer: T::AccountId,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let mut escrow = Escrows::<T>::get(&payer).ok_or(Error::<T>::NoEscrow)?;
		ensure!(escrow.leaving.is_none(), Error::<T>::WithdrawalPending);
		ensure!(Self::free_escrow(&payer) >= amount, Error::<T>::InsufficientEscrow);
		// The snapshot: the unlock block is fixed now, so a later change of the delay moves
		// no pending withdrawal.
		let unlock_at = frame_system::Pallet::<T>::block_number()
			.saturating_add(Params::<T>::get().withdrawal_delay);
		escrow.leaving = Some((amount, unlock_at));
		Escrows::<T>::insert(&payer, escrow);
		Self::deposit_event(Event::WithdrawalRequested { payer, amount, unlock_at });
		Ok(())
	}

	pub(crate) fn do_withdraw(payer: T::AccountId) -> DispatchResult {
		let mut escrow = Escrows::<T>::get(&payer).ok_or(Error::<T>::NoEscrow)?;
		let (amount, unlock_at) = escrow.leaving.ok_or(Error::<T>::NoWithdrawal)?;
		ensure!(
			frame_system::Pallet::<T>::block_number() >= unlock_at,
			Error::<T>::WithdrawalLocked
		);
		T::Currency::release(&Self::hold_reason(), &payer, amount, Precision::Exact)?;
		escrow.leaving = None;
		if escrow.reserved.is_zero()
			&& T::Currency::balance_on_hold(&Self::hold_reason(), &payer).is_zero()
		{
			Escrows::<T>::remove(&payer);
		} else {
			Escrows::<T>::insert(&payer, escrow);
		}
		Self::deposit_event(Event::Withdrawn { payer, amount });
		Ok(())
	}

	pub(crate) fn do_add_gateway_key(payer: T::AccountId, key: PublicKey) -> DispatchResult {
		ensure!(!GatewayKeys::<T>::contains_key(&payer, key), Error::<T>::GatewayKeyExists);
		let count = GatewayKeyCount::<T>::get(&payer);
		ensure!(count < T::MaxGatewayKeys::get(), Error::<T>::TooManyGatewayKeys);
		let added_at = frame_system::Pallet::<T>::block_number();
		GatewayKeys::<T>::insert(&payer, key, GatewayKey { added_at, revoked_from: None });
		GatewayKeyCount::<T>::insert(&payer, count.saturating_add(1));
		Self::deposit_event(Event::GatewayKeyAdded { payer, key });
		Ok(())
	}

	pub(crate) fn do_revoke_gateway_key(payer: T::AccountId, key: PublicKey) -> DispatchResult {
		let mut entry = GatewayKeys::<T>::get(&payer, key).ok_or(Error::<T>::UnknownGatewayKey)?;
		ensure!(entry.revoked_from.is_none(), Error::<T>::GatewayKeyRevoked);
		// The snapshot: the revocation's effective block is fixed now, so a later change of
		// the delay moves no revocation already made.
		let revoked_from = frame_system::Pallet::<T>::block_number()
			.saturating_add(Params::<T>::get().gateway_revocation_delay);
		entry.revoked_from = Some(revoked_from);
		GatewayKeys::<T>::insert(&payer, key, entry);
		Self::deposit_event(Event::GatewayKeyRevoked { payer, key, revoked_from });
		Ok(())
	}

	pub(crate) fn do_purge_gateway_key(payer: T::AccountId, key: PublicKey) -> DispatchResult {
		let entry = GatewayKeys::<T>::get(&payer, key).ok_or(Error::<T>::UnknownGatewayKey)?;
		let revoked_from = entry.revoked_from.ok_or(Error::<T>::GatewayKeyInUse)?;
		// A batch proposed just before `revoked_from` closes within the window it was
		// proposed with, which no parameters governance could have set make longer than
		// `MaxChallengeWindow`. The current parameters would not do: a window lowered since
		// leaves batches open under the longer one.
		ensure!(
			frame_system::Pallet::<T>::block_number()
				> revoked_from.saturating_add(T::MaxChallengeWindow::get()),
			Error::<T>::GatewayKeyInUse
		);
		GatewayKeys::<T>::remove(&payer, key);
		GatewayKeyCount::<T>::mutate_exists(&payer, |c| {
			let left = c.unwrap_or(0).saturating_sub(1);
			*c = if left == 0 { None } else { Some(left) };
		});
		Self::deposit_event(Event::GatewayKeyPurged { payer, key });
		Ok(())
	}

	#[allow(clippy::too_many_arguments)]
	pub(crate) fn do_propose_batch(
		worker: T::AccountId,
		payer: T::AccountId,
		model: ModelId,
		version: SemVer,
		(first_counter, last_counter): (Counter, Counter),
		root_hash: Hash,
		total: BalanceOf<T>,
		count: u64,
		content_hash: Hash,
		url: BoundedVec<u8, MaxUrlLen>,
	) -> DispatchResult {
		ensure!(T::Workers::is_active(&worker), Error::<T>::NotActiveWorker);
		ensure!(T::Models::is_billable(model, &version), Error::<T>::ModelNotBillable);
		ensure!(count > 0, Error::<T>::EmptyBatch);
		ensure!(first_counter <= last_counter, Error::<T>::InvalidCounterRange);
		// Leaves carry distinct counters inside the range, so there are at most this many.
		let span = last_counter.saturating_sub(first_counter).saturating_add(1);
		ensure!(count <= span, Error::<T>::InvalidCounterRange);
		let stream = (&worker, &payer, model, &version);
		ensure!(first_counter > LastCounter::<T>::get(stream), Error::<T>::CounterReused);
		let mut escrow = Escrows::<T>::get(&payer).ok_or(Error::<T>::NoEscrow)?;
		ensure!(Self::free_escrow(&payer) >= total, Error::<T>::InsufficientEscrow);
		let batch = NextBatchId::<T>::get();
		let next = batch.checked_add(1).ok_or(Error::<T>::NoBatchIdLeft)?;

		let now = frame_system::Pallet::<T>::block_number();
		// The snapshot: the batch stores the end of its window, so a later change of the
		// parameters never moves a running batch's window.
		let challenge_until = now.saturating_add(Self::challenge_window(count, total));
		escrow.reserved = escrow.reserved.saturating_add(total);
		Escrows::<T>::insert(&payer, escrow);
		LastCounter::<T>::insert(stream, last_counter);
		let root = SumNode { hash: root_hash, sum: total.unique_saturated_into() };
		let record = Batch {
			worker: worker.clone(),
			payer: payer.clone(),
			model,
			version,
			first_counter,
			last_counter,
			root,
			count,
			content_hash,
			url,
			proposed_at: now,
			challenge_until,
			status: BatchStatus::Challenge,
		};
		T::Audit::proposed(batch, &record)?;
		Batches::<T>::insert(batch, record);
		NextBatchId::<T>::put(next);
		Self::deposit_event(Event::BatchProposed {
			batch,
			worker,
			payer,
			model,
			version,
			first_counter,
			last_counter,
			total,
			count,
			content_hash,
			challenge_until,
		});
		Ok(())
	}

	/// The four shares of `total` by `split`; rounding remainders go to the worker.
	pub fn split_total(
		total: BalanceOf<T>,
		split: &pallet_models::RevenueSplit,
	) -> (BalanceOf<T>, BalanceOf<T>, BalanceOf<T>, BalanceOf<T>) {
		split.shares(total)
	}

	/// Queues a batch that was just paid or voided: its record goes `PruneDelay` blocks
	/// from now. One read and two writes.
	pub(crate) fn queue_for_pruning(id: BatchId) {
		let (head, tail) = PruneQueueBounds::<T>::get();
		let due = frame_system::Pallet::<T>::block_number().saturating_add(T::PruneDelay::get());
		PruneQueue::<T>::insert(tail, (id, due));
		PruneQueueBounds::<T>::put((head, tail.saturating_add(1)));
	}

	/// Prunes what is due at `now` from the head of the queue, within `limit`; returns the
	/// weight used. The queue is in closing order and every entry waits the same delay, so
	/// the first entry not yet due ends the pass.
	pub(crate) fn prune_closed(now: BlockNumberFor<T>, limit: Weight) -> Weight {
		let mut used = T::WeightInfo::prune_batches(0);
		if used.any_gt(limit) {
			return Weight::zero();
		}
		let (mut head, tail) = PruneQueueBounds::<T>::get();
		let start = head;
		let mut pruned = 0u32;
		while head < tail && pruned < T::MaxPrunedPerBlock::get() {
			let next = T::WeightInfo::prune_batches(pruned.saturating_add(1));
			if next.any_gt(limit) {
				break;
			}
			used = next;
			let Some((batch, due)) = PruneQueue::<T>::get(head) else {
				// A hole cannot be made by this pallet; step over it rather than stall.
				head = head.saturating_add(1);
				continue;
			};
			if due > now {
				break;
			}
			Batches::<T>::remove(batch);
			PruneQueue::<T>::remove(head);
			head = head.saturating_add(1);
			pruned = pruned.saturating_add(1);
		}
		if head != start {
			PruneQueueBounds::<T>::put((head, tail));
		}
		used
	}

	pub(crate) fn do_settle_batch(id: BatchId) -> DispatchResult {
		let mut batch = Batches::<T>::get(id).ok_or(Error::<T>::UnknownBatch)?;
		ensure!(batch.status == BatchStatus::Challenge, Error::<T>::NotInChallenge);
		ensure!(
			frame_system::Pallet::<T>::block_number() > batch.challenge_until,
			Error::<T>::ChallengeWindowOpen
		);
		ensure!(!T::Audit::holds_settlement(id), Error::<T>::SettlementHeld);
		let total = BalanceOf::<T>::unique_saturated_from(batch.root.sum);
		let split = T::Models::revenue_split(batch.model, &batch.version)
			.ok_or(Error::<T>::ModelNotBillable)?;
		let worker_owner = T::Workers::owner(&batch.worker).ok_or(Error::<T>::NotActiveWorker)?;
		let model_owner = T::Models::owner(batch.model).ok_or(Error::<T>::ModelNotBillable)?;
		// The training fund's share comes off the top; the model's split shares the rest.
		let (training_fund, training_fund_share) = match T::Revenue::training_fund() {
			Some((fund, share)) => (Some(fund), share.mul_floor(total)),
			None => (None, Zero::zero()),
		};
		let (worker_share, owner_share, treasury_share, ecosystem_share) =
			Self::split_total(total.saturating_sub(training_fund_share), &split);

		let mut escrow = Escrows::<T>::get(&batch.payer).ok_or(Error::<T>::NoEscrow)?;
		escrow.reserved = escrow.reserved.saturating_sub(total);
		if let Some(fund) = &training_fund {
			if !training_fund_share.is_zero() {
				T::Currency::transfer_on_hold(
					&Self::hold_reason(),
					&batch.payer,
					fund,
					training_fund_share,
					Precision::Exact,
					Restriction::Free,
					Fortitude::Polite,
				)?;
			}
		}
		for (to, amount) in [
			(&worker_owner, worker_share),
			(&model_owner, owner_share),
			(&T::TreasuryAccount::get(), treasury_share),
			(&T::EcosystemAccount::get(), ecosystem_share),
		] {
			if !amount.is_zero() {
				T::Currency::transfer_on_hold(
					&Self::hold_reason(),
					&batch.payer,
					to,
					amount,
					Precision::Exact,
					Restriction::Free,
					Fortitude::Polite,
				)?;
			}
		}
		Escrows::<T>::insert(&batch.payer, escrow);
		Self::deposit_event(Event::BatchFinalized { batch: id });
		batch.status = BatchStatus::Paid;
		Batches::<T>::insert(id, batch);
		Self::queue_for_pruning(id);
		T::Audit::closed(id);
		Self::deposit_event(Event::BatchPaid {
			batch: id,
			worker_share,
			model_owner_share: owner_share,
			treasury_share,
			ecosystem_share,
			training_fund_share,
		});
		T::Revenue::batch_paid(total);
		Ok(())
	}

	/// Invariants: the parameters are within their bounds; no batch's window is longer
	/// than `MaxChallengeWindow`; each payer's reserved escrow equals the totals of its
	/// batches in their window, and is covered by its held escrow.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;
		ensure!(Self::check_params(&Params::<T>::get()).is_ok(), "parameters out of bounds");
		let mut open: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut closed = 0u64;
		for (id, batch) in Batches::<T>::iter() {
			if matches!(batch.status, BatchStatus::Paid | BatchStatus::Voided) {
				closed = closed.saturating_add(1);
			}
			ensure!(id < NextBatchId::<T>::get(), "batch id beyond NextBatchId");
			ensure!(
				batch.challenge_until
					<= batch.proposed_at.saturating_add(T::MaxChallengeWindow::get()),
				"batch window longer than MaxChallengeWindow"
			);
			if matches!(batch.status, BatchStatus::Challenge | BatchStatus::Disputed) {
				let e = open.entry(batch.payer.clone()).or_insert_with(Zero::zero);
				*e = e.saturating_add(BalanceOf::<T>::unique_saturated_from(batch.root.sum));
				ensure!(
					LastCounter::<T>::get((
						&batch.worker,
						&batch.payer,
						batch.model,
						&batch.version
					)) >= batch.last_counter,
					"replay guard below an open batch"
				);
			}
		}
		// Every closed batch is queued for pruning exactly once, and only closed ones are.
		let (head, tail) = PruneQueueBounds::<T>::get();
		ensure!(head <= tail, "prune queue head past its tail");
		ensure!(tail.saturating_sub(head) == closed, "queued batches differ from closed ones");
		ensure!(
			PruneQueue::<T>::iter_keys().all(|at| (head..tail).contains(&at)),
			"prune queue entry outside its bounds"
		);
		for at in head..tail {
			let (id, _) = PruneQueue::<T>::get(at).ok_or("prune queue has a hole")?;
			let batch = Batches::<T>::get(id).ok_or("queued batch missing")?;
			ensure!(
				matches!(batch.status, BatchStatus::Paid | BatchStatus::Voided),
				"an open batch is queued for pruning"
			);
		}
		for (payer, escrow) in Escrows::<T>::iter() {
			let reserved = open.remove(&payer).unwrap_or_else(Zero::zero);
			ensure!(escrow.reserved == reserved, "reserved escrow differs from open batch totals");
			let held = T::Currency::balance_on_hold(&Self::hold_reason(), &payer);
			let leaving = escrow.leaving.map_or(Zero::zero(), |(a, _)| a);
			ensure!(
				held >= escrow.reserved.saturating_add(leaving),
				"escrow hold below commitments"
			);
		}
		ensure!(open.is_empty(), "open batch of a payer without escrow");
		for (payer, count) in GatewayKeyCount::<T>::iter() {
			ensure!(
				GatewayKeys::<T>::iter_prefix(&payer).count() as u32 == count,
				"gateway key count differs"
			);
		}
		Ok(())
	}
}

impl<T: Config> BatchInspect<T::AccountId, BlockNumberFor<T>> for Pallet<T> {
	fn open_batch(batch: BatchId) -> Option<BatchOf<T>> {
		Batches::<T>::get(batch).filter(|b| {
			b.status == BatchStatus::Challenge
				&& frame_system::Pallet::<T>::block_number() <= b.challenge_until
		})
	}

	fn unsettled_batch(batch: BatchId) -> Option<BatchOf<T>> {
		Batches::<T>::get(batch)
			.filter(|b| matches!(b.status, BatchStatus::Challenge | BatchStatus::Disputed))
	}

	fn gateway_key_valid_at(payer: &T::AccountId, key: &PublicKey, at: BlockNumberFor<T>) -> bool {
		GatewayKeys::<T>::get(payer, key).is_some_and(|k| k.valid_at(&at))
	}
}

impl<T: Config> Pallet<T> {
	/// Whether `key` may authorise new requests for `payer` now: authorised and not
	/// revoked. Workers check this before serving.
	pub fn gateway_key_active(payer: &T::AccountId, key: &PublicKey) -> bool {
		GatewayKeys::<T>::get(payer, key).is_some_and(|k| k.revoked_from.is_none())
	}
}

impl<T: Config> BatchControl for Pallet<T> {
	fn freeze(id: BatchId) -> Result<(), DispatchError> {
		let mut batch =
			<Self as BatchInspect<_, _>>::open_batch(id).ok_or(Error::<T>::NotInChallenge)?;
		batch.status = BatchStatus::Disputed;
		Batches::<T>::insert(id, batch);
		Self::deposit_event(Event::BatchDisputed { batch: id });
		Ok(())
	}

	fn release(id: BatchId) -> Result<(), DispatchError> {
		let mut batch = Batches::<T>::get(id).ok_or(Error::<T>::UnknownBatch)?;
		ensure!(batch.status == BatchStatus::Disputed, Error::<T>::NotDisputed);
		batch.status = BatchStatus::Challenge;
		Batches::<T>::insert(id, batch);
		Self::deposit_event(Event::BatchReleased { batch: id });
		Ok(())
	}

	fn void(id: BatchId) -> Result<(), DispatchError> {
		let mut batch = <Self as BatchInspect<_, _>>::open_batch(id)
			.or_else(|| Batches::<T>::get(id).filter(|b| b.status == BatchStatus::Disputed))
			.or_else(|| {
				Batches::<T>::get(id).filter(|b| {
					b.status == BatchStatus::Challenge && T::Audit::holds_settlement(id)
				})
			})
			.ok_or(Error::<T>::NotInChallenge)?;
		let total = BalanceOf::<T>::unique_saturated_from(batch.root.sum);
		Escrows::<T>::mutate(&batch.payer, |e| {
			if let Some(e) = e {
				e.reserved = e.reserved.saturating_sub(total);
			}
		});
		batch.status = BatchStatus::Voided;
		Batches::<T>::insert(id, batch);
		Self::queue_for_pruning(id);
		T::Audit::closed(id);
		Self::deposit_event(Event::BatchVoided { batch: id });
		Ok(())
	}
}
