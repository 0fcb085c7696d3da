//! The schedule applied: days close, their issuance is shared out, providers are paid by
//! weight, and the hooks of settlement (fees) and the race (work) feed it.

use crate::*;
use ail2_primitives::{
	issuance::{daily_minimum, subsidy_for_fees, subsidy_total, year_of_day, MINTABLE},
	Balance,
};
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, Mutate},
		tokens::Preservation,
	},
};
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_race::{OnWeightsAccepted, RaceIndex};
use pallet_receipts::SettlementRevenue;
use pallet_slashing::ViolationInspect;
use pallet_workers::WorkerInspect;
use sp_runtime::{
	helpers_128bit::multiply_by_rational_with_rounding,
	traits::{Saturating, UniqueSaturatedInto, Zero},
	Perbill, Rounding,
};

/// What one day's issuance comes to, before anything is minted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DayIssuance {
	pub year: u32,
	pub demand_subsidy: Balance,
	pub minimum: Balance,
	/// `max(demand_subsidy, minimum)`, within what is left of the 600M.
	pub issued: Balance,
	pub training_fund: Balance,
	pub validators: Balance,
	pub providers: Balance,
}

impl<T: Config> Pallet<T> {
	/// The day `now` falls in.
	pub fn day_of(now: BlockNumberFor<T>) -> DayIndex {
		let length: u32 = T::DayLength::get().unique_saturated_into();
		let now: u32 = now.unique_saturated_into();
		now.checked_div(length).unwrap_or(0)
	}

	/// The issuance of day `day` with `fees` paid during it, after `minted` units, under the
	/// current shares: the demand subsidy those fees earn by the schedule, or the minimum
	/// daily issuance of the day's year if that is larger, never past the 600M. The training
	/// fund and the validators take their shares of it. The providers get the rest.
	pub fn day_issuance(day: DayIndex, fees: Balance, minted: Balance) -> DayIssuance {
		let year = year_of_day(day);
		let demand_subsidy = subsidy_total(&subsidy_for_fees(minted, fees));
		let minimum = daily_minimum(year).unwrap_or(0);
		let issued = demand_subsidy.max(minimum).min(MINTABLE.saturating_sub(minted));
		let training_fund = TrainingShare::<T>::get().mul_floor(issued);
		let validators = ValidatorShare::<T>::get().mul_floor(issued);
		let providers = issued.saturating_sub(training_fund).saturating_sub(validators);
		DayIssuance { year, demand_subsidy, minimum, issued, training_fund, validators, providers }
	}

	/// One block's step: pay providers of a closed day if any are left, otherwise close the
	/// current day once `now` is past it.
	pub(crate) fn advance(now: BlockNumberFor<T>) -> Weight {
		if let Some(payout) = Payout::<T>::get() {
			let paid = Self::pay(payout);
			return T::WeightInfo::pay(paid);
		}
		let day = CurrentDay::<T>::get();
		let today = Self::day_of(now);
		if today <= day {
			return T::WeightInfo::on_initialize_idle();
		}
		Self::close_day(day, today);
		T::WeightInfo::close_day()
	}

