//! pallet-race from the worker's side: the race in progress read at the best block, and the
//! calls of committers, participants and validators.

use ail2_primitives::{draw::weighted_members, race::RaceModel, receipt::AccountBytes, Hash};
use subxt::{
	backend::BlockRef,
	client::{ClientAtBlock, OfflineClientAtBlockT},
	utils::AccountId32,
	SubstrateConfig,
};

use crate::{ail2, rpc, runtime_types, ChainClient, ChainError};

/// The runtime's bounds on race calls, read from its metadata constants so that the worker
/// never copies them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RaceLimits {
	/// Validators drawn for each participant (pallet-race's `ValidatorsPerParticipant`).
	pub validators_per_participant: u32,
}

/// The race limits in the metadata of the runtime at block `at`.
fn race_limits<Client: OfflineClientAtBlockT<SubstrateConfig>>(
	at: &ClientAtBlock<SubstrateConfig, Client>,
) -> Result<RaceLimits, ChainError> {
	let validators_per_participant = at
		.constants()
		.entry(ail2::constants().race().validators_per_participant())
		.map_err(|e| ChainError::Decode(e.to_string()))?;
	Ok(RaceLimits { validators_per_participant })
}

/// A race's parameters as the worker uses them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RaceParams {
	pub model: RaceModel,
	pub window: u32,
	/// Coordinates per artifact.
	pub artifact_len: u32,
	/// The RMS difference above which a recomputed leaf fails.
	pub tolerance: f64,
	/// Leaves one validator opens per participant.
	pub sample_size: u32,
	pub max_mismatches: u32,
	/// Least blocks between two commitments.
	pub commit_interval: u32,
}

/// A participant's latest work commitment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkCommitment {
	pub root: Hash,
	pub count: u64,
	/// Where it serves openings.
	pub url: String,
	pub committed_at: u32,
}

/// `participant`'s validators and their weights in a race whose validator pool (running
/// totals, as stored) is `pool`: pallet-race's `Pallet::assignment`, the same draw.
pub fn assignment(
	sample_seed: &Hash,
	participant: &AccountBytes,
	pool: &[(AccountBytes, u64)],
	validators: u32,
) -> Vec<(AccountBytes, u64)> {
	let mut seed = sample_seed.to_vec();
	seed.extend_from_slice(participant);
	weighted_members(&seed, pool, validators, Some(participant))
}

/// Where a race is, at a given block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
	Commit,
	Reveal,
	Window,
	Validation,
}

/// The race in progress.
#[derive(Clone, Debug, PartialEq)]
pub struct RaceState {
	pub index: u32,
	pub params: RaceParams,
	pub started: u32,
	pub reveal_from: u32,
	pub window_from: u32,
	pub validation_from: u32,
	pub ends: u32,
	pub seed: Option<Hash>,
	pub sample_seed: Option<Hash>,
}

impl RaceState {
	/// The phase at block `at` (the pallet's `Race::phase`).
	pub fn phase(&self, at: u32) -> Phase {
		if at < self.reveal_from {
			Phase::Commit
		} else if at < self.window_from {
			Phase::Reveal
		} else if at < self.validation_from {
			Phase::Window
		} else {
			Phase::Validation
		}
	}
}

/// What one worker needs to know about the race, read at one (best) block.
#[derive(Clone, Debug, PartialEq)]
pub struct RaceView {
	/// The block the view was read at.
	pub block: u32,
	pub race: Option<RaceState>,
	pub committers: Vec<AccountBytes>,
	/// How many participants committed work.
	pub participants: u32,
}

/// A seed commitment and its reveal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Commitment {
	pub commitment: Hash,
	pub revealed: Option<Hash>,
}

fn race_params(params: runtime_types::pallet_race::types::RaceParams) -> RaceParams {
	let model = params.model;
	RaceParams {
		model: RaceModel {
			layers: model.layers,
			heads: model.heads,
			d_model: model.d_model,
			d_ff: model.d_ff,
			vocab: model.vocab,
			seq_len: model.seq_len,
		},
		window: params.window,
		artifact_len: params.artifact_len,
		tolerance: f64::from(params.tolerance) / 1e6,
		sample_size: params.sample_size,
		max_mismatches: params.max_mismatches,
		commit_interval: params.commit_interval,
	}
}

fn race_state(race: runtime_types::pallet_race::types::Race<u32>) -> RaceState {
	RaceState {
		index: race.index,
		params: race_params(race.params),
		started: race.started,
		reveal_from: race.reveal_from,
		window_from: race.window_from,
		validation_from: race.validation_from,
		ends: race.ends,
		seed: race.seed,
		sample_seed: race.sample_seed,
	}
}

impl ChainClient {
	/// The best block's number and a client reading its state.
	async fn at_best(
		&self,
	) -> Result<
		subxt::client::ClientAtBlock<
			subxt::SubstrateConfig,
			subxt::client::OnlineClientAtBlockImpl<subxt::SubstrateConfig>,
		>,
		ChainError,
	> {
		let hash = self
			.legacy
			.chain_get_block_hash(None)
			.await
			.map_err(rpc)?
			.ok_or_else(|| ChainError::Decode("the node has no best block".into()))?;
		self.api.at_block(BlockRef::from_hash(hash)).await.map_err(rpc)
	}

