//! A runtime around Poi with the real System and Balances (bids and report fees are holds)
//! and stubs of its neighbours as it sees them through its `Config`: [`WorkersStub`] is the
//! worker registry (stakes, reputation, penalties), [`ModelsStub`] the model registry,
//! [`BatchesStub`] pallet-receipts (batches of real signed receipts with real Merkle-sum
//! roots; voiding one tells Poi, as pallet-receipts does) and [`ViolationsStub`]
//! pallet-slashing. Tests read what the pallet told its neighbours with [`penalties`],
//! [`reported_violations`] and [`voided`].

#![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing, clippy::unwrap_used)]

use crate as pallet_poi;
use crate::PoiParams;
use ail2_primitives::{
	billing::PricingPolicy,
	keccak256,
	merkle::MerkleSumTree,
	receipt::{signing::Keypair, Receipt, SemVer, SignedReceipt},
	transcript::no_transcript,
	Hash, ModelId,
};
use codec::{Decode, Encode};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32, Hooks},
	BoundedVec,
};
use frame_system::EnsureRoot;
use pallet_models::{ModelInspect, RevenueSplit};
use pallet_receipts::{Batch, BatchAudit, BatchControl, BatchId, BatchInspect, BatchStatus};
use pallet_slashing::{ReportViolation, SlashOutcome, Violation};
use pallet_workers::{PublicKey, WorkerInspect, WorkerPenalty};
use sp_runtime::{traits::Saturating, BuildStorage, DispatchError, Perbill};
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
	pub type Poi = pallet_poi;
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

/// A worker as the registry stub keeps it.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode)]
pub struct StubWorker {
	pub stake: Balance,
	pub active: bool,
	pub reputation: Perbill,
}

/// A call the pallet made through `WorkerPenalty`.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode)]
pub enum Penalty {
	ReputationReduced(Perbill),
	ReputationRaised(Perbill),
}

/// A violation the pallet reported, with its arguments.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode)]
pub struct Report {
	pub offender: AccountId,
	pub violation: Violation,
	pub reporter: Option<AccountId>,
	pub bounty_cap: Balance,
}

parameter_types! {
	pub storage StubWorkers: BTreeMap<AccountId, StubWorker> = BTreeMap::new();
	pub storage Penalties: Vec<(AccountId, Penalty)> = Vec::new();
	pub storage Reports: Vec<Report> = Vec::new();
	pub storage StubBatches: BTreeMap<BatchId, Batch<AccountId, u64>> = BTreeMap::new();
	pub storage Voided: Vec<BatchId> = Vec::new();
	/// `MODEL`'s declared spot-check rate.
	pub storage DeclaredRate: Perbill = Perbill::zero();
}

/// Registers `hot` as an active worker staked `stake` with reputation `reputation`.
pub fn add_worker(hot: AccountId, stake: Balance, reputation: Perbill) {
	let mut workers = StubWorkers::get();
	workers.insert(hot, StubWorker { stake, active: true, reputation });
	StubWorkers::set(&workers);
}

/// Changes a worker's stake.
pub fn set_stake(hot: AccountId, stake: Balance) {
	let mut workers = StubWorkers::get();
	workers.get_mut(&hot).unwrap().stake = stake;
	StubWorkers::set(&workers);
}

pub fn penalties() -> Vec<(AccountId, Penalty)> {
	Penalties::get()
}

pub fn reported_violations() -> Vec<Report> {
	Reports::get()
}

pub fn voided() -> Vec<BatchId> {
	Voided::get()
}

pub fn reputation(hot: AccountId) -> Perbill {
	StubWorkers::get().get(&hot).map_or(Perbill::zero(), |w| w.reputation)
}

fn worker(who: &AccountId) -> Option<StubWorker> {
	StubWorkers::get().get(who).cloned()
}

pub struct WorkersStub;

impl WorkerInspect<AccountId, Balance> for WorkersStub {
	fn is_active(w: &AccountId) -> bool {
		worker(w).is_some_and(|w| w.active)
	}
	fn is_online(w: &AccountId) -> bool {
		Self::is_active(w)
	}
	fn receipt_key(_: &AccountId) -> Option<PublicKey> {
		None
	}
	fn worker_of_receipt_key(_: &PublicKey) -> Option<AccountId> {
		None
	}
	/// Every worker `w` is owned by `w + 1000`.
	fn owner(w: &AccountId) -> Option<AccountId> {
		worker(w).map(|_| w + 1000)
	}
	fn slashable_stake(w: &AccountId) -> Balance {
		worker(w).map_or(0, |w| w.stake)
	}
	fn active_stake(w: &AccountId) -> Balance {
		Self::slashable_stake(w)
	}
	fn active_workers() -> Vec<(AccountId, Balance)> {
		StubWorkers::get()
			.into_iter()
			.filter(|(_, w)| w.active)
			.map(|(a, w)| (a, w.stake))
			.collect()
	}
	fn reputation(w: &AccountId) -> Perbill {
		reputation(*w)
	}
}

