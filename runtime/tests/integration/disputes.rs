#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

//! Judged disputes through the real runtime (pallet-challenges' unit tests see their
//! neighbours through stubs): an accused worker, seven arbiter workers, a model and a payer
//! registered with the pallets' calls, and a batch of 2,000 receipts built and signed with
//! `ail2-primitives`. Opening a dispute freezes the batch in pallet-receipts and draws the
//! committee from pallet-workers' active workers by stake; an upheld dispute voids the batch,
//! slashes the worker through pallet-slashing and pays the challenger; a rejected one
//! releases the batch to settle and forfeits the bond; silent members lose reputation in the
//! registry. Every pallet's invariants are checked after each scenario.
//!
//! None of pallet-challenges, -receipts, -workers and -slashing acts in a hook (only
//! pallet-models' epoch price does, which no dispute reads), so blocks advance with
//! `System::set_block_number`, as the calls see them.

use ail2_primitives::{
	merkle::MerkleSumTree,
	receipt::{signing::Keypair, SignedReceipt},
};
use ail2_runtime::{
	configs::TreasuryAccount, currency::UNITS, AccountId, Balance, Balances, BlockNumber,
	Challenges, Receipts, Runtime, RuntimeEvent, RuntimeHoldReason, RuntimeOrigin, System, Workers,
};
use frame_support::{
	assert_noop, assert_ok,
	traits::{fungible::InspectHold, Get},
};
use pallet_challenges::{DisputeKind, Disputes, HoldReason};
use pallet_receipts::{BatchStatus, Batches};
use pallet_slashing::Violation;
use pallet_workers::{WorkerInspect, WorkerStatus};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{traits::Hash as _, Perbill, Saturating};
use std::sync::OnceLock;

use crate::common::*;

/// Enough receipts and value that the batch's window (28 blocks with `fast-runtime`)
/// outlasts the voting period (10 blocks), and that the bounty reaches `MaxBounty`.
const RECEIPTS: u64 = 2_000;
const EVIDENCE: [u8; 32] = [0x5e; 32];
/// Arbiter workers registered besides the accused: more than `CommitteeSize` (5), so the
/// draw chooses.
const ARBITERS: u8 = 7;

/// Owns the arbiters, so that what the accused's owner receives is told apart.
fn arbiter_owner() -> AccountId {
	Sr25519Keyring::BobStash.to_account_id()
}

/// Arbiter `i`'s hot key, receipt key and stake (different stakes, so the draw weighs them).
fn arbiter(i: u8) -> (AccountId, Keypair, Balance) {
	(
		AccountId::from([0xa0 + i; 32]),
		Keypair::from_secret(&[0x50 + i; 32]).unwrap(),
		Balance::from(i + 1) * 2_000 * UNITS,
	)
}
fn arbiters() -> Vec<AccountId> {
	(0..ARBITERS).map(|i| arbiter(i).0).collect()
}

fn voting_period() -> BlockNumber {
	<Runtime as pallet_challenges::Config>::VotingPeriod::get()
}
fn bond() -> Balance {
	<Runtime as pallet_challenges::Config>::DisputeBond::get()
}
fn non_voter_penalty() -> Perbill {
	<Runtime as pallet_challenges::Config>::NonVoterPenalty::get()
}
fn initial_reputation() -> Perbill {
	<Runtime as pallet_workers::Config>::InitialReputation::get()
}

/// The development genesis plus the accused worker, the arbiters, an active model and a
/// payer with escrow and a gateway key, all through the pallets' calls.
fn setup() -> sp_io::TestExternalities {
	let mut ext = dev_ext();
	ext.execute_with(|| {
		register_worker(owner(), hot(), &receipt_key(), capabilities(), ENDPOINT, STAKE);
		for i in 0..ARBITERS {
			let (hot, key, stake) = arbiter(i);
			register_worker(arbiter_owner(), hot, &key, capabilities(), ENDPOINT, stake);
		}
		register_model_and_payer();
	});
	ext
}

/// The honest batch's Merkle-sum tree, built once for all scenarios. Every receipt is
/// valid: what a dispute contests (a wrong result, abnormal metering) no proof can show.
fn honest_tree() -> &'static MerkleSumTree {
	static TREE: OnceLock<MerkleSumTree> = OnceLock::new();
	TREE.get_or_init(|| {
		let receipts: Vec<SignedReceipt> = (1..=RECEIPTS).map(|c| sign(honest(c))).collect();
		MerkleSumTree::from_receipts_parallel(&receipts).unwrap()
	})
}

/// Proposes the honest batch as the accused worker; returns its id and total.
fn propose() -> (u64, Balance) {
	let root = honest_tree().root();
	(propose_root(root, honest_tree().leaves(), 1, RECEIPTS), root.sum)
}

