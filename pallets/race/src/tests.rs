#![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use crate::mock::Race;
use crate::{mock::*, *};
use ail2_primitives::{
	domain, keccak256,
	race::{race_seed, seed_commitment},
};
use codec::Encode;
use frame_support::{
	assert_noop, assert_ok,
	traits::{fungible::Inspect, Randomness},
	BoundedVec,
};
use pallet_slashing::Violation;
use sp_runtime::{DispatchError, FixedU64};

/// Race 0's blocks: commit [40, 43), reveal [43, 46), window [46, 56), validation [56, 61).
const START: u64 = PERIOD;
const REVEAL_FROM: u64 = START + COMMIT;
const WINDOW_FROM: u64 = REVEAL_FROM + REVEAL;
const VALIDATION_FROM: u64 = WINDOW_FROM + WINDOW as u64;
const ENDS: u64 = VALIDATION_FROM + VALIDATION;

fn nonces(list: &[u64]) -> BoundedVec<u64, <Test as Config>::MaxNoncesPerCall> {
	BoundedVec::truncate_from(list.to_vec())
}

fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::Race(e) = r.event { Some(e) } else { None })
		.collect()
}

fn secret(who: AccountId) -> [u8; 32] {
	keccak256(&(b"secret", who).encode())
}

fn commit(who: AccountId, race: u32) {
	assert_ok!(Race::commit_seed(
		RuntimeOrigin::signed(who),
		race,
		seed_commitment(race, &who.encode(), &secret(who))
	));
}

/// Race 0 up to its window, both genesis committers revealing.
fn open_window() {
	run_to(START);
	commit(W1, 0);
	commit(W2, 0);
	run_to(REVEAL_FROM);
	assert_ok!(Race::reveal_seed(RuntimeOrigin::signed(W1), 0, secret(W1)));
	assert_ok!(Race::reveal_seed(RuntimeOrigin::signed(W2), 0, secret(W2)));
	run_to(WINDOW_FROM);
}

/// Race 0 with submissions `(worker, nonces)` up to its validation phase.
fn race_with(submissions: &[(AccountId, &[u64])]) {
	open_window();
	for (who, list) in submissions {
		assert_ok!(Race::submit_nonces(RuntimeOrigin::signed(*who), 0, nonces(list)));
	}
	run_to(VALIDATION_FROM);
}

/// A report of `violation` against `offender` as the race makes it: no reporter, no bounty.
fn reported(offender: AccountId, violation: Violation) -> Report {
	Report { offender, violation, reporter: None, bounty_cap: 0 }
}

fn validators(participant: AccountId) -> Vec<(AccountId, u64)> {
	Assignments::<Test>::get(participant).expect("assigned").into_inner()
}

#[test]
fn the_fee_grows_with_the_count() {
	// Hits 0..3 at base 10, step 2: 10 + 12 + 14 = 36.
	assert_eq!(submission_fee(10, 2, 0, 3), 36);
	// Hits 3 and 4: 16 + 18 = 34; together the five cost what one call of five costs.
	assert_eq!(submission_fee(10, 2, 3, 2), 34);
	assert_eq!(submission_fee(10, 2, 0, 5), 70);
	assert_eq!(submission_fee(10, 2, 7, 0), 0);
	// 1,000 hits at base 1, step 1: 1000 + 999·1000/2 = 500,500.
	assert_eq!(submission_fee(1, 1, 0, 1_000), 500_500);
	assert_eq!(submission_fee(u128::MAX, 1, 0, 2), u128::MAX, "saturates");
}

#[test]
fn a_side_wins_with_more_than_two_thirds_of_the_assigned_weight() {
	assert_eq!(verdict(0, 0, 0), Verdict::Unvalidated);
	assert_eq!(verdict(3, 0, 3), Verdict::Accepted);
	// Exactly 2/3 is not more than 2/3.
	assert_eq!(verdict(2, 1, 3), Verdict::Undecided);
	assert_eq!(verdict(201, 0, 300), Verdict::Accepted);
	assert_eq!(verdict(0, 201, 300), Verdict::Rejected);
	assert_eq!(verdict(100, 100, 300), Verdict::Undecided);
	// Validators who did not vote count against both sides.
	assert_eq!(verdict(5, 0, 9), Verdict::Undecided);
}

