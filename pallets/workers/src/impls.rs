//! The logic behind the calls and the traits.

use crate::*;
use ail2_primitives::receipt::{account_bytes, proof_of_possession_message, recover};
use alloc::vec::Vec;
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{
		fungible::MutateHold,
		tokens::{Fortitude, Precision, Restriction},
	},
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
	traits::{CheckedAdd, CheckedDiv, CheckedSub, Saturating, UniqueSaturatedInto, Zero},
	ArithmeticError, Perbill,
};

impl<T: Config> Pallet<T> {
	/// The message a receipt key signs to prove it belongs to `(owner, hot_key)`
	/// ([`proof_of_possession_message`] of their account bytes).
	pub fn receipt_key_proof_message(owner: &T::AccountId, hot_key: &T::AccountId) -> [u8; 32] {
		proof_of_possession_message(&account_bytes(owner), &account_bytes(hot_key))
	}

	/// The epoch of block `n`.
	pub fn epoch_of(n: BlockNumberFor<T>) -> EpochIndex {
		let length = T::EpochLength::get().max(1u32.into());
		n.checked_div(&length).unwrap_or_default().unique_saturated_into()
	}

	fn hold_reason() -> T::RuntimeHoldReason {
		HoldReason::WorkerStake.into()
	}

	/// The worker, if `owner` owns it.
	fn owned(owner: &T::AccountId, worker: &T::AccountId) -> Result<WorkerOf<T>, DispatchError> {
		let info = Workers::<T>::get(worker).ok_or(Error::<T>::UnknownWorker)?;
		ensure!(info.owner == *owner, Error::<T>::NotOwner);
		Ok(info)
	}

	fn total_unbonding(info: &WorkerOf<T>) -> BalanceOf<T> {
		info.unbonding
			.iter()
			.fold(Zero::zero(), |acc: BalanceOf<T>, c| acc.saturating_add(c.amount))
	}

	pub(crate) fn do_register(
		owner: T::AccountId,
		hot_key: T::AccountId,
		receipt_key: PublicKey,
		receipt_key_proof: Signature,
		capabilities: Capabilities,
		endpoint: BoundedVec<u8, MaxEndpointLen>,
		stake: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(!Workers::<T>::contains_key(&hot_key), Error::<T>::AlreadyRegistered);
		ensure!(!WorkerOfReceiptKey::<T>::contains_key(receipt_key), Error::<T>::ReceiptKeyInUse);
		let message = Self::receipt_key_proof_message(&owner, &hot_key);
		ensure!(
			recover(&message, &receipt_key_proof) == Some(receipt_key),
			Error::<T>::BadReceiptKeyProof
		);
		ensure!(capabilities.region.is_valid(), Error::<T>::InvalidRegion);
		ensure!(stake >= T::MinStake::get(), Error::<T>::StakeBelowMinimum);

		let count = WorkerCount::<T>::get();
		ensure!(count < T::MaxWorkers::get(), Error::<T>::RegistryFull);
		let mut owned = WorkersOfOwner::<T>::get(&owner);
		owned.try_push(hot_key.clone()).map_err(|_| Error::<T>::TooManyWorkers)?;
		T::Currency::hold(&Self::hold_reason(), &owner, stake)?;

		let now = frame_system::Pallet::<T>::block_number();
		Workers::<T>::insert(
			&hot_key,
			WorkerInfo {
				owner: owner.clone(),
				receipt_key,
				capabilities,
				endpoint,
				stake,
				unbonding: BoundedVec::new(),
				status: WorkerStatus::Active,
				registered_at: now,
				last_heartbeat: now,
				reputation: T::InitialReputation::get(),
			},
		);
		WorkerOfReceiptKey::<T>::insert(receipt_key, &hot_key);
		WorkersOfOwner::<T>::insert(&owner, owned);
		WorkerCount::<T>::put(count.saturating_add(1));
		Self::deposit_event(Event::WorkerRegistered { worker: hot_key, owner, stake });
		Ok(())
	}

	pub(crate) fn do_add_stake(
		owner: T::AccountId,
		worker: T::AccountId,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let mut info = Self::owned(&owner, &worker)?;
		info.stake = info.stake.checked_add(&amount).ok_or(ArithmeticError::Overflow)?;
		T::Currency::hold(&Self::hold_reason(), &owner, amount)?;
		Workers::<T>::insert(&worker, info);
		Self::deposit_event(Event::StakeAdded { worker, amount });
		Ok(())
	}

