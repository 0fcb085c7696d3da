//! A runtime of System, Balances and Challenges. The pallets Challenges works with are
//! stubbed through the traits it uses them by, as nomination-pools' `StakingMock` stubs
//! staking: [`WorkersMock`] for the worker registry, [`ModelsMock`] for the model registry,
//! [`BatchesMock`] for pallet-receipts' batches and gateway keys and [`ViolationsMock`] for
//! pallet-slashing. Each stub keeps its state in the test externalities (`parameter_types!`
//! storage), so a failed call rolls it back with the rest and `assert_noop!` sees it, and
//! records what Challenges told it for the tests to read. The real pallets are composed in
//! `runtime/tests/`.

#![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use crate as pallet_challenges;
use crate::Disputes;
use ail2_primitives::{
	merkle::SumNode,
	receipt::{signing::Keypair, PublicKey, SemVer},
	Counter, Hash, ModelId,
};
use alloc::collections::btree_map::BTreeMap;
use codec::{Decode, Encode};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32, ConstU64},
	BoundedVec,
};
use pallet_models::{fixtures, ContainerMetadata, ModelInspect, RevenueSplit};
use pallet_receipts::{Batch, BatchControl, BatchId, BatchInspect, BatchStatus, GatewayKey};
use pallet_slashing::{ReportViolation, SlashOutcome, Violation};
use pallet_workers::{WorkerInspect, WorkerPenalty};
use sp_runtime::{BuildStorage, DispatchError, Perbill};

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;
pub type Balance = u128;
pub type BlockNumber = u64;

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
	pub type Challenges = pallet_challenges;
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
	type RuntimeHoldReason = RuntimeHoldReason;
}

frame_support::ord_parameter_types! {
	pub const Council: AccountId = COUNCIL;
}

parameter_types! {
	pub const Treasury: AccountId = TREASURY;
	pub const NonVoterPenalty: Perbill = Perbill::from_percent(5);
	pub const DefendantShare: Perbill = Perbill::from_percent(50);
}

pub const BOND: Balance = 1_000;
pub const VOTING: u64 = 10;
/// The data-availability bond, and the blocks a worker has to post a leaf asked for.
pub const DA_BOND: Balance = 300;
pub const ANSWER_PERIOD: u64 = 5;
pub const CHAIN_ID: u32 = 1;
/// Blocks from a dispute's opening to its committee draw.
pub const DRAW_DELAY: u64 = 2;
pub const MAX_DRAWS_PER_BLOCK: u32 = 2;

parameter_types! {
	/// What the draw-time randomness stub returns: set by tests after a dispute opens, as
	/// the VRF output of a later block would be.
	pub storage RevealedEntropy: u64 = 0;
}

/// The randomness a block reveals after a dispute opened (BABE's parent-block VRF output in
/// the runtime): whatever the test set, with the block.
pub struct TestDrawRandomness;
impl frame_support::traits::Randomness<Option<sp_core::H256>, BlockNumber> for TestDrawRandomness {
	fn random(subject: &[u8]) -> (Option<sp_core::H256>, BlockNumber) {
		let block = System::block_number();
		let entropy = RevealedEntropy::get();
		(
			Some(sp_core::H256(sp_io::hashing::blake2_256(&(subject, entropy, block).encode()))),
			block,
		)
	}
}

/// Randomness that changes with the subject and the block: enough for tests, which only
/// need draws to be deterministic and not constant.
pub struct TestRandomness;
impl frame_support::traits::Randomness<sp_core::H256, BlockNumber> for TestRandomness {
	fn random(subject: &[u8]) -> (sp_core::H256, BlockNumber) {
		let block = System::block_number();
		(sp_core::H256(sp_io::hashing::blake2_256(&(subject, block).encode())), block)
	}
}

