#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

//! The runtime natively: its genesis presets build, the local testnet stakes four
//! validators, and a block built on genesis (timestamp inherent plus a signed transfer)
//! executes and passes `execute_block`'s state-root and extrinsics-root checks.

use ail2_runtime::{
	currency::UNITS, genesis_config_presets, AccountId, Balances, Block, Executive, Header,
	Runtime, RuntimeCall, RuntimeGenesisConfig, SignedPayload, System, TxExtension,
	UncheckedExtrinsic,
};
use codec::Encode;
use sp_consensus_babe::{
	digests::{PreDigest, SecondaryPlainPreDigest},
	BABE_ENGINE_ID,
};
use sp_genesis_builder::{PresetId, DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{
	generic::{Digest, DigestItem, Era},
	traits::Header as _,
	BuildStorage, MultiAddress, MultiSignature,
};

fn preset(name: &str) -> RuntimeGenesisConfig {
	let json = genesis_config_presets::get_preset(&PresetId::from(name))
		.unwrap_or_else(|| panic!("preset {name} missing"));
	serde_json::from_slice(&json).expect("preset JSON is a full RuntimeGenesisConfig")
}

fn externalities(name: &str) -> sp_io::TestExternalities {
	preset(name).build_storage().expect("preset builds storage").into()
}

#[test]
fn runtime_lists_both_presets_and_rejects_unknown_names() {
	let names = genesis_config_presets::preset_names();
	assert!(names.contains(&PresetId::from(DEV_RUNTIME_PRESET)));
	assert!(names.contains(&PresetId::from(LOCAL_TESTNET_RUNTIME_PRESET)));
	assert!(genesis_config_presets::get_preset(&PresetId::from("mainnet")).is_none());
}

#[test]
fn development_preset_has_alice_as_sole_validator_and_sudo() {
	externalities(DEV_RUNTIME_PRESET).execute_with(|| {
		let alice = Sr25519Keyring::Alice.to_account_id();
		assert_eq!(pallet_session::Validators::<Runtime>::get(), vec![alice.clone()]);
		assert_eq!(pallet_babe::Authorities::<Runtime>::get().len(), 1);
		assert_eq!(pallet_grandpa::Authorities::<Runtime>::get().len(), 1);
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), Some(alice));
		// The dev chain races the tiny model.
		assert_eq!(pallet_race::Params::<Runtime>::get(), ail2_runtime::configs::dev_race_params());
		assert!(pallet_race::CurrentRace::<Runtime>::get().is_none());
	});
}

#[test]
fn local_testnet_stakes_four_validators() {
	externalities(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		let expected: Vec<AccountId> = [
			Sr25519Keyring::Alice,
			Sr25519Keyring::Bob,
			Sr25519Keyring::Charlie,
			Sr25519Keyring::Dave,
		]
		.into_iter()
		.map(|k| k.to_account_id())
		.collect();

		assert_eq!(pallet_staking::Validators::<Runtime>::count(), 4);
		for stash in &expected {
			assert!(pallet_staking::Validators::<Runtime>::contains_key(stash));
			let ledger = pallet_staking::Ledger::<Runtime>::get(stash).expect("bonded");
			assert_eq!(ledger.active, genesis_config_presets::VALIDATOR_BOND);
		}
		let mut session = pallet_session::Validators::<Runtime>::get();
		session.sort();
		let mut sorted = expected.clone();
		sorted.sort();
		assert_eq!(session, sorted);
		assert_eq!(pallet_babe::Authorities::<Runtime>::get().len(), 4);
		assert_eq!(pallet_grandpa::Authorities::<Runtime>::get().len(), 4);
		assert_eq!(pallet_staking::ValidatorCount::<Runtime>::get(), 4);
	});
}

/// The `testnet` preset holds exactly seed `pow2` Appendix E's 400M genesis allocation: the
/// two hardware-provider pools in their own accounts, and the founders' 160M, of which the
/// operating accounts are paid and the rest vests linearly over years 2 to 4. The schedule's
/// 600M is not there: pallet-issuance has minted nothing.
#[test]
fn the_testnet_preset_allocates_appendix_e() {
	use ail2_primitives::issuance::{
		ADDITIONAL_HARDWARE_REWARD, FOUNDERS_ALLOCATION, LIQUIDITY_POOL, MINTABLE, TOTAL_SUPPLY,
	};
	use ail2_runtime::configs::{HardwareRewardAccount, LiquidityPoolAccount};
	use frame_support::traits::fungible::Inspect;

	externalities(genesis_config_presets::TESTNET_RUNTIME_PRESET).execute_with(|| {
		let issued = <Balances as Inspect<AccountId>>::total_issuance();
		assert_eq!(issued, 400_000_000 * UNITS);
		assert_eq!(issued + MINTABLE, TOTAL_SUPPLY);
		assert_eq!(pallet_issuance::Minted::<Runtime>::get(), 0);
		assert_eq!(
			Balances::free_balance(HardwareRewardAccount::get()),
			ADDITIONAL_HARDWARE_REWARD
		);
		assert_eq!(Balances::free_balance(LiquidityPoolAccount::get()), LIQUIDITY_POOL);
		let founders = Sr25519Keyring::One.to_account_id();
		let pools = ADDITIONAL_HARDWARE_REWARD + LIQUIDITY_POOL;
		let founders_balance = Balances::free_balance(&founders);
		// Everything but the two pools, the founders' account included, is the founders' 160M.
		assert_eq!(issued - pools, FOUNDERS_ALLOCATION);
		assert!(founders_balance > FOUNDERS_ALLOCATION - 30_000_000 * UNITS);
		let schedules = pallet_vesting::Vesting::<Runtime>::get(&founders).expect("vests");
		assert_eq!(schedules.len(), 1);
		let schedule = schedules[0];
		let year = genesis_config_presets::YEAR;
		assert_eq!(schedule.locked(), founders_balance, "all of it, nothing liquid");
		assert_eq!(schedule.starting_block(), year);
		assert_eq!(schedule.per_block(), founders_balance / u128::from(3 * year));
		// Locked: none of it can be transferred before vesting starts.
		assert_eq!(
			<Balances as Inspect<AccountId>>::reducible_balance(
				&founders,
				frame_support::traits::tokens::Preservation::Expendable,
				frame_support::traits::tokens::Fortitude::Polite
			),
			0
		);
	});
	// Development chains keep their endowments and have no founders' schedule.
	externalities(DEV_RUNTIME_PRESET).execute_with(|| {
		let founders = Sr25519Keyring::One.to_account_id();
		assert!(pallet_vesting::Vesting::<Runtime>::get(&founders).is_none());
		assert_eq!(
			Balances::free_balance(Sr25519Keyring::Bob.to_account_id()),
			genesis_config_presets::ENDOWMENT
		);
	});
}