#[test]
fn a_race_runs_its_phases_on_schedule_and_the_next_starts_a_period_later() {
	run(|| {
		run_to(START - 1);
		assert!(CurrentRace::<Test>::get().is_none(), "no race before the first period");
		run_to(START);
		let race = CurrentRace::<Test>::get().expect("race 0 running");
		assert_eq!(race, schedule(0, START));
		assert_eq!(
			(race.reveal_from, race.window_from, race.validation_from, race.ends),
			(REVEAL_FROM, WINDOW_FROM, VALIDATION_FROM, ENDS)
		);
		assert_eq!(Committers::<Test>::get().into_inner(), vec![W1, W2]);
		assert_eq!(
			events(),
			vec![Event::RaceStarted {
				race: 0,
				committers: 2,
				reveal_from: REVEAL_FROM,
				window_from: WINDOW_FROM,
				validation_from: VALIDATION_FROM,
				ends: ENDS,
			}]
		);
		for (block, phase) in [
			(START, Phase::Commit),
			(REVEAL_FROM - 1, Phase::Commit),
			(REVEAL_FROM, Phase::Reveal),
			(WINDOW_FROM, Phase::Window),
			(VALIDATION_FROM - 1, Phase::Window),
			(VALIDATION_FROM, Phase::Validation),
		] {
			assert_eq!(race.phase(block), phase, "block {block}");
		}
		run_to(WINDOW_FROM - 1);
		assert!(CurrentRace::<Test>::get().unwrap().seed.is_none(), "no seed before the window");
		run_to(WINDOW_FROM);
		assert!(CurrentRace::<Test>::get().unwrap().seed.is_some());
		run_to(VALIDATION_FROM);
		assert!(CurrentRace::<Test>::get().unwrap().sample_seed.is_some());
		run_to(ENDS - 1);
		assert!(CurrentRace::<Test>::get().is_some());
		run_to(ENDS);
		assert!(CurrentRace::<Test>::get().is_none());
		assert_eq!(LastFinalized::<Test>::get(), Some(0));
		assert!(events().contains(&Event::RaceFinalized { race: 0, weighted: 0, total_weight: 0 }));
		run_to(2 * PERIOD);
		assert_eq!(CurrentRace::<Test>::get().unwrap().index, 1);
		assert_eq!(NextRace::<Test>::get(), 2);
		// Nobody earned weight in race 0, so race 1 has no committers.
		assert!(Committers::<Test>::get().is_empty());
	});
}

#[test]
fn the_seed_mixes_randomness_with_every_revealed_secret() {
	run(|| {
		open_window();
		let race = CurrentRace::<Test>::get().unwrap();
		let (randomness, _) = TestRandomness::random(&(domain::RACE_SEED, 0u32).encode());
		let seed = race_seed(0, randomness.as_ref(), &[secret(W1), secret(W2)]);
		assert_eq!(race.seed, Some(seed));
		assert!(events().contains(&Event::SeedFixed { race: 0, seed, reveals: 2 }));
		assert_eq!(events().iter().filter(|e| matches!(e, Event::SeedRevealed { .. })).count(), 2);
	});
}

#[test]
fn commits_are_refused_outside_the_commit_phase_or_from_others() {
	run(|| {
		let commitment = seed_commitment(0, &W1.encode(), &secret(W1));
		assert_noop!(
			Race::commit_seed(RuntimeOrigin::signed(W1), 0, commitment),
			Error::<Test>::NoRace
		);
		run_to(START);
		assert_noop!(
			Race::commit_seed(RuntimeOrigin::signed(W1), 1, commitment),
			Error::<Test>::WrongRace
		);
		assert_noop!(
			Race::commit_seed(RuntimeOrigin::signed(W3), 0, commitment),
			Error::<Test>::NotCommitter
		);
		commit(W1, 0);
		assert_noop!(
			Race::commit_seed(RuntimeOrigin::signed(W1), 0, commitment),
			Error::<Test>::AlreadyCommitted
		);
		run_to(REVEAL_FROM);
		assert_noop!(
			Race::commit_seed(RuntimeOrigin::signed(W2), 0, commitment),
			Error::<Test>::NotCommitPhase
		);
	});
}

