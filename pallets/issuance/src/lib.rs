#![cfg_attr(not(feature = "std"), no_std)]
#![doc = include_str!("../README.md")]

extern crate alloc;

pub use pallet::*;

mod impls;
mod types;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use types::*;
pub use weights::WeightInfo;

/// Benchmark setup the runtime provides: workers belong to another pallet.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Registers a staked, active worker; returns its hot key.
	fn active_worker(index: u32) -> AccountId;
}

/// Years after genesis during which the training fund's share is fixed (pow2 Appendix K:
/// "governance-based adjustments in later years").
pub const TRAINING_SHARE_FIXED_YEARS: u32 = 5;

// FRAME's expansion of the storage and error declarations calls `expect`; the logic of
// this pallet lives outside the module, under the workspace lints.
#[allow(clippy::expect_used)]
#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use ail2_primitives::Balance;
	use frame_support::{pallet_prelude::*, traits::fungible};
	use frame_system::pallet_prelude::*;
	use pallet_slashing::ViolationInspect;
	use pallet_workers::WorkerInspect;
	use sp_runtime::{traits::Zero, Perbill};

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The native token, in AIL2's units (10^-12 AIL2): the schedule's figures are in
		/// them.
		type Currency: fungible::Mutate<Self::AccountId, Balance = Balance>;

		/// The worker registry: who owns a worker (and receives its rewards), whether it is
		/// still active.
		type Workers: WorkerInspect<Self::AccountId, Balance>;

		/// Violation records: a worker with a violation proven between its work being
		/// accepted and the day's payout forfeits that day's reward.
		type Violations: ViolationInspect<Self::AccountId>;

		/// The training fund (pow2 Appendix K), which governance spends with `grant`.
		#[pallet::constant]
		type TrainingFundAccount: Get<Self::AccountId>;

		/// Blocks in a day of the minimum daily issuance; 365 of them make a year.
		#[pallet::constant]
		type DayLength: Get<BlockNumberFor<Self>>;

		/// Who may set the validators' share, and the training fund's after year 5: the
		/// parameter-admin track, or root.
		type ParamsOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Who may spend the training fund, and the most one grant of theirs may be: the
		/// treasury's spender tracks, or root.
		type GrantOrigin: EnsureOrigin<Self::RuntimeOrigin, Success = Balance>;

		/// The training fund's share of inference revenue at genesis: 20 % (pow2 §4).
		#[pallet::constant]
		type DefaultTrainingShare: Get<Perbill>;

		/// The validators' share of each day's issuance at genesis.
		#[pallet::constant]
		type DefaultValidatorShare: Get<Perbill>;

		/// The largest validators' share governance may set. The schedule is the hardware
		/// providers' incentive; staking takes a bounded part of it, not the whole.
		#[pallet::constant]
		type MaxValidatorShare: Get<Perbill>;

		/// Rewards paid per block while a day's payout runs, so that a fleet of thousands
		/// is paid over a few blocks rather than in one.
		#[pallet::constant]
		type MaxPaidPerBlock: Get<u32>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;

		/// Registers workers for benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Everything this pallet has minted, plus the validators' share it has released to
	/// staking, which staking mints as validators claim it. Never read from the total
	/// issuance, so burns do not reopen the cap: at most
	/// [`ail2_primitives::issuance::MINTABLE`], 600M AIL2.
	#[pallet::storage]
	pub type Minted<T: Config> = StorageValue<_, Balance, ValueQuery>;

	/// The day whose fees and work are being counted: `block / DayLength` as of its last
	/// closing.
	#[pallet::storage]
	pub type CurrentDay<T: Config> = StorageValue<_, DayIndex, ValueQuery>;

	/// Fees of the batches paid during the current day: what its demand subsidy is minted
	/// for.
	#[pallet::storage]
	pub type DayFees<T: Config> = StorageValue<_, Balance, ValueQuery>;

	/// Accepted race weight per worker and day, with the worker's violation count when its
	/// first weight of the day was accepted.
	#[pallet::storage]
	pub type Work<T: Config> =
		StorageDoubleMap<_, Twox64Concat, DayIndex, Blake2_128Concat, T::AccountId, WorkRecord>;

	/// The sum of [`Work`] per day and how many workers it counts.
	#[pallet::storage]
	pub type DayWork<T: Config> = StorageMap<_, Twox64Concat, DayIndex, WorkTotal, ValueQuery>;

	/// The hardware providers' reward of a closed day, while it is being paid.
	#[pallet::storage]
	pub type Payout<T: Config> = StorageValue<_, DayPayout>;

	/// The validators' share of the days closed since the last era payout.
	#[pallet::storage]
	pub type ValidatorPot<T: Config> = StorageValue<_, Balance, ValueQuery>;

	#[pallet::type_value]
	pub fn DefaultTrainingShareOf<T: Config>() -> Perbill {
		T::DefaultTrainingShare::get()
	}

	/// The training fund's share of every paid batch and of every day's issuance.
	#[pallet::storage]
	pub type TrainingShare<T: Config> =
		StorageValue<_, Perbill, ValueQuery, DefaultTrainingShareOf<T>>;

	#[pallet::type_value]
	pub fn DefaultValidatorShareOf<T: Config>() -> Perbill {
		T::DefaultValidatorShare::get()
	}

	/// The validators' share of every day's issuance.
	#[pallet::storage]
	pub type ValidatorShare<T: Config> =
		StorageValue<_, Perbill, ValueQuery, DefaultValidatorShareOf<T>>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A day closed: its issuance was set by the schedule and shared out.
		DayClosed {
			/// The closed day (0 is genesis' day).
			day: DayIndex,
			/// Its year (1 for days 0 to 364).
			year: u32,
			/// Fees of the batches paid during it.
			fees: Balance,
			/// The subsidy those fees earn by the schedule.
			demand_subsidy: Balance,
			/// The minimum daily issuance of its year.
			minimum: Balance,
			/// What the day issues: the larger of the two, within the cap.
			issued: Balance,
			/// Minted to the training fund.
			training_fund: Balance,
			/// Released to staking for the next era payout.
			validators: Balance,
			/// To be paid to hardware providers by their accepted race weight (zero if
			/// nobody's work was accepted that day; it is then not minted).
			providers: Balance,
		},
		/// A worker's share of a day's reward was minted to its owner.
		Rewarded {
			/// The day the work was done in.
			day: DayIndex,
			/// The worker (hot key) whose work it was.
			worker: T::AccountId,
			/// Its owner, who was paid.
			owner: T::AccountId,
			/// The worker's accepted race weight that day.
			weight: u64,
			/// Minted to the owner: the providers' part × weight / the day's total weight.
			amount: Balance,
		},
		/// A worker's share of a day's reward was not minted: it is no longer active, or a
		/// violation was proven against it since its work was accepted.
		RewardForfeited {
			/// The day the work was done in.
			day: DayIndex,
			/// The worker that forfeited.
			worker: T::AccountId,
			/// Its accepted race weight that day.
			weight: u64,
			/// What it would have been paid.
			amount: Balance,
		},
		/// A day's hardware providers were all paid.
		DayPaid {
			/// The paid day.
			day: DayIndex,
			/// Minted to them.
			paid: Balance,
			/// Forfeited, and rounding remainders: not minted.
			unpaid: Balance,
		},
		/// Staking's era payout took the validators' pot.
		ValidatorsPaid {
			/// What the era pays its validators and nominators.
			amount: Balance,
		},
		/// The training fund's share was set.
		TrainingShareSet {
			/// The new share, from the next batch and day on.
			share: Perbill,
		},
		/// The validators' share was set.
		ValidatorShareSet {
			/// The new share, from the next day on.
			share: Perbill,
		},
		/// Governance granted from the training fund.
		TrainingGranted {
			/// Who received the grant.
			beneficiary: T::AccountId,
			/// How much.
			amount: Balance,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The training fund's share is fixed for the first five years.
		TrainingShareFixed,
		/// The validators' share would be above `MaxValidatorShare`.
		ValidatorShareTooHigh,
		/// The training fund's and the validators' shares would pass 100 %.
		SharesAboveWhole,
		/// The training fund holds less than the grant.
		InsufficientTrainingFund,
		/// A grant of nothing.
		ZeroGrant,
		/// A grant above what its origin may spend in one call.
		GrantAboveOriginCap,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Pays the closed day's providers, `MaxPaidPerBlock` at a time; once none is left
		/// to pay, closes the current day at the first block of the next.
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::advance(now)
		}

		fn integrity_test() {
			assert!(!T::DayLength::get().is_zero(), "a day has blocks");
			assert!(T::MaxPaidPerBlock::get() > 0, "a payout makes progress");
			assert!(
				T::DefaultValidatorShare::get() <= T::MaxValidatorShare::get(),
				"the genesis validators' share is within its bound"
			);
			assert!(
				T::DefaultTrainingShare::get()
					.deconstruct()
					.saturating_add(T::MaxValidatorShare::get().deconstruct())
					<= Perbill::one().deconstruct(),
				"the training fund and validators leave the providers a share"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Sets the training fund's share of paid batches and of each day's issuance, from
		/// the next batch and day on. Fixed for the first five years (days 0 to 1,824).
		///
		/// Origin: `ParamsOrigin`. Emits `TrainingShareSet`. Errors: `TrainingShareFixed`
		/// before year 6, `SharesAboveWhole` if it and the validators' share pass 100 %.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::set_training_share())]
		pub fn set_training_share(origin: OriginFor<T>, share: Perbill) -> DispatchResult {
			T::ParamsOrigin::ensure_origin(origin)?;
			Self::do_set_training_share(share)
		}

		/// Sets the validators' share of each day's issuance, from the next day on.
		///
		/// Origin: `ParamsOrigin`. Emits `ValidatorShareSet`. Errors:
		/// `ValidatorShareTooHigh` above `MaxValidatorShare`, `SharesAboveWhole` if it and
		/// the training fund's share pass 100 %.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::set_validator_share())]
		pub fn set_validator_share(origin: OriginFor<T>, share: Perbill) -> DispatchResult {
			T::ParamsOrigin::ensure_origin(origin)?;
			Self::do_set_validator_share(share)
		}

		/// Pays `amount` from the training fund to `beneficiary` (a training grant, pow2
		/// Appendix K).
		///
		/// Origin: `GrantOrigin`. Emits `TrainingGranted`. Errors: `ZeroGrant`,
		/// `GrantAboveOriginCap` above what the origin may spend, `InsufficientTrainingFund`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::grant())]
		pub fn grant(
			origin: OriginFor<T>,
			beneficiary: T::AccountId,
			amount: Balance,
		) -> DispatchResult {
			let cap = T::GrantOrigin::ensure_origin(origin)?;
			ensure!(amount <= cap, Error::<T>::GrantAboveOriginCap);
			Self::do_grant(beneficiary, amount)
		}
	}
}
