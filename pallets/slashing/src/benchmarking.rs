//! Benchmarks of every call, each in its worst case.

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::{EnsureOrigin, Get};
use frame_system::RawOrigin;
use pallet_workers::WorkerInspect;
use sp_runtime::traits::Zero;
use sp_runtime::FixedU128;

#[benchmarks]
mod benches {
	use super::*;

	/// A repeat offence with a reporter: decay, two slashes (bounty and treasury), record,
	/// reputation and a ban.
	#[benchmark]
	fn report() {
		let worker = T::BenchmarkHelper::staked_worker(0);
		let reporter: T::AccountId = account("reporter", 0, 0);
		Records::<T>::insert(
			&worker,
			ViolationRecord {
				effective: FixedU128::from_u32(1),
				updated_at: 0u32.into(),
				total: 1,
			},
		);
		frame_system::Pallet::<T>::set_block_number(100u32.into());

		#[extrinsic_call]
		_(RawOrigin::Root, worker.clone(), Violation::MaliciousImage, [7; 32], Some(reporter));

		assert!(T::Workers::slashable_stake(&worker).is_zero());
		assert_eq!(Records::<T>::get(&worker).map(|r| r.total), Some(2));
	}

	#[benchmark]
	fn clear_record() {
		let worker = T::BenchmarkHelper::staked_worker(0);
		Records::<T>::insert(
			&worker,
			ViolationRecord {
				effective: FixedU128::from_u32(1),
				updated_at: 0u32.into(),
				total: 1,
			},
		);

		#[extrinsic_call]
		_(RawOrigin::Root, worker.clone());

		assert!(!Records::<T>::contains_key(&worker));
	}

	#[benchmark]
	fn set_params() -> Result<(), BenchmarkError> {
		let origin =
			T::ParamsOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let mut params = Params::<T>::get();
		params.bounty_share = T::MaxBountyShare::get();

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, params);

		assert_eq!(Params::<T>::get(), params);
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
