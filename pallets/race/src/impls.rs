//! The race's schedule, its calls and the compute weights it produces.

use crate::*;
use ail2_primitives::{
	domain,
	draw::weighted_members,
	race::{race_seed, sample_seed, seed_commitment},
	Hash,
};
use alloc::vec::Vec;
use codec::Encode;
use frame_support::{
	pallet_prelude::*,
	traits::{fungible::Mutate, tokens::Preservation, Randomness},
};
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_slashing::{ReportViolation, Violation};
use pallet_workers::{WorkerInspect, WorkerPenalty};
use sp_runtime::traits::{Saturating, UniqueSaturatedInto, Zero};

const LOG_TARGET: &str = "runtime::race";

impl<T: Config> Pallet<T> {
	/// Moves the race along its schedule at the start of block `now`: fixes the seed as the
	/// window opens, fixes the sample seed and the validator pool as it closes, judges
	/// `JudgedPerBlock` participants per block from its end until all are, and starts the next
	/// race at a multiple of `RacePeriod`.
	pub(crate) fn advance(now: BlockNumberFor<T>) -> Weight {
		let mut weight = T::DbWeight::get().reads(1);
		if let Some(race) = CurrentRace::<T>::get() {
			if race.seed.is_none() && now >= race.window_from {
				weight.saturating_accrue(Self::fix_seed(race));
			} else if race.seed.is_some()
				&& race.sample_seed.is_none()
				&& now >= race.validation_from
			{
				weight.saturating_accrue(Self::close_window(race));
			} else if race.sample_seed.is_some() && now >= race.ends {
				weight.saturating_accrue(Self::judge(race));
			}
		}
		if CurrentRace::<T>::get().is_none() && !now.is_zero() && Self::is_race_start(now) {
			weight.saturating_accrue(Self::start_race(now));
		}
		weight
	}

	/// Whether a race starts at `now`: a multiple of `RacePeriod`.
	fn is_race_start(now: BlockNumberFor<T>) -> bool {
		let now: u64 = now.unique_saturated_into();
		let period: u64 = T::RacePeriod::get().unique_saturated_into();
		now.checked_rem(period) == Some(0)
	}

	/// Starts a race with the current parameters; its committers are the previous race's top
	/// participants still active (the genesis committers before any race was finalized).
	pub(crate) fn start_race(now: BlockNumberFor<T>) -> Weight {
		let index = NextRace::<T>::get();
		NextRace::<T>::put(index.saturating_add(1));
		let race = Race::schedule(index, Params::<T>::get(), now);
		let committers: Vec<T::AccountId> = match LastFinalized::<T>::get() {
			Some(last) => RaceWeights::<T>::get(last)
				.unwrap_or_default()
				.into_iter()
				.map(|(who, _)| who)
				.filter(T::Workers::is_active)
				.take(T::MaxCommitters::get() as usize)
				.collect(),
			None => GenesisCommitters::<T>::get().into_inner(),
		};
		let count = committers.len() as u32;
		Committers::<T>::put(BoundedVec::truncate_from(committers));
		Self::deposit_event(Event::RaceStarted {
			race: index,
			committers: count,
			reveal_from: race.reveal_from,
			window_from: race.window_from,
			validation_from: race.validation_from,
			ends: race.ends,
		});
		CurrentRace::<T>::put(race);
		T::WeightInfo::start_race(count)
	}

	/// Fixes the race seed as the window opens: [`race_seed`] of the race, fresh randomness
	/// and the revealed secrets in committer order. Committers who committed and did not
	/// reveal are left out, barred from the race and reported.
	pub(crate) fn fix_seed(mut race: RaceOf<T>) -> Weight {
		let (randomness, _) = T::Randomness::random(&(domain::RACE_SEED, race.index).encode());
		let committers = Committers::<T>::get();
		let mut secrets = Vec::with_capacity(committers.len());
		for who in committers.iter() {
			match Commitments::<T>::get(who) {
				Some(SeedCommitment { revealed: Some(secret), .. }) => secrets.push(secret),
				Some(SeedCommitment { revealed: None, .. }) => {
					if let Err(error) =
						T::Violations::report(who, Violation::WithheldReveal, None, Zero::zero())
					{
						log::warn!(target: LOG_TARGET, "withheld reveal not punished: {error:?}");
					}
					Self::deposit_event(Event::RevealWithheld {
						race: race.index,
						who: who.clone(),
					});
				},
				None => {},
			}
		}
		let reveals = secrets.len() as u32;
		let seed = race_seed(race.index, randomness.as_ref(), &secrets);
		race.seed = Some(seed);
		Self::deposit_event(Event::SeedFixed { race: race.index, seed, reveals });
		CurrentRace::<T>::put(race);
		T::WeightInfo::fix_seed(committers.len() as u32)
	}