	pub(crate) fn do_unbond(
		owner: T::AccountId,
		worker: T::AccountId,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let mut info = Self::owned(&owner, &worker)?;
		let remaining = info.stake.checked_sub(&amount).ok_or(Error::<T>::InsufficientStake)?;
		ensure!(
			remaining.is_zero() || remaining >= T::MinStake::get(),
			Error::<T>::StakeBelowMinimum
		);
		let unlock_at =
			frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondingPeriod::get());
		info.unbonding
			.try_push(UnbondingChunk { amount, unlock_at })
			.map_err(|_| Error::<T>::TooManyUnbondingChunks)?;
		info.stake = remaining;
		Workers::<T>::insert(&worker, info);
		Self::deposit_event(Event::Unbonded { worker, amount, unlock_at });
		Ok(())
	}

	pub(crate) fn do_withdraw_unbonded(
		owner: T::AccountId,
		worker: T::AccountId,
	) -> DispatchResult {
		let mut info = Self::owned(&owner, &worker)?;
		let now = frame_system::Pallet::<T>::block_number();
		let (matured, pending): (Vec<UnbondingChunkOf<T>>, Vec<_>) =
			info.unbonding.iter().copied().partition(|c| c.unlock_at <= now);
		ensure!(!matured.is_empty(), Error::<T>::NothingToWithdraw);
		let amount =
			matured.iter().fold(Zero::zero(), |acc: BalanceOf<T>, c| acc.saturating_add(c.amount));
		// `pending` is a subset of a bounded vector, so it fits the same bound.
		info.unbonding = BoundedVec::truncate_from(pending);
		T::Currency::release(&Self::hold_reason(), &owner, amount, Precision::BestEffort)?;
		Self::deposit_event(Event::Withdrawn { worker: worker.clone(), amount });

		if info.stake.is_zero() && info.unbonding.is_empty() {
			Self::remove(&worker, &info);
		} else {
			Workers::<T>::insert(&worker, info);
		}
		Ok(())
	}

	fn remove(worker: &T::AccountId, info: &WorkerOf<T>) {
		Workers::<T>::remove(worker);
		WorkerOfReceiptKey::<T>::remove(info.receipt_key);
		PriceVoteOf::<T>::remove(worker);
		WorkerCount::<T>::mutate(|c| *c = c.saturating_sub(1));
		WorkersOfOwner::<T>::mutate_exists(&info.owner, |owned| {
			if let Some(list) = owned {
				list.retain(|w| w != worker);
				if list.is_empty() {
					*owned = None;
				}
			}
		});
		Self::deposit_event(Event::WorkerRemoved { worker: worker.clone() });
	}

	pub(crate) fn do_heartbeat(worker: T::AccountId) -> DispatchResult {
		Workers::<T>::try_mutate(&worker, |maybe| {
			let info = maybe.as_mut().ok_or(Error::<T>::UnknownWorker)?;
			ensure!(info.status != WorkerStatus::Banned, Error::<T>::Banned);
			info.last_heartbeat = frame_system::Pallet::<T>::block_number();
			Ok(())
		})
	}

	pub(crate) fn do_update_endpoint(
		owner: T::AccountId,
		worker: T::AccountId,
		endpoint: BoundedVec<u8, MaxEndpointLen>,
	) -> DispatchResult {
		let mut info = Self::owned(&owner, &worker)?;
		ensure!(info.status != WorkerStatus::Banned, Error::<T>::Banned);
		info.endpoint = endpoint;
		Workers::<T>::insert(&worker, info);
		Self::deposit_event(Event::EndpointUpdated { worker });
		Ok(())
	}

	pub(crate) fn do_update_capabilities(
		owner: T::AccountId,
		worker: T::AccountId,
		capabilities: Capabilities,
	) -> DispatchResult {
		let mut info = Self::owned(&owner, &worker)?;
		ensure!(info.status != WorkerStatus::Banned, Error::<T>::Banned);
		ensure!(capabilities.region.is_valid(), Error::<T>::InvalidRegion);
		info.capabilities = capabilities;
		Workers::<T>::insert(&worker, info);
		Self::deposit_event(Event::CapabilitiesUpdated { worker });
		Ok(())
	}

	pub(crate) fn do_set_status(worker: T::AccountId, status: WorkerStatus) -> DispatchResult {
		Workers::<T>::try_mutate(&worker, |maybe| {
			let info = maybe.as_mut().ok_or(Error::<T>::UnknownWorker)?;
			ensure!(info.status != WorkerStatus::Banned, Error::<T>::Banned);
			info.status = status;
			Ok::<_, DispatchError>(())
		})?;
		Self::deposit_event(Event::StatusChanged { worker, status });
		Ok(())
	}

	pub(crate) fn do_vote_price(worker: T::AccountId, price: BalanceOf<T>) -> DispatchResult {
		ensure!(!price.is_zero(), Error::<T>::ZeroPrice);
		ensure!(Workers::<T>::contains_key(&worker), Error::<T>::UnknownWorker);
		ensure!(<Self as WorkerInspect<_, _>>::is_active(&worker), Error::<T>::NotActive);
		let epoch = Self::epoch_of(frame_system::Pallet::<T>::block_number());
		PriceVoteOf::<T>::insert(&worker, PriceVote { epoch, price });
		Self::deposit_event(Event::PriceVoted { worker, epoch, price });
		Ok(())
	}

	/// Invariants: the stake held from each owner equals the active plus unbonding stake of
	/// its workers; the indexes agree with the registry.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;
		use frame_support::traits::fungible::InspectHold;
		let mut per_owner: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut count: u32 = 0;
		for (worker, info) in Workers::<T>::iter() {
			count = count.saturating_add(1);
			let total = info.stake.saturating_add(Self::total_unbonding(&info));
			let entry = per_owner.entry(info.owner.clone()).or_insert_with(Zero::zero);
			*entry = entry.saturating_add(total);
			ensure!(
				WorkerOfReceiptKey::<T>::get(info.receipt_key).as_ref() == Some(&worker),
				"receipt-key index does not point back to the worker"
			);
			ensure!(
				WorkersOfOwner::<T>::get(&info.owner).contains(&worker),
				"owner index lacks the worker"
			);
		}
		for (owner, total) in per_owner {
			ensure!(
				T::Currency::balance_on_hold(&Self::hold_reason(), &owner) == total,
				"held stake differs from registry stake"
			);
		}
		ensure!(WorkerCount::<T>::get() == count, "worker count differs from the registry");
		ensure!(count <= T::MaxWorkers::get(), "registry over its bound");
		ensure!(WorkerOfReceiptKey::<T>::iter().count() as u32 == count, "stale receipt-key index");
		ensure!(
			PriceVoteOf::<T>::iter_keys().all(|w| Workers::<T>::contains_key(&w)),
			"price vote of a removed worker"
		);
		let indexed: u32 = WorkersOfOwner::<T>::iter().map(|(_, l)| l.len() as u32).sum();
		ensure!(indexed == count, "stale owner index");
		Ok(())
	}
}

