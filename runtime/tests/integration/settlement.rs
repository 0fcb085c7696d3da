#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

//! Settlement through the real runtime: a worker, a model and a payer registered with the
//! pallets' calls, a batch of 10,000 receipts built and signed with `ail2-primitives`,
//! proposed, left through its challenge window and paid by the revenue split to the
//! last unit; the same batch with each class of fraud voided with escrow returned, stake
//! slashed by the formula and the bounty paid; replays rejected; a leaf asked for and not
//! posted voids its batch, a posted one pays the bond; paid records pruned. Every pallet's
//! invariants are checked after each scenario.

use ail2_primitives::{
	merkle::{self, MerkleSumTree, SumNode},
	receipt::{signing::Keypair, Receipt, SignedReceipt},
};
use ail2_runtime::{
	configs::{EcosystemAccount, TreasuryAccount},
	currency::UNITS,
	Balance, Balances, Challenges, Models, Receipts, Runtime, RuntimeEvent, RuntimeOrigin,
	Slashing, System, Workers,
};
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold, BoundedVec};
use pallet_challenges::{FraudKind, FraudProof, LeafProof, NodeProof};
use pallet_models::ModelInspect;
use pallet_receipts::{BatchStatus, Batches};
use pallet_slashing::Violation;
use pallet_workers::{WorkerInspect, WorkerStatus};
use sp_runtime::{Perbill, Saturating};
use std::sync::OnceLock;

use crate::common::*;

const RECEIPTS: u64 = 10_000;

/// The development genesis plus a registered worker, an active model and a payer with
/// escrow and a gateway key, all through the pallets' calls.
fn setup() -> sp_io::TestExternalities {
	let mut ext = dev_ext();
	ext.execute_with(|| {
		register_worker(owner(), hot(), &receipt_key(), capabilities(), ENDPOINT, STAKE);
		register_model_and_payer();
	});
	ext
}

/// The 10,000 honest receipts, signed once for all scenarios.
fn honest_batch() -> &'static [SignedReceipt] {
	static BATCH: OnceLock<Vec<SignedReceipt>> = OnceLock::new();
	BATCH.get_or_init(|| (1..=RECEIPTS).map(|c| sign(honest(c))).collect())
}

struct Proposed {
	id: u64,
	tree: MerkleSumTree,
	receipts: Vec<SignedReceipt>,
}

impl Proposed {
	fn leaf(&self, index: u64) -> LeafProof {
		LeafProof {
			index,
			receipt: self.receipts[index as usize].clone(),
			siblings: BoundedVec::truncate_from(self.tree.proof(index).unwrap().siblings),
		}
	}
}

fn propose(receipts: Vec<SignedReceipt>) -> Proposed {
	let tree = MerkleSumTree::from_receipts_parallel(&receipts).unwrap();
	let id = propose_root(tree.root(), tree.leaves(), 1, RECEIPTS);
	Proposed { id, tree, receipts }
}

fn past_window(id: u64) {
	let until = Batches::<Runtime>::get(id).unwrap().challenge_until;
	System::set_block_number(until + 1);
}

