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

/// Benchmark setup the runtime provides: workers, models and batches belong to other
/// pallets.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Registers a staked, active worker whose receipt key lives in the host keystore under
	/// `pallet_workers::BENCHMARK_KEY_TYPE`; returns its hot key and receipt key.
	fn worker(index: u32) -> (AccountId, ail2_primitives::receipt::PublicKey);
	/// An active model version with a pricing policy.
	fn model() -> (ail2_primitives::ModelId, ail2_primitives::receipt::SemVer);
	/// Funds `payer`, opens its escrow and authorises `gateway`.
	fn payer(payer: &AccountId, gateway: ail2_primitives::receipt::PublicKey);
	/// Proposes a batch as `worker` and returns its id.
	#[allow(clippy::too_many_arguments)]
	fn propose(
		worker: &AccountId,
		payer: &AccountId,
		model: ail2_primitives::ModelId,
		version: ail2_primitives::receipt::SemVer,
		counters: (ail2_primitives::Counter, ail2_primitives::Counter),
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
	use ail2_primitives::Hash;
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
	use sp_runtime::{traits::Zero, Perbill};

	/// The balance type of `Config::Currency`.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
	/// A dispute as this pallet stores it.
	pub type DisputeOf<T> = Dispute<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		BlockNumberFor<T>,
		<T as Config>::CommitteeSize,
	>;

	/// A data-availability challenge as this pallet stores it.
	pub type AvailabilityChallengeOf<T> = AvailabilityChallenge<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		BlockNumberFor<T>,
	>;

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The token dispute bonds are held in.
		type Currency: Inspect<Self::AccountId>
			+ Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason, which the dispute bond's reason converts into.
		type RuntimeHoldReason: From<HoldReason>;

		/// Batches under challenge.
		type Batches: BatchInspect<Self::AccountId, BlockNumberFor<Self>> + BatchControl;

		/// The worker registry: receipt keys, stakes for the committee draw, reputation.
		type Workers: WorkerInspect<Self::AccountId, BalanceOf<Self>>
			+ WorkerPenalty<Self::AccountId, BalanceOf<Self>>;

		/// The model registry: pricing policies.
		type Models: ModelInspect<Self::AccountId, BalanceOf<Self>>;

		/// Where proven violations go to be punished.
		type Violations: ReportViolation<Self::AccountId, BalanceOf<Self>>;

		/// Randomness for committee draws: BABE's randomness of one epoch ago, so no block
		/// author can choose it.
		type Randomness: Randomness<Self::Hash, BlockNumberFor<Self>>;

		/// Randomness revealed only after a dispute opened, mixed into its committee draw so
		/// that the challenger cannot pick its opening block for a friendlier committee: BABE's
		/// VRF output of the draw block's parent, authored `DrawDelay − 1` blocks after the
		/// opening.
		type DrawRandomness: Randomness<Option<Self::Hash>, BlockNumberFor<Self>>;

		/// Blocks from a dispute's opening to its committee draw; at least 2, so that the
		/// draw block's parent is authored after the opening block.
		#[pallet::constant]
		type DrawDelay: Get<BlockNumberFor<Self>>;

		/// Most committee draws in one block; a dispute that would be the next one waits
		/// for the next block's slot (`DrawsFull`: open it again a block later).
		#[pallet::constant]
		type MaxDrawsPerBlock: Get<u32>;

		/// The `chain_id` receipts of this chain carry.
		#[pallet::constant]
		type ChainId: Get<u32>;

		/// The bond a challenger posts to open a dispute.
		#[pallet::constant]
		type DisputeBond: Get<BalanceOf<Self>>;

		/// `CommitteeSize` of §8.5: members drawn per dispute.
		#[pallet::constant]
		type CommitteeSize: Get<u32>;

		/// Fewest members a dispute may be judged by when fewer workers are eligible.
		#[pallet::constant]
		type MinCommitteeSize: Get<u32>;

		/// The most active workers the draw considers (pallet-workers' `MaxWorkers`).
		#[pallet::constant]
		type MaxCandidates: Get<u32>;

		/// Blocks the committee has to vote.
		#[pallet::constant]
		type VotingPeriod: Get<BlockNumberFor<Self>>;

		/// Reputation a member loses for not voting.
		#[pallet::constant]
		type NonVoterPenalty: Get<Perbill>;

		/// Share of a rejected dispute's bond paid to the accused worker's owner (the rest
		/// goes to the treasury): compensation for a refund fraud.
		#[pallet::constant]
		type DefendantShare: Get<Perbill>;

		/// Receives the rest of forfeited bonds, and stands as the challenger of emergency
		/// disputes.
		#[pallet::constant]
		type TreasuryAccount: Get<Self::AccountId>;

		/// May freeze a batch in an emergency (the Security Council): it opens a dispute
		/// without a bond, judged by a drawn committee like any other.
		type EmergencyOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The bond a challenger posts to ask for a batch's leaf; paid to the worker's owner
		/// when the leaf is posted.
		#[pallet::constant]
		type AvailabilityBond: Get<BalanceOf<Self>>;

		/// Blocks the worker has to post a leaf asked for.
		#[pallet::constant]
		type AnswerPeriod: Get<BlockNumberFor<Self>>;

		/// Weights of the calls, from this pallet's benchmarks.
		type WeightInfo: WeightInfo;

		/// Sets up workers, models and batches for benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A challenger's dispute bond.
		DisputeBond,
		/// A challenger's data-availability bond.
		AvailabilityBond,
	}

	/// Open disputes, by the batch they freeze (one at a time per batch).
	#[pallet::storage]
	pub type Disputes<T: Config> = StorageMap<_, Twox64Concat, BatchId, DisputeOf<T>>;

	/// Disputes whose committee is drawn in a block: the block → their batches. A dispute is
	/// in `Disputes` from its opening, with an empty committee until the draw.
	#[pallet::storage]
	pub type DrawQueue<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<BatchId, <T as Config>::MaxDrawsPerBlock>,
		ValueQuery,
	>;

	/// Open data-availability challenges, by batch (one at a time per batch). While one is
	/// open the batch is not paid.
	#[pallet::storage]
	pub type AvailabilityChallenges<T: Config> =
		StorageMap<_, Twox64Concat, BatchId, AvailabilityChallengeOf<T>>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A fraud was proven: the batch is void, its proposer punished, the challenger paid
		/// `bounty`.
		FraudProven {
			/// The batch the proof voided.
			batch: BatchId,
			/// What the proof showed.
			kind: FraudKind,
			/// The account that submitted the proof and was paid the bounty.
			challenger: T::AccountId,
			/// The worker (hot key) that proposed the batch and was punished.
			worker: T::AccountId,
			/// Stake taken from the worker in all, bounty included.
			slashed: BalanceOf<T>,
			/// The part of `slashed` paid to the challenger.
			bounty: BalanceOf<T>,
		},
		/// A dispute was opened: the batch is frozen and the bond held; its committee is drawn
		/// in block `draw_at`, from randomness not known now.
		DisputeRequested {
			/// The batch the dispute froze.
			batch: BatchId,
			/// What the challenger disputes.
			kind: DisputeKind,
			/// The account that opened the dispute.
			challenger: T::AccountId,
			/// Hash of the evidence the challenger published for the committee.
			evidence: Hash,
			/// The block the committee is drawn in.
			draw_at: BlockNumberFor<T>,
		},
		/// Too few workers were eligible when the committee was to be drawn: the batch is
		/// released and the bond returned.
		DisputeUndrawn {
			/// The batch released back into its window.
			batch: BatchId,
		},
		/// A dispute's committee was drawn; votes close after `voting_ends`.
		DisputeOpened {
			/// The batch the dispute froze.
			batch: BatchId,
			/// What the challenger disputes.
			kind: DisputeKind,
			/// The account that opened the dispute and posted the bond (the treasury, bondless,
			/// for an emergency `freeze_batch`).
			challenger: T::AccountId,
			/// Hash of the evidence the challenger published for the committee.
			evidence: Hash,
			/// The workers (hot keys) drawn to judge.
			committee: alloc::vec::Vec<T::AccountId>,
			/// The last block in which members may vote.
			voting_ends: BlockNumberFor<T>,
		},
		/// A committee member voted.
		Voted {
			/// The batch under dispute.
			batch: BatchId,
			/// The member (worker hot key) that voted.
			member: T::AccountId,
			/// Whether the member agrees with the challenger.
			uphold: bool,
		},
		/// The committee upheld the dispute: batch void, worker punished, bond returned.
		DisputeUpheld {
			/// The batch voided.
			batch: BatchId,
			/// Stake taken from the batch's worker in all, bounty included.
			slashed: BalanceOf<T>,
			/// The part of `slashed` paid to the challenger.
			bounty: BalanceOf<T>,
		},
		/// The committee rejected the dispute: batch released, bond forfeited.
		DisputeRejected {
			/// The batch released back into its window.
			batch: BatchId,
			/// The part of the bond paid to the owner of the accused worker.
			to_defendant: BalanceOf<T>,
			/// The rest of the bond, paid to the treasury.
			to_treasury: BalanceOf<T>,
		},
		/// Nobody voted: batch released, bond returned.
		DisputeInconclusive {
			/// The batch released back into its window.
			batch: BatchId,
		},
		/// The batch was voided by a fraud proof while disputed: bond returned.
		DisputeMooted {
			/// The batch whose dispute ended without a decision.
			batch: BatchId,
		},
		/// A leaf of a batch was asked for; the worker must post it by `deadline`.
		AvailabilityChallenged {
			/// The batch whose leaf is asked for.
			batch: BatchId,
			/// The leaf's position.
			index: u64,
			/// The account that asked and posted the bond.
			challenger: T::AccountId,
			/// The last block the leaf may be posted in.
			deadline: BlockNumberFor<T>,
		},
		/// The leaf asked for was posted with its proof: the bond went to the worker's owner.
		AvailabilityAnswered {
			/// The batch.
			batch: BatchId,
			/// The leaf posted (its receipt is in the call).
			index: u64,
			/// The bond paid to the owner of the batch's worker.
			to_worker: BalanceOf<T>,
		},
		/// The leaf was not posted in time: the batch is void and its worker punished; the
		/// challenger has its bond back (`AvailabilityReleased`) and `bounty`.
		AvailabilityExpired {
			/// The batch voided.
			batch: BatchId,
			/// The worker (hot key) punished.
			worker: T::AccountId,
			/// Stake taken from the worker in all, bounty included.
			slashed: BalanceOf<T>,
			/// The part of `slashed` paid to the challenger.
			bounty: BalanceOf<T>,
		},
		/// The batch was voided while its leaf was asked for (by a fraud proof, a spot
		/// check, a dispute or the challenge's own expiry): the bond is back with the
		/// challenger.
		AvailabilityReleased {
			/// The batch.
			batch: BatchId,
			/// The challenger, whose bond was released.
			challenger: T::AccountId,
			/// The bond released.
			bond: BalanceOf<T>,
		},
		/// A member who did not vote lost reputation.
		NonVoterPenalised {
			/// The batch whose dispute the member left unjudged.
			batch: BatchId,
			/// The member (worker hot key) that lost `NonVoterPenalty` of its reputation.
			member: T::AccountId,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The batch does not exist, is past its window, or is settled or void.
		BatchNotOpen,
		/// The proof does not lead to the batch's root.
		NotInBatch,
		/// The proof is well formed but shows nothing wrong.
		NoFraud,
		/// The two leaves of a duplicate-counter proof are not neighbours.
		NotNeighbours,
		/// The inner node named is not a node with two children in this batch.
		NotAnInnerNode,
		/// The model version has no pricing policy any more.
		UnknownPricing,
		/// The batch already has an open dispute.
		AlreadyDisputed,
		/// Too few active workers (other than the parties) to form a committee.
		NotEnoughArbiters,
		/// No open dispute for this batch.
		NoDispute,
		/// Only committee members vote.
		NotCommitteeMember,
		/// The member already voted.
		AlreadyVoted,
		/// The voting period is over.
		VotingClosed,
		/// The voting period is still running and the committee has not decided.
		VotingOpen,
		/// The dispute's committee is not drawn yet.
		CommitteeNotDrawn,
		/// This block's committee draws are all taken; open the dispute a block later.
		DrawsFull,
		/// The batch has no leaf at that position.
		NoSuchLeaf,
		/// A leaf of the batch is already asked for.
		AlreadyAsked,
		/// No leaf of the batch is asked for.
		NotAsked,
		/// The proof is for another leaf than the one asked for.
		OtherLeaf,
		/// The answer period is still running.
		AnswerPeriodOpen,
		/// The answer period is over: the leaf can no longer be posted.
		AnswerPeriodOver,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Draws the committees of the disputes opened `DrawDelay` blocks ago.
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::draw_due(now)
		}

		fn integrity_test() {
			assert!(
				T::DrawDelay::get() >= 2u32.into(),
				"DrawDelay below 2: the draw's randomness could be known at the opening"
			);
			assert!(T::MaxDrawsPerBlock::get() > 0, "MaxDrawsPerBlock must be positive");
			assert!(T::MinCommitteeSize::get() > 0, "MinCommitteeSize must be positive");
			assert!(
				T::MinCommitteeSize::get() <= T::CommitteeSize::get(),
				"MinCommitteeSize above CommitteeSize"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Proves a batch fraudulent. The batch is voided (its reserve returns to the
		/// payer's escrow), the proposer punished through pallet-slashing, and the
		/// challenger paid a bounty capped by the batch's total. Verification is O(log n):
		/// one Merkle-sum path (two for a duplicate counter) and at most two signature
		/// recoveries. A proven fraud costs the challenger no fee. (The proof is boxed so that
		/// its size does not enlarge every call of the runtime.)
		///
		/// Origin: any signed account. Emits `FraudProven`. Errors: `BatchNotOpen`,
		/// `NotInBatch`, `NoFraud`, `NotNeighbours`, `NotAnInnerNode`, `UnknownPricing`.
		#[pallet::call_index(0)]
		#[pallet::weight(weights::challenge::<T::WeightInfo>(proof.kind(), proof.depth()))]
		pub fn challenge(
			origin: OriginFor<T>,
			batch: BatchId,
			proof: alloc::boxed::Box<FraudProof>,
		) -> DispatchResultWithPostInfo {
			let challenger = ensure_signed(origin)?;
			Self::do_challenge(challenger, batch, *proof)?;
			Ok(Pays::No.into())
		}

		/// Opens a dispute that needs judgement (§6.5) against a batch in its window: posts
		/// `DisputeBond` and freezes the batch; `DrawDelay` blocks later `CommitteeSize`
		/// members are drawn from the active workers, weighted by stake, excluding the
		/// accused worker and the challenger, with randomness revealed after this block.
		///
		/// Origin: any signed account. Emits `DisputeRequested` (and `DisputeOpened` at the
		/// draw). Errors: `BatchNotOpen`, `AlreadyDisputed`, `NotEnoughArbiters`,
		/// `DrawsFull`, or a balance error for the bond.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::open_dispute(T::MaxCandidates::get()))]
		pub fn open_dispute(
			origin: OriginFor<T>,
			batch: BatchId,
			kind: DisputeKind,
			evidence: Hash,
		) -> DispatchResultWithPostInfo {
			let challenger = ensure_signed(origin)?;
			let candidates = Self::do_open_dispute(challenger, batch, kind, evidence)?;
			Ok(Some(T::WeightInfo::open_dispute(candidates)).into())
		}

		/// Freezes a batch in its window at once, in an emergency: opens a dispute of `kind`
		/// as `open_dispute` does, with the treasury as its challenger and no bond. The drawn
		/// committee judges it like any other; an upheld dispute's bounty goes to the
		/// treasury.
		///
		/// Origin: `EmergencyOrigin`. Emits `DisputeRequested`. Errors: `BatchNotOpen`,
		/// `AlreadyDisputed`, `NotEnoughArbiters`, `DrawsFull`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::open_dispute(T::MaxCandidates::get()))]
		pub fn freeze_batch(
			origin: OriginFor<T>,
			batch: BatchId,
			kind: DisputeKind,
			evidence: Hash,
		) -> DispatchResultWithPostInfo {
			T::EmergencyOrigin::ensure_origin(origin)?;
			let candidates = Self::do_open_dispute_with_bond(
				T::TreasuryAccount::get(),
				batch,
				kind,
				evidence,
				Zero::zero(),
			)?;
			Ok(Some(T::WeightInfo::open_dispute(candidates)).into())
		}

		/// A committee member's vote: `uphold` agrees with the challenger.
		///
		/// Origin: a member (worker hot key). Emits `Voted`. Errors: `NoDispute`,
		/// `CommitteeNotDrawn`, `NotCommitteeMember`, `AlreadyVoted`, `VotingClosed`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::vote())]
		pub fn vote(origin: OriginFor<T>, batch: BatchId, uphold: bool) -> DispatchResult {
			let member = ensure_signed(origin)?;
			Self::do_vote(member, batch, uphold)
		}

		/// Carries out a dispute's decision once a majority of the committee agrees or the
		/// voting period is over. Upheld: the batch is voided, the worker punished and the
		/// bond returned. Rejected: the batch is released and the bond forfeited to the
		/// worker's owner and the treasury. No votes: the batch is released and the bond
		/// returned. After the period, members who did not vote lose reputation.
		///
		/// Origin: any signed account. Emits `DisputeUpheld`, `DisputeRejected`,
		/// `DisputeInconclusive` or `DisputeMooted`, and `NonVoterPenalised`. Errors:
		/// `NoDispute`, `CommitteeNotDrawn`, `VotingOpen`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::close_dispute())]
		pub fn close_dispute(origin: OriginFor<T>, batch: BatchId) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_close_dispute(batch)
		}

		/// Asks for leaf `index` of a batch in its window, posting `AvailabilityBond`: the
		/// batch's worker (or anyone holding the leaf) must post it with its inclusion proof
		/// within `AnswerPeriod` blocks (`answer_availability`), or the batch is void and the
		/// worker punished (`expire_availability`). Until then the batch is not paid, and
		/// fraud proofs stay open as usual. One leaf per batch at a time. A watcher asks when
		/// the worker does not serve the leaf file it proposed.
		///
		/// Origin: any signed account. Emits `AvailabilityChallenged`. Errors:
		/// `BatchNotOpen`, `NoSuchLeaf`, `AlreadyAsked`, or a balance error for the bond.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::challenge_availability())]
		pub fn challenge_availability(
			origin: OriginFor<T>,
			batch: BatchId,
			index: u64,
		) -> DispatchResult {
			let challenger = ensure_signed(origin)?;
			Self::do_challenge_availability(challenger, batch, index)
		}

		/// Posts the leaf asked for, with its inclusion proof in the batch's root, before the
		/// deadline: the challenge ends and its bond goes to the owner of the batch's worker.
		/// The receipt is then on chain, in this call, for everyone to check.
		///
		/// Origin: any signed account. Emits `AvailabilityAnswered`. Errors: `NotAsked`,
		/// `AnswerPeriodOver`, `OtherLeaf`, `NotInBatch`, `BatchNotOpen`.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::answer_availability(proof.siblings.len() as u32))]
		pub fn answer_availability(
			origin: OriginFor<T>,
			batch: BatchId,
			proof: alloc::boxed::Box<LeafProof>,
		) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_answer_availability(batch, &proof)
		}

		/// Ends a challenge whose leaf was not posted by its deadline: the batch is voided
		/// (its reserve returns to the payer), its worker punished for `WithheldData`, and the
		/// challenger gets its bond back and the bounty. An open dispute over the batch is
		/// mooted.
		///
		/// Origin: any signed account. Emits `AvailabilityExpired` (and `DisputeMooted`).
		/// Errors: `NotAsked`, `AnswerPeriodOpen`.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::expire_availability())]
		pub fn expire_availability(origin: OriginFor<T>, batch: BatchId) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_expire_availability(batch)
		}
	}
}
