#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use crate::{
	impls::account_bytes, mock::*, DisputeKind, Disputes, Error, Event, FraudKind, FraudProof,
	HoldReason, LeafProof, NodeProof, Path,
};
use ail2_primitives::{
	billing::{receipt_price, Usage},
	merkle::{self, MerkleSumTree, SumNode},
	receipt::{high_s_twin, signing::Keypair, Receipt, Signature, SignedReceipt},
	Balance as RawBalance,
};
use frame_support::{
	assert_noop, assert_ok,
	dispatch::Pays,
	traits::fungible::{Inspect, InspectHold},
	BoundedVec,
};
use pallet_models::ModelInspect;
use pallet_receipts::BatchStatus;
use pallet_slashing::Violation;
use sp_runtime::{DispatchError, Perbill};

const CHALLENGER: AccountId = STRANGER;

fn free(who: AccountId) -> Balance {
	Balances::balance(&who)
}

fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::Challenges(e) = r.event { Some(e) } else { None })
		.collect()
}

fn last_event() -> Event<Test> {
	events().pop().expect("a challenges event")
}

/// An honest receipt for `counter`, priced by the model and signed by the worker and the
/// payer's gateway.
fn honest(counter: u64) -> Receipt {
	let (policy, policy_hash) = ModelsMock::pricing(MODEL, &V1).unwrap();
	let usage = Usage { tokens_in: 100 + (counter % 900) as u32, tokens_out: 50, gpu_ms: 400 };
	let price = receipt_price(&policy, &usage);
	Receipt {
		project_id: 1,
		model_id: MODEL,
		version: V1,
		timestamp_ms: 1_000 + counter,
		tokens_in: usage.tokens_in,
		tokens_out: usage.tokens_out,
		gpu_ms: usage.gpu_ms,
		bytes_in: 1_000,
		bytes_out: 500,
		price,
		chain_id: CHAIN_ID,
		route_id: ail2_primitives::keccak256(&counter.to_le_bytes()),
		counter,
		node_pubkey: receipt_key().public(),
		payer: account_bytes(&PAYER),
		policy_hash,
		max_price: price * 2,
		expires_at_ms: 10_000_000,
		transcript: ail2_primitives::transcript::no_transcript(),
	}
}

fn sign_with(receipt: Receipt, worker: &Keypair, gateway: &Keypair) -> SignedReceipt {
	let node_signature = worker.sign(&receipt.message());
	let gateway_signature = gateway.sign(&receipt.authorisation().message());
	SignedReceipt { receipt, node_signature, gateway_signature }
}

fn sign(receipt: Receipt) -> SignedReceipt {
	sign_with(receipt, &receipt_key(), &gateway_key())
}

/// Counters 1..=n, honest except for what `tamper` changes in receipt number `bad`.
fn batch_with(n: u64, bad: u64, tamper: impl Fn(Receipt) -> SignedReceipt) -> Vec<SignedReceipt> {
	(1..=n).map(|c| if c == bad { tamper(honest(c)) } else { sign(honest(c)) }).collect()
}

fn honest_batch(n: u64) -> Vec<SignedReceipt> {
	batch_with(n, 0, sign)
}

struct Proposed {
	id: u64,
	tree: MerkleSumTree,
	receipts: Vec<SignedReceipt>,
}

impl Proposed {
	fn leaf(&self, index: u64) -> LeafProof {
		let proof = self.tree.proof(index).unwrap();
		LeafProof {
			index,
			receipt: self.receipts[index as usize].clone(),
			siblings: BoundedVec::truncate_from(proof.siblings),
		}
	}
}

/// Authorises the gateway key (unless the payer already did) and proposes `receipts` with
/// their counter range (or `range` if given).
fn propose_with_range(receipts: Vec<SignedReceipt>, range: Option<(u64, u64)>) -> Proposed {
	if !BatchesMock::has_gateway_key(PAYER, gateway_key().public()) {
		BatchesMock::add_gateway_key(PAYER, gateway_key().public());
	}
	let tree = MerkleSumTree::from_receipts(&receipts).unwrap();
	let range = range.unwrap_or((
		receipts.first().unwrap().receipt.counter,
		receipts.last().unwrap().receipt.counter,
	));
	let id = BatchesMock::propose(HOT, PAYER, MODEL, V1, range, tree.root(), tree.leaves());
	Proposed { id, tree, receipts }
}

fn propose(receipts: Vec<SignedReceipt>) -> Proposed {
	propose_with_range(receipts, None)
}

fn challenge(
	id: u64,
	proof: FraudProof,
) -> sp_runtime::DispatchResultWithInfo<frame_support::dispatch::PostDispatchInfo> {
	Challenges::challenge(RuntimeOrigin::signed(CHALLENGER), id, Box::new(proof))
}

