//! A runtime with System, Balances and Receipts for the unit tests. The registries this
//! pallet reads are stubs behind the traits it reads them through: `WorkersMock`
//! (`WorkerInspect`) and `ModelsMock` (`ModelInspect`), which tests fill with `add_worker`
//! and `add_model`. Balances is real: escrow and payouts are this pallet's own money.

#![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use crate as pallet_receipts;
use ail2_primitives::{
	billing::PricingPolicy,
	receipt::{signing::Keypair, PublicKey, SemVer},
	Hash, ModelId,
};
use alloc::collections::btree_map::BTreeMap;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32, ConstU64},
	weights::constants::RocksDbWeight,
};
use frame_system::EnsureRoot;
use pallet_models::{fixtures, ContainerMetadata, ModelInspect, RevenueSplit};
use pallet_receipts::{ChallengeWindow, SettlementParams};
use pallet_workers::WorkerInspect;
use sp_runtime::BuildStorage;

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
	pub type Receipts = pallet_receipts;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
	/// Real database weights, so the migration tests can tell one read from a migration.
	type DbWeight = RocksDbWeight;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type AccountStore = System;
	type ExistentialDeposit = ConstU128<1>;
	type RuntimeHoldReason = RuntimeHoldReason;
}

/// What the pricing of every stub model hashes to. This pallet never recomputes the policy
/// hash a receipt quotes, so any value stands for pallet-models' keccak of the policy.
pub const POLICY_HASH: Hash = [0x70; 32];

/// A model as the registry stub keeps it: its versions, each billable while the model is
/// active.
#[derive(Clone, Debug)]
pub struct StubModel {
	pub owner: AccountId,
	pub versions: BTreeMap<SemVer, ContainerMetadata>,
	pub active: bool,
}

parameter_types! {
	pub const Treasury: AccountId = TREASURY;
	pub const Ecosystem: AccountId = ECOSYSTEM;

	/// The active workers the stub knows: hot key → owner.
	pub static StubWorkers: BTreeMap<AccountId, AccountId> = BTreeMap::new();
	/// The models the stub knows, by id.
	pub static StubModels: BTreeMap<ModelId, StubModel> = BTreeMap::new();
	/// The audit stub's state: batches whose settlement it holds, whether it refuses new
	/// proposals, and the batches it was told were proposed and closed.
	pub static HeldBatches: Vec<crate::BatchId> = Vec::new();
	pub static RefuseProposals: bool = false;
	pub static Audited: Vec<crate::BatchId> = Vec::new();
	pub static ClosedBatches: Vec<crate::BatchId> = Vec::new();
	/// The revenue stub's training-fund share (none unless a test sets one) and the fees it
	/// was told were paid.
	pub static TrainingShare: Option<sp_runtime::Perbill> = None;
	pub static PaidFees: Vec<Balance> = Vec::new();
}

/// The training fund's account in the tests.
pub const TRAINING_FUND: AccountId = 77;

/// Issuance as this pallet sees it: takes `TrainingShare` for `TRAINING_FUND` and records
/// the fees of every paid batch.
pub struct RevenueMock;

impl crate::SettlementRevenue<AccountId, Balance> for RevenueMock {
	fn training_fund() -> Option<(AccountId, sp_runtime::Perbill)> {
		TrainingShare::get().map(|share| (TRAINING_FUND, share))
	}

	fn batch_paid(fees: Balance) {
		PaidFees::mutate(|paid| paid.push(fees));
	}
}

/// Proof of inference as this pallet sees it: records what it is told, holds the batches in
/// `HeldBatches`, refuses proposals while `RefuseProposals` is set.
pub struct AuditMock;

impl crate::BatchAudit<AccountId, u64> for AuditMock {
	fn proposed(
		batch: crate::BatchId,
		_: &crate::Batch<AccountId, u64>,
	) -> Result<(), sp_runtime::DispatchError> {
		if RefuseProposals::get() {
			return Err(sp_runtime::DispatchError::Other("audit refuses"));
		}
		Audited::mutate(|a| a.push(batch));
		Ok(())
	}

