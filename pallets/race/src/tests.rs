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
use sp_runtime::DispatchError;

/// Race 0's blocks: commit [40, 43), reveal [43, 46), window [46, 56), validation [56, 61).
const START: u64 = PERIOD;
const REVEAL_FROM: u64 = START + COMMIT;
const WINDOW_FROM: u64 = REVEAL_FROM + REVEAL;
const VALIDATION_FROM: u64 = WINDOW_FROM + WINDOW as u64;
const ENDS: u64 = VALIDATION_FROM + VALIDATION;
/// The block by which a race of up to `MaxParticipants` (4) is judged, `JudgedPerBlock` (2)
/// a block from `ENDS`.
const CONCLUDED: u64 = ENDS + 1;

fn url(text: &str) -> OpeningsUrl {
	BoundedVec::truncate_from(text.as_bytes().to_vec())
}

/// `who`'s commitment to `count` nonces (the root is a stand-in: the pallet never opens it).
fn commit_work(who: AccountId, race: u32, count: u64) -> frame_support::dispatch::DispatchResult {
	Race::commit_work(
		RuntimeOrigin::signed(who),
		race,
		keccak256(&(who, count).encode()),
		count,
		url("http://127.0.0.1:9620"),
	)
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

/// Race 0 with commitments `(worker, count)` up to its validation phase.
fn race_with(commitments: &[(AccountId, u64)]) {
	open_window();
	for (who, count) in commitments {
		assert_ok!(commit_work(*who, 0, *count));
	}
	run_to(VALIDATION_FROM);
}

/// A report of `violation` against `offender` as the race makes it: no reporter, no bounty.
fn reported(offender: AccountId, violation: Violation) -> Report {
	Report { offender, violation, reporter: None, bounty_cap: 0 }
}

fn validators(participant: AccountId) -> Vec<(AccountId, u64)> {
	let sample_seed = CurrentRace::<Test>::get().and_then(|r| r.sample_seed).expect("closed");
	Race::assignment(&sample_seed, &participant, &ValidatorPool::<Test>::get())
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
		assert!(CurrentRace::<Test>::get().is_none(), "nobody to judge: concluded at once");
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
		assert_noop!(commit_work(W2, 0, 1), Error::<Test>::Excluded);
		// The committer who revealed races.
		assert_ok!(commit_work(W1, 0, 1));
	});
}

#[test]
fn the_last_commitment_counts_and_each_pays_a_flat_fee() {
	run(|| {
		open_window();
		let treasury = Balances::balance(&TREASURY);
		assert_ok!(commit_work(W3, 0, 5));
		let first = Work::<Test>::get(W3).unwrap();
		assert_eq!((first.index, first.count, first.committed_at), (0, 5, WINDOW_FROM));
		assert_eq!(first.url.as_slice(), b"http://127.0.0.1:9620");
		run_to(WINDOW_FROM + u64::from(COMMIT_INTERVAL));
		assert_ok!(commit_work(W3, 0, 9));
		let latest = Work::<Test>::get(W3).unwrap();
		assert_eq!(
			(latest.index, latest.count, latest.root),
			(0, 9, keccak256(&(W3, 9u64).encode()))
		);
		// Two commitments, a flat fee each.
		assert_eq!(Balances::balance(&TREASURY) - treasury, 2 * COMMIT_FEE);
		assert_eq!(Balances::balance(&W3), HOT_BALANCE - 2 * COMMIT_FEE);
		assert!(events().contains(&Event::WorkCommitted {
			race: 0,
			who: W3,
			root: latest.root,
			count: 9,
			fee: COMMIT_FEE
		}));
		assert_ok!(commit_work(W4, 0, 1));
		assert_eq!(ParticipantCount::<Test>::get(), 2);
		assert_eq!(
			(ParticipantAt::<Test>::get(0), ParticipantAt::<Test>::get(1)),
			(Some(W3), Some(W4))
		);
	});
}

#[test]
fn bad_commitments_are_refused_and_change_nothing() {
	run(|| {
		run_to(START);
		assert_noop!(commit_work(W3, 0, 1), Error::<Test>::WindowClosed);
		open_window();
		assert_noop!(commit_work(W3, 1, 1), Error::<Test>::WrongRace);
		assert_noop!(commit_work(STRANGER, 0, 1), Error::<Test>::NotActiveWorker);
		assert_noop!(commit_work(W3, 0, 0), Error::<Test>::EmptyCommitment);
		assert_ok!(commit_work(W3, 0, 8));
		// Within the interval, even with more work.
		assert_noop!(commit_work(W3, 0, 9), Error::<Test>::CommitTooSoon);
		run_to(WINDOW_FROM + u64::from(COMMIT_INTERVAL) - 1);
		assert_noop!(commit_work(W3, 0, 9), Error::<Test>::CommitTooSoon);
		run_to(WINDOW_FROM + u64::from(COMMIT_INTERVAL));
		assert_noop!(commit_work(W3, 0, 8), Error::<Test>::CountNotIncreasing);
		assert_noop!(commit_work(W3, 0, 7), Error::<Test>::CountNotIncreasing);
		// A hot key that cannot pay the fee.
		let poor = W4;
		let spare = Balances::balance(&poor) - 5;
		assert_ok!(<Balances as frame_support::traits::fungible::Mutate<_>>::transfer(
			&poor,
			&STRANGER,
			spare,
			frame_support::traits::tokens::Preservation::Expendable
		));
		assert_noop!(commit_work(poor, 0, 1), sp_runtime::TokenError::FundsUnavailable);
		assert_eq!(ParticipantCount::<Test>::get(), 1);
		run_to(VALIDATION_FROM);
		assert_noop!(commit_work(W1, 0, 100), Error::<Test>::WindowClosed);
		assert_noop!(commit_work(W3, 0, 100), Error::<Test>::WindowClosed);
		assert_eq!(Work::<Test>::get(W3).map(|w| w.count), Some(8));
	});
}

