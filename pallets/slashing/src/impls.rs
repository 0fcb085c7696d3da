//! The slash formula, the decay of records and the implementations of the traits other
//! pallets report through.

use crate::{types::to_perbill, *};
use ail2_primitives::fixed::exp_neg;
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_workers::{WorkerInspect, WorkerPenalty};
use sp_runtime::{
	traits::{Saturating, UniqueSaturatedInto, Zero},
	DispatchError, DispatchResult, FixedPointNumber, FixedU128, Perbill,
};

impl<T: Config> Pallet<T> {
	/// A record decayed to block `now`: `effective · e^(−(now − updated_at)/τ)`.
	pub fn decayed(record: &RecordOf<T>, now: BlockNumberFor<T>) -> FixedU128 {
		let elapsed: u128 = now.saturating_sub(record.updated_at).unique_saturated_into();
		let tau: u128 = T::DecayTime::get().unique_saturated_into();
		let exponent = FixedU128::checked_from_rational(elapsed, tau).unwrap_or(FixedU128::zero());
		record.effective.saturating_mul(exp_neg(exponent))
	}

	/// [`SlashingParams::slash_rate`] under the parameters in force.
	pub fn slash_rate(violation: Violation, prior: FixedU128) -> Perbill {
		Params::<T>::get().slash_rate(violation, prior)
	}

	/// [`SlashingParams::slash_amount`] under the parameters in force.
	pub fn slash_amount(violation: Violation, stake: T::Balance, rate: Perbill) -> T::Balance {
		Params::<T>::get().slash_amount(violation, stake, rate)
	}

	/// [`SlashingParams::bounty`] under the parameters in force.
	pub fn bounty(slashed: T::Balance, cap: T::Balance) -> T::Balance {
		Params::<T>::get().bounty(slashed, cap)
	}

	/// Whether `params` lie within the bounds governance may set: a slash cap, a bounty
	/// no larger than it and a share no larger than `MaxBountyShare`, a repeat step of at
	/// most `MaxRepeatStep` and a suspension threshold of at least one violation.
	pub fn check_params(params: &ParamsOf<T>) -> DispatchResult {
		ensure!(!params.max_slash.is_zero(), Error::<T>::ZeroMaxSlash);
		ensure!(params.max_bounty <= params.max_slash, Error::<T>::BountyAboveMaxSlash);
		ensure!(params.bounty_share <= T::MaxBountyShare::get(), Error::<T>::BountyShareTooHigh);
		ensure!(params.repeat_step <= T::MaxRepeatStep::get(), Error::<T>::RepeatStepTooHigh);
		ensure!(params.suspend_threshold >= FixedU128::one(), Error::<T>::SuspendThresholdBelowOne);
		Ok(())
	}

	/// Punishes one violation under the parameters in force, all at once: the rate, the
	/// slash and the bounty are computed and taken here, and the record keeps only the
	/// effective count, which no parameter enters. This is the snapshot: a violation
	/// already punished keeps what it was charged when parameters change, and new
	/// parameters apply from the next report. Likewise a lower `suspend_threshold`
	/// suspends a worker only at its next violation.
	pub(crate) fn punish(
		offender: &T::AccountId,
		violation: Violation,
		reporter: Option<&T::AccountId>,
		bounty_cap: T::Balance,
	) -> Result<SlashOutcome<T::Balance>, DispatchError> {
		ensure!(T::Workers::owner(offender).is_some(), Error::<T>::UnknownWorker);
		let now = frame_system::Pallet::<T>::block_number();
		let mut record = Records::<T>::get(offender).unwrap_or_default();
		let prior = Self::decayed(&record, now);

		let params = Params::<T>::get();
		let rate = params.slash_rate(violation, prior);
		let amount = params.slash_amount(violation, T::Workers::slashable_stake(offender), rate);
		let bounty = match reporter {
			Some(to) if to != offender => {
				let bounty = params.bounty(amount, bounty_cap);
				if bounty.is_zero() {
					bounty
				} else {
					T::Workers::slash(offender, bounty, to)?
				}
			},
			_ => Zero::zero(),
		};
		let rest = amount.saturating_sub(bounty);
		let to_treasury = if rest.is_zero() {
			rest
		} else {
			T::Workers::slash(offender, rest, &T::TreasuryAccount::get())?
		};

		record.effective = prior.saturating_add(FixedU128::one());
		record.updated_at = now;
		record.total = record.total.saturating_add(1);
		let effective_violations = record.effective;
		Records::<T>::insert(offender, record);

		T::Workers::reduce_reputation(offender, T::ReputationLoss::get());
		if violation == Violation::MaliciousImage {
			T::Workers::ban(offender)?;
		} else if effective_violations >= params.suspend_threshold {
			T::Workers::suspend(offender)?;
		}

		let slashed = bounty.saturating_add(to_treasury);
		Self::deposit_event(Event::Punished {
			offender: offender.clone(),
			violation,
			rate,
			slashed,
			bounty,
			reporter: reporter.cloned(),
			effective_violations,
		});
		Ok(SlashOutcome { rate, slashed, bounty })
	}

	/// Invariants: the parameters in force lie within their bounds, every record has at
	/// least one violation, and its effective count never exceeds the undecayed total.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		Self::check_params(&Params::<T>::get())?;
		for (_, record) in Records::<T>::iter() {
			ensure!(record.total > 0, "record without a violation");
			ensure!(
				record.effective <= FixedU128::from_u32(record.total),
				"effective violations above the total"
			);
		}
		Ok(())
	}
}

impl<T: Config> ReportViolation<T::AccountId, T::Balance> for Pallet<T> {
	fn report(
		offender: &T::AccountId,
		violation: Violation,
		reporter: Option<&T::AccountId>,
		bounty_cap: T::Balance,
	) -> Result<SlashOutcome<T::Balance>, DispatchError> {
		Self::punish(offender, violation, reporter, bounty_cap)
	}
}

impl<T: Config> ViolationInspect<T::AccountId> for Pallet<T> {
	fn effective_violations(who: &T::AccountId) -> FixedU128 {
		Records::<T>::get(who).map_or(FixedU128::zero(), |r| {
			Self::decayed(&r, frame_system::Pallet::<T>::block_number())
		})
	}

	fn penalty(who: &T::AccountId) -> Perbill {
		let exponent = T::PenaltySteepness::get().saturating_mul(Self::effective_violations(who));
		to_perbill(exp_neg(exponent))
	}

	fn violations(who: &T::AccountId) -> u32 {
		Records::<T>::get(who).map_or(0, |record| record.total)
	}
}
