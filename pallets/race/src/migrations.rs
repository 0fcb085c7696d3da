//! Storage migrations of pallet-race.
//!
//! Every change to the layout of stored data bumps the pallet's `STORAGE_VERSION` and adds a
//! module here with the old types, a migration that runs once (only from the versions it
//! names, setting the new version) and tests that decode storage written in the old layout.
//! The runtime lists the migration in its `Migrations` until every live chain has run it (see
//! `docs/governance.md`, "Runtime upgrades").

/// Version 2: every nonce counts. Work commitments (`Work`, `ParticipantAt`) replace hit
/// submissions (`Participants`, `Entries`, `Submissions`), assignments are drawn from the
/// `ValidatorPool` instead of stored, and `RaceParams` loses the distance threshold, the hit
/// cap and the per-hit fees and gains the artifact length, the tolerance, the commit interval
/// and the commitment fee.
///
/// From version 1 (or 0, whose `RaceParams` lacked the phases and fees) the governed values
/// that still mean the same — the model, the window, the sample size and, from version 1, the
/// three other phases — are kept and the rest taken from `DefaultParams`. A race running at
/// the upgrade is abandoned: its hits prove nothing under the new rule. Its storage is
/// cleared, it records no weights, and the next race starts at the next multiple of
/// `RacePeriod` with the next index, validated by the last finalized race's weights.
/// Version 1 replaced the v0 layout only one release earlier, so one migration serves both.
pub mod v2 {
	use crate::{Commitments, Committers, Config, CurrentRace, Pallet, Params, RaceParams, Votes};
	use ail2_primitives::race::RaceModel;
	use codec::{Decode, Encode};
	use core::marker::PhantomData;
	use frame_support::{
		storage::unhashed,
		traits::{Get, GetStorageVersion, OnRuntimeUpgrade, StorageVersion},
		weights::Weight,
	};
	use sp_runtime::FixedU64;

	/// Most keys of each removed map cleared in the upgrade block (the maps were bounded by
	/// `MaxParticipants` of the old runtime, 256).
	pub const CLEAR_LIMIT: u32 = 4_096;

	/// `RaceParams` as version 1 stored it.
	#[derive(Clone, Copy, PartialEq, Eq, Debug, Encode, Decode)]
	pub struct RaceParamsV1 {
		pub model: RaceModel,
		pub distance_threshold: FixedU64,
		pub window: u32,
		pub sample_size: u32,
		pub max_mismatches: u32,
		pub max_nonces: u32,
		pub commit: u32,
		pub reveal: u32,
		pub validation: u32,
		pub nonce_fee_base: u128,
		pub nonce_fee_step: u128,
	}

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

	/// The version-2 parameters from what a version-1 chain stored.
	pub fn from_v1(old: RaceParamsV1, defaults: &RaceParams) -> RaceParams {
		RaceParams {
			model: old.model,
			window: old.window,
			sample_size: old.sample_size,
			commit: old.commit,
			reveal: old.reveal,
			validation: old.validation,
			..*defaults
		}
	}

	/// The version-2 parameters from what a version-0 chain stored.
	pub fn from_v0(old: RaceParamsV0, defaults: &RaceParams) -> RaceParams {
		RaceParams {
			model: old.model,
			window: old.window,
			sample_size: old.sample_size,
			..*defaults
		}
	}

	/// The storage prefixes of the version-1 items this version removes.
	pub fn removed_prefixes(pallet: &[u8]) -> [[u8; 32]; 4] {
		["Participants", "Entries", "Submissions", "Assignments"]
			.map(|item| frame_support::storage::storage_prefix(pallet, item.as_bytes()))
	}

	/// Migrates a chain below storage version 2 to 2; a no-op (one read) on any other.
	pub struct MigrateToV2<T>(PhantomData<T>);

	impl<T: Config> OnRuntimeUpgrade for MigrateToV2<T> {
		fn on_runtime_upgrade() -> Weight {
			let db = T::DbWeight::get();
			let on_chain = Pallet::<T>::on_chain_storage_version();
			if on_chain >= 2 {
				return db.reads(1);
			}
			let defaults = T::DefaultParams::get();
			let key = Params::<T>::hashed_key();
			let migrated = if on_chain == 1 {
				unhashed::get::<RaceParamsV1>(&key).map(|old| from_v1(old, &defaults))
			} else {
				unhashed::get::<RaceParamsV0>(&key).map(|old| from_v0(old, &defaults))
			};
			match migrated {
				// Parameters that a v1 runtime accepted may break a v2 bound (a window shorter
				// than the defaults' commit interval): the defaults then.
				Some(params) if Pallet::<T>::check_params(&params).is_ok() => {
					Params::<T>::put(params)
				},
				_ => Params::<T>::kill(),
			}
			let mut cleared = 0u32;
			if let Some(abandoned) = unhashed::get_raw(&CurrentRace::<T>::hashed_key()) {
				log::info!(
					target: "runtime::race",
					"abandoning the race running at the upgrade ({} bytes)",
					abandoned.len()
				);
			}
			CurrentRace::<T>::kill();
			for prefix in removed_prefixes(pallet_name::<T>()) {
				cleared = cleared.saturating_add(
					unhashed::clear_prefix(&prefix, Some(CLEAR_LIMIT), None).backend,
				);
			}
			cleared = cleared.saturating_add(Votes::<T>::clear(CLEAR_LIMIT, None).backend);
			cleared = cleared.saturating_add(Commitments::<T>::clear(CLEAR_LIMIT, None).backend);
			Committers::<T>::kill();
			StorageVersion::new(2).put::<Pallet<T>>();
			db.reads_writes(3, u64::from(cleared).saturating_add(5))
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
			Ok(Pallet::<T>::on_chain_storage_version().encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(_: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			check::<T>().map_err(sp_runtime::TryRuntimeError::Other)
		}
	}

	/// This pallet's name in the runtime, its storage prefix.
	pub fn pallet_name<T: Config>() -> &'static [u8] {
		<Pallet<T> as frame_support::traits::PalletInfoAccess>::name().as_bytes()
	}

