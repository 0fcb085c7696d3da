//! Verification of fraud proofs and the life of a dispute.

use crate::*;
use ail2_primitives::{
	billing::{receipt_price, Usage},
	domain,
	merkle::{self, InconsistentNode, ProofError},
	Hash,
};
use alloc::vec::Vec;
use codec::Encode;
use frame_support::{
	pallet_prelude::*,
	storage::{with_transaction, TransactionOutcome},
	traits::{
		fungible::{InspectHold, MutateHold},
		tokens::{Fortitude, Precision, Restriction},
		Randomness,
	},
};
use pallet_models::ModelInspect;
use pallet_receipts::{BatchControl, BatchId, BatchInspect, BatchOf, BatchStatus};
use pallet_slashing::{ReportViolation, SlashOutcome};
use pallet_workers::{WorkerInspect, WorkerPenalty};
use sp_runtime::{
	traits::{Saturating, UniqueSaturatedFrom, UniqueSaturatedInto, Zero},
	DispatchError,
};

/// The 32 bytes receipts name an account by, re-exported where this pallet's tests and
/// benchmarks look for it.
pub use ail2_primitives::receipt::account_bytes;

impl<T: Config> Pallet<T> {
	fn hold_reason() -> T::RuntimeHoldReason {
		HoldReason::DisputeBond.into()
	}

	/// A batch a fraud proof may still void: in its window, or frozen by a dispute.
	fn challengeable(id: BatchId) -> Result<BatchOf<T>, Error<T>> {
		T::Batches::open_batch(id)
			.or_else(|| {
				T::Batches::unsettled_batch(id).filter(|b| b.status == BatchStatus::Disputed)
			})
			.ok_or(Error::<T>::BatchNotOpen)
	}

	fn included(batch: &BatchOf<T>, proof: &LeafProof) -> Result<(), Error<T>> {
		let leaf = merkle::leaf(&proof.receipt);
		merkle::verify_inclusion(&batch.root, batch.count, proof.index, &leaf, &proof.siblings)
			.map_err(|_| Error::<T>::NotInBatch)
	}

	/// Checks `proof` against `batch`: `Ok` only if it shows a fraud.
	pub fn verify(batch: &BatchOf<T>, proof: &FraudProof) -> Result<(), Error<T>> {
		let fraud = match proof {
			FraudProof::BadWorkerSignature(leaf) => {
				Self::included(batch, leaf)?;
				let key = T::Workers::receipt_key(&batch.worker);
				key != Some(leaf.receipt.receipt.node_pubkey)
					|| !leaf.receipt.node_signature_valid()
			},
			FraudProof::BadAuthorisation(leaf) => {
				Self::included(batch, leaf)?;
				let r = &leaf.receipt.receipt;
				let authorised = leaf.receipt.gateway_signer().is_some_and(|key| {
					T::Batches::gateway_key_valid_at(&batch.payer, &key, batch.proposed_at)
				});
				!authorised
					|| r.payer != account_bytes(&batch.payer)
					|| r.model_id != batch.model
					|| r.version != batch.version
					|| r.chain_id != T::ChainId::get()
					|| !r.within_authorised_terms()
			},
			FraudProof::WrongPrice(leaf) => {
				Self::included(batch, leaf)?;
				let (policy, policy_hash) = T::Models::pricing(batch.model, &batch.version)
					.ok_or(Error::<T>::UnknownPricing)?;
				let r = &leaf.receipt.receipt;
				let usage =
					Usage { tokens_in: r.tokens_in, tokens_out: r.tokens_out, gpu_ms: r.gpu_ms };
				r.policy_hash != policy_hash || r.price != receipt_price(&policy, &usage)
			},
			FraudProof::DuplicateCounter { first, second } => {
				ensure!(
					first.index.checked_add(1) == Some(second.index),
					Error::<T>::NotNeighbours
				);
				Self::included(batch, first)?;
				Self::included(batch, second)?;
				second.receipt.receipt.counter <= first.receipt.receipt.counter
			},
			FraudProof::CounterOutOfRange(leaf) => {
				Self::included(batch, leaf)?;
				let counter = leaf.receipt.receipt.counter;
				counter < batch.first_counter || counter > batch.last_counter
			},
			FraudProof::InconsistentNode(node) => {
				let evidence = InconsistentNode {
					level: node.level,
					index: node.index,
					left: node.left,
					right: node.right,
					claimed_sum: node.claimed_sum,
					siblings: node.siblings.to_vec(),
				};
				match merkle::verify_inconsistent_node(&batch.root, batch.count, &evidence) {
					Ok(()) => true,
					Err(ProofError::Consistent) => false,
					Err(ProofError::NotAnInnerNode | ProofError::OutOfRange) => {
						return Err(Error::<T>::NotAnInnerNode)
					},
					Err(_) => return Err(Error::<T>::NotInBatch),
				}
			},
		};
		ensure!(fraud, Error::<T>::NoFraud);
		Ok(())
	}

