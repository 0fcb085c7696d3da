//! The logic behind the calls, the epoch price and the `ModelInspect` implementation.

use crate::*;
use ail2_primitives::{
	billing::{stake_weighted_median, PricingPolicy},
	receipt::SemVer,
	Hash,
};
use alloc::vec::Vec;
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{fungible::MutateHold, tokens::Precision},
};
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_workers::{EpochIndex, PriceVoteSource};
use sp_runtime::{
	traits::{CheckedDiv, UniqueSaturatedFrom, UniqueSaturatedInto},
	Perbill, Saturating,
};

impl<T: Config> Pallet<T> {
	/// keccak256 of a SCALE-encoded pricing policy: what receipts quote as `policy_hash`.
	pub fn policy_hash(policy: &PricingPolicy) -> Hash {
		policy.hash()
	}

	/// Checks metadata about to be stored with a new model or version. The revenue split is
	/// checked against the bounds in force now; the stored version is its snapshot, which
	/// settlement reads and later changes of `Params` never revisit.
	fn validate(metadata: &ContainerMetadata) -> DispatchResult {
		ensure!(metadata.revenue_split.is_complete(), Error::<T>::IncompleteRevenueSplit);
		ensure!(
			Params::<T>::get().admits(&metadata.revenue_split),
			Error::<T>::RevenueSplitOutOfBounds
		);
		ensure!(metadata.pricing.min_fee <= metadata.pricing.max_fee, Error::<T>::InvalidFeeBounds);
		ensure!(
			metadata.constraints.allowed_regions.iter().all(|r| r.center.is_valid()),
			Error::<T>::InvalidRegion
		);
		ensure!(metadata.compute_units_per_token > 0, Error::<T>::ZeroComputeUnits);
		Ok(())
	}

	fn version_info(metadata: ContainerMetadata, status: ModelStatus) -> VersionInfo {
		VersionInfo { policy_hash: Self::policy_hash(&metadata.pricing), metadata, status }
	}

	fn owned(who: &T::AccountId, model: ModelId) -> Result<ModelOf<T>, DispatchError> {
		let info = Models::<T>::get(model).ok_or(Error::<T>::UnknownModel)?;
		ensure!(info.owner == *who, Error::<T>::NotOwner);
		Ok(info)
	}

	fn hold_reason() -> T::RuntimeHoldReason {
		HoldReason::ModelDeposit.into()
	}

	fn release_deposit(info: &ModelOf<T>) -> DispatchResult {
		T::Currency::release(
			&Self::hold_reason(),
			&info.owner,
			info.deposit,
			Precision::BestEffort,
		)?;
		Ok(())
	}

	pub(crate) fn do_register_model(
		owner: T::AccountId,
		name: BoundedVec<u8, MaxNameLen>,
		version: SemVer,
		metadata: ContainerMetadata,
	) -> DispatchResult {
		ensure!(!name.is_empty(), Error::<T>::EmptyName);
		Self::validate(&metadata)?;
		let model = NextModelId::<T>::get();
		let next = model.checked_add(1).ok_or(Error::<T>::NoModelIdLeft)?;
		let deposit = T::ModelDeposit::get();
		T::Currency::hold(&Self::hold_reason(), &owner, deposit)?;

		Models::<T>::insert(
			model,
			ModelInfo {
				owner: owner.clone(),
				name,
				status: ModelStatus::Proposed,
				current: version,
				deposit,
				registered_at: frame_system::Pallet::<T>::block_number(),
			},
		);
		Versions::<T>::insert(model, version, Self::version_info(metadata, ModelStatus::Proposed));
		VersionCount::<T>::insert(model, 1);
		NextModelId::<T>::put(next);
		Self::deposit_event(Event::ModelRegistered { model, owner, version, deposit });
		Ok(())
	}

	pub(crate) fn do_decide_model(model: ModelId, approve: bool) -> DispatchResult {
		let mut info = Models::<T>::get(model).ok_or(Error::<T>::UnknownModel)?;
		ensure!(info.status == ModelStatus::Proposed, Error::<T>::WrongStatus);
		let status = if approve { ModelStatus::Approved } else { ModelStatus::Rejected };
		Versions::<T>::mutate(model, info.current, |v| {
			if let Some(v) = v {
				v.status = status;
			}
		});
		if !approve {
			Self::release_deposit(&info)?;
		}
		info.status = status;
		Models::<T>::insert(model, info);
		Self::deposit_event(if approve {
			Event::ModelApproved { model }
		} else {
			Event::ModelRejected { model }
		});
		Ok(())
	}

