#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use crate::{
	mock::*, Error, Event, HoldReason, MaxEndpointLen, PriceVoteOf, PriceVoteSource, WorkerCount,
	WorkerInspect, WorkerOf, WorkerOfReceiptKey, WorkerPenalty, WorkerStatus, WorkersOfOwner,
};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{InspectHold, Mutate},
	BoundedVec,
};
use sp_runtime::{DispatchError, Perbill, TokenError};

fn held(owner: AccountId) -> Balance {
	<Balances as InspectHold<_>>::balance_on_hold(
		&RuntimeHoldReason::Workers(HoldReason::WorkerStake),
		&owner,
	)
}

fn info(hot: AccountId) -> WorkerOf<Test> {
	crate::pallet::Workers::<Test>::get(hot).expect("registered")
}

fn exists(hot: AccountId) -> bool {
	crate::pallet::Workers::<Test>::contains_key(hot)
}

fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}

fn advance_to(n: u64) {
	System::set_block_number(n);
}

mod register {
	use super::*;

	#[test]
	fn holds_stake_and_indexes_the_worker() {
		run(|| {
			assert_ok!(register(ALICE, HOT_A, 5_000));
			let info = info(HOT_A);
			assert_eq!(info.owner, ALICE);
			assert_eq!(info.stake, 5_000);
			assert_eq!(info.status, WorkerStatus::Active);
			assert_eq!(info.reputation, Perbill::from_percent(50));
			assert_eq!(info.receipt_key, receipt_keypair(HOT_A).public());
			assert_eq!(held(ALICE), 5_000);
			assert_eq!(
				WorkerOfReceiptKey::<Test>::get(receipt_keypair(HOT_A).public()),
				Some(HOT_A)
			);
			assert_eq!(WorkersOfOwner::<Test>::get(ALICE).to_vec(), vec![HOT_A]);
			assert_eq!(
				last_event(),
				Event::WorkerRegistered { worker: HOT_A, owner: ALICE, stake: 5_000 }.into()
			);
			assert!(Workers::is_active(&HOT_A));
			assert_eq!(Workers::active_workers(), vec![(HOT_A, 5_000)]);
		});
	}

	#[test]
	fn rejects_a_taken_hot_key_or_receipt_key() {
		run(|| {
			assert_ok!(register(ALICE, HOT_A, 5_000));
			assert_noop!(register(BOB, HOT_A, 5_000), Error::<Test>::AlreadyRegistered);
			// Bob proves possession of HOT_A's receipt key for his own hot key: still taken.
			let key = receipt_keypair(HOT_A);
			let proof = key.sign(&Workers::receipt_key_proof_message(&BOB, &HOT_B));
			assert_noop!(
				Workers::register(
					RuntimeOrigin::signed(BOB),
					HOT_B,
					key.public(),
					proof,
					capabilities(),
					endpoint(),
					5_000
				),
				Error::<Test>::ReceiptKeyInUse
			);
		});
	}

	#[test]
	fn rejects_a_proof_for_another_owner_or_key() {
		run(|| {
			// A proof made for Bob cannot be replayed by Alice.
			assert_noop!(
				Workers::register(
					RuntimeOrigin::signed(ALICE),
					HOT_A,
					receipt_keypair(HOT_A).public(),
					proof(BOB, HOT_A),
					capabilities(),
					endpoint(),
					5_000
				),
				Error::<Test>::BadReceiptKeyProof
			);
			// A key the registrant does not hold.
			assert_noop!(
				Workers::register(
					RuntimeOrigin::signed(ALICE),
					HOT_A,
					receipt_keypair(HOT_B).public(),
					proof(ALICE, HOT_A),
					capabilities(),
					endpoint(),
					5_000
				),
				Error::<Test>::BadReceiptKeyProof
			);
		});
	}

