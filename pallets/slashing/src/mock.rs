//! A runtime with System, Balances, Workers and Slashing for the unit tests.

#![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use crate as pallet_slashing;
use ail2_primitives::receipt::signing::Keypair;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32, ConstU64},
	BoundedVec,
};
use frame_system::EnsureRoot;
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
		Slashing: pallet_slashing,
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

pub const MIN_STAKE: Balance = 1_000;
pub const MAX_SLASH: Balance = 60_000;
pub const MAX_BOUNTY: Balance = 2_000;
pub const DECAY: u64 = 1_000;

parameter_types! {
	pub const MinStake: Balance = MIN_STAKE;
	pub const InitialReputation: Perbill = Perbill::from_percent(50);
	pub const Treasury: AccountId = TREASURY;
	pub const BaseRate: Perbill = Perbill::from_percent(10);
	pub RepeatStep: FixedU128 = FixedU128::from_rational(1, 2);
	pub PenaltySteepness: FixedU128 = FixedU128::from_rational(1, 2);
	pub SuspendThreshold: FixedU128 = FixedU128::from_u32(3);
	pub const ReputationLoss: Perbill = Perbill::from_percent(10);
	pub const BountyShare: Perbill = Perbill::from_percent(10);
}

impl pallet_workers::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type AdminOrigin = EnsureRoot<AccountId>;
	type MinStake = MinStake;
	type UnbondingPeriod = ConstU64<100>;
	type HeartbeatTimeout = ConstU64<20>;
	type EpochLength = ConstU64<10>;
	type MaxWorkersPerOwner = ConstU32<4>;
	type MaxWorkers = ConstU32<8>;
	type InitialReputation = InitialReputation;
	type WeightInfo = ();
}

impl crate::Config for Test {
	type Balance = Balance;
	type Workers = Workers;
	type ReportOrigin = EnsureRoot<AccountId>;
	type TreasuryAccount = Treasury;
	type BaseRate = BaseRate;
	type RepeatStep = RepeatStep;
	type MaxSlash = ConstU128<MAX_SLASH>;
	type DecayTime = ConstU64<DECAY>;
	type PenaltySteepness = PenaltySteepness;
	type SuspendThreshold = SuspendThreshold;
	type ReputationLoss = ReputationLoss;
	type BountyShare = BountyShare;
	type MaxBounty = ConstU128<MAX_BOUNTY>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchWorkers;
}

#[cfg(feature = "runtime-benchmarks")]
pub struct BenchWorkers;
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for BenchWorkers {
	fn staked_worker(index: u32) -> AccountId {
		let (owner, hot) = (10_000 + u64::from(index), 20_000 + u64::from(index));
		Workers::benchmark_worker(&owner, &hot, 100 * MIN_STAKE).expect("registers");
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

pub fn register(owner: AccountId, hot: AccountId, stake: Balance) {
	let mut secret = [0x22u8; 32];
	secret[..8].copy_from_slice(&hot.to_le_bytes());
	let key = Keypair::from_secret(&secret).expect("valid secret");
	let proof = key.sign(&Workers::receipt_key_proof_message(&owner, &hot));
	Workers::register(
		RuntimeOrigin::signed(owner),
		hot,
		key.public(),
		proof,
		Capabilities {
			gpu_model: BoundedVec::truncate_from(b"NVIDIA L40S".to_vec()),
			gpu_count: 1,
			vram_mib: 49_152,
			cuda: CudaVersion { major: 12, minor: 2 },
			region: GeoPoint { lat_micro_deg: 1_352_083, lon_micro_deg: 103_819_836 },
		},
		BoundedVec::truncate_from(b"https://l40s.example.org".to_vec()),
		stake,
	)
	.expect("worker registers");
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage =
		frame_system::GenesisConfig::<Test>::default().build_storage().expect("genesis");
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(OWNER, 1_000_000), (OTHER_OWNER, 1_000_000), (REPORTER, 10), (TREASURY, 1)],
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
		register(OWNER, HOT, STAKE);
		register(OTHER_OWNER, OTHER_HOT, STAKE);
	});
	ext
}

/// Runs `test` and then checks both pallets' invariants.
pub fn run(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Slashing::do_try_state().expect("slashing invariants hold");
		Workers::do_try_state().expect("worker invariants hold");
	});
}