#[test]
fn a_race_takes_at_most_max_participants() {
	run(|| {
		open_window();
		for who in [W1, W2, W3, W4] {
			assert_ok!(commit_work(who, 0, 1));
		}
		assert_noop!(commit_work(W5, 0, 1), Error::<Test>::TooManyParticipants);
		// Those in may still commit more.
		run_to(WINDOW_FROM + u64::from(COMMIT_INTERVAL));
		assert_ok!(commit_work(W4, 0, 2));
	});
}

#[test]
fn in_the_first_race_participants_validate_each_other() {
	run(|| {
		race_with(&[(W1, 2), (W2, 1), (W3, 3)]);
		let sample_seed = CurrentRace::<Test>::get().unwrap().sample_seed.unwrap();
		assert!(events().contains(&Event::WindowClosed {
			race: 0,
			sample_seed,
			participants: 3,
			validators: 3
		}));
		for who in [W1, W2, W3] {
			let assigned = validators(who);
			assert_eq!(assigned.len(), 2, "two validators each");
			assert!(assigned.iter().all(|(v, weight)| *v != who && *weight == 1));
		}
	});
}

#[test]
fn honest_participants_are_accepted_with_their_committed_count_as_weight() {
	run(|| {
		race_with(&[(W1, 2), (W2, 1), (W3, 3)]);
		for participant in [W1, W2, W3] {
			for (validator, _) in validators(participant) {
				// One failed leaf is within the tolerance m = 1.
				assert_ok!(Race::vote(RuntimeOrigin::signed(validator), 0, participant, 1));
			}
		}
		run_to(CONCLUDED);
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
		assert_eq!(ParticipantCount::<Test>::get(), 0);
		assert_eq!(ParticipantAt::<Test>::iter().count(), 0);
		assert_eq!(Work::<Test>::iter().count(), 0);
		assert!(ValidatorPool::<Test>::get().is_empty());
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
		race_with(&[(W1, 2), (W2, 1), (W3, 3)]);
		for (validator, _) in validators(W3) {
			assert_ok!(Race::vote(RuntimeOrigin::signed(validator), 0, W3, 2));
		}
		run_to(CONCLUDED);
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
		race_with(&[(W1, 2), (W2, 1), (W3, 3)]);
		let assigned = validators(W1);
		// One accepts, one rejects: neither side has more than 2/3.
		assert_ok!(Race::vote(RuntimeOrigin::signed(assigned[0].0), 0, W1, 0));
		assert_ok!(Race::vote(RuntimeOrigin::signed(assigned[1].0), 0, W1, 2));
		// Nobody votes on W2.
		let silent: Vec<AccountId> = validators(W2).into_iter().map(|(v, _)| v).collect();
		run_to(CONCLUDED);
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
		race_with(&[(W1, 2), (W2, 1), (W3, 3)]);
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
		// W1 committed 2 leaves: at most 2 can fail.
		assert_noop!(
			Race::vote(RuntimeOrigin::signed(validator), 0, W1, 3),
			Error::<Test>::ImpossibleVote
		);
		assert_ok!(Race::vote(RuntimeOrigin::signed(validator), 0, W1, 0));
		assert_noop!(
			Race::vote(RuntimeOrigin::signed(validator), 0, W1, 0),
			Error::<Test>::AlreadyVoted
		);
		run_to(CONCLUDED);
		assert_noop!(Race::vote(RuntimeOrigin::signed(validator), 0, W2, 0), Error::<Test>::NoRace);
	});
}

#[test]
fn votes_before_the_window_closes_are_refused() {
	run(|| {
		open_window();
		assert_ok!(commit_work(W1, 0, 1));
		assert_noop!(
			Race::vote(RuntimeOrigin::signed(W2), 0, W1, 0),
			Error::<Test>::NotValidationPhase
		);
	});
}

