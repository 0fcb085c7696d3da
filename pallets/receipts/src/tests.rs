#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use crate::{
	mock::*, BatchControl, BatchInspect, BatchStatus, Batches, Error, Escrows, Event,
	GatewayKeyCount, GatewayKeys, HoldReason, LastCounter, Params, SettlementParams,
};
use ail2_primitives::{
	billing::{receipt_price, Usage},
	merkle::MerkleSumTree,
	receipt::{Receipt, SemVer, SignedReceipt},
	Hash,
};
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold, BoundedVec};
use pallet_models::ModelInspect;
use sp_runtime::{DispatchError, TokenError};

fn held(who: AccountId) -> Balance {
	<Balances as InspectHold<_>>::balance_on_hold(
		&RuntimeHoldReason::Receipts(HoldReason::Escrow),
		&who,
	)
}

fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}

fn url() -> BoundedVec<u8, crate::MaxUrlLen> {
	BoundedVec::truncate_from(b"https://w.example/batches/1".to_vec())
}

/// `n` receipts of V1 with counters `first..first+n`, priced by the model's billing function
/// and signed by the worker and the payer's gateway.
fn receipts(first: u64, n: u64) -> Vec<SignedReceipt> {
	receipts_of(V1, first..first + n)
}

/// Receipts of `version` with `counters`, priced and signed as [`receipts`] does.
fn receipts_of(version: SemVer, counters: impl IntoIterator<Item = u64>) -> Vec<SignedReceipt> {
	let (policy, policy_hash) = ModelsMock::pricing(MODEL, &version).unwrap();
	let worker = receipt_key();
	let gateway = gateway_key();
	counters
		.into_iter()
		.map(|counter| {
			let usage =
				Usage { tokens_in: 100 + (counter % 900) as u32, tokens_out: 50, gpu_ms: 400 };
			let price = receipt_price(&policy, &usage);
			let receipt = Receipt {
				project_id: 1,
				model_id: MODEL,
				version,
				timestamp_ms: 1_000 + counter,
				tokens_in: usage.tokens_in,
				tokens_out: usage.tokens_out,
				gpu_ms: usage.gpu_ms,
				bytes_in: 1_000,
				bytes_out: 500,
				price,
				chain_id: 1,
				route_id: ail2_primitives::keccak256(&counter.to_le_bytes()),
				counter,
				node_pubkey: worker.public(),
				payer: [PAYER as u8; 32],
				policy_hash,
				max_price: price * 2,
				expires_at_ms: 10_000_000,
				transcript: ail2_primitives::transcript::no_transcript(),
			};
			let node_signature = worker.sign(&receipt.message());
			let gateway_signature = gateway.sign(&receipt.authorisation().message());
			SignedReceipt { receipt, node_signature, gateway_signature }
		})
		.collect()
}

/// Proposes a batch over `receipts` and returns its id.
fn propose(receipts: &[SignedReceipt]) -> Result<u64, DispatchError> {
	let tree = MerkleSumTree::from_receipts(receipts).unwrap();
	let id = crate::NextBatchId::<Test>::get();
	let first = receipts.first().unwrap().receipt.counter;
	let last = receipts.last().unwrap().receipt.counter;
	Receipts::propose_batch(
		RuntimeOrigin::signed(HOT),
		PAYER,
		MODEL,
		receipts.first().unwrap().receipt.version,
		first,
		last,
		tree.root().hash,
		tree.root().sum,
		tree.leaves(),
		[9u8; 32],
		url(),
	)?;
	Ok(id)
}

fn propose_raw(first: u64, last: u64, total: Balance, count: u64) -> sp_runtime::DispatchResult {
	Receipts::propose_batch(
		RuntimeOrigin::signed(HOT),
		PAYER,
		MODEL,
		V1,
		first,
		last,
		[7u8; 32],
		total,
		count,
		[9u8; 32] as Hash,
		url(),
	)
}

mod escrow {
	use super::*;

	#[test]
	fn deposit_holds_funds() {
		run(|| {
			assert_ok!(Receipts::deposit(RuntimeOrigin::signed(PAYER), 50_000));
			assert_eq!(held(PAYER), 50_000);
			assert_eq!(Receipts::free_escrow(&PAYER), 50_000);
			assert_eq!(last_event(), Event::Deposited { payer: PAYER, amount: 50_000 }.into());
			assert_noop!(
				Receipts::deposit(RuntimeOrigin::signed(PAYER), 0),
				Error::<Test>::ZeroAmount
			);
			assert_noop!(
				Receipts::deposit(RuntimeOrigin::signed(PAYER), 1_000_000_000),
				TokenError::FundsUnavailable
			);
		});
	}

	#[test]
	fn withdrawal_waits_for_the_delay() {
		run(|| {
			assert_ok!(Receipts::deposit(RuntimeOrigin::signed(PAYER), 50_000));
			assert_ok!(Receipts::request_withdrawal(RuntimeOrigin::signed(PAYER), 20_000));
			assert_eq!(
				last_event(),
				Event::WithdrawalRequested { payer: PAYER, amount: 20_000, unlock_at: 101 }.into()
			);
			assert_eq!(Receipts::free_escrow(&PAYER), 30_000, "leaving escrow backs no batch");
			assert_noop!(
				Receipts::withdraw(RuntimeOrigin::signed(PAYER)),
				Error::<Test>::WithdrawalLocked
			);
			assert_noop!(
				Receipts::request_withdrawal(RuntimeOrigin::signed(PAYER), 1),
				Error::<Test>::WithdrawalPending
			);
			System::set_block_number(101);
			assert_ok!(Receipts::withdraw(RuntimeOrigin::signed(PAYER)));
			assert_eq!(held(PAYER), 30_000);
			assert_eq!(last_event(), Event::Withdrawn { payer: PAYER, amount: 20_000 }.into());
			assert_noop!(
				Receipts::withdraw(RuntimeOrigin::signed(PAYER)),
				Error::<Test>::NoWithdrawal
			);
		});
	}