#[test]
fn ten_thousand_receipts_settle_by_the_revenue_split() {
	setup().execute_with(|| {
		let batch = propose(honest_batch().to_vec());
		let total = batch.tree.root().sum;
		assert_eq!(total, honest_batch().iter().map(|r| r.receipt.price).sum::<Balance>());
		assert_eq!(Receipts::free_escrow(&payer()), ESCROW - total);
		// §8.5: the window grows by one block per 1,000 receipts and per 10 AIL2, up to
		// the window's `max_extra`.
		let window = Batches::<Runtime>::get(batch.id).unwrap().challenge_until - 1;
		let pallet_receipts::ChallengeWindow { base, max_extra, .. } =
			pallet_receipts::Params::<Runtime>::get().challenge_window;
		let extra = (RECEIPTS / 1_000) as u32 + (total / (10 * UNITS)) as u32;
		assert_eq!(window, base + extra.min(max_extra));

		assert_noop!(
			Receipts::settle_batch(signed(challenger()), batch.id),
			pallet_receipts::Error::<Runtime>::ChallengeWindowOpen
		);
		let before =
			[owner(), developer(), TreasuryAccount::get(), EcosystemAccount::get(), payer()]
				.map(|a| free(&a));
		past_window(batch.id);
		assert_ok!(Receipts::settle_batch(signed(challenger()), batch.id));

		// The training fund's 20 % first; the model's split shares the other 80 %.
		let training = Perbill::from_percent(20).mul_floor(total);
		let shared = total - training;
		let share = |p: u32| Perbill::from_percent(p).mul_floor(shared);
		let (owner_share, treasury_share, ecosystem_share) = (share(20), share(7), share(3));
		let worker_share = shared - owner_share - treasury_share - ecosystem_share;
		let after =
			[owner(), developer(), TreasuryAccount::get(), EcosystemAccount::get(), payer()]
				.map(|a| free(&a));
		assert_eq!(
			pallet_issuance::DayFees::<Runtime>::get(),
			total,
			"issuance counts the batch's fees towards today's demand subsidy"
		);
		assert!(emitted(RuntimeEvent::Receipts(pallet_receipts::Event::BatchPaid {
			batch: batch.id,
			worker_share,
			model_owner_share: owner_share,
			treasury_share,
			ecosystem_share,
			training_fund_share: training,
		})));
		assert_eq!(after[0] - before[0], worker_share);
		assert_eq!(after[1] - before[1], owner_share);
		assert_eq!(after[2] - before[2], treasury_share);
		assert_eq!(after[3] - before[3], ecosystem_share);
		assert_eq!(after[4], before[4], "the payer pays from escrow, not its free balance");
		assert_eq!(
			Balances::balance_on_hold(
				&ail2_runtime::RuntimeHoldReason::Receipts(pallet_receipts::HoldReason::Escrow),
				&payer()
			),
			ESCROW - total
		);
		assert_eq!(Batches::<Runtime>::get(batch.id).unwrap().status, BatchStatus::Paid);

		// A replay of the same batch and an overlapping range are refused.
		let root = batch.tree.root();
		let replay = Receipts::propose_batch(
			signed(hot()),
			payer(),
			0,
			VERSION,
			1,
			RECEIPTS,
			root.hash,
			root.sum,
			RECEIPTS,
			[0xcc; 32],
			BoundedVec::new(),
		);
		assert_eq!(replay, Err(pallet_receipts::Error::<Runtime>::CounterReused.into()));
		let overlap = Receipts::propose_batch(
			signed(hot()),
			payer(),
			0,
			VERSION,
			RECEIPTS,
			RECEIPTS + 10,
			root.hash,
			1,
			5,
			[0xcc; 32],
			BoundedVec::new(),
		);
		assert_eq!(overlap, Err(pallet_receipts::Error::<Runtime>::CounterReused.into()));
		check_invariants();
	});
}

/// Proposes the batch with receipt `bad` (1-based counter) tampered, proves it with
/// `proof`, and checks void, escrow, slash and bounty.
fn fraud_case(
	bad: u64,
	tamper: impl Fn(Receipt) -> SignedReceipt,
	proof: impl Fn(&Proposed) -> FraudProof,
	kind: FraudKind,
	rate: Perbill,
) {
	setup().execute_with(|| {
		let mut receipts = honest_batch().to_vec();
		receipts[(bad - 1) as usize] = tamper(honest(bad));
		let batch = propose(receipts);
		let total = batch.tree.root().sum;
		let (challenger_before, treasury_before) =
			(free(&challenger()), free(&TreasuryAccount::get()));

		assert_ok!(Challenges::challenge(signed(challenger()), batch.id, Box::new(proof(&batch))));

		let slashed = rate.mul_floor(STAKE);
		let bounty = (slashed / 10).min(100 * UNITS).min(total);
		assert_eq!(Batches::<Runtime>::get(batch.id).unwrap().status, BatchStatus::Voided);
		assert_eq!(Receipts::free_escrow(&payer()), ESCROW, "escrow back in full");
		assert_eq!(Workers::slashable_stake(&hot()), STAKE - slashed);
		assert_eq!(free(&challenger()) - challenger_before, bounty);
		assert_eq!(free(&TreasuryAccount::get()) - treasury_before, slashed - bounty);
		assert!(System::events().iter().any(|r| r.event
			== ail2_runtime::RuntimeEvent::Challenges(pallet_challenges::Event::FraudProven {
				batch: batch.id,
				kind,
				challenger: challenger(),
				worker: hot(),
				slashed,
				bounty,
			})));
		// Nothing is paid for a voided batch, and its range stays consumed.
		past_window(batch.id);
		assert!(Receipts::settle_batch(signed(challenger()), batch.id).is_err());
		check_invariants();
	});
}