	#[test]
	fn rejects_bad_region_low_stake_too_many_workers_and_poverty() {
		run(|| {
			let mut caps = capabilities();
			caps.region.lat_micro_deg = 90_000_001;
			assert_noop!(
				Workers::register(
					RuntimeOrigin::signed(ALICE),
					HOT_A,
					receipt_keypair(HOT_A).public(),
					proof(ALICE, HOT_A),
					caps,
					endpoint(),
					5_000
				),
				Error::<Test>::InvalidRegion
			);
			assert_noop!(register(ALICE, HOT_A, MIN_STAKE - 1), Error::<Test>::StakeBelowMinimum);
			assert_noop!(register(POOR, HOT_A, MIN_STAKE), TokenError::FundsUnavailable);
			assert_ok!(register(ALICE, HOT_A, MIN_STAKE));
			assert_ok!(register(ALICE, HOT_B, MIN_STAKE));
			assert_noop!(register(ALICE, HOT_C, MIN_STAKE), Error::<Test>::TooManyWorkers);
		});
	}

	#[test]
	fn requires_a_signed_origin() {
		run(|| {
			assert_noop!(
				Workers::register(
					RuntimeOrigin::none(),
					HOT_A,
					receipt_keypair(HOT_A).public(),
					proof(ALICE, HOT_A),
					capabilities(),
					endpoint(),
					5_000
				),
				DispatchError::BadOrigin
			);
		});
	}
}

mod stake {
	use super::*;

	#[test]
	fn add_stake_holds_more() {
		run(|| {
			assert_ok!(register(ALICE, HOT_A, 5_000));
			assert_ok!(Workers::add_stake(RuntimeOrigin::signed(ALICE), HOT_A, 2_500));
			assert_eq!(info(HOT_A).stake, 7_500);
			assert_eq!(held(ALICE), 7_500);
			assert_eq!(last_event(), Event::StakeAdded { worker: HOT_A, amount: 2_500 }.into());
		});
	}

	#[test]
	fn add_stake_failures() {
		run(|| {
			assert_ok!(register(ALICE, HOT_A, 5_000));
			assert_noop!(
				Workers::add_stake(RuntimeOrigin::signed(BOB), HOT_A, 1),
				Error::<Test>::NotOwner
			);
			assert_noop!(
				Workers::add_stake(RuntimeOrigin::signed(ALICE), HOT_B, 1),
				Error::<Test>::UnknownWorker
			);
			assert_noop!(
				Workers::add_stake(RuntimeOrigin::signed(ALICE), HOT_A, 0),
				Error::<Test>::ZeroAmount
			);
			assert_noop!(
				Workers::add_stake(RuntimeOrigin::signed(ALICE), HOT_A, 10_000_000),
				TokenError::FundsUnavailable
			);
		});
	}

	#[test]
	fn unbond_then_withdraw_after_the_period_and_leave() {
		run(|| {
			assert_ok!(register(ALICE, HOT_A, 5_000));
			assert_ok!(Workers::unbond(RuntimeOrigin::signed(ALICE), HOT_A, 3_000));
			assert_eq!(
				last_event(),
				Event::Unbonded { worker: HOT_A, amount: 3_000, unlock_at: 1 + UNBONDING }.into()
			);
			let info = info(HOT_A);
			assert_eq!(info.stake, 2_000);
			assert_eq!(held(ALICE), 5_000, "unbonding stake stays held");
			assert_eq!(Workers::slashable_stake(&HOT_A), 5_000);

			advance_to(UNBONDING);
			assert_noop!(
				Workers::withdraw_unbonded(RuntimeOrigin::signed(ALICE), HOT_A),
				Error::<Test>::NothingToWithdraw
			);
			advance_to(1 + UNBONDING);
			assert_ok!(Workers::withdraw_unbonded(RuntimeOrigin::signed(ALICE), HOT_A));
			assert_eq!(held(ALICE), 2_000);
			assert_eq!(last_event(), Event::Withdrawn { worker: HOT_A, amount: 3_000 }.into());

			// Unbonding the rest takes the worker out of service and, once withdrawn, away.
			assert_ok!(Workers::unbond(RuntimeOrigin::signed(ALICE), HOT_A, 2_000));
			assert!(!Workers::is_active(&HOT_A));
			advance_to(2 + 2 * UNBONDING);
			assert_ok!(Workers::withdraw_unbonded(RuntimeOrigin::signed(ALICE), HOT_A));
			assert_eq!(last_event(), Event::WorkerRemoved { worker: HOT_A }.into());
			assert!(!exists(HOT_A));
			assert_eq!(held(ALICE), 0);
			assert!(WorkerOfReceiptKey::<Test>::get(receipt_keypair(HOT_A).public()).is_none());
			assert!(WorkersOfOwner::<Test>::get(ALICE).is_empty());
			// The hot key can be registered again.
			assert_ok!(register(ALICE, HOT_A, MIN_STAKE));
		});
	}