fn change_reputation(who: &AccountId, change: impl FnOnce(Perbill) -> Perbill, penalty: Penalty) {
	let mut workers = StubWorkers::get();
	if let Some(w) = workers.get_mut(who) {
		w.reputation = change(w.reputation);
	}
	StubWorkers::set(&workers);
	let mut all = Penalties::get();
	all.push((*who, penalty));
	Penalties::set(&all);
}

impl WorkerPenalty<AccountId, Balance> for WorkersStub {
	fn slash(_: &AccountId, _: Balance, _: &AccountId) -> Result<Balance, DispatchError> {
		Ok(0)
	}
	fn suspend(_: &AccountId) -> Result<(), DispatchError> {
		Ok(())
	}
	fn ban(_: &AccountId) -> Result<(), DispatchError> {
		Ok(())
	}
	fn reduce_reputation(w: &AccountId, by: Perbill) {
		change_reputation(w, |r| r.saturating_sub(by), Penalty::ReputationReduced(by));
	}
	fn raise_reputation(w: &AccountId, by: Perbill) {
		change_reputation(w, |r| r.saturating_add(by), Penalty::ReputationRaised(by));
	}
}

/// Model `MODEL` owned by `MODEL_OWNER`, split 20% owner, 7% treasury, 3% ecosystem.
pub struct ModelsStub;

impl ModelInspect<AccountId, Balance> for ModelsStub {
	fn is_billable(model: ModelId, _: &SemVer) -> bool {
		model == MODEL
	}
	fn pricing(_: ModelId, _: &SemVer) -> Option<(PricingPolicy, Hash)> {
		None
	}
	fn revenue_split(model: ModelId, _: &SemVer) -> Option<RevenueSplit> {
		(model == MODEL).then(|| RevenueSplit {
			worker: Perbill::from_percent(70),
			model_owner: Perbill::from_percent(20),
			treasury: Perbill::from_percent(7),
			ecosystem: Perbill::from_percent(3),
		})
	}
	/// Every model but 99 is registered.
	fn owner(model: ModelId) -> Option<AccountId> {
		(model != 99).then_some(MODEL_OWNER)
	}
	fn unit_price() -> Balance {
		1
	}
	fn spot_check_rate(model: ModelId, _: &SemVer) -> Perbill {
		if model == MODEL {
			DeclaredRate::get()
		} else {
			Perbill::zero()
		}
	}
}

pub struct BatchesStub;

impl BatchInspect<AccountId, u64> for BatchesStub {
	fn open_batch(batch: BatchId) -> Option<Batch<AccountId, u64>> {
		Self::unsettled_batch(batch).filter(|b| System::block_number() <= b.challenge_until)
	}
	fn unsettled_batch(batch: BatchId) -> Option<Batch<AccountId, u64>> {
		StubBatches::get().get(&batch).cloned().filter(|b| b.status == BatchStatus::Challenge)
	}
	fn gateway_key_valid_at(_: &AccountId, _: &PublicKey, _: u64) -> bool {
		true
	}
}

impl BatchControl for BatchesStub {
	/// As pallet-receipts: an unsettled batch in its window, or past it while the audit holds it.
	fn void(batch: BatchId) -> Result<(), DispatchError> {
		let mut batches = StubBatches::get();
		let record = batches.get_mut(&batch).ok_or(DispatchError::Other("no batch"))?;
		let open = System::block_number() <= record.challenge_until
			|| <Poi as BatchAudit<_, _>>::holds_settlement(batch);
		if record.status != BatchStatus::Challenge || !open {
			return Err(DispatchError::Other("not in challenge"));
		}
		record.status = BatchStatus::Voided;
		StubBatches::set(&batches);
		let mut all = Voided::get();
		all.push(batch);
		Voided::set(&all);
		<Poi as BatchAudit<_, _>>::closed(batch);
		Ok(())
	}
	fn freeze(_: BatchId) -> Result<(), DispatchError> {
		Ok(())
	}
	fn release(_: BatchId) -> Result<(), DispatchError> {
		Ok(())
	}
}

pub struct ViolationsStub;

impl ReportViolation<AccountId, Balance> for ViolationsStub {
	fn report(
		offender: &AccountId,
		violation: Violation,
		reporter: Option<&AccountId>,
		bounty_cap: Balance,
	) -> Result<SlashOutcome<Balance>, DispatchError> {
		let mut all = Reports::get();
		all.push(Report {
			offender: *offender,
			violation,
			reporter: reporter.copied(),
			bounty_cap,
		});
		Reports::set(&all);
		Ok(SlashOutcome { rate: Perbill::zero(), slashed: 0, bounty: 0 })
	}
}

