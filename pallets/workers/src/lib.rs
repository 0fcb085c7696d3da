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
#[cfg(feature = "runtime-benchmarks")]
pub use benchmarking::BENCHMARK_KEY_TYPE;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use traits::*;
pub use types::*;
pub use weights::WeightInfo;

// FRAME's expansion of the storage and error declarations calls `expect`; the logic of
// this pallet lives outside the module, under the workspace lints.
#[allow(clippy::expect_used)]
#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, Mutate, MutateHold},
			EnsureOrigin,
		},
	};
	use frame_system::pallet_prelude::*;
	use sp_runtime::Perbill;

	/// Balance of the staking currency.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
	/// Stake on its way out of a worker, with the block it matures at.
	pub type UnbondingChunkOf<T> = UnbondingChunk<BalanceOf<T>, BlockNumberFor<T>>;
	/// A registry entry.
	pub type WorkerOf<T> =
		WorkerInfo<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The native token; stakes are holds on it.
		type Currency: Inspect<Self::AccountId>
			+ Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The runtime's hold reasons, which include this pallet's.
		type RuntimeHoldReason: From<HoldReason>;

		/// May suspend, re-activate or ban workers.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// May suspend or ban a worker at once, in an emergency (the Security Council), but
		/// not re-activate one: lifting a suspension is the admin's decision.
		type EmergencyOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The least active stake an active worker keeps: what a slash can take from a
		/// worker caught cheating.
		#[pallet::constant]
		type MinStake: Get<BalanceOf<Self>>;

		/// Blocks between `unbond` and `withdraw_unbonded`. Must exceed the longest challenge
		/// window, so a worker cannot leave before its batches can be challenged.
		#[pallet::constant]
		type UnbondingPeriod: Get<BlockNumberFor<Self>>;

		/// A worker whose last heartbeat is older than this many blocks is offline.
		#[pallet::constant]
		type HeartbeatTimeout: Get<BlockNumberFor<Self>>;

		/// Length of a price-voting epoch in blocks.
		#[pallet::constant]
		type EpochLength: Get<BlockNumberFor<Self>>;

		/// Most workers one owner may run.
		#[pallet::constant]
		type MaxWorkersPerOwner: Get<u32>;

		/// Most workers the registry holds. Epoch-end computations (the price median,
		/// stake-weighted draws) read every worker, so the registry is bounded.
		#[pallet::constant]
		type MaxWorkers: Get<u32>;

		/// Reputation of a newly registered worker.
		#[pallet::constant]
		type InitialReputation: Get<Perbill>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// Stake backing a worker, active or unbonding.
		WorkerStake,
	}

	/// Registered workers by hot key.
	#[pallet::storage]
	pub type Workers<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, WorkerOf<T>>;

	/// The worker (hot key) that owns each receipt key: receipts name their signer by key.
	#[pallet::storage]
	pub type WorkerOfReceiptKey<T: Config> =
		StorageMap<_, Blake2_128Concat, PublicKey, T::AccountId>;

	/// Hot keys of the workers each owner runs.
	#[pallet::storage]
	pub type WorkersOfOwner<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<T::AccountId, T::MaxWorkersPerOwner>,
		ValueQuery,
	>;

	/// Number of registered workers (at most `MaxWorkers`).
	#[pallet::storage]
	pub type WorkerCount<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// Each worker's latest unit-of-compute price vote (seed `pow2` Appendix J).
	#[pallet::storage]
	pub type PriceVoteOf<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, PriceVote<BalanceOf<T>>>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A worker joined with `stake` held from `owner`.
		WorkerRegistered {
			/// The new worker's hot key.
			worker: T::AccountId,
			/// The account that runs the worker, stakes for it and receives its earnings.
			owner: T::AccountId,
			/// The stake held from the owner.
			stake: BalanceOf<T>,
		},
		/// More stake was held for a worker.
		StakeAdded {
			/// The worker whose stake grew.
			worker: T::AccountId,
			/// The stake added.
			amount: BalanceOf<T>,
		},
		/// Stake started unbonding; it can be withdrawn at `unlock_at`.
		Unbonded {
			/// The worker whose stake is unbonding.
			worker: T::AccountId,
			/// The stake moved from active to unbonding.
			amount: BalanceOf<T>,
			/// The first block at which `withdraw_unbonded` releases it.
			unlock_at: BlockNumberFor<T>,
		},
		/// Matured unbonding stake was released to the owner.
		Withdrawn {
			/// The worker whose unbonded stake was released.
			worker: T::AccountId,
			/// The stake released to the owner's free balance.
			amount: BalanceOf<T>,
		},
		/// A worker with no stake left was removed from the registry.
		WorkerRemoved {
			/// The hot key of the removed worker.
			worker: T::AccountId,
		},
		/// A worker's endpoint changed.
		EndpointUpdated {
			/// The worker with the new endpoint.
			worker: T::AccountId,
		},
		/// A worker's declared capabilities changed.
		CapabilitiesUpdated {
			/// The worker with the new capabilities.
			worker: T::AccountId,
		},
		/// A worker's status changed.
		StatusChanged {
			/// The worker whose status changed.
			worker: T::AccountId,
			/// Its status from now on.
			status: WorkerStatus,
		},
		/// A worker voted a unit-of-compute price for the current epoch.
		PriceVoted {
			/// The worker that voted.
			worker: T::AccountId,
			/// The epoch the vote counts for.
			epoch: EpochIndex,
			/// The price of one unit of compute it voted for.
			price: BalanceOf<T>,
		},
		/// Stake was slashed and sent to `to`.
		Slashed {
			/// The worker whose stake was taken.
			worker: T::AccountId,
			/// The stake taken, active first, then unbonding.
			amount: BalanceOf<T>,
			/// The account that received it (the treasury or a reporter).
			to: T::AccountId,
		},
		/// A worker's reputation changed.
		ReputationChanged {
			/// The worker whose reputation changed.
			worker: T::AccountId,
			/// Its reputation from now on.
			reputation: Perbill,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The hot key already belongs to a worker.
		AlreadyRegistered,
		/// The receipt key already belongs to a worker.
		ReceiptKeyInUse,
		/// The receipt-key proof of possession does not verify.
		BadReceiptKeyProof,
		/// Stake would fall below `MinStake` (without reaching zero).
		StakeBelowMinimum,
		/// No worker is registered under this hot key.
		UnknownWorker,
		/// Only the worker's owner may do this.
		NotOwner,
		/// The worker is not active.
		NotActive,
		/// A banned worker cannot be re-activated or changed.
		Banned,
		/// The region is not a valid latitude/longitude.
		InvalidRegion,
		/// The amount must be positive.
		ZeroAmount,
		/// More than the active stake was asked to unbond.
		InsufficientStake,
		/// The worker already has the most unbonding chunks allowed; withdraw first.
		TooManyUnbondingChunks,
		/// No unbonding stake has matured.
		NothingToWithdraw,
		/// The owner already runs the most workers allowed.
		TooManyWorkers,
		/// The registry already holds `MaxWorkers` workers.
		RegistryFull,
		/// The price must be positive.
		ZeroPrice,
		/// The emergency origin suspends and bans; only the admin origin re-activates.
		ReactivationNeedsAdmin,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(
				!T::MinStake::get().is_zero(),
				"MinStake must be positive: it is what a slash takes"
			);
			assert!(!T::EpochLength::get().is_zero(), "EpochLength must be positive");
			assert!(!T::HeartbeatTimeout::get().is_zero(), "HeartbeatTimeout must be positive");
			assert!(T::MaxWorkersPerOwner::get() > 0, "an owner must be able to run a worker");
			assert!(
				T::MaxWorkers::get() >= T::MaxWorkersPerOwner::get(),
				"MaxWorkers below MaxWorkersPerOwner"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Registers a worker.
		///
		/// Origin: the owner, whose balance backs the stake.
		/// - `hot_key`: the account the worker machine signs heartbeats and votes with.
		/// - `receipt_key`: compressed secp256k1 key it signs receipts with.
		/// - `receipt_key_proof`: the receipt key's signature over
		///   `keccak256("ail2:receipt:key-proof" ‖ owner ‖ hot_key)`
		///   (`ail2_primitives::receipt::proof_of_possession_message`).
		/// - `capabilities`, `endpoint`: what it offers and where.
		/// - `stake`: held from the owner; at least `MinStake`.
		///
		/// Emits `WorkerRegistered`. Errors: `AlreadyRegistered`, `ReceiptKeyInUse`,
		/// `BadReceiptKeyProof`, `InvalidRegion`, `StakeBelowMinimum`, `TooManyWorkers`,
		/// `RegistryFull`, or a balance error if the owner cannot hold `stake`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register())]
		pub fn register(
			origin: OriginFor<T>,
			hot_key: T::AccountId,
			receipt_key: PublicKey,
			receipt_key_proof: Signature,
			capabilities: Capabilities,
			endpoint: BoundedVec<u8, MaxEndpointLen>,
			stake: BalanceOf<T>,
		) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			Self::do_register(
				owner,
				hot_key,
				receipt_key,
				receipt_key_proof,
				capabilities,
				endpoint,
				stake,
			)
		}

		/// Holds `amount` more of the owner's balance as the worker's stake.
		///
		/// Origin: the owner. Emits `StakeAdded`. Errors: `UnknownWorker`, `NotOwner`,
		/// `ZeroAmount`, or a balance error.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::add_stake())]
		pub fn add_stake(
			origin: OriginFor<T>,
			worker: T::AccountId,
			amount: BalanceOf<T>,
		) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			Self::do_add_stake(owner, worker, amount)
		}

		/// Starts unbonding `amount` of active stake; it stays slashable and is released by
		/// `withdraw_unbonded` after `UnbondingPeriod` blocks. The active stake left must be
		/// zero or at least `MinStake`.
		///
		/// Origin: the owner. Emits `Unbonded`. Errors: `UnknownWorker`, `NotOwner`,
		/// `ZeroAmount`, `InsufficientStake`, `StakeBelowMinimum`, `TooManyUnbondingChunks`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::unbond())]
		pub fn unbond(
			origin: OriginFor<T>,
			worker: T::AccountId,
			amount: BalanceOf<T>,
		) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			Self::do_unbond(owner, worker, amount)
		}

		/// Releases all matured unbonding stake to the owner; removes the worker once no
		/// stake is left.
		///
		/// Origin: the owner. Emits `Withdrawn` and possibly `WorkerRemoved`. Errors:
		/// `UnknownWorker`, `NotOwner`, `NothingToWithdraw`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::withdraw_unbonded())]
		pub fn withdraw_unbonded(origin: OriginFor<T>, worker: T::AccountId) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			Self::do_withdraw_unbonded(owner, worker)
		}

		/// Records that the worker is alive.
		///
		/// Origin: the worker's hot key. No event (it would flood every block). Errors:
		/// `UnknownWorker`, `Banned`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::heartbeat())]
		pub fn heartbeat(origin: OriginFor<T>) -> DispatchResult {
			let worker = ensure_signed(origin)?;
			Self::do_heartbeat(worker)
		}

		/// Changes the worker's endpoint.
		///
		/// Origin: the owner. Emits `EndpointUpdated`. Errors: `UnknownWorker`, `NotOwner`,
		/// `Banned`.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::update_endpoint())]
		pub fn update_endpoint(
			origin: OriginFor<T>,
			worker: T::AccountId,
			endpoint: BoundedVec<u8, MaxEndpointLen>,
		) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			Self::do_update_endpoint(owner, worker, endpoint)
		}

		/// Changes the worker's declared capabilities (e.g. after a hardware change).
		///
		/// Origin: the owner. Emits `CapabilitiesUpdated`. Errors: `UnknownWorker`,
		/// `NotOwner`, `Banned`, `InvalidRegion`.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::update_capabilities())]
		pub fn update_capabilities(
			origin: OriginFor<T>,
			worker: T::AccountId,
			capabilities: Capabilities,
		) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			Self::do_update_capabilities(owner, worker, capabilities)
		}

		/// Suspends, re-activates or bans a worker. A ban is final.
		///
		/// Origin: `AdminOrigin`, or `EmergencyOrigin` to suspend or ban. Emits
		/// `StatusChanged`. Errors: `UnknownWorker`, `Banned`, `ReactivationNeedsAdmin`.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::set_status())]
		pub fn set_status(
			origin: OriginFor<T>,
			worker: T::AccountId,
			status: WorkerStatus,
		) -> DispatchResult {
			if let Err(origin) = T::AdminOrigin::try_origin(origin) {
				T::EmergencyOrigin::ensure_origin(origin)?;
				ensure!(status != WorkerStatus::Active, Error::<T>::ReactivationNeedsAdmin);
			}
			Self::do_set_status(worker, status)
		}

		/// Votes the price of one unit of compute for the current epoch, replacing the
		/// worker's earlier vote. At the epoch's end the stake-weighted median of the votes
		/// (non-voters counting as the previous price) becomes the next epoch's price.
		///
		/// Origin: an active worker's hot key. Emits `PriceVoted`. Errors: `UnknownWorker`,
		/// `NotActive`, `ZeroPrice`.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::vote_price())]
		pub fn vote_price(origin: OriginFor<T>, price: BalanceOf<T>) -> DispatchResult {
			let worker = ensure_signed(origin)?;
			Self::do_vote_price(worker, price)
		}
	}
}
