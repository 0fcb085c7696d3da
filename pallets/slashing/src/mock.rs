//! A runtime with System and Slashing for the unit tests. The worker registry is
//! `WorkersMock`, a stub behind `WorkerInspect` and `WorkerPenalty`: tests register workers
//! in it with `add_worker` and read back what the pallet told it (`slashed`, `status`,
//! `reputation`). No money moves in this pallet, so there is no Balances; that a slash moves
//! held stake is pallet-workers' test, and the two together are the runtime's.

#![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use crate as pallet_slashing;
use crate::SlashingParams;
use alloc::collections::btree_map::BTreeMap;
use frame_support::{derive_impl, parameter_types, traits::ConstU64};
use frame_system::EnsureRoot;
use pallet_workers::{PublicKey, WorkerInspect, WorkerPenalty, WorkerStatus};
use sp_runtime::{BuildStorage, DispatchError, FixedU128, Perbill, Saturating};

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
	pub type Slashing = pallet_slashing;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	/// Real database weights, so that the migration's tests can tell a read from a write.
	type DbWeight = frame_support::weights::constants::RocksDbWeight;
}

pub const MIN_STAKE: Balance = 1_000;
pub const MAX_SLASH: Balance = 60_000;
pub const MAX_BOUNTY: Balance = 2_000;
pub const DECAY: u64 = 1_000;

/// A worker as the registry stub keeps it: no unbonding, heartbeats or keys, which this
/// pallet never reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StubWorker {
	pub owner: AccountId,
	/// What the worker staked when it was added.
	pub staked: Balance,
	/// What is left of it after the slashes.
	pub stake: Balance,
	pub status: WorkerStatus,
	pub reputation: Perbill,
}

parameter_types! {
	pub const Treasury: AccountId = TREASURY;
	/// The runtime's values, but for a smaller `max_slash` and `max_bounty`.
	pub DefaultSlashingParams: SlashingParams<Balance> = SlashingParams {
		base_rate: Perbill::from_percent(10),
		repeat_step: FixedU128::from_rational(1, 2),
		max_slash: MAX_SLASH,
		bounty_share: Perbill::from_percent(10),
		max_bounty: MAX_BOUNTY,
		suspend_threshold: FixedU128::from_u32(3),
	};
	pub const MaxBountyShare: Perbill = Perbill::from_percent(50);
	pub MaxRepeatStep: FixedU128 = FixedU128::from_u32(10);
	pub PenaltySteepness: FixedU128 = FixedU128::from_rational(1, 2);
	pub const ReputationLoss: Perbill = Perbill::from_percent(10);

	/// The workers the stub knows, by hot key.
	pub static StubWorkers: BTreeMap<AccountId, StubWorker> = BTreeMap::new();
	/// Every slash the pallet asked for, in order: `(worker, amount taken, to)`.
	pub static Slashes: Vec<(AccountId, Balance, AccountId)> = Vec::new();
}

/// The worker registry, as far as this pallet uses it.
pub struct WorkersMock;

impl WorkersMock {
	/// Registers an active worker with `stake` and pallet-workers' initial reputation.
	pub fn add_worker(owner: AccountId, hot: AccountId, stake: Balance) {
		let worker = StubWorker {
			owner,
			staked: stake,
			stake,
			status: WorkerStatus::Active,
			reputation: Perbill::from_percent(50),
		};
		StubWorkers::mutate(|workers| workers.insert(hot, worker));
	}

	/// The slashes the pallet asked for: `(worker, amount taken, to)`.
	pub fn slashed() -> Vec<(AccountId, Balance, AccountId)> {
		Slashes::get()
	}

	/// The worker's status as the pallet's suspensions and bans left it.
	pub fn status(worker: AccountId) -> WorkerStatus {
		Self::worker(&worker).expect("a known worker").status
	}

	/// The worker's reputation as the pallet's reductions left it.
	pub fn reputation(worker: AccountId) -> Perbill {
		Self::worker(&worker).expect("a known worker").reputation
	}

	/// The stub's own bookkeeping: every slash names a known worker, and each worker's
	/// stake is what it staked less what was slashed from it.
	pub fn check() -> Result<(), &'static str> {
		let workers = StubWorkers::get();
		let slashes = Slashes::get();
		if slashes.iter().any(|(worker, ..)| !workers.contains_key(worker)) {
			return Err("slash of an unknown worker");
		}
		for (hot, worker) in &workers {
			let taken: Balance =
				slashes.iter().filter(|(w, ..)| w == hot).map(|(_, amount, _)| amount).sum();
			if worker.stake + taken != worker.staked {
				return Err("stake differs from stake added less slashes");
			}
		}
		Ok(())
	}

	fn worker(who: &AccountId) -> Option<StubWorker> {
		StubWorkers::get().get(who).cloned()
	}

	fn update(who: &AccountId, f: impl FnOnce(&mut StubWorker)) -> Result<(), DispatchError> {
		StubWorkers::mutate(|workers| {
			workers.get_mut(who).map(f).ok_or(DispatchError::Other("unknown worker"))
		})
	}
}

