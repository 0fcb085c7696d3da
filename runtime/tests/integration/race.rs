#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

//! The race through the real runtime: what pallet-race reports reaches the real
//! pallet-slashing, which takes stake and reputation from the real worker registry (the
//! race's unit tests see both through stubs). Four workers registered with the registry's
//! calls race the dev chain's first race; a withheld seed reveal in the next race (whose
//! committers are the first race's top participants) is slashed as a `WithheldReveal`, a
//! participant its validators reject is slashed as a `SpotCheckFailure`, and a validator
//! that skips a vote loses `NonVoterPenalty` of its reputation. Every pallet's invariants
//! are checked after each scenario.
//!
//! Blocks advance by the race's `on_initialize` alone: among the pallets composed here only
//! the race acts on blocks, and BABE's and the session's hooks need the pre-digest of a real
//! block.

use ail2_primitives::{keccak256, race::seed_commitment, receipt::signing::Keypair, Hash};
use ail2_runtime::{
	configs::TreasuryAccount, AccountId, Balance, Balances, BlockNumber, Race, Runtime,
	RuntimeEvent, RuntimeOrigin, Slashing, System, Workers,
};
use codec::Encode;
use frame_support::{
	assert_noop, assert_ok,
	traits::{fungible::Inspect, Hooks},
	BoundedVec,
};
use pallet_race::{
	Committers, CurrentRace, OpeningsUrl, RaceOf, RaceWeights, ValidatorPool, Verdict,
};
use pallet_slashing::Violation;
use pallet_workers::{Capabilities, CudaVersion, GeoPoint, WorkerInspect};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{FixedU128, Perbill, Saturating};

use crate::common::{check_invariants, dev_ext, register_worker, STAKE};

/// The workers' owners, who stake, and hot keys, which race, vote and pay the fees.
const WORKERS: [(Sr25519Keyring, Sr25519Keyring); 4] = [
	(Sr25519Keyring::Alice, Sr25519Keyring::AliceStash),
	(Sr25519Keyring::Bob, Sr25519Keyring::BobStash),
	(Sr25519Keyring::Charlie, Sr25519Keyring::CharlieStash),
	(Sr25519Keyring::Dave, Sr25519Keyring::DaveStash),
];

/// The hot key of worker `i`.
fn hot(i: usize) -> AccountId {
	WORKERS[i].1.to_account_id()
}

fn signed(who: &AccountId) -> RuntimeOrigin {
	RuntimeOrigin::signed(who.clone())
}

/// The development genesis (no race committers: its first seed is BABE's alone) plus four
/// workers staked `STAKE`, registered with the registry's call and a proof of their receipt
/// keys.
fn setup() -> sp_io::TestExternalities {
	let mut ext = dev_ext();
	ext.execute_with(|| {
		for (i, (owner, hot_key)) in WORKERS.iter().enumerate() {
			let key = Keypair::from_secret(&[0x51 + i as u8; 32]).unwrap();
			let capabilities = Capabilities {
				gpu_model: BoundedVec::truncate_from(b"NVIDIA L4".to_vec()),
				gpu_count: 1,
				vram_mib: 24_576,
				cuda: CudaVersion { major: 12, minor: 2 },
				region: GeoPoint { lat_micro_deg: 52_520_008, lon_micro_deg: 13_404_954 },
			};
			let endpoint = format!("https://worker{i}.example.org");
			let (owner, hot_key) = (owner.to_account_id(), hot_key.to_account_id());
			register_worker(owner, hot_key, &key, capabilities, endpoint.as_bytes(), STAKE);
		}
		assert!(Committers::<Runtime>::get().is_empty());
	});
	ext
}

/// Runs the race's hooks of every block up to and including `n`.
fn run_to(n: BlockNumber) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Race::on_initialize(next);
	}
}

/// The race in progress.
fn current() -> RaceOf<Runtime> {
	CurrentRace::<Runtime>::get().expect("a race is running")
}

/// Runs to the start of the next race.
fn next_race() -> RaceOf<Runtime> {
	let period: BlockNumber = <Runtime as pallet_race::Config>::RacePeriod::get();
	run_to((System::block_number() / period + 1) * period);
	current()
}

fn events() -> Vec<RuntimeEvent> {
	System::events().into_iter().map(|r| r.event).collect()
}

fn race_events() -> Vec<pallet_race::Event<Runtime>> {
	events()
		.into_iter()
		.filter_map(|e| if let RuntimeEvent::Race(e) = e { Some(e) } else { None })
		.collect()
}

/// Slashing's `Punished` events against `offender`: (violation, rate, slashed).
fn punishments(offender: &AccountId) -> Vec<(Violation, Perbill, Balance)> {
	events()
		.into_iter()
		.filter_map(|e| match e {
			RuntimeEvent::Slashing(pallet_slashing::Event::Punished {
				offender: o,
				violation,
				rate,
				slashed,
				..
			}) if o == *offender => Some((violation, rate, slashed)),
			_ => None,
		})
		.collect()
}

