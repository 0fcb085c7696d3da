//! A runtime around Race with the real System and Balances (submission fees move money) and
//! stubs of its neighbours, as the race sees them through its `Config`: [`WorkersStub`] is
//! the worker registry (`WorkerInspect`, `WorkerPenalty`), [`ViolationsStub`] is
//! pallet-slashing (`ReportViolation`). Tests register workers with [`add_worker`] and read
//! what the pallet told its neighbours with [`reported_violations`] and [`penalties`]; what
//! the real neighbours then do is theirs to test, and the composition the runtime's.

#![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use crate as pallet_race;
use crate::{Race as RaceSchedule, RaceParams};
use ail2_primitives::race::RaceModel;
use codec::{Decode, Encode};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32, ConstU64, Hooks},
};
use frame_system::EnsureRoot;
use pallet_slashing::{ReportViolation, SlashOutcome, Violation};
use pallet_workers::{PublicKey, WorkerInspect, WorkerPenalty};
use sp_runtime::{BuildStorage, DispatchError, Perbill};
use std::collections::BTreeMap;

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
	pub type Race = pallet_race;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type AccountStore = System;
	type ExistentialDeposit = ConstU128<1>;
}

/// A worker as the registry stub keeps it.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode)]
pub struct StubWorker {
	/// Its stake: all of it active, none unbonding.
	pub stake: Balance,
	/// Whether it may be given work; suspension and bans clear it.
	pub active: bool,
}

/// A call the pallet made through `WorkerPenalty`.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode)]
pub enum Penalty {
	/// `amount` of stake moved to `to`.
	Slashed { amount: Balance, to: AccountId },
	/// Suspended.
	Suspended,
	/// Banned.
	Banned,
	/// Reputation lowered by this much.
	ReputationReduced(Perbill),
	/// Reputation raised by this much.
	ReputationRaised(Perbill),
}

/// A violation the pallet reported through `ReportViolation`, with its arguments.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode)]
pub struct Report {
	pub offender: AccountId,
	pub violation: Violation,
	pub reporter: Option<AccountId>,
	pub bounty_cap: Balance,
}

parameter_types! {
	pub const Treasury: AccountId = TREASURY;
	pub const NonVoterPenalty: Perbill = Perbill::from_percent(5);
	// In the externalities' storage, so every test starts empty and `assert_noop!` sees
	// the stubs unchanged too.
	/// The registry: workers by hot key.
	pub storage StubWorkers: BTreeMap<AccountId, StubWorker> = BTreeMap::new();
	/// Every `WorkerPenalty` call, in order.
	pub storage Penalties: Vec<(AccountId, Penalty)> = Vec::new();
	/// Every `ReportViolation::report`, in order.
	pub storage Reports: Vec<Report> = Vec::new();
}

/// Registers `hot` as an active worker staked `STAKE`.
pub fn add_worker(hot: AccountId) {
	let mut workers = StubWorkers::get();
	workers.insert(hot, StubWorker { stake: STAKE, active: true });
	StubWorkers::set(&workers);
}

/// The `WorkerPenalty` calls the pallet made, in order.
pub fn penalties() -> Vec<(AccountId, Penalty)> {
	Penalties::get()
}

/// The violations the pallet reported, in order.
pub fn reported_violations() -> Vec<Report> {
	Reports::get()
}

fn worker(who: &AccountId) -> Option<StubWorker> {
	StubWorkers::get().get(who).cloned()
}

fn penalize(who: &AccountId, penalty: Penalty) {
	let mut penalties = Penalties::get();
	penalties.push((*who, penalty));
	Penalties::set(&penalties);
}

/// Changes `who`'s stub record; fails for an unregistered worker, as the registry does.
fn update(who: &AccountId, change: impl FnOnce(&mut StubWorker)) -> Result<(), DispatchError> {
	let mut workers = StubWorkers::get();
	let worker = workers.get_mut(who).ok_or(DispatchError::Other("not a registered worker"))?;
	change(worker);
	StubWorkers::set(&workers);
	Ok(())
}

