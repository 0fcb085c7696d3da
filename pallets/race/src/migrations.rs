//! Storage migrations of pallet-race.
//!
//! Every change to the layout of stored data bumps the pallet's `STORAGE_VERSION` and adds a
//! module here with the old types, a `VersionedMigration` (it runs once, only from the
//! version it names, and sets the new version) and tests that decode storage written in the
//! old layout. The runtime lists the migration in its `Migrations` until every live chain has
//! run it (see `docs/governance.md`, "Runtime upgrades").

/// Version 1: the phases (commit, reveal, validation) and the hit fees, which were the
/// constants `CommitPeriod`, `RevealPeriod`, `ValidationPeriod`, `NonceFeeBase` and
/// `NonceFeeStep`, are fields of `RaceParams`, so governance sets them with the rest.
/// Migrating appends them to the stored `Params` and to the running race's copy, taking their
/// values from `DefaultParams` — which a runtime sets to the old constants' values.
pub mod v1 {
	use crate::{Config, CurrentRace, Pallet, Params, Race, RaceIndex, RaceParams};
	use ail2_primitives::{race::RaceModel, Hash};
	use codec::{Decode, Encode};
	use core::marker::PhantomData;
	use frame_support::{
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};
	use frame_system::pallet_prelude::BlockNumberFor;
	use sp_runtime::FixedU64;

	/// `RaceParams` as version 0 stored it.
	#[derive(Clone, Copy, PartialEq, Eq, Debug, Encode, Decode)]
	pub struct RaceParamsV0 {
		pub model: RaceModel,
		pub distance_threshold: FixedU64,
		pub window: u32,
		pub sample_size: u32,
		pub max_mismatches: u32,
		pub max_nonces: u32,
	}

	impl RaceParamsV0 {
		/// The version-1 parameters: these, with `defaults`' phases and fees.
		pub fn upgraded(self, defaults: &RaceParams) -> RaceParams {
			RaceParams {
				model: self.model,
				distance_threshold: self.distance_threshold,
				window: self.window,
				sample_size: self.sample_size,
				max_mismatches: self.max_mismatches,
				max_nonces: self.max_nonces,
				..*defaults
			}
		}
	}

	/// `Race` as version 0 stored it.
	#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode)]
	pub struct RaceV0<BlockNumber> {
		pub index: RaceIndex,
		pub params: RaceParamsV0,
		pub started: BlockNumber,
		pub reveal_from: BlockNumber,
		pub window_from: BlockNumber,
		pub validation_from: BlockNumber,
		pub ends: BlockNumber,
		pub seed: Option<Hash>,
		pub sample_seed: Option<Hash>,
	}

	/// What `pre_upgrade` hands `post_upgrade`: the version-0 values, to compare.
	#[derive(Encode, Decode)]
	pub struct Snapshot<BlockNumber> {
		pub params: Option<RaceParamsV0>,
		pub race: Option<RaceV0<BlockNumber>>,
	}

	/// Rewrites `Params` and `CurrentRace` in the version-1 layout. Use `MigrateToV1`, which
	/// runs this only on a chain at version 0.
	pub struct InnerMigrateToV1<T>(PhantomData<T>);

	impl<T: Config> InnerMigrateToV1<T> {
		/// The version-0 values as they are stored now.
		pub fn snapshot() -> Snapshot<BlockNumberFor<T>> {
			Snapshot {
				params: frame_support::storage::unhashed::get(&Params::<T>::hashed_key()),
				race: frame_support::storage::unhashed::get(&CurrentRace::<T>::hashed_key()),
			}
		}

