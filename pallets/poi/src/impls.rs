//! The logic behind the calls and hooks: elections at round boundaries, verifier groups,
//! audits of proposed batches, checks and their verdicts, and the `BatchAudit` that
//! pallet-receipts consults before paying a batch.

use crate::*;
use ail2_primitives::{
	domain, keccak256, merkle,
	poi::{p_verify, reputation_scaled, selected},
	receipt::SemVer,
	Hash, ModelId,
};
use alloc::vec::Vec;
use codec::Encode;
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{
		fungible::MutateHold,
		tokens::{Fortitude, Precision, Restriction},
		Randomness,
	},
};
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_models::ModelInspect;
use pallet_receipts::{Batch, BatchAudit, BatchControl, BatchId, BatchInspect};
use pallet_slashing::{ReportViolation, Violation};
use pallet_workers::{WorkerInspect, WorkerPenalty};
use sp_runtime::{
	traits::{Saturating, Zero},
	DispatchError, Perbill,
};

impl<T: Config> Pallet<T> {
	fn blocks(n: u32) -> BlockNumberFor<T> {
		BlockNumberFor::<T>::from(n)
	}

	/// Whether `params` are within bounds: [`PoiParams::is_valid`], a group of at most
	/// `MaxVerifiers` and at most `MaxInferenceNodes` nodes per model.
	pub fn check_params(params: &PoiParams) -> DispatchResult {
		ensure!(
			params.is_valid()
				&& params.verifier_count <= T::MaxVerifiers::get()
				&& params.inference_nodes <= T::MaxInferenceNodes::get(),
			Error::<T>::InvalidParams
		);
		Ok(())
	}

	/// The probability that a receipt charging `price` of a worker with `reputation` is
	/// checked: `P_verify(price)` of the current parameters, scaled by reputation.
	pub fn check_probability(price: u128, reputation: Perbill) -> Perbill {
		Self::probability(&Params::<T>::get(), price, reputation)
	}

	fn probability(p: &PoiParams, price: u128, reputation: Perbill) -> Perbill {
		reputation_scaled(
			p_verify(price, p.p0, p.k, p.fee_unit, p.p_max),
			reputation,
			p.low_reputation_factor,
		)
	}

	/// What serving a receipt of `(model, version)` charging `price` honestly earns its
	/// worker: the price less the model owner's, treasury's and ecosystem's shares of that
	/// version's split. A report's bounty never exceeds it (seed `pow2` §6).
	pub fn honest_earnings(model: ModelId, version: &SemVer, price: u128) -> u128 {
		T::Models::revenue_split(model, version).map_or(0, |split| split.shares(price).0)
	}

	fn random_seed(tag: &[u8], index: u64) -> Hash {
		let (random, _) = T::Randomness::random(&(tag, index).encode());
		keccak256(&(tag, index, random).encode())
	}

	// ---- elections ----

	pub(crate) fn do_bid(worker: T::AccountId, model: ModelId, amount: u128) -> DispatchResult {
		ensure!(T::Workers::is_active(&worker), Error::<T>::NotActiveWorker);
		ensure!(T::Models::owner(model).is_some(), Error::<T>::UnknownModel);
		ensure!(amount >= Params::<T>::get().min_bid, Error::<T>::BidTooLow);
		let reason = HoldReason::Bid.into();
		match Bids::<T>::get(model, &worker) {
			Some(old) if old >= amount => {
				T::Currency::release(
					&reason,
					&worker,
					old.saturating_sub(amount),
					Precision::Exact,
				)?;
			},
			Some(old) => {
				T::Currency::hold(&reason, &worker, amount.saturating_sub(old))?;
			},
			None => {
				let count = BidCount::<T>::get(model);
				ensure!(count < T::MaxBidders::get(), Error::<T>::TooManyBidders);
				BidModels::<T>::try_mutate(|models| {
					if !models.contains(&model) {
						models.try_push(model).map_err(|_| Error::<T>::TooManyModels)?;
					}
					Ok::<(), Error<T>>(())
				})?;
				T::Currency::hold(&reason, &worker, amount)?;
				BidCount::<T>::insert(model, count.saturating_add(1));
			},
		}
		Bids::<T>::insert(model, &worker, amount);
		Self::deposit_event(Event::BidPlaced { model, worker, amount });
		Ok(())
	}

