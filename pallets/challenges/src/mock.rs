//! A runtime with the real settlement pallets around Challenges: System, Balances,
//! Workers, Models, Receipts and Slashing.

#![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use crate as pallet_challenges;
use ail2_primitives::{
	billing::{BillingMode, PricingPolicy},
	receipt::{signing::Keypair, SemVer},
};
use codec::Encode;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32, ConstU64},
	BoundedVec,
};
use frame_system::EnsureRoot;
use pallet_models::{
	Constraints, ContainerMetadata, GpuRequirement, Qos, RevenueSplit, SecurityPolicy,
};
use pallet_workers::{Capabilities, CudaVersion, GeoPoint};
use sp_runtime::{BuildStorage, FixedU128, Perbill};

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;
pub type Balance = u128;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Workers: pallet_workers,
		Models: pallet_models,
		Receipts: pallet_receipts,
		Slashing: pallet_slashing,
		Challenges: pallet_challenges,
	}
);

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

parameter_types! {
	pub const InitialReputation: Perbill = Perbill::from_percent(50);
	pub const Treasury: AccountId = TREASURY;
	pub const Ecosystem: AccountId = ECOSYSTEM;
}

impl pallet_workers::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type AdminOrigin = EnsureRoot<AccountId>;
	type MinStake = ConstU128<1_000>;
	type UnbondingPeriod = ConstU64<500>;
	type HeartbeatTimeout = ConstU64<20>;
	type EpochLength = ConstU64<10>;
	type MaxWorkersPerOwner = ConstU32<4>;
	type MaxWorkers = ConstU32<16>;
	type InitialReputation = InitialReputation;
	type WeightInfo = ();
}

pub struct NoVotes;
impl pallet_workers::PriceVoteSource<Balance> for NoVotes {
	fn current_epoch() -> pallet_workers::EpochIndex {
		0
	}
	fn votes(_: pallet_workers::EpochIndex) -> Vec<(Option<Balance>, Balance)> {
		Vec::new()
	}
}

impl pallet_models::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type ApproveOrigin = EnsureRoot<AccountId>;
	type PriceVotes = NoVotes;
	type ModelDeposit = ConstU128<100>;
	type EpochLength = ConstU64<10>;
	type InitialUnitPrice = ConstU128<1>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = NoVotes;
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_models::BenchmarkHelper for NoVotes {
	fn fill_price_votes() {}
}

pub const BASE_WINDOW: u64 = 20;
pub const MAX_EXTRA: u64 = 30;
pub const REVOCATION_DELAY: u64 = 10;

impl pallet_receipts::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Workers = Workers;
	type Models = Models;
	type TreasuryAccount = Treasury;
	type EcosystemAccount = Ecosystem;
	type BaseWindow = ConstU64<BASE_WINDOW>;
	type ReceiptsPerExtraBlock = ConstU64<1_000>;
	type ValuePerExtraBlock = ConstU128<10_000>;
	type MaxExtraWindow = ConstU64<MAX_EXTRA>;
	type WithdrawalDelay = ConstU64<100>;
	type MaxGatewayKeys = ConstU32<2>;
	type GatewayRevocationDelay = ConstU64<REVOCATION_DELAY>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ExistingWorkerAndModel;
}

parameter_types! {
	pub const BaseRate: Perbill = Perbill::from_percent(10);
	pub RepeatStep: FixedU128 = FixedU128::from_rational(1, 2);
	pub PenaltySteepness: FixedU128 = FixedU128::from_rational(1, 2);
	pub SuspendThreshold: FixedU128 = FixedU128::from_u32(3);
	pub const ReputationLoss: Perbill = Perbill::from_percent(10);
	pub const BountyShare: Perbill = Perbill::from_percent(10);
	pub const NonVoterPenalty: Perbill = Perbill::from_percent(5);
	pub const DefendantShare: Perbill = Perbill::from_percent(50);
}

pub const MAX_BOUNTY: Balance = 400;
pub const BOND: Balance = 1_000;
pub const VOTING: u64 = 10;
pub const CHAIN_ID: u32 = 1;

