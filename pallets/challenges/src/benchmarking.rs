//! Benchmarks of every call, each in its worst case. Fraud proofs are measured against the
//! depth `d` of their path: a batch of 2^d receipts, of which only the path exists, since
//! the chain never sees the rest.

use super::*;
use crate::impls::account_bytes;
use ail2_primitives::{
	billing::{receipt_price, Usage},
	merkle::{self, SumNode, MAX_DEPTH},
	receipt::{PublicKey, Receipt, Signature, SignedReceipt},
	Hash,
};
use alloc::{boxed::Box, vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{
		fungible::{Mutate, MutateHold},
		Get,
	},
	BoundedVec,
};
use frame_system::RawOrigin;
use pallet_models::ModelInspect;
use pallet_receipts::{BatchId, BatchInspect};
use pallet_workers::BENCHMARK_KEY_TYPE;
use sp_runtime::traits::Saturating;

fn new_key() -> PublicKey {
	let public = sp_io::crypto::ecdsa_generate(BENCHMARK_KEY_TYPE, None);
	let mut key = [0u8; 33];
	key.copy_from_slice(public.as_ref());
	key
}

fn sign(key: &PublicKey, message: &Hash) -> Signature {
	let public = sp_core::ecdsa::Public::from_raw(*key);
	let signature = sp_io::crypto::ecdsa_sign_prehashed(BENCHMARK_KEY_TYPE, &public, message)
		.unwrap_or_else(|| sp_core::ecdsa::Signature::from_raw([0u8; 65]));
	let mut raw = [0u8; 65];
	raw.copy_from_slice(signature.as_ref());
	raw
}

/// A worker, a model, a payer with escrow and a gateway key.
struct Setup<T: Config> {
	worker: T::AccountId,
	worker_key: PublicKey,
	payer: T::AccountId,
	gateway: PublicKey,
	model: ail2_primitives::ModelId,
	version: ail2_primitives::receipt::SemVer,
}

impl<T: Config> Setup<T> {
	fn new() -> Self {
		let (worker, worker_key) = T::BenchmarkHelper::worker(0);
		let (model, version) = T::BenchmarkHelper::model();
		let payer: T::AccountId = account("payer", 0, 0);
		let gateway = new_key();
		T::BenchmarkHelper::payer(&payer, gateway);
		Self { worker, worker_key, payer, gateway, model, version }
	}

	/// An honest receipt for `counter`.
	fn receipt(&self, counter: u64) -> Receipt {
		let usage = Usage { tokens_in: 1_000, tokens_out: 500, gpu_ms: 2_000 };
		let (price, policy_hash) = T::Models::pricing(self.model, &self.version)
			.map(|(policy, hash)| (receipt_price(&policy, &usage), hash))
			.unwrap_or_default();
		Receipt {
			project_id: 1,
			model_id: self.model,
			version: self.version,
			timestamp_ms: 1_000,
			tokens_in: usage.tokens_in,
			tokens_out: usage.tokens_out,
			gpu_ms: usage.gpu_ms,
			bytes_in: 4_096,
			bytes_out: 2_048,
			price,
			chain_id: T::ChainId::get(),
			route_id: [counter as u8; 32],
			counter,
			node_pubkey: self.worker_key,
			payer: account_bytes(&self.payer),
			policy_hash,
			max_price: price.saturating_mul(2),
			expires_at_ms: u64::MAX,
			transcript: ail2_primitives::transcript::no_transcript(),
		}
	}

	fn signed(&self, receipt: Receipt) -> SignedReceipt {
		let node_signature = sign(&self.worker_key, &receipt.message());
		let gateway_signature = sign(&self.gateway, &receipt.authorisation().message());
		SignedReceipt { receipt, node_signature, gateway_signature }
	}

	/// Proposes a batch whose root is reached from `node` at `(level, 0)` through
	/// `siblings`; `leaves` is the batch's size.
	fn propose(&self, node: SumNode, siblings: &[SumNode], leaves: u64) -> BatchId {
		let mut root = node;
		for sibling in siblings {
			root = merkle::parent(&root, sibling).unwrap_or_default();
		}
		T::BenchmarkHelper::propose(
			&self.worker,
			&self.payer,
			self.model,
			self.version,
			(1, leaves),
			root,
			leaves,
		)
	}
}

