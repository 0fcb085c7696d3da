#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

//! Proof of inference through the real runtime: a worker's batch of signed receipts is
//! audited as it is proposed, a spot check opened on one of its receipts holds its payment,
//! and the verifier group's majority decides — a failed check voids the batch (the payer
//! pays nothing), slashes the worker through pallet-slashing and resets its reputation; a
//! passed one lets the batch be paid. Every pallet's invariants are checked after each.

use ail2_primitives::{
	merkle::MerkleSumTree,
	receipt::{signing::Keypair, SignedReceipt},
};
use ail2_runtime::{
	currency::{CENTS, UNITS},
	AccountId, Balance, Balances, Poi, Receipts, Runtime, RuntimeOrigin, System,
};
use frame_support::{
	assert_noop, assert_ok,
	traits::{fungible::Mutate, Hooks},
	BoundedVec,
};
use pallet_poi::{Audits, LeafProof, Outcome, Params};
use pallet_receipts::{BatchStatus, Batches};
use pallet_slashing::Violation;
use pallet_workers::WorkerInspect;
use sp_keyring::Sr25519Keyring;
use sp_runtime::Perbill;

use crate::common::*;

const RECEIPTS: u64 = 64;

/// The verifiers: three workers serving model 0, with stakes 3:2:1 × 10,000 AIL2.
fn verifier(i: u8) -> (AccountId, Keypair, Balance) {
	(
		AccountId::from([0xb0 + i; 32]),
		Keypair::from_secret(&[0x60 + i; 32]).unwrap(),
		Balance::from(3 - i) * 10_000 * UNITS,
	)
}

fn setup() -> sp_io::TestExternalities {
	let mut ext = dev_ext();
	ext.execute_with(|| {
		register_worker(owner(), hot(), &receipt_key(), capabilities(), ENDPOINT, STAKE);
		register_model_and_payer();
		for i in 0..3 {
			let (hot, key, stake) = verifier(i);
			register_worker(
				Sr25519Keyring::AliceStash.to_account_id(),
				hot.clone(),
				&key,
				capabilities(),
				ENDPOINT,
				stake,
			);
			Balances::set_balance(&hot, 10 * UNITS);
			assert_ok!(Poi::bid(signed(hot), 0, CENTS));
		}
		// Every receipt due for a check, so the test need not search for one.
		let mut params = Params::<Runtime>::get();
		params.p0 = Perbill::one();
		params.p_max = Perbill::one();
		assert_ok!(Poi::set_params(RuntimeOrigin::root(), params));
	});
	ext
}

struct Proposed {
	id: u64,
	tree: MerkleSumTree,
	receipts: Vec<SignedReceipt>,
}

impl Proposed {
	fn leaf(&self, index: u64) -> LeafProof {
		leaf_of(&self.receipts, &self.tree, index)
	}
}

/// Proposes the honest batch, then runs the next block's hook, which fixes its duty seed.
fn propose() -> Proposed {
	let receipts: Vec<SignedReceipt> = (1..=RECEIPTS).map(|c| sign(honest(c))).collect();
	let tree = MerkleSumTree::from_receipts(&receipts).unwrap();
	let id = propose_root(tree.root(), tree.leaves(), 1, RECEIPTS);
	assert_noop!(
		Poi::open_check(signed(challenger()), id, leaf_of(&receipts, &tree, 0)),
		pallet_poi::Error::<Runtime>::SeedNotFixed
	);
	let next = System::block_number() + 1;
	System::set_block_number(next);
	Poi::on_initialize(next);
	assert!(Audits::<Runtime>::get(id).unwrap().seed.is_some());
	Proposed { id, tree, receipts }
}

fn leaf_of(receipts: &[SignedReceipt], tree: &MerkleSumTree, index: u64) -> LeafProof {
	LeafProof {
		index,
		receipt: receipts[index as usize].clone(),
		siblings: BoundedVec::truncate_from(tree.proof(index).unwrap().siblings),
	}
}

fn check_all_invariants() {
	check_invariants();
	Poi::do_try_state().unwrap();
}

