//! A runtime with System, Balances and Workers for the unit tests.

#![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use crate as pallet_workers;
use crate::*;
use ail2_primitives::receipt::signing::Keypair;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32, ConstU64},
	BoundedVec,
};
use frame_system::{EnsureRoot, EnsureSignedBy};
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
	pub type Workers = pallet_workers;
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

pub const MIN_STAKE: Balance = 1_000;
pub const UNBONDING: u64 = 100;
pub const EPOCH: u64 = 10;

/// Stands in for the Security Council: may suspend and ban, not re-activate.
pub const EMERGENCY: AccountId = 99;

frame_support::ord_parameter_types! {
	pub const Emergency: AccountId = EMERGENCY;
}

parameter_types! {
	pub const MinStake: Balance = MIN_STAKE;
	pub const InitialReputation: Perbill = Perbill::from_percent(50);
}

impl Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type AdminOrigin = EnsureRoot<AccountId>;
	type EmergencyOrigin = EnsureSignedBy<Emergency, AccountId>;
	type MinStake = MinStake;
	type UnbondingPeriod = ConstU64<UNBONDING>;
	type HeartbeatTimeout = ConstU64<20>;
	type EpochLength = ConstU64<EPOCH>;
	type MaxWorkersPerOwner = ConstU32<2>;
	type MaxWorkers = ConstU32<4>;
	type InitialReputation = InitialReputation;
	type WeightInfo = ();
}

/// Owners with funds.
pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
pub const POOR: AccountId = 3;
/// Hot keys.
pub const HOT_A: AccountId = 101;
pub const HOT_B: AccountId = 102;
pub const HOT_C: AccountId = 103;
/// Where slashes go in tests.
pub const TREASURY: AccountId = 999;

/// The receipt key of a hot key, derived from it so tests are deterministic.
pub fn receipt_keypair(hot: AccountId) -> Keypair {
	let mut secret = [0x11u8; 32];
	secret[..8].copy_from_slice(&hot.to_le_bytes());
	Keypair::from_secret(&secret).expect("valid secret")
}

pub fn proof(owner: AccountId, hot: AccountId) -> Signature {
	receipt_keypair(hot).sign(&Workers::receipt_key_proof_message(&owner, &hot))
}

pub fn capabilities() -> Capabilities {
	Capabilities {
		gpu_model: BoundedVec::truncate_from(b"NVIDIA H100 80GB".to_vec()),
		gpu_count: 8,
		vram_mib: 81_920,
		cuda: CudaVersion { major: 12, minor: 4 },
		region: GeoPoint { lat_micro_deg: 52_520_008, lon_micro_deg: 13_404_954 },
	}
}

pub fn endpoint() -> BoundedVec<u8, MaxEndpointLen> {
	BoundedVec::truncate_from(b"https://gpu-1.example.org".to_vec())
}

/// Registers `hot` for `owner` with `stake`.
pub fn register(owner: AccountId, hot: AccountId, stake: Balance) -> sp_runtime::DispatchResult {
	Workers::register(
		RuntimeOrigin::signed(owner),
		hot,
		receipt_keypair(hot).public(),
		proof(owner, hot),
		capabilities(),
		endpoint(),
		stake,
	)
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage =
		frame_system::GenesisConfig::<Test>::default().build_storage().expect("genesis");
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(ALICE, 1_000_000), (BOB, 1_000_000), (POOR, 500), (TREASURY, 1)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.expect("balances genesis");
	let mut ext = sp_io::TestExternalities::new(storage);
	// Benchmarks make receipt keys in the host keystore.
	ext.register_extension(sp_keystore::KeystoreExt::new(
		sp_keystore::testing::MemoryKeystore::new(),
	));
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Runs `test` and then checks the pallet's invariants.
pub fn run(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Workers::do_try_state().expect("invariants hold");
	});
}