#[test]
fn reveals_must_match_their_commitment_in_the_reveal_phase() {
	run(|| {
		run_to(START);
		commit(W1, 0);
		assert_noop!(
			Race::reveal_seed(RuntimeOrigin::signed(W1), 0, secret(W1)),
			Error::<Test>::NotRevealPhase
		);
		run_to(REVEAL_FROM);
		assert_noop!(
			Race::reveal_seed(RuntimeOrigin::signed(W2), 0, secret(W2)),
			Error::<Test>::NoCommitment
		);
		assert_noop!(
			Race::reveal_seed(RuntimeOrigin::signed(W1), 0, secret(W2)),
			Error::<Test>::RevealMismatch
		);
		assert_ok!(Race::reveal_seed(RuntimeOrigin::signed(W1), 0, secret(W1)));
		assert_noop!(
			Race::reveal_seed(RuntimeOrigin::signed(W1), 0, secret(W1)),
			Error::<Test>::AlreadyRevealed
		);
		run_to(WINDOW_FROM);
		assert_noop!(
			Race::reveal_seed(RuntimeOrigin::signed(W1), 0, secret(W1)),
			Error::<Test>::NotRevealPhase
		);
	});
}

#[test]
fn a_withheld_reveal_is_left_out_reported_and_barred_from_the_race() {
	run(|| {
		run_to(START);
		commit(W1, 0);
		commit(W2, 0);
		run_to(REVEAL_FROM);
		assert_ok!(Race::reveal_seed(RuntimeOrigin::signed(W1), 0, secret(W1)));
		run_to(WINDOW_FROM);
		let seed = CurrentRace::<Test>::get().unwrap().seed.unwrap();
		assert!(events().contains(&Event::SeedFixed { race: 0, seed, reveals: 1 }));
		assert!(events().contains(&Event::RevealWithheld { race: 0, who: W2 }));
		// Reported once; pallet-slashing slashes 10% × severity 1, held to the 5% top of
		// WithheldReveal's range.
		assert_eq!(reported_violations(), vec![reported(W2, Violation::WithheldReveal)]);
		assert_noop!(
			Race::submit_nonces(RuntimeOrigin::signed(W2), 0, nonces(&[1])),
			Error::<Test>::Excluded
		);
		// The committer who revealed races.
		assert_ok!(Race::submit_nonces(RuntimeOrigin::signed(W1), 0, nonces(&[1])));
	});
}

#[test]
fn hits_are_stored_in_order_and_paid_for_with_a_growing_fee() {
	run(|| {
		open_window();
		let treasury = Balances::balance(&TREASURY);
		assert_ok!(Race::submit_nonces(RuntimeOrigin::signed(W3), 0, nonces(&[5, 9, 20])));
		assert_ok!(Race::submit_nonces(RuntimeOrigin::signed(W3), 0, nonces(&[21, 40])));
		// 10 + 12 + 14, then 16 + 18.
		assert_eq!(Balances::balance(&TREASURY) - treasury, 70);
		assert_eq!(Balances::balance(&W3), HOT_BALANCE - 70);
		assert_eq!(Submissions::<Test>::get(W3).into_inner(), vec![5, 9, 20, 21, 40]);
		assert_eq!(Entries::<Test>::get(W3), Some(Entry { count: 5, last: 40, fees: 70 }));
		assert_eq!(Participants::<Test>::get().into_inner(), vec![W3]);
		assert!(events().contains(&Event::NoncesSubmitted {
			race: 0,
			who: W3,
			count: 2,
			total: 5,
			fee: 34
		}));
		assert_ok!(Race::submit_nonces(RuntimeOrigin::signed(W4), 0, nonces(&[0])));
		assert_eq!(Participants::<Test>::get().into_inner(), vec![W3, W4]);
	});
}

