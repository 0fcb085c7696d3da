//! The node's JSON-RPC methods beyond sc-service's standard set (system, chain, state,
//! author): account nonces, fee queries, BABE, GRANDPA and light-client sync state.

use ail2_runtime::{opaque::Block, AccountId, Balance, Nonce};
use jsonrpsee::RpcModule;
use sc_consensus_babe::BabeWorkerHandle;
use sc_consensus_grandpa::{
	FinalityProofProvider, GrandpaJustificationStream, SharedAuthoritySet, SharedVoterState,
};
use sc_rpc::SubscriptionTaskExecutor;
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_block_builder::BlockBuilder;
use sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata};
use sp_consensus::SelectChain;
use sp_consensus_babe::BabeApi;
use sp_keystore::KeystorePtr;
use std::sync::Arc;

/// What the BABE RPC needs.
pub struct BabeDeps {
	pub babe_worker_handle: BabeWorkerHandle<Block>,
	pub keystore: KeystorePtr,
}

/// What the GRANDPA RPC needs.
pub struct GrandpaDeps<B> {
	pub shared_voter_state: SharedVoterState,
	pub shared_authority_set: SharedAuthoritySet<<Block as sp_runtime::traits::Block>::Hash, u32>,
	pub justification_stream: GrandpaJustificationStream<Block>,
	pub subscription_executor: SubscriptionTaskExecutor,
	pub finality_provider: Arc<FinalityProofProvider<B, Block>>,
}

/// Everything the full node's RPC needs.
pub struct FullDeps<C, P, SC, B> {
	pub client: Arc<C>,
	pub pool: Arc<P>,
	pub select_chain: SC,
	pub chain_spec: Box<dyn sc_chain_spec::ChainSpec>,
	pub babe: BabeDeps,
	pub grandpa: GrandpaDeps<B>,
}

/// Builds the RPC module of a full node.
pub fn create_full<C, P, SC, B>(
	FullDeps { client, pool, select_chain, chain_spec, babe, grandpa }: FullDeps<C, P, SC, B>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
	C: ProvideRuntimeApi<Block>
		+ HeaderBackend<Block>
		+ HeaderMetadata<Block, Error = BlockChainError>
		+ sc_client_api::AuxStore
		+ sc_client_api::BlockBackend<Block>
		+ sc_client_api::ProofProvider<Block>
		+ Send
		+ Sync
		+ 'static,
	C::Api: substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>,
	C::Api: pallet_transaction_payment_rpc::TransactionPaymentRuntimeApi<Block, Balance>,
	C::Api: BabeApi<Block>,
	C::Api: BlockBuilder<Block>,
	P: TransactionPool + 'static,
	SC: SelectChain<Block> + 'static,
	B: sc_client_api::Backend<Block> + Send + Sync + 'static,
	B::State: sc_client_api::StateBackend<sp_runtime::traits::HashingFor<Block>>,
{
	use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
	use sc_consensus_babe_rpc::{Babe, BabeApiServer};
	use sc_consensus_grandpa_rpc::{Grandpa, GrandpaApiServer};
	use sc_sync_state_rpc::{SyncState, SyncStateApiServer};
	use substrate_frame_rpc_system::{System, SystemApiServer};

	let mut module = RpcModule::new(());
	let BabeDeps { babe_worker_handle, keystore } = babe;
	let GrandpaDeps {
		shared_voter_state,
		shared_authority_set,
		justification_stream,
		subscription_executor,
		finality_provider,
	} = grandpa;

	module.merge(System::new(client.clone(), pool).into_rpc())?;
	module.merge(TransactionPayment::new(client.clone()).into_rpc())?;
	module.merge(
		Babe::new(client.clone(), babe_worker_handle.clone(), keystore, select_chain).into_rpc(),
	)?;
	module.merge(
		Grandpa::new(
			subscription_executor,
			shared_authority_set.clone(),
			shared_voter_state,
			justification_stream,
			finality_provider,
		)
		.into_rpc(),
	)?;
	module.merge(
		SyncState::new(chain_spec, client, shared_authority_set, babe_worker_handle)?.into_rpc(),
	)?;

	Ok(module)
}