/// `n` filler siblings.
fn siblings(n: u32) -> Vec<SumNode> {
	(0..n).map(|i| SumNode { hash: [i as u8; 32], sum: 1 }).collect()
}

/// Number of leaves for which leaf 0 has a path of `d` siblings.
fn leaves_for(d: u32) -> u64 {
	if d >= 64 {
		u64::MAX
	} else {
		1u64 << d
	}
}

fn path(siblings: Vec<SumNode>) -> Path {
	BoundedVec::truncate_from(siblings)
}

/// Proposes a batch with `receipt` as leaf 0 at depth `d` and returns the proof.
fn leaf_batch<T: Config>(s: &Setup<T>, receipt: SignedReceipt, d: u32) -> (BatchId, LeafProof) {
	let rest = siblings(d);
	let id = s.propose(merkle::leaf(&receipt), &rest, leaves_for(d));
	(id, LeafProof { index: 0, receipt, siblings: path(rest) })
}

fn challenger<T: Config>() -> T::AccountId {
	let who: T::AccountId = whitelisted_caller();
	T::Currency::set_balance(&who, T::DisputeBond::get().saturating_mul(1_000u32.into()));
	who
}

fn assert_voided<T: Config>(id: BatchId) {
	assert!(T::Batches::unsettled_batch(id).is_none(), "batch voided");
}

/// Opens a dispute over a fresh batch with `CommitteeSize` other workers registered.
fn disputed<T: Config>(candidates: u32) -> (BatchId, T::AccountId, Vec<T::AccountId>) {
	let s = Setup::<T>::new();
	for i in 0..candidates {
		T::BenchmarkHelper::worker(i.saturating_add(1));
	}
	let receipt = s.signed(s.receipt(1));
	let (id, _) = leaf_batch(&s, receipt, 20);
	let who = challenger::<T>();
	assert!(Pallet::<T>::do_open_dispute(who.clone(), id, DisputeKind::Result, [1; 32]).is_ok());
	let draw_at = frame_system::Pallet::<T>::block_number().saturating_add(T::DrawDelay::get());
	frame_system::Pallet::<T>::set_block_number(draw_at);
	Pallet::<T>::draw_due(draw_at);
	let members = Disputes::<T>::get(id).map(|d| d.committee.into_iter().map(|(m, _)| m).collect());
	(id, who, members.unwrap_or_default())
}

#[benchmarks]
mod benches {
	use super::*;

	/// Worst case: the receipt names the proposer's key, so the signature is recovered.
	#[benchmark]
	fn challenge_bad_worker_signature(d: Linear<1, MAX_DEPTH>) {
		let s = Setup::<T>::new();
		let impostor = new_key();
		let mut receipt = s.signed(s.receipt(1));
		receipt.node_signature = sign(&impostor, &receipt.receipt.message());
		let (id, leaf) = leaf_batch(&s, receipt, d);

		#[extrinsic_call]
		challenge(
			RawOrigin::Signed(challenger::<T>()),
			id,
			Box::new(FraudProof::BadWorkerSignature(leaf)),
		);

		assert_voided::<T>(id);
	}

	/// Worst case: a valid, authorised gateway signature and every term checked, the last
	/// one (the price cap) broken.
	#[benchmark]
	fn challenge_bad_authorisation(d: Linear<1, MAX_DEPTH>) {
		let s = Setup::<T>::new();
		let mut receipt = s.receipt(1);
		receipt.max_price = receipt.price.saturating_sub(1);
		let (id, leaf) = leaf_batch(&s, s.signed(receipt), d);

		#[extrinsic_call]
		challenge(
			RawOrigin::Signed(challenger::<T>()),
			id,
			Box::new(FraudProof::BadAuthorisation(leaf)),
		);

		assert_voided::<T>(id);
	}

