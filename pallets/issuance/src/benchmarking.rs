//! Benchmarks of every call and hook, each in its worst case.

use super::*;
use ail2_primitives::issuance::{COIN, MINTABLE};
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::traits::{
	fungible::{Inspect, Mutate},
	EnsureOrigin, Get,
};
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_race::OnWeightsAccepted;
use sp_runtime::{traits::Saturating, Perbill};

/// `n` active workers with weight in the current day.
fn workers_with_work<T: Config>(n: u32) -> Vec<(T::AccountId, u64)> {
	let weights: Vec<_> = (0..n)
		.map(|i| (T::BenchmarkHelper::active_worker(i), u64::from(i).saturating_add(1)))
		.collect();
	Pallet::<T>::record_work(&weights);
	weights
}

fn first_block_of<T: Config>(day: DayIndex) -> BlockNumberFor<T> {
	T::DayLength::get().saturating_mul(day.into())
}

#[benchmarks]
mod benches {
	use super::*;

	#[benchmark]
	fn set_training_share() -> Result<(), BenchmarkError> {
		let origin =
			T::ParamsOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		frame_system::Pallet::<T>::set_block_number(first_block_of::<T>(
			TRAINING_SHARE_FIXED_YEARS * 365,
		));
		let share = Perbill::from_percent(10);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, share);

		assert_eq!(TrainingShare::<T>::get(), share);
		Ok(())
	}

	#[benchmark]
	fn set_validator_share() -> Result<(), BenchmarkError> {
		let origin =
			T::ParamsOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let share = T::MaxValidatorShare::get();

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, share);

		assert_eq!(ValidatorShare::<T>::get(), share);
		Ok(())
	}

	#[benchmark]
	fn grant() -> Result<(), BenchmarkError> {
		let origin =
			T::GrantOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		T::Currency::mint_into(&T::TrainingFundAccount::get(), 1_000 * COIN)?;
		let beneficiary: T::AccountId = account("beneficiary", 0, 0);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, beneficiary.clone(), 10 * COIN);

		assert_eq!(T::Currency::balance(&beneficiary), 10 * COIN);
		Ok(())
	}

	/// A block inside a day with no payout running: two reads.
	#[benchmark]
	fn on_initialize_idle() {
		let now = first_block_of::<T>(0).saturating_add(1u32.into());

		#[block]
		{
			Pallet::<T>::advance(now);
		}

		assert_eq!(CurrentDay::<T>::get(), 0);
	}

	/// Closing a day whose fees cross every batch boundary left, with work to pay.
	#[benchmark]
	fn close_day() {
		workers_with_work::<T>(1);
		DayFees::<T>::put(MINTABLE);

		#[block]
		{
			Pallet::<T>::advance(first_block_of::<T>(1));
		}

		assert_eq!(CurrentDay::<T>::get(), 1);
		assert!(Payout::<T>::get().is_some());
	}

	/// Paying `n` workers of a closed day, each to an owner account that does not exist yet.
	#[benchmark]
	fn pay(n: Linear<1, { T::MaxPaidPerBlock::get() }>) {
		workers_with_work::<T>(n);
		Pallet::<T>::advance(first_block_of::<T>(1));
		let payout = Payout::<T>::get();

		#[block]
		{
			Pallet::<T>::advance(first_block_of::<T>(1).saturating_add(1u32.into()));
		}

		assert!(payout.is_some());
		assert_eq!(Work::<T>::iter_prefix(0).count(), 0);
	}

	/// Recording a race's accepted weights for `n` workers new to the day.
	#[benchmark]
	fn weights_accepted(n: Linear<1, 1_024>) {
		let weights: Vec<_> = (0..n)
			.map(|i| (T::BenchmarkHelper::active_worker(i), u64::from(i).saturating_add(1)))
			.collect();

		#[block]
		{
			<Pallet<T> as OnWeightsAccepted<_>>::weights_accepted(0, &weights);
		}

		assert_eq!(DayWork::<T>::get(0).workers, n);
	}

	#[benchmark]
	fn batch_paid() {
		DayFees::<T>::put(COIN);

		#[block]
		{
			<Pallet<T> as pallet_receipts::SettlementRevenue<_, _>>::batch_paid(COIN);
		}

		assert_eq!(DayFees::<T>::get(), 2 * COIN);
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