/// The worker registry: the workers [`add_worker`] registered, each owned by `OWNER`.
/// Receipt keys are pallet-receipts' concern: the stub's workers have none.
pub struct WorkersStub;

impl WorkerInspect<AccountId, Balance> for WorkersStub {
	fn is_active(worker_id: &AccountId) -> bool {
		worker(worker_id).is_some_and(|w| w.active)
	}

	fn is_online(worker_id: &AccountId) -> bool {
		Self::is_active(worker_id)
	}

	fn receipt_key(_: &AccountId) -> Option<PublicKey> {
		None
	}

	fn worker_of_receipt_key(_: &PublicKey) -> Option<AccountId> {
		None
	}

	fn owner(worker_id: &AccountId) -> Option<AccountId> {
		worker(worker_id).map(|_| OWNER)
	}

	fn slashable_stake(worker_id: &AccountId) -> Balance {
		worker(worker_id).map_or(0, |w| w.stake)
	}

	fn active_stake(worker_id: &AccountId) -> Balance {
		Self::slashable_stake(worker_id)
	}

	fn active_workers() -> Vec<(AccountId, Balance)> {
		StubWorkers::get()
			.into_iter()
			.filter(|(_, w)| w.active)
			.map(|(a, w)| (a, w.stake))
			.collect()
	}
}

impl WorkerPenalty<AccountId, Balance> for WorkersStub {
	fn slash(
		worker_id: &AccountId,
		amount: Balance,
		to: &AccountId,
	) -> Result<Balance, DispatchError> {
		let mut moved = 0;
		update(worker_id, |w| {
			moved = amount.min(w.stake);
			w.stake -= moved;
		})?;
		penalize(worker_id, Penalty::Slashed { amount: moved, to: *to });
		Ok(moved)
	}

	fn suspend(worker_id: &AccountId) -> Result<(), DispatchError> {
		update(worker_id, |w| w.active = false)?;
		penalize(worker_id, Penalty::Suspended);
		Ok(())
	}

	fn ban(worker_id: &AccountId) -> Result<(), DispatchError> {
		update(worker_id, |w| w.active = false)?;
		penalize(worker_id, Penalty::Banned);
		Ok(())
	}

	fn reduce_reputation(worker_id: &AccountId, by: Perbill) {
		penalize(worker_id, Penalty::ReputationReduced(by));
	}

	fn raise_reputation(worker_id: &AccountId, by: Perbill) {
		penalize(worker_id, Penalty::ReputationRaised(by));
	}
}

/// pallet-slashing: records each report and punishes nothing (the slash formula is
/// pallet-slashing's to test).
pub struct ViolationsStub;

impl ReportViolation<AccountId, Balance> for ViolationsStub {
	fn report(
		offender: &AccountId,
		violation: Violation,
		reporter: Option<&AccountId>,
		bounty_cap: Balance,
	) -> Result<SlashOutcome<Balance>, DispatchError> {
		let mut reports = Reports::get();
		reports.push(Report {
			offender: *offender,
			violation,
			reporter: reporter.copied(),
			bounty_cap,
		});
		Reports::set(&reports);
		Ok(SlashOutcome { rate: Perbill::zero(), slashed: 0, bounty: 0 })
	}
}

/// Randomness that changes with the subject and the block: enough for tests, which need
/// seeds to be deterministic and to differ per race and per block.
pub struct TestRandomness;
impl frame_support::traits::Randomness<sp_core::H256, u64> for TestRandomness {
	fn random(subject: &[u8]) -> (sp_core::H256, u64) {
		let block = System::block_number();
		(sp_core::H256(sp_io::hashing::blake2_256(&(subject, block).encode())), block)
	}
}

pub const PERIOD: u64 = 40;
pub const COMMIT: u64 = 3;
pub const REVEAL: u64 = 3;
pub const WINDOW: u32 = 10;
pub const VALIDATION: u64 = 5;
pub const COMMIT_FEE: Balance = 10;
pub const COMMIT_INTERVAL: u32 = 3;

