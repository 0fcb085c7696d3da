//! Benchmarks of every call, the round boundary and the audit hooks, each in its worst case.
#![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use super::*;
use ail2_primitives::{
	keccak256,
	merkle::{MerkleSumTree, SumNode},
	receipt::{Receipt, SemVer, SignedReceipt},
	transcript::no_transcript,
	ModelId,
};
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::{pallet_prelude::*, traits::Get};
use frame_system::RawOrigin;
use pallet_receipts::{BatchAudit, BatchId, BatchInspect};
use sp_runtime::{traits::Saturating, Perbill};

/// `count` active workers, from index `from`.
fn workers<T: Config>(from: u32, count: u32) -> Vec<T::AccountId> {
	(from..from.saturating_add(count)).map(T::BenchmarkHelper::worker).collect()
}

/// Parameters under which every receipt is due for a check and groups have `group` members.
fn check_everything<T: Config>(group: u32) {
	let mut params = Params::<T>::get();
	params.p0 = Perbill::one();
	params.p_max = Perbill::one();
	params.verifier_count = group.clamp(1, T::MaxVerifiers::get());
	params.max_extensions = 0;
	Params::<T>::put(params);
}

/// A receipt of `model` with `counter` (signatures are not checked here).
fn receipt(model: ModelId, counter: u64) -> SignedReceipt {
	SignedReceipt {
		receipt: Receipt {
			project_id: 1,
			model_id: model,
			version: SemVer::new(1, 0, 0),
			timestamp_ms: counter,
			tokens_in: 100,
			tokens_out: 100,
			gpu_ms: 100,
			bytes_in: 400,
			bytes_out: 400,
			price: 1_000_000,
			chain_id: 42,
			route_id: keccak256(&counter.to_le_bytes()),
			counter,
			node_pubkey: [2; 33],
			payer: [3; 32],
			policy_hash: [4; 32],
			max_price: 2_000_000,
			expires_at_ms: u64::MAX,
			transcript: no_transcript(),
		},
		node_signature: [0; 65],
		gateway_signature: [0; 65],
	}
}

/// Leaf `index` with its proof.
fn leaf_of(
	receipts: &[SignedReceipt],
	tree: &MerkleSumTree,
	index: u64,
) -> Result<LeafProof, BenchmarkError> {
	let proof = tree.proof(index).ok_or(BenchmarkError::Stop("proof"))?;
	Ok(LeafProof {
		index,
		receipt: receipts[index as usize].clone(),
		siblings: BoundedVec::truncate_from(proof.siblings),
	})
}

/// A batch of `2^depth` receipts by a fresh worker, audited with a group of `group`
/// members serving the model; the batch, its receipts and tree, the worker and the group.
#[allow(clippy::type_complexity)]
fn audited<T: Config>(
	depth: u32,
	group: u32,
) -> Result<
	(BatchId, Vec<SignedReceipt>, MerkleSumTree, T::AccountId, Vec<T::AccountId>),
	BenchmarkError,
> {
	check_everything::<T>(group);
	let model = T::BenchmarkHelper::model(0);
	let members = workers::<T>(1, group);
	for member in &members {
		Pallet::<T>::do_bid(member.clone(), model, Params::<T>::get().min_bid)
			.map_err(|_| BenchmarkError::Stop("a verifier could not bid"))?;
	}
	let worker = T::BenchmarkHelper::worker(0);
	let receipts: Vec<SignedReceipt> = (1..=1u64 << depth).map(|c| receipt(model, c)).collect();
	let tree = MerkleSumTree::from_receipts(&receipts).map_err(|_| BenchmarkError::Stop("tree"))?;
	let payer: T::AccountId = account("payer", 0, 0);
	let batch =
		T::BenchmarkHelper::propose(&worker, &payer, model, tree.root(), receipts.len() as u64);
	// The next block fixes its seed.
	Pallet::<T>::fix_seeds();
	Ok((batch, receipts, tree, worker, members))
}

#[benchmarks]
mod benches {
	use super::*;

	/// A new bidder for a model with `MaxBidders − 1` bids.
	#[benchmark]
	fn bid() -> Result<(), BenchmarkError> {
		let model = T::BenchmarkHelper::model(0);
		let min = Params::<T>::get().min_bid;
		for other in workers::<T>(1, T::MaxBidders::get().saturating_sub(1)) {
			Pallet::<T>::do_bid(other, model, min).map_err(|_| BenchmarkError::Stop("bid"))?;
		}
		let worker = T::BenchmarkHelper::worker(0);

		#[extrinsic_call]
		_(RawOrigin::Signed(worker.clone()), model, min);

		assert_eq!(Bids::<T>::get(model, &worker), Some(min));
		Ok(())
	}