#[test]
fn bad_submissions_are_refused_and_change_nothing() {
	run(|| {
		run_to(START);
		assert_noop!(
			Race::submit_nonces(RuntimeOrigin::signed(W3), 0, nonces(&[1])),
			Error::<Test>::WindowClosed
		);
		open_window();
		assert_noop!(
			Race::submit_nonces(RuntimeOrigin::signed(W3), 1, nonces(&[1])),
			Error::<Test>::WrongRace
		);
		assert_noop!(
			Race::submit_nonces(RuntimeOrigin::signed(STRANGER), 0, nonces(&[1])),
			Error::<Test>::NotActiveWorker
		);
		assert_noop!(
			Race::submit_nonces(RuntimeOrigin::signed(W3), 0, nonces(&[])),
			Error::<Test>::EmptySubmission
		);
		assert_noop!(
			Race::submit_nonces(RuntimeOrigin::signed(W3), 0, nonces(&[3, 3])),
			Error::<Test>::NoncesNotAscending
		);
		assert_ok!(Race::submit_nonces(
			RuntimeOrigin::signed(W3),
			0,
			nonces(&[1, 2, 3, 4, 5, 6, 7, 8])
		));
		assert_noop!(
			Race::submit_nonces(RuntimeOrigin::signed(W3), 0, nonces(&[8])),
			Error::<Test>::NoncesNotAscending
		);
		assert_ok!(Race::submit_nonces(
			RuntimeOrigin::signed(W3),
			0,
			nonces(&[9, 10, 11, 12, 13, 14, 15, 16])
		));
		// max_nonces is 16.
		assert_noop!(
			Race::submit_nonces(RuntimeOrigin::signed(W3), 0, nonces(&[17])),
			Error::<Test>::TooManyNonces
		);
		// A hot key that cannot pay the fee.
		let poor = W4;
		let spare = Balances::balance(&poor) - 5;
		assert_ok!(<Balances as frame_support::traits::fungible::Mutate<_>>::transfer(
			&poor,
			&STRANGER,
			spare,
			frame_support::traits::tokens::Preservation::Expendable
		));
		assert_noop!(
			Race::submit_nonces(RuntimeOrigin::signed(poor), 0, nonces(&[1])),
			sp_runtime::TokenError::FundsUnavailable
		);
		assert_eq!(Participants::<Test>::get().into_inner(), vec![W3]);
		run_to(VALIDATION_FROM);
		assert_noop!(
			Race::submit_nonces(RuntimeOrigin::signed(W1), 0, nonces(&[100])),
			Error::<Test>::WindowClosed
		);
	});
}

#[test]
fn a_race_takes_at_most_max_participants() {
	run(|| {
		open_window();
		for who in [W1, W2, W3, W4] {
			assert_ok!(Race::submit_nonces(RuntimeOrigin::signed(who), 0, nonces(&[1])));
		}
		assert_noop!(
			Race::submit_nonces(RuntimeOrigin::signed(W5), 0, nonces(&[1])),
			Error::<Test>::TooManyParticipants
		);
	});
}

#[test]
fn in_the_first_race_participants_validate_each_other() {
	run(|| {
		race_with(&[(W1, &[1, 2]), (W2, &[3]), (W3, &[4, 5, 6])]);
		let sample_seed = CurrentRace::<Test>::get().unwrap().sample_seed.unwrap();
		assert!(events().contains(&Event::WindowClosed { race: 0, sample_seed, participants: 3 }));
		for who in [W1, W2, W3] {
			let assigned = validators(who);
			assert_eq!(assigned.len(), 2, "two validators each");
			assert!(assigned.iter().all(|(v, weight)| *v != who && *weight == 1));
		}
	});
}