fn stake(who: &AccountId) -> Balance {
	pallet_workers::Workers::<Runtime>::get(who).unwrap().stake
}

fn reputation(who: &AccountId) -> Perbill {
	pallet_workers::Workers::<Runtime>::get(who).unwrap().reputation
}

fn initial_reputation() -> Perbill {
	<Runtime as pallet_workers::Config>::InitialReputation::get()
}

/// `who`'s commitment to `count` nonces (a stand-in root: the chain never opens it).
fn commit_work(who: &AccountId, race: u32, count: u64) -> frame_support::dispatch::DispatchResult {
	let url: OpeningsUrl = BoundedVec::truncate_from(b"http://127.0.0.1:9620".to_vec());
	Race::commit_work(signed(who), race, keccak256(&(who, count).encode()), count, url)
}

fn secret(who: &AccountId) -> Hash {
	keccak256(&(b"race secret", who).encode())
}

/// The validators the race assigned to `participant`.
fn validators(participant: &AccountId) -> Vec<AccountId> {
	let sample_seed = current().sample_seed.expect("the window closed");
	Race::assignment(&sample_seed, participant, &ValidatorPool::<Runtime>::get())
		.into_iter()
		.map(|(v, _)| v)
		.collect()
}

/// Nonces worker `i` commits to in the first race: fewer for each next worker, so that the
/// weights, if all are accepted, rank the workers in order; at least three, so that a vote
/// of `max_mismatches + 1` failed leaves is possible for every one.
fn hits(i: usize) -> u64 {
	((WORKERS.len() - i + 2) * 1_000) as u64
}

/// The first race up to its validation phase, worker `i` committing to `hits(i)` nonces. With
/// four participants and `ValidatorsPerParticipant` = 3 each is validated by the three
/// others, weight 1 each.
fn first_race_to_validation() -> RaceOf<Runtime> {
	let race = next_race();
	assert_eq!(race.index, 0);
	run_to(race.window_from);
	for i in 0..WORKERS.len() {
		assert_ok!(commit_work(&hot(i), 0, hits(i)));
	}
	run_to(race.validation_from);
	for i in 0..WORKERS.len() {
		let mut assigned = validators(&hot(i));
		assigned.sort();
		let mut others: Vec<AccountId> = (0..WORKERS.len()).filter(|j| *j != i).map(hot).collect();
		others.sort();
		assert_eq!(assigned, others, "worker {i} is validated by the three others");
	}
	race
}

/// Every validator of every participant votes `mismatches_for(participant)`, except the
/// pairs `(validator, participant)` in `skip`.
fn vote_all(
	race: &RaceOf<Runtime>,
	mismatches_for: impl Fn(&AccountId) -> u32,
	skip: &[(AccountId, AccountId)],
) {
	for i in 0..WORKERS.len() {
		let participant = hot(i);
		for validator in validators(&participant) {
			if skip.contains(&(validator.clone(), participant.clone())) {
				continue;
			}
			assert_ok!(Race::vote(
				signed(&validator),
				race.index,
				participant.clone(),
				mismatches_for(&participant)
			));
		}
	}
}

fn judged(race: u32, participant: &AccountId, verdict: Verdict, weight: u64) -> bool {
	race_events().contains(&pallet_race::Event::Judged {
		race,
		participant: participant.clone(),
		verdict,
		weight,
	})
}