	/// Reports a violation; if punishing fails (the worker left the registry), the batch
	/// is still voided and nothing of the failed punishment remains.
	fn punish(
		batch: &BatchOf<T>,
		violation: pallet_slashing::Violation,
		reporter: &T::AccountId,
	) -> SlashOutcome<BalanceOf<T>> {
		let cap = BalanceOf::<T>::unique_saturated_from(batch.root.sum);
		let outcome = with_transaction(|| {
			match T::Violations::report(&batch.worker, violation, Some(reporter), cap) {
				Ok(outcome) => TransactionOutcome::Commit(Ok(outcome)),
				Err(e) => TransactionOutcome::Rollback(Err(e)),
			}
		});
		outcome.unwrap_or_else(|_: DispatchError| SlashOutcome {
			rate: Default::default(),
			slashed: Zero::zero(),
			bounty: Zero::zero(),
		})
	}

	pub(crate) fn do_challenge(
		challenger: T::AccountId,
		id: BatchId,
		proof: FraudProof,
	) -> DispatchResult {
		let batch = Self::challengeable(id)?;
		Self::verify(&batch, &proof)?;
		if let Some(dispute) = Disputes::<T>::take(id) {
			Self::return_bond(&dispute)?;
			Self::deposit_event(Event::DisputeMooted { batch: id });
		}
		T::Batches::void(id)?;
		let kind = proof.kind();
		let outcome = Self::punish(&batch, kind.violation(), &challenger);
		Self::deposit_event(Event::FraudProven {
			batch: id,
			kind,
			challenger,
			worker: batch.worker,
			slashed: outcome.slashed,
			bounty: outcome.bounty,
		});
		Ok(())
	}

	fn return_bond(dispute: &DisputeOf<T>) -> DispatchResult {
		if dispute.bond.is_zero() {
			return Ok(());
		}
		T::Currency::release(
			&Self::hold_reason(),
			&dispute.challenger,
			dispute.bond,
			Precision::BestEffort,
		)?;
		Ok(())
	}

	/// The workers who may judge a dispute over `batch` opened by `challenger`, with their
	/// stakes: the active workers but the accused and the challenger.
	fn candidates(batch: &BatchOf<T>, challenger: &T::AccountId) -> Vec<(T::AccountId, u128)> {
		T::Workers::active_workers()
			.into_iter()
			.filter(|(who, _)| *who != batch.worker && who != challenger)
			.take(T::MaxCandidates::get() as usize)
			.map(|(who, stake)| (who, stake.unique_saturated_into()))
			.collect()
	}