/// Randomness that changes with the subject and the block.
pub struct TestRandomness;
impl frame_support::traits::Randomness<sp_core::H256, u64> for TestRandomness {
	fn random(subject: &[u8]) -> (sp_core::H256, u64) {
		let block = System::block_number();
		(sp_core::H256(sp_io::hashing::blake2_256(&(subject, block).encode())), block)
	}
}

pub const ROUND: u32 = 20;
pub const VERDICT_PERIOD: u32 = 5;
pub const REPORT_FEE: Balance = 600;
pub const MIN_BID: Balance = 100;
pub const WINDOW: u64 = 30;

frame_support::parameter_types! {
	pub DefaultParams: PoiParams = params();
}

/// The parameters of these tests: 1% + 2%·ln(1 + fee/1000), at most 50%, ×4 without
/// reputation; groups of three; five blocks to vote, one extension; rounds of 20 blocks
/// electing two nodes per model.
pub fn params() -> PoiParams {
	PoiParams {
		p0: Perbill::from_percent(1),
		k: Perbill::from_percent(2),
		fee_unit: 1_000,
		p_max: Perbill::from_percent(50),
		low_reputation_factor: 4,
		verifier_count: 3,
		verdict_period: VERDICT_PERIOD,
		max_extensions: 1,
		report_fee: REPORT_FEE,
		round_length: ROUND,
		inference_nodes: 2,
		min_bid: MIN_BID,
		reputation_step: Perbill::from_percent(10),
		missed_duty_penalty: Perbill::from_percent(5),
	}
}

impl crate::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Workers = WorkersStub;
	type Models = ModelsStub;
	type Batches = BatchesStub;
	type Violations = ViolationsStub;
	type Randomness = TestRandomness;
	type ParamsOrigin = EnsureRoot<AccountId>;
	type DefaultParams = DefaultParams;
	type MaxVerifiers = ConstU32<5>;
	type MaxInferenceNodes = ConstU32<4>;
	type MaxBidders = ConstU32<6>;
	type MaxModels = ConstU32<2>;
	type MaxChecksPerBatch = ConstU32<8>;
	type MaxProposalsPerBlock = ConstU32<4>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchSetup;
}

pub const MODEL: ModelId = 7;
pub const OTHER_MODEL: ModelId = 8;
pub const MODEL_OWNER: AccountId = 2;
pub const PAYER: AccountId = 50;
pub const STRANGER: AccountId = 9;
/// Workers' hot keys; each is owned by itself + 1000.
pub const W1: AccountId = 101;
pub const W2: AccountId = 102;
pub const W3: AccountId = 103;
pub const W4: AccountId = 104;
pub const W5: AccountId = 105;
pub const BALANCE: Balance = 1_000_000;

fn worker_key() -> Keypair {
	Keypair::from_secret(&[0x41; 32]).unwrap()
}

/// A signed receipt of the payer with `counter` and `price` (signatures are pallet-receipts'
/// and pallet-challenges' concern; here they only need to be bytes).
pub fn receipt(counter: u64, price: Balance) -> SignedReceipt {
	let receipt = Receipt {
		project_id: 1,
		model_id: MODEL,
		version: SemVer::new(1, 0, 0),
		timestamp_ms: 1_000 + counter,
		tokens_in: 10,
		tokens_out: 20,
		gpu_ms: 5,
		bytes_in: 40,
		bytes_out: 80,
		price,
		chain_id: 42,
		route_id: keccak256(&counter.to_le_bytes()),
		counter,
		node_pubkey: worker_key().public(),
		payer: [PAYER as u8; 32],
		policy_hash: [1u8; 32],
		max_price: price * 2,
		expires_at_ms: u64::MAX,
		transcript: no_transcript(),
	};
	let node_signature = worker_key().sign(&receipt.message());
	SignedReceipt { receipt, node_signature, gateway_signature: [0u8; 65] }
}

/// A batch proposed by `worker` to `PAYER` now, with `receipts`, audited as pallet-receipts
/// would have Poi audit it, and the next block, in which its seed is fixed. Returns its id
/// and its tree.
pub fn propose(worker: AccountId, receipts: &[SignedReceipt]) -> (BatchId, MerkleSumTree) {
	let proposed = propose_unseeded(worker, receipts);
	run_to(System::block_number() + 1);
	proposed
}