	#[test]
	fn unbond_failures() {
		run(|| {
			assert_ok!(register(ALICE, HOT_A, 5_000));
			assert_noop!(
				Workers::unbond(RuntimeOrigin::signed(BOB), HOT_A, 1),
				Error::<Test>::NotOwner
			);
			assert_noop!(
				Workers::unbond(RuntimeOrigin::signed(ALICE), HOT_A, 0),
				Error::<Test>::ZeroAmount
			);
			assert_noop!(
				Workers::unbond(RuntimeOrigin::signed(ALICE), HOT_A, 5_001),
				Error::<Test>::InsufficientStake
			);
			// 5000 - 4500 = 500 < MinStake and not zero.
			assert_noop!(
				Workers::unbond(RuntimeOrigin::signed(ALICE), HOT_A, 4_500),
				Error::<Test>::StakeBelowMinimum
			);
			for _ in 0..16 {
				assert_ok!(Workers::unbond(RuntimeOrigin::signed(ALICE), HOT_A, 10));
			}
			assert_noop!(
				Workers::unbond(RuntimeOrigin::signed(ALICE), HOT_A, 10),
				Error::<Test>::TooManyUnbondingChunks
			);
		});
	}

	#[test]
	fn withdraw_failures() {
		run(|| {
			assert_ok!(register(ALICE, HOT_A, 5_000));
			assert_noop!(
				Workers::withdraw_unbonded(RuntimeOrigin::signed(BOB), HOT_A),
				Error::<Test>::NotOwner
			);
			assert_noop!(
				Workers::withdraw_unbonded(RuntimeOrigin::signed(ALICE), HOT_B),
				Error::<Test>::UnknownWorker
			);
			assert_noop!(
				Workers::withdraw_unbonded(RuntimeOrigin::signed(ALICE), HOT_A),
				Error::<Test>::NothingToWithdraw
			);
		});
	}
}

mod liveness_and_metadata {
	use super::*;

	#[test]
	fn heartbeat_keeps_a_worker_online() {
		run(|| {
			assert_ok!(register(ALICE, HOT_A, 5_000));
			assert!(Workers::is_online(&HOT_A));
			advance_to(22);
			assert!(!Workers::is_online(&HOT_A), "21 blocks without a heartbeat");
			assert_ok!(Workers::heartbeat(RuntimeOrigin::signed(HOT_A)));
			assert!(Workers::is_online(&HOT_A));
			assert_eq!(info(HOT_A).last_heartbeat, 22);
		});
	}

	#[test]
	fn heartbeat_failures() {
		run(|| {
			assert_noop!(
				Workers::heartbeat(RuntimeOrigin::signed(HOT_A)),
				Error::<Test>::UnknownWorker
			);
			assert_ok!(register(ALICE, HOT_A, 5_000));
			// The owner is not the hot key.
			assert_noop!(
				Workers::heartbeat(RuntimeOrigin::signed(ALICE)),
				Error::<Test>::UnknownWorker
			);
			assert_ok!(Workers::set_status(RuntimeOrigin::root(), HOT_A, WorkerStatus::Banned));
			assert_noop!(Workers::heartbeat(RuntimeOrigin::signed(HOT_A)), Error::<Test>::Banned);
		});
	}