	pub(crate) fn do_activate_model(who: T::AccountId, model: ModelId) -> DispatchResult {
		let mut info = Self::owned(&who, model)?;
		ensure!(info.status == ModelStatus::Approved, Error::<T>::WrongStatus);
		info.status = ModelStatus::Active;
		Models::<T>::insert(model, info);
		Self::deposit_event(Event::ModelActivated { model });
		Ok(())
	}

	/// `by` is `None` when governance deprecates.
	pub(crate) fn do_deprecate_model(by: Option<T::AccountId>, model: ModelId) -> DispatchResult {
		let mut info = Models::<T>::get(model).ok_or(Error::<T>::UnknownModel)?;
		if let Some(who) = by {
			ensure!(info.owner == who, Error::<T>::NotOwner);
		}
		ensure!(
			matches!(info.status, ModelStatus::Approved | ModelStatus::Active),
			Error::<T>::WrongStatus
		);
		Self::release_deposit(&info)?;
		info.status = ModelStatus::Deprecated;
		Models::<T>::insert(model, info);
		Self::deposit_event(Event::ModelDeprecated { model });
		Ok(())
	}

	pub(crate) fn do_propose_version(
		who: T::AccountId,
		model: ModelId,
		version: SemVer,
		metadata: ContainerMetadata,
	) -> DispatchResult {
		let info = Self::owned(&who, model)?;
		ensure!(
			matches!(
				info.status,
				ModelStatus::Proposed | ModelStatus::Approved | ModelStatus::Active
			),
			Error::<T>::WrongStatus
		);
		Self::validate(&metadata)?;
		let highest = Versions::<T>::iter_key_prefix(model).max();
		ensure!(highest.is_none_or(|h| version > h), Error::<T>::VersionNotHigher);
		let count = VersionCount::<T>::get(model);
		ensure!(count < <MaxVersions as Get<u32>>::get(), Error::<T>::TooManyVersions);
		Versions::<T>::insert(model, version, Self::version_info(metadata, ModelStatus::Proposed));
		VersionCount::<T>::insert(model, count.saturating_add(1));
		Self::deposit_event(Event::VersionProposed { model, version });
		Ok(())
	}

	pub(crate) fn do_decide_version(
		model: ModelId,
		version: SemVer,
		approve: bool,
	) -> DispatchResult {
		ensure!(Models::<T>::contains_key(model), Error::<T>::UnknownModel);
		Versions::<T>::try_mutate(model, version, |maybe| {
			let v = maybe.as_mut().ok_or(Error::<T>::UnknownVersion)?;
			ensure!(v.status == ModelStatus::Proposed, Error::<T>::WrongStatus);
			v.status = if approve { ModelStatus::Approved } else { ModelStatus::Rejected };
			Ok::<_, DispatchError>(())
		})?;
		Self::deposit_event(if approve {
			Event::VersionApproved { model, version }
		} else {
			Event::VersionRejected { model, version }
		});
		Ok(())
	}

	pub(crate) fn do_switch_version(
		who: T::AccountId,
		model: ModelId,
		version: SemVer,
		rollback: bool,
	) -> DispatchResult {
		let mut info = Self::owned(&who, model)?;
		ensure!(
			matches!(info.status, ModelStatus::Approved | ModelStatus::Active),
			Error::<T>::WrongStatus
		);
		let target = Versions::<T>::get(model, version).ok_or(Error::<T>::UnknownVersion)?;
		ensure!(target.status == ModelStatus::Approved, Error::<T>::WrongStatus);
		let from = info.current;
		if rollback {
			ensure!(version < from, Error::<T>::NotAnEarlierVersion);
		} else {
			ensure!(version > from, Error::<T>::VersionNotHigher);
		}
		info.current = version;
		Models::<T>::insert(model, info);
		Self::deposit_event(if rollback {
			Event::RolledBack { model, from, to: version }
		} else {
			Event::VersionActivated { model, version }
		});
		Ok(())
	}

