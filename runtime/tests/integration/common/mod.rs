//! What the runtime's integration tests share: the development genesis, the accounts and
//! keys they play, workers registered with the registry's call and a proof of their receipt
//! key, the example model with the tests' prices and split, honest receipts signed by the
//! worker and the payer's gateway, and every AIL2 pallet's invariants.

// Each test file uses a part of this module.
#![allow(dead_code)]

use ail2_primitives::{
	billing::{receipt_price, BillingMode, PricingPolicy, Usage},
	merkle::SumNode,
	receipt::{signing::Keypair, Receipt, SemVer, SignedReceipt},
};
use ail2_runtime::{
	configs::CHAIN_ID,
	currency::{CENTS, UNITS},
	genesis_config_presets, AccountId, Balance, Balances, Challenges, Issuance, Models, Race,
	Receipts, Runtime, RuntimeEvent, RuntimeGenesisConfig, RuntimeOrigin, Slashing, System,
	Workers,
};
use codec::Encode;
use frame_support::{assert_ok, traits::fungible::Inspect, BoundedVec};
use pallet_models::{fixtures, ContainerMetadata, RevenueSplit};
use pallet_workers::{Capabilities, CudaVersion, GeoPoint};
use sp_genesis_builder::{PresetId, DEV_RUNTIME_PRESET};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{BuildStorage, Perbill};

pub const STAKE: Balance = 10_000 * UNITS;
pub const ESCROW: Balance = 1_000 * UNITS;
pub const VERSION: SemVer = SemVer::new(1, 0, 0);
/// The worker's endpoint, and the base of its batches' leaf URLs.
pub const ENDPOINT: &[u8] = b"https://a100.example.org";

/// The worker's owner, who stakes and is paid.
pub fn owner() -> AccountId {
	Sr25519Keyring::Bob.to_account_id()
}
/// The worker's hot key, which proposes its batches.
pub fn hot() -> AccountId {
	Sr25519Keyring::Ferdie.to_account_id()
}
/// The model's developer.
pub fn developer() -> AccountId {
	Sr25519Keyring::Charlie.to_account_id()
}
/// The payer, with escrow and a gateway key.
pub fn payer() -> AccountId {
	Sr25519Keyring::Dave.to_account_id()
}
/// Whoever contests a batch.
pub fn challenger() -> AccountId {
	Sr25519Keyring::Eve.to_account_id()
}
pub fn receipt_key() -> Keypair {
	Keypair::from_secret(&[0x42; 32]).unwrap()
}
pub fn gateway_key() -> Keypair {
	Keypair::from_secret(&[0x43; 32]).unwrap()
}

pub fn signed(who: AccountId) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

pub fn free(who: &AccountId) -> Balance {
	Balances::balance(who)
}