impl crate::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Batches = BatchesMock;
	type Workers = WorkersMock;
	type Models = ModelsMock;
	type Violations = ViolationsMock;
	type Randomness = TestRandomness;
	type DrawRandomness = TestDrawRandomness;
	type DrawDelay = ConstU64<DRAW_DELAY>;
	type MaxDrawsPerBlock = ConstU32<MAX_DRAWS_PER_BLOCK>;
	type ChainId = ConstU32<CHAIN_ID>;
	type DisputeBond = ConstU128<BOND>;
	type CommitteeSize = ConstU32<3>;
	type MinCommitteeSize = ConstU32<2>;
	type MaxCandidates = ConstU32<16>;
	type VotingPeriod = ConstU64<VOTING>;
	type NonVoterPenalty = NonVoterPenalty;
	type DefendantShare = DefendantShare;
	type TreasuryAccount = Treasury;
	type EmergencyOrigin = frame_system::EnsureSignedBy<Council, AccountId>;
	type AvailabilityBond = ConstU128<DA_BOND>;
	type AnswerPeriod = ConstU64<ANSWER_PERIOD>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchSetup;
}

/// Reads a stub's stored state, changes it and stores it back.
fn update<V, R>(get: fn() -> V, set: fn(&V), change: impl FnOnce(&mut V) -> R) -> R {
	let mut value = get();
	let result = change(&mut value);
	set(&value);
	result
}

/// A worker as the registry stub knows it.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode)]
pub struct StubWorker {
	pub owner: AccountId,
	pub receipt_key: PublicKey,
	pub stake: Balance,
	/// Whether it may be given work (and so sit on committees).
	pub active: bool,
}

/// A punishment Challenges applied through [`WorkerPenalty`].
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode)]
pub enum Penalty {
	Slash { worker: AccountId, amount: Balance, to: AccountId },
	Suspend(AccountId),
	Ban(AccountId),
	ReduceReputation(AccountId, Perbill),
	RaiseReputation(AccountId, Perbill),
}

parameter_types! {
	/// The workers of the registry stub, by hot key.
	pub storage StubWorkers: BTreeMap<AccountId, StubWorker> = BTreeMap::new();
	/// Every punishment Challenges applied, in order.
	pub storage StubPenalties: Vec<Penalty> = Vec::new();
}

/// The worker registry, stubbed.
pub struct WorkersMock;

impl WorkersMock {
	/// Registers an active worker.
	pub fn add(hot: AccountId, owner: AccountId, receipt_key: PublicKey, stake: Balance) {
		update(StubWorkers::get, StubWorkers::set, |workers| {
			workers.insert(hot, StubWorker { owner, receipt_key, stake, active: true })
		});
	}

	/// Takes the worker out of (or back into) the active set, as governance may.
	pub fn set_active(hot: AccountId, active: bool) {
		update(StubWorkers::get, StubWorkers::set, |workers| {
			if let Some(worker) = workers.get_mut(&hot) {
				worker.active = active;
			}
		});
	}

	/// What Challenges did to workers, in order.
	pub fn penalties() -> Vec<Penalty> {
		StubPenalties::get()
	}

	fn worker(hot: &AccountId) -> Option<StubWorker> {
		StubWorkers::get().get(hot).cloned()
	}

	fn record(penalty: Penalty) {
		update(StubPenalties::get, StubPenalties::set, |penalties| penalties.push(penalty));
	}

	fn registered(hot: &AccountId) -> Result<(), DispatchError> {
		Self::worker(hot).map(|_| ()).ok_or(DispatchError::Other("not a registered worker"))
	}
}

impl WorkerInspect<AccountId, Balance> for WorkersMock {
	fn is_active(worker: &AccountId) -> bool {
		Self::worker(worker).is_some_and(|w| w.active)
	}

	fn is_online(worker: &AccountId) -> bool {
		Self::is_active(worker)
	}

	fn receipt_key(worker: &AccountId) -> Option<PublicKey> {
		Self::worker(worker).map(|w| w.receipt_key)
	}

	fn worker_of_receipt_key(key: &PublicKey) -> Option<AccountId> {
		StubWorkers::get().into_iter().find(|(_, w)| w.receipt_key == *key).map(|(hot, _)| hot)
	}