	/// Closes `day` and starts counting `next`: mints the training fund's share, releases
	/// the validators' to staking and leaves the providers' to be paid by weight.
	pub(crate) fn close_day(day: DayIndex, next: DayIndex) {
		let fees = DayFees::<T>::take();
		let minted = Minted::<T>::get();
		let mut issuance = Self::day_issuance(day, fees, minted);
		let work = DayWork::<T>::take(day);
		if work.weight == 0 {
			// Nobody's work was accepted: the providers' part is not minted.
			issuance.providers = 0;
		}
		let fund = T::TrainingFundAccount::get();
		if !issuance.training_fund.is_zero() {
			if let Err(error) = T::Currency::mint_into(&fund, issuance.training_fund) {
				log::warn!(target: LOG_TARGET, "training fund not minted: {error:?}");
				issuance.training_fund = 0;
			}
		}
		ValidatorPot::<T>::mutate(|pot| pot.saturating_accrue(issuance.validators));
		Minted::<T>::put(
			minted.saturating_add(issuance.training_fund).saturating_add(issuance.validators),
		);
		// Paid (and the day's work cleared) over the next blocks, even if the providers'
		// part is zero, so that no day's entries are left behind.
		if work.workers > 0 {
			Payout::<T>::put(DayPayout {
				day,
				providers: issuance.providers,
				total_weight: work.weight,
				remaining: work.workers,
				paid: 0,
			});
		}
		CurrentDay::<T>::put(next);
		Self::deposit_event(Event::DayClosed {
			day,
			year: issuance.year,
			fees,
			demand_subsidy: issuance.demand_subsidy,
			minimum: issuance.minimum,
			issued: issuance.issued,
			training_fund: issuance.training_fund,
			validators: issuance.validators,
			providers: issuance.providers,
		});
	}

	/// Pays up to `MaxPaidPerBlock` of the day's workers, each `providers × weight /
	/// total_weight` rounded down, to its owner. A worker no longer active, or with a
	/// violation proven since its work was accepted, forfeits its share. Returns how many
	/// were handled.
	pub(crate) fn pay(mut payout: DayPayout) -> u32 {
		let mut handled = 0u32;
		for (worker, record) in
			Work::<T>::drain_prefix(payout.day).take(T::MaxPaidPerBlock::get() as usize)
		{
			handled.saturating_inc();
			let amount = multiply_by_rational_with_rounding(
				payout.providers,
				u128::from(record.weight),
				u128::from(payout.total_weight),
				Rounding::Down,
			)
			.unwrap_or(0);
			let owner = T::Workers::owner(&worker)
				.filter(|_| T::Workers::is_active(&worker))
				.filter(|_| T::Violations::violations(&worker) == record.violations);
			let minted = owner.as_ref().is_some_and(|owner| {
				amount.is_zero() || T::Currency::mint_into(owner, amount).is_ok()
			});
			match owner {
				Some(owner) if minted => {
					payout.paid.saturating_accrue(amount);
					Minted::<T>::mutate(|total| total.saturating_accrue(amount));
					Self::deposit_event(Event::Rewarded {
						day: payout.day,
						worker,
						owner,
						weight: record.weight,
						amount,
					});
				},
				_ => Self::deposit_event(Event::RewardForfeited {
					day: payout.day,
					worker,
					weight: record.weight,
					amount,
				}),
			}
		}
		payout.remaining = payout.remaining.saturating_sub(handled);
		if payout.remaining == 0 || handled < T::MaxPaidPerBlock::get() {
			Payout::<T>::kill();
			Self::deposit_event(Event::DayPaid {
				day: payout.day,
				paid: payout.paid,
				unpaid: payout.providers.saturating_sub(payout.paid),
			});
		} else {
			Payout::<T>::put(payout);
		}
		handled
	}

	/// Adds a finalized race's accepted weights to the current day's work.
	pub(crate) fn record_work(weights: &[(T::AccountId, u64)]) -> u32 {
		let day = CurrentDay::<T>::get();
		let mut total = DayWork::<T>::get(day);
		let mut recorded = 0u32;
		for (worker, weight) in weights.iter().filter(|(_, weight)| *weight > 0) {
			Work::<T>::mutate(day, worker, |entry| match entry {
				Some(record) => record.weight.saturating_accrue(*weight),
				None => {
					*entry = Some(WorkRecord {
						weight: *weight,
						violations: T::Violations::violations(worker),
					});
					total.workers.saturating_inc();
				},
			});
			total.weight.saturating_accrue(*weight);
			recorded.saturating_inc();
		}
		DayWork::<T>::insert(day, total);
		recorded
	}