/// A committer of the second race (the first race's top participants) commits and does not
/// reveal: as the window opens the race reports it, and pallet-slashing takes
/// `WithheldReveal`'s rate of its stake in the registry — 10% base × severity 1, held to the
/// 5% top of the 2–5% range — and bars it from the race.
#[test]
fn a_withheld_reveal_is_slashed_from_the_committers_stake() {
	setup().execute_with(|| {
		let first = first_race_to_validation();
		vote_all(&first, |_| 0, &[]);
		run_to(first.ends);
		for i in 0..WORKERS.len() {
			assert!(judged(0, &hot(i), Verdict::Accepted, hits(i)));
		}

		let race = next_race();
		assert_eq!(race.index, 1);
		let all: Vec<AccountId> = (0..WORKERS.len()).map(hot).collect();
		assert_eq!(Committers::<Runtime>::get().into_inner(), all, "heaviest first");
		let (revealer, withholder) = (hot(0), hot(1));
		for who in [&revealer, &withholder] {
			assert_ok!(Race::commit_seed(
				signed(who),
				1,
				seed_commitment(1, &who.encode(), &secret(who))
			));
		}
		run_to(race.reveal_from);
		assert_ok!(Race::reveal_seed(signed(&revealer), 1, secret(&revealer)));
		let (before, treasury) = (stake(&withholder), Balances::balance(&TreasuryAccount::get()));
		assert!(punishments(&withholder).is_empty());

		run_to(race.window_from);
		assert!(race_events()
			.contains(&pallet_race::Event::RevealWithheld { race: 1, who: withholder.clone() }));
		let seed = current().seed.unwrap();
		assert!(race_events().contains(&pallet_race::Event::SeedFixed {
			race: 1,
			seed,
			reveals: 1
		}));
		let punished = punishments(&withholder);
		assert_eq!(punished.len(), 1, "reported once");
		let (violation, rate, slashed) = punished[0];
		assert_eq!(violation, Violation::WithheldReveal);
		let (lowest, highest) = Violation::WithheldReveal.range();
		assert!(lowest <= rate && rate <= highest, "{rate:?} within WithheldReveal's range");
		assert_eq!(rate, Slashing::slash_rate(Violation::WithheldReveal, FixedU128::from_u32(0)));
		assert_eq!(rate, Perbill::from_percent(5));
		assert_eq!(slashed, rate.mul_floor(before));
		assert_eq!(stake(&withholder), before - slashed);
		assert_eq!(Balances::balance(&TreasuryAccount::get()), treasury + slashed);
		// The revealer and the committers who did not commit keep their stake.
		for who in [&revealer, &hot(2), &hot(3)] {
			assert_eq!(stake(who), STAKE);
			assert!(punishments(who).is_empty());
		}

		// Barred from the race it withheld from; the revealer races.
		assert!(Workers::is_active(&withholder), "5% leaves it above the minimum stake");
		assert_noop!(commit_work(&withholder, 1, 7), pallet_race::Error::<Runtime>::Excluded);
		assert_ok!(commit_work(&revealer, 1, 7));
		check_invariants();
	});
}

/// A participant whose three validators all find more than `max_mismatches` mismatches is
/// rejected with no weight, and pallet-slashing takes `SpotCheckFailure`'s rate (10% for a
/// first offence) of its stake to the treasury and `ReputationLoss` of its reputation.
#[test]
fn a_participant_its_validators_reject_is_slashed_from_its_stake() {
	setup().execute_with(|| {
		let race = first_race_to_validation();
		let cheat = hot(3);
		let tolerated = race.params.max_mismatches;
		vote_all(&race, |p| if *p == cheat { tolerated + 1 } else { 0 }, &[]);
		let treasury = Balances::balance(&TreasuryAccount::get());
		assert!(punishments(&cheat).is_empty());

		run_to(race.ends);
		assert!(judged(0, &cheat, Verdict::Rejected, 0));
		let punished = punishments(&cheat);
		assert_eq!(punished.len(), 1, "reported once");
		let (violation, rate, slashed) = punished[0];
		assert_eq!(violation, Violation::SpotCheckFailure);
		let (lowest, highest) = Violation::SpotCheckFailure.range();
		assert!(lowest <= rate && rate <= highest, "{rate:?} within SpotCheckFailure's range");
		assert_eq!(rate, Perbill::from_percent(10));
		assert_eq!(slashed, rate.mul_floor(STAKE));
		assert_eq!(stake(&cheat), STAKE - slashed);
		assert_eq!(Balances::balance(&TreasuryAccount::get()), treasury + slashed);
		let loss = <Runtime as pallet_slashing::Config>::ReputationLoss::get();
		assert_eq!(reputation(&cheat), initial_reputation().saturating_sub(loss));
		assert_eq!(pallet_slashing::Records::<Runtime>::get(&cheat).unwrap().total, 1);

		// The honest three are accepted and unpunished; the cheat is out of the weights.
		for i in 0..3 {
			assert!(judged(0, &hot(i), Verdict::Accepted, hits(i)));
			assert_eq!(stake(&hot(i)), STAKE);
			assert_eq!(reputation(&hot(i)), initial_reputation());
		}
		let weights = RaceWeights::<Runtime>::get(0).unwrap();
		assert!(weights.iter().all(|(who, _)| *who != cheat));
		assert_eq!(weights.len(), 3);
		check_invariants();
	});
}

