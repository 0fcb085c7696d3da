//! Storage migrations of pallet-slashing.

/// Version 1: the slash and bounty parameters moved from `Config` constants to the
/// [`Params`](crate::Params) storage value that governance sets.
pub mod v1 {
	use crate::{Config, Pallet, Params};
	use core::marker::PhantomData;
	use frame_support::{
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};

	/// Writes `T::DefaultParams` into [`Params`] once, on a chain at storage version 0.
	pub type MigrateToV1<T> = frame_support::migrations::VersionedMigration<
		0,
		1,
		InnerMigrateToV1<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;

	/// The migration without its version check; use [`MigrateToV1`].
	pub struct InnerMigrateToV1<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateToV1<T> {
		fn on_runtime_upgrade() -> Weight {
			migrate::<T>();
			T::DbWeight::get().reads_writes(1, 1)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
			use codec::Encode;
			Ok(Params::<T>::exists().encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			use codec::Decode;
			let existed = bool::decode(&mut state.as_slice())
				.map_err(|_| sp_runtime::TryRuntimeError::Other("undecodable pre-upgrade state"))?;
			log::info!(
				target: "runtime::slashing",
				"MigrateToV1: {}",
				if existed { "Params were stored already, kept" } else { "wrote DefaultParams" }
			);
			check::<T>().map_err(sp_runtime::TryRuntimeError::Other)
		}
	}

	/// Puts the defaults into [`Params`] unless a value is stored there already.
	pub(crate) fn migrate<T: Config>() {
		if !Params::<T>::exists() {
			Params::<T>::put(T::DefaultParams::get());
		}
	}

	/// What the migration leaves: [`Params`] stored, and inside the bounds.
	#[cfg(any(feature = "try-runtime", test))]
	pub(crate) fn check<T: Config>() -> Result<(), &'static str> {
		if !Params::<T>::exists() {
			return Err("Params not stored after MigrateToV1");
		}
		Pallet::<T>::check_params(&Params::<T>::get())
			.map_err(|_| "Params outside the bounds after MigrateToV1")
	}

	#[cfg(test)]
	mod tests {
		#![allow(clippy::unwrap_used, clippy::expect_used)]

		use super::*;
		use crate::{mock::*, SlashingParams};
		use frame_support::{
			traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion},
			weights::constants::RocksDbWeight,
		};
		use sp_runtime::{FixedU128, Perbill};

		/// A chain that ran the pallet before its parameters were storage.
		fn version_0_chain() {
			StorageVersion::new(0).put::<Pallet<Test>>();
			Params::<Test>::kill();
		}

		#[test]
		fn writes_the_defaults_and_bumps_the_version() {
			run(|| {
				version_0_chain();
				assert!(!Params::<Test>::exists());

				let weight = MigrateToV1::<Test>::on_runtime_upgrade();

				assert_eq!(Params::<Test>::get(), DefaultSlashingParams::get());
				assert!(Params::<Test>::exists());
				assert_eq!(Pallet::<Test>::on_chain_storage_version(), 1);
				assert!(weight.all_gte(RocksDbWeight::get().reads_writes(2, 2)));
				assert_eq!(check::<Test>(), Ok(()));
			});
		}

		#[test]
		fn a_second_run_does_nothing() {
			run(|| {
				version_0_chain();
				MigrateToV1::<Test>::on_runtime_upgrade();
				let stored = Params::<Test>::get();
				Params::<Test>::put(SlashingParams { max_bounty: 1, ..stored });

				let weight = MigrateToV1::<Test>::on_runtime_upgrade();

				assert_eq!(weight, RocksDbWeight::get().reads(1));
				assert_eq!(Params::<Test>::get().max_bounty, 1);
				assert_eq!(Pallet::<Test>::on_chain_storage_version(), 1);
			});
		}

		#[test]
		fn params_already_set_are_kept() {
			run(|| {
				let set = SlashingParams {
					base_rate: Perbill::from_percent(20),
					repeat_step: FixedU128::from_u32(1),
					max_slash: 10_000,
					bounty_share: Perbill::from_percent(5),
					max_bounty: 500,
					suspend_threshold: FixedU128::from_u32(2),
				};
				StorageVersion::new(0).put::<Pallet<Test>>();
				Params::<Test>::put(set);

				MigrateToV1::<Test>::on_runtime_upgrade();

				assert_eq!(Params::<Test>::get(), set);
				assert_eq!(Pallet::<Test>::on_chain_storage_version(), 1);
				assert_eq!(check::<Test>(), Ok(()));
			});
		}

		#[test]
		fn check_refuses_a_chain_without_params() {
			run(|| {
				Params::<Test>::kill();
				assert!(check::<Test>().is_err());
			});
		}
	}
}
