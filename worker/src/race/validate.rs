//! Validation duty: for every participant this worker is assigned to, the participant's
//! sample of submitted nonces is recomputed and the nonces that do not hit are voted.

use std::sync::Arc;

use ail2_chain::race::{RaceParams, RaceState};
use ail2_primitives::{
	race::{node_seed, sample, Nonce},
	receipt::AccountBytes,
	Hash,
};
use ail2_race::RaceNet;
use tokio::task::JoinSet;

use super::{Follower, RaceError};
use crate::supervisor::resume_panic;

impl Follower {
	/// Votes on every participant this worker is assigned to and has not voted on: recomputes
	/// the participant's sample and counts the nonces that do not hit.
	pub(super) async fn validate(
		&mut self,
		race: &RaceState,
		sample_seed: Hash,
		participants: &[AccountBytes],
	) -> Result<(), RaceError> {
		let Some(seed) = race.seed else { return Ok(()) };
		let me = self.me;
		let mut votes = JoinSet::new();
		for &participant in participants {
			if participant == me || self.progress.voted.contains(&participant) {
				continue;
			}
			let assigned = self.chain.race_assignment(participant).await?;
			if !assigned.iter().any(|(validator, _)| *validator == me)
				|| self.chain.race_vote(participant, me).await?.is_some()
			{
				self.progress.voted.insert(participant);
				continue;
			}
			let net = match &self.progress.net {
				Some(net) => net.clone(),
				None => {
					let (model, device) = (race.params.model, self.device.clone());
					let built =
						tokio::task::spawn_blocking(move || RaceNet::build(&seed, model, &device))
							.await
							.map_err(|error| RaceError::Blocking(resume_panic(error)))??;
					let net = Arc::new(built);
					self.progress.net = Some(net.clone());
					net
				},
			};
			let mismatches = self.recheck(net, race.params, sample_seed, participant).await?;
			// Sent now, finalized together: the validation phase is short.
			let finalized = self.chain.send_race_vote(race.index, participant, mismatches).await?;
			votes.spawn(async move { (participant, mismatches, finalized.await) });
		}
		while let Some(done) = votes.join_next().await {
			let (participant, mismatches, result) = match done.map_err(resume_panic) {
				Ok(vote) => vote,
				Err(error) => {
					tracing::warn!(%error, race = race.index, "validation vote task stopped");
					continue;
				},
			};
			match result {
				Ok(()) => {
					self.progress.voted.insert(participant);
					self.shared.metrics.votes.inc();
					self.shared.status().votes_cast += 1;
					tracing::info!(
						race = race.index,
						participant = %hex::encode(participant),
						mismatches,
						"validation vote cast"
					);
				},
				Err(error) => tracing::warn!(%error, race = race.index, "validation vote failed"),
			}
		}
		Ok(())
	}

	/// Mismatches in `participant`'s sample: `sample(sample_seed, participant, n, k)` of its
	/// submitted nonces, recomputed with `net`.
	async fn recheck(
		&self,
		net: Arc<RaceNet>,
		params: RaceParams,
		sample_seed: Hash,
		participant: AccountBytes,
	) -> Result<u32, RaceError> {
		let submitted = self.chain.race_submissions(participant).await?;
		let positions =
			sample(&sample_seed, &participant, submitted.len() as u32, params.sample_size);
		let sampled: Vec<Nonce> =
			positions.iter().filter_map(|&p| submitted.get(p as usize).copied()).collect();
		let node = node_seed(&participant);
		let threshold = params.threshold_squared();
		let mismatches =
			tokio::task::spawn_blocking(move || net.mismatches(&node, &sampled, threshold))
				.await
				.map_err(|error| RaceError::Blocking(resume_panic(error)))??;
		Ok(u32::try_from(mismatches).unwrap_or(u32::MAX))
	}
}
