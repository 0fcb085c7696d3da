#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use crate::{
	mock::*, Audits, BidCount, BidModels, Bids, Checks, CurrentRound, Elected, Error, Event,
	Forfeited, HoldReason, Outcome, Params, PoiParams,
};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold},
};
use pallet_receipts::BatchAudit;
use pallet_slashing::Violation;
use sp_runtime::{DispatchError, Perbill};

fn held(reason: HoldReason, who: AccountId) -> Balance {
	<Balances as InspectHold<_>>::balance_on_hold(&RuntimeHoldReason::Poi(reason), &who)
}

fn free(who: AccountId) -> Balance {
	<Balances as Inspect<_>>::balance(&who)
}

fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::Poi(e) = r.event { Some(e) } else { None })
		.collect()
}

fn signed(who: AccountId) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

/// Every worker bids the minimum for `MODEL`, so all are candidates for its verifier group.
fn bid_all() {
	for w in [W1, W2, W3, W4, W5] {
		assert_ok!(Poi::bid(signed(w), MODEL, MIN_BID));
	}
}

/// Spot-check probabilities of `p` for every receipt, whatever its fee.
fn check_everything_with(p: Perbill) {
	Params::<Test>::mutate(|params| {
		params.p0 = p;
		params.p_max = p;
		params.k = Perbill::zero();
		params.low_reputation_factor = 1;
	});
}

mod params {
	use super::*;

	#[test]
	fn governance_sets_valid_params_only() {
		run(|| {
			let mut new = params();
			new.verifier_count = 5;
			assert_ok!(Poi::set_params(RuntimeOrigin::root(), new));
			assert_eq!(Params::<Test>::get(), new);
			assert_eq!(events().last(), Some(&Event::ParamsSet { params: new }));
			assert_noop!(Poi::set_params(signed(STRANGER), new), DispatchError::BadOrigin);
			let bad: [fn(&mut PoiParams); 5] = [
				|p| p.verifier_count = 0,
				|p| p.verifier_count = 6,
				|p| p.inference_nodes = 5,
				|p| p.round_length = 0,
				|p| p.p0 = Perbill::from_percent(60),
			];
			for edit in bad {
				let mut p = params();
				edit(&mut p);
				assert_noop!(
					Poi::set_params(RuntimeOrigin::root(), p),
					Error::<Test>::InvalidParams
				);
			}
		});
	}

	#[test]
	fn the_check_probability_by_hand() {
		run(|| {
			// fee = fee_unit: (1% + 2%·ln 2) × 4 without reputation = 9.545177444%.
			assert_eq!(
				Poi::check_probability(1_000, Perbill::zero()),
				Perbill::from_parts(95_451_772)
			);
			// Full reputation: the formula alone.
			assert_eq!(
				Poi::check_probability(1_000, Perbill::one()),
				Perbill::from_parts(23_862_943)
			);
			// A huge fee is capped at 50% before the reputation factor, then at 100%.
			assert_eq!(
				Poi::check_probability(u128::MAX, Perbill::one()),
				Perbill::from_percent(50)
			);
			assert_eq!(Poi::check_probability(u128::MAX, Perbill::zero()), Perbill::one());
		});
	}

	#[test]
	fn a_bounty_never_exceeds_what_serving_honestly_earns() {
		run(|| {
			let v1 = ail2_primitives::receipt::SemVer::new(1, 0, 0);
			// 100% − 20% − 7% − 3% of the price.
			assert_eq!(Poi::honest_earnings(MODEL, &v1, 1_000), 700);
			assert_eq!(Poi::honest_earnings(MODEL, &v1, 1), 1);
			assert_eq!(Poi::honest_earnings(99, &v1, 1_000), 0);
			for price in [0u128, 3, 999, 1_000_000, u128::MAX] {
				assert!(Poi::honest_earnings(MODEL, &v1, price) <= price);
			}
		});
	}
}

mod elections {
	use super::*;