	/// Draws the committee for a dispute over `batch` now, at its draw block: the seed mixes
	/// the epoch randomness with the draw block's parent VRF output, which did not exist when
	/// the dispute was opened. Returns the members and how many candidates were considered.
	pub(crate) fn draw_committee(
		batch: &BatchOf<T>,
		id: BatchId,
		challenger: &T::AccountId,
	) -> (Vec<T::AccountId>, u32) {
		let candidates = Self::candidates(batch, challenger);
		let considered = candidates.len() as u32;
		let (epoch, _) = T::Randomness::random(domain::CHALLENGES_ARBITRATION);
		let (revealed, _) = T::DrawRandomness::random(domain::CHALLENGES_ARBITRATION);
		let seed = (epoch, revealed, id, frame_system::Pallet::<T>::block_number()).encode();
		(ail2_primitives::draw::weighted(&seed, candidates, T::CommitteeSize::get()), considered)
	}

	/// Draws the committees due in block `now` (`on_initialize`); returns the weight used.
	pub(crate) fn draw_due(now: frame_system::pallet_prelude::BlockNumberFor<T>) -> Weight {
		let due = DrawQueue::<T>::take(now);
		let mut weight = T::DbWeight::get().reads_writes(1, 1);
		for id in due {
			weight = weight.saturating_add(T::WeightInfo::draw_committee(T::MaxCandidates::get()));
			let Some(mut dispute) = Disputes::<T>::get(id) else { continue };
			if !dispute.committee.is_empty() {
				continue;
			}
			let Some(batch) = T::Batches::unsettled_batch(id) else {
				// Voided meanwhile (a spot check's verdict): nothing left to judge.
				Disputes::<T>::remove(id);
				if Self::return_bond(&dispute).is_err() {
					log::error!(target: "challenges", "returning the bond of dispute {id} failed");
				}
				Self::deposit_event(Event::DisputeMooted { batch: id });
				continue;
			};
			let (members, _) = Self::draw_committee(&batch, id, &dispute.challenger);
			if (members.len() as u32) < T::MinCommitteeSize::get() {
				// Workers left between the opening and the draw: nobody can judge it.
				Disputes::<T>::remove(id);
				let released = T::Batches::release(id).and_then(|()| Self::return_bond(&dispute));
				if released.is_err() {
					log::error!(target: "challenges", "releasing undrawn dispute {id} failed");
				}
				Self::deposit_event(Event::DisputeUndrawn { batch: id });
				continue;
			}
			dispute.committee = BoundedVec::truncate_from(
				members.iter().cloned().map(|member| (member, None)).collect::<Vec<_>>(),
			);
			dispute.voting_ends = now.saturating_add(T::VotingPeriod::get());
			let voting_ends = dispute.voting_ends;
			let (challenger, kind, evidence) =
				(dispute.challenger.clone(), dispute.kind, dispute.evidence);
			Disputes::<T>::insert(id, dispute);
			Self::deposit_event(Event::DisputeOpened {
				batch: id,
				kind,
				challenger,
				evidence,
				committee: members,
				voting_ends,
			});
		}
		weight
	}

	pub(crate) fn do_open_dispute(
		challenger: T::AccountId,
		id: BatchId,
		kind: DisputeKind,
		evidence: Hash,
	) -> Result<u32, DispatchError> {
		Self::do_open_dispute_with_bond(challenger, id, kind, evidence, T::DisputeBond::get())
	}

	/// Opens a dispute whose challenger posts `bond` (zero for an emergency freeze).
	pub(crate) fn do_open_dispute_with_bond(
		challenger: T::AccountId,
		id: BatchId,
		kind: DisputeKind,
		evidence: Hash,
		bond: BalanceOf<T>,
	) -> Result<u32, DispatchError> {
		ensure!(!Disputes::<T>::contains_key(id), Error::<T>::AlreadyDisputed);
		let batch = T::Batches::open_batch(id).ok_or(Error::<T>::BatchNotOpen)?;
		// Enough judges must exist now; who they are is drawn later.
		let considered = Self::candidates(&batch, &challenger).len() as u32;
		ensure!(considered >= T::MinCommitteeSize::get(), Error::<T>::NotEnoughArbiters);
		let now = frame_system::Pallet::<T>::block_number();
		let draw_at = now.saturating_add(T::DrawDelay::get());
		DrawQueue::<T>::try_mutate(draw_at, |due| due.try_push(id))
			.map_err(|_| Error::<T>::DrawsFull)?;
		if !bond.is_zero() {
			T::Currency::hold(&Self::hold_reason(), &challenger, bond)?;
		}
		T::Batches::freeze(id)?;
		Disputes::<T>::insert(
			id,
			Dispute {
				batch: id,
				challenger: challenger.clone(),
				kind,
				evidence,
				bond,
				committee: BoundedVec::new(),
				voting_ends: draw_at.saturating_add(T::VotingPeriod::get()),
			},
		);
		Self::deposit_event(Event::DisputeRequested {
			batch: id,
			kind,
			challenger,
			evidence,
			draw_at,
		});
		Ok(considered)
	}

