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

/// Benchmark setup the runtime provides: workers, models and batches belong to other pallets.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Registers a staked, active worker with a funded hot key and returns the hot key.
	fn worker(index: u32) -> AccountId;
	/// A registered model workers may bid for, a different one for each index.
	fn model(index: u32) -> ail2_primitives::ModelId;
	/// Proposes, as `worker`, a batch with `root` over `count` receipts of `model` to
	/// `payer` (funded, with escrow for it); returns its id.
	fn propose(
		worker: &AccountId,
		payer: &AccountId,
		model: ail2_primitives::ModelId,
		root: ail2_primitives::merkle::SumNode,
		count: u64,
	) -> pallet_receipts::BatchId;
}

// FRAME's expansion of the storage and error declarations calls `expect`; the logic of
// this pallet lives outside the module, under the workspace lints.
#[allow(clippy::expect_used)]
#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use ail2_primitives::{Hash, ModelId};
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, Mutate, MutateHold},
			Randomness,
		},
	};
	use frame_system::pallet_prelude::*;
	use pallet_models::ModelInspect;
	use pallet_receipts::{BatchControl, BatchId, BatchInspect};
	use pallet_slashing::ReportViolation;
	use pallet_workers::{WorkerInspect, WorkerPenalty};

	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
	pub type AuditOf<T> =
		Audit<<T as frame_system::Config>::AccountId, BalanceOf<T>, <T as Config>::MaxVerifiers>;
	pub type CheckOf<T> = Check<
		<T as frame_system::Config>::AccountId,
		BlockNumberFor<T>,
		<T as Config>::MaxVerifiers,
	>;
	/// A model's inference nodes for the round, with the bid each keeps on hold.
	pub type ElectedOf<T> = BoundedVec<
		(<T as frame_system::Config>::AccountId, BalanceOf<T>),
		<T as Config>::MaxInferenceNodes,
	>;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The native token: bids and report fees are holds on it.
		type Currency: Inspect<Self::AccountId, Balance = u128>
			+ Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The runtime's hold reasons, which include this pallet's.
		type RuntimeHoldReason: From<HoldReason>;

		/// The worker registry: who is active, stakes, reputation.
		type Workers: WorkerInspect<Self::AccountId, BalanceOf<Self>>
			+ WorkerPenalty<Self::AccountId, BalanceOf<Self>>;

		/// The model registry: which models exist, and how their revenue is split.
		type Models: ModelInspect<Self::AccountId, BalanceOf<Self>>;

		/// Settlement: the batches audited here, and voiding one that failed a check.
		type Batches: BatchInspect<Self::AccountId, BlockNumberFor<Self>> + BatchControl;

		/// Where a failed check is reported (`SpotCheckFailure`).
		type Violations: ReportViolation<Self::AccountId, BalanceOf<Self>>;

		/// Randomness nobody knows before the block that uses it is built (the current
		/// block's VRF output in the runtime): batches' duty seeds and elections.
		type Randomness: Randomness<Self::Hash, BlockNumberFor<Self>>;

		/// Who may change the parameters: the parameter-admin track, or root.
		type ParamsOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The parameters at genesis.
		#[pallet::constant]
		type DefaultParams: Get<PoiParams>;

		/// The largest verifier group governance may set.
		#[pallet::constant]
		type MaxVerifiers: Get<u32>;

		/// The most inference nodes per model and round governance may set.
		#[pallet::constant]
		type MaxInferenceNodes: Get<u32>;

		/// The most bidders per model and round.
		#[pallet::constant]
		type MaxBidders: Get<u32>;

		/// The most models with bids or inference nodes at once.
		#[pallet::constant]
		type MaxModels: Get<u32>;

		/// The most checks opened on one batch.
		#[pallet::constant]
		type MaxChecksPerBatch: Get<u32>;

		/// The most batches proposed in one block (their seeds are fixed in the next).
		#[pallet::constant]
		type MaxProposalsPerBlock: Get<u32>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;

		/// Sets up workers, models and batches for benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A bid for election as an inference node.
		Bid,
		/// A payer's report fee, until its check concludes.
		Report,
	}

	#[pallet::type_value]
	pub fn DefaultParamsOf<T: Config>() -> PoiParams {
		T::DefaultParams::get()
	}

	/// The parameters in force.
	#[pallet::storage]
	pub type Params<T: Config> = StorageValue<_, PoiParams, ValueQuery, DefaultParamsOf<T>>;

	/// The round in progress.
	#[pallet::storage]
	pub type CurrentRound<T: Config> = StorageValue<_, Round<BlockNumberFor<T>>, ValueQuery>;

	/// Bids for the next round's election, per model and worker (held).
	#[pallet::storage]
	pub type Bids<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ModelId, Blake2_128Concat, T::AccountId, BalanceOf<T>>;

	/// Bidders per model for the next round.
	#[pallet::storage]
	pub type BidCount<T: Config> = StorageMap<_, Twox64Concat, ModelId, u32, ValueQuery>;

	/// Models with bids for the next round.
	#[pallet::storage]
	pub type BidModels<T: Config> = StorageValue<_, BoundedVec<ModelId, T::MaxModels>, ValueQuery>;

	/// This round's inference nodes per model, with their bids (held until the round ends).
	#[pallet::storage]
	pub type Elected<T: Config> = StorageMap<_, Twox64Concat, ModelId, ElectedOf<T>, ValueQuery>;

	/// Models with inference nodes this round.
	#[pallet::storage]
	pub type ElectedModels<T: Config> =
		StorageValue<_, BoundedVec<ModelId, T::MaxModels>, ValueQuery>;

	/// Workers caught by a check in a round: they gain no reputation for it.
	#[pallet::storage]
	pub type Forfeited<T: Config> =
		StorageDoubleMap<_, Twox64Concat, RoundIndex, Blake2_128Concat, T::AccountId, ()>;

	/// The audit of every batch not yet paid or voided.
	#[pallet::storage]
	pub type Audits<T: Config> = StorageMap<_, Twox64Concat, BatchId, AuditOf<T>>;

	/// Batches proposed in this block, whose duty seeds the next block fixes.
	#[pallet::storage]
	pub type Unseeded<T: Config> =
		StorageValue<_, BoundedVec<BatchId, T::MaxProposalsPerBlock>, ValueQuery>;

	/// Open checks, by batch and leaf index.
	#[pallet::storage]
	pub type Checks<T: Config> =
		StorageDoubleMap<_, Twox64Concat, BatchId, Twox64Concat, u64, CheckOf<T>>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Overrides `DefaultParams` at genesis.
		pub params: Option<PoiParams>,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			Params::<T>::put(self.params.unwrap_or_else(T::DefaultParams::get));
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A worker bid for election in the next round.
		BidPlaced { model: ModelId, worker: T::AccountId, amount: BalanceOf<T> },
		/// A worker withdrew its bid.
		BidWithdrawn { model: ModelId, worker: T::AccountId, amount: BalanceOf<T> },
		/// A round began; its inference nodes were drawn from the bids by weight.
		RoundStarted { round: RoundIndex },
		/// The inference nodes of a model for `round`; the other bids were released.
		Elected { round: RoundIndex, model: ModelId, workers: alloc::vec::Vec<T::AccountId> },
		/// A round's inference nodes' bids went to the model's verifier group.
		BidsPaid { round: RoundIndex, model: ModelId, total: BalanceOf<T> },
		/// A proposed batch is audited: `group` votes on its checks.
		AuditOpened { batch: BatchId, group: alloc::vec::Vec<T::AccountId> },
		/// The batch's duty seed is fixed: it decides which receipts are due for a check.
		SeedFixed { batch: BatchId, seed: Hash },
		/// A check opened on leaf `index` of `batch`.
		CheckOpened { batch: BatchId, index: u64, receipt_id: Hash, reporter: Option<T::AccountId> },
		/// A verifier voted.
		Voted { batch: BatchId, index: u64, verifier: T::AccountId, valid: bool },
		/// A check without a majority got another verdict period.
		CheckExtended { batch: BatchId, index: u64, deadline: BlockNumberFor<T> },
		/// A check concluded.
		CheckConcluded { batch: BatchId, index: u64, outcome: Outcome },
		/// A verifier did not vote on a check it was due to.
		DutyMissed { batch: BatchId, index: u64, verifier: T::AccountId },
		/// The parameters changed.
		ParamsSet { params: PoiParams },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// Only active workers bid, verify or are elected.
		NotActiveWorker,
		/// No such model.
		UnknownModel,
		/// A bid below `min_bid`.
		BidTooLow,
		/// The model has `MaxBidders` bids already.
		TooManyBidders,
		/// `MaxModels` models have bids already.
		TooManyModels,
		/// No bid of this worker for this model.
		NoBid,
		/// The batch is not audited: unknown, or already paid or voided.
		NoAudit,
		/// Checks open only until the batch's challenge window ends.
		OpeningClosed,
		/// The proof does not place the receipt in the batch.
		BadProof,
		/// The batch's duty seed does not select this receipt for a spot check.
		NotSelected,
		/// The receipt already has a check.
		CheckExists,
		/// The batch has `MaxChecksPerBatch` checks already.
		TooManyChecks,
		/// Only the batch's payer reports its receipts.
		NotPayer,
		/// No open check on this receipt.
		NoCheck,
		/// Only the batch's verifier group votes.
		NotInGroup,
		/// This verifier voted on the check already.
		AlreadyVoted,
		/// The check's deadline has passed.
		VotingClosed,
		/// The check's deadline has not passed yet.
		VotingOpen,
		/// Parameters out of bounds (`PoiParams::is_valid`, `MaxVerifiers`,
		/// `MaxInferenceNodes`).
		InvalidParams,
		/// `MaxProposalsPerBlock` batches were proposed in this block already.
		TooManyProposals,
		/// The batch's duty seed is fixed in the block after its proposal.
		SeedNotFixed,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let seeded = Self::fix_seeds();
			let seeds = T::WeightInfo::fix_seeds(seeded);
			if Self::round_ends(now) {
				// Charged for the models and bidders there are, not the bounds: at the bounds
				// the boundary takes most of a block (1.45 s measured at 32 models × 256
				// bidders) whatever the round held.
				let weight = Self::end_round_weight();
				Self::end_round(now);
				seeds.saturating_add(weight)
			} else {
				seeds.saturating_add(T::DbWeight::get().reads(2))
			}
		}

		fn integrity_test() {
			assert!(
				Self::check_params(&T::DefaultParams::get()).is_ok(),
				"DefaultParams must be within the bounds set_params checks"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Bids `amount` (held) for election as an inference node of `model` in the next
		/// round, replacing this worker's earlier bid for it. At the round boundary the
		/// nodes are drawn by bid weight; the bids of those elected go to the model's
		/// verifier group at the end of their round, the others are released.
		///
		/// Origin: an active worker's hot key. Emits `BidPlaced`. Errors: `NotActiveWorker`,
		/// `UnknownModel`, `BidTooLow`, `TooManyBidders`, `TooManyModels`, or a balance
		/// error.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::bid())]
		pub fn bid(origin: OriginFor<T>, model: ModelId, amount: BalanceOf<T>) -> DispatchResult {
			let worker = ensure_signed(origin)?;
			Self::do_bid(worker, model, amount)
		}

		/// Withdraws this worker's bid for `model` before the election.
		///
		/// Origin: the bidder. Emits `BidWithdrawn`. Errors: `NoBid`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::withdraw_bid())]
		pub fn withdraw_bid(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			let worker = ensure_signed(origin)?;
			Self::do_withdraw_bid(worker, model)
		}

		/// Opens a spot check on a receipt of `batch` that its duty seed selects
		/// (`P_verify(price)` scaled by the worker's reputation), proven to be leaf
		/// `leaf.index` of the batch. The batch is not paid until the check concludes.
		///
		/// Origin: any signed account (a verifier of the group, a watcher). Emits
		/// `CheckOpened`. Errors: `NoAudit`, `SeedNotFixed`, `OpeningClosed`, `BadProof`,
		/// `NotSelected`, `CheckExists`, `TooManyChecks`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::open_check(leaf.siblings.len() as u32))]
		pub fn open_check(origin: OriginFor<T>, batch: BatchId, leaf: LeafProof) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_open_check(batch, leaf, None)
		}

		/// The payer reports a receipt of its batch it believes is not the model's answer
		/// (seed `pow2` §6, "dislike"): `report_fee` is held and the verifier group
		/// re-executes it. Upheld: the batch is voided (the payer pays nothing), the worker
		/// is slashed and the payer gets its fee back and a bounty of at most what serving
		/// the receipt honestly would have earned. Rejected: the fee pays the verifiers.
		///
		/// Origin: the batch's payer. Emits `CheckOpened`. Errors: `NoAudit`, `NotPayer`,
		/// `OpeningClosed`, `BadProof`, `CheckExists`, `TooManyChecks`, or a balance error.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::report(leaf.siblings.len() as u32))]
		pub fn report(origin: OriginFor<T>, batch: BatchId, leaf: LeafProof) -> DispatchResult {
			let payer = ensure_signed(origin)?;
			Self::do_open_check(batch, leaf, Some(payer))
		}

		/// A verifier's verdict on a check: `valid` when the replay matched the transcript
		/// within the tolerance (`docs/verification.md`), false when it did not or the worker
		/// could not produce it. More than half of the group's stake decides.
		///
		/// Origin: a member of the batch's verifier group. Emits `Voted`, and
		/// `CheckConcluded` when a majority is reached. Errors: `NoCheck`, `NoAudit`,
		/// `NotInGroup`, `AlreadyVoted`, `VotingClosed`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::vote(T::MaxVerifiers::get()))]
		pub fn vote(
			origin: OriginFor<T>,
			batch: BatchId,
			index: u64,
			valid: bool,
		) -> DispatchResult {
			let verifier = ensure_signed(origin)?;
			Self::do_vote(verifier, batch, index, valid)
		}

		/// Closes a check whose deadline passed without a majority: another verdict period
		/// while extensions remain, else it concludes `Inconclusive` (nobody is slashed).
		/// Members who did not vote lose reputation when it concludes.
		///
		/// Origin: any signed account. Emits `CheckExtended` or `CheckConcluded`, and
		/// `DutyMissed`. Errors: `NoCheck`, `NoAudit`, `VotingOpen`.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::close_check(T::MaxVerifiers::get()))]
		pub fn close_check(origin: OriginFor<T>, batch: BatchId, index: u64) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_close_check(batch, index)
		}

		/// Sets the parameters; checks and rounds under way keep what they started with where
		/// they stored it (groups, seeds, deadlines), everything else takes the new values.
		///
		/// Origin: `ParamsOrigin`. Emits `ParamsSet`. Errors: `InvalidParams`.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::set_params())]
		pub fn set_params(origin: OriginFor<T>, params: PoiParams) -> DispatchResult {
			T::ParamsOrigin::ensure_origin(origin)?;
			Self::check_params(&params)?;
			Params::<T>::put(params);
			Self::deposit_event(Event::ParamsSet { params });
			Ok(())
		}
	}
}