	#[benchmark]
	fn challenge_wrong_price(d: Linear<1, MAX_DEPTH>) {
		let s = Setup::<T>::new();
		let mut receipt = s.receipt(1);
		receipt.price = receipt.price.saturating_add(1);
		let (id, leaf) = leaf_batch(&s, s.signed(receipt), d);

		#[extrinsic_call]
		challenge(RawOrigin::Signed(challenger::<T>()), id, Box::new(FraudProof::WrongPrice(leaf)));

		assert_voided::<T>(id);
	}

	/// Two paths of `d` siblings.
	#[benchmark]
	fn challenge_duplicate_counter(d: Linear<1, MAX_DEPTH>) {
		let s = Setup::<T>::new();
		let first = s.signed(s.receipt(7));
		let second = s.signed(s.receipt(7));
		let (left, right) = (merkle::leaf(&first), merkle::leaf(&second));
		let above = siblings(d.saturating_sub(1));
		let pair = merkle::parent(&left, &right).unwrap_or_default();
		let id = s.propose(pair, &above, leaves_for(d));
		let mut first_path = vec![right];
		first_path.extend(above.iter().copied());
		let mut second_path = vec![left];
		second_path.extend(above);
		let proof = FraudProof::DuplicateCounter {
			first: LeafProof { index: 0, receipt: first, siblings: path(first_path) },
			second: LeafProof { index: 1, receipt: second, siblings: path(second_path) },
		};

		#[extrinsic_call]
		challenge(RawOrigin::Signed(challenger::<T>()), id, Box::new(proof));

		assert_voided::<T>(id);
	}

	#[benchmark]
	fn challenge_counter_out_of_range(d: Linear<1, MAX_DEPTH>) {
		let s = Setup::<T>::new();
		let (id, leaf) = leaf_batch(&s, s.signed(s.receipt(0)), d);

		#[extrinsic_call]
		challenge(
			RawOrigin::Signed(challenger::<T>()),
			id,
			Box::new(FraudProof::CounterOutOfRange(leaf)),
		);

		assert_voided::<T>(id);
	}

	/// Node `(1, 0)` claims one more than its children; `d - 1` siblings above it.
	#[benchmark]
	fn challenge_inconsistent_node(d: Linear<1, MAX_DEPTH>) {
		let s = Setup::<T>::new();
		let left = SumNode { hash: [1; 32], sum: 10 };
		let right = SumNode { hash: [2; 32], sum: 20 };
		let node = SumNode { hash: merkle::node_hash(&left, &right), sum: 31 };
		let above = siblings(d.saturating_sub(1));
		let id = s.propose(node, &above, leaves_for(d));
		let proof =
			NodeProof { level: 1, index: 0, left, right, claimed_sum: 31, siblings: path(above) };

		#[extrinsic_call]
		challenge(
			RawOrigin::Signed(challenger::<T>()),
			id,
			Box::new(FraudProof::InconsistentNode(proof)),
		);

		assert_voided::<T>(id);
	}

	/// `c` active workers to draw the committee from.
	#[benchmark]
	fn open_dispute(
		c: Linear<{ T::MinCommitteeSize::get() }, { T::MaxCandidates::get().saturating_sub(1) }>,
	) {
		let s = Setup::<T>::new();
		for i in 0..c {
			T::BenchmarkHelper::worker(i.saturating_add(1));
		}
		let (id, _) = leaf_batch(&s, s.signed(s.receipt(1)), 20);
		let who = challenger::<T>();

		#[extrinsic_call]
		_(RawOrigin::Signed(who), id, DisputeKind::Metering, [1; 32]);

		assert!(Disputes::<T>::contains_key(id));
	}