/// Checks the consequences of a proven fraud: the batch voided (which returns its reserve),
/// the proposer reported for `kind`'s violation with the challenger as reporter and the
/// batch's total as the bounty cap, and the event carrying what slashing answered: a slash
/// at `rate`, a bounty of `min(10% of slash, MaxBounty, total)`.
fn assert_punished(p: &Proposed, kind: FraudKind, rate: Perbill) {
	let total: RawBalance = p.tree.root().sum;
	let slashed = rate.mul_floor(WORKER_STAKE);
	let bounty = (slashed / 10).min(MAX_BOUNTY).min(total);
	assert_eq!(
		last_event(),
		Event::FraudProven {
			batch: p.id,
			kind,
			challenger: CHALLENGER,
			worker: HOT,
			slashed,
			bounty,
		}
	);
	assert_eq!(BatchesMock::batch(p.id).unwrap().status, BatchStatus::Voided);
	assert_eq!(BatchesMock::calls().last(), Some(&BatchCall::Void(p.id)));
	assert_eq!(
		ViolationsMock::reports(),
		vec![Report {
			offender: HOT,
			violation: kind.violation(),
			reporter: Some(CHALLENGER),
			bounty_cap: total,
		}]
	);
	// The batch cannot be challenged or settled again.
	assert_noop!(
		challenge(p.id, FraudProof::CounterOutOfRange(p.leaf(0))),
		Error::<Test>::BatchNotOpen
	);
}

fn p(percent: u32) -> Perbill {
	Perbill::from_percent(percent)
}

mod fraud_proofs {
	use super::*;

	#[test]
	fn an_honest_batch_survives_every_kind_of_proof() {
		run(|| {
			let b = propose(honest_batch(9));
			for i in [0, 4, 8] {
				for proof in [
					FraudProof::BadWorkerSignature(b.leaf(i)),
					FraudProof::BadAuthorisation(b.leaf(i)),
					FraudProof::WrongPrice(b.leaf(i)),
					FraudProof::CounterOutOfRange(b.leaf(i)),
				] {
					assert_noop!(challenge(b.id, proof), Error::<Test>::NoFraud);
				}
			}
			assert_noop!(
				challenge(
					b.id,
					FraudProof::DuplicateCounter { first: b.leaf(3), second: b.leaf(4) }
				),
				Error::<Test>::NoFraud
			);
			// Leaf 7's neighbours: levels of a 9-leaf tree pair (6,7); its parent is honest.
			let parent_siblings = b.tree.path_from(1, 3).unwrap();
			let node = NodeProof {
				level: 1,
				index: 3,
				left: b.tree.node(0, 6).unwrap(),
				right: b.tree.node(0, 7).unwrap(),
				claimed_sum: b.tree.node(1, 3).unwrap().sum,
				siblings: BoundedVec::truncate_from(parent_siblings),
			};
			assert_noop!(
				challenge(b.id, FraudProof::InconsistentNode(node)),
				Error::<Test>::NoFraud
			);
		});
	}

	#[test]
	fn proofs_that_do_not_reach_the_root_are_refused() {
		run(|| {
			let b = propose(honest_batch(8));
			// Right receipt, wrong position.
			let mut moved = b.leaf(2);
			moved.index = 3;
			assert_noop!(challenge(b.id, FraudProof::WrongPrice(moved)), Error::<Test>::NotInBatch);
			// A receipt the batch does not contain.
			let mut foreign = b.leaf(2);
			foreign.receipt = sign(honest(99));
			assert_noop!(
				challenge(b.id, FraudProof::CounterOutOfRange(foreign)),
				Error::<Test>::NotInBatch
			);
			// A tampered sibling.
			let mut forged = b.leaf(2);
			forged.siblings[0].sum += 1;
			assert_noop!(
				challenge(b.id, FraudProof::BadWorkerSignature(forged)),
				Error::<Test>::NotInBatch
			);
			// Duplicate-counter leaves must be neighbours.
			assert_noop!(
				challenge(
					b.id,
					FraudProof::DuplicateCounter { first: b.leaf(1), second: b.leaf(3) }
				),
				Error::<Test>::NotNeighbours
			);
			// A leaf is not an inner node.
			let node = NodeProof {
				level: 0,
				index: 0,
				left: SumNode::default(),
				right: SumNode::default(),
				claimed_sum: 1,
				siblings: Path::default(),
			};
			assert_noop!(
				challenge(b.id, FraudProof::InconsistentNode(node)),
				Error::<Test>::NotAnInnerNode
			);
			assert_noop!(
				challenge(7, FraudProof::WrongPrice(b.leaf(0))),
				Error::<Test>::BatchNotOpen
			);
			assert_noop!(
				Challenges::challenge(
					RuntimeOrigin::none(),
					b.id,
					Box::new(FraudProof::WrongPrice(b.leaf(0)))
				),
				DispatchError::BadOrigin
			);
		});
	}

	#[test]
	fn a_bad_worker_signature_voids_the_batch_and_slashes_half() {
		run(|| {
			let impostor = Keypair::from_secret(&[0x77; 32]).unwrap();
			let b = propose(batch_with(16, 11, |r| {
				let mut s = sign(r);
				// Signed by another key than the one the receipt names.
				s.node_signature = impostor.sign(&s.receipt.message());
				s
			}));
			let info = challenge(b.id, FraudProof::BadWorkerSignature(b.leaf(10))).unwrap();
			assert_eq!(info.pays_fee, Pays::No);
			assert_punished(&b, FraudKind::BadWorkerSignature, p(50));
		});
	}

	#[test]
	fn a_malleated_worker_signature_proves_a_bad_worker_signature() {
		// A high-s twin and a v + 27 alias recover the receipt key in libsecp256k1, but only
		// the canonical form is valid: a worker that puts either in a leaf is caught.
		for malleate in [high_s_twin as fn(&Signature) -> Signature, |s: &Signature| {
			let mut alias = *s;
			alias[64] += 27;
			alias
		}] {
			run(|| {
				let b = propose(batch_with(6, 4, |r| {
					let mut s = sign(r);
					s.node_signature = malleate(&s.node_signature);
					s
				}));
				assert_ok!(challenge(b.id, FraudProof::BadWorkerSignature(b.leaf(3))));
				assert_punished(&b, FraudKind::BadWorkerSignature, p(50));
			});
		}
	}