	fn owner(worker: &AccountId) -> Option<AccountId> {
		Self::worker(worker).map(|w| w.owner)
	}

	fn slashable_stake(worker: &AccountId) -> Balance {
		Self::worker(worker).map_or(0, |w| w.stake)
	}

	fn active_stake(worker: &AccountId) -> Balance {
		Self::worker(worker).filter(|w| w.active).map_or(0, |w| w.stake)
	}

	fn active_workers() -> Vec<(AccountId, Balance)> {
		StubWorkers::get()
			.into_iter()
			.filter(|(_, w)| w.active)
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
		Self::registered(worker)?;
		let moved = update(StubWorkers::get, StubWorkers::set, |workers| {
			workers.get_mut(worker).map_or(0, |w| {
				let moved = amount.min(w.stake);
				w.stake -= moved;
				moved
			})
		});
		Self::record(Penalty::Slash { worker: *worker, amount: moved, to: *to });
		Ok(moved)
	}

	fn suspend(worker: &AccountId) -> Result<(), DispatchError> {
		Self::registered(worker)?;
		Self::set_active(*worker, false);
		Self::record(Penalty::Suspend(*worker));
		Ok(())
	}

	fn ban(worker: &AccountId) -> Result<(), DispatchError> {
		Self::registered(worker)?;
		Self::set_active(*worker, false);
		Self::record(Penalty::Ban(*worker));
		Ok(())
	}

	fn reduce_reputation(worker: &AccountId, by: Perbill) {
		Self::record(Penalty::ReduceReputation(*worker, by));
	}

	fn raise_reputation(worker: &AccountId, by: Perbill) {
		Self::record(Penalty::RaiseReputation(*worker, by));
	}
}

/// The hash the model stub gives every pricing policy. Challenges only compares it with the
/// one receipts quote; pallet-models derives the real one.
pub const POLICY_HASH: Hash = [0x9c; 32];

/// A model as the registry stub knows it: one billable version.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode)]
pub struct StubModel {
	pub owner: AccountId,
	pub version: SemVer,
	pub metadata: ContainerMetadata,
}

parameter_types! {
	/// The models of the registry stub.
	pub storage StubModels: BTreeMap<ModelId, StubModel> = BTreeMap::new();
}

/// The model registry, stubbed.
pub struct ModelsMock;

impl ModelsMock {
	/// Registers `model` with `version` active and billable.
	pub fn add(model: ModelId, version: SemVer, owner: AccountId, metadata: ContainerMetadata) {
		update(StubModels::get, StubModels::set, |models| {
			models.insert(model, StubModel { owner, version, metadata })
		});
	}

	fn model(model: ModelId) -> Option<StubModel> {
		StubModels::get().get(&model).cloned()
	}
}

impl ModelInspect<AccountId, Balance> for ModelsMock {
	fn is_billable(model: ModelId, version: &SemVer) -> bool {
		Self::model(model).is_some_and(|m| m.version == *version)
	}

	fn pricing(
		model: ModelId,
		version: &SemVer,
	) -> Option<(ail2_primitives::billing::PricingPolicy, Hash)> {
		Self::model(model)
			.filter(|m| m.version == *version)
			.map(|m| (m.metadata.pricing, POLICY_HASH))
	}

	fn revenue_split(model: ModelId, version: &SemVer) -> Option<RevenueSplit> {
		Self::model(model).filter(|m| m.version == *version).map(|m| m.metadata.revenue_split)
	}

	fn owner(model: ModelId) -> Option<AccountId> {
		Self::model(model).map(|m| m.owner)
	}

	fn unit_price() -> Balance {
		1
	}
}

/// Blocks a batch the batch stub holds stays open to proofs.
pub const WINDOW: BlockNumber = 20;
/// Blocks a revoked gateway key keeps authorising, in the batch stub.
pub const REVOCATION_DELAY: BlockNumber = 10;

