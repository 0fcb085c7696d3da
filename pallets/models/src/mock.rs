//! A runtime with System, Balances and Models. Pallet-workers is not in it: the price votes
//! it would report come from the `Votes` table the tests fill, through `PriceVoteSource`.

#![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use crate as pallet_models;
use crate::*;
use ail2_primitives::receipt::SemVer;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU64},
	BoundedVec,
};
use frame_system::EnsureRoot;
use pallet_workers::{EpochIndex, PriceVoteSource};
use sp_runtime::{BuildStorage, Perbill};

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;
pub type Balance = u128;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Test;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(2)]
	pub type Models = pallet_models;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
	// Real read and write costs, so the migration tests can tell one read from a migration.
	type DbWeight = frame_support::weights::constants::RocksDbWeight;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type AccountStore = System;
	type ExistentialDeposit = ConstU128<1>;
	type RuntimeHoldReason = RuntimeHoldReason;
}

pub const DEPOSIT: Balance = 500;
pub const EPOCH: u64 = 10;
pub const INITIAL_PRICE: Balance = 1_000;

parameter_types! {
	/// `(vote, stake)` of each active worker, as pallet-workers would report them.
	pub static Votes: Vec<(Option<Balance>, Balance)> = vec![];
	/// The runtime's bounds: the worker at least 50 %, the treasury at least 1 %, the model
	/// owner at most 40 %.
	pub const DefaultParams: RevenueSplitBounds = RevenueSplitBounds {
		min_worker: Perbill::from_percent(50),
		min_treasury: Perbill::from_percent(1),
		min_ecosystem: Perbill::zero(),
		max_model_owner: Perbill::from_percent(40),
	};
}

/// Price votes from the `Votes` table.
pub struct TableVotes;
impl PriceVoteSource<Balance> for TableVotes {
	fn current_epoch() -> EpochIndex {
		(System::block_number() / EPOCH) as EpochIndex
	}
	fn votes(_epoch: EpochIndex) -> Vec<(Option<Balance>, Balance)> {
		Votes::get()
	}
}

impl Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type ApproveOrigin = EnsureRoot<AccountId>;
	type PriceVotes = TableVotes;
	type ParamsOrigin = EnsureRoot<AccountId>;
	type DefaultParams = DefaultParams;
	type ModelDeposit = ConstU128<DEPOSIT>;
	type EpochLength = ConstU64<EPOCH>;
	type InitialUnitPrice = ConstU128<INITIAL_PRICE>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TableVotes;
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper for TableVotes {
	fn fill_price_votes() {
		Votes::set((0..1_000u128).map(|i| (Some(1_000 + i), 1 + i % 7)).collect());
	}
}

pub const DEV: AccountId = 1;
pub const OTHER: AccountId = 2;
pub const POOR: AccountId = 3;

pub const V1: SemVer = SemVer::new(1, 0, 0);
pub const V1_1: SemVer = SemVer::new(1, 1, 0);
pub const V2: SemVer = SemVer::new(2, 0, 0);

pub fn name() -> BoundedVec<u8, MaxNameLen> {
	BoundedVec::truncate_from(b"llama-3.1-8b-instruct".to_vec())
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage =
		frame_system::GenesisConfig::<Test>::default().build_storage().expect("genesis");
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(DEV, 100_000), (OTHER, 100_000), (POOR, 100)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.expect("balances genesis");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		Votes::set(vec![]);
	});
	ext
}

/// Runs `test`, then checks the pallet's invariants.
pub fn run(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Models::do_try_state().expect("invariants hold");
	});
}
