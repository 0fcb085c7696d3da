#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use crate::{
	mock::*, Error, Event, Params, Records, ReportViolation, SlashOutcome, SlashingParams,
	Violation, ViolationInspect,
};
use frame_support::{assert_noop, assert_ok};
use pallet_workers::{WorkerInspect, WorkerStatus};
use sp_runtime::{DispatchError, FixedU128, Perbill};

/// The worker's stake as the registry stub keeps it: what it staked less the slashes.
fn stake(worker: AccountId) -> Balance {
	WorkersMock::slashable_stake(&worker)
}

fn status(worker: AccountId) -> WorkerStatus {
	WorkersMock::status(worker)
}

fn reputation(worker: AccountId) -> Perbill {
	WorkersMock::reputation(worker)
}

fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}

fn fixed(inner: u128) -> FixedU128 {
	FixedU128::from_inner(inner)
}

mod formula {
	use super::*;

	#[test]
	fn rate_is_base_times_severity_times_repeat_inside_the_range() {
		run(|| {
			let rate = Slashing::slash_rate;
			let p = Perbill::from_percent;
			// First offences: 10% × severity, the bottom of each §8.4 range.
			assert_eq!(rate(Violation::ForgedReceipt, fixed(0)), p(50));
			assert_eq!(rate(Violation::ReplayAttack, fixed(0)), p(50));
			assert_eq!(rate(Violation::WithheldData, fixed(0)), p(50));
			assert_eq!(rate(Violation::WithheldData, FixedU128::from_u32(1)), p(75));
			assert_eq!(rate(Violation::DoubleBilling, fixed(0)), p(30));
			assert_eq!(rate(Violation::SpotCheckFailure, fixed(0)), p(10));
			assert_eq!(rate(Violation::MaliciousImage, fixed(0)), p(100));
			// 10% × 1, held to the 5% top of its range.
			assert_eq!(rate(Violation::WithheldReveal, fixed(0)), p(5));
			// Repeats: × (1 + 0.5 × prior), clamped to the top of the range.
			let one = FixedU128::from_u32(1);
			let two = FixedU128::from_u32(2);
			assert_eq!(rate(Violation::DoubleBilling, one), p(45));
			assert_eq!(rate(Violation::DoubleBilling, two), p(50));
			assert_eq!(rate(Violation::SpotCheckFailure, one), p(15));
			assert_eq!(rate(Violation::SpotCheckFailure, FixedU128::from_u32(5)), p(30));
			assert_eq!(rate(Violation::ForgedReceipt, one), p(75));
			assert_eq!(rate(Violation::ForgedReceipt, FixedU128::from_u32(9)), p(100));
			// A decayed prior of e^-1: 0.5 × (1 + 0.5 × 0.367879441171442322).
			let decayed = fixed(367_879_441_171_442_322);
			assert_eq!(rate(Violation::ForgedReceipt, decayed), Perbill::from_parts(591_969_860));
		});
	}

	#[test]
	fn amount_is_capped_by_max_slash_but_a_malicious_image_takes_all() {
		run(|| {
			let p = Perbill::from_percent;
			assert_eq!(Slashing::slash_amount(Violation::ForgedReceipt, 100_000, p(50)), 50_000);
			assert_eq!(Slashing::slash_amount(Violation::ForgedReceipt, 200_000, p(50)), MAX_SLASH);
			assert_eq!(Slashing::slash_amount(Violation::MaliciousImage, 200_000, p(100)), 200_000);
		});
	}

	#[test]
	fn bounty_is_a_share_capped_twice() {
		run(|| {
			assert_eq!(Slashing::bounty(10_000, 50_000), 1_000);
			assert_eq!(Slashing::bounty(50_000, 50_000), MAX_BOUNTY);
			assert_eq!(Slashing::bounty(50_000, 700), 700);
			assert_eq!(Slashing::bounty(0, 700), 0);
		});
	}
}

mod reports {
	use super::*;