	pub(crate) fn do_withdraw_bid(worker: T::AccountId, model: ModelId) -> DispatchResult {
		let amount = Bids::<T>::take(model, &worker).ok_or(Error::<T>::NoBid)?;
		T::Currency::release(&HoldReason::Bid.into(), &worker, amount, Precision::BestEffort)?;
		let left = BidCount::<T>::get(model).saturating_sub(1);
		if left == 0 {
			BidCount::<T>::remove(model);
			BidModels::<T>::mutate(|models| models.retain(|m| *m != model));
		} else {
			BidCount::<T>::insert(model, left);
		}
		Self::deposit_event(Event::BidWithdrawn { model, worker, amount });
		Ok(())
	}

	pub(crate) fn round_ends(now: BlockNumberFor<T>) -> bool {
		let round = CurrentRound::<T>::get();
		now >= round.started_at.saturating_add(Self::blocks(Params::<T>::get().round_length))
	}

	/// Ends the round: pays the inference nodes' bids to their models' verifier groups,
	/// raises the reputation of nodes no check caught, and elects the next round's nodes.
	/// Bounded by `MaxModels × (MaxInferenceNodes × MaxVerifiers + MaxBidders)`.
	/// The weight of [`Self::end_round`] now: its benchmark at the number of models with bids
	/// or elected nodes and the most bidders (or elected nodes) any of them has, plus the
	/// reads that counted them.
	pub(crate) fn end_round_weight() -> Weight {
		let bidding = BidModels::<T>::get();
		let elected = ElectedModels::<T>::get();
		let models = bidding.len().max(elected.len()) as u32;
		let bidders = bidding
			.iter()
			.map(|model| BidCount::<T>::get(model))
			.chain(elected.iter().map(|model| Elected::<T>::decode_len(model).unwrap_or(0) as u32))
			.max()
			.unwrap_or(0);
		let counted = (bidding.len() + elected.len()) as u64;
		T::WeightInfo::end_round(models.max(1), bidders.max(1))
			.saturating_add(T::DbWeight::get().reads(counted.saturating_add(2)))
	}

	pub(crate) fn end_round(now: BlockNumberFor<T>) {
		let params = Params::<T>::get();
		let ending = CurrentRound::<T>::get().index;
		for model in ElectedModels::<T>::take() {
			let elected = Elected::<T>::take(model);
			let servers = Self::ranked_servers(model);
			let mut total = 0u128;
			for (worker, bid) in &elected {
				total = total.saturating_add(*bid);
				Self::pay_bid(&servers, worker, *bid);
				if !Forfeited::<T>::contains_key(ending, worker) {
					T::Workers::raise_reputation(worker, params.reputation_step);
				}
			}
			Self::deposit_event(Event::BidsPaid { round: ending, model, total });
		}
		let _ = Forfeited::<T>::clear_prefix(
			ending,
			T::MaxModels::get().saturating_mul(T::MaxInferenceNodes::get()),
			None,
		);

		let next = ending.saturating_add(1);
		let seed = Self::random_seed(domain::POI_ELECTION, u64::from(next));
		let mut elected_models: BoundedVec<ModelId, T::MaxModels> = BoundedVec::new();
		for model in BidModels::<T>::take() {
			BidCount::<T>::remove(model);
			let bids: Vec<(T::AccountId, u128)> =
				Bids::<T>::drain_prefix(model).take(T::MaxBidders::get() as usize).collect();
			let candidates: Vec<(T::AccountId, u128)> =
				bids.iter().filter(|(w, _)| T::Workers::is_active(w)).cloned().collect();
			let drawn = ail2_primitives::draw::weighted(
				&(seed, model).encode(),
				candidates,
				params.inference_nodes.min(T::MaxInferenceNodes::get()),
			);
			let mut elected: ElectedOf<T> = BoundedVec::new();
			for (worker, bid) in bids {
				if drawn.contains(&worker) && elected.try_push((worker.clone(), bid)).is_ok() {
					continue;
				}
				let _ = T::Currency::release(
					&HoldReason::Bid.into(),
					&worker,
					bid,
					Precision::BestEffort,
				);
			}
			if !elected.is_empty() {
				let workers = elected.iter().map(|(w, _)| w.clone()).collect();
				Self::deposit_event(Event::Elected { round: next, model, workers });
				Elected::<T>::insert(model, elected);
				let _ = elected_models.try_push(model);
			}
		}
		ElectedModels::<T>::put(elected_models);
		CurrentRound::<T>::put(Round { index: next, started_at: now });
		Self::deposit_event(Event::RoundStarted { round: next });
	}