impl WorkerInspect<AccountId, Balance> for WorkersMock {
	fn is_active(worker: &AccountId) -> bool {
		Self::worker(worker)
			.is_some_and(|w| w.status == WorkerStatus::Active && w.stake >= MIN_STAKE)
	}

	/// Heartbeats are not modelled: a known worker is online.
	fn is_online(worker: &AccountId) -> bool {
		Self::worker(worker).is_some()
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

	fn slashable_stake(worker: &AccountId) -> Balance {
		Self::worker(worker).map_or(0, |w| w.stake)
	}

	fn active_stake(worker: &AccountId) -> Balance {
		Self::slashable_stake(worker)
	}

	fn active_workers() -> Vec<(AccountId, Balance)> {
		StubWorkers::get()
			.into_iter()
			.filter(|(hot, _)| Self::is_active(hot))
			.map(|(hot, w)| (hot, w.stake))
			.collect()
	}
}

impl WorkerPenalty<AccountId, Balance> for WorkersMock {
	fn slash(
		worker: &AccountId,
		amount: Balance,
		to: &AccountId,
	) -> Result<Balance, DispatchError> {
		let mut taken = 0;
		Self::update(worker, |w| {
			taken = amount.min(w.stake);
			w.stake -= taken;
		})?;
		Slashes::mutate(|slashes| slashes.push((*worker, taken, *to)));
		Ok(taken)
	}

	fn suspend(worker: &AccountId) -> Result<(), DispatchError> {
		Self::update(worker, |w| {
			if w.status == WorkerStatus::Active {
				w.status = WorkerStatus::Suspended;
			}
		})
	}

	fn ban(worker: &AccountId) -> Result<(), DispatchError> {
		Self::update(worker, |w| w.status = WorkerStatus::Banned)
	}

	fn reduce_reputation(worker: &AccountId, by: Perbill) {
		// Like pallet-workers, an unknown worker's reputation is left alone.
		let _ = Self::update(worker, |w| w.reputation = w.reputation.saturating_sub(by));
	}

	fn raise_reputation(worker: &AccountId, by: Perbill) {
		let _ = Self::update(worker, |w| w.reputation = w.reputation.saturating_add(by));
	}
}

impl crate::Config for Test {
	type Balance = Balance;
	type Workers = WorkersMock;
	type ReportOrigin = EnsureRoot<AccountId>;
	type TreasuryAccount = Treasury;
	type ParamsOrigin = EnsureRoot<AccountId>;
	type DefaultParams = DefaultSlashingParams;
	type MaxBountyShare = MaxBountyShare;
	type MaxRepeatStep = MaxRepeatStep;
	type DecayTime = ConstU64<DECAY>;
	type PenaltySteepness = PenaltySteepness;
	type ReputationLoss = ReputationLoss;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = WorkersMock;
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for WorkersMock {
	fn staked_worker(index: u32) -> AccountId {
		let (owner, hot) = (10_000 + u64::from(index), 20_000 + u64::from(index));
		Self::add_worker(owner, hot, 100 * MIN_STAKE);
		hot
	}
}

pub const OWNER: AccountId = 1;
pub const OTHER_OWNER: AccountId = 2;
pub const REPORTER: AccountId = 3;
pub const HOT: AccountId = 101;
pub const OTHER_HOT: AccountId = 102;
pub const TREASURY: AccountId = 999;
pub const STAKE: Balance = 100_000;

/// Genesis (the slashing parameters `DefaultSlashingParams`) plus two active workers,
/// `HOT` and `OTHER_HOT`, each staking `STAKE`.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let storage = RuntimeGenesisConfig::default().build_storage().expect("genesis");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		StubWorkers::reset();
		Slashes::reset();
		WorkersMock::add_worker(OWNER, HOT, STAKE);
		WorkersMock::add_worker(OTHER_OWNER, OTHER_HOT, STAKE);
	});
	ext
}

/// Runs `test` and then checks the pallet's invariants and the stub's bookkeeping.
pub fn run(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Slashing::do_try_state().expect("slashing invariants hold");
		WorkersMock::check().expect("the registry stub is consistent");
	});
}