	#[test]
	fn a_malleated_gateway_signature_proves_a_bad_authorisation() {
		proves_bad_authorisation(|r| {
			let mut s = sign(r);
			s.gateway_signature = high_s_twin(&s.gateway_signature);
			s
		});
	}

	#[test]
	fn a_receipt_of_another_receipt_key_is_forged_even_if_its_signature_verifies() {
		run(|| {
			let other = Keypair::from_secret(&[0x78; 32]).unwrap();
			let b = propose(batch_with(5, 3, |mut r| {
				r.node_pubkey = other.public();
				sign_with(r, &other, &gateway_key())
			}));
			assert_ok!(challenge(b.id, FraudProof::BadWorkerSignature(b.leaf(2))));
			assert_punished(&b, FraudKind::BadWorkerSignature, p(50));
		});
	}

	fn proves_bad_authorisation(tamper: impl Fn(Receipt) -> SignedReceipt) {
		run(|| {
			let b = propose(batch_with(6, 2, tamper));
			assert_ok!(challenge(b.id, FraudProof::BadAuthorisation(b.leaf(1))));
			assert_punished(&b, FraudKind::BadAuthorisation, p(50));
		});
	}

	#[test]
	fn a_gateway_key_the_payer_never_authorised() {
		let rogue = Keypair::from_secret(&[0x79; 32]).unwrap();
		proves_bad_authorisation(|r| sign_with(r, &receipt_key(), &rogue));
	}

	#[test]
	fn a_garbled_gateway_signature() {
		proves_bad_authorisation(|r| {
			let mut s = sign(r);
			s.gateway_signature = [0xff; 65];
			s
		});
	}

	#[test]
	fn a_receipt_for_another_payer() {
		proves_bad_authorisation(|mut r| {
			r.payer = account_bytes(&STRANGER);
			sign(r)
		});
	}

	#[test]
	fn a_price_above_the_authorised_cap() {
		proves_bad_authorisation(|mut r| {
			r.max_price = r.price - 1;
			sign(r)
		});
	}

	#[test]
	fn a_receipt_completed_after_expiry() {
		proves_bad_authorisation(|mut r| {
			r.expires_at_ms = r.timestamp_ms - 1;
			sign(r)
		});
	}

	#[test]
	fn a_receipt_of_another_chain() {
		proves_bad_authorisation(|mut r| {
			r.chain_id = CHAIN_ID + 1;
			sign(r)
		});
	}

	#[test]
	fn revoking_a_key_after_the_proposal_does_not_make_receipts_fraudulent() {
		run(|| {
			let b = propose(honest_batch(4));
			BatchesMock::revoke_gateway_key(PAYER, gateway_key().public());
			System::set_block_number(System::block_number() + REVOCATION_DELAY + 1);
			assert_noop!(
				challenge(b.id, FraudProof::BadAuthorisation(b.leaf(0))),
				Error::<Test>::NoFraud
			);
		});
	}

	#[test]
	fn a_key_revoked_before_the_proposal_authorises_nothing() {
		run(|| {
			BatchesMock::add_gateway_key(PAYER, gateway_key().public());
			BatchesMock::revoke_gateway_key(PAYER, gateway_key().public());
			System::set_block_number(System::block_number() + REVOCATION_DELAY);
			let b = propose(honest_batch(4));
			assert_ok!(challenge(b.id, FraudProof::BadAuthorisation(b.leaf(3))));
			assert_punished(&b, FraudKind::BadAuthorisation, p(50));
		});
	}

	#[test]
	fn an_overpriced_receipt_is_double_billing() {
		run(|| {
			let b = propose(batch_with(7, 7, |mut r| {
				r.price += 1;
				sign(r)
			}));
			assert_ok!(challenge(b.id, FraudProof::WrongPrice(b.leaf(6))));
			assert_punished(&b, FraudKind::WrongPrice, p(30));
		});
	}

	#[test]
	fn quoting_another_pricing_policy_is_double_billing() {
		run(|| {
			let b = propose(batch_with(3, 1, |mut r| {
				r.policy_hash = [0xaa; 32];
				sign(r)
			}));
			assert_ok!(challenge(b.id, FraudProof::WrongPrice(b.leaf(0))));
			assert_punished(&b, FraudKind::WrongPrice, p(30));
		});
	}

	#[test]
	fn a_counter_billed_twice_is_a_replay() {
		run(|| {
			// Counters 1, 2, 3, 3, 5, …: receipt 4 repeats counter 3 (another request).
			let b = propose(batch_with(10, 4, |mut r| {
				r.counter = 3;
				sign(r)
			}));
			assert_ok!(challenge(
				b.id,
				FraudProof::DuplicateCounter { first: b.leaf(2), second: b.leaf(3) }
			));
			assert_punished(&b, FraudKind::DuplicateCounter, p(50));
		});
	}

