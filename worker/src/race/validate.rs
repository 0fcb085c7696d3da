//! Validation duty: for every participant the chain assigns this worker to, the leaves
//! `leaf_sample(sample seed, participant, this worker, count, s)` of its commitment are
//! fetched from the participant with a signed request, each checked against the committed
//! root and recomputed, and the leaves that fail are voted.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use ail2_chain::race::{assignment, RaceState};
use ail2_primitives::{
	merkle::SumNode,
	race::{leaf_sample, node_seed},
	receipt::AccountBytes,
	Hash,
};
use ail2_race::RaceNet;
use tokio::task::JoinSet;

use super::{openings::fetch_openings, Follower, RaceError, ValidationReport};
use crate::supervisor::resume_panic;

/// How long a participant has to serve its openings: the validation phase is short, and a
/// leaf not served in time fails.
pub const OPENINGS_DEADLINE: Duration = Duration::from_secs(8);

impl Follower {
	/// Votes on every participant this worker is assigned to and has not voted on.
	pub(super) async fn validate(
		&mut self,
		race: &RaceState,
		sample_seed: Hash,
		participants: u32,
	) -> Result<(), RaceError> {
		let Some(seed) = race.seed else { return Ok(()) };
		let me = self.me;
		let pool = self.chain.race_pool().await?;
		let mut votes = JoinSet::new();
		for participant in self.chain.race_participants(participants).await? {
			if participant == me || self.progress.voted.contains(&participant) {
				continue;
			}
			let assigned = assignment(&sample_seed, &participant, &pool, self.validators);
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
			let report = self.recheck(net, race, sample_seed, participant).await?;
			let failed = report.failed;
			self.shared.metrics.leaves_checked.inc_by(u64::from(report.opened));
			self.shared.metrics.leaves_failed.inc_by(u64::from(failed));
			if let Some(error) = &report.error {
				tracing::warn!(%error, participant = %hex::encode(participant), "openings not served");
			}
			self.shared.record_validation(report);
			// Sent now, finalized together: the validation phase is short.
			let finalized = self.chain.send_race_vote(race.index, participant, failed).await?;
			votes.spawn(async move { (participant, failed, finalized.await) });
		}
		while let Some(done) = votes.join_next().await {
			let (participant, failed, result) = match done.map_err(resume_panic) {
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
						failed,
						"validation vote cast"
					);
				},
				Err(error) => tracing::warn!(%error, race = race.index, "validation vote failed"),
			}
		}
		Ok(())
	}

	/// Opens and checks `participant`'s sample: a leaf fails when it is not served, is not
	/// the requested nonce, does not lead to the committed root, or differs from this
	/// worker's recomputation by more than the race's tolerance.
	async fn recheck(
		&self,
		net: Arc<RaceNet>,
		race: &RaceState,
		sample_seed: Hash,
		participant: AccountBytes,
	) -> Result<ValidationReport, RaceError> {
		let mut report = ValidationReport {
			race: race.index,
			participant: format!("0x{}", hex::encode(participant)),
			..ValidationReport::default()
		};
		let Some(work) = self.chain.race_work(participant).await? else {
			return Ok(report);
		};
		let params = race.params;
		let indices =
			leaf_sample(&sample_seed, &participant, &self.me, work.count, params.sample_size);
		report.opened = indices.len() as u32;
		let root = SumNode { hash: work.root, sum: u128::from(work.count) };
		let fetched = tokio::time::timeout(
			OPENINGS_DEADLINE,
			fetch_openings(&self.http, &self.chain, &work.url, race.index, &participant, &indices),
		)
		.await
		.unwrap_or_else(|_| Err("the participant did not answer in time".into()));
		let served = match fetched {
			Ok(served) => served,
			Err(error) => {
				report.failed = report.opened;
				report.error = Some(error);
				return Ok(report);
			},
		};
		// The served openings that are the requested leaves of the committed tree.
		let mut valid: BTreeMap<u64, Vec<u16>> = BTreeMap::new();
		for opening in served.iter().filter_map(|o| o.to_opening()) {
			let requested = indices.binary_search(&opening.nonce).is_ok();
			if requested && opening.verify(&root, work.count).is_ok() {
				valid.insert(opening.nonce, opening.artifact);
			}
		}
		let node = node_seed(&participant);
		let (k, tolerance) = (params.artifact_len, params.tolerance);
		let openings: Vec<(u64, Vec<u16>)> = valid.into_iter().collect();
		let checked = openings.len();
		let mismatches =
			tokio::task::spawn_blocking(move || net.mismatches(&node, &openings, k, tolerance))
				.await
				.map_err(|error| RaceError::Blocking(resume_panic(error)))??;
		let missing_or_unproven = indices.len().saturating_sub(checked);
		report.failed =
			u32::try_from(missing_or_unproven.saturating_add(mismatches)).unwrap_or(u32::MAX);
		Ok(report)
	}
}