	#[test]
	fn a_bid_is_held_and_can_be_raised_lowered_and_withdrawn() {
		run(|| {
			assert_ok!(Poi::bid(signed(W1), MODEL, 300));
			assert_eq!(held(HoldReason::Bid, W1), 300);
			assert_eq!(Bids::<Test>::get(MODEL, W1), Some(300));
			assert_eq!(BidCount::<Test>::get(MODEL), 1);
			assert_eq!(BidModels::<Test>::get().to_vec(), vec![MODEL]);
			assert_ok!(Poi::bid(signed(W1), MODEL, 500));
			assert_eq!(held(HoldReason::Bid, W1), 500);
			assert_ok!(Poi::bid(signed(W1), MODEL, 200));
			assert_eq!(held(HoldReason::Bid, W1), 200);
			assert_eq!(BidCount::<Test>::get(MODEL), 1);
			assert_ok!(Poi::withdraw_bid(signed(W1), MODEL));
			assert_eq!(held(HoldReason::Bid, W1), 0);
			assert_eq!(free(W1), BALANCE);
			assert!(BidModels::<Test>::get().is_empty());
			assert_eq!(
				events().last(),
				Some(&Event::BidWithdrawn { model: MODEL, worker: W1, amount: 200 })
			);
		});
	}

	#[test]
	fn bids_are_refused_with_their_reason() {
		run(|| {
			assert_noop!(Poi::bid(signed(STRANGER), MODEL, 300), Error::<Test>::NotActiveWorker);
			assert_noop!(Poi::bid(signed(W1), 99, 300), Error::<Test>::UnknownModel);
			assert_noop!(Poi::bid(signed(W1), MODEL, MIN_BID - 1), Error::<Test>::BidTooLow);
			assert_noop!(
				Poi::bid(signed(W1), MODEL, BALANCE * 2),
				sp_runtime::TokenError::FundsUnavailable
			);
			assert_noop!(Poi::withdraw_bid(signed(W1), MODEL), Error::<Test>::NoBid);
			// Six bidders at most per model (MaxBidders), two models at most (MaxModels).
			for w in 200..206 {
				add_worker(w, 1_000, Perbill::zero());
				Balances::set_balance(&w, BALANCE);
				assert_ok!(Poi::bid(signed(w), MODEL, MIN_BID));
			}
			assert_noop!(Poi::bid(signed(W1), MODEL, MIN_BID), Error::<Test>::TooManyBidders);
			assert_ok!(Poi::bid(signed(W1), OTHER_MODEL, MIN_BID));
			assert_noop!(Poi::bid(signed(W2), 3, MIN_BID), Error::<Test>::TooManyModels);
		});
	}

	use frame_support::traits::fungible::Mutate;

	#[test]
	fn the_round_boundary_elects_by_bid_and_releases_the_others() {
		run(|| {
			assert_ok!(Poi::bid(signed(W1), MODEL, 1_000));
			assert_ok!(Poi::bid(signed(W2), MODEL, 1_000));
			assert_ok!(Poi::bid(signed(W3), MODEL, 1_000));
			run_to(u64::from(ROUND) - 1);
			assert_eq!(CurrentRound::<Test>::get().index, 0);
			assert!(Elected::<Test>::get(MODEL).is_empty());
			run_to(u64::from(ROUND));
			assert_eq!(CurrentRound::<Test>::get().index, 1);
			let elected = Poi::inference_nodes(MODEL);
			assert_eq!(elected.len(), 2);
			// The loser's bid is free again; the elected keep theirs on hold.
			for w in [W1, W2, W3] {
				let expected = if elected.contains(&w) { 1_000 } else { 0 };
				assert_eq!(held(HoldReason::Bid, w), expected, "{w}");
			}
			assert!(Bids::<Test>::iter().next().is_none());
			assert!(events().contains(&Event::Elected {
				round: 1,
				model: MODEL,
				workers: elected.clone()
			}));
		});
	}

