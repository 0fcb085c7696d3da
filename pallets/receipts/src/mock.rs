//! A runtime with System, Balances, Workers, Models and Receipts: the real registries the
//! settlement pallet reads through their traits.

#![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use crate as pallet_receipts;
use ail2_primitives::{
	billing::{BillingMode, PricingPolicy},
	receipt::{signing::Keypair, SemVer},
};
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
use sp_runtime::{BuildStorage, Perbill};

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

impl crate::Config for Test {
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
			(TREASURY, 1),
			(ECOSYSTEM, 1),
		],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.expect("balances genesis");
	let mut ext = sp_io::TestExternalities::new(storage);
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
			caps,
			BoundedVec::truncate_from(b"https://w.example".to_vec()),
			5_000,
		)
		.expect("worker registers");
		Models::register_model(
			RuntimeOrigin::signed(DEV),
			BoundedVec::truncate_from(b"m".to_vec()),
			V1,
			metadata(),
		)
		.expect("model registers");
		Models::approve_model(RuntimeOrigin::root(), MODEL).expect("approved");
		Models::activate_model(RuntimeOrigin::signed(DEV), MODEL).expect("active");
		System::reset_events();
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