#[test]
fn later_races_are_validated_by_previous_weight_and_never_by_the_participant() {
	run(|| {
		race_with(&[(W1, 2), (W2, 1), (W3, 3)]);
		for participant in [W1, W2, W3] {
			for (validator, _) in validators(participant) {
				assert_ok!(Race::vote(RuntimeOrigin::signed(validator), 0, participant, 0));
			}
		}
		run_to(CONCLUDED);
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
			assert_ok!(commit_work(who, 1, 7));
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
		harder.artifact_len = 8;
		harder.tolerance = 10_000;
		harder.sample_size = 64;
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
		let cases: [(fn(&mut RaceParams), Error<Test>); 14] = [
			(|p| p.model.layers = 0, Error::InvalidRaceModel),
			(|p| p.model.heads = 3, Error::InvalidRaceModel), // d_model 8 is not a multiple of 3
			(|p| p.sample_size = 0, Error::InvalidSampling),
			(|p| p.sample_size = 65, Error::InvalidSampling), // MaxSampleSize is 64
			(|p| p.tolerance = 0, Error::InvalidSampling),
			(|p| p.max_mismatches = p.sample_size, Error::InvalidSampling),
			(|p| p.artifact_len = 0, Error::InvalidArtifact),
			(|p| p.artifact_len = 9, Error::InvalidArtifact), // above d_model 8 and the bound 8
			(|p| p.commit_interval = 0, Error::InvalidCommitInterval),
			(|p| p.commit_interval = p.window + 1, Error::InvalidCommitInterval),
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
		// The four phases and the judging blocks (4 participants, 2 a block: the race's last
		// block and one more) filling the whole period leave the next race no start.
		let mut p = base;
		p.window = full - 1;
		assert_noop!(
			Race::set_params(RuntimeOrigin::root(), p),
			Error::<Test>::RaceLongerThanPeriod
		);
		p.window = full - 2;
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
		changed.commit_fee = 100;
		assert_ok!(Race::set_params(RuntimeOrigin::root(), changed));
		// The running race keeps its schedule and its fee.
		let running = CurrentRace::<Test>::get().unwrap();
		assert_eq!((running.reveal_from, running.ends), (REVEAL_FROM, ENDS));
		let before = Balances::balance(&W3);
		assert_ok!(commit_work(W3, 0, 3));
		assert_eq!(before - Balances::balance(&W3), COMMIT_FEE);
		// The next race is scheduled with the new phases and charges the new fee.
		run_to(2 * PERIOD);
		let next = CurrentRace::<Test>::get().unwrap();
		assert_eq!(next.index, 1);
		assert_eq!(next.reveal_from, 2 * PERIOD + 5);
		assert_eq!(next.ends, 2 * PERIOD + 5 + REVEAL + u64::from(WINDOW) + 7);
		assert_eq!(next.params, changed);
	});
}

#[test]
fn judging_a_full_race_takes_judged_per_block_participants_a_block() {
	run(|| {
		race_with(&[(W1, 2), (W2, 1), (W3, 3), (W4, 4)]);
		for participant in [W1, W2, W3, W4] {
			for (validator, _) in validators(participant) {
				assert_ok!(Race::vote(RuntimeOrigin::signed(validator), 0, participant, 0));
			}
		}
		run_to(ENDS);
		// Two of four judged in the race's last block; the race is still running.
		assert_eq!(Judged::<Test>::get(), Some(2));
		assert_eq!(PendingWeights::<Test>::get().into_inner(), vec![(W1, 2), (W2, 1)]);
		assert!(CurrentRace::<Test>::get().is_some());
		assert_eq!(LastFinalized::<Test>::get(), None);
		run_to(ENDS + 1);
		assert!(CurrentRace::<Test>::get().is_none());
		assert_eq!(
			RaceWeights::<Test>::get(0).unwrap().into_inner(),
			vec![(W4, 4), (W3, 3), (W1, 2), (W2, 1)]
		);
		assert!(events().contains(&Event::RaceFinalized {
			race: 0,
			weighted: 4,
			total_weight: 10
		}));
		assert_eq!(Judged::<Test>::get(), None);
		assert!(PendingWeights::<Test>::get().is_empty());
	});
}

#[test]
fn assignments_are_weighted_distinct_and_exclude_the_participant() {
	run(|| {
		// Own weights 2, 0, 5, 5 as running totals.
		let pool: Vec<(AccountId, u64)> = vec![(W1, 2), (W2, 2), (W3, 7), (W4, 12)];
		let mut drawn_w3 = 0;
		for seed in 0u8..200 {
			let assigned = Race::assignment(&[seed; 32], &W1, &pool);
			assert_eq!(assigned.len(), 2);
			assert!(assigned.iter().all(|(v, _)| *v != W1), "never the participant");
			assert!(assigned.iter().all(|(v, _)| *v != W2), "W2 has no weight of its own");
			assert_ne!(assigned[0].0, assigned[1].0);
			// Each votes with its own weight, not the running total.
			for (validator, weight) in &assigned {
				let expected = match validator {
					v if *v == W3 => 5,
					v if *v == W4 => 5,
					_ => 0,
				};
				assert_eq!(*weight, expected);
			}
			drawn_w3 += assigned.iter().filter(|(v, _)| *v == W3).count();
		}
		// Only W3 and W4 can be drawn besides W1, so both always are.
		assert_eq!(drawn_w3, 200);
	});
}