#[test]
fn honest_participants_are_accepted_with_their_hit_count_as_weight() {
	run(|| {
		race_with(&[(W1, &[1, 2]), (W2, &[3]), (W3, &[4, 5, 6])]);
		for participant in [W1, W2, W3] {
			for (validator, _) in validators(participant) {
				// One mismatch is within the tolerance m = 1.
				assert_ok!(Race::vote(RuntimeOrigin::signed(validator), 0, participant, 1));
			}
		}
		run_to(ENDS);
		assert_eq!(
			RaceWeights::<Test>::get(0).unwrap().into_inner(),
			vec![(W3, 3), (W1, 2), (W2, 1)]
		);
		assert!(events().contains(&Event::Judged {
			race: 0,
			participant: W3,
			verdict: Verdict::Accepted,
			weight: 3
		}));
		assert_eq!(<Race as ComputeWeights<_>>::latest_race(), Some(0));
		assert_eq!(<Race as ComputeWeights<_>>::weight_of(&W1), 2);
		assert_eq!(<Race as ComputeWeights<_>>::weight_of(&W4), 0);
		assert_eq!(<Race as ComputeWeights<_>>::total_weight(), 6);
		assert_eq!(<Race as ComputeWeights<_>>::weights(), vec![(W3, 3), (W1, 2), (W2, 1)]);
		// The race's state is cleared.
		assert!(Participants::<Test>::get().is_empty());
		assert_eq!(Submissions::<Test>::iter().count(), 0);
		assert_eq!(Assignments::<Test>::iter().count(), 0);
		assert_eq!(Votes::<Test>::iter().count(), 0);
		assert_eq!(Commitments::<Test>::iter().count(), 0);
		// The top two commit to the next race's seed.
		run_to(2 * PERIOD);
		assert_eq!(Committers::<Test>::get().into_inner(), vec![W3, W1]);
	});
}

#[test]
fn a_participant_rejected_by_its_validators_gets_no_weight_and_is_slashed() {
	run(|| {
		race_with(&[(W1, &[1, 2]), (W2, &[3]), (W3, &[4, 5, 6])]);
		for (validator, _) in validators(W3) {
			assert_ok!(Race::vote(RuntimeOrigin::signed(validator), 0, W3, 2));
		}
		run_to(ENDS);
		assert!(events().contains(&Event::Judged {
			race: 0,
			participant: W3,
			verdict: Verdict::Rejected,
			weight: 0
		}));
		// Reported as a SpotCheckFailure, which pallet-slashing slashes by 10% of the stake.
		assert_eq!(reported_violations(), vec![reported(W3, Violation::SpotCheckFailure)]);
		assert_eq!(<Race as ComputeWeights<_>>::weight_of(&W3), 0);
	});
}

#[test]
fn split_or_missing_votes_leave_a_participant_undecided_and_non_voters_lose_reputation() {
	run(|| {
		race_with(&[(W1, &[1, 2]), (W2, &[3]), (W3, &[4, 5, 6])]);
		let assigned = validators(W1);
		// One accepts, one rejects: neither side has more than 2/3.
		assert_ok!(Race::vote(RuntimeOrigin::signed(assigned[0].0), 0, W1, 0));
		assert_ok!(Race::vote(RuntimeOrigin::signed(assigned[1].0), 0, W1, 2));
		// Nobody votes on W2.
		let silent: Vec<AccountId> = validators(W2).into_iter().map(|(v, _)| v).collect();
		run_to(ENDS);
		assert!(events().contains(&Event::Judged {
			race: 0,
			participant: W1,
			verdict: Verdict::Undecided,
			weight: 0
		}));
		assert!(events().contains(&Event::Judged {
			race: 0,
			participant: W2,
			verdict: Verdict::Undecided,
			weight: 0
		}));
		for validator in &silent {
			assert!(events().contains(&Event::DutyMissed {
				race: 0,
				validator: *validator,
				participant: W2
			}));
			assert!(
				penalties()
					.contains(&(*validator, Penalty::ReputationReduced(NonVoterPenalty::get()))),
				"{validator} lost reputation"
			);
		}
		// Neither is reported: nothing was proven against them.
		assert!(reported_violations().iter().all(|r| r.offender != W1 && r.offender != W2));
		assert!(RaceWeights::<Test>::get(0).unwrap().is_empty());
	});
}

