//! Proof-of-inference parameters, rounds, audits of batches and the checks on their receipts.

use ail2_primitives::{
	merkle::{SumNode, MAX_DEPTH},
	receipt::SignedReceipt,
	Hash,
};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	traits::{ConstU32, Get},
	BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use scale_info::TypeInfo;
use sp_runtime::Perbill;

/// Rounds are numbered from 0; the inference nodes of round `r` are elected at its start
/// from the bids placed during round `r − 1`.
pub type RoundIndex = u32;

/// What governance sets (`set_params`). Amounts are in the native token's smallest unit,
/// durations in blocks.
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
	serde::Serialize,
	serde::Deserialize,
)]
pub struct PoiParams {
	/// `p0` of `P_verify = min(p0 + k · ln(1 + fee / fee_unit), p_max)` (§8.6.1).
	pub p0: Perbill,
	/// `k`: the probability each nat of `ln(1 + fee / fee_unit)` adds.
	pub k: Perbill,
	/// `fee_unit`: the fee at which the logarithm reaches `ln 2`.
	pub fee_unit: u128,
	/// `p_max`: the most `P_verify` reaches, whatever the fee.
	pub p_max: Perbill,
	/// `M`: a worker with no reputation is checked `M` times as often as one with full
	/// reputation (seed `pow2` §6).
	pub low_reputation_factor: u32,
	/// The verifier group's size: the top stakers serving the model (FUN AI §5: five).
	pub verifier_count: u32,
	/// Blocks the group has to vote once a check opens.
	pub verdict_period: u32,
	/// How many times a check without a majority gets another `verdict_period` before it
	/// closes inconclusive (no slash): an absent or split group never punishes.
	pub max_extensions: u32,
	/// What a payer's report holds: it pays the verifiers if the answer was right.
	pub report_fee: u128,
	/// Blocks per round.
	pub round_length: u32,
	/// Inference nodes elected per model and round.
	pub inference_nodes: u32,
	/// The smallest bid for election.
	pub min_bid: u128,
	/// The reputation an elected worker gains for a round without a failed check.
	pub reputation_step: Perbill,
	/// The reputation a verifier loses for each check it did not vote on.
	pub missed_duty_penalty: Perbill,
}

impl PoiParams {
	/// Whether the parameters make sense: a group of at least one, rounds, verdict periods
	/// and elections that are not empty, `p0 ≤ p_max`, a non-zero fee unit.
	pub fn is_valid(&self) -> bool {
		self.verifier_count > 0
			&& self.verdict_period > 0
			&& self.round_length > 0
			&& self.inference_nodes > 0
			&& self.low_reputation_factor > 0
			&& self.fee_unit > 0
			&& self.p0 <= self.p_max
	}
}

/// Siblings on a path from a leaf to the root: at most one per level.
pub type Path = BoundedVec<SumNode, ConstU32<MAX_DEPTH>>;

/// A receipt of a batch and its inclusion proof.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct LeafProof {
	/// Position of the leaf in the batch.
	pub index: u64,
	/// The receipt with its signatures, as the batch's leaf file holds it.
	pub receipt: SignedReceipt,
	/// Siblings from the leaf up to the root.
	pub siblings: Path,
}

/// The round in progress.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct Round<BlockNumber> {
	pub index: RoundIndex,
	pub started_at: BlockNumber,
}

/// What proof of inference keeps of a batch from its proposal until it is paid or voided.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, Encode, Decode, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(MaxGroup))]
#[codec(mel_bound(AccountId: MaxEncodedLen, Balance: MaxEncodedLen))]
pub struct Audit<
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	Balance: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxGroup: Get<u32>,
> {
	/// The round the batch was proposed in: a failed check forfeits it.
	pub round: RoundIndex,
	/// Which receipts are due for a check ([`ail2_primitives::poi::selected`]): fixed in the
	/// block after the proposal from the VRF output of the block that included it, which the
	/// worker could not know when it proposed; `None` until then.
	pub seed: Option<Hash>,
	/// The worker's reputation at the proposal, which scales `P_verify`.
	pub reputation: Perbill,
	/// The model version's declared spot-check rate (pallet-models' `security.spot_check_rate`):
	/// no receipt of the batch is checked less often.
	pub declared_rate: Perbill,
	/// The verifier group, with the stake each votes with; never the batch's worker.
	pub group: BoundedVec<(AccountId, Balance), MaxGroup>,
	/// Checks opened on the batch, concluded ones included.
	pub opened: u32,
	/// Checks not yet concluded: while any is open the batch is not paid.
	pub open: u32,
}

/// A check on one receipt of a batch: a spot check due by the seed, or a payer's report.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, Encode, Decode, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(MaxGroup))]
#[codec(mel_bound(AccountId: MaxEncodedLen, BlockNumber: MaxEncodedLen))]
pub struct Check<
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxGroup: Get<u32>,
> {
	/// The receipt's id (§6.6).
	pub receipt_id: Hash,
	/// What the receipt charges.
	pub price: u128,
	/// The payer who reported the receipt, with the report fee held, or `None` for a spot
	/// check.
	pub reporter: Option<AccountId>,
	/// The group votes until this block (inclusive).
	pub deadline: BlockNumber,
	/// How many times the deadline moved for want of a majority.
	pub extensions: u32,
	/// The votes so far: `true` for "the answer is the model's".
	pub votes: BoundedVec<(AccountId, bool), MaxGroup>,
}

/// How a check ended.
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
pub enum Outcome {
	/// More than half of the group's stake found the answer to be the model's.
	Passed,
	/// More than half of the group's stake found it was not: the worker is slashed and its
	/// batch voided.
	Failed,
	/// No majority by the last deadline: nobody is punished.
	Inconclusive,
}