	#[test]
	fn a_counter_outside_the_declared_range_is_a_replay() {
		run(|| {
			// Leaves carry counters 1..=6 but the batch claims 2..=7 (7 - 2 + 1 ≥ 6 leaves).
			let b = propose_with_range(honest_batch(6), Some((2, 7)));
			assert_noop!(
				challenge(b.id, FraudProof::CounterOutOfRange(b.leaf(1))),
				Error::<Test>::NoFraud
			);
			assert_ok!(challenge(b.id, FraudProof::CounterOutOfRange(b.leaf(0))));
			assert_punished(&b, FraudKind::CounterOutOfRange, p(50));
		});
	}

	#[test]
	fn an_inflated_inner_sum_is_proven_with_its_children() {
		run(|| {
			// A 6-leaf tree whose node (1, 1) claims 1,000 more than its children.
			let receipts = honest_batch(6);
			let leaves: Vec<SumNode> = receipts.iter().map(merkle::leaf).collect();
			let mut levels = vec![leaves];
			while levels.last().unwrap().len() > 1 {
				let below = levels.last().unwrap();
				let level = levels.len();
				let above: Vec<SumNode> = below
					.chunks(2)
					.enumerate()
					.map(|(i, pair)| match pair {
						[l, r] => {
							let extra = if (level, i) == (1, 1) { 1_000 } else { 0 };
							SumNode { hash: merkle::node_hash(l, r), sum: l.sum + r.sum + extra }
						},
						[single] => *single,
						_ => unreachable!(),
					})
					.collect();
				levels.push(above);
			}
			let root = levels.last().unwrap()[0];
			let id = BatchesMock::propose(HOT, PAYER, MODEL, V1, (1, 6), root, 6);
			// Path of node (1, 1): its sibling on level 1 is (1, 0), on level 2 it is (2, 1).
			let siblings = vec![levels[1][0], levels[2][1]];
			let node = NodeProof {
				level: 1,
				index: 1,
				left: levels[0][2],
				right: levels[0][3],
				claimed_sum: levels[1][1].sum,
				siblings: BoundedVec::truncate_from(siblings),
			};
			assert_ok!(challenge(id, FraudProof::InconsistentNode(node)));
			let total = root.sum;
			let slashed = WORKER_STAKE / 2;
			assert_eq!(
				last_event(),
				Event::FraudProven {
					batch: id,
					kind: FraudKind::InconsistentNode,
					challenger: CHALLENGER,
					worker: HOT,
					slashed,
					bounty: (slashed / 10).min(MAX_BOUNTY).min(total),
				}
			);
			assert_eq!(BatchesMock::calls(), vec![BatchCall::Void(id)]);
		});
	}

	#[test]
	fn the_window_closes_for_proofs() {
		run(|| {
			let b = propose(batch_with(4, 2, |mut r| {
				r.price += 5;
				sign(r)
			}));
			let until = BatchesMock::batch(b.id).unwrap().challenge_until;
			System::set_block_number(until + 1);
			assert_noop!(
				challenge(b.id, FraudProof::WrongPrice(b.leaf(1))),
				Error::<Test>::BatchNotOpen
			);
		});
	}

	#[test]
	fn a_fraud_deep_in_a_large_batch_costs_one_path() {
		run(|| {
			let b = propose(batch_with(2_000, 1_337, |mut r| {
				r.price += 1;
				sign(r)
			}));
			let proof = FraudProof::WrongPrice(b.leaf(1_336));
			assert_eq!(proof.depth(), 11);
			assert_ok!(challenge(b.id, proof));
			assert_punished(&b, FraudKind::WrongPrice, p(30));
		});
	}
}

mod disputes {
	use super::*;

	/// Opens a dispute over `b` and moves to its draw block; returns the committee drawn.
	fn open(b: &Proposed, kind: DisputeKind) -> Vec<AccountId> {
		assert_ok!(Challenges::open_dispute(
			RuntimeOrigin::signed(CHALLENGER),
			b.id,
			kind,
			[5; 32]
		));
		draw();
		Disputes::<Test>::get(b.id).unwrap().committee.iter().map(|(m, _)| *m).collect()
	}

	/// The challenger opens a `Result` dispute over batch `id`.
	fn request(
		id: u64,
	) -> sp_runtime::DispatchResultWithInfo<frame_support::dispatch::PostDispatchInfo> {
		Challenges::open_dispute(
			RuntimeOrigin::signed(CHALLENGER),
			id,
			DisputeKind::Result,
			[5; 32],
		)
	}

	/// Moves `DRAW_DELAY` blocks on, where the committees of disputes opened now are drawn.
	fn draw() {
		use frame_support::traits::Hooks;
		let at = System::block_number() + DRAW_DELAY;
		System::set_block_number(at);
		Challenges::on_initialize(at);
	}

	fn bond_held() -> Balance {
		Balances::balance_on_hold(
			&RuntimeHoldReason::Challenges(HoldReason::DisputeBond),
			&CHALLENGER,
		)
	}

