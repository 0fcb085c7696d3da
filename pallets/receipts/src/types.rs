//! Batches, escrow records and the settlement parameters governance sets.

use ail2_primitives::{merkle::SumNode, receipt::SemVer, Counter, Hash, ModelId};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::ConstU32, BoundedVec};
use scale_info::TypeInfo;
use sp_runtime::traits::{Saturating, UniqueSaturatedFrom, UniqueSaturatedInto};

/// Identifier of a batch.
pub type BatchId = u64;
/// Longest URL where a batch's leaves are served.
pub type MaxUrlLen = ConstU32<256>;

/// Where a batch is in its life (§6.3.2; `COLLECTING` happens off chain).
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
pub enum BatchStatus {
	/// Proposed; the challenge window is open.
	Challenge,
	/// An arbitration dispute is open: the batch can be neither settled nor challenged
	/// again until the committee decides.
	Disputed,
	/// The window passed without a proven fraud.
	Finalized,
	/// The total was paid out by the revenue split.
	Paid,
	/// A fraud was proven; the reserve went back to the payer's escrow.
	Voided,
}

/// A proposed batch of receipts.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct Batch<AccountId, BlockNumber> {
	/// The serving worker (hot key).
	pub worker: AccountId,
	pub payer: AccountId,
	pub model: ModelId,
	pub version: SemVer,
	/// Counters covered, inclusive. Leaves carry strictly increasing counters inside it.
	pub first_counter: Counter,
	pub last_counter: Counter,
	/// Merkle-sum root: its hash and the total of all prices.
	pub root: SumNode,
	/// Number of receipts (leaves).
	pub count: u64,
	/// Hash of the leaf file the worker serves.
	pub content_hash: Hash,
	pub url: BoundedVec<u8, MaxUrlLen>,
	pub proposed_at: BlockNumber,
	/// Last block of the challenge window.
	pub challenge_until: BlockNumber,
	pub status: BatchStatus,
}

/// A payer's escrow bookkeeping; the escrowed funds themselves are a hold.
#[derive(Clone, PartialEq, Eq, Debug, Default, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct Escrow<Balance, BlockNumber> {
	/// Reserved for batches in their challenge window.
	pub reserved: Balance,
	/// Leaving the escrow: `(amount, unlock_at)`.
	pub leaving: Option<(Balance, BlockNumber)>,
}

/// A gateway key a payer authorised.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct GatewayKey<BlockNumber> {
	/// Block the key was authorised in.
	pub added_at: BlockNumber,
	/// First block in which the key no longer authorises anything, once revoked.
	pub revoked_from: Option<BlockNumber>,
}

impl<BlockNumber: PartialOrd> GatewayKey<BlockNumber> {
	/// Whether the key authorises receipts of a batch proposed at `at`.
	pub fn valid_at(&self, at: &BlockNumber) -> bool {
		self.added_at <= *at && self.revoked_from.as_ref().is_none_or(|from| at < from)
	}
}

/// The challenge window of §8.5: `ChallengeWindow = BaseWindow + AdditionalTime(count,
/// total)`, with `AdditionalTime = min(MaxExtraWindow, count / ReceiptsPerExtraBlock + total
/// / ValuePerExtraBlock)` blocks. Bigger and more valuable batches stay open longer.
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
pub struct ChallengeWindow<BlockNumber, Balance> {
	/// `BaseWindow`: blocks every batch stays open, for watchers to fetch and check leaves.
	pub base: BlockNumber,
	/// `ReceiptsPerExtraBlock`: one more block of window per this many receipts.
	pub receipts_per_extra_block: u64,
	/// `ValuePerExtraBlock`: one more block of window per this much value.
	pub value_per_extra_block: Balance,
	/// `MaxExtraWindow`: the most `AdditionalTime` adds.
	pub max_extra: BlockNumber,
}

impl<BlockNumber, Balance> ChallengeWindow<BlockNumber, Balance>
where
	BlockNumber: Copy + Ord + Saturating + UniqueSaturatedFrom<u128>,
	Balance: Copy + UniqueSaturatedInto<u128>,
{
	/// The window of a batch of `count` receipts charging `total`, in blocks.
	pub fn blocks(&self, count: u64, total: Balance) -> BlockNumber {
		// The formula lives once, in ail2-primitives, where watchers' vectors come from.
		ail2_primitives::window::WindowParameters {
			base: self.base,
			receipts_per_extra_block: self.receipts_per_extra_block,
			value_per_extra_block: self.value_per_extra_block.unique_saturated_into(),
			max_extra: self.max_extra,
		}
		.window(count, total.unique_saturated_into())
	}

	/// The longest window any batch gets: `BaseWindow + MaxExtraWindow`.
	pub fn longest(&self) -> BlockNumber {
		self.base.saturating_add(self.max_extra)
	}
}

/// The settlement parameters governance sets (`set_params`). Each change applies to what
/// starts after it: a batch keeps the window it was proposed with, a withdrawal the block it
/// unlocks at, a revocation the block it takes effect from.
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
pub struct SettlementParams<BlockNumber, Balance> {
	/// `ChallengeWindow` of §8.5, for batches proposed from now on.
	pub challenge_window: ChallengeWindow<BlockNumber, Balance>,
	/// `WithdrawalDelay`: blocks between `request_withdrawal` and `withdraw`; longer than
	/// the longest challenge window, so a payer cannot withdraw escrow before a batch
	/// against it can finalize.
	pub withdrawal_delay: BlockNumber,
	/// `GatewayRevocationDelay`: blocks between a payer revoking a gateway key and the key
	/// ceasing to authorise receipts; a worker that served under the key has this long to
	/// propose them.
	pub gateway_revocation_delay: BlockNumber,
}