	/// Splits an inference node's bid among its model's verifier group (from `servers`, the
	/// model's [`Self::ranked_servers`]) by stake (FUN AI §5: the tokens go to the
	/// verification nodes); with no group, the bid is released.
	fn pay_bid(servers: &[(T::AccountId, u128)], worker: &T::AccountId, bid: u128) {
		let group = Self::group_of(servers, Some(worker));
		if group.is_empty() {
			let _ =
				T::Currency::release(&HoldReason::Bid.into(), worker, bid, Precision::BestEffort);
			return;
		}
		let _ = Self::pay_shares(HoldReason::Bid, worker, bid, &group);
	}

	/// Pays `amount` held from `from` under `reason` to the owners of `recipients` in
	/// proportion to their weights (rounded down, the last taking the remainder). Pays nothing
	/// to a list without weight.
	fn pay_shares(
		reason: HoldReason,
		from: &T::AccountId,
		amount: u128,
		recipients: &[(T::AccountId, u128)],
	) -> DispatchResult {
		let total = recipients.iter().fold(0u128, |sum, (_, w)| sum.saturating_add(*w));
		if total.is_zero() {
			return Ok(());
		}
		let reason: T::RuntimeHoldReason = reason.into();
		let mut paid = 0u128;
		for (position, (recipient, weight)) in recipients.iter().enumerate() {
			let share = if position.saturating_add(1) == recipients.len() {
				amount.saturating_sub(paid)
			} else {
				sp_runtime::helpers_128bit::multiply_by_rational_with_rounding(
					amount,
					*weight,
					total,
					sp_runtime::Rounding::Down,
				)
				.unwrap_or(0)
			};
			paid = paid.saturating_add(share);
			let to = T::Workers::owner(recipient).unwrap_or_else(|| recipient.clone());
			if !share.is_zero() {
				T::Currency::transfer_on_hold(
					&reason,
					from,
					&to,
					share,
					Precision::BestEffort,
					Restriction::Free,
					Fortitude::Force,
				)?;
			}
		}
		Ok(())
	}

	/// The active, staked workers serving `model` (elected this round or bidding for the
	/// next), most stake first (ties by account), with their stakes.
	fn ranked_servers(model: ModelId) -> Vec<(T::AccountId, u128)> {
		let mut candidates: Vec<T::AccountId> =
			Elected::<T>::get(model).into_iter().map(|(w, _)| w).collect();
		candidates.extend(Bids::<T>::iter_key_prefix(model).take(T::MaxBidders::get() as usize));
		candidates.sort();
		candidates.dedup();
		let mut staked: Vec<(T::AccountId, u128)> = candidates
			.into_iter()
			.filter(|w| T::Workers::is_active(w))
			.map(|w| {
				let stake = T::Workers::active_stake(&w);
				(w, stake)
			})
			.filter(|(_, stake)| !stake.is_zero())
			.collect();
		staked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
		staked
	}

	/// The first `verifier_count` of `servers` that are not `excluded`.
	fn group_of(
		servers: &[(T::AccountId, u128)],
		excluded: Option<&T::AccountId>,
	) -> BoundedVec<(T::AccountId, u128), T::MaxVerifiers> {
		let size = Params::<T>::get().verifier_count.min(T::MaxVerifiers::get()) as usize;
		BoundedVec::truncate_from(
			servers.iter().filter(|(w, _)| Some(w) != excluded).take(size).cloned().collect(),
		)
	}