	#[test]
	fn opening_draws_a_committee_holds_the_bond_and_freezes_the_batch() {
		run(|| {
			let b = propose(honest_batch(5));
			let committee = open(&b, DisputeKind::Result);
			assert_eq!(committee.len(), 3);
			let arbiters: Vec<AccountId> = ARBITERS.iter().map(|(a, _)| *a).collect();
			assert!(committee.iter().all(|m| arbiters.contains(m)), "only staked arbiters sit");
			assert!(!committee.contains(&HOT), "the accused never judges itself");
			assert_eq!(bond_held(), BOND);
			assert_eq!(BatchesMock::batch(b.id).unwrap().status, BatchStatus::Disputed);
			assert_eq!(BatchesMock::calls(), vec![BatchCall::Freeze(b.id)]);
			assert_eq!(
				last_event(),
				Event::DisputeOpened {
					batch: b.id,
					kind: DisputeKind::Result,
					challenger: CHALLENGER,
					evidence: [5; 32],
					committee,
					voting_ends: 1 + DRAW_DELAY + VOTING,
				}
			);
			assert!(events().contains(&Event::DisputeRequested {
				batch: b.id,
				kind: DisputeKind::Result,
				challenger: CHALLENGER,
				evidence: [5; 32],
				draw_at: 1 + DRAW_DELAY,
			}));
			assert_noop!(
				Challenges::open_dispute(
					RuntimeOrigin::signed(CHALLENGER),
					b.id,
					DisputeKind::Metering,
					[5; 32]
				),
				Error::<Test>::AlreadyDisputed
			);
		});
	}

	#[test]
	fn an_emergency_freeze_opens_a_bondless_dispute_the_committee_judges() {
		run(|| {
			let b = propose(honest_batch(5));
			assert_noop!(
				Challenges::freeze_batch(
					RuntimeOrigin::signed(CHALLENGER),
					b.id,
					DisputeKind::Result,
					[6; 32]
				),
				DispatchError::BadOrigin
			);
			let treasury = free(TREASURY);
			assert_ok!(Challenges::freeze_batch(
				RuntimeOrigin::signed(COUNCIL),
				b.id,
				DisputeKind::Result,
				[6; 32]
			));
			assert_eq!(BatchesMock::batch(b.id).unwrap().status, BatchStatus::Disputed);
			draw();
			let dispute = Disputes::<Test>::get(b.id).unwrap();
			assert_eq!((dispute.challenger, dispute.bond), (TREASURY, 0));
			assert_eq!(BatchesMock::batch(b.id).unwrap().status, BatchStatus::Disputed);
			assert_eq!(free(TREASURY), treasury, "the treasury posts no bond");
			assert_noop!(
				Challenges::freeze_batch(
					RuntimeOrigin::signed(COUNCIL),
					b.id,
					DisputeKind::Result,
					[6; 32]
				),
				Error::<Test>::AlreadyDisputed
			);
			// Judged like any dispute: upheld, the batch is voided and the bounty is the
			// treasury's.
			let committee: Vec<AccountId> = dispute.committee.iter().map(|(m, _)| *m).collect();
			assert_ok!(Challenges::vote(RuntimeOrigin::signed(committee[0]), b.id, true));
			assert_ok!(Challenges::vote(RuntimeOrigin::signed(committee[1]), b.id, true));
			assert_ok!(Challenges::close_dispute(RuntimeOrigin::signed(PAYER), b.id));
			assert_eq!(BatchesMock::batch(b.id).unwrap().status, BatchStatus::Voided);
			assert_eq!(ViolationsMock::reports()[0].reporter, Some(TREASURY));
		});
	}

	#[test]
	fn a_rejected_emergency_freeze_releases_the_batch_and_forfeits_nothing() {
		run(|| {
			let b = propose(honest_batch(5));
			assert_ok!(Challenges::freeze_batch(
				RuntimeOrigin::signed(COUNCIL),
				b.id,
				DisputeKind::Metering,
				[6; 32]
			));
			draw();
			let committee: Vec<AccountId> =
				Disputes::<Test>::get(b.id).unwrap().committee.iter().map(|(m, _)| *m).collect();
			let owner = free(WORKER_OWNER);
			assert_ok!(Challenges::vote(RuntimeOrigin::signed(committee[0]), b.id, false));
			assert_ok!(Challenges::vote(RuntimeOrigin::signed(committee[1]), b.id, false));
			assert_ok!(Challenges::close_dispute(RuntimeOrigin::signed(PAYER), b.id));
			assert_eq!(
				last_event(),
				Event::DisputeRejected { batch: b.id, to_defendant: 0, to_treasury: 0 }
			);
			assert_eq!(BatchesMock::batch(b.id).unwrap().status, BatchStatus::Challenge);
			assert_eq!(free(WORKER_OWNER), owner);
		});
	}

	#[test]
	fn an_upheld_dispute_voids_punishes_and_returns_the_bond() {
		run(|| {
			let b = propose(honest_batch(5));
			let committee = open(&b, DisputeKind::Result);
			assert_ok!(Challenges::vote(RuntimeOrigin::signed(committee[0]), b.id, true));
			assert_noop!(
				Challenges::close_dispute(RuntimeOrigin::signed(PAYER), b.id),
				Error::<Test>::VotingOpen
			);
			assert_ok!(Challenges::vote(RuntimeOrigin::signed(committee[1]), b.id, true));
			assert_eq!(
				last_event(),
				Event::Voted { batch: b.id, member: committee[1], uphold: true }
			);
			// Two of three uphold: decided before the period ends.
			assert_ok!(Challenges::close_dispute(RuntimeOrigin::signed(PAYER), b.id));
			let slashed = WORKER_STAKE / 10;
			let bounty = slashed / 10;
			assert_eq!(last_event(), Event::DisputeUpheld { batch: b.id, slashed, bounty });
			assert_eq!(BatchesMock::batch(b.id).unwrap().status, BatchStatus::Voided);
			assert_eq!(bond_held(), 0);
			// The bond is back; the bounty is slashing's to pay, to the reporter named here.
			assert_eq!(free(CHALLENGER), 100_000);
			assert_eq!(
				ViolationsMock::reports(),
				vec![Report {
					offender: HOT,
					violation: Violation::SpotCheckFailure,
					reporter: Some(CHALLENGER),
					bounty_cap: b.tree.root().sum,
				}]
			);
			assert_eq!(BatchesMock::calls(), vec![BatchCall::Freeze(b.id), BatchCall::Void(b.id)]);
			assert_eq!(WorkersMock::penalties(), vec![], "no penalty before the period ends");
			assert!(Disputes::<Test>::get(b.id).is_none());
		});
	}