/// The development genesis, at block 1.
pub fn dev_ext() -> sp_io::TestExternalities {
	let json = genesis_config_presets::get_preset(&PresetId::from(DEV_RUNTIME_PRESET)).unwrap();
	let genesis: RuntimeGenesisConfig = serde_json::from_slice(&json).unwrap();
	let mut ext: sp_io::TestExternalities = genesis.build_storage().unwrap().into();
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// An A100 in Paris.
pub fn capabilities() -> Capabilities {
	Capabilities {
		gpu_model: BoundedVec::truncate_from(b"NVIDIA A100 80GB".to_vec()),
		gpu_count: 1,
		vram_mib: 81_920,
		cuda: CudaVersion { major: 12, minor: 2 },
		region: GeoPoint { lat_micro_deg: 48_856_613, lon_micro_deg: 2_352_222 },
	}
}

/// Registers `hot` as a worker of `owner` with receipt key `key`, proving possession of it.
pub fn register_worker(
	owner: AccountId,
	hot: AccountId,
	key: &Keypair,
	capabilities: Capabilities,
	endpoint: &[u8],
	stake: Balance,
) {
	let proof = key.sign(&Workers::receipt_key_proof_message(&owner, &hot));
	assert_ok!(Workers::register(
		signed(owner),
		hot,
		key.public(),
		proof,
		capabilities,
		BoundedVec::truncate_from(endpoint.to_vec()),
		stake,
	));
}

/// Billed by tokens and GPU time, in cents.
pub fn pricing() -> PricingPolicy {
	PricingPolicy {
		mode: BillingMode::Hybrid,
		token_base: 2 * CENTS,
		per_1k_input_tokens: CENTS,
		per_1k_output_tokens: 3 * CENTS,
		time_base: CENTS,
		per_gpu_second: 2 * CENTS,
		min_fee: CENTS,
		max_fee: UNITS,
	}
}

pub fn split() -> RevenueSplit {
	RevenueSplit {
		worker: Perbill::from_percent(70),
		model_owner: Perbill::from_percent(20),
		treasury: Perbill::from_percent(7),
		ecosystem: Perbill::from_percent(3),
	}
}

/// The shared example model with these tests' prices and split.
pub fn metadata() -> ContainerMetadata {
	ContainerMetadata { pricing: pricing(), revenue_split: split(), ..fixtures::metadata() }
}

/// Model 0 registered by the developer, approved and active at `VERSION`; the payer's
/// escrow of `ESCROW` and its gateway key.
pub fn register_model_and_payer() {
	assert_ok!(Models::register_model(
		signed(developer()),
		BoundedVec::truncate_from(b"tiny-llama".to_vec()),
		VERSION,
		metadata(),
	));
	assert_ok!(Models::approve_model(RuntimeOrigin::root(), 0));
	assert_ok!(Models::activate_model(signed(developer()), 0));
	assert_ok!(Receipts::deposit(signed(payer()), ESCROW));
	assert_ok!(Receipts::add_gateway_key(signed(payer()), gateway_key().public()));
}

/// Every AIL2 pallet's invariants.
pub fn check_invariants() {
	Receipts::do_try_state().unwrap();
	Challenges::do_try_state().unwrap();
	Slashing::do_try_state().unwrap();
	Workers::do_try_state().unwrap();
	Models::do_try_state().unwrap();
	Race::do_try_state().unwrap();
	Issuance::do_try_state().unwrap();
}

/// Proposes, as the worker, a batch of the payer's receipts `first..=last` for model 0 with
/// `root` and `count` leaves; returns its id.
pub fn propose_root(root: SumNode, count: u64, first: u64, last: u64) -> u64 {
	let id = pallet_receipts::NextBatchId::<Runtime>::get();
	assert_ok!(Receipts::propose_batch(
		signed(hot()),
		payer(),
		0,
		VERSION,
		first,
		last,
		root.hash,
		root.sum,
		count,
		[0xcc; 32],
		BoundedVec::truncate_from(b"https://a100.example.org/batches/1".to_vec()),
	));
	id
}

/// The worker's receipt `counter` for the payer, priced by the model's billing function.
pub fn honest(counter: u64) -> Receipt {
	let (policy, policy_hash) =
		(pricing(), pallet_models::Pallet::<Runtime>::policy_hash(&pricing()));
	let usage = Usage {
		tokens_in: 200 + (counter % 1_800) as u32,
		tokens_out: 50 + (counter % 400) as u32,
		gpu_ms: 300 + counter % 2_000,
	};
	let price = receipt_price(&policy, &usage);
	Receipt {
		project_id: 7,
		model_id: 0,
		version: VERSION,
		timestamp_ms: 1_790_000_000_000 + counter * 37,
		tokens_in: usage.tokens_in,
		tokens_out: usage.tokens_out,
		gpu_ms: usage.gpu_ms,
		bytes_in: 4 * u64::from(usage.tokens_in),
		bytes_out: 4 * u64::from(usage.tokens_out),
		price,
		chain_id: CHAIN_ID,
		route_id: ail2_primitives::keccak256(&(b"route", counter).encode()),
		counter,
		node_pubkey: receipt_key().public(),
		payer: payer().into(),
		policy_hash,
		max_price: price + CENTS,
		expires_at_ms: 1_790_000_000_000 + counter * 37 + 60_000,
		transcript: ail2_primitives::transcript::no_transcript(),
	}
}

/// `receipt` signed by the worker's receipt key and authorised by the payer's gateway.
pub fn sign(receipt: Receipt) -> SignedReceipt {
	let node_signature = receipt_key().sign(&receipt.message());
	let gateway_signature = gateway_key().sign(&receipt.authorisation().message());
	SignedReceipt { receipt, node_signature, gateway_signature }
}

/// Whether `event` was deposited in this block.
pub fn emitted(event: RuntimeEvent) -> bool {
	System::events().iter().any(|r| r.event == event)
}