/// The extension values a wallet would sign for nonce `nonce`.
fn tx_extension(nonce: u32) -> TxExtension {
	(
		frame_system::AuthorizeCall::<Runtime>::new(),
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(Era::Immortal),
		frame_system::CheckNonce::<Runtime>::from(nonce),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
		frame_system::WeightReclaim::<Runtime>::new(),
	)
}

fn signed(call: RuntimeCall, signer: Sr25519Keyring, nonce: u32) -> UncheckedExtrinsic {
	let extension = tx_extension(nonce);
	let payload = SignedPayload::new(call.clone(), extension.clone()).expect("valid payload");
	let signature = payload.using_encoded(|bytes| signer.sign(bytes));
	UncheckedExtrinsic::new_signed(
		call,
		MultiAddress::Id(signer.to_account_id()),
		MultiSignature::Sr25519(signature),
		extension,
	)
}

fn babe_digest(slot: u64) -> Digest {
	let pre = PreDigest::SecondaryPlain(SecondaryPlainPreDigest {
		authority_index: 0,
		slot: slot.into(),
	});
	Digest { logs: vec![DigestItem::PreRuntime(BABE_ENGINE_ID, pre.encode())] }
}

#[test]
fn a_block_built_on_genesis_executes_natively() {
	const SLOT: u64 = 1_000;
	let amount = 42 * UNITS;
	let alice = Sr25519Keyring::Alice.to_account_id();
	let bob = Sr25519Keyring::Bob.to_account_id();

	// Author the block.
	let mut authoring = externalities(DEV_RUNTIME_PRESET);
	let (block, bob_before) = authoring.execute_with(|| {
		let bob_before = Balances::free_balance(&bob);
		let parent = System::block_hash(0);
		let header =
			Header::new(1, Default::default(), Default::default(), parent, babe_digest(SLOT));
		Executive::initialize_block(&header);

		let timestamp =
			UncheckedExtrinsic::new_bare(RuntimeCall::Timestamp(pallet_timestamp::Call::set {
				now: SLOT * ail2_runtime::time::SLOT_DURATION,
			}));
		let transfer = signed(
			RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
				dest: MultiAddress::Id(bob.clone()),
				value: amount,
			}),
			Sr25519Keyring::Alice,
			0,
		);
		let extrinsics = vec![timestamp, transfer];
		for xt in &extrinsics {
			Executive::apply_extrinsic(xt.clone()).expect("valid").expect("dispatched");
		}
		let header = Executive::finalize_block();
		(Block { header, extrinsics }, bob_before)
	});

	// Import it on a fresh genesis state: execute_block checks the roots in the header.
	let mut importing = externalities(DEV_RUNTIME_PRESET);
	importing.execute_with(|| {
		Executive::execute_block(block.clone().into());
		assert_eq!(System::block_number(), 1);
		assert_eq!(Balances::free_balance(&bob), bob_before + amount);
		assert_eq!(frame_system::Account::<Runtime>::get(&alice).nonce, 1);
		assert_eq!(pallet_babe::CurrentSlot::<Runtime>::get(), sp_consensus_babe::Slot::from(SLOT));
	});

	// A tampered block (transfer amount changed after sealing the header) is refused.
	let mut rejecting = externalities(DEV_RUNTIME_PRESET);
	let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
		rejecting.execute_with(|| {
			let mut tampered = block;
			tampered.extrinsics[1] = signed(
				RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
					dest: MultiAddress::Id(Sr25519Keyring::Bob.to_account_id()),
					value: amount + 1,
				}),
				Sr25519Keyring::Alice,
				0,
			);
			Executive::execute_block(tampered.into())
		})
	}));
	assert!(outcome.is_err(), "a block whose extrinsics do not match its header must not execute");
}