	#[test]
	fn a_rejected_dispute_forfeits_the_bond_and_releases_the_batch() {
		run(|| {
			let b = propose(honest_batch(5));
			let committee = open(&b, DisputeKind::Metering);
			assert_ok!(Challenges::vote(RuntimeOrigin::signed(committee[0]), b.id, false));
			let silent = [committee[1], committee[2]];
			let (owner, treasury) = (free(WORKER_OWNER), free(TREASURY));
			System::set_block_number(1 + DRAW_DELAY + VOTING + 1);
			assert_noop!(
				Challenges::vote(RuntimeOrigin::signed(committee[1]), b.id, true),
				Error::<Test>::VotingClosed
			);
			assert_ok!(Challenges::close_dispute(RuntimeOrigin::signed(PAYER), b.id));
			assert!(events().contains(&Event::DisputeRejected {
				batch: b.id,
				to_defendant: BOND / 2,
				to_treasury: BOND / 2
			}));
			assert_eq!(free(WORKER_OWNER), owner + BOND / 2);
			assert_eq!(free(TREASURY), treasury + BOND / 2);
			assert_eq!(free(CHALLENGER), 100_000 - BOND);
			assert_eq!(
				WorkersMock::penalties(),
				silent
					.iter()
					.map(|m| Penalty::ReduceReputation(*m, Perbill::from_percent(5)))
					.collect::<Vec<_>>()
			);
			for member in &silent {
				assert!(
					events().contains(&Event::NonVoterPenalised { batch: b.id, member: *member })
				);
			}
			assert_eq!(ViolationsMock::reports(), vec![], "the worker is not punished");
			// Released back into its window, which pallet-receipts settles once it ends.
			assert_eq!(BatchesMock::batch(b.id).unwrap().status, BatchStatus::Challenge);
			assert_eq!(
				BatchesMock::calls(),
				vec![BatchCall::Freeze(b.id), BatchCall::Release(b.id)]
			);
		});
	}

	#[test]
	fn nobody_voting_returns_the_bond() {
		run(|| {
			let b = propose(honest_batch(5));
			open(&b, DisputeKind::Result);
			System::set_block_number(1 + DRAW_DELAY + VOTING + 1);
			assert_ok!(Challenges::close_dispute(RuntimeOrigin::signed(HOT), b.id));
			assert!(events().contains(&Event::DisputeInconclusive { batch: b.id }));
			assert_eq!(free(CHALLENGER), 100_000);
			assert_eq!(
				events().iter().filter(|e| matches!(e, Event::NonVoterPenalised { .. })).count(),
				3
			);
			assert_eq!(BatchesMock::batch(b.id).unwrap().status, BatchStatus::Challenge);
		});
	}

	#[test]
	fn a_fraud_proof_moots_a_running_dispute() {
		run(|| {
			let b = propose(batch_with(4, 2, |mut r| {
				r.price += 3;
				sign(r)
			}));
			open(&b, DisputeKind::Metering);
			// Window passes during the dispute: the proof still lands on the frozen batch.
			let until = BatchesMock::batch(b.id).unwrap().challenge_until;
			System::set_block_number(until + 5);
			assert_ok!(challenge(b.id, FraudProof::WrongPrice(b.leaf(1))));
			assert!(events().contains(&Event::DisputeMooted { batch: b.id }));
			assert_eq!(bond_held(), 0);
			assert!(Disputes::<Test>::get(b.id).is_none());
			assert_punished(&b, FraudKind::WrongPrice, p(30));
		});
	}

	#[test]
	fn votes_only_from_members_and_only_once() {
		run(|| {
			let b = propose(honest_batch(5));
			let committee = open(&b, DisputeKind::Result);
			let outsider =
				ARBITERS.iter().map(|(a, _)| *a).find(|a| !committee.contains(a)).unwrap();
			assert_noop!(
				Challenges::vote(RuntimeOrigin::signed(outsider), b.id, true),
				Error::<Test>::NotCommitteeMember
			);
			assert_ok!(Challenges::vote(RuntimeOrigin::signed(committee[0]), b.id, false));
			assert_noop!(
				Challenges::vote(RuntimeOrigin::signed(committee[0]), b.id, true),
				Error::<Test>::AlreadyVoted
			);
			assert_noop!(
				Challenges::vote(RuntimeOrigin::signed(committee[0]), b.id + 1, true),
				Error::<Test>::NoDispute
			);
			assert_noop!(
				Challenges::close_dispute(RuntimeOrigin::signed(PAYER), b.id + 1),
				Error::<Test>::NoDispute
			);
		});
	}