	#[test]
	fn the_elected_bids_pay_the_verifier_group_by_stake_at_the_end_of_their_round() {
		run(|| {
			assert_ok!(Poi::bid(signed(W5), MODEL, 1_000));
			run_to(u64::from(ROUND));
			assert_eq!(Poi::inference_nodes(MODEL), vec![W5]);
			// The group for the payout: bidders for the next round, by stake.
			for w in [W1, W2, W3] {
				assert_ok!(Poi::bid(signed(w), MODEL, MIN_BID));
			}
			let before = [W1, W2, W3].map(|w| free(w + 1000));
			run_to(2 * u64::from(ROUND));
			let gained: Vec<Balance> =
				[W1, W2, W3].iter().zip(before).map(|(w, b)| free(w + 1000) - b).collect();
			// Stakes 5,000 : 4,000 : 3,000 of 1,000 (the last takes the remainder).
			assert_eq!(gained, vec![416, 333, 251]);
			assert_eq!(held(HoldReason::Bid, W5), 0);
			assert_eq!(free(W5), BALANCE - 1_000);
			// No check caught W5 in its round: its reputation grew.
			assert_eq!(reputation(W5), Perbill::from_percent(10));
			assert!(events().contains(&Event::BidsPaid { round: 1, model: MODEL, total: 1_000 }));
		});
	}

	#[test]
	fn a_bid_without_a_group_is_released_and_a_caught_worker_gains_no_reputation() {
		run(|| {
			assert_ok!(Poi::bid(signed(W5), MODEL, 1_000));
			run_to(u64::from(ROUND));
			Forfeited::<Test>::insert(1, W5, ());
			run_to(2 * u64::from(ROUND));
			assert_eq!(free(W5), BALANCE);
			assert_eq!(reputation(W5), Perbill::zero());
			assert!(Forfeited::<Test>::iter().next().is_none());
		});
	}

	#[test]
	fn an_inactive_bidder_is_not_elected() {
		run(|| {
			assert_ok!(Poi::bid(signed(W1), MODEL, 1_000));
			assert_ok!(Poi::bid(signed(W2), MODEL, 1_000));
			let mut workers = StubWorkers::get();
			workers.get_mut(&W1).unwrap().active = false;
			StubWorkers::set(&workers);
			run_to(u64::from(ROUND));
			assert_eq!(Poi::inference_nodes(MODEL), vec![W2]);
			assert_eq!(held(HoldReason::Bid, W1), 0);
		});
	}

	#[test]
	fn election_frequencies_follow_the_bids() {
		// One node per round from bids 1 : 2 : 3 over 600 rounds: χ² with 2 degrees of
		// freedom below 13.8 (p = 0.001).
		run(|| {
			Params::<Test>::mutate(|p| p.inference_nodes = 1);
			let bids = [(W1, 100u128), (W2, 200), (W3, 300)];
			let mut counts = [0u32; 3];
			let rounds = 600u32;
			for round in 1..=rounds {
				for (w, amount) in bids {
					assert_ok!(Poi::bid(signed(w), MODEL, amount));
				}
				run_to(u64::from(round * ROUND));
				let elected = Poi::inference_nodes(MODEL);
				assert_eq!(elected.len(), 1);
				let position = bids.iter().position(|(w, _)| *w == elected[0]).unwrap();
				counts[position] += 1;
			}
			let chi2: f64 = counts
				.iter()
				.zip([1.0, 2.0, 3.0])
				.map(|(&c, weight)| {
					let expected = f64::from(rounds) * weight / 6.0;
					(f64::from(c) - expected).powi(2) / expected
				})
				.sum();
			assert!(chi2 < 13.8, "counts {counts:?}, χ² = {chi2}");
		});
	}
}

mod groups {
	use super::*;

	#[test]
	fn the_group_is_the_top_stakers_serving_the_model_never_the_worker() {
		run(|| {
			bid_all();
			let group = |w| {
				Poi::verifier_group(MODEL, Some(&w)).into_iter().map(|(v, _)| v).collect::<Vec<_>>()
			};
			assert_eq!(group(W1), vec![W2, W3, W4]);
			assert_eq!(group(W3), vec![W1, W2, W4]);
			// Stake changes reorder it; an inactive worker leaves it.
			set_stake(W5, 9_000);
			assert_eq!(group(W1), vec![W5, W2, W3]);
			let mut workers = StubWorkers::get();
			workers.get_mut(&W2).unwrap().active = false;
			StubWorkers::set(&workers);
			assert_eq!(group(W1), vec![W5, W3, W4]);
			// A model nobody serves has no group.
			assert!(Poi::verifier_group(OTHER_MODEL, None).is_empty());
		});
	}