	#[test]
	fn endpoint_and_capabilities_updates() {
		run(|| {
			assert_ok!(register(ALICE, HOT_A, 5_000));
			let new_endpoint: BoundedVec<u8, MaxEndpointLen> =
				BoundedVec::truncate_from(b"https://gpu-2.example.org".to_vec());
			assert_ok!(Workers::update_endpoint(
				RuntimeOrigin::signed(ALICE),
				HOT_A,
				new_endpoint.clone()
			));
			assert_eq!(info(HOT_A).endpoint, new_endpoint);
			assert_eq!(last_event(), Event::EndpointUpdated { worker: HOT_A }.into());

			let mut caps = capabilities();
			caps.vram_mib = 24_576;
			assert_ok!(Workers::update_capabilities(
				RuntimeOrigin::signed(ALICE),
				HOT_A,
				caps.clone()
			));
			assert_eq!(info(HOT_A).capabilities, caps);
			assert_eq!(last_event(), Event::CapabilitiesUpdated { worker: HOT_A }.into());
		});
	}

	#[test]
	fn update_failures() {
		run(|| {
			assert_ok!(register(ALICE, HOT_A, 5_000));
			assert_noop!(
				Workers::update_endpoint(RuntimeOrigin::signed(BOB), HOT_A, endpoint()),
				Error::<Test>::NotOwner
			);
			let mut caps = capabilities();
			caps.region.lon_micro_deg = -180_000_001;
			assert_noop!(
				Workers::update_capabilities(RuntimeOrigin::signed(ALICE), HOT_A, caps),
				Error::<Test>::InvalidRegion
			);
			assert_ok!(Workers::set_status(RuntimeOrigin::root(), HOT_A, WorkerStatus::Banned));
			assert_noop!(
				Workers::update_endpoint(RuntimeOrigin::signed(ALICE), HOT_A, endpoint()),
				Error::<Test>::Banned
			);
			assert_noop!(
				Workers::update_capabilities(RuntimeOrigin::signed(ALICE), HOT_A, capabilities()),
				Error::<Test>::Banned
			);
		});
	}
}

mod status {
	use super::*;

	#[test]
	fn admin_suspends_reactivates_and_bans_for_good() {
		run(|| {
			assert_ok!(register(ALICE, HOT_A, 5_000));
			assert_ok!(Workers::set_status(RuntimeOrigin::root(), HOT_A, WorkerStatus::Suspended));
			assert!(!Workers::is_active(&HOT_A));
			assert_eq!(
				last_event(),
				Event::StatusChanged { worker: HOT_A, status: WorkerStatus::Suspended }.into()
			);
			assert_ok!(Workers::set_status(RuntimeOrigin::root(), HOT_A, WorkerStatus::Active));
			assert!(Workers::is_active(&HOT_A));
			assert_ok!(Workers::set_status(RuntimeOrigin::root(), HOT_A, WorkerStatus::Banned));
			assert_noop!(
				Workers::set_status(RuntimeOrigin::root(), HOT_A, WorkerStatus::Active),
				Error::<Test>::Banned
			);
			// A banned worker can still leave with its (unslashed) stake.
			assert_ok!(Workers::unbond(RuntimeOrigin::signed(ALICE), HOT_A, 5_000));
		});
	}