	/// The verifier group of `model`: the `verifier_count` active workers with the most
	/// stake among those serving it this round or bidding for the next (ties by account),
	/// never `excluded`, with the stake each votes with.
	pub fn verifier_group(
		model: ModelId,
		excluded: Option<&T::AccountId>,
	) -> BoundedVec<(T::AccountId, u128), T::MaxVerifiers> {
		Self::group_of(&Self::ranked_servers(model), excluded)
	}

	/// The inference nodes of `model` this round, for routing.
	pub fn inference_nodes(model: ModelId) -> Vec<T::AccountId> {
		Elected::<T>::get(model).into_iter().map(|(w, _)| w).collect()
	}

	// ---- checks ----

	/// Fixes the duty seeds of the batches proposed in the previous block from the randomness
	/// this block sees (the runtime's: the previous block's VRF output). Returns how many.
	pub(crate) fn fix_seeds() -> u32 {
		let batches = Unseeded::<T>::take();
		for batch in &batches {
			let seed = Self::random_seed(domain::POI_DUTY, *batch);
			Audits::<T>::mutate(batch, |audit| {
				if let Some(audit) = audit {
					audit.seed = Some(seed);
				}
			});
			Self::deposit_event(Event::SeedFixed { batch: *batch, seed });
		}
		batches.len() as u32
	}