	#[test]
	fn an_audit_snapshots_the_group_at_the_proposal() {
		run(|| {
			bid_all();
			let (first, _) = propose(W1, &receipts(1, 4, 1_000));
			set_stake(W5, 9_000);
			let (second, _) = propose(W1, &receipts(5, 4, 1_000));
			let members = |b| {
				Audits::<Test>::get(b)
					.unwrap()
					.group
					.into_iter()
					.map(|(v, _)| v)
					.collect::<Vec<_>>()
			};
			assert_eq!(members(first), vec![W2, W3, W4]);
			assert_eq!(members(second), vec![W5, W2, W3]);
			let audit = Audits::<Test>::get(first).unwrap();
			assert_ne!(audit.seed, Audits::<Test>::get(second).unwrap().seed);
			assert!(events()
				.iter()
				.any(|e| matches!(e, Event::AuditOpened { batch, .. } if *batch == first)));
		});
	}
}

mod checks {
	use super::*;

	/// W1's batch of eight receipts with every receipt due for a check; the group W2, W3, W4.
	fn audited_batch() -> (
		pallet_receipts::BatchId,
		Vec<ail2_primitives::receipt::SignedReceipt>,
		ail2_primitives::merkle::MerkleSumTree,
	) {
		bid_all();
		check_everything_with(Perbill::one());
		let batch = receipts(1, 8, 1_000);
		let (id, tree) = propose(W1, &batch);
		(id, batch, tree)
	}

	fn open(
		id: u64,
		batch: &[ail2_primitives::receipt::SignedReceipt],
		tree: &ail2_primitives::merkle::MerkleSumTree,
		index: u64,
	) -> sp_runtime::DispatchResult {
		Poi::open_check(signed(STRANGER), id, leaf(batch, tree, index))
	}

	#[test]
	fn a_selected_receipt_opens_a_check_that_holds_settlement() {
		run(|| {
			let (id, batch, tree) = audited_batch();
			assert!(!<Poi as BatchAudit<_, _>>::holds_settlement(id));
			assert_ok!(open(id, &batch, &tree, 3));
			assert!(<Poi as BatchAudit<_, _>>::holds_settlement(id));
			let check = Checks::<Test>::get(id, 3).unwrap();
			assert_eq!(check.receipt_id, batch[3].receipt.id());
			assert_eq!(check.price, 1_000);
			assert_eq!(check.deadline, System::block_number() + u64::from(VERDICT_PERIOD));
			assert_eq!(
				events().last(),
				Some(&Event::CheckOpened {
					batch: id,
					index: 3,
					receipt_id: batch[3].receipt.id(),
					reporter: None
				})
			);
		});
	}

	#[test]
	fn checks_are_refused_with_their_reason() {
		run(|| {
			let (id, batch, tree) = audited_batch();
			assert_noop!(open(99, &batch, &tree, 0), Error::<Test>::NoAudit);
			// A proof for another leaf, a tampered receipt.
			let mut misplaced = leaf(&batch, &tree, 2);
			misplaced.receipt = batch[1].clone();
			assert_noop!(Poi::open_check(signed(STRANGER), id, misplaced), Error::<Test>::BadProof);
			let mut tampered = leaf(&batch, &tree, 1);
			tampered.receipt.receipt.price += 1;
			assert_noop!(Poi::open_check(signed(STRANGER), id, tampered), Error::<Test>::BadProof);
			assert_ok!(open(id, &batch, &tree, 1));
			assert_noop!(open(id, &batch, &tree, 1), Error::<Test>::CheckExists);
			// Nothing is due when the probability is zero.
			check_everything_with(Perbill::zero());
			assert_noop!(open(id, &batch, &tree, 2), Error::<Test>::NotSelected);
			check_everything_with(Perbill::one());
			// Eight checks at most per batch: seven more fill it.
			for index in [0, 2, 3, 4, 5, 6, 7] {
				assert_ok!(open(id, &batch, &tree, index));
			}
			let (second, tree2) = propose(W1, &receipts(20, 9, 1_000));
			let batch2 = receipts(20, 9, 1_000);
			for index in 0..8 {
				assert_ok!(open(second, &batch2, &tree2, index));
			}
			assert_noop!(open(second, &batch2, &tree2, 8), Error::<Test>::TooManyChecks);
			// After the challenge window, no new check.
			let (late, tree3) = propose(W1, &receipts(40, 2, 1_000));
			let batch3 = receipts(40, 2, 1_000);
			System::set_block_number(System::block_number() + WINDOW + 1);
			assert_noop!(open(late, &batch3, &tree3, 0), Error::<Test>::OpeningClosed);
		});
	}