impl<T: Config> WorkerInspect<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn is_active(worker: &T::AccountId) -> bool {
		Workers::<T>::get(worker)
			.is_some_and(|w| w.status == WorkerStatus::Active && w.stake >= T::MinStake::get())
	}

	fn is_online(worker: &T::AccountId) -> bool {
		let now = frame_system::Pallet::<T>::block_number();
		Workers::<T>::get(worker)
			.is_some_and(|w| now.saturating_sub(w.last_heartbeat) <= T::HeartbeatTimeout::get())
	}

	fn receipt_key(worker: &T::AccountId) -> Option<PublicKey> {
		Workers::<T>::get(worker).map(|w| w.receipt_key)
	}

	fn worker_of_receipt_key(key: &PublicKey) -> Option<T::AccountId> {
		WorkerOfReceiptKey::<T>::get(key)
	}

	fn owner(worker: &T::AccountId) -> Option<T::AccountId> {
		Workers::<T>::get(worker).map(|w| w.owner)
	}

	fn slashable_stake(worker: &T::AccountId) -> BalanceOf<T> {
		Workers::<T>::get(worker)
			.map_or(Zero::zero(), |w| w.stake.saturating_add(Self::total_unbonding(&w)))
	}

	fn active_stake(worker: &T::AccountId) -> BalanceOf<T> {
		Workers::<T>::get(worker).map_or(Zero::zero(), |w| w.stake)
	}

	fn active_workers() -> Vec<(T::AccountId, BalanceOf<T>)> {
		let min = T::MinStake::get();
		Workers::<T>::iter()
			.filter(|(_, w)| w.status == WorkerStatus::Active && w.stake >= min)
			.map(|(id, w)| (id, w.stake))
			.collect()
	}

	fn reputation(worker: &T::AccountId) -> Perbill {
		Workers::<T>::get(worker).map_or(Perbill::zero(), |w| w.reputation)
	}
}

