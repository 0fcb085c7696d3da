//! The slash formula, the decay of records and the implementations of the traits other
//! pallets report through.

use crate::*;
use ail2_primitives::fixed::exp_neg;
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_workers::{WorkerInspect, WorkerPenalty};
use sp_runtime::{
	traits::{Saturating, UniqueSaturatedInto, Zero},
	DispatchError, FixedPointNumber, FixedU128, Perbill,
};

fn to_perbill(x: FixedU128) -> Perbill {
	if x >= FixedU128::one() {
		Perbill::one()
	} else {
		// x < 1, so inner < 10^18 and inner / 10^9 < 10^9 fits the parts.
		let parts = x.into_inner() / 1_000_000_000;
		Perbill::from_parts(parts.unique_saturated_into())
	}
}

impl<T: Config> Pallet<T> {
	/// A record decayed to block `now`: `effective · e^(−(now − updated_at)/τ)`.
	pub fn decayed(record: &RecordOf<T>, now: BlockNumberFor<T>) -> FixedU128 {
		let elapsed: u128 = now.saturating_sub(record.updated_at).unique_saturated_into();
		let tau: u128 = T::DecayTime::get().unique_saturated_into();
		let exponent = FixedU128::checked_from_rational(elapsed, tau).unwrap_or(FixedU128::zero());
		record.effective.saturating_mul(exp_neg(exponent))
	}

	/// `SlashRate = BaseRate × SeverityMultiplier × RepeatMultiplier`, kept inside the
	/// violation's range of §8.4, where `RepeatMultiplier = 1 + RepeatStep × prior` and
	/// `prior` is the offender's effective violations before this one.
	pub fn slash_rate(violation: Violation, prior: FixedU128) -> Perbill {
		let repeat = FixedU128::one().saturating_add(T::RepeatStep::get().saturating_mul(prior));
		let rate = FixedU128::from_perbill(T::BaseRate::get())
			.saturating_mul(FixedU128::from_u32(violation.severity()))
			.saturating_mul(repeat);
		let (lowest, highest) = violation.range();
		to_perbill(rate).max(lowest).min(highest)
	}

	/// `SlashAmount = min(Stake × SlashRate, MaxSlash)`; a malicious image takes all.
	pub fn slash_amount(violation: Violation, stake: T::Balance, rate: Perbill) -> T::Balance {
		let amount = rate.mul_floor(stake);
		if violation == Violation::MaliciousImage {
			amount
		} else {
			amount.min(T::MaxSlash::get())
		}
	}

	/// `min(BountyShare × slashed, MaxBounty, cap)`.
	pub fn bounty(slashed: T::Balance, cap: T::Balance) -> T::Balance {
		T::BountyShare::get().mul_floor(slashed).min(T::MaxBounty::get()).min(cap)
	}

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

		let rate = Self::slash_rate(violation, prior);
		let amount = Self::slash_amount(violation, T::Workers::slashable_stake(offender), rate);
		let bounty = match reporter {
			Some(to) if to != offender => {
				let bounty = Self::bounty(amount, bounty_cap);
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
		} else if effective_violations >= T::SuspendThreshold::get() {
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

	/// Invariants: every record has at least one violation, and its effective count never
	/// exceeds the undecayed total.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
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
}
