//! Setup the AIL2 pallets' benchmarks need from the rest of the runtime: staked workers,
//! an active model, funded payers and proposed batches, made through the real pallets.

use crate::{
	currency::UNITS, AccountId, Balance, Balances, Models, Receipts, Runtime, RuntimeOrigin,
	Workers,
};
use ail2_primitives::{
	billing::{BillingMode, PricingPolicy},
	merkle::SumNode,
	receipt::{PublicKey, SemVer},
	Counter, ModelId,
};
use frame_benchmarking::account;
use frame_support::{
	traits::{fungible::Mutate, Get},
	BoundedVec,
};
use pallet_models::{ContainerMetadata, ModelInspect};

/// Implements every AIL2 pallet's `BenchmarkHelper`.
pub struct Setup;

const VERSION: SemVer = SemVer::new(1, 0, 0);

fn stake() -> Balance {
	super::workers::WorkerMinStake::get().saturating_mul(10)
}

fn worker(index: u32) -> (AccountId, PublicKey) {
	let owner: AccountId = account("worker-owner", index, 0);
	let hot: AccountId = account("worker", index, 0);
	let key = Workers::benchmark_worker(&owner, &hot, stake()).unwrap_or([0; 33]);
	(hot, key)
}

/// The shared example model, billed in both tokens and GPU time at prices in real units, so
/// that the benchmarked pricing does every part of the billing function.
fn metadata() -> ContainerMetadata {
	ContainerMetadata {
		pricing: PricingPolicy {
			mode: BillingMode::Hybrid,
			token_base: 1_000_000,
			per_1k_input_tokens: 2_000_000,
			per_1k_output_tokens: 6_000_000,
			time_base: 1_000_000,
			per_gpu_second: 5_000_000,
			min_fee: 1_000_000,
			max_fee: UNITS,
		},
		..pallet_models::fixtures::metadata()
	}
}

/// An active model at `VERSION`, registering it if none is billable yet.
fn model() -> (ModelId, SemVer) {
	let id = pallet_models::NextModelId::<Runtime>::get().saturating_sub(1);
	if Models::is_billable(id, &VERSION) {
		return (id, VERSION);
	}
	let developer: AccountId = account("model-developer", 0, 0);
	Balances::set_balance(&developer, 1_000_000 * UNITS);
	let id = pallet_models::NextModelId::<Runtime>::get();
	let name = BoundedVec::truncate_from(b"bench-model".to_vec());
	let origin = RuntimeOrigin::signed(developer);
	let _ = Models::register_model(origin.clone(), name, VERSION, metadata());
	let _ = Models::approve_model(RuntimeOrigin::root(), id);
	let _ = Models::activate_model(origin, id);
	(id, VERSION)
}

impl pallet_models::BenchmarkHelper for Setup {
	fn fill_price_votes() {
		let max: u32 = super::workers::MaxWorkers::get();
		for i in 0..max {
			let (hot, _) = worker(i);
			let price = UNITS.saturating_add(Balance::from(i));
			let _ = Workers::vote_price(RuntimeOrigin::signed(hot), price);
		}
	}
}

impl pallet_receipts::BenchmarkHelper<AccountId> for Setup {
	fn active_worker_and_model() -> (AccountId, ModelId, SemVer) {
		let (hot, _) = worker(0);
		let (id, version) = model();
		(hot, id, version)
	}
}

impl pallet_slashing::BenchmarkHelper<AccountId> for Setup {
	fn staked_worker(index: u32) -> AccountId {
		worker(index).0
	}
}

impl pallet_issuance::BenchmarkHelper<AccountId> for Setup {
	fn active_worker(index: u32) -> AccountId {
		worker(index).0
	}
}

impl pallet_race::BenchmarkHelper<AccountId> for Setup {
	fn worker(index: u32) -> AccountId {
		let (hot, _) = worker(index);
		// The hot key pays submission fees.
		Balances::set_balance(&hot, 1_000 * UNITS);
		hot
	}
}

impl pallet_challenges::BenchmarkHelper<AccountId> for Setup {
	fn worker(index: u32) -> (AccountId, PublicKey) {
		worker(index)
	}

	fn model() -> (ModelId, SemVer) {
		model()
	}

	fn payer(payer: &AccountId, gateway: PublicKey) {
		Balances::set_balance(payer, 10_000_000 * UNITS);
		let origin = RuntimeOrigin::signed(payer.clone());
		let _ = Receipts::deposit(origin.clone(), 1_000_000 * UNITS);
		let _ = Receipts::add_gateway_key(origin, gateway);
	}

	fn propose(
		worker: &AccountId,
		payer: &AccountId,
		model: ModelId,
		version: SemVer,
		(first, last): (Counter, Counter),
		root: SumNode,
		count: u64,
	) -> pallet_receipts::BatchId {
		let id = pallet_receipts::NextBatchId::<Runtime>::get();
		let _ = Receipts::propose_batch(
			RuntimeOrigin::signed(worker.clone()),
			payer.clone(),
			model,
			version,
			first,
			last,
			root.hash,
			root.sum,
			count,
			[0; 32],
			BoundedVec::truncate_from(b"https://worker.example/batches/0".to_vec()),
		);
		id
	}
}

impl pallet_poi::BenchmarkHelper<AccountId> for Setup {
	fn worker(index: u32) -> AccountId {
		let (hot, _) = worker(index);
		// The hot key bids and pays fees.
		Balances::set_balance(&hot, 1_000 * UNITS);
		hot
	}

	fn model(index: u32) -> ModelId {
		let (first, _) = model();
		// Models after the billable one: registered, which is all a bid needs.
		let developer: AccountId = account("model-developer", 0, 0);
		while pallet_models::NextModelId::<Runtime>::get() <= first.saturating_add(index) {
			let next = pallet_models::NextModelId::<Runtime>::get();
			let mut name = b"bench-model-".to_vec();
			name.extend_from_slice(&next.to_le_bytes());
			let origin = RuntimeOrigin::signed(developer.clone());
			if Models::register_model(origin, BoundedVec::truncate_from(name), VERSION, metadata())
				.is_err()
			{
				break;
			}
		}
		first.saturating_add(index)
	}

	fn propose(
		worker: &AccountId,
		payer: &AccountId,
		model: ModelId,
		root: SumNode,
		count: u64,
	) -> pallet_receipts::BatchId {
		Balances::set_balance(payer, 10_000_000 * UNITS);
		let _ = Receipts::deposit(RuntimeOrigin::signed(payer.clone()), 1_000_000 * UNITS);
		let id = pallet_receipts::NextBatchId::<Runtime>::get();
		let _ = Receipts::propose_batch(
			RuntimeOrigin::signed(worker.clone()),
			payer.clone(),
			model,
			VERSION,
			1,
			count.max(1),
			root.hash,
			root.sum,
			count,
			[0; 32],
			BoundedVec::truncate_from(b"https://worker.example/batches/0".to_vec()),
		);
		id
	}
}
