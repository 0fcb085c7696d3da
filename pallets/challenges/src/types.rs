//! Fraud proofs and disputes.

use ail2_primitives::{
	merkle::{SumNode, MAX_DEPTH},
	receipt::SignedReceipt,
	Balance, Hash,
};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::ConstU32, BoundedVec};
use pallet_receipts::BatchId;
use pallet_slashing::Violation;
use scale_info::TypeInfo;

/// Siblings on a path from a node to the root: at most one per level.
pub type Path = BoundedVec<SumNode, ConstU32<MAX_DEPTH>>;

/// A receipt of a batch and its inclusion proof.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct LeafProof {
	/// Position of the leaf in the batch.
	pub index: u64,
	/// The receipt with its worker and gateway signatures, as the batch's leaf file holds it.
	pub receipt: SignedReceipt,
	/// Siblings from the leaf up to the root.
	pub siblings: Path,
}

/// An inner node of a batch's tree whose sum is not its children's.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct NodeProof {
	/// Height above the leaves (≥ 1).
	pub level: u32,
	/// Position on its level.
	pub index: u64,
	/// The node's left child.
	pub left: SumNode,
	/// The node's right child.
	pub right: SumNode,
	/// The sum the tree gives the node.
	pub claimed_sum: Balance,
	/// Siblings from the node up to the root.
	pub siblings: Path,
}

/// Evidence that a batch is fraudulent, each checkable on chain in O(log n). Calls take it
/// boxed, so its size stays out of the runtime's call type.
#[allow(clippy::large_enum_variant)]
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub enum FraudProof {
	/// A receipt whose worker signature does not verify, or that names another receipt
	/// key than the proposer's.
	BadWorkerSignature(LeafProof),
	/// A receipt without a valid authorisation: the gateway signature does not recover,
	/// recovers to a key the payer had not authorised when the batch was proposed, or the
	/// receipt breaks the terms it repeats (another payer, model, version or chain; a price
	/// above the authorised cap; completed after expiry).
	BadAuthorisation(LeafProof),
	/// A receipt whose price is not the model version's billing function of its usage, or
	/// that quotes another pricing policy.
	WrongPrice(LeafProof),
	/// Two neighbouring leaves whose counters do not strictly increase: a counter billed
	/// twice (or out of order, which hides one).
	DuplicateCounter {
		/// The leaf at `index`.
		first: LeafProof,
		/// The leaf at `index + 1`, whose counter is not above `first`'s.
		second: LeafProof,
	},
	/// A receipt whose counter lies outside the batch's declared range.
	CounterOutOfRange(LeafProof),
	/// An inner node whose sum is not the sum of its children: an inflated total.
	InconsistentNode(NodeProof),
}

/// What a [`FraudProof`] proved, for events.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum FraudKind {
	/// See [`FraudProof::BadWorkerSignature`].
	BadWorkerSignature,
	/// See [`FraudProof::BadAuthorisation`].
	BadAuthorisation,
	/// See [`FraudProof::WrongPrice`].
	WrongPrice,
	/// See [`FraudProof::DuplicateCounter`].
	DuplicateCounter,
	/// See [`FraudProof::CounterOutOfRange`].
	CounterOutOfRange,
	/// See [`FraudProof::InconsistentNode`].
	InconsistentNode,
}

impl FraudProof {
	/// What the proof would show, for events and weights.
	pub fn kind(&self) -> FraudKind {
		match self {
			Self::BadWorkerSignature(_) => FraudKind::BadWorkerSignature,
			Self::BadAuthorisation(_) => FraudKind::BadAuthorisation,
			Self::WrongPrice(_) => FraudKind::WrongPrice,
			Self::DuplicateCounter { .. } => FraudKind::DuplicateCounter,
			Self::CounterOutOfRange(_) => FraudKind::CounterOutOfRange,
			Self::InconsistentNode(_) => FraudKind::InconsistentNode,
		}
	}

