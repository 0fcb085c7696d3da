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

pub use traits::{BatchAudit, BatchControl, BatchInspect, SettlementRevenue};

/// Benchmark setup the runtime provides: the registries this pallet reads belong to other
/// pallets.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Registers an active worker and an active, billable model; returns the worker's hot
	/// key and the model version.
	fn active_worker_and_model(
	) -> (AccountId, ail2_primitives::ModelId, ail2_primitives::receipt::SemVer);
}
pub use types::*;
pub use weights::WeightInfo;

// FRAME's expansion of the storage and error declarations calls `expect`; the logic of
// this pallet lives outside the module, under the workspace lints.
#[allow(clippy::expect_used, clippy::too_many_arguments)]
#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use ail2_primitives::{receipt::PublicKey, receipt::SemVer, Counter, Hash, ModelId};
	use frame_support::{
		pallet_prelude::*,
		traits::fungible::{Inspect, Mutate, MutateHold},
	};
	use frame_system::pallet_prelude::*;
	use pallet_models::ModelInspect;
	use pallet_workers::WorkerInspect;

	/// Balance of the token payers pay in.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
	/// A proposed batch of receipts.
	pub type BatchOf<T> = Batch<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;
	/// A payer's escrow bookkeeping.
	pub type EscrowOf<T> = Escrow<BalanceOf<T>, BlockNumberFor<T>>;
	/// An authorised gateway key.
	pub type GatewayKeyOf<T> = GatewayKey<BlockNumberFor<T>>;
	/// The settlement parameters governance sets.
	pub type SettlementParamsOf<T> = SettlementParams<BlockNumberFor<T>, BalanceOf<T>>;

	/// 1: the challenge window, withdrawal delay and revocation delay moved from constants
	/// to `Params` (`migrations::v1`). 2: `LastCounter` is kept per (worker, payer, model,
	/// version) instead of per (worker, payer) (`migrations::v2`).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The token payers pay in; escrow is a hold on it.
		type Currency: Inspect<Self::AccountId>
			+ Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The runtime's hold reasons, which include this pallet's.
		type RuntimeHoldReason: From<HoldReason>;

		/// The worker registry.
		type Workers: WorkerInspect<Self::AccountId, BalanceOf<Self>>;

		/// The model registry.
		type Models: ModelInspect<Self::AccountId, BalanceOf<Self>>;

		/// Proof of inference: audits each proposed batch and may hold its settlement while
		/// spot checks run. `()` for none.
		type Audit: BatchAudit<Self::AccountId, BlockNumberFor<Self>>;

		/// The training fund's share of every paid batch, and the demand subsidy its fees earn
		/// (pallet-issuance). `()` for none.
		type Revenue: SettlementRevenue<Self::AccountId, BalanceOf<Self>>;

		/// Receives the treasury's share of every batch.
		#[pallet::constant]
		type TreasuryAccount: Get<Self::AccountId>;

		/// Receives the ecosystem's share of every batch.
		#[pallet::constant]
		type EcosystemAccount: Get<Self::AccountId>;

		/// Who may change the settlement parameters (`set_params`): the parameter-admin
		/// track, or root.
		type ParamsOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The settlement parameters at genesis, and the values `MigrateToV1` writes on a
		/// chain that ran this pallet before they were parameters.
		#[pallet::constant]
		type DefaultParams: Get<SettlementParamsOf<Self>>;

		/// The longest challenge window (`BaseWindow + MaxExtraWindow`) governance may set.
		/// A revoked gateway key is kept this long after its revocation takes effect, so no
		/// batch it authorised is still challengeable when its record goes, whatever the
		/// window was when the batch was proposed. Lower it in an upgrade only once no batch
		/// with a longer window is open.
		#[pallet::constant]
		type MaxChallengeWindow: Get<BlockNumberFor<Self>>;

		/// The longest withdrawal or gateway-key revocation delay governance may set, so it
		/// can never lock payers' escrow indefinitely.
		#[pallet::constant]
		type MaxWithdrawalDelay: Get<BlockNumberFor<Self>>;

		/// Most gateway keys per payer, revoked keys not yet purged included.
		#[pallet::constant]
		type MaxGatewayKeys: Get<u32>;

		/// Blocks a paid or voided batch's record stays in `Batches` after it closed, for
		/// workers and watchers to read its outcome; then `on_idle` removes it. The events
		/// remain the history. No pallet reads a closed batch's record.
		#[pallet::constant]
		type PruneDelay: Get<BlockNumberFor<Self>>;

		/// Most records `on_idle` removes in one block, whatever weight is left.
		#[pallet::constant]
		type MaxPrunedPerBlock: Get<u32>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;

		/// Sets up workers and models for benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A payer's escrow.
		Escrow,
	}

	#[pallet::type_value]
	pub fn DefaultParamsOf<T: Config>() -> SettlementParamsOf<T> {
		T::DefaultParams::get()
	}

	/// The challenge window, withdrawal delay and revocation delay that batches proposed,
	/// withdrawals requested and keys revoked from now on take.
	#[pallet::storage]
	pub type Params<T: Config> =
		StorageValue<_, SettlementParamsOf<T>, ValueQuery, DefaultParamsOf<T>>;

	/// Escrow bookkeeping per payer.
	#[pallet::storage]
	pub type Escrows<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, EscrowOf<T>>;

	/// Gateway keys each payer authorised, with when they were added and revoked.
	#[pallet::storage]
	pub type GatewayKeys<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Blake2_128Concat,
		PublicKey,
		GatewayKeyOf<T>,
	>;

	/// Number of gateway keys per payer.
	#[pallet::storage]
	pub type GatewayKeyCount<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// The id of the next batch.
	#[pallet::storage]
	pub type NextBatchId<T: Config> = StorageValue<_, BatchId, ValueQuery>;

	/// Batches not yet paid or voided, and the record of those that were.
	#[pallet::storage]
	pub type Batches<T: Config> = StorageMap<_, Twox64Concat, BatchId, BatchOf<T>>;

	/// Closed batches waiting to be pruned, in the order they closed: queue position →
	/// (batch, first block its record may be removed in). Positions `PruneQueueBounds.0 ..
	/// PruneQueueBounds.1` are filled.
	#[pallet::storage]
	pub type PruneQueue<T: Config> = StorageMap<_, Twox64Concat, u64, (BatchId, BlockNumberFor<T>)>;

	/// The prune queue's head (next to prune) and tail (next free position).
	#[pallet::storage]
	pub type PruneQueueBounds<T: Config> = StorageValue<_, (u64, u64), ValueQuery>;

	/// Highest counter proposed per (worker, payer, model, version): the O(1) replay guard.
	/// A receipt names its model and version and is only valid in a batch of that pair, so
	/// each (model, version) stream of a worker and payer has its own strictly increasing
	/// counters, and streams whose counters interleave (one gateway sequence per worker,
	/// shared by several models or versions) settle independently.
	#[pallet::storage]
	pub type LastCounter<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Blake2_128Concat, T::AccountId>,
			NMapKey<Blake2_128Concat, T::AccountId>,
			NMapKey<Twox64Concat, ModelId>,
			NMapKey<Blake2_128Concat, SemVer>,
		),
		Counter,
		ValueQuery,
	>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Nothing to configure: genesis takes `DefaultParams`.
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
		/// A payer added to its escrow.
		Deposited {
			/// The payer whose escrow grew.
			payer: T::AccountId,
			/// The amount held from its free balance.
			amount: BalanceOf<T>,
		},
		/// A payer asked to take `amount` out; possible from `unlock_at`.
		WithdrawalRequested {
			/// The payer taking escrow out.
			payer: T::AccountId,
			/// The escrow leaving; it backs no new batch from now on.
			amount: BalanceOf<T>,
			/// The first block at which `withdraw` releases it.
			unlock_at: BlockNumberFor<T>,
		},
		/// Escrow left to the payer's free balance.
		Withdrawn {
			/// The payer that took escrow out.
			payer: T::AccountId,
			/// The amount released to its free balance.
			amount: BalanceOf<T>,
		},
		/// A payer authorised a gateway key.
		GatewayKeyAdded {
			/// The payer whose requests the key authorises.
			payer: T::AccountId,
			/// The gateway's compressed secp256k1 key.
			key: PublicKey,
		},
		/// A payer revoked a gateway key; it authorises batches proposed before
		/// `revoked_from`.
		GatewayKeyRevoked {
			/// The payer that revoked the key.
			payer: T::AccountId,
			/// The revoked key.
			key: PublicKey,
			/// The first block whose batches the key no longer authorises.
			revoked_from: BlockNumberFor<T>,
		},
		/// A revoked key's record was removed after every batch it could authorise closed.
		GatewayKeyPurged {
			/// The payer whose key slot was freed.
			payer: T::AccountId,
			/// The removed key.
			key: PublicKey,
		},
		/// A worker proposed a batch; its window closes after `challenge_until`.
		BatchProposed {
			/// The id the batch got.
			batch: BatchId,
			/// The worker (hot key) that served the receipts and proposed them.
			worker: T::AccountId,
			/// The payer whose escrow pays the batch.
			payer: T::AccountId,
			/// The model the receipts bill.
			model: ModelId,
			/// The model version the receipts bill.
			version: SemVer,
			/// The lowest counter of the batch's range.
			first_counter: Counter,
			/// The highest counter of the batch's range, from now on the pair's replay guard.
			last_counter: Counter,
			/// The Merkle-sum root's sum: what the batch charges, reserved from escrow.
			total: BalanceOf<T>,
			/// The number of receipts in the batch.
			count: u64,
			/// The hash of the leaf file challengers fetch.
			content_hash: Hash,
			/// The last block in which the batch can be challenged.
			challenge_until: BlockNumberFor<T>,
		},
		/// A batch's window closed without a proven fraud.
		BatchFinalized {
			/// The finalized batch.
			batch: BatchId,
		},
		/// A batch was paid by the revenue split.
		BatchPaid {
			/// The paid batch.
			batch: BatchId,
			/// Paid to the worker's owner (with the rounding remainders).
			worker_share: BalanceOf<T>,
			/// Paid to the model's owner.
			model_owner_share: BalanceOf<T>,
			/// Paid to the treasury account.
			treasury_share: BalanceOf<T>,
			/// Paid to the ecosystem account.
			ecosystem_share: BalanceOf<T>,
			/// Paid to the training fund before the split.
			training_fund_share: BalanceOf<T>,
		},
		/// A batch was voided by a proven fraud; its reserve went back to escrow.
		BatchVoided {
			/// The voided batch.
			batch: BatchId,
		},
		/// An arbitration dispute froze a batch.
		BatchDisputed {
			/// The frozen batch.
			batch: BatchId,
		},
		/// A dispute was rejected: the batch is back in its window (or settleable if the
		/// window passed meanwhile).
		BatchReleased {
			/// The released batch.
			batch: BatchId,
		},
		/// Governance set the settlement parameters.
		ParamsSet {
			/// What batches proposed, withdrawals requested and keys revoked from now on take.
			params: SettlementParamsOf<T>,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// Amounts must be positive.
		ZeroAmount,
		/// The payer has no escrow.
		NoEscrow,
		/// Not enough escrow is free for this.
		InsufficientEscrow,
		/// A withdrawal is already pending; withdraw it first.
		WithdrawalPending,
		/// No withdrawal is pending.
		NoWithdrawal,
		/// The withdrawal delay has not passed.
		WithdrawalLocked,
		/// The key is already authorised.
		GatewayKeyExists,
		/// The key is not authorised.
		UnknownGatewayKey,
		/// The key is already revoked.
		GatewayKeyRevoked,
		/// The key is not revoked, or batches it authorised may still be challenged.
		GatewayKeyInUse,
		/// The payer already has `MaxGatewayKeys` keys.
		TooManyGatewayKeys,
		/// The proposer is not an active worker.
		NotActiveWorker,
		/// The model version cannot be billed.
		ModelNotBillable,
		/// The counter range is empty, reversed or smaller than the receipt count.
		InvalidCounterRange,
		/// The range starts at or below the highest counter already proposed for this pair.
		CounterReused,
		/// A batch has at least one receipt.
		EmptyBatch,
		/// No such batch.
		UnknownBatch,
		/// The batch is not in its challenge window.
		NotInChallenge,
		/// The challenge window is still open.
		ChallengeWindowOpen,
		/// The batch is not under dispute.
		NotDisputed,
		/// Batch ids are exhausted.
		NoBatchIdLeft,
		/// `BaseWindow` is zero: a batch could settle before anyone checked it.
		ZeroBaseWindow,
		/// `ReceiptsPerExtraBlock` is zero.
		ZeroReceiptsPerExtraBlock,
		/// `ValuePerExtraBlock` is zero.
		ZeroValuePerExtraBlock,
		/// `BaseWindow + MaxExtraWindow` is above `MaxChallengeWindow`.
		ChallengeWindowTooLong,
		/// `WithdrawalDelay` is not longer than the longest challenge window: a payer could
		/// withdraw escrow before a batch against it can finalize.
		WithdrawalDelayTooShort,
		/// `WithdrawalDelay` is above `MaxWithdrawalDelay`.
		WithdrawalDelayTooLong,
		/// `GatewayRevocationDelay` is zero: a worker could not propose what a key authorised
		/// just before its revocation.
		ZeroRevocationDelay,
		/// `GatewayRevocationDelay` is above `MaxWithdrawalDelay`.
		RevocationDelayTooLong,
		/// Spot checks on the batch are still open: it is paid once they conclude.
		SettlementHeld,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(
				Self::check_params(&T::DefaultParams::get()).is_ok(),
				"DefaultParams must be within the bounds set_params checks"
			);
			assert!(T::MaxPrunedPerBlock::get() > 0, "MaxPrunedPerBlock must be positive");
		}

		/// Removes the records of batches closed more than `PruneDelay` ago, oldest first,
		/// within the weight left in the block and `MaxPrunedPerBlock`.
		fn on_idle(now: BlockNumberFor<T>, remaining: Weight) -> Weight {
			Self::prune_closed(now, remaining)
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Holds `amount` of the payer's balance as escrow.
		///
		/// Origin: the payer. Emits `Deposited`. Errors: `ZeroAmount`, or a balance error.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::deposit())]
		pub fn deposit(origin: OriginFor<T>, amount: BalanceOf<T>) -> DispatchResult {
			let payer = ensure_signed(origin)?;
			Self::do_deposit(payer, amount)
		}

		/// Marks `amount` of free escrow as leaving; `withdraw` releases it after
		/// `WithdrawalDelay` blocks (the delay in force now).
		///
		/// Origin: the payer. Emits `WithdrawalRequested`. Errors: `ZeroAmount`, `NoEscrow`,
		/// `WithdrawalPending`, `InsufficientEscrow`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::request_withdrawal())]
		pub fn request_withdrawal(origin: OriginFor<T>, amount: BalanceOf<T>) -> DispatchResult {
			let payer = ensure_signed(origin)?;
			Self::do_request_withdrawal(payer, amount)
		}

		/// Releases a matured withdrawal to the payer.
		///
		/// Origin: the payer. Emits `Withdrawn`. Errors: `NoEscrow`, `NoWithdrawal`,
		/// `WithdrawalLocked`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::withdraw())]
		pub fn withdraw(origin: OriginFor<T>) -> DispatchResult {
			let payer = ensure_signed(origin)?;
			Self::do_withdraw(payer)
		}

		/// Authorises a gateway key to sign request authorisations for the payer.
		///
		/// Origin: the payer. Emits `GatewayKeyAdded`. Errors: `GatewayKeyExists`,
		/// `TooManyGatewayKeys`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::add_gateway_key())]
		pub fn add_gateway_key(origin: OriginFor<T>, key: PublicKey) -> DispatchResult {
			let payer = ensure_signed(origin)?;
			Self::do_add_gateway_key(payer, key)
		}

		/// Revokes a gateway key. Batches proposed in the next `GatewayRevocationDelay`
		/// blocks (the delay in force now) may still carry receipts it authorised; workers
		/// stop accepting it at once.
		///
		/// Origin: the payer. Emits `GatewayKeyRevoked`. Errors: `UnknownGatewayKey`,
		/// `GatewayKeyRevoked`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::revoke_gateway_key())]
		pub fn revoke_gateway_key(origin: OriginFor<T>, key: PublicKey) -> DispatchResult {
			let payer = ensure_signed(origin)?;
			Self::do_revoke_gateway_key(payer, key)
		}

		/// Proposes a batch of receipts and reserves its total from the payer's escrow.
		///
		/// Origin: the serving worker's hot key. Parameters: the payer, the model version,
		/// the inclusive counter range, the Merkle-sum root (`root_hash`, `total`), the number
		/// of receipts, and the hash and URL of the leaf file.
		///
		/// Emits `BatchProposed`. Errors: `NotActiveWorker`, `ModelNotBillable`, `EmptyBatch`,
		/// `InvalidCounterRange`, `CounterReused`, `NoEscrow`, `InsufficientEscrow`,
		/// `NoBatchIdLeft`.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::propose_batch().saturating_add(T::Audit::proposal_weight()))]
		pub fn propose_batch(
			origin: OriginFor<T>,
			payer: T::AccountId,
			model: ModelId,
			version: SemVer,
			first_counter: Counter,
			last_counter: Counter,
			root_hash: Hash,
			total: BalanceOf<T>,
			count: u64,
			content_hash: Hash,
			url: BoundedVec<u8, MaxUrlLen>,
		) -> DispatchResult {
			let worker = ensure_signed(origin)?;
			Self::do_propose_batch(
				worker,
				payer,
				model,
				version,
				(first_counter, last_counter),
				root_hash,
				total,
				count,
				content_hash,
				url,
			)
		}

		/// Finalizes a batch whose window has passed and pays it out by the model's revenue
		/// split.
		///
		/// Origin: any signed account. Emits `BatchFinalized` and `BatchPaid`. Errors:
		/// `UnknownBatch`, `NotInChallenge`, `ChallengeWindowOpen`, `SettlementHeld` (spot
		/// checks still open), or a balance error.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::settle_batch()
			.saturating_add(T::Audit::closing_weight())
			.saturating_add(T::Revenue::paid_weight()))]
		pub fn settle_batch(origin: OriginFor<T>, batch: BatchId) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_settle_batch(batch)
		}

		/// Removes the record of a revoked gateway key once no batch it authorised can be
		/// challenged any more (more than `MaxChallengeWindow` blocks after revocation took
		/// effect), freeing the payer's key slot.
		///
		/// Origin: any signed account. Emits `GatewayKeyPurged`. Errors:
		/// `UnknownGatewayKey`, `GatewayKeyInUse`.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::purge_gateway_key())]
		pub fn purge_gateway_key(
			origin: OriginFor<T>,
			payer: T::AccountId,
			key: PublicKey,
		) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_purge_gateway_key(payer, key)
		}

		/// Sets the challenge window, withdrawal delay and revocation delay. They apply to
		/// batches proposed, withdrawals requested and keys revoked from the next call on;
		/// what is already running keeps the values it started with.
		///
		/// Origin: `ParamsOrigin`. Emits `ParamsSet`. Errors: `ZeroBaseWindow`,
		/// `ZeroReceiptsPerExtraBlock`, `ZeroValuePerExtraBlock`, `ChallengeWindowTooLong`,
		/// `WithdrawalDelayTooShort`, `WithdrawalDelayTooLong`, `ZeroRevocationDelay`,
		/// `RevocationDelayTooLong`.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::set_params())]
		pub fn set_params(origin: OriginFor<T>, params: SettlementParamsOf<T>) -> DispatchResult {
			T::ParamsOrigin::ensure_origin(origin)?;
			Self::check_params(&params)?;
			Params::<T>::put(params);
			Self::deposit_event(Event::ParamsSet { params });
			Ok(())
		}
	}
}