	/// Refuses bounds that no complete split could meet, or whose owner cap no split could
	/// reach. Any bounds whose minimums sum to at most 100 % admit a split: the owner at
	/// zero, the treasury and ecosystem at their minimums, the worker the rest.
	pub fn check_params(params: &RevenueSplitBounds) -> DispatchResult {
		let floors = params.floors().ok_or(Error::<T>::UnsatisfiableSplitBounds)?;
		ensure!(
			params.max_model_owner <= Perbill::one().saturating_sub(floors),
			Error::<T>::ModelOwnerCapUnreachable
		);
		Ok(())
	}

	/// The unit price after `epoch`: the stake-weighted median of the votes, counting a
	/// worker that did not vote as voting `previous`; `previous` if no stake is active.
	pub fn next_unit_price(epoch: EpochIndex, previous: BalanceOf<T>) -> BalanceOf<T> {
		// Balances are at most 128 bits; the round trip through u128 is exact.
		let mut votes: Vec<(u128, u128)> = T::PriceVotes::votes(epoch)
			.into_iter()
			.map(|(vote, stake)| {
				(vote.unwrap_or(previous).unique_saturated_into(), stake.unique_saturated_into())
			})
			.collect();
		stake_weighted_median(&mut votes).map_or(previous, BalanceOf::<T>::unique_saturated_from)
	}

	/// Sets the price for the epoch starting at block `n`.
	pub(crate) fn close_epoch(n: BlockNumberFor<T>) -> Weight {
		let current: EpochIndex =
			n.checked_div(&T::EpochLength::get()).unwrap_or_default().unique_saturated_into();
		let closed = current.saturating_sub(1);
		let price = Self::next_unit_price(closed, UnitPrice::<T>::get());
		UnitPrice::<T>::put(price);
		Self::deposit_event(Event::UnitPriceSet { epoch: closed, price });
		T::WeightInfo::close_epoch()
	}

	/// Invariants: the revenue-split bounds are satisfiable, version counts match stored
	/// versions, every model has its current version, and deposits are held exactly for
	/// models not rejected or deprecated.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;
		use frame_support::traits::fungible::InspectHold;
		use sp_runtime::traits::Zero;
		ensure!(Self::check_params(&Params::<T>::get()).is_ok(), "Params out of bounds");
		let mut held: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		for (model, info) in Models::<T>::iter() {
			ensure!(model < NextModelId::<T>::get(), "model id beyond NextModelId");
			ensure!(Versions::<T>::contains_key(model, info.current), "current version missing");
			let versions = Versions::<T>::iter_key_prefix(model).count() as u32;
			ensure!(versions == VersionCount::<T>::get(model), "version count differs");
			ensure!(versions <= <MaxVersions as Get<u32>>::get(), "too many versions");
			if !matches!(info.status, ModelStatus::Rejected | ModelStatus::Deprecated) {
				let e = held.entry(info.owner.clone()).or_insert_with(Zero::zero);
				*e = e.saturating_add(info.deposit);
			}
		}
		for (owner, total) in held {
			ensure!(
				T::Currency::balance_on_hold(&Self::hold_reason(), &owner) == total,
				"held deposits differ from registered models"
			);
		}
		Ok(())
	}
}

impl<T: Config> ModelInspect<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn is_billable(model: ModelId, version: &SemVer) -> bool {
		Models::<T>::get(model).is_some_and(|m| m.status == ModelStatus::Active)
			&& Versions::<T>::get(model, version).is_some_and(|v| v.status == ModelStatus::Approved)
	}

	fn pricing(model: ModelId, version: &SemVer) -> Option<(PricingPolicy, Hash)> {
		Versions::<T>::get(model, version).map(|v| (v.metadata.pricing, v.policy_hash))
	}

	fn revenue_split(model: ModelId, version: &SemVer) -> Option<RevenueSplit> {
		Versions::<T>::get(model, version).map(|v| v.metadata.revenue_split)
	}

	fn owner(model: ModelId) -> Option<T::AccountId> {
		Models::<T>::get(model).map(|m| m.owner)
	}

	fn unit_price() -> BalanceOf<T> {
		UnitPrice::<T>::get()
	}

	fn spot_check_rate(model: ModelId, version: &SemVer) -> Perbill {
		Versions::<T>::get(model, version)
			.map_or(Perbill::zero(), |v| v.metadata.security.spot_check_rate)
	}
}