	/// The committee drawn for a dispute opened in block 1 over a fresh batch, when the
	/// block before the draw reveals `entropy`.
	fn committee_for(entropy: u64) -> Vec<AccountId> {
		let mut committee = Vec::new();
		run(|| {
			let b = propose(honest_batch(5));
			assert_ok!(request(b.id));
			// At the opening nothing is drawn: a challenger sees no committee to like or not.
			assert!(Disputes::<Test>::get(b.id).unwrap().committee.is_empty());
			assert_eq!(crate::DrawQueue::<Test>::get(1 + DRAW_DELAY).into_inner(), vec![b.id]);
			RevealedEntropy::set(&entropy);
			draw();
			committee =
				Disputes::<Test>::get(b.id).unwrap().committee.iter().map(|m| m.0).collect();
		});
		committee
	}

	/// The attack: a challenger who opens in the block of its choice, with everything known
	/// at that block fixed, still cannot tell who will judge. The same opening gives
	/// different committees as the randomness revealed after it varies.
	#[test]
	fn a_committee_cannot_be_predicted_at_the_opening_block() {
		let committees: std::collections::BTreeSet<Vec<AccountId>> =
			(0..8).map(committee_for).collect();
		assert!(committees.len() > 1, "the draw ignores what is revealed after the opening");
		// And for the same revealed randomness, the same committee: the draw is a function
		// of the chain's state, which every node computes alike.
		assert_eq!(committee_for(3), committee_for(3));
	}

	#[test]
	fn an_undrawn_dispute_takes_no_votes_and_cannot_be_closed() {
		run(|| {
			let b = propose(honest_batch(5));
			assert_ok!(request(b.id));
			assert_noop!(
				Challenges::vote(RuntimeOrigin::signed(ARBITERS[0].0), b.id, true),
				Error::<Test>::CommitteeNotDrawn
			);
			assert_noop!(
				Challenges::close_dispute(RuntimeOrigin::signed(PAYER), b.id),
				Error::<Test>::CommitteeNotDrawn
			);
			assert_eq!(bond_held(), BOND);
		});
	}

	#[test]
	fn arbiters_leaving_before_the_draw_release_the_batch_and_the_bond() {
		run(|| {
			let b = propose(honest_batch(5));
			assert_ok!(request(b.id));
			for (hot, _) in &ARBITERS[1..] {
				WorkersMock::set_active(*hot, false);
			}
			draw();
			assert_eq!(last_event(), Event::DisputeUndrawn { batch: b.id });
			assert!(Disputes::<Test>::get(b.id).is_none());
			assert_eq!(bond_held(), 0);
			assert_eq!(BatchesMock::batch(b.id).unwrap().status, BatchStatus::Challenge);
		});
	}

	#[test]
	fn each_block_draws_at_most_its_share_of_committees() {
		run(|| {
			let batches: Vec<Proposed> = (0..3).map(|_| propose(honest_batch(2))).collect();
			for b in &batches[..MAX_DRAWS_PER_BLOCK as usize] {
				assert_ok!(request(b.id));
			}
			assert_noop!(request(batches[2].id), Error::<Test>::DrawsFull);
			draw();
			for b in &batches[..2] {
				assert!(!Disputes::<Test>::get(b.id).unwrap().committee.is_empty());
			}
			// A block later there is room again.
			assert_ok!(request(batches[2].id));
			draw();
		});
	}

	#[test]
	fn opening_failures_change_nothing() {
		run(|| {
			let b = propose(honest_batch(5));
			// Not enough funds for the bond.
			assert_noop!(
				Challenges::open_dispute(
					RuntimeOrigin::signed(999),
					b.id,
					DisputeKind::Result,
					[5; 32]
				),
				sp_runtime::TokenError::FundsUnavailable
			);
			assert_noop!(
				Challenges::open_dispute(
					RuntimeOrigin::signed(CHALLENGER),
					42,
					DisputeKind::Result,
					[5; 32]
				),
				Error::<Test>::BatchNotOpen
			);
			// Only one eligible arbiter left.
			for (hot, _) in &ARBITERS[1..] {
				WorkersMock::set_active(*hot, false);
			}
			assert_noop!(
				Challenges::open_dispute(
					RuntimeOrigin::signed(CHALLENGER),
					b.id,
					DisputeKind::Result,
					[5; 32]
				),
				Error::<Test>::NotEnoughArbiters
			);
		});
	}
}

mod availability {
	use super::*;
	use pallet_receipts::BatchAudit;

	fn ask(id: u64, index: u64) -> sp_runtime::DispatchResult {
		Challenges::challenge_availability(RuntimeOrigin::signed(CHALLENGER), id, index)
	}

	fn answer(id: u64, proof: LeafProof) -> sp_runtime::DispatchResult {
		Challenges::answer_availability(RuntimeOrigin::signed(HOT), id, Box::new(proof))
	}

	fn expire(id: u64) -> sp_runtime::DispatchResult {
		Challenges::expire_availability(RuntimeOrigin::signed(PAYER), id)
	}

	fn held() -> Balance {
		Balances::balance_on_hold(
			&RuntimeHoldReason::Challenges(HoldReason::AvailabilityBond),
			&CHALLENGER,
		)
	}

	fn holds(id: u64) -> bool {
		<Challenges as BatchAudit<AccountId, BlockNumber>>::holds_settlement(id)
	}