	fn availability_hold() -> T::RuntimeHoldReason {
		HoldReason::AvailabilityBond.into()
	}

	pub(crate) fn do_challenge_availability(
		challenger: T::AccountId,
		id: BatchId,
		index: u64,
	) -> DispatchResult {
		let batch = T::Batches::open_batch(id).ok_or(Error::<T>::BatchNotOpen)?;
		ensure!(index < batch.count, Error::<T>::NoSuchLeaf);
		ensure!(!AvailabilityChallenges::<T>::contains_key(id), Error::<T>::AlreadyAsked);
		let bond = T::AvailabilityBond::get();
		if !bond.is_zero() {
			T::Currency::hold(&Self::availability_hold(), &challenger, bond)?;
		}
		let deadline =
			frame_system::Pallet::<T>::block_number().saturating_add(T::AnswerPeriod::get());
		AvailabilityChallenges::<T>::insert(
			id,
			AvailabilityChallenge { challenger: challenger.clone(), index, bond, deadline },
		);
		Self::deposit_event(Event::AvailabilityChallenged {
			batch: id,
			index,
			challenger,
			deadline,
		});
		Ok(())
	}

	pub(crate) fn do_answer_availability(id: BatchId, proof: &LeafProof) -> DispatchResult {
		let challenge = AvailabilityChallenges::<T>::get(id).ok_or(Error::<T>::NotAsked)?;
		ensure!(
			frame_system::Pallet::<T>::block_number() <= challenge.deadline,
			Error::<T>::AnswerPeriodOver
		);
		ensure!(proof.index == challenge.index, Error::<T>::OtherLeaf);
		let batch = T::Batches::unsettled_batch(id).ok_or(Error::<T>::BatchNotOpen)?;
		Self::included(&batch, proof)?;
		let to = T::Workers::owner(&batch.worker).unwrap_or_else(T::TreasuryAccount::get);
		if !challenge.bond.is_zero() {
			T::Currency::transfer_on_hold(
				&Self::availability_hold(),
				&challenge.challenger,
				&to,
				challenge.bond,
				Precision::BestEffort,
				Restriction::Free,
				Fortitude::Polite,
			)?;
		}
		AvailabilityChallenges::<T>::remove(id);
		Self::deposit_event(Event::AvailabilityAnswered {
			batch: id,
			index: challenge.index,
			to_worker: challenge.bond,
		});
		Ok(())
	}

	pub(crate) fn do_expire_availability(id: BatchId) -> DispatchResult {
		let challenge = AvailabilityChallenges::<T>::get(id).ok_or(Error::<T>::NotAsked)?;
		ensure!(
			frame_system::Pallet::<T>::block_number() > challenge.deadline,
			Error::<T>::AnswerPeriodOpen
		);
		let batch = T::Batches::unsettled_batch(id).ok_or(Error::<T>::BatchNotOpen)?;
		if let Some(dispute) = Disputes::<T>::take(id) {
			Self::return_bond(&dispute)?;
			Self::deposit_event(Event::DisputeMooted { batch: id });
		}
		// The challenge still holds the batch's settlement, so a batch past its window can be
		// voided; voiding closes the batch, which releases the bond (`BatchAudit::closed`).
		T::Batches::void(id)?;
		let outcome =
			Self::punish(&batch, pallet_slashing::Violation::WithheldData, &challenge.challenger);
		Self::deposit_event(Event::AvailabilityExpired {
			batch: id,
			worker: batch.worker,
			slashed: outcome.slashed,
			bounty: outcome.bounty,
		});
		Ok(())
	}