#[test]
fn votes_come_only_from_assigned_validators_once_in_the_validation_phase() {
	run(|| {
		race_with(&[(W1, &[1, 2]), (W2, &[3]), (W3, &[4, 5, 6])]);
		let outsider = [W1, W2, W3, W4, W5]
			.into_iter()
			.find(|w| !validators(W1).iter().any(|(v, _)| v == w))
			.unwrap();
		assert_noop!(
			Race::vote(RuntimeOrigin::signed(outsider), 0, W1, 0),
			Error::<Test>::NotAssigned
		);
		assert_noop!(Race::vote(RuntimeOrigin::signed(W4), 0, W4, 0), Error::<Test>::NotAssigned);
		let (validator, _) = validators(W1)[0];
		assert_noop!(
			Race::vote(RuntimeOrigin::signed(validator), 1, W1, 0),
			Error::<Test>::WrongRace
		);
		// W1 submitted 2: at most 2 mismatches are possible.
		assert_noop!(
			Race::vote(RuntimeOrigin::signed(validator), 0, W1, 3),
			Error::<Test>::ImpossibleVote
		);
		assert_ok!(Race::vote(RuntimeOrigin::signed(validator), 0, W1, 0));
		assert_noop!(
			Race::vote(RuntimeOrigin::signed(validator), 0, W1, 0),
			Error::<Test>::AlreadyVoted
		);
		run_to(ENDS);
		assert_noop!(Race::vote(RuntimeOrigin::signed(validator), 0, W2, 0), Error::<Test>::NoRace);
	});
}

#[test]
fn votes_before_the_window_closes_are_refused() {
	run(|| {
		open_window();
		assert_ok!(Race::submit_nonces(RuntimeOrigin::signed(W1), 0, nonces(&[1])));
		assert_noop!(
			Race::vote(RuntimeOrigin::signed(W2), 0, W1, 0),
			Error::<Test>::NotValidationPhase
		);
	});
}

#[test]
fn later_races_are_validated_by_previous_weight_and_never_by_the_participant() {
	run(|| {
		race_with(&[(W1, &[1, 2]), (W2, &[3]), (W3, &[4, 5, 6])]);
		for participant in [W1, W2, W3] {
			for (validator, _) in validators(participant) {
				assert_ok!(Race::vote(RuntimeOrigin::signed(validator), 0, participant, 0));
			}
		}
		run_to(ENDS);
		// Race 1: W3 and W1 commit; W4 and W5 are newcomers.
		let start = 2 * PERIOD;
		run_to(start);
		for who in [W3, W1] {
			commit(who, 1);
		}
		run_to(start + COMMIT);
		for who in [W3, W1] {
			assert_ok!(Race::reveal_seed(RuntimeOrigin::signed(who), 1, secret(who)));
		}
		run_to(start + COMMIT + REVEAL);
		for who in [W1, W3, W4, W5] {
			assert_ok!(Race::submit_nonces(RuntimeOrigin::signed(who), 1, nonces(&[7])));
		}
		run_to(start + COMMIT + REVEAL + WINDOW as u64);
		let previous = [(W3, 3u64), (W1, 2), (W2, 1)];
		for participant in [W1, W3, W4, W5] {
			let assigned = validators(participant);
			assert_eq!(assigned.len(), 2);
			for (validator, weight) in assigned {
				assert_ne!(validator, participant);
				// Validators vote with their race-0 weight.
				assert!(previous.contains(&(validator, weight)), "{validator} with {weight}");
			}
		}
	});
}

#[test]
fn weights_of_old_races_are_pruned() {
	run(|| {
		for race in 0..5u32 {
			run_to(PERIOD * (u64::from(race) + 1) + COMMIT + REVEAL + WINDOW as u64 + VALIDATION);
			assert_eq!(LastFinalized::<Test>::get(), Some(race));
		}
		// HistoryDepth = 3: races 2, 3, 4 remain.
		let kept: Vec<u32> = {
			let mut kept: Vec<u32> = RaceWeights::<Test>::iter_keys().collect();
			kept.sort();
			kept
		};
		assert_eq!(kept, vec![2, 3, 4]);
	});
}