/// A validator that skips one assigned vote loses `NonVoterPenalty` (5%) of its reputation
/// in the registry, and nothing else: no stake, no violation record. The participant it left
/// with exactly 2/3 of its weight is undecided (no weight) and not reported.
#[test]
fn a_validator_that_does_not_vote_loses_reputation() {
	setup().execute_with(|| {
		let race = first_race_to_validation();
		let (silent, participant) = (hot(3), hot(0));
		vote_all(&race, |_| 0, &[(silent.clone(), participant.clone())]);
		run_to(race.ends);

		assert!(race_events().contains(&pallet_race::Event::DutyMissed {
			race: 0,
			validator: silent.clone(),
			participant: participant.clone(),
		}));
		let missed = race_events()
			.iter()
			.filter(|e| matches!(e, pallet_race::Event::DutyMissed { .. }))
			.count();
		assert_eq!(missed, 1);
		let penalty = <Runtime as pallet_race::Config>::NonVoterPenalty::get();
		assert_eq!(penalty, Perbill::from_percent(5));
		assert_eq!(reputation(&silent), initial_reputation().saturating_sub(penalty));
		assert_eq!(stake(&silent), STAKE);
		assert!(pallet_slashing::Records::<Runtime>::get(&silent).is_none());

		assert!(judged(0, &participant, Verdict::Undecided, 0));
		assert!(pallet_slashing::Records::<Runtime>::get(&participant).is_none());
		assert_eq!(stake(&participant), STAKE);
		for i in 0..3 {
			assert_eq!(reputation(&hot(i)), initial_reputation(), "worker {i} voted on all");
		}
		for i in 1..WORKERS.len() {
			assert!(judged(0, &hot(i), Verdict::Accepted, hits(i)));
		}
		assert!(events().iter().all(|e| !matches!(e, RuntimeEvent::Slashing(_))));
		check_invariants();
	});
}

/// A race's accepted weights are the day's work that pallet-issuance pays by: when the day
/// closes, the training fund gets 20 % of the minimum daily issuance and staking's era payout
/// 10 %. The four workers' owners are then paid the other 70 % in proportion to their
/// weights, to the unit.
#[test]
fn accepted_weights_are_paid_by_issuance_when_the_day_closes() {
	use ail2_primitives::issuance::daily_minimum;
	use ail2_runtime::{configs::TrainingFundAccount, Issuance};
	use pallet_staking::EraPayout;

	setup().execute_with(|| {
		let race = first_race_to_validation();
		vote_all(&race, |_| 0, &[]);
		let day_length: BlockNumber = ail2_runtime::configs::DAY_LENGTH;
		let run_with_issuance_to = |n: BlockNumber| {
			while System::block_number() < n {
				let next = System::block_number() + 1;
				System::set_block_number(next);
				Issuance::on_initialize(next);
				Race::on_initialize(next);
			}
		};
		run_with_issuance_to(race.ends);
		let day = pallet_issuance::CurrentDay::<Runtime>::get();
		let total: u64 = (0..WORKERS.len()).map(hits).sum();
		for i in 0..WORKERS.len() {
			let work = pallet_issuance::Work::<Runtime>::get(day, hot(i)).unwrap();
			assert_eq!(work.weight, hits(i), "worker {i}'s accepted weight is its work");
		}
		assert_eq!(pallet_issuance::DayWork::<Runtime>::get(day).weight, total);

		let owners: Vec<AccountId> = WORKERS.iter().map(|(o, _)| o.to_account_id()).collect();
		let before: Vec<Balance> = owners.iter().map(|o| Balances::balance(o)).collect();
		let fund = Balances::balance(&TrainingFundAccount::get());
		// Days that closed while the race ran had no work; their validators' share goes.
		let _ = ail2_runtime::configs::ScheduledEraPayout::era_payout(0, 0, 0);
		let minted = pallet_issuance::Minted::<Runtime>::get();
		// Until the day closes and its payout is done.
		let deadline = (day + 2) * day_length;
		while (pallet_issuance::CurrentDay::<Runtime>::get() == day
			|| pallet_issuance::Payout::<Runtime>::get().is_some())
			&& System::block_number() < deadline
		{
			run_with_issuance_to(System::block_number() + 1);
		}
		assert_eq!(pallet_issuance::CurrentDay::<Runtime>::get(), day + 1);

		let minimum = daily_minimum(1).unwrap();
		let training = minimum / 5;
		let validators = minimum / 10;
		let providers = minimum - training - validators;
		assert_eq!(Balances::balance(&TrainingFundAccount::get()) - fund, training);
		for (i, owner) in owners.iter().enumerate() {
			let expected = providers * u128::from(hits(i)) / u128::from(total);
			assert_eq!(Balances::balance(owner) - before[i], expected, "owner of worker {i}");
		}
		// Staking's era payout is the validators' share, once; nothing is left over.
		let payout = ail2_runtime::configs::ScheduledEraPayout::era_payout(0, 0, 0);
		assert_eq!(payout, (validators, 0));
		assert_eq!(ail2_runtime::configs::ScheduledEraPayout::era_payout(0, 0, 0), (0, 0));
		let paid: Balance =
			(0..WORKERS.len()).map(|i| providers * u128::from(hits(i)) / u128::from(total)).sum();
		assert_eq!(
			pallet_issuance::Minted::<Runtime>::get() - minted,
			training + validators + paid,
			"the counter is what was minted and released"
		);
		check_invariants();
	});
}