	#[test]
	fn the_emergency_origin_suspends_and_bans_but_does_not_reactivate() {
		run(|| {
			assert_ok!(register(ALICE, HOT_A, 5_000));
			let emergency = RuntimeOrigin::signed(EMERGENCY);
			assert_ok!(Workers::set_status(emergency.clone(), HOT_A, WorkerStatus::Suspended));
			assert!(!Workers::is_active(&HOT_A));
			assert_noop!(
				Workers::set_status(emergency.clone(), HOT_A, WorkerStatus::Active),
				Error::<Test>::ReactivationNeedsAdmin
			);
			assert_ok!(Workers::set_status(emergency, HOT_A, WorkerStatus::Banned));
			assert_eq!(
				last_event(),
				Event::StatusChanged { worker: HOT_A, status: WorkerStatus::Banned }.into()
			);
		});
	}

	#[test]
	fn only_the_admin_origin_sets_status() {
		run(|| {
			assert_ok!(register(ALICE, HOT_A, 5_000));
			assert_noop!(
				Workers::set_status(RuntimeOrigin::signed(ALICE), HOT_A, WorkerStatus::Suspended),
				DispatchError::BadOrigin
			);
			assert_noop!(
				Workers::set_status(RuntimeOrigin::root(), HOT_B, WorkerStatus::Suspended),
				Error::<Test>::UnknownWorker
			);
		});
	}
}

mod price_votes {
	use super::*;

	#[test]
	fn latest_vote_per_worker_counts_for_its_epoch_only() {
		run(|| {
			assert_ok!(register(ALICE, HOT_A, 5_000));
			assert_ok!(register(BOB, HOT_B, 3_000));
			assert_ok!(register(BOB, HOT_C, 2_000));
			assert_ok!(Workers::vote_price(RuntimeOrigin::signed(HOT_A), 100));
			assert_ok!(Workers::vote_price(RuntimeOrigin::signed(HOT_B), 120));
			assert_ok!(Workers::vote_price(RuntimeOrigin::signed(HOT_A), 110));
			assert_eq!(
				last_event(),
				Event::PriceVoted { worker: HOT_A, epoch: 0, price: 110 }.into()
			);
			let mut votes = Workers::votes(0);
			votes.sort();
			assert_eq!(votes, vec![(None, 2_000), (Some(110), 5_000), (Some(120), 3_000)]);
			// A suspended worker is not counted at all.
			assert_ok!(Workers::set_status(RuntimeOrigin::root(), HOT_B, WorkerStatus::Suspended));
			let mut votes = Workers::votes(0);
			votes.sort();
			assert_eq!(votes, vec![(None, 2_000), (Some(110), 5_000)]);
			// Next epoch: last epoch's votes no longer count as votes.
			advance_to(EPOCH);
			assert_eq!(Workers::current_epoch(), 1);
			assert_ok!(Workers::vote_price(RuntimeOrigin::signed(HOT_C), 90));
			let mut votes = Workers::votes(1);
			votes.sort();
			assert_eq!(votes, vec![(None, 5_000), (Some(90), 2_000)]);
		});
	}

	#[test]
	fn vote_failures() {
		run(|| {
			assert_noop!(
				Workers::vote_price(RuntimeOrigin::signed(HOT_A), 100),
				Error::<Test>::UnknownWorker
			);
			assert_ok!(register(ALICE, HOT_A, 5_000));
			assert_ok!(register(BOB, HOT_C, 5_000));
			assert_noop!(
				Workers::vote_price(RuntimeOrigin::signed(HOT_A), 0),
				Error::<Test>::ZeroPrice
			);
			assert_ok!(Workers::set_status(RuntimeOrigin::root(), HOT_C, WorkerStatus::Suspended));
			assert_noop!(
				Workers::vote_price(RuntimeOrigin::signed(HOT_C), 100),
				Error::<Test>::NotActive
			);
		});
	}

	#[test]
	fn a_removed_worker_takes_its_vote_along() {
		run(|| {
			assert_ok!(register(ALICE, HOT_A, 5_000));
			assert_ok!(Workers::vote_price(RuntimeOrigin::signed(HOT_A), 100));
			assert_ok!(Workers::unbond(RuntimeOrigin::signed(ALICE), HOT_A, 5_000));
			advance_to(1 + UNBONDING);
			assert_ok!(Workers::withdraw_unbonded(RuntimeOrigin::signed(ALICE), HOT_A));
			assert!(PriceVoteOf::<Test>::get(HOT_A).is_none());
		});
	}
}