#[test]
fn a_forged_worker_signature_is_slashed_half() {
	let impostor = Keypair::from_secret(&[0x66; 32]).unwrap();
	fraud_case(
		4_321,
		|r| {
			let mut s = sign(r);
			s.node_signature = impostor.sign(&s.receipt.message());
			s
		},
		|b| FraudProof::BadWorkerSignature(b.leaf(4_320)),
		FraudKind::BadWorkerSignature,
		Perbill::from_percent(50),
	);
}

#[test]
fn an_unauthorised_gateway_is_slashed_half() {
	let rogue = Keypair::from_secret(&[0x67; 32]).unwrap();
	fraud_case(
		9_999,
		|r| {
			let node_signature = receipt_key().sign(&r.message());
			let gateway_signature = rogue.sign(&r.authorisation().message());
			SignedReceipt { receipt: r, node_signature, gateway_signature }
		},
		|b| FraudProof::BadAuthorisation(b.leaf(9_998)),
		FraudKind::BadAuthorisation,
		Perbill::from_percent(50),
	);
}

#[test]
fn an_overcharge_is_double_billing() {
	fraud_case(
		1,
		|mut r| {
			r.price += 1;
			sign(r)
		},
		|b| FraudProof::WrongPrice(b.leaf(0)),
		FraudKind::WrongPrice,
		Perbill::from_percent(30),
	);
}

#[test]
fn a_repeated_counter_is_a_replay() {
	fraud_case(
		5_000,
		|mut r| {
			r.counter = 4_999;
			sign(r)
		},
		|b| FraudProof::DuplicateCounter { first: b.leaf(4_998), second: b.leaf(4_999) },
		FraudKind::DuplicateCounter,
		Perbill::from_percent(50),
	);
}

#[test]
fn a_counter_beyond_the_range_is_a_replay() {
	fraud_case(
		RECEIPTS,
		|mut r| {
			r.counter = RECEIPTS + 1;
			sign(r)
		},
		|b| FraudProof::CounterOutOfRange(b.leaf(RECEIPTS - 1)),
		FraudKind::CounterOutOfRange,
		Perbill::from_percent(50),
	);
}

#[test]
fn an_inflated_total_is_proven_by_one_inner_node() {
	setup().execute_with(|| {
		// The honest leaves, but node (1, 100) claims 5 AIL2 more than its children.
		let mut levels: Vec<Vec<SumNode>> = vec![honest_batch().iter().map(merkle::leaf).collect()];
		while levels.last().unwrap().len() > 1 {
			let level = levels.len();
			let above = levels
				.last()
				.unwrap()
				.chunks(2)
				.enumerate()
				.map(|(i, pair)| match pair {
					[l, r] => SumNode {
						hash: merkle::node_hash(l, r),
						sum: l.sum + r.sum + if (level, i) == (1, 100) { 5 * UNITS } else { 0 },
					},
					[single] => *single,
					_ => unreachable!(),
				})
				.collect();
			levels.push(above);
		}
		let root = levels.last().unwrap()[0];
		let id = propose_root(root, RECEIPTS, 1, RECEIPTS);
		// Siblings of node (1, 100) up to the root.
		let mut siblings = Vec::new();
		let mut index = 100usize;
		for level in &levels[1..levels.len() - 1] {
			if let Some(s) = level.get(index ^ 1) {
				siblings.push(*s);
			}
			index /= 2;
		}
		let node = NodeProof {
			level: 1,
			index: 100,
			left: levels[0][200],
			right: levels[0][201],
			claimed_sum: levels[1][100].sum,
			siblings: BoundedVec::truncate_from(siblings),
		};
		let treasury_before = free(&TreasuryAccount::get());
		assert_ok!(Challenges::challenge(
			signed(challenger()),
			id,
			Box::new(FraudProof::InconsistentNode(node))
		));
		assert_eq!(Batches::<Runtime>::get(id).unwrap().status, BatchStatus::Voided);
		assert_eq!(Receipts::free_escrow(&payer()), ESCROW);
		let slashed = STAKE / 2;
		assert_eq!(Workers::slashable_stake(&hot()), STAKE - slashed);
		assert_eq!(free(&TreasuryAccount::get()) - treasury_before, slashed - 100 * UNITS);
		check_invariants();
	});
}

