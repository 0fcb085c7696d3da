//! The race's schedule, its calls and the compute weights it produces.

use crate::*;
use ail2_primitives::{
	domain,
	race::{race_seed, sample_seed, seed_commitment, Nonce},
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
	/// window opens, assigns validators as it closes, finalizes at the end, and starts the
	/// next race at a multiple of `RacePeriod`.
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
				weight.saturating_accrue(Self::finalize(race));
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
	/// fresh randomness) and draws each participant's validators.
	pub(crate) fn close_window(mut race: RaceOf<T>) -> Weight {
		let (randomness, _) =
			T::Randomness::random(&(domain::RACE_SAMPLE_SEED, race.index).encode());
		let sample_seed =
			sample_seed(race.index, &race.seed.unwrap_or_default(), randomness.as_ref());
		race.sample_seed = Some(sample_seed);
		let participants = Participants::<T>::get();
		let pool = Self::validator_pool();
		for participant in participants.iter() {
			let assigned = Self::assign(&sample_seed, participant, &pool, &participants);
			Assignments::<T>::insert(participant, assigned);
		}
		let count = participants.len() as u32;
		Self::deposit_event(Event::WindowClosed {
			race: race.index,
			sample_seed,
			participants: count,
		});
		CurrentRace::<T>::put(race);
		T::WeightInfo::close_window(count)
	}

	/// The validators of a race and their weights: the latest finalized race's weighted
	/// participants that are still active workers.
	fn validator_pool() -> Vec<(T::AccountId, u64)> {
		LastFinalized::<T>::get()
			.and_then(RaceWeights::<T>::get)
			.map(|weights| {
				weights.into_iter().filter(|(who, _)| T::Workers::is_active(who)).collect()
			})
			.unwrap_or_default()
	}

	/// Draws `participant`'s validators from `pool` by weight, never the participant itself.
	/// When nobody in the pool but the participant has weight (the first race, or a race
	/// after one nobody passed), the race's other participants validate with weight 1 each.
	pub(crate) fn assign(
		sample_seed: &Hash,
		participant: &T::AccountId,
		pool: &[(T::AccountId, u64)],
		participants: &[T::AccountId],
	) -> AssignmentOf<T> {
		let mut candidates: Vec<(T::AccountId, u128)> = pool
			.iter()
			.filter(|(who, weight)| who != participant && *weight > 0)
			.map(|(who, weight)| (who.clone(), u128::from(*weight)))
			.collect();
		if candidates.is_empty() {
			candidates = participants
				.iter()
				.filter(|who| *who != participant)
				.map(|who| (who.clone(), 1u128))
				.collect();
		}
		let weight_of = |who: &T::AccountId| {
			candidates
				.iter()
				.find(|(candidate, _)| candidate == who)
				.map_or(0u64, |(_, weight)| (*weight).unique_saturated_into())
		};
		let drawn = ail2_primitives::draw::weighted(
			&(sample_seed, participant).encode(),
			candidates.clone(),
			T::ValidatorsPerParticipant::get(),
		);
		BoundedVec::truncate_from(
			drawn
				.into_iter()
				.map(|who| {
					let weight = weight_of(&who);
					(who, weight)
				})
				.collect(),
		)
	}

	/// Finalizes the race: judges every participant from its validators' votes, penalises
	/// validators who did not vote and rejected participants, records the weights and
	/// clears the race.
	pub(crate) fn finalize(race: RaceOf<T>) -> Weight {
		let participants = Participants::<T>::take();
		let mut weights: Vec<(T::AccountId, u64)> = Vec::new();
		for participant in participants.iter() {
			let entry = Entries::<T>::take(participant).unwrap_or_default();
			Submissions::<T>::remove(participant);
			let assigned = Assignments::<T>::take(participant).unwrap_or_default();
			let (mut accepting, mut rejecting, mut total) = (0u128, 0u128, 0u128);
			for (validator, weight) in assigned.iter() {
				total.saturating_accrue(u128::from(*weight));
				match Votes::<T>::take(participant, validator) {
					Some(mismatches) if mismatches <= race.params.max_mismatches => {
						accepting.saturating_accrue(u128::from(*weight))
					},
					Some(_) => rejecting.saturating_accrue(u128::from(*weight)),
					None => {
						T::Workers::reduce_reputation(validator, T::NonVoterPenalty::get());
						Self::deposit_event(Event::DutyMissed {
							race: race.index,
							validator: validator.clone(),
							participant: participant.clone(),
						});
					},
				}
			}
			let verdict = verdict(accepting, rejecting, total);
			let weight = if verdict == Verdict::Accepted { u64::from(entry.count) } else { 0 };
			if verdict == Verdict::Rejected {
				if let Err(error) = T::Violations::report(
					participant,
					Violation::SpotCheckFailure,
					None,
					Zero::zero(),
				) {
					log::warn!(target: LOG_TARGET, "rejected participant not punished: {error:?}");
				}
			}
			if weight > 0 {
				weights.push((participant.clone(), weight));
			}
			Self::deposit_event(Event::Judged {
				race: race.index,
				participant: participant.clone(),
				verdict,
				weight,
			});
		}
		// Heaviest first; equal weights keep the order of first submission.
		weights.sort_by_key(|(_, weight)| core::cmp::Reverse(*weight));
		let total_weight = weights.iter().fold(0u64, |sum, (_, w)| sum.saturating_add(*w));
		let weighted = weights.len() as u32;
		RaceWeights::<T>::insert(race.index, BoundedVec::truncate_from(weights));
		if let Some(old) = race.index.checked_sub(T::HistoryDepth::get()) {
			RaceWeights::<T>::remove(old);
		}
		LastFinalized::<T>::put(race.index);
		for committer in Committers::<T>::take().iter() {
			Commitments::<T>::remove(committer);
		}
		CurrentRace::<T>::kill();
		Self::deposit_event(Event::RaceFinalized { race: race.index, weighted, total_weight });
		T::WeightInfo::finalize(participants.len() as u32)
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

	pub(crate) fn do_submit(
		who: T::AccountId,
		race: RaceIndex,
		nonces: Vec<Nonce>,
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
		ensure!(!nonces.is_empty(), Error::<T>::EmptySubmission);
		let count = nonces.len() as u32;
		let existing = Entries::<T>::get(&who);
		let mut entry = existing.clone().unwrap_or_default();
		let total = entry.count.saturating_add(count);
		ensure!(total <= current.params.max_nonces, Error::<T>::TooManyNonces);
		let mut previous = existing.as_ref().map(|e| e.last);
		for nonce in nonces.iter() {
			ensure!(previous.is_none_or(|p| *nonce > p), Error::<T>::NoncesNotAscending);
			previous = Some(*nonce);
		}
		let mut participants = Participants::<T>::get();
		if existing.is_none() {
			participants.try_push(who.clone()).map_err(|_| Error::<T>::TooManyParticipants)?;
		}
		// The fees of the race's own parameters: a change mid-race applies from the next.
		let fee = submission_fee(
			current.params.nonce_fee_base,
			current.params.nonce_fee_step,
			entry.count,
			count,
		);
		let fee: BalanceOf<T> = fee.unique_saturated_into();
		if !fee.is_zero() {
			T::Currency::transfer(&who, &T::TreasuryAccount::get(), fee, Preservation::Preserve)?;
		}
		Submissions::<T>::try_mutate(&who, |stored| stored.try_extend(nonces.into_iter()))
			.map_err(|_| Error::<T>::TooManyNonces)?;
		entry.count = total;
		entry.last = previous.unwrap_or_default();
		entry.fees.saturating_accrue(fee);
		Entries::<T>::insert(&who, entry);
		if existing.is_none() {
			Participants::<T>::put(participants);
		}
		Self::deposit_event(Event::NoncesSubmitted { race, who, count, total, fee });
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
		let assigned = Assignments::<T>::get(&participant).unwrap_or_default();
		ensure!(assigned.iter().any(|(v, _)| *v == validator), Error::<T>::NotAssigned);
		ensure!(!Votes::<T>::contains_key(&participant, &validator), Error::<T>::AlreadyVoted);
		let submitted = Entries::<T>::get(&participant).map_or(0, |e| e.count);
		ensure!(
			mismatches <= submitted.min(current.params.sample_size),
			Error::<T>::ImpossibleVote
		);
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
				&& !params.distance_threshold.is_zero()
				&& params.max_mismatches < params.sample_size,
			Error::<T>::InvalidSampling
		);
		ensure!(
			params.max_nonces > 0 && params.max_nonces <= T::MaxNonces::get(),
			Error::<T>::NonceCapOutOfBounds
		);
		let phases = [params.commit, params.reveal, params.window, params.validation];
		ensure!(phases.iter().all(|p| *p > 0), Error::<T>::ZeroPhase);
		// Saturating: a sum past u32::MAX is longer than any period anyway.
		let duration = BlockNumberFor::<T>::from(params.duration());
		ensure!(duration < T::RacePeriod::get(), Error::<T>::RaceLongerThanPeriod);
		Ok(())
	}

	/// Invariants: the current race's schedule is ordered and its seeds are set in order;
	/// every participant has an entry whose count matches its stored nonces, ascending;
	/// finalized weights are sorted and positive.
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
			for who in Participants::<T>::get().iter() {
				let entry = Entries::<T>::get(who).ok_or("participant without an entry")?;
				let nonces = Submissions::<T>::get(who);
				ensure!(nonces.len() as u32 == entry.count, "entry count differs from nonces");
				ensure!(nonces.windows(2).all(|w| w.first() < w.get(1)), "nonces not ascending");
				ensure!(nonces.last() == Some(&entry.last), "entry's last nonce is not the last");
			}
		} else {
			ensure!(Participants::<T>::get().is_empty(), "participants without a race");
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
