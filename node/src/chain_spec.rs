//! Built-in chain specifications. Each is built from a genesis preset of the runtime, so
//! `chain-specs/*.json` and `--chain dev|local|testnet` describe the same genesis.

use ail2_runtime::WASM_BINARY;
use sc_service::{ChainType, Properties};
use serde::{Deserialize, Serialize};
use sp_genesis_builder::{DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};

/// Chain-spec extensions: the light-client sync state, so `sync_state_genSyncSpec` can
/// produce checkpoints for light clients.
#[derive(Default, Clone, Serialize, Deserialize, sc_chain_spec::ChainSpecExtension)]
#[serde(rename_all = "camelCase")]
pub struct Extensions {
	pub light_sync_state: sc_sync_state_rpc::LightSyncStateExtension,
}

/// An AIL2 chain specification.
pub type ChainSpec = sc_service::GenericChainSpec<Extensions>;

/// Token metadata wallets show: symbol, decimals and the SS58 address format.
fn properties() -> Properties {
	let mut properties = Properties::new();
	properties.insert("tokenSymbol".into(), "AIL2".into());
	properties.insert("tokenDecimals".into(), 12.into());
	properties.insert("ss58Format".into(), 42.into());
	properties
}

fn wasm() -> Result<&'static [u8], String> {
	WASM_BINARY.ok_or_else(|| {
		"the AIL2 runtime was built without its WASM blob (SKIP_WASM_BUILD)".to_string()
	})
}

/// `--dev`: Alice alone validates.
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm()?, Extensions::default())
		.with_name("AIL2 Development")
		.with_id("ail2_dev")
		.with_protocol_id("ail2")
		.with_chain_type(ChainType::Development)
		.with_genesis_config_preset_name(DEV_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// `--chain local`: Alice, Bob, Charlie and Dave validate.
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm()?, Extensions::default())
		.with_name("AIL2 Local Testnet")
		.with_id("ail2_local")
		.with_protocol_id("ail2")
		.with_chain_type(ChainType::Local)
		.with_genesis_config_preset_name(LOCAL_TESTNET_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// `--chain testnet`: the shape of a public test network (a `Live` chain without sudo,
/// governed by its genesis Security Council and Parameter Committee).
pub fn testnet_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm()?, Extensions::default())
		.with_name("AIL2 Testnet")
		.with_id("ail2_testnet")
		.with_protocol_id("ail2t")
		.with_chain_type(ChainType::Live)
		.with_genesis_config_preset_name(
			ail2_runtime::genesis_config_presets::TESTNET_RUNTIME_PRESET,
		)
		.with_properties(properties())
		.build())
}
