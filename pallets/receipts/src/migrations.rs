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

/// Version 2: the replay guard `LastCounter` is kept per (worker, payer, model, version), so
/// a worker serving several models or versions to one payer settles each stream on its own;
/// and closed batches' records are pruned, so the paid and voided batches already stored
/// join the prune queue.
pub mod v2 {
	use crate::{BatchStatus, Batches, Config, Pallet, PruneQueue, PruneQueueBounds};
	use core::marker::PhantomData;
	use frame_support::{
		pallet_prelude::*, storage_alias, traits::UncheckedOnRuntimeUpgrade, weights::Weight,
	};
	use sp_runtime::traits::Saturating;

	/// `LastCounter` as version 1 kept it: per (worker, payer).
	#[storage_alias]
	pub type LastCounter<T: Config> = StorageDoubleMap<
		Pallet<T>,
		Blake2_128Concat,
		<T as frame_system::Config>::AccountId,
		Blake2_128Concat,
		<T as frame_system::Config>::AccountId,
		ail2_primitives::Counter,
		ValueQuery,
	>;

	/// Rekeys `LastCounter` on a chain at storage version 1, then sets version 2; does
	/// nothing (one read) on a chain already at 2.
	pub type MigrateToV2<T> = frame_support::migrations::VersionedMigration<
		1,
		2,
		InnerMigrateToV2<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;

	/// The unversioned step of [`MigrateToV2`]. Use it only through `MigrateToV2`.
	///
	/// Version 1's guard is the highest `last_counter` of the (worker, payer)'s batches, and
	/// every batch ever proposed is still in `Batches` (nothing removes their records at
	/// version 1), so the new guard of each (worker, payer, model, version) is the highest
	/// `last_counter` of that stream's batches: the step removes the old entries and writes
	/// those. Its work is a read and a write per old entry and two reads and a write per
	/// batch, a one-off bounded by the batches proposed before the upgrade.
	pub struct InnerMigrateToV2<T>(PhantomData<T>);

	impl<T: Config> InnerMigrateToV2<T> {
		/// What `post_upgrade` checks: no old-format entry is left, and every batch's stream
		/// guards at least its last counter.
		pub fn check_migrated() -> Result<(), &'static str> {
			// Both formats live under one prefix, and an old-format reader would also take a
			// new key's first two parts; an old key is one the new format cannot decode.
			if Self::stored_entries() != crate::LastCounter::<T>::iter_keys().count() {
				return Err("a (worker, payer) LastCounter entry survived MigrateToV2");
			}
			for batch in Batches::<T>::iter_values() {
				let guard = crate::LastCounter::<T>::get((
					&batch.worker,
					&batch.payer,
					batch.model,
					&batch.version,
				));
				if guard < batch.last_counter {
					return Err("a batch's stream guard is below its last counter");
				}
			}
			Ok(())
		}