	/// Closes the window: fixes the sample seed ([`sample_seed`] of the race, its seed and
	/// fresh randomness) and the validator pool.
	pub(crate) fn close_window(mut race: RaceOf<T>) -> Weight {
		let (randomness, _) =
			T::Randomness::random(&(domain::RACE_SAMPLE_SEED, race.index).encode());
		let sample_seed =
			sample_seed(race.index, &race.seed.unwrap_or_default(), randomness.as_ref());
		race.sample_seed = Some(sample_seed);
		let participants = ParticipantCount::<T>::get();
		let previous = Self::previous_weights();
		let mut running = 0u64;
		let mut pool: Vec<(T::AccountId, u64)> = Vec::with_capacity(previous.len());
		for (who, weight) in previous.iter() {
			if *weight > 0 && T::Workers::is_active(who) {
				running = running.saturating_add(*weight);
				pool.push((who.clone(), running));
			}
		}
		// Nobody with weight yet (the first race, or one after a race nobody passed): the
		// race's participants validate each other with weight 1 each.
		if pool.is_empty() {
			for index in 0..participants {
				if let Some(who) = ParticipantAt::<T>::get(index) {
					running = running.saturating_add(1);
					pool.push((who, running));
				}
			}
		}
		let validators = pool.len() as u32;
		ValidatorPool::<T>::put(BoundedVec::truncate_from(pool));
		Self::deposit_event(Event::WindowClosed {
			race: race.index,
			sample_seed,
			participants,
			validators,
		});
		CurrentRace::<T>::put(race);
		T::WeightInfo::close_window(previous.len().max(participants as usize) as u32)
	}

	/// The latest finalized race's weights (who validates the next race).
	fn previous_weights() -> Vec<(T::AccountId, u64)> {
		LastFinalized::<T>::get()
			.and_then(RaceWeights::<T>::get)
			.map(BoundedVec::into_inner)
			.unwrap_or_default()
	}

	/// `participant`'s validators and the weight each votes with, drawn from the race's
	/// `pool` by weight with [`weighted_members`], never the participant itself.
	pub fn assignment(
		sample_seed: &Hash,
		participant: &T::AccountId,
		pool: &[(T::AccountId, u64)],
	) -> Vec<(T::AccountId, u64)> {
		weighted_members(
			&(sample_seed, participant).encode(),
			pool,
			T::ValidatorsPerParticipant::get(),
			Some(participant),
		)
	}

	/// Judges up to `JudgedPerBlock` participants from their validators' votes, penalising
	/// validators who did not vote and rejected participants; once all are judged, records
	/// the weights and clears the race.
	pub(crate) fn judge(race: RaceOf<T>) -> Weight {
		let total = ParticipantCount::<T>::get();
		let from = Judged::<T>::get().unwrap_or(0);
		let to = from.saturating_add(T::JudgedPerBlock::get()).min(total);
		let weights = Self::judge_range(&race, from, to);
		let judged = to.saturating_sub(from);
		if to < total {
			Judged::<T>::put(to);
			PendingWeights::<T>::put(weights);
			return T::WeightInfo::judge(judged);
		}
		let rewarded = Self::conclude(race, weights);
		T::WeightInfo::judge(judged)
			.saturating_add(T::WeightInfo::conclude(total))
			.saturating_add(rewarded)
	}