	#[test]
	fn withdrawal_failures() {
		run(|| {
			assert_noop!(
				Receipts::request_withdrawal(RuntimeOrigin::signed(PAYER), 1),
				Error::<Test>::NoEscrow
			);
			assert_noop!(Receipts::withdraw(RuntimeOrigin::signed(PAYER)), Error::<Test>::NoEscrow);
			assert_ok!(Receipts::deposit(RuntimeOrigin::signed(PAYER), 10_000));
			assert_noop!(
				Receipts::request_withdrawal(RuntimeOrigin::signed(PAYER), 0),
				Error::<Test>::ZeroAmount
			);
			assert_noop!(
				Receipts::request_withdrawal(RuntimeOrigin::signed(PAYER), 10_001),
				Error::<Test>::InsufficientEscrow
			);
			// Escrow reserved by an open batch cannot leave.
			assert_ok!(propose_raw(1, 10, 6_000, 10));
			assert_noop!(
				Receipts::request_withdrawal(RuntimeOrigin::signed(PAYER), 4_001),
				Error::<Test>::InsufficientEscrow
			);
			assert_ok!(Receipts::request_withdrawal(RuntimeOrigin::signed(PAYER), 4_000));
		});
	}
}

mod gateway_keys {
	use super::*;

	fn valid_at(key: &[u8; 33], at: u64) -> bool {
		Receipts::gateway_key_valid_at(&PAYER, key, at)
	}

	#[test]
	fn add_revoke_and_purge() {
		run(|| {
			System::set_block_number(10);
			let key = gateway_key().public();
			assert_ok!(Receipts::add_gateway_key(RuntimeOrigin::signed(PAYER), key));
			assert!(valid_at(&key, 10) && !valid_at(&key, 9));
			assert!(Receipts::gateway_key_active(&PAYER, &key));
			assert!(!Receipts::gateway_key_valid_at(&STRANGER, &key, 10));
			assert_eq!(last_event(), Event::GatewayKeyAdded { payer: PAYER, key }.into());
			assert_noop!(
				Receipts::add_gateway_key(RuntimeOrigin::signed(PAYER), key),
				Error::<Test>::GatewayKeyExists
			);

			System::set_block_number(20);
			assert_ok!(Receipts::revoke_gateway_key(RuntimeOrigin::signed(PAYER), key));
			let revoked_from = 20 + REVOCATION_DELAY;
			assert_eq!(
				last_event(),
				Event::GatewayKeyRevoked { payer: PAYER, key, revoked_from }.into()
			);
			// Workers stop accepting it now; batches proposed before `revoked_from` keep it.
			assert!(!Receipts::gateway_key_active(&PAYER, &key));
			assert!(valid_at(&key, revoked_from - 1) && !valid_at(&key, revoked_from));
			assert_noop!(
				Receipts::revoke_gateway_key(RuntimeOrigin::signed(PAYER), key),
				Error::<Test>::GatewayKeyRevoked
			);
			// Its slot is taken until no batch it authorised can be challenged.
			assert_eq!(GatewayKeyCount::<Test>::get(PAYER), 1);
			let purgeable = revoked_from + MAX_CHALLENGE_WINDOW + 1;
			System::set_block_number(purgeable - 1);
			assert_noop!(
				Receipts::purge_gateway_key(RuntimeOrigin::signed(STRANGER), PAYER, key),
				Error::<Test>::GatewayKeyInUse
			);
			System::set_block_number(purgeable);
			assert_ok!(Receipts::purge_gateway_key(RuntimeOrigin::signed(STRANGER), PAYER, key));
			assert_eq!(last_event(), Event::GatewayKeyPurged { payer: PAYER, key }.into());
			assert_eq!(GatewayKeyCount::<Test>::get(PAYER), 0);
			assert!(!valid_at(&key, revoked_from - 1));
			assert_noop!(
				Receipts::revoke_gateway_key(RuntimeOrigin::signed(PAYER), key),
				Error::<Test>::UnknownGatewayKey
			);
			assert_noop!(
				Receipts::purge_gateway_key(RuntimeOrigin::signed(PAYER), PAYER, key),
				Error::<Test>::UnknownGatewayKey
			);
		});
	}

	#[test]
	fn an_unrevoked_key_cannot_be_purged() {
		run(|| {
			assert_ok!(Receipts::add_gateway_key(RuntimeOrigin::signed(PAYER), [2; 33]));
			System::set_block_number(10_000);
			assert_noop!(
				Receipts::purge_gateway_key(RuntimeOrigin::signed(STRANGER), PAYER, [2; 33]),
				Error::<Test>::GatewayKeyInUse
			);
		});
	}

	#[test]
	fn bounded_per_payer() {
		run(|| {
			assert_ok!(Receipts::add_gateway_key(RuntimeOrigin::signed(PAYER), [2; 33]));
			assert_ok!(Receipts::add_gateway_key(RuntimeOrigin::signed(PAYER), [3; 33]));
			assert_noop!(
				Receipts::add_gateway_key(RuntimeOrigin::signed(PAYER), [4; 33]),
				Error::<Test>::TooManyGatewayKeys
			);
		});
	}
}

mod batches {
	use super::*;