	fn holds_settlement(batch: crate::BatchId) -> bool {
		HeldBatches::get().contains(&batch)
	}

	fn closed(batch: crate::BatchId) {
		ClosedBatches::mutate(|c| c.push(batch));
	}
}

/// The worker registry, as far as this pallet uses it: who is active and who owns it.
pub struct WorkersMock;

impl WorkersMock {
	/// Registers `hot` as an active worker run by `owner`.
	pub fn add_worker(owner: AccountId, hot: AccountId) {
		StubWorkers::mutate(|workers| workers.insert(hot, owner));
	}
}

impl WorkerInspect<AccountId, Balance> for WorkersMock {
	fn is_active(worker: &AccountId) -> bool {
		StubWorkers::get().contains_key(worker)
	}

	fn is_online(worker: &AccountId) -> bool {
		Self::is_active(worker)
	}

	/// Receipt keys are not modelled: this pallet checks no signature.
	fn receipt_key(_: &AccountId) -> Option<PublicKey> {
		None
	}

	fn worker_of_receipt_key(_: &PublicKey) -> Option<AccountId> {
		None
	}

	fn owner(worker: &AccountId) -> Option<AccountId> {
		StubWorkers::get().get(worker).copied()
	}

	/// Stake is not modelled: this pallet moves none.
	fn slashable_stake(_: &AccountId) -> Balance {
		0
	}

	fn active_stake(_: &AccountId) -> Balance {
		0
	}

	fn active_workers() -> Vec<(AccountId, Balance)> {
		StubWorkers::get().into_keys().map(|hot| (hot, 0)).collect()
	}
}

/// The model registry, as far as this pallet uses it.
pub struct ModelsMock;

impl ModelsMock {
	/// Registers `model` with one approved `version`, active from now on.
	pub fn add_model(
		model: ModelId,
		owner: AccountId,
		version: SemVer,
		metadata: ContainerMetadata,
	) {
		let versions = BTreeMap::from([(version, metadata)]);
		let stub = StubModel { owner, versions, active: true };
		StubModels::mutate(|models| models.insert(model, stub));
	}

	/// Adds `version` of `model` with its own `metadata`; the versions before it stay.
	pub fn add_version(model: ModelId, version: SemVer, metadata: ContainerMetadata) {
		StubModels::mutate(|models| {
			if let Some(m) = models.get_mut(&model) {
				m.versions.insert(version, metadata);
			}
		});
	}

	/// Retires `model`: no version of it is billable any more.
	pub fn deprecate(model: ModelId) {
		StubModels::mutate(|models| {
			if let Some(m) = models.get_mut(&model) {
				m.active = false;
			}
		});
	}

	fn model(model: ModelId) -> Option<StubModel> {
		StubModels::get().get(&model).cloned()
	}
}

impl ModelInspect<AccountId, Balance> for ModelsMock {
	fn is_billable(model: ModelId, version: &SemVer) -> bool {
		Self::model(model).is_some_and(|m| m.active && m.versions.contains_key(version))
	}

	fn pricing(model: ModelId, version: &SemVer) -> Option<(PricingPolicy, Hash)> {
		Self::model(model)?.versions.get(version).map(|m| (m.pricing, POLICY_HASH))
	}

	fn revenue_split(model: ModelId, version: &SemVer) -> Option<RevenueSplit> {
		Self::model(model)?.versions.get(version).map(|m| m.revenue_split)
	}

	fn owner(model: ModelId) -> Option<AccountId> {
		Self::model(model).map(|m| m.owner)
	}

	fn unit_price() -> Balance {
		1
	}
}