	pub(crate) fn do_vote(member: T::AccountId, id: BatchId, uphold: bool) -> DispatchResult {
		let mut dispute = Disputes::<T>::get(id).ok_or(Error::<T>::NoDispute)?;
		ensure!(!dispute.committee.is_empty(), Error::<T>::CommitteeNotDrawn);
		ensure!(
			frame_system::Pallet::<T>::block_number() <= dispute.voting_ends,
			Error::<T>::VotingClosed
		);
		let seat = dispute
			.committee
			.iter_mut()
			.find(|(who, _)| *who == member)
			.ok_or(Error::<T>::NotCommitteeMember)?;
		ensure!(seat.1.is_none(), Error::<T>::AlreadyVoted);
		seat.1 = Some(uphold);
		Disputes::<T>::insert(id, dispute);
		Self::deposit_event(Event::Voted { batch: id, member, uphold });
		Ok(())
	}

	pub(crate) fn do_close_dispute(id: BatchId) -> DispatchResult {
		let dispute = Disputes::<T>::get(id).ok_or(Error::<T>::NoDispute)?;
		ensure!(!dispute.committee.is_empty(), Error::<T>::CommitteeNotDrawn);
		let now = frame_system::Pallet::<T>::block_number();
		let period_over = now > dispute.voting_ends;
		let early = dispute.decided();
		ensure!(period_over || early.is_some(), Error::<T>::VotingOpen);
		Disputes::<T>::remove(id);

		let Some(batch) = T::Batches::unsettled_batch(id) else {
			Self::return_bond(&dispute)?;
			Self::deposit_event(Event::DisputeMooted { batch: id });
			return Ok(());
		};
		let (ayes, nays) = dispute.tally();
		let upheld = match early {
			Some(upheld) => Some(upheld),
			None if ayes == 0 && nays == 0 => None,
			None => Some(ayes > nays),
		};
		match upheld {
			Some(true) => {
				Self::return_bond(&dispute)?;
				T::Batches::void(id)?;
				let outcome = Self::punish(&batch, dispute.kind.violation(), &dispute.challenger);
				Self::deposit_event(Event::DisputeUpheld {
					batch: id,
					slashed: outcome.slashed,
					bounty: outcome.bounty,
				});
			},
			Some(false) => {
				T::Batches::release(id)?;
				let (to_defendant, to_treasury) = Self::forfeit_bond(&dispute, &batch)?;
				Self::deposit_event(Event::DisputeRejected {
					batch: id,
					to_defendant,
					to_treasury,
				});
			},
			None => {
				T::Batches::release(id)?;
				Self::return_bond(&dispute)?;
				Self::deposit_event(Event::DisputeInconclusive { batch: id });
			},
		}
		if period_over {
			for (member, vote) in dispute.committee.iter() {
				if vote.is_none() {
					T::Workers::reduce_reputation(member, T::NonVoterPenalty::get());
					Self::deposit_event(Event::NonVoterPenalised {
						batch: id,
						member: member.clone(),
					});
				}
			}
		}
		Ok(())
	}