/// Blocks from a dispute's opening to its committee draw.
fn draw_delay() -> BlockNumber {
	<Runtime as pallet_challenges::Config>::DrawDelay::get()
}

/// Opens a dispute as the challenger and runs the chain to its draw block (whose
/// `on_initialize` draws the committee); returns the committee, read from storage.
fn open(id: u64, kind: DisputeKind) -> Vec<AccountId> {
	assert_ok!(Challenges::open_dispute(signed(challenger()), id, kind, EVIDENCE));
	assert!(Disputes::<Runtime>::get(id).unwrap().committee.is_empty(), "drawn later");
	let at = System::block_number() + draw_delay();
	System::set_block_number(at);
	<Challenges as frame_support::traits::Hooks<BlockNumber>>::on_initialize(at);
	Disputes::<Runtime>::get(id).unwrap().committee.iter().map(|(m, _)| m.clone()).collect()
}

fn vote(member: &AccountId, id: u64, uphold: bool) {
	assert_ok!(Challenges::vote(signed(member.clone()), id, uphold));
}

fn status(id: u64) -> BatchStatus {
	Batches::<Runtime>::get(id).unwrap().status
}

fn bond_held() -> Balance {
	Balances::balance_on_hold(
		&RuntimeHoldReason::Challenges(HoldReason::DisputeBond),
		&challenger(),
	)
}

fn reputation(worker: &AccountId) -> Perbill {
	pallet_workers::Workers::<Runtime>::get(worker).unwrap().reputation
}

fn challenges_event(event: pallet_challenges::Event<Runtime>) -> bool {
	emitted(RuntimeEvent::Challenges(event))
}

/// Opening a dispute freezes the batch in pallet-receipts (no settlement even past its
/// window), holds the bond, and draws `CommitteeSize` distinct members from the registry's
/// active workers: never the accused, never a suspended worker.
#[test]
fn opening_a_dispute_freezes_the_batch_and_draws_active_workers() {
	setup().execute_with(|| {
		let (id, total) = propose();
		let suspended = arbiter(ARBITERS - 1).0;
		assert_ok!(Workers::set_status(
			RuntimeOrigin::root(),
			suspended.clone(),
			WorkerStatus::Suspended
		));
		let challenger_before = free(&challenger());

		let committee = open(id, DisputeKind::Result);

		let size: u32 = <Runtime as pallet_challenges::Config>::CommitteeSize::get();
		assert_eq!(committee.len(), size as usize);
		let mut distinct = committee.clone();
		distinct.sort();
		distinct.dedup();
		assert_eq!(distinct.len(), committee.len(), "members are drawn without replacement");
		assert!(committee.iter().all(|m| arbiters().contains(m) && Workers::is_active(m)));
		assert!(!committee.contains(&hot()), "the accused never judges itself");
		assert!(!committee.contains(&suspended), "only active workers are drawn");
		assert!(challenges_event(pallet_challenges::Event::DisputeOpened {
			batch: id,
			kind: DisputeKind::Result,
			challenger: challenger(),
			evidence: EVIDENCE,
			committee: committee.clone(),
			voting_ends: 1 + draw_delay() + voting_period(),
		}));

		assert_eq!(status(id), BatchStatus::Disputed);
		assert!(emitted(RuntimeEvent::Receipts(pallet_receipts::Event::BatchDisputed {
			batch: id
		})));
		assert_eq!(bond_held(), bond());
		assert_eq!(free(&challenger()), challenger_before - bond());
		assert_eq!(Receipts::free_escrow(&payer()), ESCROW - total, "the total stays reserved");
		assert_noop!(
			Challenges::open_dispute(signed(challenger()), id, DisputeKind::Metering, EVIDENCE),
			pallet_challenges::Error::<Runtime>::AlreadyDisputed
		);
		let outsider = arbiters().into_iter().find(|a| !committee.contains(a)).unwrap();
		assert_noop!(
			Challenges::vote(signed(outsider), id, true),
			pallet_challenges::Error::<Runtime>::NotCommitteeMember
		);

		// Frozen: the batch cannot settle, even once its window has passed.
		let until = Batches::<Runtime>::get(id).unwrap().challenge_until;
		System::set_block_number(until + 1);
		assert_noop!(
			Receipts::settle_batch(signed(challenger()), id),
			pallet_receipts::Error::<Runtime>::NotInChallenge
		);
		check_invariants();
	});
}