#[test]
fn a_proposed_batch_is_audited_by_the_top_stakers_serving_its_model() {
	setup().execute_with(|| {
		let batch = propose();
		let audit = Audits::<Runtime>::get(batch.id).unwrap();
		let group: Vec<AccountId> = audit.group.iter().map(|(v, _)| v.clone()).collect();
		assert_eq!(group, vec![verifier(0).0, verifier(1).0, verifier(2).0]);
		assert!(!group.contains(&hot()));
		assert_eq!(
			audit.reputation,
			<ail2_runtime::Workers as WorkerInspect<_, _>>::reputation(&hot())
		);
		check_all_invariants();
	});
}

#[test]
fn a_failed_spot_check_voids_the_batch_and_slashes_the_worker() {
	setup().execute_with(|| {
		let batch = propose();
		let stake = <ail2_runtime::Workers as WorkerInspect<_, _>>::slashable_stake(&hot());
		// A check opened in the window's last block outlives the window, and holds the payment.
		let until = Batches::<Runtime>::get(batch.id).unwrap().challenge_until;
		System::set_block_number(until);
		assert_ok!(Poi::open_check(signed(challenger()), batch.id, batch.leaf(5)));
		System::set_block_number(until + 1);
		assert_noop!(
			Receipts::settle_batch(signed(challenger()), batch.id),
			pallet_receipts::Error::<Runtime>::SettlementHeld
		);
		// The two largest stakers (50,000 of 60,000) find the answer wrong.
		assert_ok!(Poi::vote(signed(verifier(0).0), batch.id, 5, false));
		assert_ok!(Poi::vote(signed(verifier(1).0), batch.id, 5, false));
		assert_eq!(Batches::<Runtime>::get(batch.id).unwrap().status, BatchStatus::Voided);
		assert_eq!(pallet_receipts::Escrows::<Runtime>::get(payer()).unwrap().reserved, 0);
		assert!(<ail2_runtime::Workers as WorkerInspect<_, _>>::slashable_stake(&hot()) < stake);
		assert_eq!(
			<ail2_runtime::Workers as WorkerInspect<_, _>>::reputation(&hot()),
			Perbill::zero()
		);
		assert!(System::events().iter().any(|r| matches!(
			&r.event,
			ail2_runtime::RuntimeEvent::Slashing(pallet_slashing::Event::Punished {
				offender,
				violation: Violation::SpotCheckFailure,
				..
			}) if *offender == hot()
		)));
		assert!(System::events().iter().any(|r| r.event
			== ail2_runtime::RuntimeEvent::Poi(pallet_poi::Event::CheckConcluded {
				batch: batch.id,
				index: 5,
				outcome: Outcome::Failed
			})));
		assert!(Audits::<Runtime>::get(batch.id).is_none());
		check_all_invariants();
	});
}

#[test]
fn a_passed_spot_check_lets_the_batch_be_paid() {
	setup().execute_with(|| {
		let batch = propose();
		assert_ok!(Poi::open_check(signed(challenger()), batch.id, batch.leaf(0)));
		assert_ok!(Poi::vote(signed(verifier(0).0), batch.id, 0, true));
		assert_ok!(Poi::vote(signed(verifier(2).0), batch.id, 0, true));
		let until = Batches::<Runtime>::get(batch.id).unwrap().challenge_until;
		System::set_block_number(until + 1);
		assert_ok!(Receipts::settle_batch(signed(challenger()), batch.id));
		assert_eq!(Batches::<Runtime>::get(batch.id).unwrap().status, BatchStatus::Paid);
		assert!(Audits::<Runtime>::get(batch.id).is_none(), "a paid batch's audit is gone");
		check_all_invariants();
	});
}

#[test]
fn the_round_boundary_elects_the_bidders() {
	setup().execute_with(|| {
		let round = Params::<Runtime>::get().round_length;
		for n in 2..=round {
			System::set_block_number(n);
			Poi::on_initialize(n);
		}
		let mut elected = Poi::inference_nodes(0);
		elected.sort();
		let mut bidders: Vec<AccountId> = (0..3).map(|i| verifier(i).0).collect();
		bidders.sort();
		assert_eq!(elected, bidders, "16 seats for three bidders: all elected");
		check_all_invariants();
	});
}