	#[benchmark]
	fn withdraw_bid() -> Result<(), BenchmarkError> {
		let model = T::BenchmarkHelper::model(0);
		let worker = T::BenchmarkHelper::worker(0);
		Pallet::<T>::do_bid(worker.clone(), model, Params::<T>::get().min_bid)
			.map_err(|_| BenchmarkError::Stop("bid"))?;

		#[extrinsic_call]
		_(RawOrigin::Signed(worker.clone()), model);

		assert_eq!(Bids::<T>::get(model, &worker), None);
		Ok(())
	}

	/// A spot check on the last leaf of a batch whose proof has `s` siblings.
	#[benchmark]
	fn open_check(s: Linear<1, 10>) -> Result<(), BenchmarkError> {
		let (batch, receipts, tree, _, _) = audited::<T>(s, T::MaxVerifiers::get())?;
		let index = receipts.len() as u64 - 1;
		let leaf = leaf_of(&receipts, &tree, index)?;
		let caller: T::AccountId = whitelisted_caller();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), batch, leaf);

		assert!(Checks::<T>::contains_key(batch, index));
		Ok(())
	}

	/// A payer's report on the last leaf of a batch whose proof has `s` siblings.
	#[benchmark]
	fn report(s: Linear<1, 10>) -> Result<(), BenchmarkError> {
		let (batch, receipts, tree, _, _) = audited::<T>(s, T::MaxVerifiers::get())?;
		let index = receipts.len() as u64 - 1;
		let leaf = leaf_of(&receipts, &tree, index)?;
		let payer: T::AccountId = account("payer", 0, 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(payer), batch, leaf);

		assert!(Checks::<T>::contains_key(batch, index));
		Ok(())
	}

	/// The vote that fails a check in a group of `g`: the slash, the forfeit, the void and
	/// the missed duties of the members who did not vote.
	#[benchmark]
	fn vote(g: Linear<1, { T::MaxVerifiers::get() }>) -> Result<(), BenchmarkError> {
		let (batch, receipts, tree, _, members) = audited::<T>(1, g)?;
		Pallet::<T>::do_open_check(batch, leaf_of(&receipts, &tree, 0)?, None)
			.map_err(|_| BenchmarkError::Stop("open"))?;
		// Members vote from the smallest stake up until the last vote makes the majority.
		let audit = Audits::<T>::get(batch).ok_or(BenchmarkError::Stop("audit"))?;
		let total: u128 = audit.group.iter().map(|(_, s)| *s).sum();
		let mut against = 0u128;
		let mut order: Vec<(T::AccountId, u128)> = audit.group.to_vec();
		order.reverse();
		let mut last = members.first().cloned().ok_or(BenchmarkError::Stop("no member"))?;
		for (member, stake) in order {
			if (against.saturating_add(stake)).saturating_mul(2) > total {
				last = member;
				break;
			}
			Pallet::<T>::do_vote(member, batch, 0, false)
				.map_err(|_| BenchmarkError::Stop("vote"))?;
			against = against.saturating_add(stake);
		}

		#[extrinsic_call]
		_(RawOrigin::Signed(last), batch, 0, false);

		assert!(!Audits::<T>::contains_key(batch), "the failed batch is voided");
		Ok(())
	}

	/// Closing a check nobody of a group of `g` voted on: inconclusive, `g` missed duties.
	#[benchmark]
	fn close_check(g: Linear<1, { T::MaxVerifiers::get() }>) -> Result<(), BenchmarkError> {
		let (batch, receipts, tree, _, _) = audited::<T>(1, g)?;
		Pallet::<T>::do_open_check(batch, leaf_of(&receipts, &tree, 0)?, None)
			.map_err(|_| BenchmarkError::Stop("open"))?;
		let deadline = Checks::<T>::get(batch, 0).ok_or(BenchmarkError::Stop("check"))?.deadline;
		frame_system::Pallet::<T>::set_block_number(deadline.saturating_add(1u32.into()));
		let caller: T::AccountId = whitelisted_caller();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), batch, 0);

		assert!(!Checks::<T>::contains_key(batch, 0));
		Ok(())
	}

	#[benchmark]
	fn set_params() {
		let params = T::DefaultParams::get();

		#[extrinsic_call]
		_(RawOrigin::Root, params);

		assert_eq!(Params::<T>::get(), params);
	}

	/// A round boundary with `m` models, each with a full set of inference nodes to pay and
	/// `b` bidders to draw from.
	#[benchmark]
	fn end_round(
		m: Linear<1, { T::MaxModels::get() }>,
		b: Linear<1, { T::MaxBidders::get() }>,
	) -> Result<(), BenchmarkError> {
		let mut params = Params::<T>::get();
		params.inference_nodes = T::MaxInferenceNodes::get();
		params.verifier_count = T::MaxVerifiers::get();
		Params::<T>::put(params);
		let bidders = workers::<T>(0, b);
		let models: Vec<ModelId> = (0..m).map(T::BenchmarkHelper::model).collect();
		let place = || -> Result<(), BenchmarkError> {
			for model in &models {
				for bidder in &bidders {
					Pallet::<T>::do_bid(bidder.clone(), *model, params.min_bid)
						.map_err(|_| BenchmarkError::Stop("bid"))?;
				}
			}
			Ok(())
		};
		place()?;
		let now = frame_system::Pallet::<T>::block_number();
		Pallet::<T>::end_round(now);
		place()?;

		#[block]
		{
			Pallet::<T>::end_round(now);
		}

		assert_eq!(ElectedModels::<T>::get().len() as u32, m);
		Ok(())
	}

	/// Auditing a proposed batch of a model with `b` bidders (the group is drawn from them).
	#[benchmark]
	fn audit_batch(b: Linear<1, { T::MaxBidders::get() }>) -> Result<(), BenchmarkError> {
		let model = T::BenchmarkHelper::model(0);
		for bidder in workers::<T>(1, b) {
			Pallet::<T>::do_bid(bidder, model, Params::<T>::get().min_bid)
				.map_err(|_| BenchmarkError::Stop("bid"))?;
		}
		let worker = T::BenchmarkHelper::worker(0);
		let payer: T::AccountId = account("payer", 0, 0);
		let root = SumNode { hash: [1; 32], sum: 1_000 };
		// Proposing audits the batch once; the measured call audits it again the same way.
		let batch = T::BenchmarkHelper::propose(&worker, &payer, model, root, 1);
		let record = T::Batches::unsettled_batch(batch).ok_or(BenchmarkError::Stop("batch"))?;

		#[block]
		{
			<Pallet<T> as BatchAudit<_, _>>::proposed(batch, &record)
				.map_err(|_| BenchmarkError::Stop("audit"))?;
		}

		assert!(Audits::<T>::contains_key(batch));
		Ok(())
	}

	/// Forgetting the audit of a batch with `c` open reports (their fees are released).
	#[benchmark]
	fn close_audit(c: Linear<1, { T::MaxChecksPerBatch::get() }>) -> Result<(), BenchmarkError> {
		let depth = 32 - c.leading_zeros();
		let (batch, receipts, tree, _, _) = audited::<T>(depth, 1)?;
		let payer: T::AccountId = account("payer", 0, 0);
		for index in 0..u64::from(c) {
			Pallet::<T>::do_open_check(
				batch,
				leaf_of(&receipts, &tree, index)?,
				Some(payer.clone()),
			)
			.map_err(|_| BenchmarkError::Stop("report"))?;
		}

		#[block]
		{
			<Pallet<T> as BatchAudit<_, _>>::closed(batch);
		}

		assert!(!Audits::<T>::contains_key(batch));
		Ok(())
	}

	/// Fixing the seeds of `n` batches proposed in the previous block.
	#[benchmark]
	fn fix_seeds(n: Linear<1, { T::MaxProposalsPerBlock::get() }>) -> Result<(), BenchmarkError> {
		let group: Vec<(T::AccountId, u128)> =
			workers::<T>(0, T::MaxVerifiers::get()).into_iter().map(|w| (w, 1u128)).collect();
		for batch in 0..u64::from(n) {
			Audits::<T>::insert(
				batch,
				Audit {
					round: 0,
					seed: None,
					reputation: Perbill::zero(),
					declared_rate: Perbill::zero(),
					group: BoundedVec::truncate_from(group.clone()),
					opened: 0,
					open: 0,
				},
			);
			Unseeded::<T>::try_mutate(|list| list.try_push(batch))
				.map_err(|_| BenchmarkError::Stop("unseeded"))?;
		}

		#[block]
		{
			Pallet::<T>::fix_seeds();
		}

		assert!(Audits::<T>::iter_values().all(|a| a.seed.is_some()));
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
