//! A runtime with the real worker registry and slashing around Race: System, Balances,
//! Workers, Slashing.

#![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use crate as pallet_race;
use crate::{Race as RaceSchedule, RaceParams};
use ail2_primitives::{race::RaceModel, receipt::signing::Keypair};
use codec::Encode;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32, ConstU64, Hooks},
	BoundedVec,
};
use frame_system::EnsureRoot;
use pallet_workers::{Capabilities, CudaVersion, GeoPoint};
use sp_runtime::{BuildStorage, FixedU128, FixedU64, Perbill};

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;
pub type Balance = u128;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Workers: pallet_workers,
		Slashing: pallet_slashing,
		Race: pallet_race,
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
	pub const BaseRate: Perbill = Perbill::from_percent(10);
	pub RepeatStep: FixedU128 = FixedU128::from_rational(1, 2);
	pub PenaltySteepness: FixedU128 = FixedU128::from_rational(1, 2);
	pub SuspendThreshold: FixedU128 = FixedU128::from_u32(3);
	pub const ReputationLoss: Perbill = Perbill::from_percent(10);
	pub const BountyShare: Perbill = Perbill::from_percent(10);
	pub const NonVoterPenalty: Perbill = Perbill::from_percent(5);
}

impl pallet_workers::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type AdminOrigin = EnsureRoot<AccountId>;
	type MinStake = ConstU128<1_000>;
	type UnbondingPeriod = ConstU64<500>;
	type HeartbeatTimeout = ConstU64<20>;
	type EpochLength = ConstU64<10>;
	type MaxWorkersPerOwner = ConstU32<8>;
	type MaxWorkers = ConstU32<16>;
	type InitialReputation = InitialReputation;
	type WeightInfo = ();
}

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
	type MaxBounty = ConstU128<400>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchSetup;
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
pub const FEE_BASE: Balance = 10;
pub const FEE_STEP: Balance = 2;

impl crate::Config for Test {
	type Currency = Balances;
	type Workers = Workers;
	type Violations = Slashing;
	type Randomness = TestRandomness;
	type ParamsOrigin = EnsureRoot<AccountId>;
	type RacePeriod = ConstU64<PERIOD>;
	type CommitPeriod = ConstU64<COMMIT>;
	type RevealPeriod = ConstU64<REVEAL>;
	type ValidationPeriod = ConstU64<VALIDATION>;
	type MaxCommitters = ConstU32<2>;
	type MaxParticipants = ConstU32<4>;
	type MaxNonces = ConstU32<32>;
	type MaxNoncesPerCall = ConstU32<8>;
	type ValidatorsPerParticipant = ConstU32<2>;
	type HistoryDepth = ConstU32<3>;
	type NonceFeeBase = ConstU128<FEE_BASE>;
	type NonceFeeStep = ConstU128<FEE_STEP>;
	type NonVoterPenalty = NonVoterPenalty;
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
		<Self as crate::BenchmarkHelper<AccountId>>::worker(index)
	}
}
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for BenchSetup {
	fn worker(index: u32) -> AccountId {
		use frame_support::traits::fungible::Mutate;
		let (owner, hot) = (10_000 + u64::from(index), 20_000 + u64::from(index));
		Workers::benchmark_worker(&owner, &hot, 100_000).expect("registers");
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

/// The tiny race of these tests.
pub fn params() -> RaceParams {
	RaceParams {
		model: RaceModel { layers: 2, heads: 2, d_model: 8, d_ff: 16, vocab: 64, seq_len: 4 },
		distance_threshold: FixedU64::from_rational(3, 2),
		window: WINDOW,
		sample_size: 4,
		max_mismatches: 1,
		max_nonces: 16,
	}
}

/// The schedule of the race that starts at `start`.
pub fn schedule(index: u32, start: u64) -> RaceSchedule<u64> {
	RaceSchedule::schedule(index, params(), start, COMMIT, REVEAL, VALIDATION)
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
	// Benchmark workers keep their receipt keys in the host keystore.
	ext.register_extension(sp_keystore::KeystoreExt::new(
		sp_keystore::testing::MemoryKeystore::new(),
	));
	ext.execute_with(|| {
		System::set_block_number(1);
		let caps = Capabilities {
			gpu_model: BoundedVec::truncate_from(b"RTX 4090".to_vec()),
			gpu_count: 1,
			vram_mib: 24_576,
			cuda: CudaVersion { major: 12, minor: 4 },
			region: GeoPoint { lat_micro_deg: 0, lon_micro_deg: 0 },
		};
		for (i, hot) in [W1, W2, W3, W4, W5].into_iter().enumerate() {
			let key = Keypair::from_secret(&[0x40 + i as u8; 32]).expect("valid");
			let proof = key.sign(&Workers::receipt_key_proof_message(&OWNER, &hot));
			Workers::register(
				RuntimeOrigin::signed(OWNER),
				hot,
				key.public(),
				proof,
				caps.clone(),
				BoundedVec::truncate_from(b"https://w.example".to_vec()),
				STAKE,
			)
			.expect("worker registers");
		}
		System::reset_events();
	});
	ext
}

/// Runs `test`, then checks the invariants of Race, Slashing and Workers.
pub fn run(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Race::do_try_state().expect("race invariants hold");
		Slashing::do_try_state().expect("slashing invariants hold");
		Workers::do_try_state().expect("worker invariants hold");
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