	#[test]
	fn a_leaf_posted_in_time_pays_the_bond_to_the_worker_and_lifts_the_hold() {
		run(|| {
			let b = propose(honest_batch(5));
			assert_ok!(ask(b.id, 3));
			assert_eq!(held(), DA_BOND);
			assert!(holds(b.id), "the batch is not paid while its leaf is asked for");
			assert_eq!(
				last_event(),
				Event::AvailabilityChallenged {
					batch: b.id,
					index: 3,
					challenger: CHALLENGER,
					deadline: 1 + ANSWER_PERIOD,
				}
			);

			// Another leaf, or the right leaf with a path that does not lead to the root,
			// answers nothing.
			assert_noop!(answer(b.id, b.leaf(2)), Error::<Test>::OtherLeaf);
			let mut forged = b.leaf(3);
			forged.receipt = b.receipts[1].clone();
			assert_noop!(answer(b.id, forged), Error::<Test>::NotInBatch);

			System::set_block_number(1 + ANSWER_PERIOD);
			assert_noop!(expire(b.id), Error::<Test>::AnswerPeriodOpen);
			let owner_before = free(WORKER_OWNER);
			let challenger_before = free(CHALLENGER);
			assert_ok!(answer(b.id, b.leaf(3)));
			assert_eq!(free(WORKER_OWNER) - owner_before, DA_BOND);
			assert_eq!(free(CHALLENGER), challenger_before, "the bond was the worker's");
			assert_eq!(held(), 0);
			assert!(!holds(b.id));
			assert_eq!(
				last_event(),
				Event::AvailabilityAnswered { batch: b.id, index: 3, to_worker: DA_BOND }
			);
			assert_eq!(BatchesMock::batch(b.id).unwrap().status, BatchStatus::Challenge);
			assert!(ViolationsMock::reports().is_empty());
			assert_noop!(answer(b.id, b.leaf(3)), Error::<Test>::NotAsked);
			assert_noop!(expire(b.id), Error::<Test>::NotAsked);
			// Answered, the batch may be asked again, for another leaf, while in its window.
			assert_ok!(ask(b.id, 0));
		});
	}

	#[test]
	fn asking_fails_for_closed_batches_missing_leaves_and_twice() {
		run(|| {
			let b = propose(honest_batch(2));
			assert_noop!(ask(b.id, 2), Error::<Test>::NoSuchLeaf);
			assert_noop!(ask(b.id + 1, 0), Error::<Test>::BatchNotOpen);
			assert_noop!(
				Challenges::challenge_availability(RuntimeOrigin::signed(DEV), b.id, 0),
				sp_runtime::TokenError::FundsUnavailable
			);
			assert_ok!(ask(b.id, 1));
			assert_noop!(ask(b.id, 0), Error::<Test>::AlreadyAsked);
			let late = propose(honest_batch(2));
			System::set_block_number(1 + WINDOW + 1);
			assert_noop!(ask(late.id, 0), Error::<Test>::BatchNotOpen);
		});
	}

	#[test]
	fn a_leaf_not_posted_voids_the_batch_past_its_window_and_slashes_the_worker() {
		run(|| {
			let b = propose(honest_batch(4));
			// Asked in the window's last block: the deadline is past the window.
			System::set_block_number(1 + WINDOW);
			assert_ok!(ask(b.id, 1));
			let deadline = 1 + WINDOW + ANSWER_PERIOD;
			System::set_block_number(deadline + 1);
			assert_noop!(answer(b.id, b.leaf(1)), Error::<Test>::AnswerPeriodOver);
			let challenger_before = free(CHALLENGER);
			assert_ok!(expire(b.id));

			assert_eq!(BatchesMock::batch(b.id).unwrap().status, BatchStatus::Voided);
			assert_eq!(held(), 0);
			assert_eq!(free(CHALLENGER) - challenger_before, DA_BOND, "the bond came back");
			let total: RawBalance = b.tree.root().sum;
			assert_eq!(
				ViolationsMock::reports(),
				vec![Report {
					offender: HOT,
					violation: Violation::WithheldData,
					reporter: Some(CHALLENGER),
					bounty_cap: total,
				}]
			);
			// A first offence of severity 5 under the stub's 10 % base rate.
			let slashed = p(50).mul_floor(WORKER_STAKE);
			let bounty = (slashed / 10).min(MAX_BOUNTY).min(total);
			let events = events();
			assert_eq!(
				events[events.len() - 2..],
				[
					Event::AvailabilityReleased {
						batch: b.id,
						challenger: CHALLENGER,
						bond: DA_BOND
					},
					Event::AvailabilityExpired { batch: b.id, worker: HOT, slashed, bounty },
				]
			);
			assert_noop!(expire(b.id), Error::<Test>::NotAsked);
		});
	}

	#[test]
	fn a_fraud_proof_while_a_leaf_is_asked_for_voids_the_batch_and_returns_the_bond() {
		run(|| {
			let b = propose(batch_with(3, 2, |mut r| {
				r.price += 1;
				sign(r)
			}));
			assert_ok!(ask(b.id, 0));
			assert_ok!(challenge(b.id, FraudProof::WrongPrice(b.leaf(1))));
			assert_eq!(held(), 0);
			assert!(!holds(b.id));
			assert!(events().contains(&Event::AvailabilityReleased {
				batch: b.id,
				challenger: CHALLENGER,
				bond: DA_BOND
			}));
			assert_noop!(answer(b.id, b.leaf(0)), Error::<Test>::NotAsked);
		});
	}
}
