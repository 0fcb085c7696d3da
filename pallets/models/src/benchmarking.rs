//! Benchmarks of every call and of the epoch price, each in its worst case.

use super::*;
use crate::Pallet as Models;
use ail2_primitives::receipt::SemVer;
use alloc::vec;
use frame_benchmarking::v2::*;
use frame_support::{pallet_prelude::*, traits::fungible::Mutate};
use frame_system::RawOrigin;
use pallet_workers::GeoPoint;
use sp_runtime::traits::Saturating;

const SEED: u32 = 0;

fn funded<T: Config>() -> T::AccountId {
	let who: T::AccountId = account("developer", 0, SEED);
	T::Currency::set_balance(&who, T::ModelDeposit::get().saturating_mul(1_000u32.into()));
	who
}

/// The largest metadata: the example model with every region slot used.
fn metadata() -> ContainerMetadata {
	let region = Region { center: GeoPoint { lat_micro_deg: 1, lon_micro_deg: 1 }, radius_km: 500 };
	let example = fixtures::metadata();
	ContainerMetadata {
		constraints: Constraints {
			allowed_regions: BoundedVec::truncate_from(vec![
				region;
				<MaxRegions as Get<u32>>::get()
					as usize
			]),
			..example.constraints
		},
		..example
	}
}

fn longest_name() -> BoundedVec<u8, MaxNameLen> {
	BoundedVec::truncate_from(vec![b'm'; <MaxNameLen as Get<u32>>::get() as usize])
}

const V1: SemVer = SemVer::new(1, 0, 0);

fn proposed<T: Config>(owner: &T::AccountId) -> ModelId {
	let id = NextModelId::<T>::get();
	assert!(Models::<T>::do_register_model(owner.clone(), longest_name(), V1, metadata()).is_ok());
	id
}

fn active<T: Config>(owner: &T::AccountId) -> ModelId {
	let id = proposed::<T>(owner);
	assert!(Models::<T>::do_decide_model(id, true).is_ok());
	assert!(Models::<T>::do_activate_model(owner.clone(), id).is_ok());
	id
}

/// Fills a model with all but one of its version slots.
fn with_versions<T: Config>(owner: &T::AccountId, id: ModelId) {
	for minor in 1..<MaxVersions as Get<u32>>::get().saturating_sub(1) {
		let v = SemVer::new(1, minor as u16, 0);
		assert!(Models::<T>::do_propose_version(owner.clone(), id, v, metadata()).is_ok());
	}
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_model() {
		let owner = funded::<T>();

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), longest_name(), V1, metadata());

		assert!(crate::pallet::Models::<T>::contains_key(0));
	}

	#[benchmark]
	fn approve_model() -> Result<(), BenchmarkError> {
		let owner = funded::<T>();
		let id = proposed::<T>(&owner);
		let origin =
			T::ApproveOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, id);

		assert_eq!(
			crate::pallet::Models::<T>::get(id).map(|m| m.status),
			Some(ModelStatus::Approved)
		);
		Ok(())
	}

	#[benchmark]
	fn reject_model() -> Result<(), BenchmarkError> {
		let owner = funded::<T>();
		let id = proposed::<T>(&owner);
		let origin =
			T::ApproveOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, id);

		assert_eq!(
			crate::pallet::Models::<T>::get(id).map(|m| m.status),
			Some(ModelStatus::Rejected)
		);
		Ok(())
	}

	#[benchmark]
	fn activate_model() {
		let owner = funded::<T>();
		let id = proposed::<T>(&owner);
		assert!(Models::<T>::do_decide_model(id, true).is_ok());

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id);

		assert_eq!(
			crate::pallet::Models::<T>::get(id).map(|m| m.status),
			Some(ModelStatus::Active)
		);
	}

	#[benchmark]
	fn deprecate_model() {
		let owner = funded::<T>();
		let id = active::<T>(&owner);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id);

		assert_eq!(
			crate::pallet::Models::<T>::get(id).map(|m| m.status),
			Some(ModelStatus::Deprecated)
		);
	}

	/// Worst case: the model has all but one version slot used (the highest-version scan
	/// reads them all).
	#[benchmark]
	fn propose_version() {
		let owner = funded::<T>();
		let id = active::<T>(&owner);
		with_versions::<T>(&owner, id);
		let version = SemVer::new(9, 0, 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id, version, metadata());

		assert!(Versions::<T>::contains_key(id, version));
	}

	#[benchmark]
	fn approve_version() -> Result<(), BenchmarkError> {
		let owner = funded::<T>();
		let id = active::<T>(&owner);
		let version = SemVer::new(2, 0, 0);
		assert!(Models::<T>::do_propose_version(owner, id, version, metadata()).is_ok());
		let origin =
			T::ApproveOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, id, version);

		assert_eq!(Versions::<T>::get(id, version).map(|v| v.status), Some(ModelStatus::Approved));
		Ok(())
	}

	#[benchmark]
	fn activate_version() {
		let owner = funded::<T>();
		let id = active::<T>(&owner);
		let version = SemVer::new(2, 0, 0);
		assert!(Models::<T>::do_propose_version(owner.clone(), id, version, metadata()).is_ok());
		assert!(Models::<T>::do_decide_version(id, version, true).is_ok());

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id, version);

		assert_eq!(crate::pallet::Models::<T>::get(id).map(|m| m.current), Some(version));
	}

	#[benchmark]
	fn set_params() -> Result<(), BenchmarkError> {
		let origin =
			T::ParamsOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let mut params = Params::<T>::get();
		// The highest cap the minimums allow, which `check_params` accepts.
		params.max_model_owner =
			sp_runtime::Perbill::one().saturating_sub(params.floors().unwrap_or_default());

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, params);

		assert_eq!(Params::<T>::get(), params);
		Ok(())
	}

	/// The epoch price over the most votes `T::PriceVotes` can report.
	#[benchmark]
	fn close_epoch() {
		T::BenchmarkHelper::fill_price_votes();
		let n = T::EpochLength::get();
		frame_system::Pallet::<T>::set_block_number(n);

		#[block]
		{
			Models::<T>::close_epoch(n);
		}
	}

	impl_benchmark_test_suite!(Models, crate::mock::new_test_ext(), crate::mock::Test);
}