pub const BASE_WINDOW: u64 = 20;
pub const MAX_EXTRA: u64 = 30;
pub const WITHDRAWAL_DELAY: u64 = 100;
pub const REVOCATION_DELAY: u64 = 10;
/// The hard bounds governance's parameters stay within.
pub const MAX_CHALLENGE_WINDOW: u64 = 200;
pub const MAX_WITHDRAWAL_DELAY: u64 = 1_000;
/// Blocks a closed batch's record is kept.
pub const PRUNE_DELAY: u64 = 100;
pub const MAX_PRUNED_PER_BLOCK: u32 = 8;

parameter_types! {
	/// The parameters every test starts with: windows of 20 to 50 blocks, one more block
	/// per 1,000 receipts and per 10,000 of value.
	pub const DefaultParams: SettlementParams<u64, Balance> = SettlementParams {
		challenge_window: ChallengeWindow {
			base: BASE_WINDOW,
			receipts_per_extra_block: 1_000,
			value_per_extra_block: 10_000,
			max_extra: MAX_EXTRA,
		},
		withdrawal_delay: WITHDRAWAL_DELAY,
		gateway_revocation_delay: REVOCATION_DELAY,
	};
}

impl crate::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Workers = WorkersMock;
	type Models = ModelsMock;
	type Audit = AuditMock;
	type Revenue = RevenueMock;
	type TreasuryAccount = Treasury;
	type EcosystemAccount = Ecosystem;
	type ParamsOrigin = EnsureRoot<AccountId>;
	type DefaultParams = DefaultParams;
	type MaxChallengeWindow = ConstU64<MAX_CHALLENGE_WINDOW>;
	type MaxWithdrawalDelay = ConstU64<MAX_WITHDRAWAL_DELAY>;
	type MaxGatewayKeys = ConstU32<2>;
	type PruneDelay = ConstU64<PRUNE_DELAY>;
	type MaxPrunedPerBlock = ConstU32<MAX_PRUNED_PER_BLOCK>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ExistingWorkerAndModel;
}

/// The worker and model every test externality starts with.
#[cfg(feature = "runtime-benchmarks")]
pub struct ExistingWorkerAndModel;
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for ExistingWorkerAndModel {
	fn active_worker_and_model() -> (AccountId, u32, SemVer) {
		(HOT, MODEL, V1)
	}
}

pub const PAYER: AccountId = 1;
pub const WORKER_OWNER: AccountId = 2;
pub const DEV: AccountId = 3;
pub const STRANGER: AccountId = 4;
pub const TREASURY: AccountId = 900;
pub const ECOSYSTEM: AccountId = 901;
pub const HOT: AccountId = 100;
pub const MODEL: u32 = 0;
pub const V1: SemVer = SemVer::new(1, 0, 0);

pub fn receipt_key() -> Keypair {
	Keypair::from_secret(&[0x21; 32]).expect("valid")
}

pub fn gateway_key() -> Keypair {
	Keypair::from_secret(&[0x31; 32]).expect("valid")
}

/// Genesis (with the receipts pallet's `DefaultParams`) plus an active worker (`HOT`, owned by `WORKER_OWNER`) and an active model.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage =
		frame_system::GenesisConfig::<Test>::default().build_storage().expect("genesis");
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![
			(PAYER, 100_000_000),
			(WORKER_OWNER, 100_000),
			(DEV, 100_000),
			(STRANGER, 100_000),
			(TREASURY, 1),
			(ECOSYSTEM, 1),
		],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.expect("balances genesis");
	pallet_receipts::GenesisConfig::<Test>::default()
		.assimilate_storage(&mut storage)
		.expect("receipts genesis");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		StubWorkers::reset();
		StubModels::reset();
		HeldBatches::reset();
		RefuseProposals::reset();
		Audited::reset();
		ClosedBatches::reset();
		TrainingShare::reset();
		PaidFees::reset();
		WorkersMock::add_worker(WORKER_OWNER, HOT);
		ModelsMock::add_model(MODEL, DEV, V1, fixtures::metadata());
	});
	ext
}

/// Runs `test`, then checks the pallet's invariants.
pub fn run(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Receipts::do_try_state().expect("invariants hold");
	});
}
