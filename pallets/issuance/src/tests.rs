//! The schedule as the chain applies it, against figures computed by hand from the seed's.

#![allow(
	clippy::arithmetic_side_effects,
	clippy::indexing_slicing,
	clippy::unwrap_used,
	clippy::expect_used
)]

use crate::{mock::*, *};
use ail2_primitives::issuance::{
	daily_minimum, subsidy_for_fees, subsidy_total, BATCH_SIZE, COIN, MINTABLE,
};
use frame_support::{assert_noop, assert_ok, traits::fungible::Mutate};
use pallet_race::OnWeightsAccepted;
use pallet_receipts::SettlementRevenue;
use sp_runtime::{DispatchError, Perbill};

const A: AccountId = 10;
const B: AccountId = 11;
const OWNER_A: AccountId = 20;
const OWNER_B: AccountId = 21;

fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::Issuance(event) => Some(event),
			_ => None,
		})
		.collect()
}

fn free(who: AccountId) -> Balance {
	Balances::free_balance(who)
}

/// A and B active, with weights 3 and 1 accepted today.
fn two_workers() {
	WorkersMock::add_worker(OWNER_A, A);
	WorkersMock::add_worker(OWNER_B, B);
	Issuance::weights_accepted(0, &[(A, 3), (B, 1)]);
}

/// The day's shares of `issued`: 20 % training fund, 10 % validators, the rest providers.
fn shares(issued: Balance) -> (Balance, Balance, Balance) {
	let training = issued / 5;
	let validators = issued / 10;
	(training, validators, issued - training - validators)
}

#[test]
fn a_day_without_demand_mints_exactly_the_daily_minimum_split_by_weight() {
	run(|| {
		two_workers();
		run_to(DAY - 1);
		assert!(events().is_empty(), "nothing before the day ends");
		run_to(DAY);
		// 50,000,000 AIL2 / 365, to the unit.
		let minimum = 136_986_301_369_863_013;
		assert_eq!(daily_minimum(1), Some(minimum));
		let (training, validators, providers) = shares(minimum);
		assert_eq!(
			events(),
			vec![Event::DayClosed {
				day: 0,
				year: 1,
				fees: 0,
				demand_subsidy: 0,
				minimum,
				issued: minimum,
				training_fund: training,
				validators,
				providers,
			}]
		);
		assert_eq!(free(TRAINING_FUND), training);
		assert_eq!(ValidatorPot::<Test>::get(), validators);
		run_to(DAY + 1);
		// Weights 3 and 1: three quarters and a quarter, rounded down.
		let (to_a, to_b) = (providers * 3 / 4, providers / 4);
		assert_eq!((free(OWNER_A), free(OWNER_B)), (to_a, to_b));
		assert_eq!(Minted::<Test>::get(), training + validators + to_a + to_b);
		assert!(Minted::<Test>::get() <= minimum, "rounding leaves at most a unit or two");
		assert!(minimum - Minted::<Test>::get() <= 2);
		assert!(matches!(
			events().last(),
			Some(Event::DayPaid { day: 0, paid, unpaid }) if *paid == to_a + to_b
				&& *unpaid == providers - to_a - to_b
		));
		assert_eq!(Payout::<Test>::get(), None);
		assert_eq!(Work::<Test>::iter_prefix(0).count(), 0, "the day's work is cleared");
		// Staking's era payout takes the validators' pot, once.
		assert_eq!(Issuance::take_validator_pot(), validators);
		assert_eq!(Issuance::take_validator_pot(), 0);
	});
}

#[test]
fn demand_above_the_minimum_mints_nine_coins_a_coin_in_batch_one() {
	run(|| {
		two_workers();
		// 100,000 AIL2 of fees in two batches: 900,000 AIL2 of subsidy.
		Issuance::batch_paid(60_000 * COIN);
		Issuance::batch_paid(40_000 * COIN);
		run_to(DAY);
		let issued = 900_000 * COIN;
		let (training, validators, providers) = shares(issued);
		assert!(matches!(
			events().last(),
			Some(Event::DayClosed { fees, demand_subsidy, issued: i, providers: p, .. })
				if *fees == 100_000 * COIN && *demand_subsidy == issued && *i == issued
					&& *p == providers
		));
		run_to(DAY + 1);
		assert_eq!(free(OWNER_A), providers * 3 / 4);
		assert_eq!(free(TRAINING_FUND), training);
		assert_eq!(Minted::<Test>::get(), training + validators + providers, "no remainder");
		assert_eq!(DayFees::<Test>::get(), 0, "the next day counts afresh");
	});
}

