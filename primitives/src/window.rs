//! The challenge window of a batch (whitepaper §8.5).
//!
//! `ChallengeWindow = BaseWindow + min(MaxExtraWindow, count / ReceiptsPerExtraBlock + total /
//! ValuePerExtraBlock)` blocks, both divisions rounding down: bigger and more valuable
//! batches stay open longer, up to a cap. A batch proposed in block `P` with window `W` can
//! be challenged in blocks `P..=P + W` and settled from block `P + W + 1`
//! (`docs/receipts.md`, "Challenge window"). Tested, with vectors, in `tests/receipts.rs`.

use crate::Balance;
use sp_arithmetic::traits::{Saturating, UniqueSaturatedFrom};

/// The parameters of the window formula, in the chain's block-number type `B`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct WindowParameters<B> {
	/// `BaseWindow`: blocks every batch stays open.
	pub base: B,
	/// One more block per this many receipts (0: receipts add nothing).
	pub receipts_per_extra_block: u64,
	/// One more block per this much value (0: value adds nothing).
	pub value_per_extra_block: Balance,
	/// `MaxExtraWindow`: the most the count and the total can add.
	pub max_extra: B,
}

impl<B: Copy + Ord + Saturating + UniqueSaturatedFrom<u128>> WindowParameters<B> {
	/// `count / receipts_per_extra_block + total / value_per_extra_block`, before the cap, in
	/// `u128` (saturating).
	pub fn additional_blocks(&self, count: u64, total: Balance) -> u128 {
		let by_count = count.checked_div(self.receipts_per_extra_block).unwrap_or(0);
		let by_value = total.checked_div(self.value_per_extra_block).unwrap_or(0);
		u128::from(by_count).saturating_add(by_value)
	}

	/// The window of a batch of `count` receipts worth `total`, in blocks.
	pub fn window(&self, count: u64, total: Balance) -> B {
		let extra = B::unique_saturated_from(self.additional_blocks(count, total));
		self.base.saturating_add(extra.min(self.max_extra))
	}
}