/// What Challenges did to a batch through [`BatchControl`].
#[derive(Clone, Copy, PartialEq, Eq, Debug, Encode, Decode)]
pub enum BatchCall {
	Freeze(BatchId),
	Release(BatchId),
	Void(BatchId),
}

parameter_types! {
	/// The batches of the receipts stub, by id.
	pub storage StubBatches: BTreeMap<BatchId, Batch<AccountId, BlockNumber>> = BTreeMap::new();
	/// Gateway keys payers authorised, in the receipts stub.
	pub storage StubGatewayKeys: BTreeMap<(AccountId, PublicKey), GatewayKey<BlockNumber>> =
		BTreeMap::new();
	/// Every [`BatchControl`] call that succeeded, in order.
	pub storage StubBatchCalls: Vec<BatchCall> = Vec::new();
}

/// pallet-receipts' batches and gateway keys, stubbed.
pub struct BatchesMock;

impl BatchesMock {
	/// Proposes a batch now, open to proofs for [`WINDOW`] blocks; returns its id.
	pub fn propose(
		worker: AccountId,
		payer: AccountId,
		model: ModelId,
		version: SemVer,
		(first_counter, last_counter): (Counter, Counter),
		root: SumNode,
		count: u64,
	) -> BatchId {
		let now = System::block_number();
		update(StubBatches::get, StubBatches::set, |batches| {
			let id = batches.last_key_value().map_or(0, |(id, _)| id + 1);
			let batch = Batch {
				worker,
				payer,
				model,
				version,
				first_counter,
				last_counter,
				root,
				count,
				content_hash: [9; 32],
				url: BoundedVec::truncate_from(b"https://w.example/batch".to_vec()),
				proposed_at: now,
				challenge_until: now + WINDOW,
				status: BatchStatus::Challenge,
			};
			batches.insert(id, batch);
			id
		})
	}

	/// The batch, whatever its status.
	pub fn batch(id: BatchId) -> Option<Batch<AccountId, BlockNumber>> {
		StubBatches::get().get(&id).cloned()
	}

	/// Whether `payer` ever authorised `key`.
	pub fn has_gateway_key(payer: AccountId, key: PublicKey) -> bool {
		StubGatewayKeys::get().contains_key(&(payer, key))
	}

	/// `payer` authorises `key` from now on.
	pub fn add_gateway_key(payer: AccountId, key: PublicKey) {
		let added_at = System::block_number();
		update(StubGatewayKeys::get, StubGatewayKeys::set, |keys| {
			keys.insert((payer, key), GatewayKey { added_at, revoked_from: None })
		});
	}

	/// `payer` revokes `key`: it stops authorising [`REVOCATION_DELAY`] blocks from now.
	pub fn revoke_gateway_key(payer: AccountId, key: PublicKey) {
		let revoked_from = System::block_number() + REVOCATION_DELAY;
		update(StubGatewayKeys::get, StubGatewayKeys::set, |keys| {
			if let Some(entry) = keys.get_mut(&(payer, key)) {
				entry.revoked_from = Some(revoked_from);
			}
		});
	}

	/// What Challenges did to batches, in order.
	pub fn calls() -> Vec<BatchCall> {
		StubBatchCalls::get()
	}

	/// The stub's side of the dispute invariant: a batch is frozen only while Challenges
	/// holds a dispute over it (Challenges' `do_try_state` checks the other side).
	pub fn try_state() -> Result<(), &'static str> {
		let stranded = StubBatches::get().into_iter().any(|(id, b)| {
			b.status == BatchStatus::Disputed && !Disputes::<Test>::contains_key(id)
		});
		if stranded {
			Err("a batch stays frozen without a dispute")
		} else {
			Ok(())
		}
	}

	fn set_status(id: BatchId, status: BatchStatus, call: BatchCall) {
		update(StubBatches::get, StubBatches::set, |batches| {
			if let Some(batch) = batches.get_mut(&id) {
				batch.status = status;
			}
		});
		update(StubBatchCalls::get, StubBatchCalls::set, |calls| calls.push(call));
	}
}