	#[test]
	fn a_first_forgery_takes_half_the_stake_and_pays_a_capped_bounty() {
		run(|| {
			let outcome = <Slashing as ReportViolation<_, _>>::report(
				&HOT,
				Violation::ForgedReceipt,
				Some(&REPORTER),
				10_000,
			)
			.unwrap();
			assert_eq!(
				outcome,
				SlashOutcome { rate: Perbill::from_percent(50), slashed: 50_000, bounty: 2_000 }
			);
			assert_eq!(stake(HOT), 50_000);
			// The bounty to the reporter, the rest to the treasury.
			assert_eq!(
				WorkersMock::slashed(),
				vec![(HOT, 2_000, REPORTER), (HOT, 48_000, TREASURY)]
			);
			assert_eq!(reputation(HOT), Perbill::from_percent(40));
			assert_eq!(status(HOT), WorkerStatus::Active);
			let record = Records::<Test>::get(HOT).unwrap();
			assert_eq!((record.effective, record.total), (FixedU128::from_u32(1), 1));
			assert_eq!(
				last_event(),
				Event::Punished {
					offender: HOT,
					violation: Violation::ForgedReceipt,
					rate: Perbill::from_percent(50),
					slashed: 50_000,
					bounty: 2_000,
					reporter: Some(REPORTER),
					effective_violations: FixedU128::from_u32(1),
				}
				.into()
			);
			// The other worker is untouched.
			assert_eq!(stake(OTHER_HOT), STAKE);
			assert!(Records::<Test>::get(OTHER_HOT).is_none());
		});
	}

	#[test]
	fn repeats_cost_more_and_records_decay() {
		run(|| {
			let report = |v| <Slashing as ReportViolation<_, _>>::report(&HOT, v, None, 0).unwrap();
			report(Violation::ForgedReceipt);
			// Same block: prior 1, rate 75% of the 50,000 left.
			let second = report(Violation::ForgedReceipt);
			assert_eq!(second.rate, Perbill::from_percent(75));
			assert_eq!(second.slashed, 37_500);
			assert_eq!(second.bounty, 0);
			assert_eq!(stake(HOT), 12_500);

			// One τ later the record of 2 is worth 2/e.
			System::set_block_number(1 + DECAY);
			let expected = fixed(2 * 367_879_441_171_442_322);
			let effective = Slashing::effective_violations(&HOT);
			assert!(effective.into_inner().abs_diff(expected.into_inner()) < 10);
		});
	}

	#[test]
	fn a_decayed_record_raises_the_rate_by_e_to_the_minus_one() {
		run(|| {
			<Slashing as ReportViolation<_, _>>::report(&HOT, Violation::ForgedReceipt, None, 0)
				.unwrap();
			System::set_block_number(1 + DECAY);
			let outcome = <Slashing as ReportViolation<_, _>>::report(
				&HOT,
				Violation::ForgedReceipt,
				None,
				0,
			)
			.unwrap();
			assert_eq!(outcome.rate, Perbill::from_parts(591_969_860));
			// ⌊50,000 × 0.591969860⌋
			assert_eq!(outcome.slashed, 29_598);
		});
	}

	#[test]
	fn max_slash_caps_a_large_stake() {
		run(|| {
			WorkersMock::add_worker(OWNER, 103, 200_000);
			let outcome = <Slashing as ReportViolation<_, _>>::report(
				&103,
				Violation::ForgedReceipt,
				None,
				0,
			)
			.unwrap();
			assert_eq!(outcome.slashed, MAX_SLASH);
			assert_eq!(stake(103), 140_000);
		});
	}

	#[test]
	fn the_third_effective_violation_suspends() {
		run(|| {
			for _ in 0..2 {
				<Slashing as ReportViolation<_, _>>::report(
					&OTHER_HOT,
					Violation::SpotCheckFailure,
					None,
					0,
				)
				.unwrap();
				assert_eq!(status(OTHER_HOT), WorkerStatus::Active);
			}
			<Slashing as ReportViolation<_, _>>::report(
				&OTHER_HOT,
				Violation::SpotCheckFailure,
				None,
				0,
			)
			.unwrap();
			assert_eq!(status(OTHER_HOT), WorkerStatus::Suspended);
			assert!(!WorkersMock::is_active(&OTHER_HOT));
			// 10%, 15%, 20% of what was left each time.
			assert_eq!(stake(OTHER_HOT), 100_000 - 10_000 - 13_500 - 15_300);
		});
	}

	#[test]
	fn no_bounty_for_self_reports_or_anonymous_ones() {
		run(|| {
			let outcome = <Slashing as ReportViolation<_, _>>::report(
				&HOT,
				Violation::DoubleBilling,
				Some(&HOT),
				10_000,
			)
			.unwrap();
			assert_eq!((outcome.slashed, outcome.bounty), (30_000, 0));
			assert_eq!(WorkersMock::slashed(), vec![(HOT, 30_000, TREASURY)]);
		});
	}