	#[test]
	fn the_seed_is_fixed_in_the_next_block_and_proposals_per_block_are_bounded() {
		run(|| {
			bid_all();
			check_everything_with(Perbill::one());
			let batch = receipts(1, 2, 1_000);
			let (id, tree) = propose_unseeded(W1, &batch);
			assert_eq!(Audits::<Test>::get(id).unwrap().seed, None);
			assert_noop!(open(id, &batch, &tree, 0), Error::<Test>::SeedNotFixed);
			// Reports need no seed.
			assert_ok!(Poi::report(signed(PAYER), id, leaf(&batch, &tree, 1)));
			// Four proposals a block at most (MaxProposalsPerBlock).
			for _ in 0..3 {
				propose_unseeded(W1, &batch);
			}
			let record =
				<BatchesStub as pallet_receipts::BatchInspect<_, _>>::unsettled_batch(id).unwrap();
			assert_noop!(
				<Poi as BatchAudit<_, _>>::proposed(99, &record),
				Error::<Test>::TooManyProposals
			);
			run_to(System::block_number() + 1);
			let seed = Audits::<Test>::get(id).unwrap().seed.unwrap();
			assert!(events().contains(&Event::SeedFixed { batch: id, seed }));
			assert!(crate::Unseeded::<Test>::get().is_empty());
			assert_ok!(open(id, &batch, &tree, 0));
		});
	}

	#[test]
	fn the_model_versions_declared_rate_is_a_floor() {
		run(|| {
			bid_all();
			check_everything_with(Perbill::zero());
			DeclaredRate::set(&Perbill::one());
			let batch = receipts(1, 4, 1_000);
			let (id, tree) = propose(W1, &batch);
			assert_eq!(Audits::<Test>::get(id).unwrap().declared_rate, Perbill::one());
			assert_ok!(open(id, &batch, &tree, 3));
			// A batch audited before the rate fell keeps the rate it was proposed under.
			DeclaredRate::set(&Perbill::zero());
			assert_ok!(open(id, &batch, &tree, 1));
			let (later, later_tree) = propose(W1, &receipts(10, 4, 1_000));
			assert_noop!(
				open(later, &receipts(10, 4, 1_000), &later_tree, 0),
				Error::<Test>::NotSelected
			);
		});
	}

	#[test]
	fn the_selection_follows_the_seed_and_the_probability() {
		run(|| {
			bid_all();
			check_everything_with(Perbill::from_percent(30));
			let batch = receipts(1, 64, 1_000);
			let (id, tree) = propose(W1, &batch);
			let due = selected_leaves(id, &batch);
			assert!(!due.is_empty() && due.len() < 64, "{due:?}");
			for index in 0..64u64 {
				let result = open(id, &batch, &tree, index);
				if due.contains(&index) && Audits::<Test>::get(id).unwrap().opened < 8 {
					assert_ok!(result);
				} else if !due.contains(&index) {
					assert_noop!(result, Error::<Test>::NotSelected);
				}
			}
		});
	}