impl BatchInspect<AccountId, BlockNumber> for BatchesMock {
	fn open_batch(id: BatchId) -> Option<Batch<AccountId, BlockNumber>> {
		Self::batch(id).filter(|b| {
			b.status == BatchStatus::Challenge && System::block_number() <= b.challenge_until
		})
	}

	fn unsettled_batch(id: BatchId) -> Option<Batch<AccountId, BlockNumber>> {
		Self::batch(id)
			.filter(|b| matches!(b.status, BatchStatus::Challenge | BatchStatus::Disputed))
	}

	fn gateway_key_valid_at(payer: &AccountId, key: &PublicKey, at: BlockNumber) -> bool {
		StubGatewayKeys::get().get(&(*payer, *key)).is_some_and(|k| k.valid_at(&at))
	}
}

impl BatchControl for BatchesMock {
	fn freeze(id: BatchId) -> Result<(), DispatchError> {
		Self::open_batch(id).ok_or(DispatchError::Other("batch not in its window"))?;
		Self::set_status(id, BatchStatus::Disputed, BatchCall::Freeze(id));
		Ok(())
	}

	fn release(id: BatchId) -> Result<(), DispatchError> {
		Self::batch(id)
			.filter(|b| b.status == BatchStatus::Disputed)
			.ok_or(DispatchError::Other("batch not disputed"))?;
		Self::set_status(id, BatchStatus::Challenge, BatchCall::Release(id));
		Ok(())
	}

	/// As pallet-receipts: open or disputed batches, and those past their window whose
	/// settlement an audit (here Challenges' availability challenges) holds; the audit is
	/// told the batch closed.
	fn void(id: BatchId) -> Result<(), DispatchError> {
		use pallet_receipts::BatchAudit;
		Self::open_batch(id)
			.or_else(|| Self::batch(id).filter(|b| b.status == BatchStatus::Disputed))
			.or_else(|| {
				Self::batch(id).filter(|b| {
					b.status == BatchStatus::Challenge
						&& <Challenges as BatchAudit<AccountId, BlockNumber>>::holds_settlement(id)
				})
			})
			.ok_or(DispatchError::Other("batch neither open nor disputed"))?;
		Self::set_status(id, BatchStatus::Voided, BatchCall::Void(id));
		<Challenges as BatchAudit<AccountId, BlockNumber>>::closed(id);
		Ok(())
	}
}

pub const MAX_BOUNTY: Balance = 400;

/// A violation Challenges reported.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode)]
pub struct Report {
	pub offender: AccountId,
	pub violation: Violation,
	pub reporter: Option<AccountId>,
	pub bounty_cap: Balance,
}

parameter_types! {
	/// Every report Challenges made, in order.
	pub storage StubReports: Vec<Report> = Vec::new();
}

/// pallet-slashing, stubbed. It answers a report as pallet-slashing does a first offence
/// under a 10% base rate: `severity × 10%` of the offender's stake, of which a reporter
/// other than the offender gets 10%, at most [`MAX_BOUNTY`] and the bounty cap. It moves
/// no stake: what Challenges asked for is in [`ViolationsMock::reports`].
pub struct ViolationsMock;

impl ViolationsMock {
	/// What Challenges reported, in order.
	pub fn reports() -> Vec<Report> {
		StubReports::get()
	}
}

impl ReportViolation<AccountId, Balance> for ViolationsMock {
	fn report(
		offender: &AccountId,
		violation: Violation,
		reporter: Option<&AccountId>,
		bounty_cap: Balance,
	) -> Result<SlashOutcome<Balance>, DispatchError> {
		WorkersMock::registered(offender)?;
		let rate = Perbill::from_percent(10 * violation.severity());
		let slashed = rate.mul_floor(WorkersMock::slashable_stake(offender));
		let bounty = match reporter {
			Some(to) if to != offender => (slashed / 10).min(MAX_BOUNTY).min(bounty_cap),
			_ => 0,
		};
		let report =
			Report { offender: *offender, violation, reporter: reporter.copied(), bounty_cap };
		update(StubReports::get, StubReports::set, |reports| reports.push(report));
		Ok(SlashOutcome { rate, slashed, bounty })
	}
}

