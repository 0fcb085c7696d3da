//! Genesis states the chain specs are built from.
//!
//! - `development`: Alice is the only validator and the sudo key; for `--dev`.
//! - `local_testnet`: Alice, Bob, Charlie and Dave validate; for a four-node network on
//!   one machine (`scripts/local-net.sh`, `chain-specs/local*.json`). No sudo.
//! - `testnet`: the same validators on a `Live` chain type (`chain-specs/testnet*.json`),
//!   the shape of a public test network, with the 400M genesis allocation of seed `pow2`
//!   Appendix E (founders, under vesting; the two hardware-provider pools). No sudo.
//!
//! Every preset has a genesis Security Council (Alice, Bob, Charlie, elected at genesis by
//! their own stake) and Parameter Committee (Dave, Eve, Ferdie), so a chain without sudo is
//! governed from its first block.
//!
//! All three endow the well-known development accounts, and the treasury, ecosystem and
//! training-fund accounts with the existential deposit. Keys come from `sp-keyring`, so they are
//! public knowledge: never use these presets for a network that holds value.

use crate::{
	configs::{
		EcosystemAccount, HardwareRewardAccount, LiquidityPoolAccount, TrainingFundAccount,
		TreasuryAccount,
	},
	currency::{EXISTENTIAL_DEPOSIT, UNITS},
	governance::ParameterCommitteeAccount,
	AccountId, BabeConfig, Balance, BalancesConfig, BlockNumber, ElectionsConfig, RaceConfig,
	RuntimeGenesisConfig, SessionConfig, SessionKeys, StakerStatus, StakingConfig, SudoConfig,
	TechnicalMembershipConfig, VestingConfig, BABE_GENESIS_EPOCH_CONFIG,
};
use ail2_primitives::issuance::{ADDITIONAL_HARDWARE_REWARD, FOUNDERS_ALLOCATION, LIQUIDITY_POOL};
use alloc::{vec, vec::Vec};
use sp_genesis_builder::{PresetId, DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_runtime::Perbill;

/// Free balance of every endowed development account.
pub const ENDOWMENT: Balance = 10_000_000 * UNITS;
/// Free balance of every well-known account on the `testnet` preset, paid from the founders'
/// allocation: enough to bond as a validator.
pub const TESTNET_ENDOWMENT: Balance = 2_000_000 * UNITS;
/// A year of blocks: the founders' allocation starts vesting after one and is free after four.
pub const YEAR: BlockNumber = 365 * crate::time::DAYS;
/// What each genesis validator bonds (a tenth of its endowment).
pub const VALIDATOR_BOND: Balance = ENDOWMENT / 10;
/// The stake each genesis Security Council member backs itself with.
pub const COUNCIL_STAKE: Balance = 10_000 * UNITS;
/// What the Parameter Committee's account holds for submission deposits of its referenda.
pub const COMMITTEE_FUNDS: Balance = 1_000 * UNITS;

/// The name of the `testnet` preset.
pub const TESTNET_RUNTIME_PRESET: &str = "testnet";

/// Who governs a chain from genesis.
struct Governance {
	/// The sudo key: development chains only.
	sudo: Option<AccountId>,
	/// The Security Council, elected at genesis by its own stake.
	council: Vec<AccountId>,
	/// The Parameter Committee.
	committee: Vec<AccountId>,
}

/// The genesis Security Council and Parameter Committee of every preset, with `sudo`.
fn governance(sudo: Option<Sr25519Keyring>) -> Governance {
	use Sr25519Keyring::*;
	Governance {
		sudo: sudo.map(|k| k.to_account_id()),
		council: [Alice, Bob, Charlie].iter().map(|k| k.to_account_id()).collect(),
		committee: [Dave, Eve, Ferdie].iter().map(|k| k.to_account_id()).collect(),
	}
}

/// A genesis validator: its stash account and its session keys.
struct Validator {
	stash: AccountId,
	keys: SessionKeys,
}

fn validator(sr: Sr25519Keyring, ed: Ed25519Keyring) -> Validator {
	Validator {
		stash: sr.to_account_id(),
		keys: SessionKeys { babe: sr.public().into(), grandpa: ed.public().into() },
	}
}

/// The well-known development accounts (Alice..Ferdie and their `//stash` derivations).
fn endowed_accounts() -> Vec<AccountId> {
	Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect()
}

/// The well-known development accounts with `endowment` each, and the accounts the chain
/// needs from its first block. Settlement pays shares of any size into the treasury,
/// ecosystem and training-fund accounts, so they exist from the start.
fn operating_balances(endowment: Balance) -> Vec<(AccountId, Balance)> {
	endowed_accounts()
		.into_iter()
		.map(|account| (account, endowment))
		.chain([
			(TreasuryAccount::get(), EXISTENTIAL_DEPOSIT),
			(EcosystemAccount::get(), EXISTENTIAL_DEPOSIT),
			(TrainingFundAccount::get(), EXISTENTIAL_DEPOSIT),
			(ParameterCommitteeAccount::get(), COMMITTEE_FUNDS),
		])
		.collect()
}

/// Who holds what at genesis, and which of it vests: `(who, begin, length, liquid)`.
struct Allocation {
	balances: Vec<(AccountId, Balance)>,
	vesting: Vec<(AccountId, BlockNumber, BlockNumber, Balance)>,
}

/// Development chains: the operating accounts and `ENDOWMENT` for each well-known account;
/// nothing vests. The issuance pallet counts only what it mints, so these endowments do not
/// count against the 600M.
fn development_allocation() -> Allocation {
	Allocation { balances: operating_balances(ENDOWMENT), vesting: Vec::new() }
}

/// The `testnet` preset's 400,000,000 AIL2 of seed `pow2` Appendix E. The "Additional
/// Hardware Provider Reward" and the "Hardware provider liquidity pool", 120M each, sit in
/// their own keyless accounts, and governance decides their distribution (a root
/// referendum's `balances.force_transfer`). The founders' 160M pays the operating accounts,
/// `TESTNET_ENDOWMENT` for each well-known account. The rest goes to the founders' account
/// (`One`), which vests linearly over years 2 to 4. The other 600M are minted over time by
/// pallet-issuance.
fn testnet_allocation() -> Allocation {
	let operating = operating_balances(TESTNET_ENDOWMENT);
	let spent: Balance = operating.iter().map(|(_, amount)| *amount).sum();
	let founders = Sr25519Keyring::One.to_account_id();
	let founders_balance = FOUNDERS_ALLOCATION.saturating_sub(spent);
	let mut balances = operating;
	balances.extend([
		(founders.clone(), founders_balance),
		(HardwareRewardAccount::get(), ADDITIONAL_HARDWARE_REWARD),
		(LiquidityPoolAccount::get(), LIQUIDITY_POOL),
	]);
	Allocation { balances, vesting: vec![(founders, YEAR, 3 * YEAR, 0)] }
}

fn genesis(
	validators: Vec<Validator>,
	allocation: Allocation,
	governance: Governance,
) -> serde_json::Value {
	let validator_count = u32::try_from(validators.len()).unwrap_or(u32::MAX);
	let config = RuntimeGenesisConfig {
		balances: BalancesConfig { balances: allocation.balances, ..Default::default() },
		vesting: VestingConfig { vesting: allocation.vesting },
		babe: BabeConfig { epoch_config: BABE_GENESIS_EPOCH_CONFIG, ..Default::default() },
		session: SessionConfig {
			keys: validators
				.iter()
				.map(|v| (v.stash.clone(), v.stash.clone(), v.keys.clone()))
				.collect(),
			..Default::default()
		},
		staking: StakingConfig {
			validator_count,
			minimum_validator_count: 1,
			invulnerables: validators.iter().map(|v| v.stash.clone()).collect(),
			slash_reward_fraction: Perbill::from_percent(10),
			stakers: validators
				.iter()
				.map(|v| {
					(v.stash.clone(), v.stash.clone(), VALIDATOR_BOND, StakerStatus::Validator)
				})
				.collect(),
			..Default::default()
		},
		sudo: SudoConfig { key: governance.sudo },
		elections: ElectionsConfig {
			members: governance.council.into_iter().map(|m| (m, COUNCIL_STAKE)).collect(),
		},
		technical_membership: TechnicalMembershipConfig {
			members: governance.committee.try_into().unwrap_or_default(),
			..Default::default()
		},
		// Development chains race the tiny model; the first race's seed is BABE's alone.
		race: RaceConfig { params: Some(crate::configs::dev_race_params()), ..Default::default() },
		..Default::default()
	};
	serde_json::to_value(config).unwrap_or_default()
}

/// The `development` preset: Alice validates alone.
pub fn development_config_genesis() -> serde_json::Value {
	genesis(
		vec![validator(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		development_allocation(),
		governance(Some(Sr25519Keyring::Alice)),
	)
}

/// Alice, Bob, Charlie and Dave.
fn four_validators() -> Vec<Validator> {
	vec![
		validator(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
		validator(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
		validator(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
		validator(Sr25519Keyring::Dave, Ed25519Keyring::Dave),
	]
}

/// The `local_testnet` preset: Alice, Bob, Charlie and Dave validate; no sudo.
pub fn local_testnet_genesis() -> serde_json::Value {
	genesis(four_validators(), development_allocation(), governance(None))
}

/// The `testnet` preset: as `local_testnet`, for a network of separate machines, with
/// Appendix E's genesis allocation; no sudo.
pub fn testnet_genesis() -> serde_json::Value {
	genesis(four_validators(), testnet_allocation(), governance(None))
}

/// The JSON of a named preset, or `None` for an unknown name.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		DEV_RUNTIME_PRESET => development_config_genesis(),
		LOCAL_TESTNET_RUNTIME_PRESET => local_testnet_genesis(),
		TESTNET_RUNTIME_PRESET => testnet_genesis(),
		_ => return None,
	};
	serde_json::to_string(&patch).ok().map(|json| json.into_bytes())
}

/// Names of the presets this runtime provides.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(DEV_RUNTIME_PRESET),
		PresetId::from(LOCAL_TESTNET_RUNTIME_PRESET),
		PresetId::from(TESTNET_RUNTIME_PRESET),
	]
}