#[test]
fn demand_below_the_minimum_is_topped_up_to_it() {
	run(|| {
		two_workers();
		// 1,000 AIL2 of fees earn 9,000, less than the 136,986 minimum.
		Issuance::batch_paid(1_000 * COIN);
		run_to(DAY);
		assert!(matches!(
			events().last(),
			Some(Event::DayClosed { demand_subsidy, issued, .. })
				if *demand_subsidy == 9_000 * COIN && Some(*issued) == daily_minimum(1)
		));
	});
}

#[test]
fn a_day_crossing_a_batch_boundary_mints_at_both_rates() {
	run(|| {
		two_workers();
		// 10 AIL2 left in batch 1; 100,000 AIL2 of fees.
		let minted = BATCH_SIZE - 10 * COIN;
		Minted::<Test>::put(minted);
		Issuance::batch_paid(100_000 * COIN);
		run_to(DAY);
		// ⌈10/9⌉ AIL2 of fees fill batch 1; the other 99,998.888… mint 18/7 each in batch 2.
		let filling = (10 * COIN).div_ceil(9);
		let expected = 10 * COIN + (100_000 * COIN - filling) * 18 / 7;
		assert_eq!(subsidy_total(&subsidy_for_fees(minted, 100_000 * COIN)), expected);
		assert!(matches!(
			events().last(),
			Some(Event::DayClosed { demand_subsidy, issued, .. })
				if *demand_subsidy == expected && *issued == expected
		));
	});
}

#[test]
fn a_year_rollover_halves_the_minimum() {
	run(|| {
		System::set_block_number(364 * DAY);
		CurrentDay::<Test>::put(364);
		two_workers();
		run_to(365 * DAY);
		Issuance::weights_accepted(1, &[(A, 1)]);
		run_to(366 * DAY);
		let closed: Vec<(u32, u32, Balance)> = events()
			.into_iter()
			.filter_map(|event| match event {
				Event::DayClosed { day, year, issued, .. } => Some((day, year, issued)),
				_ => None,
			})
			.collect();
		// 25,000,000 AIL2 / 365 in year 2: 68,493.15…
		assert_eq!(
			closed,
			vec![(364, 1, 136_986_301_369_863_013), (365, 2, 68_493_150_684_931_506)]
		);
	});
}

#[test]
fn with_no_accepted_work_the_providers_part_is_not_minted() {
	run(|| {
		run_to(DAY);
		let minimum = daily_minimum(1).unwrap();
		let (training, validators, _) = shares(minimum);
		assert!(matches!(events().last(), Some(Event::DayClosed { providers: 0, .. })));
		assert_eq!(Payout::<Test>::get(), None);
		assert_eq!(Minted::<Test>::get(), training + validators);
		assert_eq!(free(TRAINING_FUND), training);
	});
}

#[test]
fn a_payout_runs_over_blocks_and_the_next_day_waits_for_it() {
	run(|| {
		let workers: Vec<(AccountId, u64)> = (0..7).map(|i| (100 + i, 1)).collect();
		for (hot, _) in &workers {
			WorkersMock::add_worker(hot + 100, *hot);
		}
		Issuance::weights_accepted(0, &workers);
		assert_eq!(DayWork::<Test>::get(0), WorkTotal { weight: 7, workers: 7 });
		run_to(DAY);
		// 7 workers, 3 a block: blocks DAY+1, DAY+2 and DAY+3.
		run_to(DAY + 2);
		assert_eq!(Payout::<Test>::get().map(|p| p.remaining), Some(1));
		// The second day ends while the payout is still running: it closes one block late.
		System::set_block_number(2 * DAY - 1);
		run_to(2 * DAY);
		assert_eq!(CurrentDay::<Test>::get(), 1, "day 1 waits for day 0's payout");
		assert!(Payout::<Test>::get().is_none());
		run_to(2 * DAY + 1);
		assert_eq!(CurrentDay::<Test>::get(), 2);
		let rewarded = events().iter().filter(|e| matches!(e, Event::Rewarded { .. })).count();
		assert_eq!(rewarded, 7);
		let (_, _, providers) = shares(daily_minimum(1).unwrap());
		for (hot, _) in &workers {
			assert_eq!(free(hot + 100), providers / 7);
		}
	});
}