	/// The validators' pot, emptied: staking's era payout (the runtime's `EraPayout`). The
	/// pot is already counted in [`Minted`]; staking mints it as validators claim it.
	pub fn take_validator_pot() -> Balance {
		let amount = ValidatorPot::<T>::take();
		if !amount.is_zero() {
			Self::deposit_event(Event::ValidatorsPaid { amount });
		}
		amount
	}

	pub(crate) fn do_set_training_share(share: Perbill) -> DispatchResult {
		let year = year_of_day(Self::day_of(frame_system::Pallet::<T>::block_number()));
		ensure!(year > TRAINING_SHARE_FIXED_YEARS, Error::<T>::TrainingShareFixed);
		Self::ensure_within_whole(share, ValidatorShare::<T>::get())?;
		TrainingShare::<T>::put(share);
		Self::deposit_event(Event::TrainingShareSet { share });
		Ok(())
	}

	pub(crate) fn do_set_validator_share(share: Perbill) -> DispatchResult {
		ensure!(share <= T::MaxValidatorShare::get(), Error::<T>::ValidatorShareTooHigh);
		Self::ensure_within_whole(TrainingShare::<T>::get(), share)?;
		ValidatorShare::<T>::put(share);
		Self::deposit_event(Event::ValidatorShareSet { share });
		Ok(())
	}

	fn ensure_within_whole(training: Perbill, validators: Perbill) -> DispatchResult {
		let sum = training.deconstruct().saturating_add(validators.deconstruct());
		ensure!(sum <= Perbill::one().deconstruct(), Error::<T>::SharesAboveWhole);
		Ok(())
	}

	pub(crate) fn do_grant(beneficiary: T::AccountId, amount: Balance) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroGrant);
		let fund = T::TrainingFundAccount::get();
		ensure!(
			T::Currency::reducible_balance(
				&fund,
				Preservation::Expendable,
				frame_support::traits::tokens::Fortitude::Polite
			) >= amount,
			Error::<T>::InsufficientTrainingFund
		);
		T::Currency::transfer(&fund, &beneficiary, amount, Preservation::Expendable)?;
		Self::deposit_event(Event::TrainingGranted { beneficiary, amount });
		Ok(())
	}

	/// Invariants: at most 600M minted; a payout in progress owes no more than was issued;
	/// each day's work total is the sum of its entries.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		ensure!(Minted::<T>::get() <= MINTABLE, "minted beyond the 600M");
		if let Some(payout) = Payout::<T>::get() {
			ensure!(payout.paid <= payout.providers, "paid beyond the providers' reward");
			ensure!(
				Minted::<T>::get().saturating_add(payout.providers.saturating_sub(payout.paid))
					<= MINTABLE,
				"a payout would pass the 600M"
			);
		}
		for (day, total) in DayWork::<T>::iter() {
			let (mut weight, mut workers) = (0u64, 0u32);
			for (_, record) in Work::<T>::iter_prefix(day) {
				weight.saturating_accrue(record.weight);
				workers.saturating_inc();
			}
			ensure!(weight == total.weight, "a day's work total is not its entries' sum");
			ensure!(workers == total.workers, "a day's worker count is not its entries'");
		}
		Ok(())
	}
}

/// The log target of this pallet.
pub(crate) const LOG_TARGET: &str = "runtime::issuance";

impl<T: Config> OnWeightsAccepted<T::AccountId> for Pallet<T> {
	fn weights_accepted(_race: RaceIndex, weights: &[(T::AccountId, u64)]) -> Weight {
		let recorded = Self::record_work(weights);
		T::WeightInfo::weights_accepted(recorded)
	}
}

impl<T: Config> SettlementRevenue<T::AccountId, Balance> for Pallet<T> {
	fn training_fund() -> Option<(T::AccountId, Perbill)> {
		Some((T::TrainingFundAccount::get(), TrainingShare::<T>::get()))
	}

	fn batch_paid(fees: Balance) {
		DayFees::<T>::mutate(|day| day.saturating_accrue(fees));
	}

	fn paid_weight() -> Weight {
		T::WeightInfo::batch_paid()
	}
}
