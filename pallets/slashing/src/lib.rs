#![cfg_attr(not(feature = "std"), no_std)]
#![doc = include_str!("../README.md")]

extern crate alloc;

pub use pallet::*;

mod impls;
mod traits;
mod types;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use traits::{ReportViolation, ViolationInspect};
pub use types::*;
pub use weights::WeightInfo;

/// Benchmark setup the runtime provides: workers belong to another pallet.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Registers a staked, active worker; returns its hot key.
	fn staked_worker(index: u32) -> AccountId;
}

// FRAME's expansion of the storage and error declarations calls `expect`; the logic of
// this pallet lives outside the module, under the workspace lints.
#[allow(clippy::expect_used)]
#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use ail2_primitives::Hash;
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;
	use pallet_workers::{WorkerInspect, WorkerPenalty};
	use sp_runtime::{FixedU128, Perbill};

	/// A worker's violation record.
	pub type RecordOf<T> = ViolationRecord<BlockNumberFor<T>>;

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The token stakes are held in.
		type Balance: frame_support::traits::tokens::Balance;

		/// The worker registry: stakes, slashes, suspensions, bans, reputation.
		type Workers: WorkerInspect<Self::AccountId, Self::Balance>
			+ WorkerPenalty<Self::AccountId, Self::Balance>;

		/// Who may report violations found off chain (a security audit of an image, an
		/// investigation) and clear records: the Security Council.
		type ReportOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Receives every slash but the reporter's bounty.
		#[pallet::constant]
		type TreasuryAccount: Get<Self::AccountId>;

		/// `BaseRate` of §8.4.
		#[pallet::constant]
		type BaseRate: Get<Perbill>;

		/// `RepeatMultiplier = 1 + RepeatStep × violations_effective` before this one.
		#[pallet::constant]
		type RepeatStep: Get<FixedU128>;

		/// `MaxSlash` of §8.4: the most one violation takes (a malicious image excepted).
		#[pallet::constant]
		type MaxSlash: Get<Self::Balance>;

		/// `τ_decay` of §8.3, in blocks.
		#[pallet::constant]
		type DecayTime: Get<BlockNumberFor<Self>>;

		/// `ξ` of §8.3: `Penalty = e^(−ξ·violations_effective)`.
		#[pallet::constant]
		type PenaltySteepness: Get<FixedU128>;

		/// Effective violations at which a worker is suspended until governance lifts it.
		#[pallet::constant]
		type SuspendThreshold: Get<FixedU128>;

		/// Reputation a worker loses per violation.
		#[pallet::constant]
		type ReputationLoss: Get<Perbill>;

		/// Share of a slash paid to the reporter.
		#[pallet::constant]
		type BountyShare: Get<Perbill>;

		/// The most a bounty pays, whatever the slash: set near what honest work earns in
		/// the same time, so hunting for faults never pays better than serving (seed 001,
		/// "Bounty reward").
		#[pallet::constant]
		type MaxBounty: Get<Self::Balance>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;

		/// Registers workers for benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Violation records per worker (hot key).
	#[pallet::storage]
	pub type Records<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, RecordOf<T>>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A worker was punished for a violation: `slashed` taken at `rate`, of which
		/// `bounty` went to the reporter and the rest to the treasury.
		Punished {
			/// The worker (hot key) that committed the violation.
			offender: T::AccountId,
			/// What it did.
			violation: Violation,
			/// The slash rate applied to its slashable stake.
			rate: Perbill,
			/// The stake taken in all, bounty included.
			slashed: T::Balance,
			/// The part of `slashed` paid to the reporter.
			bounty: T::Balance,
			/// The account that proved the violation, if one is paid for it.
			reporter: Option<T::AccountId>,
			/// The offender's effective violations after this one.
			effective_violations: FixedU128,
		},
		/// Governance reported a violation with off-chain evidence (its hash).
		Reported {
			/// The worker (hot key) reported.
			offender: T::AccountId,
			/// What it did.
			violation: Violation,
			/// The hash of the report that proves it.
			evidence: Hash,
		},
		/// Governance cleared a worker's record.
		RecordCleared {
			/// The worker (hot key) whose record was removed.
			worker: T::AccountId,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The offender is not a registered worker.
		UnknownWorker,
		/// The worker has no violation record.
		NoRecord,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(!T::DecayTime::get().is_zero(), "DecayTime must be positive");
			assert!(
				T::SuspendThreshold::get() >= FixedU128::from_u32(1),
				"SuspendThreshold below one would suspend on no violation"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Punishes a violation found off chain, such as a malicious image in a security
		/// audit. `evidence` is the hash of the report; `reporter`, if any, gets the bounty.
		///
		/// Origin: `ReportOrigin`. Emits `Reported` and `Punished`. Errors: `UnknownWorker`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::report())]
		pub fn report(
			origin: OriginFor<T>,
			offender: T::AccountId,
			violation: Violation,
			evidence: Hash,
			reporter: Option<T::AccountId>,
		) -> DispatchResult {
			T::ReportOrigin::ensure_origin(origin)?;
			Self::deposit_event(Event::Reported {
				offender: offender.clone(),
				violation,
				evidence,
			});
			Self::punish(&offender, violation, reporter.as_ref(), T::MaxBounty::get())?;
			Ok(())
		}

		/// Clears a worker's violation record, e.g. after a report proved wrong. Slashes
		/// already taken stay taken; lifting a suspension is pallet-workers' `set_status`.
		///
		/// Origin: `ReportOrigin`. Emits `RecordCleared`. Errors: `NoRecord`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::clear_record())]
		pub fn clear_record(origin: OriginFor<T>, worker: T::AccountId) -> DispatchResult {
			T::ReportOrigin::ensure_origin(origin)?;
			Records::<T>::take(&worker).ok_or(Error::<T>::NoRecord)?;
			Self::deposit_event(Event::RecordCleared { worker });
			Ok(())
		}
	}
}