impl pallet_slashing::Config for Test {
	type Balance = Balance;
	type Workers = Workers;
	type ReportOrigin = EnsureRoot<AccountId>;
	type TreasuryAccount = Treasury;
	type BaseRate = BaseRate;
	type RepeatStep = RepeatStep;
	type MaxSlash = ConstU128<1_000_000>;
	type DecayTime = ConstU64<1_000>;
	type PenaltySteepness = PenaltySteepness;
	type SuspendThreshold = SuspendThreshold;
	type ReputationLoss = ReputationLoss;
	type BountyShare = BountyShare;
	type MaxBounty = ConstU128<MAX_BOUNTY>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchSetup;
}

/// Randomness that changes with the subject and the block: enough for tests, which only
/// need draws to be deterministic and not constant.
pub struct TestRandomness;
impl frame_support::traits::Randomness<sp_core::H256, u64> for TestRandomness {
	fn random(subject: &[u8]) -> (sp_core::H256, u64) {
		let block = System::block_number();
		(sp_core::H256(sp_io::hashing::blake2_256(&(subject, block).encode())), block)
	}
}

impl crate::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Batches = Receipts;
	type Workers = Workers;
	type Models = Models;
	type Violations = Slashing;
	type Randomness = TestRandomness;
	type ChainId = ConstU32<CHAIN_ID>;
	type DisputeBond = ConstU128<BOND>;
	type CommitteeSize = ConstU32<3>;
	type MinCommitteeSize = ConstU32<2>;
	type MaxCandidates = ConstU32<16>;
	type VotingPeriod = ConstU64<VOTING>;
	type NonVoterPenalty = NonVoterPenalty;
	type DefendantShare = DefendantShare;
	type TreasuryAccount = Treasury;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchSetup;
}

#[cfg(feature = "runtime-benchmarks")]
pub struct BenchSetup;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_slashing::BenchmarkHelper<AccountId> for BenchSetup {
	fn staked_worker(index: u32) -> AccountId {
		let (owner, hot) = (10_000 + u64::from(index), 20_000 + u64::from(index));
		Workers::benchmark_worker(&owner, &hot, 100_000).expect("registers");
		hot
	}
}
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for BenchSetup {
	fn worker(index: u32) -> (AccountId, ail2_primitives::receipt::PublicKey) {
		let (owner, hot) = (10_000 + u64::from(index), 20_000 + u64::from(index));
		let key = Workers::benchmark_worker(&owner, &hot, 100_000).expect("registers");
		(hot, key)
	}
	fn model() -> (u32, SemVer) {
		use frame_support::traits::fungible::Mutate;
		use pallet_models::ModelInspect;
		// Benchmarks may run on wiped storage, without the genesis model.
		if !Models::is_billable(MODEL, &V1) {
			Balances::set_balance(&DEV, 100_000);
			register_model();
		}
		(MODEL, V1)
	}
	fn payer(payer: &AccountId, gateway: ail2_primitives::receipt::PublicKey) {
		use frame_support::traits::fungible::Mutate;
		Balances::set_balance(payer, 1_000_000_000_000);
		Receipts::deposit(RuntimeOrigin::signed(*payer), 1_000_000_000).expect("escrow");
		Receipts::add_gateway_key(RuntimeOrigin::signed(*payer), gateway).expect("gateway key");
	}
	fn propose(
		worker: &AccountId,
		payer: &AccountId,
		model: u32,
		version: SemVer,
		(first, last): (u64, u64),
		root: ail2_primitives::merkle::SumNode,
		count: u64,
	) -> pallet_receipts::BatchId {
		let id = pallet_receipts::NextBatchId::<Test>::get();
		Receipts::propose_batch(
			RuntimeOrigin::signed(*worker),
			*payer,
			model,
			version,
			first,
			last,
			root.hash,
			root.sum,
			count,
			[0; 32],
			BoundedVec::truncate_from(b"https://w.example/batch".to_vec()),
		)
		.expect("batch proposed");
		id
	}
}