#[test]
fn governance_sets_the_params_of_the_next_race() {
	run(|| {
		run_to(START);
		let mut harder = params();
		harder.distance_threshold = FixedU64::from_rational(1, 2);
		harder.max_nonces = 32;
		assert_noop!(
			Race::set_params(RuntimeOrigin::signed(OWNER), harder),
			DispatchError::BadOrigin
		);
		assert_ok!(Race::set_params(RuntimeOrigin::root(), harder));
		assert_eq!(Params::<Test>::get(), harder);
		assert!(events().contains(&Event::ParamsSet { params: harder }));
		// The running race keeps the parameters it started with.
		assert_eq!(CurrentRace::<Test>::get().unwrap().params, params());
		run_to(2 * PERIOD);
		assert_eq!(CurrentRace::<Test>::get().unwrap().params, harder);
	});
}

#[test]
fn invalid_params_are_refused_with_the_bound_they_break() {
	run(|| {
		let base = params();
		let full = (PERIOD - COMMIT - REVEAL - VALIDATION) as u32;
		let cases: [(fn(&mut RaceParams), Error<Test>); 11] = [
			(|p| p.model.layers = 0, Error::InvalidRaceModel),
			(|p| p.model.heads = 3, Error::InvalidRaceModel), // d_model 8 is not a multiple of 3
			(|p| p.sample_size = 0, Error::InvalidSampling),
			(|p| p.distance_threshold = FixedU64::from_inner(0), Error::InvalidSampling),
			(|p| p.max_mismatches = p.sample_size, Error::InvalidSampling),
			(|p| p.max_nonces = 0, Error::NonceCapOutOfBounds),
			(|p| p.max_nonces = 33, Error::NonceCapOutOfBounds), // MaxNonces is 32
			(|p| p.window = 0, Error::ZeroPhase),
			(|p| p.commit = 0, Error::ZeroPhase),
			(|p| p.validation = 0, Error::ZeroPhase),
			(|p| p.reveal = 40, Error::RaceLongerThanPeriod),
		];
		for (break_bound, error) in cases {
			let mut p = base;
			break_bound(&mut p);
			assert_noop!(Race::set_params(RuntimeOrigin::root(), p), error);
		}
		// The four phases filling the whole period leave the next race no start.
		let mut p = base;
		p.window = full;
		assert_noop!(
			Race::set_params(RuntimeOrigin::root(), p),
			Error::<Test>::RaceLongerThanPeriod
		);
		p.window = full - 1;
		assert_ok!(Race::set_params(RuntimeOrigin::root(), p));
	});
}

#[test]
fn new_phases_and_fees_apply_from_the_next_race() {
	run(|| {
		open_window();
		let mut changed = params();
		changed.commit = 5;
		changed.validation = 7;
		changed.nonce_fee_base = 100;
		changed.nonce_fee_step = 0;
		assert_ok!(Race::set_params(RuntimeOrigin::root(), changed));
		// The running race keeps its schedule and its fees: 3 hits cost 10 + 12 + 14.
		let running = CurrentRace::<Test>::get().unwrap();
		assert_eq!((running.reveal_from, running.ends), (REVEAL_FROM, ENDS));
		assert_ok!(Race::submit_nonces(RuntimeOrigin::signed(W3), 0, nonces(&[1, 2, 3])));
		assert_eq!(Entries::<Test>::get(W3).map(|e| e.fees), Some(36));
		// The next race is scheduled with the new phases and charges the new fee.
		run_to(2 * PERIOD);
		let next = CurrentRace::<Test>::get().unwrap();
		assert_eq!(next.index, 1);
		assert_eq!(next.reveal_from, 2 * PERIOD + 5);
		assert_eq!(next.ends, 2 * PERIOD + 5 + REVEAL + u64::from(WINDOW) + 7);
		assert_eq!(next.params, changed);
	});
}