#[test]
fn the_model_prices_receipts_as_the_chain_checks_them() {
	setup().execute_with(|| {
		let (policy, hash) = Models::pricing(0, &VERSION).unwrap();
		assert_eq!(policy, pricing());
		assert_eq!(hash, honest(1).policy_hash);
		assert!(Workers::is_active(&hot()));
	});
}

/// Slashing's punishments reach the real worker registry (the pallet's unit tests see them
/// through a stub): a third effective violation suspends the worker, each costs it
/// `ReputationLoss` (10%) of its reputation, and a malicious image takes the whole stake and
/// bans it for good, the reporter's bounty capped at `MaxBounty`.
#[test]
fn violations_suspend_ban_and_cost_reputation_in_the_worker_registry() {
	setup().execute_with(|| {
		let report = |violation| {
			Slashing::report(RuntimeOrigin::root(), hot(), violation, [7; 32], Some(challenger()))
		};
		let info = || pallet_workers::Workers::<Runtime>::get(hot()).unwrap();
		let reputation = info().reputation;
		assert_ok!(report(Violation::SpotCheckFailure));
		assert_eq!(info().reputation, reputation.saturating_sub(Perbill::from_percent(10)));
		assert_eq!(info().status, WorkerStatus::Active);
		assert_ok!(report(Violation::SpotCheckFailure));
		assert_eq!(info().status, WorkerStatus::Active);
		assert_ok!(report(Violation::SpotCheckFailure));
		assert_eq!(info().status, WorkerStatus::Suspended);
		assert!(!Workers::is_active(&hot()));
		check_invariants();

		let (treasury, reporter) = (free(&TreasuryAccount::get()), free(&challenger()));
		let stake = info().stake;
		assert_ok!(report(Violation::MaliciousImage));
		assert_eq!(info().status, WorkerStatus::Banned);
		assert_eq!(info().stake, 0);
		// `MaxBounty`: a tenth of the slash would be more.
		let bounty = 100 * UNITS;
		assert_eq!(free(&challenger()), reporter + bounty);
		assert_eq!(free(&TreasuryAccount::get()), treasury + stake - bounty);
		check_invariants();
	});
}

/// Proposes `receipts` as a batch covering counters `first..=last`.
fn propose_range(receipts: Vec<SignedReceipt>, first: u64, last: u64) -> Proposed {
	let tree = MerkleSumTree::from_receipts_parallel(&receipts).unwrap();
	let id = propose_root(tree.root(), tree.leaves(), first, last);
	Proposed { id, tree, receipts }
}

/// Data availability through the real runtime: a leaf asked for holds the batch's payment
/// past its window (receipts' second audit), an unposted leaf voids the batch and slashes the
/// worker for `WithheldData`, and a posted one pays the bond to the worker's owner and lets
/// the batch be paid.
#[test]
fn an_unposted_leaf_voids_the_batch_and_a_posted_one_pays_the_worker_the_bond() {
	setup().execute_with(|| {
		let bond = <Runtime as pallet_challenges::Config>::AvailabilityBond::get();
		let batch = propose_range(honest_batch()[..8].to_vec(), 1, 8);
		assert_ok!(Challenges::challenge_availability(signed(challenger()), batch.id, 5));
		past_window(batch.id);
		assert_noop!(
			Receipts::settle_batch(signed(challenger()), batch.id),
			pallet_receipts::Error::<Runtime>::SettlementHeld
		);
		let deadline =
			pallet_challenges::AvailabilityChallenges::<Runtime>::get(batch.id).unwrap().deadline;
		System::set_block_number(deadline + 1);
		let challenger_before = free(&challenger());
		assert_ok!(Challenges::expire_availability(signed(owner()), batch.id));
		assert_eq!(Batches::<Runtime>::get(batch.id).unwrap().status, BatchStatus::Voided);
		assert_eq!(Receipts::free_escrow(&payer()), ESCROW, "escrow back in full");
		// WithheldData's first offence under the 10 % base rate: severity 5, 50 %.
		let slashed = Perbill::from_percent(50).mul_floor(STAKE);
		let bounty = (slashed / 10).min(100 * UNITS).min(batch.tree.root().sum);
		assert_eq!(Workers::slashable_stake(&hot()), STAKE - slashed);
		assert_eq!(free(&challenger()) - challenger_before, bond + bounty);
		check_invariants();

		// A second batch, from the same worker: its leaf is posted and it is paid.
		let second = propose_range(honest_batch()[8..16].to_vec(), 9, 16);
		assert_ok!(Challenges::challenge_availability(signed(challenger()), second.id, 2));
		let owner_before = free(&owner());
		assert_ok!(Challenges::answer_availability(
			signed(hot()),
			second.id,
			Box::new(second.leaf(2))
		));
		assert_eq!(free(&owner()) - owner_before, bond);
		past_window(second.id);
		assert_ok!(Receipts::settle_batch(signed(challenger()), second.id));
		assert_eq!(Batches::<Runtime>::get(second.id).unwrap().status, BatchStatus::Paid);
		check_invariants();
	});
}