#[test]
fn weights_of_a_days_races_add_up_per_worker() {
	run(|| {
		two_workers();
		Issuance::weights_accepted(1, &[(B, 5), (A, 2)]);
		Issuance::weights_accepted(2, &[(A, 0)]);
		assert_eq!(Work::<Test>::get(0, A).map(|r| r.weight), Some(5));
		assert_eq!(Work::<Test>::get(0, B).map(|r| r.weight), Some(6));
		assert_eq!(DayWork::<Test>::get(0), WorkTotal { weight: 11, workers: 2 });
		// The next day's races count towards the next day.
		run_to(DAY);
		Issuance::weights_accepted(3, &[(A, 4)]);
		assert_eq!(Work::<Test>::get(1, A).map(|r| r.weight), Some(4));
		assert_eq!(DayWork::<Test>::get(1), WorkTotal { weight: 4, workers: 1 });
	});
}

#[test]
fn a_worker_proven_to_cheat_or_gone_forfeits_its_share() {
	run(|| {
		let c: AccountId = 12;
		WorkersMock::add_worker(OWNER_A, A);
		WorkersMock::add_worker(OWNER_B, B);
		WorkersMock::add_worker(22, c);
		// A violation proven before the work was accepted does not forfeit it.
		WorkersMock::prove_violation(c);
		Issuance::weights_accepted(0, &[(A, 1), (B, 1), (c, 1)]);
		// After: A is caught cheating, B leaves.
		WorkersMock::prove_violation(A);
		WorkersMock::deactivate(B);
		run_to(DAY + 1);
		let (_, _, providers) = shares(daily_minimum(1).unwrap());
		let share = providers / 3;
		assert_eq!((free(OWNER_A), free(OWNER_B), free(22)), (0, 0, share));
		let mut forfeited: Vec<AccountId> = events()
			.into_iter()
			.filter_map(|e| match e {
				Event::RewardForfeited { worker, amount, .. } if amount == share => Some(worker),
				_ => None,
			})
			.collect();
		forfeited.sort();
		assert_eq!(forfeited, vec![A, B]);
		assert!(matches!(
			events().last(),
			Some(Event::DayPaid { paid, unpaid, .. }) if *paid == share && *unpaid == providers - share
		));
	});
}

#[test]
fn the_cap_is_never_passed_and_burns_do_not_reopen_it() {
	run(|| {
		two_workers();
		Minted::<Test>::put(MINTABLE - 5 * COIN);
		Issuance::batch_paid(1_000_000 * COIN);
		run_to(DAY + 1);
		assert!(matches!(
			events().iter().find(|e| matches!(e, Event::DayClosed { .. })),
			Some(Event::DayClosed { issued, .. }) if *issued == 5 * COIN
		));
		assert!(Minted::<Test>::get() <= MINTABLE);
		// Everything minted is burned; the counter, not the total issuance, is the cap.
		let fund = free(TRAINING_FUND);
		assert_ok!(Balances::burn_from(
			&TRAINING_FUND,
			fund,
			frame_support::traits::tokens::Preservation::Expendable,
			frame_support::traits::tokens::Precision::Exact,
			frame_support::traits::tokens::Fortitude::Force,
		));
		let minted = Minted::<Test>::get();
		Issuance::weights_accepted(1, &[(A, 1)]);
		Issuance::batch_paid(1_000_000 * COIN);
		run_to(2 * DAY + 1);
		assert!(matches!(
			events().iter().rev().find(|e| matches!(e, Event::DayClosed { .. })),
			Some(Event::DayClosed { day: 1, issued, .. }) if *issued == MINTABLE - minted
		));
		assert!(Minted::<Test>::get() <= MINTABLE);
	});
}

#[test]
fn settlement_is_told_the_training_share_and_counts_fees() {
	run(|| {
		assert_eq!(
			<Issuance as SettlementRevenue<_, _>>::training_fund(),
			Some((TRAINING_FUND, Perbill::from_percent(20)))
		);
		Issuance::batch_paid(7);
		Issuance::batch_paid(5);
		assert_eq!(DayFees::<Test>::get(), 12);
	});
}

#[test]
fn the_training_share_is_fixed_for_five_years_then_set_by_governance() {
	run(|| {
		let tenth = Perbill::from_percent(10);
		// The last day of year 5.
		System::set_block_number(1_824 * DAY + DAY - 1);
		assert_noop!(
			Issuance::set_training_share(RuntimeOrigin::root(), tenth),
			Error::<Test>::TrainingShareFixed
		);
		System::set_block_number(1_825 * DAY);
		assert_noop!(
			Issuance::set_training_share(RuntimeOrigin::signed(A), tenth),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Issuance::set_training_share(RuntimeOrigin::root(), Perbill::from_percent(95)),
			Error::<Test>::SharesAboveWhole
		);
		assert_ok!(Issuance::set_training_share(RuntimeOrigin::root(), tenth));
		assert_eq!(TrainingShare::<Test>::get(), tenth);
		assert_eq!(events().last(), Some(&Event::TrainingShareSet { share: tenth }));
	});
}