/// The worker and model every test externality starts with.
#[cfg(feature = "runtime-benchmarks")]
pub struct ExistingWorkerAndModel;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_receipts::BenchmarkHelper<AccountId> for ExistingWorkerAndModel {
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
/// Owner of the workers that sit on committees.
pub const ARBITER_OWNER: AccountId = 5;
/// Arbiters' hot keys and stakes.
pub const ARBITERS: [(AccountId, Balance); 4] =
	[(201, 2_000), (202, 3_000), (203, 4_000), (204, 1_000)];
pub const WORKER_STAKE: Balance = 5_000;
pub const MODEL: u32 = 0;
pub const V1: SemVer = SemVer::new(1, 0, 0);

pub fn receipt_key() -> Keypair {
	Keypair::from_secret(&[0x21; 32]).expect("valid")
}

pub fn gateway_key() -> Keypair {
	Keypair::from_secret(&[0x31; 32]).expect("valid")
}

fn metadata() -> ContainerMetadata {
	ContainerMetadata {
		image_digest: [1; 32],
		gpu: GpuRequirement {
			min_vram_mib: 8_192,
			min_cuda: CudaVersion { major: 12, minor: 0 },
			gpu_count: 1,
		},
		pricing: PricingPolicy {
			mode: BillingMode::Token,
			token_base: 10,
			per_1k_input_tokens: 1_000,
			per_1k_output_tokens: 3_000,
			time_base: 0,
			per_gpu_second: 0,
			min_fee: 10,
			max_fee: 1_000_000,
		},
		compute_units_per_token: 1,
		constraints: Constraints { allowed_regions: BoundedVec::new(), max_latency_ms: 5_000 },
		revenue_split: RevenueSplit {
			worker: Perbill::from_percent(70),
			model_owner: Perbill::from_percent(20),
			treasury: Perbill::from_percent(7),
			ecosystem: Perbill::from_percent(3),
		},
		qos: Qos { min_success_rate: Perbill::from_percent(99), target_p99_latency_ms: 2_000 },
		security: SecurityPolicy {
			require_attestation: false,
			allow_network: false,
			spot_check_rate: Perbill::zero(),
		},
	}
}

/// Registers, approves and activates `MODEL` at `V1`, owned by `DEV`.
fn register_model() {
	Models::register_model(
		RuntimeOrigin::signed(DEV),
		BoundedVec::truncate_from(b"m".to_vec()),
		V1,
		metadata(),
	)
	.expect("model registers");
	Models::approve_model(RuntimeOrigin::root(), MODEL).expect("approved");
	Models::activate_model(RuntimeOrigin::signed(DEV), MODEL).expect("active");
}

/// Genesis plus an active worker (`HOT`, owned by `WORKER_OWNER`) and an active model.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage =
		frame_system::GenesisConfig::<Test>::default().build_storage().expect("genesis");
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![
			(PAYER, 100_000_000),
			(WORKER_OWNER, 100_000),
			(DEV, 100_000),
			(STRANGER, 100_000),
			(ARBITER_OWNER, 100_000),
			(TREASURY, 1),
			(ECOSYSTEM, 1),
		],
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
		let key = receipt_key();
		let proof = key.sign(&Workers::receipt_key_proof_message(&WORKER_OWNER, &HOT));
		let caps = Capabilities {
			gpu_model: BoundedVec::truncate_from(b"RTX 4090".to_vec()),
			gpu_count: 1,
			vram_mib: 24_576,
			cuda: CudaVersion { major: 12, minor: 4 },
			region: GeoPoint { lat_micro_deg: 0, lon_micro_deg: 0 },
		};
		Workers::register(
			RuntimeOrigin::signed(WORKER_OWNER),
			HOT,
			key.public(),
			proof,
			caps.clone(),
			BoundedVec::truncate_from(b"https://w.example".to_vec()),
			WORKER_STAKE,
		)
		.expect("worker registers");
		for (i, (hot, stake)) in ARBITERS.into_iter().enumerate() {
			let key = Keypair::from_secret(&[0x40 + i as u8; 32]).expect("valid");
			let proof = key.sign(&Workers::receipt_key_proof_message(&ARBITER_OWNER, &hot));
			Workers::register(
				RuntimeOrigin::signed(ARBITER_OWNER),
				hot,
				key.public(),
				proof,
				caps.clone(),
				BoundedVec::truncate_from(b"https://arbiter.example".to_vec()),
				stake,
			)
			.expect("arbiter registers");
		}
		register_model();
		System::reset_events();
	});
	ext
}

/// Runs `test`, then checks the invariants of every settlement pallet.
pub fn run(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Challenges::do_try_state().expect("challenge invariants hold");
		Receipts::do_try_state().expect("receipt invariants hold");
		Slashing::do_try_state().expect("slashing invariants hold");
		Workers::do_try_state().expect("worker invariants hold");
		Models::do_try_state().expect("model invariants hold");
	});
}