/// Pruning through the real runtime: the paid batch's record goes in `on_idle` after
/// `PruneDelay`, and the replay guard still refuses its counters.
#[test]
fn a_paid_batch_is_pruned_after_the_delay_and_its_counters_stay_spent() {
	setup().execute_with(|| {
		use frame_support::traits::{Get, Hooks};
		let delay: u32 = <Runtime as pallet_receipts::Config>::PruneDelay::get();
		let batch = propose_range(honest_batch()[..4].to_vec(), 1, 4);
		past_window(batch.id);
		assert_ok!(Receipts::settle_batch(signed(challenger()), batch.id));
		let closed_at = System::block_number();
		let weight = frame_support::weights::Weight::from_parts(u64::MAX, u64::MAX);
		System::set_block_number(closed_at + delay - 1);
		Receipts::on_idle(closed_at + delay - 1, weight);
		assert!(Batches::<Runtime>::contains_key(batch.id));
		let record = Batches::<Runtime>::hashed_key_for(batch.id).len()
			+ codec::Encode::encoded_size(&Batches::<Runtime>::get(batch.id).unwrap());
		System::set_block_number(closed_at + delay);
		Receipts::on_idle(closed_at + delay, weight);
		assert!(!Batches::<Runtime>::contains_key(batch.id));
		println!(
			"a paid batch's record: {record} bytes of key and value, removed after {delay} blocks"
		);
		let root = batch.tree.root();
		let replay = Receipts::propose_batch(
			signed(hot()),
			payer(),
			0,
			VERSION,
			1,
			4,
			root.hash,
			root.sum,
			4,
			[0xcc; 32],
			BoundedVec::new(),
		);
		assert_eq!(replay, Err(pallet_receipts::Error::<Runtime>::CounterReused.into()));
		check_invariants();
	});
}

/// A batch served under version 1.0.0 is paid by that version's revenue split, though the
/// model moved to 2.0.0, whose owner takes 35 %, while the batch waited.
#[test]
fn a_batch_is_paid_by_its_versions_split_after_the_model_moves_on() {
	setup().execute_with(|| {
		let batch = propose_range(honest_batch()[..8].to_vec(), 1, 8);
		let v2 = ail2_primitives::receipt::SemVer::new(2, 0, 0);
		let mut metadata = metadata();
		metadata.revenue_split = pallet_models::RevenueSplit {
			worker: Perbill::from_percent(55),
			model_owner: Perbill::from_percent(35),
			treasury: Perbill::from_percent(7),
			ecosystem: Perbill::from_percent(3),
		};
		assert_ok!(Models::propose_version(signed(developer()), 0, v2, metadata));
		assert_ok!(Models::approve_version(RuntimeOrigin::root(), 0, v2));
		assert_ok!(Models::activate_version(signed(developer()), 0, v2));
		assert_eq!(pallet_models::Models::<Runtime>::get(0).unwrap().current, v2);

		let total = batch.tree.root().sum;
		let before = [owner(), developer(), TreasuryAccount::get()].map(|a| free(&a));
		past_window(batch.id);
		assert_ok!(Receipts::settle_batch(signed(challenger()), batch.id));
		let after = [owner(), developer(), TreasuryAccount::get()].map(|a| free(&a));
		// What the training fund's 20 % leaves, by 1.0.0's split.
		let shared = total - Perbill::from_percent(20).mul_floor(total);
		let share = |p: u32| Perbill::from_percent(p).mul_floor(shared);
		assert_eq!(after[1] - before[1], share(20), "1.0.0's owner share, not 2.0.0's 35 %");
		assert_eq!(after[2] - before[2], share(7));
		assert_eq!(after[0] - before[0], shared - share(20) - share(7) - share(3));
		check_invariants();
	});
}