	#[test]
	fn window_formula_by_hand() {
		run(|| {
			// 20 + min(30, 2500/1000 + 45000/10000) = 20 + 2 + 4 = 26
			assert_eq!(Receipts::challenge_window(2_500, 45_000), 26);
			// Capped: 20 + 30.
			assert_eq!(Receipts::challenge_window(1_000_000, 0), 50);
			assert_eq!(Receipts::challenge_window(1, 1), 20);
		});
	}

	#[test]
	fn ten_thousand_receipts_settle_in_one_batch_by_the_split() {
		run(|| {
			assert_ok!(Receipts::deposit(RuntimeOrigin::signed(PAYER), 50_000_000));
			let batch = receipts(1, 10_000);
			let total: Balance = batch.iter().map(|r| r.receipt.price).sum();
			let id = propose(&batch).unwrap();
			let b = Batches::<Test>::get(id).unwrap();
			assert_eq!(b.root.sum, total);
			assert_eq!(b.status, BatchStatus::Challenge);
			// 20 + min(30, 10 + total/10000)
			let window = 20 + std::cmp::min(30, 10 + (total / 10_000) as u64);
			assert_eq!(b.challenge_until, 1 + window);
			assert_eq!(Escrows::<Test>::get(PAYER).unwrap().reserved, total);
			assert_eq!(LastCounter::<Test>::get((HOT, PAYER, MODEL, V1)), 10_000);
			assert!(Receipts::open_batch(id).is_some());

			System::set_block_number(1 + window);
			assert_noop!(
				Receipts::settle_batch(RuntimeOrigin::signed(STRANGER), id),
				Error::<Test>::ChallengeWindowOpen
			);
			System::set_block_number(2 + window);
			let before = [WORKER_OWNER, DEV, TREASURY, ECOSYSTEM].map(Balances::free_balance);
			assert_ok!(Receipts::settle_batch(RuntimeOrigin::signed(STRANGER), id));
			let after = [WORKER_OWNER, DEV, TREASURY, ECOSYSTEM].map(Balances::free_balance);
			let owner = total * 20 / 100;
			let treasury = total * 7 / 100;
			let ecosystem = total * 3 / 100;
			let worker = total - owner - treasury - ecosystem;
			assert_eq!(after[0] - before[0], worker);
			assert_eq!(after[1] - before[1], owner);
			assert_eq!(after[2] - before[2], treasury);
			assert_eq!(after[3] - before[3], ecosystem);
			assert_eq!(held(PAYER), 50_000_000 - total);
			assert_eq!(Escrows::<Test>::get(PAYER).unwrap().reserved, 0);
			assert_eq!(Batches::<Test>::get(id).unwrap().status, BatchStatus::Paid);
			assert_eq!(
				last_event(),
				Event::BatchPaid {
					batch: id,
					worker_share: worker,
					model_owner_share: owner,
					treasury_share: treasury,
					ecosystem_share: ecosystem,
					training_fund_share: 0,
				}
				.into()
			);
			assert_eq!(PaidFees::get(), vec![total], "issuance is told the fees");
			assert_noop!(
				Receipts::settle_batch(RuntimeOrigin::signed(STRANGER), id),
				Error::<Test>::NotInChallenge
			);
		});
	}

	#[test]
	fn the_training_funds_share_comes_off_the_top_and_the_split_shares_the_rest() {
		run(|| {
			TrainingShare::set(Some(sp_runtime::Perbill::from_percent(20)));
			assert_ok!(Receipts::deposit(RuntimeOrigin::signed(PAYER), 900_000));
			let batch = receipts(1, 100);
			let total: Balance = batch.iter().map(|r| r.receipt.price).sum();
			let id = propose(&batch).unwrap();
			System::set_block_number(Batches::<Test>::get(id).unwrap().challenge_until + 1);
			let parties = [TRAINING_FUND, WORKER_OWNER, DEV, TREASURY, ECOSYSTEM];
			let before = parties.map(Balances::free_balance);
			assert_ok!(Receipts::settle_batch(RuntimeOrigin::signed(STRANGER), id));
			let after = parties.map(Balances::free_balance);
			// 20 % to the fund; of the other 80 %, V1's 20 % owner, 7 % treasury, 3 %
			// ecosystem, the rest the worker's.
			let fund = total / 5;
			let rest = total - fund;
			let (owner, treasury, ecosystem) = (rest * 20 / 100, rest * 7 / 100, rest * 3 / 100);
			let worker = rest - owner - treasury - ecosystem;
			let paid: Vec<Balance> = (0..5).map(|i| after[i] - before[i]).collect();
			assert_eq!(paid, vec![fund, worker, owner, treasury, ecosystem]);
			assert_eq!(paid.iter().sum::<Balance>(), total, "every unit of the batch is paid");
			assert_eq!(held(PAYER), 900_000 - total);
			assert_eq!(PaidFees::get(), vec![total], "the subsidy is earned on the whole fee");
			assert!(matches!(
				last_event(),
				RuntimeEvent::Receipts(Event::BatchPaid { training_fund_share, .. })
					if training_fund_share == fund
			));
		});
	}