	/// The best block's number (one RPC call: what the search polls to know when to stop).
	pub async fn best_number(&self) -> Result<u32, ChainError> {
		let header = self
			.legacy
			.chain_get_header(None)
			.await
			.map_err(rpc)?
			.ok_or_else(|| ChainError::Decode("the node has no best block".into()))?;
		u32::try_from(header.number).map_err(|e| ChainError::Decode(e.to_string()))
	}

	/// The race in progress, its committers and participants, at the best block: the race's
	/// phases are counted in blocks, and a miner who waited for finality would start late
	/// and stop late.
	pub async fn race_view(&self) -> Result<RaceView, ChainError> {
		let at = self.at_best().await?;
		let block =
			u32::try_from(at.block_number()).map_err(|e| ChainError::Decode(e.to_string()))?;
		let storage = at.storage();
		let race = match storage
			.try_fetch(ail2::storage().race().current_race(), ())
			.await
			.map_err(rpc)?
		{
			Some(value) => Some(race_state(value.decode().map_err(rpc)?)),
			None => None,
		};
		let accounts = |list: Vec<AccountId32>| list.into_iter().map(|a| a.0).collect::<Vec<_>>();
		let committers =
			match storage.try_fetch(ail2::storage().race().committers(), ()).await.map_err(rpc)? {
				Some(value) => accounts(value.decode().map_err(rpc)?.0),
				None => Vec::new(),
			};
		let participants = match storage
			.try_fetch(ail2::storage().race().participant_count(), ())
			.await
			.map_err(rpc)?
		{
			Some(value) => value.decode().map_err(rpc)?,
			None => 0,
		};
		Ok(RaceView { block, race, committers, participants })
	}

	/// The runtime's race limits, from the metadata of the finalized block's runtime.
	pub async fn race_limits(&self) -> Result<RaceLimits, ChainError> {
		let at = self.api.at_current_block().await.map_err(rpc)?;
		race_limits(&at)
	}

	/// The parameters the next race starts with.
	pub async fn race_params(&self) -> Result<RaceParams, ChainError> {
		let at = self.api.at_current_block().await.map_err(rpc)?;
		let value = at
			.storage()
			.try_fetch(ail2::storage().race().params(), ())
			.await
			.map_err(rpc)?
			.ok_or_else(|| ChainError::Decode("no race parameters on chain".into()))?;
		Ok(race_params(value.decode().map_err(rpc)?))
	}

	/// `who`'s commitment in the current race, at the best block.
	pub async fn race_commitment(
		&self,
		who: AccountBytes,
	) -> Result<Option<Commitment>, ChainError> {
		let at = self.at_best().await?;
		let value = at
			.storage()
			.try_fetch(ail2::storage().race().commitments(), (AccountId32(who),))
			.await
			.map_err(rpc)?;
		value
			.map(|value| {
				let c = value.decode().map_err(rpc)?;
				Ok(Commitment { commitment: c.commitment, revealed: c.revealed })
			})
			.transpose()
	}

	/// The current race's participants, in order of their first commitment, at the best
	/// block.
	pub async fn race_participants(&self, count: u32) -> Result<Vec<AccountBytes>, ChainError> {
		let at = self.at_best().await?;
		let storage = at.storage();
		let mut participants = Vec::with_capacity(count as usize);
		for index in 0..count {
			if let Some(value) = storage
				.try_fetch(ail2::storage().race().participant_at(), (index,))
				.await
				.map_err(rpc)?
			{
				participants.push(value.decode().map_err(rpc)?.0);
			}
		}
		Ok(participants)
	}

	/// `who`'s latest work commitment in the current race, at the best block.
	pub async fn race_work(&self, who: AccountBytes) -> Result<Option<WorkCommitment>, ChainError> {
		let at = self.at_best().await?;
		let value = at
			.storage()
			.try_fetch(ail2::storage().race().work(), (AccountId32(who),))
			.await
			.map_err(rpc)?;
		value
			.map(|value| {
				let entry = value.decode().map_err(rpc)?;
				Ok(WorkCommitment {
					root: entry.root,
					count: entry.count,
					url: String::from_utf8_lossy(&entry.url.0).into_owned(),
					committed_at: entry.committed_at,
				})
			})
			.transpose()
	}

	/// The current race's validator pool (running totals), fixed as its window closed.
	pub async fn race_pool(&self) -> Result<Vec<(AccountBytes, u64)>, ChainError> {
		let at = self.at_best().await?;
		let value = at
			.storage()
			.try_fetch(ail2::storage().race().validator_pool(), ())
			.await
			.map_err(rpc)?;
		value.map_or(Ok(Vec::new()), |value| {
			Ok(value.decode().map_err(rpc)?.0.into_iter().map(|(v, w)| (v.0, w)).collect())
		})
	}