mod registry_bound {
	use super::*;

	#[test]
	fn the_registry_holds_at_most_max_workers() {
		run(|| {
			let _ = Balances::set_balance(&4, 1_000_000);
			assert_ok!(register(ALICE, HOT_A, 5_000));
			assert_ok!(register(ALICE, HOT_B, 5_000));
			assert_ok!(register(BOB, HOT_C, 5_000));
			assert_ok!(register(BOB, 104, 5_000));
			assert_eq!(WorkerCount::<Test>::get(), 4);
			assert_noop!(register(4, 105, 5_000), Error::<Test>::RegistryFull);
		});
	}
}

mod penalties {
	use super::*;

	#[test]
	fn slash_takes_active_then_newest_unbonding_and_pays_the_target() {
		run(|| {
			assert_ok!(register(ALICE, HOT_A, 5_000));
			assert_ok!(Workers::unbond(RuntimeOrigin::signed(ALICE), HOT_A, 1_000));
			advance_to(2);
			assert_ok!(Workers::unbond(RuntimeOrigin::signed(ALICE), HOT_A, 1_500));
			// Active 2500, chunks [1000 @101, 1500 @102]: 2500 from active, 500 from the
			// newest chunk.
			assert_eq!(Workers::slash(&HOT_A, 3_000, &TREASURY), Ok(3_000));
			let w = info(HOT_A);
			assert_eq!(w.stake, 0);
			assert_eq!(
				w.unbonding.iter().map(|c| c.amount).collect::<Vec<_>>(),
				vec![1_000, 1_000]
			);
			assert_eq!(held(ALICE), 2_000);
			assert_eq!(Balances::free_balance(TREASURY), 3_001);
			assert_eq!(
				last_event(),
				Event::Slashed { worker: HOT_A, amount: 3_000, to: TREASURY }.into()
			);
			// More than is left: takes what there is.
			assert_eq!(Workers::slash(&HOT_A, 10_000, &TREASURY), Ok(2_000));
			assert!(info(HOT_A).unbonding.is_empty());
			assert_eq!(held(ALICE), 0);
			assert_eq!(
				Workers::slash(&HOT_B, 1, &TREASURY),
				Err(Error::<Test>::UnknownWorker.into())
			);
		});
	}

	#[test]
	fn suspend_ban_and_reputation() {
		run(|| {
			assert_ok!(register(ALICE, HOT_A, 5_000));
			assert_ok!(Workers::suspend(&HOT_A));
			assert_eq!(info(HOT_A).status, WorkerStatus::Suspended);
			assert_ok!(Workers::ban(&HOT_A));
			assert_eq!(info(HOT_A).status, WorkerStatus::Banned);
			// Suspending a banned worker changes nothing.
			assert_ok!(Workers::suspend(&HOT_A));
			assert_eq!(info(HOT_A).status, WorkerStatus::Banned);
			Workers::reduce_reputation(&HOT_A, Perbill::from_percent(60));
			assert_eq!(info(HOT_A).reputation, Perbill::zero());
			Workers::raise_reputation(&HOT_A, Perbill::from_percent(30));
			assert_eq!(info(HOT_A).reputation, Perbill::from_percent(30));
			assert_eq!(
				<Workers as WorkerInspect<_, _>>::reputation(&HOT_A),
				Perbill::from_percent(30)
			);
			assert_eq!(<Workers as WorkerInspect<_, _>>::reputation(&POOR), Perbill::zero());
			assert_eq!(
				last_event(),
				Event::ReputationChanged { worker: HOT_A, reputation: Perbill::from_percent(30) }
					.into()
			);
		});
	}
}