	#[test]
	fn a_batch_is_paid_by_the_split_of_the_version_it_was_served_under() {
		run(|| {
			assert_ok!(Receipts::deposit(RuntimeOrigin::signed(PAYER), 900_000));
			let batch = receipts(1, 100);
			let total: Balance = batch.iter().map(|r| r.receipt.price).sum();
			let id = propose(&batch).unwrap();
			// While the batch waits, the model moves to a version whose owner takes 40 %.
			let mut v2 = pallet_models::fixtures::metadata();
			v2.revenue_split = pallet_models::RevenueSplit {
				worker: sp_runtime::Perbill::from_percent(50),
				model_owner: sp_runtime::Perbill::from_percent(40),
				treasury: sp_runtime::Perbill::from_percent(5),
				ecosystem: sp_runtime::Perbill::from_percent(5),
			};
			let v2_version = ail2_primitives::receipt::SemVer::new(2, 0, 0);
			ModelsMock::add_version(MODEL, v2_version, v2.clone());
			assert_eq!(ModelsMock::revenue_split(MODEL, &v2_version), Some(v2.revenue_split));

			let until = Batches::<Test>::get(id).unwrap().challenge_until;
			System::set_block_number(until + 1);
			let before = [WORKER_OWNER, DEV, TREASURY, ECOSYSTEM].map(Balances::free_balance);
			assert_ok!(Receipts::settle_batch(RuntimeOrigin::signed(STRANGER), id));
			let after = [WORKER_OWNER, DEV, TREASURY, ECOSYSTEM].map(Balances::free_balance);
			// V1's split: 20 % owner, 7 % treasury, 3 % ecosystem, the rest the worker's.
			let owner = total * 20 / 100;
			let treasury = total * 7 / 100;
			let ecosystem = total * 3 / 100;
			let worker = total - owner - treasury - ecosystem;
			assert_eq!(
				[0, 1, 2, 3].map(|i| after[i] - before[i]),
				[worker, owner, treasury, ecosystem]
			);
		});
	}

	#[test]
	fn replayed_and_overlapping_ranges_are_rejected() {
		run(|| {
			assert_ok!(Receipts::deposit(RuntimeOrigin::signed(PAYER), 900_000));
			let batch = receipts(1, 100);
			assert_ok!(propose(&batch));
			// The very same batch again.
			assert_noop!(propose(&batch), Error::<Test>::CounterReused);
			// Overlapping the end of the first.
			assert_noop!(propose(&receipts(100, 10)), Error::<Test>::CounterReused);
			// Starting right after it is fine.
			assert_ok!(propose(&receipts(101, 10)));
			assert_eq!(LastCounter::<Test>::get((HOT, PAYER, MODEL, V1)), 110);
		});
	}

	#[test]
	fn interleaved_streams_of_two_versions_settle_independently() {
		run(|| {
			assert_ok!(Receipts::deposit(RuntimeOrigin::signed(PAYER), 900_000));
			let v2 = SemVer::new(2, 0, 0);
			ModelsMock::add_version(MODEL, v2, pallet_models::fixtures::metadata());
			// One gateway sequence for the worker, shared by both versions: odd counters
			// served under V1, even ones under V2.
			let odd = receipts_of(V1, (1..=19).step_by(2));
			let even = receipts_of(v2, (2..=20).step_by(2));
			assert_ok!(propose(&odd));
			// V2's batch spans counters below V1's last one; it is another stream.
			let id = propose(&even).unwrap();
			assert_eq!(Batches::<Test>::get(id).unwrap().version, v2);
			assert_eq!(LastCounter::<Test>::get((HOT, PAYER, MODEL, V1)), 19);
			assert_eq!(LastCounter::<Test>::get((HOT, PAYER, MODEL, v2)), 20);
			// Within a stream the guard still holds, and a receipt only fits its own stream.
			assert_noop!(propose(&receipts_of(v2, [20])), Error::<Test>::CounterReused);
			assert_noop!(propose(&receipts_of(V1, [19])), Error::<Test>::CounterReused);
			assert_ok!(propose(&receipts_of(V1, [21])));
		});
	}

	#[test]
	fn proposal_failures_change_nothing() {
		run(|| {
			assert_noop!(propose_raw(1, 10, 100, 10), Error::<Test>::NoEscrow);
			assert_ok!(Receipts::deposit(RuntimeOrigin::signed(PAYER), 1_000));
			assert_noop!(propose_raw(1, 10, 1_001, 10), Error::<Test>::InsufficientEscrow);
			assert_noop!(propose_raw(1, 10, 100, 0), Error::<Test>::EmptyBatch);
			assert_noop!(propose_raw(10, 1, 100, 1), Error::<Test>::InvalidCounterRange);
			assert_noop!(propose_raw(1, 10, 100, 11), Error::<Test>::InvalidCounterRange);
			assert_noop!(
				Receipts::propose_batch(
					RuntimeOrigin::signed(STRANGER),
					PAYER,
					MODEL,
					V1,
					1,
					10,
					[7; 32],
					100,
					10,
					[9; 32],
					url()
				),
				Error::<Test>::NotActiveWorker
			);
			assert_noop!(
				Receipts::propose_batch(
					RuntimeOrigin::signed(HOT),
					PAYER,
					MODEL,
					ail2_primitives::receipt::SemVer::new(9, 0, 0),
					1,
					10,
					[7; 32],
					100,
					10,
					[9; 32],
					url()
				),
				Error::<Test>::ModelNotBillable
			);
			ModelsMock::deprecate(MODEL);
			assert_noop!(propose_raw(1, 10, 100, 10), Error::<Test>::ModelNotBillable);
		});
	}