#[test]
fn the_validators_share_is_bounded() {
	run(|| {
		assert_noop!(
			Issuance::set_validator_share(RuntimeOrigin::root(), Perbill::from_percent(31)),
			Error::<Test>::ValidatorShareTooHigh
		);
		assert_noop!(
			Issuance::set_validator_share(RuntimeOrigin::signed(A), Perbill::from_percent(5)),
			DispatchError::BadOrigin
		);
		assert_ok!(Issuance::set_validator_share(RuntimeOrigin::root(), Perbill::from_percent(30)));
		assert_eq!(ValidatorShare::<Test>::get(), Perbill::from_percent(30));
		two_workers();
		run_to(DAY);
		let minimum = daily_minimum(1).unwrap();
		assert_eq!(ValidatorPot::<Test>::get(), Perbill::from_percent(30).mul_floor(minimum));
	});
}

#[test]
fn governance_grants_from_the_training_fund() {
	run(|| {
		run_to(DAY);
		let fund = free(TRAINING_FUND);
		assert!(fund > 0);
		assert_noop!(
			Issuance::grant(RuntimeOrigin::signed(A), BENEFICIARY, 1),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Issuance::grant(RuntimeOrigin::root(), BENEFICIARY, 0),
			Error::<Test>::ZeroGrant
		);
		assert_noop!(
			Issuance::grant(RuntimeOrigin::root(), BENEFICIARY, fund + 1),
			Error::<Test>::InsufficientTrainingFund
		);
		assert!(fund < GRANT_CAP, "one day funds 27,397 AIL2");
		assert_noop!(
			Issuance::grant(RuntimeOrigin::root(), BENEFICIARY, GRANT_CAP + 1),
			Error::<Test>::GrantAboveOriginCap
		);
		assert_ok!(Issuance::grant(RuntimeOrigin::root(), BENEFICIARY, 1_000 * COIN));
		assert_eq!(free(BENEFICIARY), 1_000 * COIN);
		assert_eq!(free(TRAINING_FUND), fund - 1_000 * COIN);
		assert_eq!(
			events().last(),
			Some(&Event::TrainingGranted { beneficiary: BENEFICIARY, amount: 1_000 * COIN })
		);
	});
}

mod properties {
	use super::*;
	use proptest::prelude::*;

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(24))]
		/// Random days of fees and work over many days: the counter never passes 600M, every
		/// minted unit is in an account or the validators' pot, and every day issues at
		/// least its minimum while any of the 600M is left.
		#[test]
		fn random_days_never_pass_the_cap_and_every_unit_is_accounted(
			days in prop::collection::vec((0u128..5_000_000, 0u64..4, 0u64..4), 1..30),
			start in 0u128..MINTABLE,
		) {
			run(|| {
				Minted::<Test>::put(start);
				WorkersMock::add_worker(OWNER_A, A);
				WorkersMock::add_worker(OWNER_B, B);
				for (day, (fees, weight_a, weight_b)) in days.iter().enumerate() {
					Issuance::batch_paid(fees * COIN);
					Issuance::weights_accepted(day as u32, &[(A, *weight_a), (B, *weight_b)]);
					let before = Minted::<Test>::get();
					run_to((day as u64 + 1) * DAY + 1);
					// The larger of the demand subsidy and the minimum, within what is left.
					let demand = subsidy_total(&subsidy_for_fees(before, fees * COIN));
					let expected = demand.max(daily_minimum(1).unwrap()).min(MINTABLE - before);
					let issued = events().iter().rev().find_map(|e| match e {
						Event::DayClosed { issued, .. } => Some(*issued),
						_ => None,
					});
					assert_eq!(issued, Some(expected), "day {day}");
				}
				let minted = Minted::<Test>::get();
				assert!(minted <= MINTABLE);
				let held = free(TRAINING_FUND) + free(OWNER_A) + free(OWNER_B);
				let released: Balance = events()
					.iter()
					.filter_map(|e| match e {
						Event::DayClosed { validators, .. } => Some(*validators),
						_ => None,
					})
					.sum();
				assert_eq!(minted - start, held + released, "every unit has a recipient");
			});
		}
	}
}