	#[test]
	fn a_majority_that_finds_the_answer_right_releases_the_batch() {
		run(|| {
			let (id, batch, tree) = audited_batch();
			assert_ok!(open(id, &batch, &tree, 0));
			assert_noop!(Poi::vote(signed(W1), id, 0, true), Error::<Test>::NotInGroup);
			assert_noop!(Poi::vote(signed(W5), id, 0, true), Error::<Test>::NotInGroup);
			assert_noop!(Poi::vote(signed(W2), id, 1, true), Error::<Test>::NoCheck);
			// W2 (4,000 of 9,000) alone is no majority.
			assert_ok!(Poi::vote(signed(W2), id, 0, true));
			assert_noop!(Poi::vote(signed(W2), id, 0, true), Error::<Test>::AlreadyVoted);
			assert!(<Poi as BatchAudit<_, _>>::holds_settlement(id));
			// W3 makes 7,000: passed. W4 never voted: it missed its duty.
			assert_ok!(Poi::vote(signed(W3), id, 0, true));
			assert!(!<Poi as BatchAudit<_, _>>::holds_settlement(id));
			assert!(Checks::<Test>::get(id, 0).is_none());
			assert!(events().contains(&Event::CheckConcluded {
				batch: id,
				index: 0,
				outcome: Outcome::Passed
			}));
			assert!(events().contains(&Event::DutyMissed { batch: id, index: 0, verifier: W4 }));
			assert_eq!(
				penalties(),
				vec![(W4, Penalty::ReputationReduced(Perbill::from_percent(5)))]
			);
			assert!(reported_violations().is_empty() && voided().is_empty());
		});
	}

	#[test]
	fn a_majority_that_finds_the_answer_wrong_slashes_and_voids() {
		run(|| {
			let mut workers = StubWorkers::get();
			workers.get_mut(&W1).unwrap().reputation = Perbill::from_percent(80);
			StubWorkers::set(&workers);
			let (id, batch, tree) = audited_batch();
			assert_ok!(open(id, &batch, &tree, 0));
			assert_ok!(open(id, &batch, &tree, 5));
			assert_ok!(Poi::vote(signed(W3), id, 0, false));
			assert_ok!(Poi::vote(signed(W4), id, 0, false));
			assert_eq!(voided(), vec![id]);
			assert_eq!(
				reported_violations(),
				vec![Report {
					offender: W1,
					violation: Violation::SpotCheckFailure,
					reporter: None,
					bounty_cap: 700
				}]
			);
			// Reputation reset, the round forfeited, the audit and its other check gone.
			assert_eq!(reputation(W1), Perbill::zero());
			assert!(Forfeited::<Test>::contains_key(0, W1));
			assert!(Audits::<Test>::get(id).is_none());
			assert!(Checks::<Test>::get(id, 5).is_none());
			assert!(events().contains(&Event::CheckConcluded {
				batch: id,
				index: 0,
				outcome: Outcome::Failed
			}));
			assert_noop!(Poi::vote(signed(W2), id, 5, true), Error::<Test>::NoCheck);
		});
	}

	#[test]
	fn a_check_that_fails_after_the_window_still_voids_the_batch() {
		run(|| {
			let (id, batch, tree) = audited_batch();
			let until = StubBatches::get().get(&id).unwrap().challenge_until;
			System::set_block_number(until);
			assert_ok!(open(id, &batch, &tree, 2));
			System::set_block_number(until + 2);
			assert_ok!(Poi::vote(signed(W2), id, 2, false));
			assert_ok!(Poi::vote(signed(W3), id, 2, false));
			assert_eq!(voided(), vec![id]);
		});
	}

