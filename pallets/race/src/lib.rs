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

pub use traits::*;
pub use types::*;
pub use weights::WeightInfo;

/// Benchmark setup the runtime provides: workers belong to pallet-workers.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Registers a staked, active worker with a funded hot key and returns the hot key.
	fn worker(index: u32) -> AccountId;
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
			fungible::{Inspect, Mutate},
			Randomness,
		},
	};
	use frame_system::pallet_prelude::*;
	use pallet_slashing::ReportViolation;
	use pallet_workers::{WorkerInspect, WorkerPenalty};
	use sp_runtime::Perbill;

	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
	pub type RaceOf<T> = Race<BlockNumberFor<T>>;
	/// Validators assigned to one participant, with the weight each votes with.
	pub type AssignmentOf<T> = BoundedVec<
		(<T as frame_system::Config>::AccountId, u64),
		<T as Config>::ValidatorsPerParticipant,
	>;
	/// A finalized race's weights, heaviest first.
	pub type WeightsOf<T> =
		BoundedVec<(<T as frame_system::Config>::AccountId, u64), <T as Config>::MaxParticipants>;
	/// The validators of a race and their weights as running totals (`draw::weighted_cumulative`).
	pub type PoolOf<T> =
		BoundedVec<(<T as frame_system::Config>::AccountId, u64), <T as Config>::MaxParticipants>;
	pub type WorkEntryOf<T> = WorkEntry<BlockNumberFor<T>>;

	/// 1: race phases and hit fees moved from constants into `RaceParams`
	/// (`migrations::v1`). 2: every nonce counts: work commitments replace hit submissions
	/// (`migrations::v2`).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The token commitment fees are paid in.
		type Currency: Inspect<Self::AccountId> + Mutate<Self::AccountId>;

		/// The worker registry: only active workers race; validators who skip duty lose
		/// reputation.
		type Workers: WorkerInspect<Self::AccountId, BalanceOf<Self>>
			+ WorkerPenalty<Self::AccountId, BalanceOf<Self>>;

		/// Where rejected participants and withheld reveals are reported.
		type Violations: ReportViolation<Self::AccountId, BalanceOf<Self>>;

		/// Told of each finalized race's accepted weights: the rewards for compute.
		type OnWeightsAccepted: OnWeightsAccepted<Self::AccountId>;

		/// Randomness fixed by the block being built and unknown before it: BABE's VRF
		/// output of the parent block. Mixed into the race seed as the window opens and into
		/// the sample seed as it closes.
		type Randomness: Randomness<Self::Hash, BlockNumberFor<Self>>;

		/// Who may change the race parameters.
		type ParamsOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The parameters of a new chain's races (genesis may override them), and the phases
		/// and fees `migrations::v1` gives a chain that ran the pallet when they were
		/// constants.
		#[pallet::constant]
		type DefaultParams: Get<RaceParams>;

		/// A race starts at every multiple of this many blocks (when none is running); a
		/// race's phases must end within it.
		#[pallet::constant]
		type RacePeriod: Get<BlockNumberFor<Self>>;

		/// The previous race's top participants who commit to the next seed.
		#[pallet::constant]
		type MaxCommitters: Get<u32>;

		/// Most participants in one race (and validators in its pool).
		#[pallet::constant]
		type MaxParticipants: Get<u32>;

		/// Participants judged per block once the race has ended; the race is finalized when
		/// all are, so `RacePeriod` must leave `MaxParticipants / JudgedPerBlock` blocks after
		/// a race's phases.
		#[pallet::constant]
		type JudgedPerBlock: Get<u32>;

		/// Bound on `RaceParams::sample_size`: the openings one validator fetches per
		/// participant.
		#[pallet::constant]
		type MaxSampleSize: Get<u32>;

		/// Bound on `RaceParams::artifact_len`.
		#[pallet::constant]
		type MaxArtifactLen: Get<u32>;

		/// Validators drawn for each participant.
		#[pallet::constant]
		type ValidatorsPerParticipant: Get<u32>;

		/// Finalized races whose weights are kept.
		#[pallet::constant]
		type HistoryDepth: Get<u32>;

		/// Reputation a validator loses for each assigned vote it did not cast.
		#[pallet::constant]
		type NonVoterPenalty: Get<Perbill>;

		/// Receives commitment fees.
		#[pallet::constant]
		type TreasuryAccount: Get<Self::AccountId>;

		type WeightInfo: WeightInfo;

		/// Sets up workers for benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// `Params` before anything was stored: the runtime's defaults.
	#[pallet::type_value]
	pub fn DefaultParamsOf<T: Config>() -> RaceParams {
		T::DefaultParams::get()
	}

	/// The parameters the next race starts with; the running race keeps its own copy.
	#[pallet::storage]
	pub type Params<T: Config> = StorageValue<_, RaceParams, ValueQuery, DefaultParamsOf<T>>;

	/// The index the next race gets.
	#[pallet::storage]
	pub type NextRace<T: Config> = StorageValue<_, RaceIndex, ValueQuery>;

	/// The race in progress.
	#[pallet::storage]
	pub type CurrentRace<T: Config> = StorageValue<_, RaceOf<T>>;

	/// Who commits to the current race's seed: the previous race's top participants, or the
	/// genesis committers before any race was finalized.
	#[pallet::storage]
	pub type Committers<T: Config> =
		StorageValue<_, BoundedVec<T::AccountId, T::MaxCommitters>, ValueQuery>;

	/// Committers for the first race.
	#[pallet::storage]
	pub type GenesisCommitters<T: Config> =
		StorageValue<_, BoundedVec<T::AccountId, T::MaxCommitters>, ValueQuery>;

	// Maps keyed by accounts, which users choose, hash with `Blake2_128Concat` so that no one
	// can grind keys into one branch of the trie; race indices, which the chain counts, with
	// `Twox64Concat`.

	/// The current race's seed commitments and reveals.
	#[pallet::storage]
	pub type Commitments<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, SeedCommitment>;

	/// How many participants the current race has.
	#[pallet::storage]
	pub type ParticipantCount<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// The current race's participants, in order of their first commitment.
	#[pallet::storage]
	pub type ParticipantAt<T: Config> = StorageMap<_, Twox64Concat, u32, T::AccountId>;

	/// Each participant's latest work commitment in the current race.
	#[pallet::storage]
	pub type Work<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, WorkEntryOf<T>>;

	/// The current race's validators with their weights as running totals, fixed as the
	/// window closes: the previous race's weighted participants still active, or (when none
	/// has weight) this race's participants with weight 1 each. A participant's validators
	/// are `draw::weighted_cumulative(sample seed ‖ participant, pool, ValidatorsPerParticipant,
	/// the participant's own position)`, computed where needed rather than stored.
	#[pallet::storage]
	pub type ValidatorPool<T: Config> = StorageValue<_, PoolOf<T>, ValueQuery>;

	/// Votes: (participant, validator) → leaves of its sample that failed.
	#[pallet::storage]
	pub type Votes<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Blake2_128Concat, T::AccountId, u32>;

	/// Participants judged so far once the race has ended.
	#[pallet::storage]
	pub type Judged<T: Config> = StorageValue<_, u32>;

	/// Weights of the race being judged, in the order judged.
	#[pallet::storage]
	pub type PendingWeights<T: Config> = StorageValue<_, WeightsOf<T>, ValueQuery>;

	/// Weights of finalized races (the last `HistoryDepth`), heaviest first.
	#[pallet::storage]
	pub type RaceWeights<T: Config> = StorageMap<_, Twox64Concat, RaceIndex, WeightsOf<T>>;

	/// The latest finalized race.
	#[pallet::storage]
	pub type LastFinalized<T: Config> = StorageValue<_, RaceIndex>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The first race's parameters; `None` keeps the default, the whitepaper's race.
		pub params: Option<RaceParams>,
		/// Who commits to the first race's seed (may be empty: the seed is then BABE's
		/// randomness alone).
		pub committers: alloc::vec::Vec<T::AccountId>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Some(params) = self.params {
				assert!(Pallet::<T>::check_params(&params).is_ok(), "invalid genesis race params");
				Params::<T>::put(params);
			}
			assert!(
				self.committers.len() <= T::MaxCommitters::get() as usize,
				"more genesis committers than MaxCommitters"
			);
			GenesisCommitters::<T>::put(BoundedVec::truncate_from(self.committers.clone()));
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A race started: commits until `reveal_from`, reveals until `window_from`, hits
		/// until `validation_from`, votes until `ends`.
		RaceStarted {
			/// The race that started.
			race: RaceIndex,
			/// How many accounts may commit to its seed.
			committers: u32,
			/// The first block of the reveal phase.
			reveal_from: BlockNumberFor<T>,
			/// The first block of the window, in which hits are submitted.
			window_from: BlockNumberFor<T>,
			/// The first block of the validation phase.
			validation_from: BlockNumberFor<T>,
			/// The block at which the race is finalized.
			ends: BlockNumberFor<T>,
		},
		/// A committer committed to its contribution to the race seed.
		SeedCommitted {
			/// The race whose seed the commitment is for.
			race: RaceIndex,
			/// The committer.
			who: T::AccountId,
		},
		/// A committer revealed the secret behind its commitment.
		SeedRevealed {
			/// The race whose seed the secret goes into.
			race: RaceIndex,
			/// The committer.
			who: T::AccountId,
		},
		/// A committer did not reveal: left out of the seed, barred from this race and
		/// reported.
		RevealWithheld {
			/// The race whose seed it withheld from.
			race: RaceIndex,
			/// The committer who did not reveal.
			who: T::AccountId,
		},
		/// The race seed is fixed and the window open.
		SeedFixed {
			/// The race whose window opened.
			race: RaceIndex,
			/// The seed every participant's model and inputs derive from.
			seed: Hash,
			/// How many committers' secrets went into the seed.
			reveals: u32,
		},
		/// A participant committed to the first `count` nonces of its work.
		WorkCommitted {
			/// The race the work was done in.
			race: RaceIndex,
			/// The participant's hot key.
			who: T::AccountId,
			/// The root hash of the Merkle-sum tree over its leaves `0..count`.
			root: Hash,
			/// Nonces committed (the root's sum).
			count: u64,
			/// What the commitment cost, paid to the treasury.
			fee: BalanceOf<T>,
		},
		/// The window closed; samples and validators follow from `sample_seed`.
		WindowClosed {
			/// The race whose window closed.
			race: RaceIndex,
			/// The seed the opened leaves and the validators are drawn from.
			sample_seed: Hash,
			/// How many participants committed work.
			participants: u32,
			/// How many validators are in the pool.
			validators: u32,
		},
		/// A validator voted on a participant's opened sample.
		Voted {
			/// The race being validated.
			race: RaceIndex,
			/// The participant whose leaves were opened and recomputed.
			participant: T::AccountId,
			/// The validator who voted.
			validator: T::AccountId,
			/// How many opened leaves failed: missing, off the committed root, or beyond the
			/// tolerance when recomputed.
			mismatches: u32,
		},
		/// The verdict on a participant and the weight it earned.
		Judged {
			/// The race that was validated.
			race: RaceIndex,
			/// The participant judged.
			participant: T::AccountId,
			/// What its validators' votes decided.
			verdict: Verdict,
			/// The compute weight it earned: its committed count if accepted, zero otherwise.
			weight: u64,
		},
		/// A validator did not vote on a participant assigned to it.
		DutyMissed {
			/// The race being validated.
			race: RaceIndex,
			/// The validator who did not vote, and lost reputation for it.
			validator: T::AccountId,
			/// The participant it was assigned to.
			participant: T::AccountId,
		},
		/// A race's weights are final.
		RaceFinalized {
			/// The race finalized.
			race: RaceIndex,
			/// How many participants earned weight.
			weighted: u32,
			/// The sum of their weights.
			total_weight: u64,
		},
		/// The parameters of the next race were set.
		ParamsSet {
			/// The parameters the next race starts with.
			params: RaceParams,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No race is running.
		NoRace,
		/// The call names a race other than the one running.
		WrongRace,
		/// The race is not in its commit phase.
		NotCommitPhase,
		/// Only the race's committers commit.
		NotCommitter,
		/// The committer already committed.
		AlreadyCommitted,
		/// The race is not in its reveal phase.
		NotRevealPhase,
		/// Nothing was committed by this account.
		NoCommitment,
		/// The committer already revealed.
		AlreadyRevealed,
		/// The secret does not match the commitment.
		RevealMismatch,
		/// The race window is not open.
		WindowClosed,
		/// Only registered, active workers race.
		NotActiveWorker,
		/// A committer who withheld its reveal is barred from this race.
		Excluded,
		/// A commitment to no work.
		EmptyCommitment,
		/// A commitment must count more nonces than the participant's previous one.
		CountNotIncreasing,
		/// The participant committed less than `commit_interval` blocks ago.
		CommitTooSoon,
		/// The race has `MaxParticipants` participants already.
		TooManyParticipants,
		/// The race is not in its validation phase.
		NotValidationPhase,
		/// The account is not one of this participant's validators.
		NotAssigned,
		/// The validator already voted on this participant.
		AlreadyVoted,
		/// More failed leaves than leaves in the sample.
		ImpossibleVote,
		/// A race model no worker can run: a dimension of zero, or `d_model` not a multiple of
		/// `heads`.
		InvalidRaceModel,
		/// A sample that decides nothing: a sample size of zero or above `MaxSampleSize`, a
		/// zero tolerance, or at least as many allowed failures as leaves (`m ≥ s`).
		InvalidSampling,
		/// An artifact of zero coordinates, more than `d_model` or more than
		/// `MaxArtifactLen`.
		InvalidArtifact,
		/// A commit interval of zero blocks or longer than the window.
		InvalidCommitInterval,
		/// A phase (commit, reveal, window or validation) of zero blocks.
		ZeroPhase,
		/// The four phases and the judging of `MaxParticipants` take more than `RacePeriod`
		/// blocks, so the next race could not start on time.
		RaceLongerThanPeriod,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::advance(now)
		}

		fn integrity_test() {
			assert!(!T::RacePeriod::get().is_zero(), "RacePeriod must be positive");
			assert!(
				Self::check_params(&T::DefaultParams::get()).is_ok(),
				"DefaultParams describe no valid race"
			);
			assert!(T::ValidatorsPerParticipant::get() > 0, "ValidatorsPerParticipant is zero");
			assert!(T::JudgedPerBlock::get() > 0, "JudgedPerBlock is zero");
			assert!(T::MaxParticipants::get() > 0, "MaxParticipants is zero");
			assert!(T::HistoryDepth::get() > 0, "HistoryDepth is zero");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Commits to a contribution to the race seed: `commitment = seed_commitment(race,
		/// committer, secret)` (`ail2_primitives::race`). Reveal the secret in the reveal
		/// phase; a commitment left unrevealed is reported as `WithheldReveal`.
		///
		/// Origin: one of the race's committers. Emits `SeedCommitted`. Errors: `NoRace`,
		/// `WrongRace`, `NotCommitPhase`, `NotCommitter`, `AlreadyCommitted`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::commit_seed())]
		pub fn commit_seed(
			origin: OriginFor<T>,
			race: RaceIndex,
			commitment: Hash,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_commit(who, race, commitment)
		}

		/// Reveals the secret behind a commitment.
		///
		/// Origin: a committer who committed. Emits `SeedRevealed`. Errors: `NoRace`,
		/// `WrongRace`, `NotRevealPhase`, `NoCommitment`, `AlreadyRevealed`,
		/// `RevealMismatch`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::reveal_seed())]
		pub fn reveal_seed(origin: OriginFor<T>, race: RaceIndex, secret: Hash) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_reveal(who, race, secret)
		}

		/// Commits to the participant's work so far: `root` is the root hash of the Merkle-sum
		/// tree over the leaves of its nonces `0..count` (`ail2_primitives::race::work_leaf`
		/// of each nonce's artifact; every leaf counts one, so the root's sum is `count`), and
		/// `url` is where it serves openings to its validators. The last commitment before the
		/// window closes counts: if validators accept it, the participant's weight is `count`.
		/// Each commitment costs the race's `commit_fee`, paid to the treasury.
		///
		/// Origin: an active worker's hot key. Emits `WorkCommitted`. Errors: `NoRace`,
		/// `WrongRace`, `WindowClosed`, `NotActiveWorker`, `Excluded`, `EmptyCommitment`,
		/// `CountNotIncreasing`, `CommitTooSoon`, `TooManyParticipants`, or a balance error for
		/// the fee.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::commit_work())]
		pub fn commit_work(
			origin: OriginFor<T>,
			race: RaceIndex,
			root: Hash,
			count: u64,
			url: OpeningsUrl,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_commit_work(who, race, root, count, url)
		}

		/// A validator's vote on a participant: how many of the leaves it opened
		/// (`ail2_primitives::race::leaf_sample` of the sample seed, the participant and the
		/// validator) failed — not served in time, off the committed root, or recomputed beyond
		/// the race's tolerance.
		///
		/// Origin: a validator assigned to the participant. Emits `Voted`. Errors: `NoRace`,
		/// `WrongRace`, `NotValidationPhase`, `NotAssigned`, `AlreadyVoted`,
		/// `ImpossibleVote`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::vote(T::MaxParticipants::get()))]
		pub fn vote(
			origin: OriginFor<T>,
			race: RaceIndex,
			participant: T::AccountId,
			mismatches: u32,
		) -> DispatchResult {
			let validator = ensure_signed(origin)?;
			Self::do_vote(validator, race, participant, mismatches)
		}

		/// Sets the parameters the next race starts with.
		///
		/// The race running now keeps the parameters it started with: its model, sampling,
		/// schedule and fees.
		///
		/// Origin: `ParamsOrigin`. Emits `ParamsSet`. Errors: `InvalidRaceModel`,
		/// `InvalidSampling`, `InvalidArtifact`, `InvalidCommitInterval`, `ZeroPhase`,
		/// `RaceLongerThanPeriod`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::set_params())]
		pub fn set_params(origin: OriginFor<T>, params: RaceParams) -> DispatchResult {
			T::ParamsOrigin::ensure_origin(origin)?;
			Self::check_params(&params)?;
			Params::<T>::put(params);
			Self::deposit_event(Event::ParamsSet { params });
			Ok(())
		}
	}
}
