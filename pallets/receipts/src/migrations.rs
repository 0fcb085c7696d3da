//! Storage migrations of pallet-receipts.

/// Version 1: the challenge window, withdrawal delay and gateway-key revocation delay
/// moved from `Config` constants to the `Params` storage value governance sets.
pub mod v1 {
	use crate::{Config, Pallet, Params};
	use core::marker::PhantomData;
	use frame_support::{
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};

	/// Writes `DefaultParams` into `Params` on a chain at storage version 0, then sets
	/// version 1; does nothing (one read) on a chain already at 1.
	pub type MigrateToV1<T> = frame_support::migrations::VersionedMigration<
		0,
		1,
		InnerMigrateToV1<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;

	/// The unversioned step of [`MigrateToV1`]: stores `DefaultParams` unless `Params` is
	/// already stored. Use it only through `MigrateToV1`.
	pub struct InnerMigrateToV1<T>(PhantomData<T>);

	impl<T: Config> InnerMigrateToV1<T> {
		/// What `pre_upgrade` records: whether `Params` was stored before the upgrade.
		pub fn params_stored() -> bool {
			Params::<T>::exists()
		}

		/// What `post_upgrade` checks: `Params` is stored and within the bounds
		/// `set_params` checks.
		pub fn check_migrated() -> Result<(), &'static str> {
			if !Params::<T>::exists() {
				return Err("Params not stored after MigrateToV1");
			}
			Pallet::<T>::check_params(&Params::<T>::get())
				.map_err(|_| "Params after MigrateToV1 out of bounds")
		}
	}

	impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateToV1<T> {
		fn on_runtime_upgrade() -> Weight {
			if !Params::<T>::exists() {
				Params::<T>::put(T::DefaultParams::get());
			}
			T::DbWeight::get().reads_writes(1, 1)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
			use codec::Encode;
			Ok(Self::params_stored().encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(
			_stored_before: alloc::vec::Vec<u8>,
		) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::check_migrated().map_err(Into::into)
		}
	}
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
	use super::v1::{InnerMigrateToV1, MigrateToV1};
	use crate::{mock::*, Params};
	use frame_support::{
		traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion},
		weights::constants::RocksDbWeight,
	};

	/// A chain that ran the pallet before its parameters were storage: version 0, no
	/// `Params`.
	fn before_v1() {
		StorageVersion::new(0).put::<Receipts>();
		Params::<Test>::kill();
		assert!(!InnerMigrateToV1::<Test>::params_stored());
	}

	#[test]
	fn writes_the_defaults_and_version_1() {
		run(|| {
			before_v1();
			let weight = MigrateToV1::<Test>::on_runtime_upgrade();
			assert!(Params::<Test>::exists());
			assert_eq!(Params::<Test>::get(), DefaultParams::get());
			assert_eq!(Receipts::on_chain_storage_version(), StorageVersion::new(1));
			// The inner step's read and write, and the version's.
			assert_eq!(weight, RocksDbWeight::get().reads_writes(2, 2));
			assert_eq!(InnerMigrateToV1::<Test>::check_migrated(), Ok(()));
		});
	}

	#[test]
	fn a_second_run_does_nothing() {
		run(|| {
			before_v1();
			MigrateToV1::<Test>::on_runtime_upgrade();
			let mut params = DefaultParams::get();
			params.withdrawal_delay += 1;
			Params::<Test>::put(params);
			let weight = MigrateToV1::<Test>::on_runtime_upgrade();
			assert_eq!(weight, RocksDbWeight::get().reads(1));
			assert_eq!(Params::<Test>::get(), params);
			assert_eq!(Receipts::on_chain_storage_version(), StorageVersion::new(1));
		});
	}

	#[test]
	fn params_already_set_are_kept() {
		run(|| {
			let mut params = DefaultParams::get();
			params.challenge_window.base += 5;
			Params::<Test>::put(params);
			StorageVersion::new(0).put::<Receipts>();
			assert!(InnerMigrateToV1::<Test>::params_stored());
			MigrateToV1::<Test>::on_runtime_upgrade();
			assert_eq!(Params::<Test>::get(), params);
			assert_eq!(Receipts::on_chain_storage_version(), StorageVersion::new(1));
			assert_eq!(InnerMigrateToV1::<Test>::check_migrated(), Ok(()));
		});
	}

	#[test]
	fn the_post_upgrade_check_refuses_missing_params() {
		run(|| {
			before_v1();
			assert!(InnerMigrateToV1::<Test>::check_migrated().is_err());
		});
	}
}