	/// Judges the participants at positions `from..to`, returning the race's pending weights
	/// with theirs added.
	pub(crate) fn judge_range(race: &RaceOf<T>, from: u32, to: u32) -> WeightsOf<T> {
		let sample_seed = race.sample_seed.unwrap_or_default();
		let pool = ValidatorPool::<T>::get();
		let mut weights = PendingWeights::<T>::get();
		for index in from..to {
			let Some(participant) = ParticipantAt::<T>::take(index) else { continue };
			let Some(entry) = Work::<T>::take(&participant) else { continue };
			let (mut accepting, mut rejecting, mut assigned) = (0u128, 0u128, 0u128);
			for (validator, weight) in Self::assignment(&sample_seed, &participant, &pool) {
				assigned.saturating_accrue(u128::from(weight));
				match Votes::<T>::take(&participant, &validator) {
					Some(failed) if failed <= race.params.max_mismatches => {
						accepting.saturating_accrue(u128::from(weight))
					},
					Some(_) => rejecting.saturating_accrue(u128::from(weight)),
					None => {
						T::Workers::reduce_reputation(&validator, T::NonVoterPenalty::get());
						Self::deposit_event(Event::DutyMissed {
							race: race.index,
							validator,
							participant: participant.clone(),
						});
					},
				}
			}
			let verdict = verdict(accepting, rejecting, assigned);
			let weight = if verdict == Verdict::Accepted { entry.count } else { 0 };
			if verdict == Verdict::Rejected {
				if let Err(error) = T::Violations::report(
					&participant,
					Violation::SpotCheckFailure,
					None,
					Zero::zero(),
				) {
					log::warn!(target: LOG_TARGET, "rejected participant not punished: {error:?}");
				}
			}
			if weight > 0 {
				// Bounded by `MaxParticipants`, which bounds the participants.
				let _ = weights.try_push((participant.clone(), weight));
			}
			Self::deposit_event(Event::Judged { race: race.index, participant, verdict, weight });
		}
		weights
	}

	/// Records a judged race's weights, heaviest first (equal weights in the order of first
	/// commitment), tells `T::OnWeightsAccepted` of them and clears the race; returns the
	/// weight the hook used.
	fn conclude(race: RaceOf<T>, weights: WeightsOf<T>) -> Weight {
		let mut weights = weights.into_inner();
		weights.sort_by_key(|(_, weight)| core::cmp::Reverse(*weight));
		let total_weight = weights.iter().fold(0u64, |sum, (_, w)| sum.saturating_add(*w));
		let weighted = weights.len() as u32;
		let rewarded = T::OnWeightsAccepted::weights_accepted(race.index, &weights);
		RaceWeights::<T>::insert(race.index, BoundedVec::truncate_from(weights));
		if let Some(old) = race.index.checked_sub(T::HistoryDepth::get()) {
			RaceWeights::<T>::remove(old);
		}
		LastFinalized::<T>::put(race.index);
		for committer in Committers::<T>::take().iter() {
			Commitments::<T>::remove(committer);
		}
		ParticipantCount::<T>::kill();
		ValidatorPool::<T>::kill();
		PendingWeights::<T>::kill();
		Judged::<T>::kill();
		CurrentRace::<T>::kill();
		Self::deposit_event(Event::RaceFinalized { race: race.index, weighted, total_weight });
		rewarded
	}

	/// The running race, if it is `race`.
	fn running(race: RaceIndex) -> Result<RaceOf<T>, DispatchError> {
		let current = CurrentRace::<T>::get().ok_or(Error::<T>::NoRace)?;
		ensure!(current.index == race, Error::<T>::WrongRace);
		Ok(current)
	}

	pub(crate) fn do_commit(
		who: T::AccountId,
		race: RaceIndex,
		commitment: Hash,
	) -> DispatchResult {
		let current = Self::running(race)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(current.phase(now) == Phase::Commit, Error::<T>::NotCommitPhase);
		ensure!(Committers::<T>::get().contains(&who), Error::<T>::NotCommitter);
		ensure!(!Commitments::<T>::contains_key(&who), Error::<T>::AlreadyCommitted);
		Commitments::<T>::insert(&who, SeedCommitment { commitment, revealed: None });
		Self::deposit_event(Event::SeedCommitted { race, who });
		Ok(())
	}