/// Workers, models, payers and batches for the benchmarks, in the stubs.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchSetup;
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for BenchSetup {
	fn worker(index: u32) -> (AccountId, PublicKey) {
		let (owner, hot) = (10_000 + u64::from(index), 20_000 + u64::from(index));
		let public = sp_io::crypto::ecdsa_generate(pallet_workers::BENCHMARK_KEY_TYPE, None);
		let mut key = [0u8; 33];
		key.copy_from_slice(public.as_ref());
		WorkersMock::add(hot, owner, key, 100_000);
		(hot, key)
	}

	fn model() -> (ModelId, SemVer) {
		// Benchmarks may run on wiped storage, without the genesis model.
		if !ModelsMock::is_billable(MODEL, &V1) {
			ModelsMock::add(MODEL, V1, DEV, fixtures::metadata());
		}
		(MODEL, V1)
	}

	fn payer(payer: &AccountId, gateway: PublicKey) {
		BatchesMock::add_gateway_key(*payer, gateway);
	}

	fn propose(
		worker: &AccountId,
		payer: &AccountId,
		model: ModelId,
		version: SemVer,
		counters: (Counter, Counter),
		root: SumNode,
		count: u64,
	) -> BatchId {
		BatchesMock::propose(*worker, *payer, model, version, counters, root, count)
	}
}

pub const PAYER: AccountId = 1;
pub const WORKER_OWNER: AccountId = 2;
pub const DEV: AccountId = 3;
pub const STRANGER: AccountId = 4;
pub const TREASURY: AccountId = 900;
/// Stands in for the Security Council's emergency origin.
pub const COUNCIL: AccountId = 901;
pub const HOT: AccountId = 100;
/// Owner of the workers that sit on committees.
pub const ARBITER_OWNER: AccountId = 5;
/// Arbiters' hot keys and stakes.
pub const ARBITERS: [(AccountId, Balance); 4] =
	[(201, 2_000), (202, 3_000), (203, 4_000), (204, 1_000)];
pub const WORKER_STAKE: Balance = 5_000;
pub const MODEL: ModelId = 0;
pub const V1: SemVer = SemVer::new(1, 0, 0);

pub fn receipt_key() -> Keypair {
	Keypair::from_secret(&[0x21; 32]).expect("valid")
}

pub fn gateway_key() -> Keypair {
	Keypair::from_secret(&[0x31; 32]).expect("valid")
}

/// Genesis plus an active worker (`HOT`, owned by `WORKER_OWNER`), four arbiters and an
/// active model (`MODEL` at `V1`, owned by `DEV`), in the stubs.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage =
		frame_system::GenesisConfig::<Test>::default().build_storage().expect("genesis");
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(WORKER_OWNER, 100_000), (STRANGER, 100_000), (TREASURY, 1)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.expect("balances genesis");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.register_extension(sp_keystore::KeystoreExt::new(
		sp_keystore::testing::MemoryKeystore::new(),
	));
	ext.execute_with(|| {
		System::set_block_number(1);
		WorkersMock::add(HOT, WORKER_OWNER, receipt_key().public(), WORKER_STAKE);
		for (i, (hot, stake)) in ARBITERS.into_iter().enumerate() {
			let key = Keypair::from_secret(&[0x40 + i as u8; 32]).expect("valid");
			WorkersMock::add(hot, ARBITER_OWNER, key.public(), stake);
		}
		ModelsMock::add(MODEL, V1, DEV, fixtures::metadata());
	});
	ext
}

/// Runs `test`, then checks Challenges' invariants and the batch stub's side of them.
pub fn run(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Challenges::do_try_state().expect("challenge invariants hold");
		BatchesMock::try_state().expect("frozen batches are disputed");
	});
}