	/// Whether the chain is at version 2 with valid parameters, no running race and nothing
	/// of the removed items left.
	pub fn check<T: Config>() -> Result<(), &'static str> {
		if Pallet::<T>::on_chain_storage_version() != 2 {
			return Err("not at storage version 2");
		}
		Pallet::<T>::check_params(&Params::<T>::get()).map_err(|_| "invalid Params")?;
		if CurrentRace::<T>::exists() {
			return Err("the abandoned race is still stored");
		}
		for prefix in removed_prefixes(pallet_name::<T>()) {
			if unhashed::exists(&prefix) || unhashed::contains_prefixed_key(&prefix) {
				return Err("a removed item is still stored");
			}
		}
		Ok(())
	}

	#[cfg(test)]
	mod tests {
		use super::*;
		use crate::{mock::*, ParticipantCount};
		use frame_support::traits::OnRuntimeUpgrade;

		fn v1(sample_size: u32) -> RaceParamsV1 {
			let p = params();
			RaceParamsV1 {
				model: p.model,
				distance_threshold: FixedU64::from_inner(8_844_000_000),
				window: p.window,
				sample_size,
				max_mismatches: 2,
				max_nonces: 32,
				commit: p.commit,
				reveal: p.reveal,
				validation: p.validation,
				nonce_fee_base: 10,
				nonce_fee_step: 2,
			}
		}

		/// Storage as a version-1 runtime left it mid-race: governance's parameters (sample
		/// size 5), a running race, a participant's hits and entry, an assignment and a vote.
		fn write_v1() {
			unhashed::put(&Params::<Test>::hashed_key(), &v1(5));
			unhashed::put_raw(&CurrentRace::<Test>::hashed_key(), &[1, 2, 3]);
			let [participants, entries, submissions, assignments] =
				removed_prefixes(pallet_name::<Test>());
			unhashed::put(&participants, &alloc::vec![W1]);
			for (prefix, value) in [(entries, 1u8), (submissions, 2), (assignments, 3)] {
				let mut key = prefix.to_vec();
				key.extend_from_slice(&W1.encode());
				unhashed::put(&key, &value);
			}
			Votes::<Test>::insert(W1, W2, 0);
			StorageVersion::new(1).put::<Pallet<Test>>();
		}

		#[test]
		fn a_version_1_chain_keeps_governed_values_and_abandons_the_running_race() {
			new_test_ext().execute_with(|| {
				write_v1();

				MigrateToV2::<Test>::on_runtime_upgrade();

				assert_eq!(Pallet::<Test>::on_chain_storage_version(), 2);
				let migrated = Params::<Test>::get();
				assert_eq!(migrated.sample_size, 5, "governance's value is kept");
				assert_eq!(migrated, RaceParams { sample_size: 5, ..params() });
				assert_eq!(CurrentRace::<Test>::get(), None);
				assert_eq!(Votes::<Test>::get(W1, W2), None);
				assert_eq!(ParticipantCount::<Test>::get(), 0);
				assert_eq!(check::<Test>(), Ok(()));
			});
		}

		#[test]
		fn a_version_0_chain_keeps_its_model_window_and_sample_size() {
			new_test_ext().execute_with(|| {
				let old = v1(7);
				let v0 = RaceParamsV0 {
					model: old.model,
					distance_threshold: old.distance_threshold,
					window: old.window,
					sample_size: 7,
					max_mismatches: 2,
					max_nonces: 32,
				};
				unhashed::put(&Params::<Test>::hashed_key(), &v0);
				StorageVersion::new(0).put::<Pallet<Test>>();
				MigrateToV2::<Test>::on_runtime_upgrade();
				assert_eq!(Params::<Test>::get(), RaceParams { sample_size: 7, ..params() });
				assert_eq!(check::<Test>(), Ok(()));
			});
		}

		#[test]
		fn parameters_the_new_bounds_refuse_fall_back_to_the_defaults() {
			new_test_ext().execute_with(|| {
				// A sample size above `MaxSampleSize`.
				unhashed::put(&Params::<Test>::hashed_key(), &v1(100_000));
				StorageVersion::new(1).put::<Pallet<Test>>();
				MigrateToV2::<Test>::on_runtime_upgrade();
				assert_eq!(Params::<Test>::get(), params());
			});
		}

		#[test]
		fn the_migration_runs_once_and_the_check_catches_leftovers() {
			new_test_ext().execute_with(|| {
				write_v1();
				MigrateToV2::<Test>::on_runtime_upgrade();
				let mut changed = params();
				changed.commit_fee = 99;
				Params::<Test>::put(changed);
				let weight = MigrateToV2::<Test>::on_runtime_upgrade();
				let db: frame_support::weights::RuntimeDbWeight =
					<Test as frame_system::Config>::DbWeight::get();
				assert_eq!(weight, db.reads(1));
				assert_eq!(
					Params::<Test>::get(),
					changed,
					"a chain at version 2 keeps its storage"
				);
				let [participants, ..] = removed_prefixes(pallet_name::<Test>());
				unhashed::put(&participants, &alloc::vec![W1]);
				assert_eq!(check::<Test>(), Err("a removed item is still stored"));
			});
		}
	}
}
