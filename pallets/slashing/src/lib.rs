#![cfg_attr(not(feature = "std"), no_std)]
#![doc = include_str!("../README.md")]

extern crate alloc;

pub use pallet::*;

mod impls;
pub mod migrations;
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
	use sp_runtime::{traits::Bounded, FixedU128, Perbill};

	/// A worker's violation record.
	pub type RecordOf<T> = ViolationRecord<BlockNumberFor<T>>;
	/// The parameters governance sets, in this runtime's balance.
	pub type ParamsOf<T> = SlashingParams<<T as Config>::Balance>;

	/// 1: the slash and bounty parameters moved from constants to [`Params`].
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

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

		/// Who may set [`Params`]: the parameter-admin track, or root.
		type ParamsOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The slash and bounty parameters at genesis, and the values `MigrateToV1` writes
		/// on a chain that ran this pallet before they were parameters.
		#[pallet::constant]
		type DefaultParams: Get<ParamsOf<Self>>;

		/// The largest `bounty_share` governance may set. A reporter who kept most of a
		/// slash could slash a worker it controls at little cost (the bounty comes back to
		/// it), and fault-hunting would pay better than serving.
		#[pallet::constant]
		type MaxBountyShare: Get<Perbill>;

		/// The largest `repeat_step` governance may set, so that the repeat multiplier of
		/// one violation cannot be multiplied without end.
		#[pallet::constant]
		type MaxRepeatStep: Get<FixedU128>;

		/// `τ_decay` of §8.3, in blocks. A constant, not a parameter: the records already
		/// made store one decayed sum and the block it was computed at, which is only
		/// meaningful under the `τ` it decayed with.
		#[pallet::constant]
		type DecayTime: Get<BlockNumberFor<Self>>;

		/// `ξ` of §8.3: `Penalty = e^(−ξ·violations_effective)`. A constant, not a
		/// parameter: routing and elections read the penalty of records already made, and
		/// it must not jump under them without a runtime upgrade.
		#[pallet::constant]
		type PenaltySteepness: Get<FixedU128>;

		/// Reputation a worker loses per violation. A constant, not a parameter: the
		/// reputation already lost is the sum of this per violation, and a change would make
		/// the same record cost differently before and after it.
		#[pallet::constant]
		type ReputationLoss: Get<Perbill>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;

		/// Registers workers for benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Violation records per worker (hot key).
	#[pallet::storage]
	pub type Records<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, RecordOf<T>>;

	/// `T::DefaultParams`, what [`Params`] reads before genesis or the migration wrote it.
	#[pallet::type_value]
	pub fn DefaultParamsOf<T: Config>() -> ParamsOf<T> {
		T::DefaultParams::get()
	}

	/// The slash and bounty parameters the next report is punished under.
	#[pallet::storage]
	pub type Params<T: Config> = StorageValue<_, ParamsOf<T>, ValueQuery, DefaultParamsOf<T>>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// No fields: genesis takes `T::DefaultParams`.
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			Params::<T>::put(T::DefaultParams::get());
		}
	}

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
		/// Governance set the slash and bounty parameters.
		ParamsSet {
			/// The parameters the next report is punished under.
			params: ParamsOf<T>,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The offender is not a registered worker.
		UnknownWorker,
		/// The worker has no violation record.
		NoRecord,
		/// `max_slash` is zero: no violation but a malicious image would cost anything.
		ZeroMaxSlash,
		/// `max_bounty` is above `max_slash`: no slash under the cap could pay it.
		BountyAboveMaxSlash,
		/// `bounty_share` is above `MaxBountyShare`: a reporter would keep most of a slash.
		BountyShareTooHigh,
		/// `repeat_step` is above `MaxRepeatStep`.
		RepeatStepTooHigh,
		/// `suspend_threshold` is below one effective violation. Every report leaves a
		/// record of at least one, so a lower threshold would act as one while reading as
		/// less (and zero as "suspend on no violation").
		SuspendThresholdBelowOne,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(!T::DecayTime::get().is_zero(), "DecayTime must be positive");
			assert!(
				Self::check_params(&T::DefaultParams::get()).is_ok(),
				"DefaultParams outside the bounds check_params sets"
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
			// No cap but `max_bounty`: an investigation has no batch total to bound it.
			Self::punish(&offender, violation, reporter.as_ref(), T::Balance::max_value())?;
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

		/// Sets the slash and bounty parameters. They apply from the next report: a
		/// violation already punished keeps the slash and bounty it was charged.
		///
		/// Origin: `ParamsOrigin`. Emits `ParamsSet`. Errors: `ZeroMaxSlash`,
		/// `BountyAboveMaxSlash`, `BountyShareTooHigh`, `RepeatStepTooHigh`,
		/// `SuspendThresholdBelowOne`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::set_params())]
		pub fn set_params(origin: OriginFor<T>, params: ParamsOf<T>) -> DispatchResult {
			T::ParamsOrigin::ensure_origin(origin)?;
			Self::check_params(&params)?;
			Params::<T>::put(params);
			Self::deposit_event(Event::ParamsSet { params });
			Ok(())
		}
	}
}