	/// Pays a rejected dispute's bond: `DefendantShare` to the worker's owner, the rest to
	/// the treasury.
	fn forfeit_bond(
		dispute: &DisputeOf<T>,
		batch: &BatchOf<T>,
	) -> Result<(BalanceOf<T>, BalanceOf<T>), DispatchError> {
		let to_defendant = T::DefendantShare::get().mul_floor(dispute.bond);
		let to_treasury = dispute.bond.saturating_sub(to_defendant);
		let defendant = T::Workers::owner(&batch.worker).unwrap_or_else(T::TreasuryAccount::get);
		let mut paid = [Zero::zero(), Zero::zero()];
		for (slot, (to, amount)) in paid
			.iter_mut()
			.zip([(defendant, to_defendant), (T::TreasuryAccount::get(), to_treasury)])
		{
			if !amount.is_zero() {
				*slot = T::Currency::transfer_on_hold(
					&Self::hold_reason(),
					&dispute.challenger,
					&to,
					amount,
					Precision::BestEffort,
					Restriction::Free,
					Fortitude::Force,
				)?;
			}
		}
		let [defendant_paid, treasury_paid] = paid;
		Ok((defendant_paid, treasury_paid))
	}

	/// Invariants: every dispute freezes a disputed batch, its committee is within bounds,
	/// and each challenger's held bonds equal its open disputes' bonds.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;
		let mut bonds: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		for (id, dispute) in Disputes::<T>::iter() {
			ensure!(dispute.batch == id, "dispute stored under another batch");
			ensure!(
				T::Batches::unsettled_batch(id).is_some_and(|b| b.status == BatchStatus::Disputed),
				"dispute over a batch that is not frozen"
			);
			if dispute.committee.is_empty() {
				let now = frame_system::Pallet::<T>::block_number();
				ensure!(
					DrawQueue::<T>::iter().any(|(at, due)| at > now && due.contains(&id)),
					"an undrawn dispute has no draw to come"
				);
			} else {
				ensure!(
					dispute.committee.len() as u32 >= T::MinCommitteeSize::get(),
					"committee below its minimum"
				);
			}
			let e = bonds.entry(dispute.challenger.clone()).or_insert_with(Zero::zero);
			*e = e.saturating_add(dispute.bond);
		}
		for (who, bond) in bonds {
			ensure!(
				T::Currency::balance_on_hold(&Self::hold_reason(), &who) == bond,
				"held bonds differ from open disputes"
			);
		}
		let mut asked: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		for (id, challenge) in AvailabilityChallenges::<T>::iter() {
			let batch = T::Batches::unsettled_batch(id)
				.ok_or("availability challenge on a closed or unknown batch")?;
			ensure!(challenge.index < batch.count, "availability challenge past the last leaf");
			let e = asked.entry(challenge.challenger).or_insert_with(Zero::zero);
			*e = e.saturating_add(challenge.bond);
		}
		for (who, bond) in asked {
			ensure!(
				T::Currency::balance_on_hold(&Self::availability_hold(), &who) == bond,
				"held bonds differ from open availability challenges"
			);
		}
		Ok(())
	}
}

/// Data-availability challenges hold a batch's settlement while they are open, and end with
/// the batch.
impl<T: Config>
	pallet_receipts::BatchAudit<T::AccountId, frame_system::pallet_prelude::BlockNumberFor<T>>
	for Pallet<T>
{
	fn proposed(_: BatchId, _: &BatchOf<T>) -> Result<(), DispatchError> {
		Ok(())
	}

	fn holds_settlement(batch: BatchId) -> bool {
		AvailabilityChallenges::<T>::contains_key(batch)
	}

	fn closed(batch: BatchId) {
		let Some(challenge) = AvailabilityChallenges::<T>::take(batch) else { return };
		if !challenge.bond.is_zero() {
			// Held by this pallet when the challenge opened; releasing cannot find less.
			let _ = T::Currency::release(
				&Self::availability_hold(),
				&challenge.challenger,
				challenge.bond,
				Precision::BestEffort,
			);
		}
		Self::deposit_event(Event::AvailabilityReleased {
			batch,
			challenger: challenge.challenger,
			bond: challenge.bond,
		});
	}

	/// One read to check for a challenge, and on closing its removal, the release of the
	/// bond and the event.
	fn closing_weight() -> Weight {
		T::DbWeight::get().reads_writes(3, 3)
	}
}