impl crate::Config for Test {
	type Currency = Balances;
	type Workers = WorkersStub;
	type Violations = ViolationsStub;
	type OnWeightsAccepted = ();
	type Randomness = TestRandomness;
	type ParamsOrigin = EnsureRoot<AccountId>;
	type DefaultParams = DefaultParams;
	type RacePeriod = ConstU64<PERIOD>;
	type MaxCommitters = ConstU32<2>;
	type MaxParticipants = ConstU32<4>;
	type JudgedPerBlock = ConstU32<2>;
	type MaxSampleSize = ConstU32<64>;
	type MaxArtifactLen = ConstU32<8>;
	type ValidatorsPerParticipant = ConstU32<2>;
	type HistoryDepth = ConstU32<3>;
	type NonVoterPenalty = NonVoterPenalty;
	type TreasuryAccount = Treasury;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchSetup;
}

/// Benchmark workers: registered in the stub, their hot keys funded for fees.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchSetup;
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for BenchSetup {
	fn worker(index: u32) -> AccountId {
		use frame_support::traits::fungible::Mutate;
		let hot = 20_000 + u64::from(index);
		add_worker(hot);
		Balances::set_balance(&hot, 1_000_000_000);
		hot
	}
}

pub const OWNER: AccountId = 1;
pub const STRANGER: AccountId = 9;
pub const TREASURY: AccountId = 900;
/// Workers' hot keys: all active, staked `STAKE`.
pub const W1: AccountId = 101;
pub const W2: AccountId = 102;
pub const W3: AccountId = 103;
pub const W4: AccountId = 104;
pub const W5: AccountId = 105;
pub const STAKE: Balance = 10_000;
pub const HOT_BALANCE: Balance = 100_000;

frame_support::parameter_types! {
	pub DefaultParams: RaceParams = params();
}

/// The tiny race of these tests.
pub fn params() -> RaceParams {
	RaceParams {
		model: RaceModel { layers: 2, heads: 2, d_model: 8, d_ff: 16, vocab: 64, seq_len: 4 },
		window: WINDOW,
		artifact_len: 4,
		tolerance: 30_000,
		sample_size: 4,
		max_mismatches: 1,
		commit_interval: COMMIT_INTERVAL,
		commit_fee: COMMIT_FEE,
		commit: COMMIT as u32,
		reveal: REVEAL as u32,
		validation: VALIDATION as u32,
	}
}

/// The schedule of the race that starts at `start`.
pub fn schedule(index: u32, start: u64) -> RaceSchedule<u64> {
	RaceSchedule::schedule(index, params(), start)
}

/// Genesis with five active workers (W1 and W2 commit to the first race's seed).
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage =
		frame_system::GenesisConfig::<Test>::default().build_storage().expect("genesis");
	let mut balances = vec![(OWNER, 1_000_000), (STRANGER, 100_000), (TREASURY, 1)];
	balances.extend([W1, W2, W3, W4, W5].map(|w| (w, HOT_BALANCE)));
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut storage)
		.expect("balances genesis");
	pallet_race::GenesisConfig::<Test> { params: Some(params()), committers: vec![W1, W2] }
		.assimilate_storage(&mut storage)
		.expect("race genesis");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		[W1, W2, W3, W4, W5].into_iter().for_each(add_worker);
	});
	ext
}

/// Runs `test`, then checks Race's invariants and that it punished only registered workers.
pub fn run(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Race::do_try_state().expect("race invariants hold");
		let workers = StubWorkers::get();
		assert!(
			penalties().iter().all(|(who, _)| workers.contains_key(who))
				&& reported_violations().iter().all(|r| workers.contains_key(&r.offender)),
			"the race punishes only workers"
		);
	});
}

/// Runs the hooks of every block up to and including `n`.
pub fn run_to(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Race::on_initialize(next);
	}
}