/// Fewer active workers than `MinCommitteeSize` besides the accused: no dispute, and
/// nothing held or frozen.
#[test]
fn a_dispute_needs_enough_active_arbiters_in_the_registry() {
	setup().execute_with(|| {
		let (id, _) = propose();
		let min: u32 = <Runtime as pallet_challenges::Config>::MinCommitteeSize::get();
		for i in 0..ARBITERS - (min as u8 - 1) {
			assert_ok!(Workers::set_status(
				RuntimeOrigin::root(),
				arbiter(i).0,
				WorkerStatus::Suspended
			));
		}
		assert_noop!(
			Challenges::open_dispute(signed(challenger()), id, DisputeKind::Result, EVIDENCE),
			pallet_challenges::Error::<Runtime>::NotEnoughArbiters
		);
		assert_eq!(status(id), BatchStatus::Challenge);
		assert_eq!(bond_held(), 0);
		check_invariants();
	});
}

/// An upheld result dispute voids the batch (escrow back to the payer), slashes the
/// worker for `SpotCheckFailure` through pallet-slashing, and returns the challenger its
/// bond with the bounty. Members who voted, on either side, keep their reputation; the one
/// who stayed silent past the voting period loses `NonVoterPenalty`.
#[test]
fn an_upheld_dispute_voids_the_batch_slashes_the_worker_and_pays_the_challenger() {
	setup().execute_with(|| {
		let (id, total) = propose();
		let (challenger_before, treasury_before) =
			(free(&challenger()), free(&TreasuryAccount::get()));
		let committee = open(id, DisputeKind::Result);
		let (voters, silent) = (&committee[..4], &committee[4]);

		vote(&voters[0], id, true);
		vote(&voters[1], id, false);
		vote(&voters[2], id, true);
		assert_noop!(
			Challenges::close_dispute(signed(payer()), id),
			pallet_challenges::Error::<Runtime>::VotingOpen
		);
		// The third of five upholding votes decides.
		vote(&voters[3], id, true);
		System::set_block_number(1 + draw_delay() + voting_period() + 1);
		assert_ok!(Challenges::close_dispute(signed(payer()), id));

		// §8.4: a first `SpotCheckFailure` is slashed at `BaseRate` (10%) times its
		// severity (1), the bottom of its range.
		let rate = Perbill::from_percent(10);
		let slashed = rate.mul_floor(STAKE);
		let max_bounty: Balance = pallet_slashing::Params::<Runtime>::get().max_bounty;
		let bounty = (slashed / 10).min(max_bounty).min(total);
		assert!(challenges_event(pallet_challenges::Event::DisputeUpheld {
			batch: id,
			slashed,
			bounty
		}));
		assert!(emitted(RuntimeEvent::Slashing(pallet_slashing::Event::Punished {
			offender: hot(),
			violation: Violation::SpotCheckFailure,
			rate,
			slashed,
			bounty,
			reporter: Some(challenger()),
			effective_violations: sp_runtime::FixedU128::from_u32(1),
		})));
		assert!(Disputes::<Runtime>::get(id).is_none());

		// pallet-receipts: void, the whole total back in the payer's free escrow.
		assert_eq!(status(id), BatchStatus::Voided);
		assert_eq!(Receipts::free_escrow(&payer()), ESCROW);
		// pallet-workers: the stake slashed, the reputation cut by slashing's `ReputationLoss`.
		assert_eq!(Workers::slashable_stake(&hot()), STAKE - slashed);
		let loss: Perbill = <Runtime as pallet_slashing::Config>::ReputationLoss::get();
		assert_eq!(reputation(&hot()), initial_reputation().saturating_sub(loss));
		assert!(Workers::is_active(&hot()), "one violation does not suspend");
		// The challenger has its bond back and the bounty; the treasury the rest.
		assert_eq!(bond_held(), 0);
		assert_eq!(free(&challenger()), challenger_before + bounty);
		assert_eq!(free(&TreasuryAccount::get()), treasury_before + slashed - bounty);

		for member in voters {
			assert_eq!(reputation(member), initial_reputation(), "a member who voted");
		}
		assert_eq!(reputation(silent), initial_reputation().saturating_sub(non_voter_penalty()));
		assert!(challenges_event(pallet_challenges::Event::NonVoterPenalised {
			batch: id,
			member: silent.clone()
		}));

		assert_noop!(
			Receipts::settle_batch(signed(payer()), id),
			pallet_receipts::Error::<Runtime>::NotInChallenge
		);
		check_invariants();
	});
}