		/// Whether storage now holds `before` in the version-1 layout, and valid parameters.
		pub fn check(before: Snapshot<BlockNumberFor<T>>) -> Result<(), &'static str> {
			let defaults = T::DefaultParams::get();
			if let Some(old) = before.params {
				if Params::<T>::get() != old.upgraded(&defaults) {
					return Err("Params lost a value");
				}
			}
			Pallet::<T>::check_params(&Params::<T>::get()).map_err(|_| "invalid Params")?;
			match (before.race, CurrentRace::<T>::get()) {
				(None, None) => Ok(()),
				(Some(old), Some(new)) if new == upgraded_race(old.clone(), &defaults) => Ok(()),
				_ => Err("CurrentRace changed"),
			}
		}
	}

	fn upgraded_race<B>(old: RaceV0<B>, defaults: &RaceParams) -> Race<B> {
		Race {
			index: old.index,
			params: old.params.upgraded(defaults),
			started: old.started,
			reveal_from: old.reveal_from,
			window_from: old.window_from,
			validation_from: old.validation_from,
			ends: old.ends,
			seed: old.seed,
			sample_seed: old.sample_seed,
		}
	}

	impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateToV1<T> {
		fn on_runtime_upgrade() -> Weight {
			let defaults = T::DefaultParams::get();
			let mut writes: u64 = 0;
			// A value that does not decode in the old layout is left alone: `Params` then
			// reads as the defaults, and `post_upgrade` reports it.
			if let Ok(Some(old)) = Params::<T>::translate(|old: Option<RaceParamsV0>| {
				old.map(|old| old.upgraded(&defaults))
			}) {
				log::info!(target: "runtime::race", "migrated Params: {old:?}");
				writes = writes.saturating_add(1);
			}
			if let Ok(Some(race)) = CurrentRace::<T>::translate(|old: Option<RaceV0<_>>| {
				old.map(|old| upgraded_race(old, &defaults))
			}) {
				log::info!(target: "runtime::race", "migrated CurrentRace {}", race.index);
				writes = writes.saturating_add(1);
			}
			T::DbWeight::get().reads_writes(2, writes)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
			Ok(Self::snapshot().encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let before = Snapshot::decode(&mut &state[..])
				.map_err(|_| sp_runtime::TryRuntimeError::Other("undecodable snapshot"))?;
			Self::check(before).map_err(sp_runtime::TryRuntimeError::Other)
		}
	}

	/// Migrates a chain at storage version 0 to 1; a no-op (one read) on any other.
	pub type MigrateToV1<T> = frame_support::migrations::VersionedMigration<
		0,
		1,
		InnerMigrateToV1<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;

	#[cfg(test)]
	mod tests {
		use super::*;
		use crate::mock::*;
		use frame_support::traits::{OnRuntimeUpgrade, StorageVersion};

		fn v0(params: RaceParams) -> RaceParamsV0 {
			RaceParamsV0 {
				model: params.model,
				distance_threshold: params.distance_threshold,
				window: params.window,
				sample_size: params.sample_size,
				max_mismatches: params.max_mismatches,
				max_nonces: params.max_nonces,
			}
		}

		/// Storage as a version-0 runtime left it: governance's parameters (sample size 5)
		/// and a running race with the defaults'.
		fn write_v0() -> (RaceParamsV0, RaceV0<u64>) {
			let governed = RaceParamsV0 { sample_size: 5, ..v0(params()) };
			let race = RaceV0 {
				index: 3,
				params: v0(params()),
				started: 120,
				reveal_from: 123,
				window_from: 126,
				validation_from: 136,
				ends: 141,
				seed: Some([7; 32]),
				sample_seed: None,
			};
			frame_support::storage::unhashed::put(&Params::<Test>::hashed_key(), &governed);
			frame_support::storage::unhashed::put(&CurrentRace::<Test>::hashed_key(), &race);
			StorageVersion::new(0).put::<Pallet<Test>>();
			(governed, race)
		}

		#[test]
		fn version_0_params_and_race_gain_the_default_phases_and_fees() {
			new_test_ext().execute_with(|| {
				let (governed, race) = write_v0();
				let before = InnerMigrateToV1::<Test>::snapshot();

				MigrateToV1::<Test>::on_runtime_upgrade();

				assert_eq!(StorageVersion::get::<Pallet<Test>>(), 1);
				let migrated = Params::<Test>::get();
				assert_eq!(migrated.sample_size, 5, "governance's value is kept");
				assert_eq!(migrated, governed.upgraded(&params_default()));
				assert_eq!(
					(migrated.commit, migrated.reveal, migrated.validation),
					(COMMIT as u32, REVEAL as u32, VALIDATION as u32)
				);
				assert_eq!(
					(migrated.nonce_fee_base, migrated.nonce_fee_step),
					(FEE_BASE, FEE_STEP)
				);
				let running = CurrentRace::<Test>::get().expect("the race survives");
				assert_eq!((running.index, running.ends, running.seed), (3, 141, race.seed));
				assert_eq!(running.params, params());
				assert_eq!(InnerMigrateToV1::<Test>::check(before), Ok(()));
			});
		}

		#[test]
		fn the_migration_runs_once() {
			new_test_ext().execute_with(|| {
				write_v0();
				MigrateToV1::<Test>::on_runtime_upgrade();
				let migrated = (Params::<Test>::get(), CurrentRace::<Test>::get());
				let weight = MigrateToV1::<Test>::on_runtime_upgrade();
				let db: frame_support::weights::RuntimeDbWeight =
					<Test as frame_system::Config>::DbWeight::get();
				assert_eq!(weight, db.reads(1));
				assert_eq!((Params::<Test>::get(), CurrentRace::<Test>::get()), migrated);
			});
		}

		#[test]
		fn a_chain_at_version_1_keeps_its_storage() {
			new_test_ext().execute_with(|| {
				StorageVersion::new(1).put::<Pallet<Test>>();
				let mut changed = params();
				changed.nonce_fee_base = 99;
				Params::<Test>::put(changed);
				MigrateToV1::<Test>::on_runtime_upgrade();
				assert_eq!(Params::<Test>::get(), changed);
			});
		}

		#[test]
		fn the_check_catches_a_lost_value() {
			new_test_ext().execute_with(|| {
				write_v0();
				let before = InnerMigrateToV1::<Test>::snapshot();
				MigrateToV1::<Test>::on_runtime_upgrade();
				Params::<Test>::mutate(|p| p.sample_size = 6);
				assert_eq!(InnerMigrateToV1::<Test>::check(before), Err("Params lost a value"));
			});
		}

		fn params_default() -> RaceParams {
			<Test as Config>::DefaultParams::get()
		}
	}
}