	#[test]
	fn penalty_is_e_to_the_minus_xi_v() {
		run(|| {
			assert_eq!(Slashing::penalty(&HOT), Perbill::one());
			<Slashing as ReportViolation<_, _>>::report(&HOT, Violation::DoubleBilling, None, 0)
				.unwrap();
			// e^-0.5
			assert_eq!(Slashing::penalty(&HOT), Perbill::from_parts(606_530_659));
			System::set_block_number(1 + DECAY);
			// e^-(0.5 / e)
			assert_eq!(Slashing::penalty(&HOT), Perbill::from_parts(831_985_953));
		});
	}

	#[test]
	fn violations_count_every_report_undecayed_until_the_record_is_cleared() {
		run(|| {
			assert_eq!(Slashing::violations(&HOT), 0);
			for _ in 0..2 {
				<Slashing as ReportViolation<_, _>>::report(
					&HOT,
					Violation::DoubleBilling,
					None,
					0,
				)
				.unwrap();
			}
			System::set_block_number(1 + 10 * DECAY);
			assert_eq!(Slashing::violations(&HOT), 2, "decay does not lower the count");
			assert_ok!(Slashing::clear_record(RuntimeOrigin::root(), HOT));
			assert_eq!(Slashing::violations(&HOT), 0);
		});
	}

	#[test]
	fn an_unknown_offender_is_refused_and_nothing_changes() {
		run(|| {
			assert_noop!(
				<Slashing as ReportViolation<_, _>>::report(
					&777,
					Violation::ForgedReceipt,
					None,
					0
				),
				Error::<Test>::UnknownWorker
			);
		});
	}
}

mod calls {
	use super::*;

	#[test]
	fn governance_reports_a_malicious_image_all_is_taken_and_the_worker_banned() {
		run(|| {
			assert_ok!(Slashing::report(
				RuntimeOrigin::root(),
				HOT,
				Violation::MaliciousImage,
				[7; 32],
				Some(REPORTER),
			));
			assert_eq!(stake(HOT), 0);
			assert_eq!(status(HOT), WorkerStatus::Banned);
			assert_eq!(
				WorkersMock::slashed(),
				vec![(HOT, MAX_BOUNTY, REPORTER), (HOT, STAKE - MAX_BOUNTY, TREASURY)]
			);
			assert!(System::events().iter().any(|r| r.event
				== Event::Reported {
					offender: HOT,
					violation: Violation::MaliciousImage,
					evidence: [7; 32]
				}
				.into()));
		});
	}

	#[test]
	fn report_failures_change_nothing() {
		run(|| {
			assert_noop!(
				Slashing::report(
					RuntimeOrigin::signed(REPORTER),
					HOT,
					Violation::MaliciousImage,
					[7; 32],
					Some(REPORTER)
				),
				DispatchError::BadOrigin
			);
			assert_noop!(
				Slashing::report(
					RuntimeOrigin::root(),
					555,
					Violation::ForgedReceipt,
					[7; 32],
					None
				),
				Error::<Test>::UnknownWorker
			);
		});
	}

	#[test]
	fn clear_record() {
		run(|| {
			assert_noop!(
				Slashing::clear_record(RuntimeOrigin::root(), HOT),
				Error::<Test>::NoRecord
			);
			<Slashing as ReportViolation<_, _>>::report(&HOT, Violation::DoubleBilling, None, 0)
				.unwrap();
			assert_noop!(
				Slashing::clear_record(RuntimeOrigin::signed(OWNER), HOT),
				DispatchError::BadOrigin
			);
			assert_ok!(Slashing::clear_record(RuntimeOrigin::root(), HOT));
			assert_eq!(last_event(), Event::RecordCleared { worker: HOT }.into());
			assert_eq!(Slashing::penalty(&HOT), Perbill::one());
			assert!(Records::<Test>::get(HOT).is_none());
		});
	}
}

mod params {
	use super::*;

	fn report(worker: AccountId) -> SlashOutcome<Balance> {
		<Slashing as ReportViolation<_, _>>::report(
			&worker,
			Violation::ForgedReceipt,
			Some(&REPORTER),
			10_000,
		)
		.unwrap()
	}

	/// Within every bound, and different from the defaults in each field.
	fn harsher() -> SlashingParams<Balance> {
		SlashingParams {
			base_rate: Perbill::from_percent(12),
			repeat_step: FixedU128::from_u32(1),
			max_slash: 40_000,
			bounty_share: Perbill::from_percent(20),
			max_bounty: 5_000,
			suspend_threshold: FixedU128::from_u32(1),
		}
	}