	pub(crate) fn do_reveal(who: T::AccountId, race: RaceIndex, secret: Hash) -> DispatchResult {
		let current = Self::running(race)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(current.phase(now) == Phase::Reveal, Error::<T>::NotRevealPhase);
		let mut entry = Commitments::<T>::get(&who).ok_or(Error::<T>::NoCommitment)?;
		ensure!(entry.revealed.is_none(), Error::<T>::AlreadyRevealed);
		ensure!(
			seed_commitment(race, &who.encode(), &secret) == entry.commitment,
			Error::<T>::RevealMismatch
		);
		entry.revealed = Some(secret);
		Commitments::<T>::insert(&who, entry);
		Self::deposit_event(Event::SeedRevealed { race, who });
		Ok(())
	}

	pub(crate) fn do_commit_work(
		who: T::AccountId,
		race: RaceIndex,
		root: Hash,
		count: u64,
		url: OpeningsUrl,
	) -> DispatchResult {
		let current = Self::running(race)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(
			current.seed.is_some() && current.phase(now) == Phase::Window,
			Error::<T>::WindowClosed
		);
		ensure!(T::Workers::is_active(&who), Error::<T>::NotActiveWorker);
		ensure!(
			!matches!(Commitments::<T>::get(&who), Some(SeedCommitment { revealed: None, .. })),
			Error::<T>::Excluded
		);
		ensure!(count > 0, Error::<T>::EmptyCommitment);
		let previous = Work::<T>::get(&who);
		let index = match &previous {
			Some(entry) => {
				ensure!(count > entry.count, Error::<T>::CountNotIncreasing);
				let next = entry
					.committed_at
					.saturating_add(BlockNumberFor::<T>::from(current.params.commit_interval));
				ensure!(now >= next, Error::<T>::CommitTooSoon);
				entry.index
			},
			None => {
				let index = ParticipantCount::<T>::get();
				ensure!(index < T::MaxParticipants::get(), Error::<T>::TooManyParticipants);
				index
			},
		};
		// The fee of the race's own parameters: a change mid-race applies from the next.
		let fee: BalanceOf<T> = current.params.commit_fee.unique_saturated_into();
		if !fee.is_zero() {
			T::Currency::transfer(&who, &T::TreasuryAccount::get(), fee, Preservation::Preserve)?;
		}
		if previous.is_none() {
			ParticipantAt::<T>::insert(index, &who);
			ParticipantCount::<T>::put(index.saturating_add(1));
		}
		Work::<T>::insert(&who, WorkEntry { index, root, count, committed_at: now, url });
		Self::deposit_event(Event::WorkCommitted { race, who, root, count, fee });
		Ok(())
	}

	pub(crate) fn do_vote(
		validator: T::AccountId,
		race: RaceIndex,
		participant: T::AccountId,
		mismatches: u32,
	) -> DispatchResult {
		let current = Self::running(race)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(
			current.sample_seed.is_some() && current.phase(now) == Phase::Validation,
			Error::<T>::NotValidationPhase
		);
		let committed = Work::<T>::get(&participant).map(|entry| entry.count);
		let sample_seed = current.sample_seed.unwrap_or_default();
		let assigned = committed.is_some()
			&& Self::assignment(&sample_seed, &participant, &ValidatorPool::<T>::get())
				.iter()
				.any(|(v, _)| *v == validator);
		ensure!(assigned, Error::<T>::NotAssigned);
		ensure!(!Votes::<T>::contains_key(&participant, &validator), Error::<T>::AlreadyVoted);
		let sample = committed.unwrap_or(0).min(u64::from(current.params.sample_size));
		ensure!(u64::from(mismatches) <= sample, Error::<T>::ImpossibleVote);
		Votes::<T>::insert(&participant, &validator, mismatches);
		Self::deposit_event(Event::Voted { race, participant, validator, mismatches });
		Ok(())
	}