	/// `validator`'s vote on `participant` in the current race, if cast.
	pub async fn race_vote(
		&self,
		participant: AccountBytes,
		validator: AccountBytes,
	) -> Result<Option<u32>, ChainError> {
		let at = self.at_best().await?;
		let value = at
			.storage()
			.try_fetch(
				ail2::storage().race().votes(),
				(AccountId32(participant), AccountId32(validator)),
			)
			.await
			.map_err(rpc)?;
		value.map(|value| value.decode().map_err(rpc)).transpose()
	}

	/// The weights of finalized race `race` (heaviest first), read at the finalized block.
	pub async fn race_weights(&self, race: u32) -> Result<Vec<(AccountBytes, u64)>, ChainError> {
		let at = self.api.at_current_block().await.map_err(rpc)?;
		let value = at
			.storage()
			.try_fetch(ail2::storage().race().race_weights(), (race,))
			.await
			.map_err(rpc)?;
		value.map_or(Ok(Vec::new()), |value| {
			Ok(value.decode().map_err(rpc)?.0.into_iter().map(|(a, w)| (a.0, w)).collect())
		})
	}

	/// The latest finalized race, read at the finalized block.
	pub async fn last_finalized_race(&self) -> Result<Option<u32>, ChainError> {
		let at = self.api.at_current_block().await.map_err(rpc)?;
		let value = at
			.storage()
			.try_fetch(ail2::storage().race().last_finalized(), ())
			.await
			.map_err(rpc)?;
		value.map(|value| value.decode().map_err(rpc)).transpose()
	}

	pub async fn commit_seed(&self, race: u32, commitment: Hash) -> Result<(), ChainError> {
		self.submit(&ail2::transactions().race().commit_seed(race, commitment)).await.map(|_| ())
	}

	pub async fn reveal_seed(&self, race: u32, secret: Hash) -> Result<(), ChainError> {
		self.submit(&ail2::transactions().race().reveal_seed(race, secret)).await.map(|_| ())
	}

	/// Sends a work commitment and returns a future that resolves when it is finalized.
	pub async fn send_commit_work(
		&self,
		race: u32,
		root: Hash,
		count: u64,
		url: &str,
	) -> Result<
		impl std::future::Future<Output = Result<(), ChainError>> + Send + 'static,
		ChainError,
	> {
		let call = ail2::transactions().race().commit_work(
			race,
			root,
			count,
			runtime_types::bounded_collections::bounded_vec::BoundedVec(url.as_bytes().to_vec()),
		);
		let finalized = self.send(&call).await?;
		Ok(async move { finalized.await.map(|_| ()) })
	}

	/// Sends a validation vote; the future resolves when it is finalized.
	pub async fn send_race_vote(
		&self,
		race: u32,
		participant: AccountBytes,
		mismatches: u32,
	) -> Result<
		impl std::future::Future<Output = Result<(), ChainError>> + Send + 'static,
		ChainError,
	> {
		let call = ail2::transactions().race().vote(race, AccountId32(participant), mismatches);
		let finalized = self.send(&call).await?;
		Ok(async move { finalized.await.map(|_| ()) })
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use subxt::{
		config::substrate::SpecVersionForRange, Metadata, OfflineClient, OfflineClientAtBlock,
	};

	/// The checked-in metadata, as an offline client at block 0: no node needed.
	fn checked_in_runtime() -> Result<OfflineClientAtBlock<SubstrateConfig>, String> {
		let bytes = include_bytes!("../metadata/ail2.scale");
		let metadata = Metadata::decode_from(bytes).map_err(|e| e.to_string())?;
		let config = SubstrateConfig::builder()
			.set_metadata_for_spec_versions([(0, metadata.arc())])
			.set_spec_version_for_block_ranges([SpecVersionForRange {
				block_range: 0..u64::MAX,
				spec_version: 0,
				transaction_version: 0,
			}])
			.build();
		OfflineClient::new_with_config(config).at_block(0u64).map_err(|e| e.to_string())
	}

	/// `type <name> = ConstU32<N>;` in the runtime's pallet-race configuration.
	fn runtime_const_u32(name: &str) -> Option<u32> {
		let config = include_str!("../../../runtime/src/configs/race.rs");
		let line =
			config.lines().find(|line| line.trim_start().starts_with(&format!("type {name} =")))?;
		let value = line.split_once("ConstU32<")?.1.split_once('>')?.0;
		value.replace('_', "").parse().ok()
	}

	#[test]
	fn race_limits_are_the_runtimes_constants_read_from_its_metadata() {
		let at = checked_in_runtime().unwrap_or_else(|e| panic!("metadata/ail2.scale: {e}"));
		let limits = race_limits(&at).unwrap_or_else(|e| panic!("{e}"));
		assert_eq!(
			Some(limits.validators_per_participant),
			runtime_const_u32("ValidatorsPerParticipant"),
			"metadata/ail2.scale is stale: run scripts/refresh-metadata.sh"
		);
	}
}