	/// One dispute's committee drawn from `c` active workers at its draw block.
	#[benchmark]
	fn draw_committee(
		c: Linear<{ T::MinCommitteeSize::get() }, { T::MaxCandidates::get().saturating_sub(1) }>,
	) {
		let s = Setup::<T>::new();
		for i in 0..c {
			T::BenchmarkHelper::worker(i.saturating_add(1));
		}
		let (id, _) = leaf_batch(&s, s.signed(s.receipt(1)), 20);
		assert!(Pallet::<T>::do_open_dispute(challenger::<T>(), id, DisputeKind::Result, [1; 32])
			.is_ok());
		let draw_at = frame_system::Pallet::<T>::block_number().saturating_add(T::DrawDelay::get());
		frame_system::Pallet::<T>::set_block_number(draw_at);

		#[block]
		{
			Pallet::<T>::draw_due(draw_at);
		}

		assert!(Disputes::<T>::get(id).is_some_and(|d| !d.committee.is_empty()));
	}

	#[benchmark]
	fn vote() {
		let (id, _, members) = disputed::<T>(T::CommitteeSize::get());
		let member = members.first().cloned().unwrap_or_else(|| account("nobody", 0, 0));

		#[extrinsic_call]
		_(RawOrigin::Signed(member.clone()), id, true);

		assert!(Disputes::<T>::get(id)
			.is_some_and(|d| d.committee.iter().any(|(m, v)| *m == member && v.is_some())));
	}

	/// Upheld after the period by one vote: the batch is voided, the worker punished, the
	/// bond returned and every other member penalised.
	#[benchmark]
	fn close_dispute() {
		let (id, _, members) = disputed::<T>(T::CommitteeSize::get());
		if let Some(member) = members.first() {
			assert!(Pallet::<T>::do_vote(member.clone(), id, true).is_ok());
		}
		let after = frame_system::Pallet::<T>::block_number()
			.saturating_add(T::VotingPeriod::get())
			.saturating_add(1u32.into());
		frame_system::Pallet::<T>::set_block_number(after);
		let caller: T::AccountId = whitelisted_caller();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), id);

		assert!(!Disputes::<T>::contains_key(id));
		assert_voided::<T>(id);
	}

	#[benchmark]
	fn challenge_availability() {
		let s = Setup::<T>::new();
		let (id, _) = leaf_batch(&s, s.signed(s.receipt(1)), 20);

		#[extrinsic_call]
		_(RawOrigin::Signed(challenger::<T>()), id, 0);

		assert!(AvailabilityChallenges::<T>::contains_key(id));
	}

	/// The leaf posted with a path of `d` siblings; the bond paid to the worker's owner.
	#[benchmark]
	fn answer_availability(d: Linear<1, MAX_DEPTH>) {
		let s = Setup::<T>::new();
		let (id, leaf) = leaf_batch(&s, s.signed(s.receipt(1)), d);
		assert!(Pallet::<T>::do_challenge_availability(challenger::<T>(), id, 0).is_ok());

		#[extrinsic_call]
		_(RawOrigin::Signed(s.worker.clone()), id, Box::new(leaf));

		assert!(!AvailabilityChallenges::<T>::contains_key(id));
	}

	/// Past the deadline, with a dispute to moot: the batch voided, the worker punished, two
	/// bonds returned.
	#[benchmark]
	fn expire_availability() {
		let (id, _, _) = disputed::<T>(T::CommitteeSize::get());
		let who: T::AccountId = account("asker", 0, 0);
		T::Currency::set_balance(&who, T::AvailabilityBond::get().saturating_mul(1_000u32.into()));
		// Asked while the batch was open, then disputed: put the challenge in directly, as
		// `challenge_availability` would have.
		let deadline = frame_system::Pallet::<T>::block_number();
		assert!(T::Currency::hold(
			&HoldReason::AvailabilityBond.into(),
			&who,
			T::AvailabilityBond::get()
		)
		.is_ok());
		AvailabilityChallenges::<T>::insert(
			id,
			AvailabilityChallenge {
				challenger: who,
				index: 0,
				bond: T::AvailabilityBond::get(),
				deadline,
			},
		);
		frame_system::Pallet::<T>::set_block_number(deadline.saturating_add(1u32.into()));
		let caller: T::AccountId = whitelisted_caller();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), id);

		assert!(!AvailabilityChallenges::<T>::contains_key(id));
		assert!(!Disputes::<T>::contains_key(id));
		assert_voided::<T>(id);
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