	/// Whether `params` describe a race that can run within `RacePeriod`.
	pub fn check_params(params: &RaceParams) -> DispatchResult {
		let model = &params.model;
		let dims =
			[model.layers, model.heads, model.d_model, model.d_ff, model.vocab, model.seq_len];
		ensure!(dims.iter().all(|d| *d > 0), Error::<T>::InvalidRaceModel);
		ensure!(model.d_model.checked_rem(model.heads) == Some(0), Error::<T>::InvalidRaceModel);
		ensure!(
			params.sample_size > 0
				&& params.sample_size <= T::MaxSampleSize::get()
				&& params.tolerance > 0
				&& params.max_mismatches < params.sample_size,
			Error::<T>::InvalidSampling
		);
		ensure!(
			params.artifact_len > 0
				&& params.artifact_len <= model.d_model
				&& params.artifact_len <= T::MaxArtifactLen::get(),
			Error::<T>::InvalidArtifact
		);
		let phases = [params.commit, params.reveal, params.window, params.validation];
		ensure!(phases.iter().all(|p| *p > 0), Error::<T>::ZeroPhase);
		ensure!(
			params.commit_interval > 0 && params.commit_interval <= params.window,
			Error::<T>::InvalidCommitInterval
		);
		// The phases, then the blocks that judge a full race (the first in the race's last
		// block); saturating: a sum past u32::MAX is longer than any period anyway.
		let judging = T::MaxParticipants::get().div_ceil(T::JudgedPerBlock::get().max(1));
		let duration =
			BlockNumberFor::<T>::from(params.duration().saturating_add(judging.saturating_sub(1)));
		ensure!(duration < T::RacePeriod::get(), Error::<T>::RaceLongerThanPeriod);
		Ok(())
	}

	/// Invariants: the current race's schedule is ordered and its seeds are set in order;
	/// participants are numbered `0..ParticipantCount` (those not yet judged), each with a
	/// commitment of a positive count; the validator pool's running totals ascend; finalized
	/// weights are sorted and positive.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		if let Some(race) = CurrentRace::<T>::get() {
			ensure!(
				race.started < race.reveal_from
					&& race.reveal_from < race.window_from
					&& race.window_from < race.validation_from
					&& race.validation_from < race.ends,
				"race schedule out of order"
			);
			ensure!(race.seed.is_some() || race.sample_seed.is_none(), "sample seed before seed");
			let count = ParticipantCount::<T>::get();
			ensure!(count <= T::MaxParticipants::get(), "more participants than the bound");
			let judged = Judged::<T>::get().unwrap_or(0);
			for index in judged..count {
				let who = ParticipantAt::<T>::get(index).ok_or("a participant index is empty")?;
				let entry = Work::<T>::get(&who).ok_or("participant without a commitment")?;
				ensure!(entry.index == index, "a commitment names another index");
				ensure!(entry.count > 0, "a commitment of no work");
			}
			let pool = ValidatorPool::<T>::get();
			ensure!(
				pool.windows(2).all(|w| w.first().map(|a| a.1) < w.get(1).map(|b| b.1)),
				"validator pool totals do not ascend"
			);
		} else {
			ensure!(ParticipantCount::<T>::get() == 0, "participants without a race");
			ensure!(ValidatorPool::<T>::get().is_empty(), "a validator pool without a race");
		}
		for (_, weights) in RaceWeights::<T>::iter() {
			ensure!(weights.iter().all(|(_, w)| *w > 0), "zero weight recorded");
			ensure!(
				weights.windows(2).all(|w| w.first().map(|a| a.1) >= w.get(1).map(|b| b.1)),
				"weights not sorted"
			);
		}
		Ok(())
	}
}

impl<T: Config> ComputeWeights<T::AccountId> for Pallet<T> {
	fn latest_race() -> Option<RaceIndex> {
		LastFinalized::<T>::get()
	}

	fn weight_of(who: &T::AccountId) -> u64 {
		Self::weights().into_iter().find(|(w, _)| w == who).map_or(0, |(_, weight)| weight)
	}

	fn total_weight() -> u64 {
		Self::weights().iter().fold(0u64, |sum, (_, w)| sum.saturating_add(*w))
	}

	fn weights() -> Vec<(T::AccountId, u64)> {
		LastFinalized::<T>::get()
			.and_then(RaceWeights::<T>::get)
			.map(BoundedVec::into_inner)
			.unwrap_or_default()
	}
}