	#[test]
	fn a_voided_batch_returns_its_reserve_and_cannot_be_settled() {
		run(|| {
			assert_ok!(Receipts::deposit(RuntimeOrigin::signed(PAYER), 10_000));
			assert_ok!(propose_raw(1, 10, 6_000, 10));
			assert_eq!(Receipts::free_escrow(&PAYER), 4_000);
			assert_ok!(<Receipts as BatchControl>::void(0));
			assert_eq!(last_event(), Event::BatchVoided { batch: 0 }.into());
			assert_eq!(Receipts::free_escrow(&PAYER), 10_000);
			assert_eq!(Batches::<Test>::get(0).unwrap().status, BatchStatus::Voided);
			System::set_block_number(1_000);
			assert_noop!(
				Receipts::settle_batch(RuntimeOrigin::signed(STRANGER), 0),
				Error::<Test>::NotInChallenge
			);
			// The voided range stays consumed: a cheater cannot re-propose it.
			assert_noop!(propose_raw(1, 10, 100, 10), Error::<Test>::CounterReused);
			assert!(<Receipts as BatchControl>::void(0).is_err());
		});
	}

	#[test]
	fn a_disputed_batch_waits_for_the_decision() {
		run(|| {
			assert_ok!(Receipts::deposit(RuntimeOrigin::signed(PAYER), 10_000));
			assert_ok!(propose_raw(1, 10, 6_000, 10));
			assert_ok!(propose_raw(11, 20, 1_000, 10));
			assert_ok!(<Receipts as BatchControl>::freeze(0));
			assert_eq!(last_event(), Event::BatchDisputed { batch: 0 }.into());
			assert!(Receipts::open_batch(0).is_none());
			assert!(Receipts::unsettled_batch(0).is_some());
			assert_noop!(<Receipts as BatchControl>::freeze(0), Error::<Test>::NotInChallenge);
			assert_noop!(<Receipts as BatchControl>::release(1), Error::<Test>::NotDisputed);
			assert_noop!(<Receipts as BatchControl>::release(9), Error::<Test>::UnknownBatch);
			// The window passes during the dispute: still no settlement, reserve kept.
			let until = Batches::<Test>::get(0).unwrap().challenge_until;
			System::set_block_number(until + 1);
			assert_noop!(
				Receipts::settle_batch(RuntimeOrigin::signed(STRANGER), 0),
				Error::<Test>::NotInChallenge
			);
			assert_eq!(Receipts::free_escrow(&PAYER), 3_000);
			Receipts::do_try_state().unwrap();
			// Rejected dispute: back in its (passed) window, settles at once.
			assert_ok!(<Receipts as BatchControl>::release(0));
			assert_eq!(last_event(), Event::BatchReleased { batch: 0 }.into());
			assert_ok!(Receipts::settle_batch(RuntimeOrigin::signed(STRANGER), 0));
			// Upheld dispute: the frozen batch is voided even after its window.
			assert_ok!(propose_raw(21, 30, 2_000, 10));
			assert_ok!(<Receipts as BatchControl>::freeze(2));
			System::set_block_number(10_000);
			assert_ok!(<Receipts as BatchControl>::void(2));
			assert_eq!(Batches::<Test>::get(2).unwrap().status, BatchStatus::Voided);
			Receipts::do_try_state().unwrap();
		});
	}

	#[test]
	fn windows_close_for_voiding_after_they_end() {
		run(|| {
			assert_ok!(Receipts::deposit(RuntimeOrigin::signed(PAYER), 10_000));
			assert_ok!(propose_raw(1, 10, 6_000, 10));
			let until = Batches::<Test>::get(0).unwrap().challenge_until;
			System::set_block_number(until + 1);
			assert!(Receipts::open_batch(0).is_none());
			assert_noop!(<Receipts as BatchControl>::void(0), Error::<Test>::NotInChallenge);
			assert_noop!(
				Receipts::settle_batch(RuntimeOrigin::none(), 0),
				DispatchError::BadOrigin
			);
			assert_noop!(
				Receipts::settle_batch(RuntimeOrigin::signed(STRANGER), 5),
				Error::<Test>::UnknownBatch
			);
		});
	}
}

mod audit {
	use super::*;

	#[test]
	fn the_audit_sees_every_proposal_and_can_refuse_one() {
		run(|| {
			assert_ok!(Receipts::deposit(RuntimeOrigin::signed(PAYER), 50_000_000));
			let id = propose(&receipts(1, 4)).unwrap();
			assert_eq!(Audited::get(), vec![id]);
			RefuseProposals::set(true);
			assert_noop!(propose(&receipts(5, 4)), DispatchError::Other("audit refuses"));
		});
	}

	#[test]
	fn a_held_batch_is_not_paid_after_its_window_and_can_still_be_voided() {
		run(|| {
			assert_ok!(Receipts::deposit(RuntimeOrigin::signed(PAYER), 50_000_000));
			let id = propose(&receipts(1, 4)).unwrap();
			let until = Batches::<Test>::get(id).unwrap().challenge_until;
			HeldBatches::set(vec![id]);
			System::set_block_number(until + 1);
			assert_noop!(
				Receipts::settle_batch(RuntimeOrigin::signed(STRANGER), id),
				Error::<Test>::SettlementHeld
			);
			// Past its window but held: the audit's verdict can still void it.
			assert_ok!(<Receipts as BatchControl>::void(id));
			assert_eq!(Batches::<Test>::get(id).unwrap().status, BatchStatus::Voided);
			assert_eq!(Escrows::<Test>::get(PAYER).unwrap().reserved, 0);
			assert_eq!(ClosedBatches::get(), vec![id]);
		});
	}

	#[test]
	fn a_released_batch_is_paid_and_an_unheld_one_past_its_window_cannot_be_voided() {
		run(|| {
			assert_ok!(Receipts::deposit(RuntimeOrigin::signed(PAYER), 50_000_000));
			let id = propose(&receipts(1, 4)).unwrap();
			let until = Batches::<Test>::get(id).unwrap().challenge_until;
			HeldBatches::set(vec![id]);
			System::set_block_number(until + 1);
			HeldBatches::set(vec![]);
			assert_noop!(<Receipts as BatchControl>::void(id), Error::<Test>::NotInChallenge);
			assert_ok!(Receipts::settle_batch(RuntimeOrigin::signed(STRANGER), id));
			assert_eq!(ClosedBatches::get(), vec![id]);
		});
	}
}