impl<T: Config> WorkerPenalty<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn slash(
		worker: &T::AccountId,
		amount: BalanceOf<T>,
		to: &T::AccountId,
	) -> Result<BalanceOf<T>, DispatchError> {
		let mut info = Workers::<T>::get(worker).ok_or(Error::<T>::UnknownWorker)?;
		let mut left = amount;
		let from_active = left.min(info.stake);
		info.stake = info.stake.saturating_sub(from_active);
		left = left.saturating_sub(from_active);
		for chunk in info.unbonding.iter_mut().rev() {
			if left.is_zero() {
				break;
			}
			let take = left.min(chunk.amount);
			chunk.amount = chunk.amount.saturating_sub(take);
			left = left.saturating_sub(take);
		}
		info.unbonding.retain(|c| !c.amount.is_zero());
		let taken = amount.saturating_sub(left);
		let moved = T::Currency::transfer_on_hold(
			&Self::hold_reason(),
			&info.owner,
			to,
			taken,
			Precision::BestEffort,
			Restriction::Free,
			Fortitude::Force,
		)?;
		Workers::<T>::insert(worker, info);
		Self::deposit_event(Event::Slashed {
			worker: worker.clone(),
			amount: moved,
			to: to.clone(),
		});
		Ok(moved)
	}

	fn suspend(worker: &T::AccountId) -> Result<(), DispatchError> {
		match Workers::<T>::get(worker).map(|w| w.status) {
			Some(WorkerStatus::Active) => {
				Self::do_set_status(worker.clone(), WorkerStatus::Suspended)
			},
			Some(_) => Ok(()),
			None => Err(Error::<T>::UnknownWorker.into()),
		}
	}

	fn ban(worker: &T::AccountId) -> Result<(), DispatchError> {
		match Workers::<T>::get(worker).map(|w| w.status) {
			Some(WorkerStatus::Banned) => Ok(()),
			Some(_) => Self::do_set_status(worker.clone(), WorkerStatus::Banned),
			None => Err(Error::<T>::UnknownWorker.into()),
		}
	}

	fn reduce_reputation(worker: &T::AccountId, by: Perbill) {
		Self::change_reputation(worker, |r| r.saturating_sub(by));
	}

	fn raise_reputation(worker: &T::AccountId, by: Perbill) {
		Self::change_reputation(worker, |r| r.saturating_add(by));
	}
}

impl<T: Config> Pallet<T> {
	fn change_reputation(worker: &T::AccountId, f: impl FnOnce(Perbill) -> Perbill) {
		let changed = Workers::<T>::mutate(worker, |maybe| {
			maybe.as_mut().map(|info| {
				info.reputation = f(info.reputation);
				info.reputation
			})
		});
		if let Some(reputation) = changed {
			Self::deposit_event(Event::ReputationChanged { worker: worker.clone(), reputation });
		}
	}
}

impl<T: Config> PriceVoteSource<BalanceOf<T>> for Pallet<T> {
	fn current_epoch() -> EpochIndex {
		Self::epoch_of(frame_system::Pallet::<T>::block_number())
	}

	fn votes(epoch: EpochIndex) -> Vec<(Option<BalanceOf<T>>, BalanceOf<T>)> {
		<Self as WorkerInspect<_, _>>::active_workers()
			.into_iter()
			.map(|(worker, stake)| {
				let vote =
					PriceVoteOf::<T>::get(&worker).filter(|v| v.epoch == epoch).map(|v| v.price);
				(vote, stake)
			})
			.collect()
	}
}