	#[test]
	fn a_split_group_is_extended_once_then_inconclusive_without_a_slash() {
		run(|| {
			bid_all();
			check_everything_with(Perbill::one());
			// Two verifiers of equal stake: W1's group is W2 and W3 at 3,000 each.
			Params::<Test>::mutate(|p| p.verifier_count = 2);
			set_stake(W2, 3_000);
			let batch = receipts(1, 2, 1_000);
			let (id, tree) = propose(W1, &batch);
			assert_ok!(open(id, &batch, &tree, 0));
			assert_ok!(Poi::vote(signed(W2), id, 0, true));
			assert_ok!(Poi::vote(signed(W3), id, 0, false));
			assert!(Checks::<Test>::get(id, 0).is_some(), "a tie decides nothing");
			assert_noop!(Poi::close_check(signed(STRANGER), id, 0), Error::<Test>::VotingOpen);
			let deadline = Checks::<Test>::get(id, 0).unwrap().deadline;
			System::set_block_number(deadline + 1);
			assert_noop!(Poi::vote(signed(W2), id, 0, false), Error::<Test>::AlreadyVoted);
			assert_ok!(Poi::close_check(signed(STRANGER), id, 0));
			let extended = Checks::<Test>::get(id, 0).unwrap();
			assert_eq!(
				(extended.extensions, extended.deadline),
				(1, deadline + 1 + u64::from(VERDICT_PERIOD))
			);
			System::set_block_number(extended.deadline + 1);
			assert_ok!(Poi::close_check(signed(STRANGER), id, 0));
			assert!(events().contains(&Event::CheckConcluded {
				batch: id,
				index: 0,
				outcome: Outcome::Inconclusive
			}));
			assert!(reported_violations().is_empty() && voided().is_empty());
			assert!(!<Poi as BatchAudit<_, _>>::holds_settlement(id));
			assert_noop!(Poi::close_check(signed(STRANGER), id, 0), Error::<Test>::NoCheck);
		});
	}

	#[test]
	fn a_check_with_no_group_never_slashes() {
		run(|| {
			// Nobody else serves the model: the audit has no group.
			assert_ok!(Poi::bid(signed(W1), MODEL, MIN_BID));
			check_everything_with(Perbill::one());
			let batch = receipts(1, 2, 1_000);
			let (id, tree) = propose(W1, &batch);
			assert!(Audits::<Test>::get(id).unwrap().group.is_empty());
			assert_ok!(open(id, &batch, &tree, 1));
			System::set_block_number(10);
			assert_ok!(Poi::close_check(signed(STRANGER), id, 1));
			System::set_block_number(20);
			assert_ok!(Poi::close_check(signed(STRANGER), id, 1));
			assert!(events().contains(&Event::CheckConcluded {
				batch: id,
				index: 1,
				outcome: Outcome::Inconclusive
			}));
			assert!(
				reported_violations().is_empty() && voided().is_empty() && penalties().is_empty()
			);
		});
	}

	#[test]
	fn votes_after_the_deadline_are_refused() {
		run(|| {
			let (id, batch, tree) = audited_batch();
			assert_ok!(open(id, &batch, &tree, 0));
			let deadline = Checks::<Test>::get(id, 0).unwrap().deadline;
			System::set_block_number(deadline);
			assert_ok!(Poi::vote(signed(W2), id, 0, true));
			System::set_block_number(deadline + 1);
			assert_noop!(Poi::vote(signed(W3), id, 0, true), Error::<Test>::VotingClosed);
		});
	}
}

mod reports {
	use super::*;

	fn reported_batch() -> (
		pallet_receipts::BatchId,
		Vec<ail2_primitives::receipt::SignedReceipt>,
		ail2_primitives::merkle::MerkleSumTree,
	) {
		bid_all();
		// Nothing is due for a spot check: reports need no selection.
		check_everything_with(Perbill::zero());
		let batch = receipts(1, 4, 1_000);
		let (id, tree) = propose(W1, &batch);
		(id, batch, tree)
	}

	#[test]
	fn only_the_payer_reports_and_the_fee_is_held() {
		run(|| {
			let (id, batch, tree) = reported_batch();
			assert_noop!(
				Poi::report(signed(STRANGER), id, leaf(&batch, &tree, 2)),
				Error::<Test>::NotPayer
			);
			assert_ok!(Poi::report(signed(PAYER), id, leaf(&batch, &tree, 2)));
			assert_eq!(held(HoldReason::Report, PAYER), REPORT_FEE);
			assert_eq!(Checks::<Test>::get(id, 2).unwrap().reporter, Some(PAYER));
			assert_noop!(
				Poi::report(signed(PAYER), id, leaf(&batch, &tree, 2)),
				Error::<Test>::CheckExists
			);
		});
	}