		/// The entries under `LastCounter`'s prefix, in either format.
		pub fn stored_entries() -> usize {
			use frame_support::storage::{KeyPrefixIterator, StoragePrefixedMap};
			let prefix = crate::LastCounter::<T>::final_prefix().to_vec();
			KeyPrefixIterator::new(prefix.clone(), prefix, |_| Ok(())).count()
		}
	}

	impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateToV2<T> {
		fn on_runtime_upgrade() -> Weight {
			// Old and new entries share the storage prefix; the old ones go first, so that
			// nothing below reads a key of the other format.
			let removed = Self::stored_entries() as u64;
			let _ = LastCounter::<T>::clear(u32::MAX, None);
			let mut batches = 0u64;
			let (head, mut tail) = PruneQueueBounds::<T>::get();
			let due = frame_system::Pallet::<T>::block_number()
				.saturating_add(<T as Config>::PruneDelay::get());
			for (id, batch) in Batches::<T>::iter() {
				batches = batches.saturating_add(1);
				crate::LastCounter::<T>::mutate(
					(&batch.worker, &batch.payer, batch.model, &batch.version),
					|guard| *guard = (*guard).max(batch.last_counter),
				);
				if matches!(batch.status, BatchStatus::Paid | BatchStatus::Voided) {
					PruneQueue::<T>::insert(tail, (id, due));
					tail = tail.saturating_add(1);
				}
			}
			let queued = tail.saturating_sub(head);
			PruneQueueBounds::<T>::put((head, tail));
			let reads = batches.saturating_mul(2).saturating_add(removed).saturating_add(1);
			let writes = batches.saturating_add(removed).saturating_add(queued).saturating_add(1);
			T::DbWeight::get().reads_writes(reads, writes)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
			Ok(alloc::vec::Vec::new())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(_: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
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

#[cfg(test)]
mod v2_tests {
	use super::v2::{InnerMigrateToV2, LastCounter as OldLastCounter, MigrateToV2};
	use crate::{mock::*, Batch, BatchStatus, Batches, LastCounter};
	use ail2_primitives::{merkle::SumNode, receipt::SemVer};
	use frame_support::{
		traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion},
		weights::constants::RocksDbWeight,
		BoundedVec,
	};

	const OTHER_PAYER: AccountId = 7;
	const V2: SemVer = SemVer::new(2, 0, 0);

	fn batch(payer: AccountId, version: SemVer, counters: (u64, u64)) -> Batch<AccountId, u64> {
		Batch {
			worker: HOT,
			payer,
			model: MODEL,
			version,
			first_counter: counters.0,
			last_counter: counters.1,
			root: SumNode { hash: [1; 32], sum: 10 },
			count: 1,
			content_hash: [2; 32],
			url: BoundedVec::new(),
			proposed_at: 1,
			challenge_until: 21,
			status: BatchStatus::Paid,
		}
	}

	/// A chain at version 1: three batches over two of HOT's streams to PAYER (V1 up to
	/// counter 30, V2 up to 25) and one to OTHER_PAYER, with version 1's guards, the highest
	/// counter per (worker, payer).
	fn at_v1() {
		StorageVersion::new(1).put::<Receipts>();
		crate::NextBatchId::<Test>::put(4);
		Batches::<Test>::insert(0, batch(PAYER, V1, (1, 10)));
		Batches::<Test>::insert(1, batch(PAYER, V2, (11, 25)));
		Batches::<Test>::insert(2, batch(PAYER, V1, (26, 30)));
		Batches::<Test>::insert(3, batch(OTHER_PAYER, V1, (1, 4)));
		OldLastCounter::<Test>::insert(HOT, PAYER, 30);
		OldLastCounter::<Test>::insert(HOT, OTHER_PAYER, 4);
	}

	#[test]
	fn rekeys_the_guard_per_stream_from_the_batches() {
		run(|| {
			at_v1();
			assert!(InnerMigrateToV2::<Test>::check_migrated().is_err(), "old entries remain");
			let weight = MigrateToV2::<Test>::on_runtime_upgrade();
			assert_eq!(Receipts::on_chain_storage_version(), StorageVersion::new(2));
			assert_eq!(InnerMigrateToV2::<Test>::stored_entries(), 3, "no old entry is left");
			assert_eq!(LastCounter::<Test>::get((HOT, PAYER, MODEL, V1)), 30);
			assert_eq!(LastCounter::<Test>::get((HOT, PAYER, MODEL, V2)), 25);
			assert_eq!(LastCounter::<Test>::get((HOT, OTHER_PAYER, MODEL, V1)), 4);
			assert_eq!(LastCounter::<Test>::iter_keys().count(), 3);
			// 2 old entries counted and removed, 4 batches read and their guards read and
			// written, the 4 paid batches queued for pruning with the queue's bounds; the
			// version's read and write.
			assert_eq!(
				weight,
				RocksDbWeight::get().reads_writes(2 + 4 * 2 + 1 + 1, 2 + 4 + 4 + 1 + 1)
			);
			assert_eq!(crate::PruneQueueBounds::<Test>::get(), (0, 4));
			assert_eq!(crate::PruneQueue::<Test>::get(2), Some((2, 1 + PRUNE_DELAY)));
			assert_eq!(InnerMigrateToV2::<Test>::check_migrated(), Ok(()));
		});
	}

	#[test]
	fn a_second_run_does_nothing() {
		run(|| {
			at_v1();
			MigrateToV2::<Test>::on_runtime_upgrade();
			LastCounter::<Test>::insert((HOT, PAYER, MODEL, V1), 99);
			assert_eq!(MigrateToV2::<Test>::on_runtime_upgrade(), RocksDbWeight::get().reads(1));
			assert_eq!(LastCounter::<Test>::get((HOT, PAYER, MODEL, V1)), 99);
		});
	}

	#[test]
	fn the_post_upgrade_check_refuses_a_guard_below_a_batch() {
		run(|| {
			at_v1();
			MigrateToV2::<Test>::on_runtime_upgrade();
			LastCounter::<Test>::insert((HOT, PAYER, MODEL, V2), 24);
			assert!(InnerMigrateToV2::<Test>::check_migrated().is_err());
		});
	}
}