	pub(crate) fn do_open_check(
		batch: BatchId,
		leaf: LeafProof,
		reporter: Option<T::AccountId>,
	) -> DispatchResult {
		let LeafProof { index, receipt, siblings } = leaf;
		let mut audit = Audits::<T>::get(batch).ok_or(Error::<T>::NoAudit)?;
		let record = T::Batches::unsettled_batch(batch).ok_or(Error::<T>::NoAudit)?;
		if let Some(payer) = &reporter {
			ensure!(*payer == record.payer, Error::<T>::NotPayer);
		}
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now <= record.challenge_until, Error::<T>::OpeningClosed);
		merkle::verify_inclusion(
			&record.root,
			record.count,
			index,
			&merkle::leaf(&receipt),
			&siblings,
		)
		.map_err(|_| Error::<T>::BadProof)?;
		ensure!(!Checks::<T>::contains_key(batch, index), Error::<T>::CheckExists);
		let receipt_id = receipt.receipt.id();
		let price = receipt.receipt.price;
		let params = Params::<T>::get();
		if reporter.is_none() {
			let seed = audit.seed.ok_or(Error::<T>::SeedNotFixed)?;
			let p = Self::probability(&params, price, audit.reputation).max(audit.declared_rate);
			ensure!(selected(&seed, &receipt_id, p), Error::<T>::NotSelected);
		}
		ensure!(audit.opened < T::MaxChecksPerBatch::get(), Error::<T>::TooManyChecks);
		if let Some(payer) = &reporter {
			T::Currency::hold(&HoldReason::Report.into(), payer, params.report_fee)?;
		}
		audit.opened = audit.opened.saturating_add(1);
		audit.open = audit.open.saturating_add(1);
		Audits::<T>::insert(batch, audit);
		Checks::<T>::insert(
			batch,
			index,
			Check {
				receipt_id,
				price,
				reporter: reporter.clone(),
				deadline: now.saturating_add(Self::blocks(params.verdict_period)),
				extensions: 0,
				votes: BoundedVec::new(),
			},
		);
		Self::deposit_event(Event::CheckOpened { batch, index, receipt_id, reporter });
		Ok(())
	}

	pub(crate) fn do_vote(
		verifier: T::AccountId,
		batch: BatchId,
		index: u64,
		valid: bool,
	) -> DispatchResult {
		let mut check = Checks::<T>::get(batch, index).ok_or(Error::<T>::NoCheck)?;
		let audit = Audits::<T>::get(batch).ok_or(Error::<T>::NoAudit)?;
		ensure!(audit.group.iter().any(|(v, _)| *v == verifier), Error::<T>::NotInGroup);
		ensure!(!check.votes.iter().any(|(v, _)| *v == verifier), Error::<T>::AlreadyVoted);
		ensure!(
			frame_system::Pallet::<T>::block_number() <= check.deadline,
			Error::<T>::VotingClosed
		);
		// One vote per member of a group of at most MaxVerifiers: never full.
		check.votes.try_push((verifier.clone(), valid)).map_err(|_| Error::<T>::AlreadyVoted)?;
		Self::deposit_event(Event::Voted { batch, index, verifier, valid });
		match Self::majority(&audit, &check) {
			Some(true) => Self::conclude(batch, index, check, audit, Outcome::Passed),
			Some(false) => Self::conclude(batch, index, check, audit, Outcome::Failed),
			None => {
				Checks::<T>::insert(batch, index, check);
				Ok(())
			},
		}
	}

	/// `Some(valid)` once more than half of the group's stake voted `valid`.
	fn majority(audit: &AuditOf<T>, check: &CheckOf<T>) -> Option<bool> {
		let total = audit.group.iter().fold(0u128, |sum, (_, s)| sum.saturating_add(*s));
		let weight_of = |side: bool| {
			check
				.votes
				.iter()
				.filter(|(_, v)| *v == side)
				.filter_map(|(who, _)| audit.group.iter().find(|(g, _)| g == who))
				.fold(0u128, |sum, (_, s)| sum.saturating_add(*s))
		};
		if weight_of(true).saturating_mul(2) > total {
			Some(true)
		} else if weight_of(false).saturating_mul(2) > total {
			Some(false)
		} else {
			None
		}
	}

	pub(crate) fn do_close_check(batch: BatchId, index: u64) -> DispatchResult {
		let mut check = Checks::<T>::get(batch, index).ok_or(Error::<T>::NoCheck)?;
		let audit = Audits::<T>::get(batch).ok_or(Error::<T>::NoAudit)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now > check.deadline, Error::<T>::VotingOpen);
		let params = Params::<T>::get();
		if check.extensions < params.max_extensions {
			check.extensions = check.extensions.saturating_add(1);
			check.deadline = now.saturating_add(Self::blocks(params.verdict_period));
			let deadline = check.deadline;
			Checks::<T>::insert(batch, index, check);
			Self::deposit_event(Event::CheckExtended { batch, index, deadline });
			return Ok(());
		}
		Self::conclude(batch, index, check, audit, Outcome::Inconclusive)
	}

	/// Ends a check: members who did not vote lose reputation; a failure slashes the worker,
	/// resets its reputation, forfeits its round and voids the batch; a report's fee goes
	/// back to an upheld or inconclusive reporter and to the verifiers otherwise.
	fn conclude(
		batch: BatchId,
		index: u64,
		check: CheckOf<T>,
		mut audit: AuditOf<T>,
		outcome: Outcome,
	) -> DispatchResult {
		let params = Params::<T>::get();
		Checks::<T>::remove(batch, index);
		if outcome != Outcome::Failed {
			audit.open = audit.open.saturating_sub(1);
		}
		for (member, _) in &audit.group {
			if !check.votes.iter().any(|(v, _)| v == member) {
				T::Workers::reduce_reputation(member, params.missed_duty_penalty);
				Self::deposit_event(Event::DutyMissed { batch, index, verifier: member.clone() });
			}
		}
		let report = HoldReason::Report.into();
		Self::deposit_event(Event::CheckConcluded { batch, index, outcome });
		match outcome {
			Outcome::Failed => {
				let record = T::Batches::unsettled_batch(batch).ok_or(Error::<T>::NoAudit)?;
				if let Some(payer) = &check.reporter {
					T::Currency::release(&report, payer, params.report_fee, Precision::BestEffort)?;
				}
				Forfeited::<T>::insert(audit.round, &record.worker, ());
				T::Workers::reduce_reputation(&record.worker, Perbill::one());
				let cap = Self::honest_earnings(record.model, &record.version, check.price);
				// A report pallet-slashing cannot act on (a worker with nothing left to slash)
				// must not keep the verdict from voiding the batch.
				let _ = T::Violations::report(
					&record.worker,
					Violation::SpotCheckFailure,
					check.reporter.as_ref(),
					cap,
				);
				// Still counted open, so the batch is held and can be voided past its window;
				// voiding tells `closed`, which removes the audit and the batch's other checks.
				Audits::<T>::insert(batch, audit);
				T::Batches::void(batch)
			},
			Outcome::Passed => {
				if let Some(payer) = &check.reporter {
					// A rejected report's fee, in equal shares to the verifiers who found the
					// answer right.
					let right: Vec<(T::AccountId, u128)> = check
						.votes
						.iter()
						.filter(|(_, valid)| *valid)
						.map(|(v, _)| (v.clone(), 1))
						.collect();
					Self::pay_shares(HoldReason::Report, payer, params.report_fee, &right)?;
				}
				Audits::<T>::insert(batch, audit);
				Ok(())
			},
			Outcome::Inconclusive => {
				if let Some(payer) = &check.reporter {
					T::Currency::release(&report, payer, params.report_fee, Precision::BestEffort)?;
				}
				Audits::<T>::insert(batch, audit);
				Ok(())
			},
		}
	}

	/// Invariants: the parameters are within bounds; every audit's open count equals its
	/// stored checks, and no check outlives its audit; bid counts match the bids and every
	/// model with bids is listed; elected models are listed.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		ensure!(Self::check_params(&Params::<T>::get()).is_ok(), "parameters out of bounds");
		for (batch, audit) in Audits::<T>::iter() {
			let stored = Checks::<T>::iter_prefix(batch).count() as u32;
			ensure!(stored == audit.open, "open checks differ from the audit's count");
			ensure!(audit.open <= audit.opened, "more open checks than opened");
		}
		for (batch, _, _) in Checks::<T>::iter() {
			ensure!(Audits::<T>::contains_key(batch), "a check without its audit");
		}
		let models = BidModels::<T>::get();
		for (model, count) in BidCount::<T>::iter() {
			ensure!(Bids::<T>::iter_prefix(model).count() as u32 == count, "bid count differs");
			ensure!(models.contains(&model), "a model with bids is not listed");
		}
		let elected = ElectedModels::<T>::get();
		for (model, nodes) in Elected::<T>::iter() {
			ensure!(!nodes.is_empty() && elected.contains(&model), "elected model not listed");
		}
		Ok(())
	}
}