/// A batch proposed now, its seed not yet fixed.
pub fn propose_unseeded(worker: AccountId, receipts: &[SignedReceipt]) -> (BatchId, MerkleSumTree) {
	let tree = MerkleSumTree::from_receipts(receipts).unwrap();
	let mut batches = StubBatches::get();
	let id = batches.len() as BatchId;
	let now = System::block_number();
	let record = Batch {
		worker,
		payer: PAYER,
		model: MODEL,
		version: SemVer::new(1, 0, 0),
		first_counter: receipts[0].receipt.counter,
		last_counter: receipts[receipts.len() - 1].receipt.counter,
		root: tree.root(),
		count: receipts.len() as u64,
		content_hash: [0u8; 32],
		url: BoundedVec::new(),
		proposed_at: now,
		challenge_until: now + WINDOW,
		status: BatchStatus::Challenge,
	};
	<Poi as BatchAudit<_, _>>::proposed(id, &record).unwrap();
	batches.insert(id, record);
	StubBatches::set(&batches);
	(id, tree)
}

/// Leaf `index` of `receipts` with its proof in `tree`.
pub fn leaf(receipts: &[SignedReceipt], tree: &MerkleSumTree, index: u64) -> crate::LeafProof {
	crate::LeafProof {
		index,
		receipt: receipts[index as usize].clone(),
		siblings: BoundedVec::truncate_from(tree.proof(index).unwrap().siblings),
	}
}

/// Receipts `first..first + n` at `price` each.
pub fn receipts(first: u64, n: u64, price: Balance) -> Vec<SignedReceipt> {
	(first..first + n).map(|c| receipt(c, price)).collect()
}

/// The leaves of `receipts` the audit of `batch` selects for a spot check.
pub fn selected_leaves(batch: BatchId, receipts: &[SignedReceipt]) -> Vec<u64> {
	let audit = crate::Audits::<Test>::get(batch).unwrap();
	receipts
		.iter()
		.enumerate()
		.filter(|(_, r)| {
			let p =
				Poi::check_probability(r.receipt.price, audit.reputation).max(audit.declared_rate);
			ail2_primitives::poi::selected(&audit.seed.unwrap(), &r.receipt.id(), p)
		})
		.map(|(i, _)| i as u64)
		.collect()
}

#[cfg(feature = "runtime-benchmarks")]
pub struct BenchSetup;
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for BenchSetup {
	fn worker(index: u32) -> AccountId {
		use frame_support::traits::fungible::Mutate;
		let hot = 20_000 + u64::from(index);
		add_worker(hot, 10_000 + u128::from(index), Perbill::zero());
		Balances::set_balance(&hot, 1_000_000_000);
		Balances::set_balance(&(hot + 1000), 1);
		hot
	}
	fn model(index: u32) -> ModelId {
		MODEL + index
	}
	fn propose(
		worker: &AccountId,
		payer: &AccountId,
		model: ModelId,
		root: ail2_primitives::merkle::SumNode,
		count: u64,
	) -> BatchId {
		use frame_support::traits::fungible::Mutate;
		Balances::set_balance(payer, 1_000_000_000);
		let mut batches = StubBatches::get();
		let id = batches.len() as BatchId;
		let now = System::block_number();
		let record = Batch {
			worker: *worker,
			payer: *payer,
			model,
			version: SemVer::new(1, 0, 0),
			first_counter: 1,
			last_counter: count,
			root,
			count,
			content_hash: [0u8; 32],
			url: BoundedVec::new(),
			proposed_at: now,
			challenge_until: now + WINDOW,
			status: BatchStatus::Challenge,
		};
		<Poi as BatchAudit<_, _>>::proposed(id, &record).unwrap();
		batches.insert(id, record);
		StubBatches::set(&batches);
		id
	}
}

/// Genesis with five workers (stakes 5,000 down to 1,000, reputations 0) and a funded payer.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage =
		frame_system::GenesisConfig::<Test>::default().build_storage().expect("genesis");
	let mut balances = vec![(PAYER, BALANCE), (STRANGER, BALANCE), (MODEL_OWNER, 1)];
	balances.extend([W1, W2, W3, W4, W5].map(|w| (w, BALANCE)));
	balances.extend([W1, W2, W3, W4, W5].map(|w| (w + 1000, 1)));
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut storage)
		.expect("balances genesis");
	pallet_poi::GenesisConfig::<Test>::default()
		.assimilate_storage(&mut storage)
		.expect("poi genesis");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		for (i, w) in [W1, W2, W3, W4, W5].into_iter().enumerate() {
			add_worker(w, 5_000 - 1_000 * i as Balance, Perbill::zero());
		}
	});
	ext
}

/// Runs `test`, then checks Poi's invariants.
pub fn run(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Poi::do_try_state().expect("poi invariants hold");
	});
}

/// Runs the hooks of every block up to and including `n`.
pub fn run_to(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Poi::on_initialize(next);
	}
}