mod params {
	use super::*;
	use frame_support::traits::Hooks;

	type ParamsOf = SettlementParams<u64, Balance>;

	fn set(params: ParamsOf) -> sp_runtime::DispatchResult {
		Receipts::set_params(RuntimeOrigin::root(), params)
	}

	/// Windows of 5 to 15 blocks, withdrawals after 16, revocations after 3.
	fn shorter() -> ParamsOf {
		let mut params = DefaultParams::get();
		params.challenge_window.base = 5;
		params.challenge_window.max_extra = 10;
		params.withdrawal_delay = 16;
		params.gateway_revocation_delay = 3;
		params
	}

	#[test]
	fn genesis_stores_the_defaults_and_they_pass_the_bounds() {
		run(|| {
			assert!(Params::<Test>::exists());
			assert_eq!(Params::<Test>::get(), DefaultParams::get());
			<Receipts as Hooks<u64>>::integrity_test();
		});
	}

	#[test]
	fn set_params_applies_to_the_next_batch_and_the_running_one_keeps_its_window() {
		run(|| {
			assert_ok!(Receipts::deposit(RuntimeOrigin::signed(PAYER), 100_000));
			assert_ok!(propose_raw(1, 10, 6_000, 10));
			let running = Batches::<Test>::get(0).unwrap().challenge_until;
			assert_eq!(running, 1 + BASE_WINDOW);

			assert_ok!(set(shorter()));
			assert_eq!(last_event(), Event::ParamsSet { params: shorter() }.into());
			assert_eq!(Params::<Test>::get(), shorter());
			assert_eq!(Batches::<Test>::get(0).unwrap().challenge_until, running);

			assert_ok!(propose_raw(11, 20, 6_000, 10));
			assert_eq!(Batches::<Test>::get(1).unwrap().challenge_until, 1 + 5);
			// The new batch settles after its own window, the running one only after its old.
			System::set_block_number(7);
			assert_ok!(Receipts::settle_batch(RuntimeOrigin::signed(STRANGER), 1));
			assert_noop!(
				Receipts::settle_batch(RuntimeOrigin::signed(STRANGER), 0),
				Error::<Test>::ChallengeWindowOpen
			);
			assert!(Receipts::open_batch(0).is_some());
		});
	}

	#[test]
	fn a_pending_withdrawal_keeps_its_unlock_block() {
		run(|| {
			assert_ok!(Receipts::deposit(RuntimeOrigin::signed(PAYER), 50_000));
			assert_ok!(Receipts::request_withdrawal(RuntimeOrigin::signed(PAYER), 20_000));
			assert_ok!(set(shorter()));
			System::set_block_number(1 + 16);
			assert_noop!(
				Receipts::withdraw(RuntimeOrigin::signed(PAYER)),
				Error::<Test>::WithdrawalLocked
			);
			System::set_block_number(1 + WITHDRAWAL_DELAY);
			assert_ok!(Receipts::withdraw(RuntimeOrigin::signed(PAYER)));
			// The next request takes the new delay.
			assert_ok!(Receipts::request_withdrawal(RuntimeOrigin::signed(PAYER), 1_000));
			assert_eq!(
				Escrows::<Test>::get(PAYER).unwrap().leaving,
				Some((1_000, 1 + WITHDRAWAL_DELAY + 16))
			);
		});
	}

	#[test]
	fn a_revocation_keeps_its_effective_block() {
		run(|| {
			assert_ok!(Receipts::add_gateway_key(RuntimeOrigin::signed(PAYER), [2; 33]));
			assert_ok!(Receipts::add_gateway_key(RuntimeOrigin::signed(PAYER), [3; 33]));
			assert_ok!(Receipts::revoke_gateway_key(RuntimeOrigin::signed(PAYER), [2; 33]));
			assert_ok!(set(shorter()));
			let revoked_from = |key| GatewayKeys::<Test>::get(PAYER, key).unwrap().revoked_from;
			assert_eq!(revoked_from([2; 33]), Some(1 + REVOCATION_DELAY));
			assert_ok!(Receipts::revoke_gateway_key(RuntimeOrigin::signed(PAYER), [3; 33]));
			assert_eq!(revoked_from([3; 33]), Some(1 + 3));
		});
	}

	/// Had purging waited for today's `WithdrawalDelay`, lowering the window and the delay
	/// would free a key while a batch it authorised under the old, longer window is still
	/// open, and a `BadAuthorisation` proof would void that honest batch.
	#[test]
	fn a_revoked_key_outlives_every_batch_it_authorised_when_the_window_is_lowered() {
		run(|| {
			let key = [2; 33];
			assert_ok!(Receipts::deposit(RuntimeOrigin::signed(PAYER), 100_000));
			assert_ok!(Receipts::add_gateway_key(RuntimeOrigin::signed(PAYER), key));
			assert_ok!(Receipts::revoke_gateway_key(RuntimeOrigin::signed(PAYER), key));
			let revoked_from = 1 + REVOCATION_DELAY;
			// Proposed just before the revocation takes effect, with the longest window.
			System::set_block_number(revoked_from - 1);
			assert_ok!(propose_raw(1, 1_000_000, 6_000, 1_000_000));
			let until = Batches::<Test>::get(0).unwrap().challenge_until;
			assert_eq!(until, revoked_from - 1 + BASE_WINDOW + MAX_EXTRA);

			assert_ok!(set(shorter()));
			System::set_block_number(until);
			assert!(Receipts::open_batch(0).is_some());
			assert_noop!(
				Receipts::purge_gateway_key(RuntimeOrigin::signed(STRANGER), PAYER, key),
				Error::<Test>::GatewayKeyInUse
			);
			assert!(Receipts::gateway_key_valid_at(&PAYER, &key, revoked_from - 1));
			System::set_block_number(revoked_from + MAX_CHALLENGE_WINDOW + 1);
			assert_ok!(Receipts::purge_gateway_key(RuntimeOrigin::signed(STRANGER), PAYER, key));
		});
	}