/// A rejected metering dispute releases the batch, which settles once its window ends
/// and pays the revenue split; the bond is forfeited to the accused's owner and the
/// treasury; the silent members lose `NonVoterPenalty` of their reputation in the
/// registry; the worker is not punished.
#[test]
fn a_rejected_dispute_releases_the_batch_to_settle_and_penalises_silent_members() {
	setup().execute_with(|| {
		let (id, total) = propose();
		let until = Batches::<Runtime>::get(id).unwrap().challenge_until;
		assert!(until > 1 + voting_period() + 1, "the window outlasts the dispute");
		let challenger_before = free(&challenger());
		let committee = open(id, DisputeKind::Metering);
		let (voters, silent) = (&committee[..2], &committee[2..]);
		for member in voters {
			vote(member, id, false);
		}

		System::set_block_number(1 + draw_delay() + voting_period() + 1);
		assert_noop!(
			Challenges::vote(signed(silent[0].clone()), id, true),
			pallet_challenges::Error::<Runtime>::VotingClosed
		);
		let (owner_before, treasury_before) = (free(&owner()), free(&TreasuryAccount::get()));
		assert_ok!(Challenges::close_dispute(signed(payer()), id));

		let share: Perbill = <Runtime as pallet_challenges::Config>::DefendantShare::get();
		let to_defendant = share.mul_floor(bond());
		let to_treasury = bond() - to_defendant;
		assert!(challenges_event(pallet_challenges::Event::DisputeRejected {
			batch: id,
			to_defendant,
			to_treasury
		}));
		assert_eq!(bond_held(), 0);
		assert_eq!(free(&challenger()), challenger_before - bond());
		assert_eq!(free(&owner()), owner_before + to_defendant);
		assert_eq!(free(&TreasuryAccount::get()), treasury_before + to_treasury);

		for member in voters {
			assert_eq!(reputation(member), initial_reputation(), "a member who voted");
		}
		for member in silent {
			assert_eq!(
				reputation(member),
				initial_reputation().saturating_sub(non_voter_penalty())
			);
			assert!(challenges_event(pallet_challenges::Event::NonVoterPenalised {
				batch: id,
				member: member.clone()
			}));
		}
		// The worker is not punished.
		assert_eq!(Workers::slashable_stake(&hot()), STAKE);
		assert_eq!(reputation(&hot()), initial_reputation());
		assert!(pallet_slashing::Records::<Runtime>::get(hot()).is_none());

		// Released into what is left of its window; it settles once the window ends.
		assert_eq!(status(id), BatchStatus::Challenge);
		assert!(emitted(RuntimeEvent::Receipts(pallet_receipts::Event::BatchReleased {
			batch: id
		})));
		assert_noop!(
			Receipts::settle_batch(signed(payer()), id),
			pallet_receipts::Error::<Runtime>::ChallengeWindowOpen
		);
		System::set_block_number(until + 1);
		let owner_before = free(&owner());
		assert_ok!(Receipts::settle_batch(signed(payer()), id));
		assert_eq!(status(id), BatchStatus::Paid);
		let training = Perbill::from_percent(20).mul_floor(total);
		let (worker_share, ..) = Receipts::split_total(total - training, &split());
		assert_eq!(free(&owner()), owner_before + worker_share);
		assert_eq!(Receipts::free_escrow(&payer()), ESCROW - total);
		check_invariants();
	});
}

#[test]
fn the_security_council_freezes_a_batch_with_two_thirds_and_its_committee_judges_it() {
	setup().execute_with(|| {
		let (id, _) = propose();
		let freeze = ail2_runtime::RuntimeCall::Challenges(pallet_challenges::Call::freeze_batch {
			batch: id,
			kind: DisputeKind::Result,
			evidence: EVIDENCE,
		});
		let council = |k: Sr25519Keyring| signed(k.to_account_id());
		let length = codec::Encode::encoded_size(&freeze) as u32;
		// One member of three: the motion executes at once and its origin is refused.
		assert_ok!(ail2_runtime::Council::propose(
			council(Sr25519Keyring::Alice),
			1,
			Box::new(freeze.clone()),
			length
		));
		assert_eq!(status(id), BatchStatus::Challenge);
		// Two of three: frozen without a referendum, the treasury standing as a bondless
		// challenger.
		let hash = <Runtime as frame_system::Config>::Hashing::hash_of(&freeze);
		let index = pallet_collective::ProposalCount::<
			Runtime,
			ail2_runtime::governance::CouncilCollective,
		>::get();
		assert_ok!(ail2_runtime::Council::propose(
			council(Sr25519Keyring::Alice),
			2,
			Box::new(freeze),
			length
		));
		for member in [Sr25519Keyring::Alice, Sr25519Keyring::Bob] {
			assert_ok!(ail2_runtime::Council::vote(council(member), hash, index, true));
		}
		assert_ok!(ail2_runtime::Council::close(
			council(Sr25519Keyring::Bob),
			hash,
			index,
			frame_support::weights::Weight::MAX,
			length
		));
		assert_eq!(status(id), BatchStatus::Disputed);
		let dispute = Disputes::<Runtime>::get(id).unwrap();
		assert_eq!(dispute.challenger, ail2_runtime::configs::TreasuryAccount::get());
		assert_eq!(dispute.bond, 0);
		check_invariants();
	});
}