impl<T: Config> BatchAudit<T::AccountId, BlockNumberFor<T>> for Pallet<T> {
	fn proposed(
		batch: BatchId,
		record: &Batch<T::AccountId, BlockNumberFor<T>>,
	) -> Result<(), DispatchError> {
		Unseeded::<T>::try_mutate(|list| list.try_push(batch))
			.map_err(|_| Error::<T>::TooManyProposals)?;
		let group = Self::verifier_group(record.model, Some(&record.worker));
		let audit = Audit {
			round: CurrentRound::<T>::get().index,
			seed: None,
			reputation: T::Workers::reputation(&record.worker),
			declared_rate: T::Models::spot_check_rate(record.model, &record.version),
			group,
			opened: 0,
			open: 0,
		};
		Self::deposit_event(Event::AuditOpened {
			batch,
			group: audit.group.iter().map(|(v, _)| v.clone()).collect(),
		});
		Audits::<T>::insert(batch, audit);
		Ok(())
	}

	fn holds_settlement(batch: BatchId) -> bool {
		Audits::<T>::get(batch).is_some_and(|a| a.open > 0)
	}

	fn closed(batch: BatchId) {
		let params = Params::<T>::get();
		// Reports still open when the batch goes (a fraud proof voided it): their payers
		// lose nothing.
		for (_, check) in
			Checks::<T>::drain_prefix(batch).take(T::MaxChecksPerBatch::get() as usize)
		{
			if let Some(payer) = check.reporter {
				let _ = T::Currency::release(
					&HoldReason::Report.into(),
					&payer,
					params.report_fee,
					Precision::BestEffort,
				);
			}
		}
		Audits::<T>::remove(batch);
		Unseeded::<T>::mutate(|list| list.retain(|b| *b != batch));
	}

	fn proposal_weight() -> Weight {
		T::WeightInfo::audit_batch(T::MaxBidders::get())
	}

	fn closing_weight() -> Weight {
		T::WeightInfo::close_audit(T::MaxChecksPerBatch::get())
	}
}
