//! Storage migrations of pallet-models.

/// Version 1: the revenue-split bounds became a governance-set storage value (`Params`).
pub mod v1 {
	use crate::{Config, Pallet, Params};
	use core::marker::PhantomData;
	use frame_support::{
		ensure,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};
	#[cfg(feature = "try-runtime")]
	use {alloc::vec::Vec, codec::Decode, codec::Encode};

	/// Writes `DefaultParams` into `Params` on a chain at storage version 0, then sets
	/// version 1; does nothing (one read) on a chain already at version 1.
	pub type MigrateToV1<T> = frame_support::migrations::VersionedMigration<
		0,
		1,
		InnerMigrateToV1<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;

	/// The unversioned step of [`MigrateToV1`]: keeps bounds already set, writes the defaults
	/// otherwise.
	pub struct InnerMigrateToV1<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateToV1<T> {
		fn on_runtime_upgrade() -> Weight {
			if !Params::<T>::exists() {
				Params::<T>::put(T::DefaultParams::get());
			}
			T::DbWeight::get().reads_writes(1, 1)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
			Ok(params_existed::<T>().encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let existed = bool::decode(&mut state.as_slice())
				.map_err(|_| sp_runtime::TryRuntimeError::Other("undecodable pre-upgrade state"))?;
			check_migrated::<T>(existed)
		}
	}

	/// What `pre_upgrade` records: whether `Params` was already in storage.
	pub fn params_existed<T: Config>() -> bool {
		Params::<T>::exists()
	}

	/// What `post_upgrade` checks: `Params` is in storage and within bounds, and holds
	/// `DefaultParams` if it was not there before (`existed`, from `pre_upgrade`).
	pub fn check_migrated<T: Config>(existed: bool) -> Result<(), sp_runtime::TryRuntimeError> {
		ensure!(Params::<T>::exists(), "Params missing after MigrateToV1");
		ensure!(
			existed || Params::<T>::get() == T::DefaultParams::get(),
			"MigrateToV1 did not write DefaultParams"
		);
		Pallet::<T>::check_params(&Params::<T>::get())
			.map_err(|_| "Params out of bounds after MigrateToV1")?;
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	#![allow(clippy::unwrap_used, clippy::expect_used)]

	use super::v1::{check_migrated, params_existed, MigrateToV1};
	use crate::{mock::*, Params, RevenueSplitBounds};
	use frame_support::{
		traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion},
		weights::RuntimeDbWeight,
	};
	use sp_runtime::Perbill;

	fn db() -> RuntimeDbWeight {
		<Test as frame_system::Config>::DbWeight::get()
	}

	/// Puts the chain back where it was before the bounds were parameters.
	fn at_v0() {
		StorageVersion::new(0).put::<Models>();
		Params::<Test>::kill();
	}

	#[test]
	fn writes_the_defaults_and_sets_version_1() {
		run(|| {
			at_v0();
			assert!(!params_existed::<Test>());
			let weight = MigrateToV1::<Test>::on_runtime_upgrade();
			assert_eq!(weight, db().reads_writes(2, 2));
			assert!(Params::<Test>::exists());
			assert_eq!(Params::<Test>::get(), DefaultParams::get());
			assert_eq!(Models::on_chain_storage_version(), StorageVersion::new(1));
			assert!(check_migrated::<Test>(false).is_ok());
		});
	}

	#[test]
	fn a_second_run_does_nothing() {
		run(|| {
			at_v0();
			MigrateToV1::<Test>::on_runtime_upgrade();
			let set = RevenueSplitBounds {
				min_worker: Perbill::from_percent(55),
				..DefaultParams::get()
			};
			Params::<Test>::put(set);
			assert_eq!(MigrateToV1::<Test>::on_runtime_upgrade(), db().reads(1));
			assert_eq!(Params::<Test>::get(), set);
			assert_eq!(Models::on_chain_storage_version(), StorageVersion::new(1));
		});
	}

	#[test]
	fn bounds_already_set_are_kept() {
		run(|| {
			at_v0();
			let set = RevenueSplitBounds {
				max_model_owner: Perbill::from_percent(25),
				..DefaultParams::get()
			};
			Params::<Test>::put(set);
			assert!(params_existed::<Test>());
			MigrateToV1::<Test>::on_runtime_upgrade();
			assert_eq!(Params::<Test>::get(), set);
			assert_eq!(Models::on_chain_storage_version(), StorageVersion::new(1));
			assert!(check_migrated::<Test>(true).is_ok());
		});
	}
}
