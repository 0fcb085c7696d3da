//! A runtime with System, Balances and Issuance for the unit tests. The worker registry and
//! the violation records are stubs behind `WorkerInspect` and `ViolationInspect`: tests add
//! workers with `add_worker`, deactivate them and prove violations against them. Balances is
//! real: the schedule mints real money.

#![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use crate as pallet_issuance;
use ail2_primitives::receipt::PublicKey;
use alloc::collections::btree_map::BTreeMap;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32, ConstU64, Hooks},
	weights::constants::RocksDbWeight,
};
use frame_system::{EnsureRoot, EnsureRootWithSuccess};
use pallet_slashing::ViolationInspect;
use pallet_workers::WorkerInspect;
use sp_runtime::{BuildStorage, FixedU128, Perbill};

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
	pub type Issuance = pallet_issuance;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
	type DbWeight = RocksDbWeight;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type AccountStore = System;
	type ExistentialDeposit = ConstU128<1>;
	type RuntimeHoldReason = RuntimeHoldReason;
}

/// Blocks in a test day.
pub const DAY: u64 = 10;
/// Workers paid per block: small, so that payouts run over several blocks.
pub const PAID_PER_BLOCK: u32 = 3;
pub const TRAINING_FUND: AccountId = 700;
pub const BENEFICIARY: AccountId = 701;
pub const GRANT_CAP: Balance = 100_000 * ail2_primitives::issuance::COIN;

/// A worker as the registry stub keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StubWorker {
	pub owner: AccountId,
	pub active: bool,
	pub violations: u32,
}

parameter_types! {
	pub const TrainingFund: AccountId = TRAINING_FUND;
	pub const DefaultTrainingShare: Perbill = Perbill::from_percent(20);
	pub const DefaultValidatorShare: Perbill = Perbill::from_percent(10);
	pub const MaxValidatorShare: Perbill = Perbill::from_percent(30);
	/// The most one grant may be: 100,000 AIL2.
	pub const GrantCap: Balance = GRANT_CAP;
	/// The workers the stub knows, by hot key.
	pub static StubWorkers: BTreeMap<AccountId, StubWorker> = BTreeMap::new();
}

/// The worker registry and the violation records, as far as this pallet reads them.
pub struct WorkersMock;

impl WorkersMock {
	/// Registers `hot` as an active worker of `owner`, with a clean record.
	pub fn add_worker(owner: AccountId, hot: AccountId) {
		let worker = StubWorker { owner, active: true, violations: 0 };
		StubWorkers::mutate(|workers| workers.insert(hot, worker));
	}

	/// Suspends or deregisters `hot`.
	pub fn deactivate(hot: AccountId) {
		StubWorkers::mutate(|workers| {
			workers.entry(hot).and_modify(|w| w.active = false);
		});
	}

	/// Proves one more violation against `hot`.
	pub fn prove_violation(hot: AccountId) {
		StubWorkers::mutate(|workers| {
			workers.entry(hot).and_modify(|w| w.violations += 1);
		});
	}

	fn worker(hot: &AccountId) -> Option<StubWorker> {
		StubWorkers::get().get(hot).copied()
	}
}

impl WorkerInspect<AccountId, Balance> for WorkersMock {
	fn is_active(worker: &AccountId) -> bool {
		Self::worker(worker).is_some_and(|w| w.active)
	}
	fn is_online(worker: &AccountId) -> bool {
		Self::is_active(worker)
	}
	fn receipt_key(_: &AccountId) -> Option<PublicKey> {
		None
	}
	fn worker_of_receipt_key(_: &PublicKey) -> Option<AccountId> {
		None
	}
	fn owner(worker: &AccountId) -> Option<AccountId> {
		Self::worker(worker).map(|w| w.owner)
	}
	fn slashable_stake(_: &AccountId) -> Balance {
		0
	}
	fn active_stake(_: &AccountId) -> Balance {
		0
	}
	fn active_workers() -> Vec<(AccountId, Balance)> {
		StubWorkers::get().into_iter().filter(|(_, w)| w.active).map(|(hot, _)| (hot, 0)).collect()
	}
}

impl ViolationInspect<AccountId> for WorkersMock {
	fn effective_violations(who: &AccountId) -> FixedU128 {
		FixedU128::from_u32(Self::violations(who))
	}
	fn penalty(_: &AccountId) -> Perbill {
		Perbill::one()
	}
	fn violations(who: &AccountId) -> u32 {
		Self::worker(who).map_or(0, |w| w.violations)
	}
}

impl crate::Config for Test {
	type Currency = Balances;
	type Workers = WorkersMock;
	type Violations = WorkersMock;
	type TrainingFundAccount = TrainingFund;
	type DayLength = ConstU64<DAY>;
	type ParamsOrigin = EnsureRoot<AccountId>;
	type GrantOrigin = EnsureRootWithSuccess<AccountId, GrantCap>;
	type DefaultTrainingShare = DefaultTrainingShare;
	type DefaultValidatorShare = DefaultValidatorShare;
	type MaxValidatorShare = MaxValidatorShare;
	type MaxPaidPerBlock = ConstU32<PAID_PER_BLOCK>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = NewWorkers;
}

/// Benchmark workers: hot keys from 10,000 on, each its own owner's.
#[cfg(feature = "runtime-benchmarks")]
pub struct NewWorkers;
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for NewWorkers {
	fn active_worker(index: u32) -> AccountId {
		let hot = 10_000 + AccountId::from(index);
		WorkersMock::add_worker(hot + 1_000_000, hot);
		hot
	}
}

/// Genesis: nothing minted, nobody funded but an account that pays for nothing here.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let storage = frame_system::GenesisConfig::<Test>::default().build_storage().expect("genesis");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		StubWorkers::reset();
	});
	ext
}

/// Runs `test`, then checks the pallet's invariants.
pub fn run(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Issuance::do_try_state().expect("invariants hold");
	});
}

/// Runs blocks up to and including `to`, with this pallet's `on_initialize`.
pub fn run_to(to: u64) {
	while System::block_number() < to {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Issuance::on_initialize(next);
	}
}