	#[test]
	fn only_the_params_origin_sets_params() {
		run(|| {
			assert_noop!(
				Receipts::set_params(RuntimeOrigin::signed(PAYER), shorter()),
				DispatchError::BadOrigin
			);
			assert_noop!(
				Receipts::set_params(RuntimeOrigin::none(), shorter()),
				DispatchError::BadOrigin
			);
		});
	}

	#[test]
	fn params_outside_their_bounds_are_refused_and_change_nothing() {
		run(|| {
			let with = |change: fn(&mut ParamsOf)| {
				let mut params = DefaultParams::get();
				change(&mut params);
				params
			};
			let cases: [(ParamsOf, Error<Test>); 9] = [
				(with(|p| p.challenge_window.base = 0), Error::ZeroBaseWindow),
				(
					with(|p| p.challenge_window.receipts_per_extra_block = 0),
					Error::ZeroReceiptsPerExtraBlock,
				),
				(
					with(|p| p.challenge_window.value_per_extra_block = 0),
					Error::ZeroValuePerExtraBlock,
				),
				(
					with(|p| {
						p.challenge_window.max_extra = MAX_CHALLENGE_WINDOW - BASE_WINDOW + 1;
						p.withdrawal_delay = MAX_WITHDRAWAL_DELAY;
					}),
					Error::ChallengeWindowTooLong,
				),
				(with(|p| p.challenge_window.max_extra = u64::MAX), Error::ChallengeWindowTooLong),
				(
					with(|p| p.withdrawal_delay = BASE_WINDOW + MAX_EXTRA),
					Error::WithdrawalDelayTooShort,
				),
				(
					with(|p| p.withdrawal_delay = MAX_WITHDRAWAL_DELAY + 1),
					Error::WithdrawalDelayTooLong,
				),
				(with(|p| p.gateway_revocation_delay = 0), Error::ZeroRevocationDelay),
				(
					with(|p| p.gateway_revocation_delay = MAX_WITHDRAWAL_DELAY + 1),
					Error::RevocationDelayTooLong,
				),
			];
			for (params, error) in cases {
				assert_noop!(set(params), error);
			}
			assert_eq!(Params::<Test>::get(), DefaultParams::get());
		});
	}

	#[test]
	fn params_on_their_bounds_are_accepted() {
		run(|| {
			let mut params = DefaultParams::get();
			params.challenge_window.max_extra = MAX_CHALLENGE_WINDOW - BASE_WINDOW;
			params.withdrawal_delay = MAX_CHALLENGE_WINDOW + 1;
			params.gateway_revocation_delay = MAX_WITHDRAWAL_DELAY;
			assert_ok!(set(params));
			params.withdrawal_delay = MAX_WITHDRAWAL_DELAY;
			params.gateway_revocation_delay = 1;
			params.challenge_window.base = 1;
			params.challenge_window.receipts_per_extra_block = 1;
			params.challenge_window.value_per_extra_block = 1;
			assert_ok!(set(params));
			assert_eq!(Params::<Test>::get(), params);
			assert_eq!(
				Receipts::challenge_window(u64::MAX, Balance::MAX),
				MAX_CHALLENGE_WINDOW - BASE_WINDOW + 1
			);
		});
	}
}

mod pruning {
	use super::*;
	use crate::{PruneQueue, PruneQueueBounds};
	use codec::Encode;
	use frame_support::{traits::Hooks, weights::Weight};

	/// Entries and bytes (keys and values) stored under `prefix`.
	fn stored_under(prefix: &[u8]) -> (usize, usize) {
		let (mut entries, mut bytes) = (0, 0);
		let mut key = prefix.to_vec();
		while let Some(next) = sp_io::storage::next_key(&key) {
			if !next.starts_with(prefix) {
				break;
			}
			entries += 1;
			bytes += next.len() + sp_io::storage::get(&next).map_or(0, |v| v.len());
			key = next;
		}
		(entries, bytes)
	}

	fn batches_stored() -> (usize, usize) {
		use frame_support::storage::StoragePrefixedMap;
		stored_under(&Batches::<Test>::final_prefix())
	}

	fn idle(at: u64) -> Weight {
		System::set_block_number(at);
		Receipts::on_idle(at, Weight::MAX)
	}

	/// Proposes one-receipt batches with counters `counters`, and returns their ids.
	fn one_receipt_batches(counters: impl IntoIterator<Item = u64>) -> Vec<u64> {
		counters.into_iter().map(|c| propose(&receipts(c, 1)).unwrap()).collect()
	}

