#![cfg_attr(not(feature = "std"), no_std)]
#![doc = include_str!("../README.md")]

extern crate alloc;

pub use pallet::*;

pub mod fixtures;
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

pub use traits::ModelInspect;

/// Benchmark setup the runtime provides.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper {
	/// Makes `Config::PriceVotes` report as many votes (with stake) as it ever can.
	fn fill_price_votes();
}
pub use types::*;
pub use weights::WeightInfo;

// FRAME's expansion of the storage and error declarations calls `expect`; the logic of
// this pallet lives outside the module, under the workspace lints.
#[allow(clippy::expect_used)]
#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use ail2_primitives::receipt::SemVer;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, Mutate, MutateHold},
			EnsureOrigin,
		},
	};
	use frame_system::pallet_prelude::*;
	use pallet_workers::{EpochIndex, PriceVoteSource};
	use sp_runtime::traits::{CheckedDiv, Saturating};

	/// Balance of the native token deposits are held in.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
	/// A registered model.
	pub type ModelOf<T> =
		ModelInfo<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

	/// 1: the revenue-split bounds are governance-set (`Params`).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The native token; deposits are holds on it.
		type Currency: Inspect<Self::AccountId>
			+ Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The runtime's hold reasons, which include this pallet's.
		type RuntimeHoldReason: From<HoldReason>;

		/// Approves or rejects models and versions (e.g. the Parameter Committee).
		type ApproveOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Workers' unit-of-compute price votes.
		type PriceVotes: PriceVoteSource<BalanceOf<Self>>;

		/// Sets the revenue-split bounds: the parameter-admin track, or root.
		type ParamsOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The revenue-split bounds at genesis, and the values `MigrateToV1` writes on a chain
		/// that ran the pallet before they were parameters.
		#[pallet::constant]
		type DefaultParams: Get<RevenueSplitBounds>;

		/// Held from a model's owner while the model is registered: the cost of asking
		/// governance to review it.
		#[pallet::constant]
		type ModelDeposit: Get<BalanceOf<Self>>;

		/// Epoch length in blocks; must equal pallet-workers' so votes and medians align.
		#[pallet::constant]
		type EpochLength: Get<BlockNumberFor<Self>>;

		/// The unit-of-compute price before any epoch has closed.
		#[pallet::constant]
		type InitialUnitPrice: Get<BalanceOf<Self>>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;

		/// Sets up the worst case for benchmarks that read `PriceVotes`.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A model's registration deposit.
		ModelDeposit,
	}

	/// The id the next model gets.
	#[pallet::storage]
	pub type NextModelId<T: Config> = StorageValue<_, ModelId, ValueQuery>;

	/// Registered models.
	#[pallet::storage]
	pub type Models<T: Config> = StorageMap<_, Twox64Concat, ModelId, ModelOf<T>>;

	/// Every version of every model.
	#[pallet::storage]
	pub type Versions<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ModelId, Blake2_128Concat, SemVer, VersionInfo>;

	/// Number of versions per model (at most `MaxVersions`).
	#[pallet::storage]
	pub type VersionCount<T: Config> = StorageMap<_, Twox64Concat, ModelId, u32, ValueQuery>;

	#[pallet::type_value]
	pub fn DefaultParamsOf<T: Config>() -> RevenueSplitBounds {
		T::DefaultParams::get()
	}

	/// The bounds every revenue split set from now on must respect. Splits already stored
	/// (in `Versions`) keep theirs.
	#[pallet::storage]
	pub type Params<T: Config> =
		StorageValue<_, RevenueSplitBounds, ValueQuery, DefaultParamsOf<T>>;

	#[pallet::type_value]
	pub fn DefaultUnitPrice<T: Config>() -> BalanceOf<T> {
		T::InitialUnitPrice::get()
	}

	/// Price of one unit of compute in the current epoch.
	#[pallet::storage]
	pub type UnitPrice<T: Config> = StorageValue<_, BalanceOf<T>, ValueQuery, DefaultUnitPrice<T>>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		/// Puts `DefaultParams` into `Params`, so the chain's bounds are in storage from the
		/// first block.
		fn build(&self) {
			Params::<T>::put(T::DefaultParams::get());
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A model was proposed with its first version.
		ModelRegistered {
			/// The id the model got.
			model: ModelId,
			/// The account that registered it and receives the model owner's share.
			owner: T::AccountId,
			/// Its first version.
			version: SemVer,
			/// The deposit held from the owner until the model is rejected or deprecated.
			deposit: BalanceOf<T>,
		},
		/// Governance approved a model.
		ModelApproved {
			/// The approved model.
			model: ModelId,
		},
		/// Governance rejected a model; its deposit was released.
		ModelRejected {
			/// The rejected model.
			model: ModelId,
		},
		/// The owner put an approved model into service.
		ModelActivated {
			/// The model now in service.
			model: ModelId,
		},
		/// A model was retired; its deposit was released.
		ModelDeprecated {
			/// The retired model.
			model: ModelId,
		},
		/// A new version was proposed.
		VersionProposed {
			/// The model the version belongs to.
			model: ModelId,
			/// The proposed version.
			version: SemVer,
		},
		/// Governance approved a version.
		VersionApproved {
			/// The model the version belongs to.
			model: ModelId,
			/// The approved version.
			version: SemVer,
		},
		/// Governance rejected a version.
		VersionRejected {
			/// The model the version belongs to.
			model: ModelId,
			/// The rejected version.
			version: SemVer,
		},
		/// The model's current version moved forward.
		VersionActivated {
			/// The model whose current version changed.
			model: ModelId,
			/// Its current version from now on.
			version: SemVer,
		},
		/// The model's current version moved back to an earlier approved one.
		RolledBack {
			/// The model whose current version changed.
			model: ModelId,
			/// The version that was current before.
			from: SemVer,
			/// The earlier version that is current now.
			to: SemVer,
		},
		/// The unit-of-compute price for the epoch after `epoch` was set.
		UnitPriceSet {
			/// The epoch whose votes were counted.
			epoch: EpochIndex,
			/// The price of one unit of compute in the next epoch.
			price: BalanceOf<T>,
		},
		/// The revenue-split bounds were set.
		ParamsSet {
			/// The bounds every split registered or proposed from now on must respect.
			params: RevenueSplitBounds,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No such model.
		UnknownModel,
		/// No such version of the model.
		UnknownVersion,
		/// Only the model's owner may do this.
		NotOwner,
		/// The model or version is not in the state this needs.
		WrongStatus,
		/// The revenue split does not add up to 100 %.
		IncompleteRevenueSplit,
		/// The pricing policy's minimum fee exceeds its cap.
		InvalidFeeBounds,
		/// A region's centre is not a valid latitude/longitude.
		InvalidRegion,
		/// The name is empty.
		EmptyName,
		/// A new version must be higher than every existing one.
		VersionNotHigher,
		/// A rollback must go to an earlier version.
		NotAnEarlierVersion,
		/// The model already has `MaxVersions` versions.
		TooManyVersions,
		/// Model ids are exhausted.
		NoModelIdLeft,
		/// `compute_units_per_token` must be positive.
		ZeroComputeUnits,
		/// The revenue split gives the worker, the treasury or the ecosystem less than its
		/// minimum in `Params`, or the model owner more than `max_model_owner`.
		RevenueSplitOutOfBounds,
		/// The worker's, treasury's and ecosystem's minimums add up to more than 100 %: no
		/// split could meet them.
		UnsatisfiableSplitBounds,
		/// `max_model_owner` is above what the three minimums leave (100 % less their sum):
		/// a cap no split can reach, promising owners more than any model could give them.
		ModelOwnerCapUnreachable,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// At each epoch boundary, turns the closed epoch's votes into the next price.
		fn on_initialize(n: BlockNumberFor<T>) -> Weight {
			let length = T::EpochLength::get();
			let at_boundary =
				n.checked_div(&length).is_some_and(|epochs| epochs.saturating_mul(length) == n);
			if n.is_zero() || !at_boundary {
				return T::DbWeight::get().reads(0);
			}
			Self::close_epoch(n)
		}

		fn integrity_test() {
			assert!(!T::EpochLength::get().is_zero(), "EpochLength must be positive");
			assert!(!T::InitialUnitPrice::get().is_zero(), "InitialUnitPrice must be positive");
			assert!(
				Pallet::<T>::check_params(&T::DefaultParams::get()).is_ok(),
				"DefaultParams out of bounds"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Proposes a model with its first version; holds `ModelDeposit`.
		///
		/// Origin: signed (becomes the owner). Emits `ModelRegistered`. Errors: `EmptyName`,
		/// `IncompleteRevenueSplit`, `RevenueSplitOutOfBounds` (outside `Params`),
		/// `InvalidFeeBounds`, `InvalidRegion`, `ZeroComputeUnits`, `NoModelIdLeft`, or a
		/// balance error if the deposit cannot be held.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_model())]
		pub fn register_model(
			origin: OriginFor<T>,
			name: BoundedVec<u8, MaxNameLen>,
			version: SemVer,
			metadata: ContainerMetadata,
		) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			Self::do_register_model(owner, name, version, metadata)
		}

		/// Approves a proposed model and its first version.
		///
		/// Origin: `ApproveOrigin`. Emits `ModelApproved`. Errors: `UnknownModel`, `WrongStatus`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::approve_model())]
		pub fn approve_model(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			T::ApproveOrigin::ensure_origin(origin)?;
			Self::do_decide_model(model, true)
		}

		/// Rejects a proposed model and releases its deposit.
		///
		/// Origin: `ApproveOrigin`. Emits `ModelRejected`. Errors: `UnknownModel`, `WrongStatus`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::reject_model())]
		pub fn reject_model(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			T::ApproveOrigin::ensure_origin(origin)?;
			Self::do_decide_model(model, false)
		}

		/// Puts an approved model into service.
		///
		/// Origin: the owner. Emits `ModelActivated`. Errors: `UnknownModel`, `NotOwner`,
		/// `WrongStatus`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::activate_model())]
		pub fn activate_model(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_activate_model(who, model)
		}

		/// Retires a model: no new receipts for it; its deposit is released.
		///
		/// Origin: the owner or `ApproveOrigin`. Emits `ModelDeprecated`. Errors:
		/// `UnknownModel`, `NotOwner`, `WrongStatus`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::deprecate_model())]
		pub fn deprecate_model(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			let by = match T::ApproveOrigin::try_origin(origin) {
				Ok(_) => None,
				Err(origin) => Some(ensure_signed(origin)?),
			};
			Self::do_deprecate_model(by, model)
		}

		/// Proposes a new, higher version with its own metadata.
		///
		/// Origin: the owner. Emits `VersionProposed`. Errors: `UnknownModel`, `NotOwner`,
		/// `WrongStatus`, `VersionNotHigher`, `TooManyVersions` and the metadata errors of
		/// `register_model`.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::propose_version())]
		pub fn propose_version(
			origin: OriginFor<T>,
			model: ModelId,
			version: SemVer,
			metadata: ContainerMetadata,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_propose_version(who, model, version, metadata)
		}

		/// Approves a proposed version.
		///
		/// Origin: `ApproveOrigin`. Emits `VersionApproved`. Errors: `UnknownModel`,
		/// `UnknownVersion`, `WrongStatus`.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::approve_version())]
		pub fn approve_version(
			origin: OriginFor<T>,
			model: ModelId,
			version: SemVer,
		) -> DispatchResult {
			T::ApproveOrigin::ensure_origin(origin)?;
			Self::do_decide_version(model, version, true)
		}

		/// Rejects a proposed version.
		///
		/// Origin: `ApproveOrigin`. Emits `VersionRejected`. Errors: `UnknownModel`,
		/// `UnknownVersion`, `WrongStatus`.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::approve_version())]
		pub fn reject_version(
			origin: OriginFor<T>,
			model: ModelId,
			version: SemVer,
		) -> DispatchResult {
			T::ApproveOrigin::ensure_origin(origin)?;
			Self::do_decide_version(model, version, false)
		}

		/// Makes a higher approved version the current one.
		///
		/// Origin: the owner. Emits `VersionActivated`. Errors: `UnknownModel`, `NotOwner`,
		/// `UnknownVersion`, `WrongStatus`, `VersionNotHigher`.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::activate_version())]
		pub fn activate_version(
			origin: OriginFor<T>,
			model: ModelId,
			version: SemVer,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_switch_version(who, model, version, false)
		}

		/// Moves the current version back to an earlier approved version.
		///
		/// Origin: the owner. Emits `RolledBack`. Errors: `UnknownModel`, `NotOwner`,
		/// `UnknownVersion`, `WrongStatus`, `NotAnEarlierVersion`.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::activate_version())]
		pub fn rollback(origin: OriginFor<T>, model: ModelId, version: SemVer) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_switch_version(who, model, version, true)
		}

		/// Sets the bounds every revenue split registered or proposed from now on must respect;
		/// models and versions already stored keep their split.
		///
		/// Origin: `ParamsOrigin`. Emits `ParamsSet`. Errors: `UnsatisfiableSplitBounds`,
		/// `ModelOwnerCapUnreachable`.
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::set_params())]
		pub fn set_params(origin: OriginFor<T>, params: RevenueSplitBounds) -> DispatchResult {
			T::ParamsOrigin::ensure_origin(origin)?;
			Self::check_params(&params)?;
			Params::<T>::put(params);
			Self::deposit_event(Event::ParamsSet { params });
			Ok(())
		}
	}
}