	/// Number of siblings the proof carries: what its verification costs.
	pub fn depth(&self) -> u32 {
		let len = |p: &Path| p.len() as u32;
		match self {
			Self::BadWorkerSignature(l)
			| Self::BadAuthorisation(l)
			| Self::WrongPrice(l)
			| Self::CounterOutOfRange(l) => len(&l.siblings),
			Self::DuplicateCounter { first, second } => {
				len(&first.siblings).max(len(&second.siblings))
			},
			Self::InconsistentNode(n) => len(&n.siblings),
		}
	}
}

impl FraudKind {
	/// The §8.4 violation a proven fraud of this kind is.
	pub fn violation(self) -> Violation {
		match self {
			Self::BadWorkerSignature | Self::BadAuthorisation | Self::InconsistentNode => {
				Violation::ForgedReceipt
			},
			Self::DuplicateCounter | Self::CounterOutOfRange => Violation::ReplayAttack,
			Self::WrongPrice => Violation::DoubleBilling,
		}
	}
}

/// Disputes of §6.5 that need judgement rather than a proof.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum DisputeKind {
	/// Abnormal token or GPU-time metering (receipt comparison and log hash). Upheld:
	/// `DoubleBilling`.
	Metering,
	/// The inference result was wrong or never delivered (input/output records,
	/// spot-check results). Upheld: `SpotCheckFailure`.
	Result,
}

impl DisputeKind {
	/// The §8.4 violation an upheld dispute of this kind is.
	pub fn violation(self) -> Violation {
		match self {
			Self::Metering => Violation::DoubleBilling,
			Self::Result => Violation::SpotCheckFailure,
		}
	}
}

/// A data-availability challenge: the batch's worker must post leaf `index` with its
/// inclusion proof on chain by `deadline`.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct AvailabilityChallenge<AccountId, Balance, BlockNumber> {
	/// Who asked for the leaf and posted the bond.
	pub challenger: AccountId,
	/// The leaf asked for.
	pub index: u64,
	/// The challenger's bond, held until the challenge ends.
	pub bond: Balance,
	/// The last block the leaf may be posted in.
	pub deadline: BlockNumber,
}

/// An arbitration dispute over one batch.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, MaxEncodedLen, TypeInfo)]
#[scale_info(skip_type_params(MaxCommittee))]
pub struct Dispute<AccountId, Balance, BlockNumber, MaxCommittee: frame_support::traits::Get<u32>> {
	/// The batch the dispute freezes.
	pub batch: BatchId,
	/// Who opened the dispute and posted the bond.
	pub challenger: AccountId,
	/// What is disputed.
	pub kind: DisputeKind,
	/// Hash of the evidence the challenger published.
	pub evidence: Hash,
	/// The challenger's bond, held until the decision.
	pub bond: Balance,
	/// The members drawn, each with its vote once cast (`true` upholds).
	pub committee: BoundedVec<(AccountId, Option<bool>), MaxCommittee>,
	/// Last block members may vote in.
	pub voting_ends: BlockNumber,
}

impl<AccountId, Balance, BlockNumber, MaxCommittee: frame_support::traits::Get<u32>>
	Dispute<AccountId, Balance, BlockNumber, MaxCommittee>
{
	/// `(upholding, rejecting)` votes so far.
	pub fn tally(&self) -> (u32, u32) {
		self.committee.iter().fold((0u32, 0u32), |(ayes, nays), (_, vote)| match vote {
			Some(true) => (ayes.saturating_add(1), nays),
			Some(false) => (ayes, nays.saturating_add(1)),
			None => (ayes, nays),
		})
	}

	/// `Some(upheld)` once a majority of the whole committee agrees, whatever the members
	/// still to vote do.
	pub fn decided(&self) -> Option<bool> {
		let (ayes, nays) = self.tally();
		let size = self.committee.len() as u32;
		let majority = (size / 2).saturating_add(1);
		if ayes >= majority {
			Some(true)
		} else if nays >= size.saturating_sub(size / 2) {
			// Ayes can no longer reach a majority.
			Some(false)
		} else {
			None
		}
	}
}