	#[test]
	fn closed_batches_are_pruned_after_the_delay_and_open_ones_kept() {
		run(|| {
			assert_ok!(Receipts::deposit(RuntimeOrigin::signed(PAYER), 900_000));
			let ids = one_receipt_batches(1..=3);
			// Voided in block 1, paid after its window; ids[2] is never settled, and open
			// batches are never pruned.
			assert_ok!(<Receipts as BatchControl>::void(ids[1]));
			let until = Batches::<Test>::get(ids[0]).unwrap().challenge_until;
			System::set_block_number(until + 1);
			assert_ok!(Receipts::settle_batch(RuntimeOrigin::signed(STRANGER), ids[0]));
			assert_eq!(PruneQueueBounds::<Test>::get(), (0, 2));
			assert_eq!(PruneQueue::<Test>::get(0), Some((ids[1], 1 + PRUNE_DELAY)));
			assert_eq!(PruneQueue::<Test>::get(1), Some((ids[0], until + 1 + PRUNE_DELAY)));

			// The voided one is due first; the paid one is not yet.
			idle(until + PRUNE_DELAY);
			assert_eq!(Batches::<Test>::get(ids[1]), None);
			assert!(Batches::<Test>::contains_key(ids[0]));
			assert_eq!(PruneQueueBounds::<Test>::get(), (1, 2));
			// Due: it goes too; the open one stays, and so do the events.
			idle(until + 1 + PRUNE_DELAY);
			assert_eq!(Batches::<Test>::get(ids[0]), None);
			assert_eq!(Batches::<Test>::get(ids[1]), None);
			assert!(Batches::<Test>::get(ids[2]).is_some());
			assert_eq!(PruneQueueBounds::<Test>::get(), (2, 2));
			assert_eq!(PruneQueue::<Test>::iter().count(), 0);
			// The replay guard outlives the records: the pruned batch's counters stay spent.
			assert_noop!(propose(&receipts(1, 1)), Error::<Test>::CounterReused);
			assert_ok!(propose(&receipts(4, 1)));
			// And an empty queue costs only its look.
			let before = PruneQueueBounds::<Test>::get();
			assert_eq!(idle(until + 2 + PRUNE_DELAY), <() as crate::WeightInfo>::prune_batches(0));
			assert_eq!(PruneQueueBounds::<Test>::get(), before);
		});
	}

	#[test]
	fn each_block_prunes_within_its_weight_and_the_per_block_bound() {
		run(|| {
			assert_ok!(Receipts::deposit(RuntimeOrigin::signed(PAYER), 900_000));
			let ids = one_receipt_batches(1..=20);
			let until = Batches::<Test>::get(ids[19]).unwrap().challenge_until;
			System::set_block_number(until + 1);
			for id in &ids {
				assert_ok!(Receipts::settle_batch(RuntimeOrigin::signed(STRANGER), *id));
			}
			let due = until + 1 + PRUNE_DELAY;
			System::set_block_number(due);
			// Too little weight to look at the queue: nothing done, nothing charged.
			let look = <() as crate::WeightInfo>::prune_batches(0);
			let tiny = look.saturating_sub(Weight::from_parts(1, 0));
			assert_eq!(Receipts::on_idle(due, tiny), Weight::zero());
			// Room for three removals: three go, and the weight of three is charged.
			let three = <() as crate::WeightInfo>::prune_batches(3);
			assert_eq!(Receipts::on_idle(due, three), three);
			assert_eq!(PruneQueueBounds::<Test>::get(), (3, 20));
			// Unbounded weight: `MaxPrunedPerBlock` per block.
			assert_eq!(
				idle(due + 1),
				<() as crate::WeightInfo>::prune_batches(MAX_PRUNED_PER_BLOCK)
			);
			assert_eq!(PruneQueueBounds::<Test>::get(), (3 + u64::from(MAX_PRUNED_PER_BLOCK), 20));
			idle(due + 2);
			assert_eq!(PruneQueueBounds::<Test>::get(), (19, 20));
			// The last one, and only the look's weight and one removal charged.
			assert_eq!(idle(due + 3), <() as crate::WeightInfo>::prune_batches(1));
			assert_eq!(PruneQueueBounds::<Test>::get(), (20, 20));
			assert_eq!(batches_stored().0, 0);
		});
	}

	#[test]
	fn a_thousand_batches_leave_no_records_once_pruned() {
		run(|| {
			assert_ok!(Receipts::deposit(RuntimeOrigin::signed(PAYER), 50_000_000));
			let ids = one_receipt_batches(1..=1_000);
			let record = Batches::<Test>::hashed_key_for(ids[0]).len()
				+ Batches::<Test>::get(ids[0]).unwrap().encode().len();
			assert_eq!(batches_stored(), (1_000, 1_000 * record));
			let until = Batches::<Test>::get(ids[999]).unwrap().challenge_until;
			System::set_block_number(until + 1);
			for id in &ids {
				assert_ok!(Receipts::settle_batch(RuntimeOrigin::signed(STRANGER), *id));
			}
			// Paid and queued: each batch also holds a queue entry until it is pruned.
			let queue = {
				use frame_support::storage::StoragePrefixedMap;
				stored_under(&PruneQueue::<Test>::final_prefix())
			};
			assert_eq!(queue.0, 1_000);
			println!(
				"1,000 paid batches: {} bytes of Batches records ({record} each) and {} bytes of prune queue",
				1_000 * record,
				queue.1
			);
			let mut at = until + 1 + PRUNE_DELAY;
			while PruneQueueBounds::<Test>::get().0 < 1_000 {
				idle(at);
				at += 1;
			}
			assert_eq!(at - (until + 1 + PRUNE_DELAY), 1_000 / u64::from(MAX_PRUNED_PER_BLOCK));
			assert_eq!(batches_stored(), (0, 0));
			println!("after pruning: 0 bytes of Batches records, 0 of prune queue");
		});
	}
}