	#[test]
	fn an_upheld_report_refunds_the_payer_and_rewards_it_within_honest_earnings() {
		run(|| {
			let (id, batch, tree) = reported_batch();
			assert_ok!(Poi::report(signed(PAYER), id, leaf(&batch, &tree, 2)));
			assert_ok!(Poi::vote(signed(W2), id, 2, false));
			assert_ok!(Poi::vote(signed(W3), id, 2, false));
			assert_eq!(held(HoldReason::Report, PAYER), 0);
			assert_eq!(free(PAYER), BALANCE);
			assert_eq!(voided(), vec![id]);
			assert_eq!(
				reported_violations(),
				vec![Report {
					offender: W1,
					violation: Violation::SpotCheckFailure,
					reporter: Some(PAYER),
					bounty_cap: 700
				}]
			);
		});
	}

	#[test]
	fn a_rejected_report_pays_the_verifiers_who_found_the_answer_right() {
		run(|| {
			let (id, batch, tree) = reported_batch();
			assert_ok!(Poi::report(signed(PAYER), id, leaf(&batch, &tree, 2)));
			assert_ok!(Poi::vote(signed(W4), id, 2, false));
			assert_ok!(Poi::vote(signed(W2), id, 2, true));
			assert_ok!(Poi::vote(signed(W3), id, 2, true));
			assert_eq!(free(PAYER), BALANCE - REPORT_FEE);
			assert_eq!(free(W2 + 1000), 1 + REPORT_FEE / 2);
			assert_eq!(free(W3 + 1000), 1 + REPORT_FEE / 2);
			assert_eq!(free(W4 + 1000), 1);
			assert!(voided().is_empty() && reported_violations().is_empty());
		});
	}

	#[test]
	fn a_batch_voided_by_a_fraud_proof_returns_open_report_fees() {
		run(|| {
			let (id, batch, tree) = reported_batch();
			assert_ok!(Poi::report(signed(PAYER), id, leaf(&batch, &tree, 0)));
			assert_ok!(<BatchesStub as pallet_receipts::BatchControl>::void(id));
			assert_eq!(held(HoldReason::Report, PAYER), 0);
			assert_eq!(free(PAYER), BALANCE);
			assert!(Audits::<Test>::get(id).is_none() && Checks::<Test>::get(id, 0).is_none());
		});
	}

	#[test]
	fn a_paid_batch_forgets_its_audit() {
		run(|| {
			let (id, _, _) = reported_batch();
			<Poi as BatchAudit<_, _>>::closed(id);
			assert!(Audits::<Test>::get(id).is_none());
		});
	}
}

mod round_weight {
	use super::*;
	use crate::WeightInfo;
	use frame_support::{traits::Get, weights::Weight};

	fn expected(models: u32, bidders: u32, counted: u64) -> Weight {
		<() as WeightInfo>::end_round(models, bidders).saturating_add(
			<<Test as frame_system::Config>::DbWeight as Get<
				frame_support::weights::RuntimeDbWeight,
			>>::get()
			.reads(counted + 2),
		)
	}

	#[test]
	fn the_round_boundary_is_charged_for_the_bids_there_are_not_the_bounds() {
		new_test_ext().execute_with(|| {
			// Nothing bid: the smallest case.
			assert_eq!(Poi::end_round_weight(), expected(1, 1, 0));
			// Five bidders for one model, one for another: two models, at most five bidders.
			bid_all();
			assert_ok!(Poi::bid(signed(W1), OTHER_MODEL, MIN_BID));
			assert_eq!(Poi::end_round_weight(), expected(2, 5, 2));
			assert!(
				Poi::end_round_weight().ref_time()
					< <() as WeightInfo>::end_round(
						<Test as crate::Config>::MaxModels::get(),
						<Test as crate::Config>::MaxBidders::get()
					)
					.ref_time(),
				"below the bound's weight"
			);
			// After the boundary the five are elected for MODEL and the bids are gone: the
			// elected count.
			Poi::end_round(ROUND.into());
			let elected = Elected::<Test>::get(MODEL).len() as u32;
			assert!(elected > 0);
			let models = crate::ElectedModels::<Test>::get().len() as u32;
			assert_eq!(Poi::end_round_weight(), expected(models, elected, u64::from(models)));
		});
	}
}