	#[test]
	fn genesis_stores_the_defaults() {
		run(|| {
			assert!(Params::<Test>::exists());
			assert_eq!(Params::<Test>::get(), DefaultSlashingParams::get());
		});
	}

	#[test]
	fn set_params_applies_from_the_next_report_and_leaves_the_first_as_it_was() {
		run(|| {
			let first = report(HOT);
			assert_eq!(
				first,
				SlashOutcome { rate: Perbill::from_percent(50), slashed: 50_000, bounty: 2_000 }
			);
			let record = Records::<Test>::get(HOT).unwrap();
			let slashes = WorkersMock::slashed();

			assert_ok!(Slashing::set_params(RuntimeOrigin::root(), harsher()));
			assert_eq!(Params::<Test>::get(), harsher());
			assert_eq!(last_event(), Event::ParamsSet { params: harsher() }.into());
			// The first report keeps its record, its slash and its worker's status.
			assert_eq!(Records::<Test>::get(HOT), Some(record));
			assert_eq!(WorkersMock::slashed(), slashes);
			assert_eq!(stake(HOT), 50_000);
			assert_eq!(status(HOT), WorkerStatus::Active);

			// The next report: 12% × 5 = 60%, capped at the new 40,000; a 20% bounty capped
			// at the new 5,000; one effective violation now suspends.
			let second = report(OTHER_HOT);
			assert_eq!(
				second,
				SlashOutcome { rate: Perbill::from_percent(60), slashed: 40_000, bounty: 5_000 }
			);
			assert_eq!(status(OTHER_HOT), WorkerStatus::Suspended);
			// A repeat by the first offender: × (1 + 1 × 1) = 120%, held to 100% and the cap.
			let repeat = report(HOT);
			assert_eq!(repeat.rate, Perbill::one());
			assert_eq!(repeat.slashed, 40_000);
			assert_eq!(
				&WorkersMock::slashed()[2..],
				&[
					(OTHER_HOT, 5_000, REPORTER),
					(OTHER_HOT, 35_000, TREASURY),
					(HOT, 5_000, REPORTER),
					(HOT, 35_000, TREASURY)
				]
			);
		});
	}

	#[test]
	fn the_bounds_themselves_are_accepted() {
		run(|| {
			let edge = SlashingParams {
				base_rate: Perbill::one(),
				repeat_step: MaxRepeatStep::get(),
				max_slash: 1,
				bounty_share: MaxBountyShare::get(),
				max_bounty: 1,
				suspend_threshold: FixedU128::from_u32(1),
			};
			assert_ok!(Slashing::set_params(RuntimeOrigin::root(), edge));
			assert_eq!(Params::<Test>::get(), edge);
		});
	}

	#[test]
	fn set_params_needs_the_params_origin() {
		run(|| {
			assert_noop!(
				Slashing::set_params(RuntimeOrigin::signed(OWNER), harsher()),
				DispatchError::BadOrigin
			);
		});
	}

	#[test]
	fn params_outside_their_bounds_are_refused_and_change_nothing() {
		run(|| {
			let ok = DefaultSlashingParams::get();
			let refused = |params: SlashingParams<Balance>, error: Error<Test>| {
				assert_noop!(Slashing::set_params(RuntimeOrigin::root(), params), error);
			};
			refused(SlashingParams { max_slash: 0, max_bounty: 0, ..ok }, Error::ZeroMaxSlash);
			refused(
				SlashingParams { max_bounty: ok.max_slash + 1, ..ok },
				Error::BountyAboveMaxSlash,
			);
			refused(
				SlashingParams {
					bounty_share: Perbill::from_parts(MaxBountyShare::get().deconstruct() + 1),
					..ok
				},
				Error::BountyShareTooHigh,
			);
			refused(
				SlashingParams {
					repeat_step: MaxRepeatStep::get() + FixedU128::from_inner(1),
					..ok
				},
				Error::RepeatStepTooHigh,
			);
			refused(
				SlashingParams { suspend_threshold: FixedU128::from_u32(0), ..ok },
				Error::SuspendThresholdBelowOne,
			);
			refused(
				SlashingParams {
					suspend_threshold: FixedU128::from_u32(1) - FixedU128::from_inner(1),
					..ok
				},
				Error::SuspendThresholdBelowOne,
			);
			assert_eq!(Params::<Test>::get(), ok);
		});
	}

	#[test]
	fn the_defaults_pass_integrity() {
		use frame_support::traits::IntegrityTest;
		run(Slashing::integrity_test);
	}
}
