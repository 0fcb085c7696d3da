//! The issuance schedule of seed `pow2-decentralized-ai`, Appendix E and F, in integers.
//!
//! - **Supply.** 1,000,000,000 AIL2 in all. 600,000,000 of them, the "core incentive to
//!   hardware providers", are minted over time by this schedule. The rest are allocated at
//!   genesis.
//! - **Batches.** The 600M are minted in [`BATCHES`] batches of [`BATCH_SIZE`] (50M each). In
//!   batch `b` (1 to 12) the "subsidy" is the share `s_b = 0.9 · 0.8^(b−1)` of what hardware
//!   providers are paid: each coin of developer fees earns them `s_b / (1 − s_b)` newly
//!   minted coins on top. In batch 1 that is 9 coins. A mint that crosses a batch boundary
//!   is split there: the part up to the boundary at `s_b`, the rest at `s_{b+1}`.
//! - **Minimum daily issuance.** At least `5 % · supply / 2^(y−1)` a year is minted in year
//!   `y`, as a daily minimum of a 365th of it: 136,986 coins a day in year 1, then 68,493,
//!   and so on.
//!
//! `s_b = 9 · 4^(b−1) / (2 · 5^b)` exactly, so every result is an integer division of exact
//! products. Nothing here rounds up except where it says so.

use crate::Balance;
use alloc::vec::Vec;

/// One AIL2 in its smallest unit (10^12 of them).
pub const COIN: Balance = 1_000_000_000_000;
/// The fixed total supply: 1,000,000,000 AIL2 (Appendix E).
pub const TOTAL_SUPPLY: Balance = 1_000_000_000 * COIN;
/// How many batches the hardware providers' core incentive is minted in.
pub const BATCHES: u32 = 12;
/// One batch: 50,000,000 AIL2, 5 % of the supply.
pub const BATCH_SIZE: Balance = 50_000_000 * COIN;
/// The core incentive to hardware providers: the 600,000,000 AIL2 the schedule mints.
pub const MINTABLE: Balance = BATCH_SIZE * BATCHES as Balance;
/// The founders' allocation: 160,000,000 AIL2, 16 % (Appendix E), allocated at genesis.
pub const FOUNDERS_ALLOCATION: Balance = 160_000_000 * COIN;
/// The "Additional Hardware Provider Reward": 120,000,000 AIL2, 12 %, allocated at genesis.
pub const ADDITIONAL_HARDWARE_REWARD: Balance = 120_000_000 * COIN;
/// The "Hardware provider liquidity pool": 120,000,000 AIL2, 12 %, allocated at genesis.
pub const LIQUIDITY_POOL: Balance = 120_000_000 * COIN;
/// The minimum issuance of year 1, as a share of the supply: 5 %.
pub const FIRST_YEAR_MINIMUM: Balance = TOTAL_SUPPLY / 20;
/// The days of a year of the minimum daily issuance.
pub const DAYS_PER_YEAR: u32 = 365;

/// The subsidy share of batch `batch` (1 to 12) as an exact fraction `(numerator,
/// denominator)`: `0.9 · 0.8^(batch−1) = 9 · 4^(batch−1) / (2 · 5^batch)`. `None` outside 1
/// to 12.
pub fn subsidy_share(batch: u32) -> Option<(u128, u128)> {
	if batch == 0 || batch > BATCHES {
		return None;
	}
	let numerator = 9u128.checked_mul(4u128.checked_pow(batch.checked_sub(1)?)?)?;
	let denominator = 2u128.checked_mul(5u128.checked_pow(batch)?)?;
	Some((numerator, denominator))
}

/// The batch the next minted unit belongs to, after `minted` units: `minted / BATCH_SIZE + 1`,
/// or `None` once all 600M are minted.
pub fn batch_of(minted: Balance) -> Option<u32> {
	if minted >= MINTABLE {
		return None;
	}
	u32::try_from(minted.checked_div(BATCH_SIZE)?).ok()?.checked_add(1)
}

/// The developer fees that mint exactly one whole batch `batch` at its subsidy share:
/// `BATCH_SIZE · (1 − s) / s`, rounded to the nearest unit. This is Appendix F's "fees paid
/// by developers" column.
pub fn fees_to_fill(batch: u32) -> Option<Balance> {
	let (numerator, denominator) = subsidy_share(batch)?;
	let unsubsidised = denominator.checked_sub(numerator)?;
	// BATCH_SIZE · unsubsidised < 5·10^19 · 4.9·10^8: within a u128.
	let scaled = BATCH_SIZE.checked_mul(unsubsidised)?;
	scaled.checked_add(numerator / 2)?.checked_div(numerator)
}

/// What one batch contributes to a mint for fees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchMint {
	/// The batch, 1 to 12.
	pub batch: u32,
	/// The fees minted for at this batch's share.
	pub fees: Balance,
	/// The units minted.
	pub minted: Balance,
}

/// The subsidy for `fees` of developer fees when `minted` units have been minted so far:
/// `fees · s / (1 − s)` at the current batch's share, rounded down.
///
/// A mint that would pass the current batch's end is split there. The fees that fill the
/// batch exactly, `⌈room · (1 − s) / s⌉`, mint the room that is left and nothing more.
/// The rest of the fees carry on at the next batch's share. Once all 600M are minted, fees
/// mint nothing. The parts are returned in batch order, and at most one part per batch, so
/// there are at most 12 of them.
pub fn subsidy_for_fees(minted: Balance, fees: Balance) -> Vec<BatchMint> {
	let mut parts = Vec::new();
	let mut minted = minted;
	let mut fees = fees;
	while fees > 0 {
		let Some(batch) = batch_of(minted) else { break };
		let Some((numerator, denominator)) = subsidy_share(batch) else { break };
		let unsubsidised = denominator.saturating_sub(numerator);
		let end = BATCH_SIZE.saturating_mul(Balance::from(batch));
		let room = end.saturating_sub(minted);
		// fees < 2^128 / 4·10^7 holds for any amount below the supply many times over;
		// a saturated product only means the mint reaches the batch's end.
		let mint = fees.saturating_mul(numerator).checked_div(unsubsidised).unwrap_or(Balance::MAX);
		if mint < room {
			parts.push(BatchMint { batch, fees, minted: mint });
			break;
		}
		let filling = room
			.saturating_mul(unsubsidised)
			.saturating_add(numerator.saturating_sub(1))
			.checked_div(numerator)
			.unwrap_or(fees)
			.min(fees);
		parts.push(BatchMint { batch, fees: filling, minted: room });
		minted = end;
		fees = fees.saturating_sub(filling);
	}
	parts
}

/// The total of [`subsidy_for_fees`]'s parts.
pub fn subsidy_total(parts: &[BatchMint]) -> Balance {
	parts.iter().fold(0, |total, part| total.saturating_add(part.minted))
}

/// The minimum issuance of year `year` (1, 2, …): `5 % · supply / 2^(year−1)`. `None` for
/// year 0.
pub fn yearly_minimum(year: u32) -> Option<Balance> {
	let halvings = year.checked_sub(1)?;
	Some(FIRST_YEAR_MINIMUM.checked_shr(halvings).unwrap_or(0))
}

/// The minimum daily issuance of year `year`: a 365th of [`yearly_minimum`], rounded down to
/// the unit. 136,986.30… AIL2 in year 1, 68,493.15… in year 2, 34,246.57… in year 3.
pub fn daily_minimum(year: u32) -> Option<Balance> {
	yearly_minimum(year)?.checked_div(Balance::from(DAYS_PER_YEAR))
}

/// The year a day falls in: days 0 to 364 are year 1.
pub fn year_of_day(day: u32) -> u32 {
	day.checked_div(DAYS_PER_YEAR).unwrap_or(0).saturating_add(1)
}

/// `amount` rounded to the nearest whole coin (halves up), as the seed's tables print it.
pub fn to_coins(amount: Balance) -> Balance {
	amount.saturating_add(COIN / 2).checked_div(COIN).unwrap_or(0)
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
	use super::*;
	use alloc::vec;

	/// Appendix F's table: share (in hundredths of a percent, as printed), fees paid by
	/// developers and total paid to hardware providers, in coins.
	const APPENDIX_F: [(u32, Balance, Balance); 12] = [
		(9000, 5_555_556, 55_555_556),
		(7200, 19_444_444, 69_444_444),
		(5760, 36_805_556, 86_805_556),
		(4608, 58_506_944, 108_506_944),
		(3686, 85_633_681, 135_633_681),
		(2949, 119_542_101, 169_542_101),
		(2359, 161_927_626, 211_927_626),
		(1887, 214_909_532, 264_909_532),
		(1510, 281_136_915, 331_136_915),
		(1208, 363_921_144, 413_921_144),
		(966, 467_401_430, 517_401_430),
		(773, 596_751_788, 646_751_788),
	];

	#[test]
	fn appendix_f_is_reproduced_to_the_coin() {
		for (index, (percent, fees, total)) in APPENDIX_F.iter().enumerate() {
			let batch = index as u32 + 1;
			let (numerator, denominator) = subsidy_share(batch).unwrap();
			// The share to two decimals of a percent, rounded to nearest.
			let printed = (numerator * 10_000 * 2 + denominator) / (2 * denominator);
			assert_eq!(printed, u128::from(*percent), "batch {batch}");
			assert_eq!(to_coins(fees_to_fill(batch).unwrap()), *fees, "batch {batch}");
			assert_eq!(to_coins(fees_to_fill(batch).unwrap() + BATCH_SIZE), *total);
		}
		assert_eq!(subsidy_share(0), None);
		assert_eq!(subsidy_share(13), None);
		assert_eq!(MINTABLE, 600_000_000 * COIN);
	}

	#[test]
	fn the_allocations_and_the_schedule_make_the_supply() {
		let genesis = FOUNDERS_ALLOCATION + ADDITIONAL_HARDWARE_REWARD + LIQUIDITY_POOL;
		assert_eq!(genesis, 400_000_000 * COIN);
		assert_eq!(genesis + MINTABLE, TOTAL_SUPPLY);
	}

	#[test]
	fn shares_by_hand() {
		assert_eq!(subsidy_share(1), Some((9, 10)));
		assert_eq!(subsidy_share(2), Some((36, 50)));
		assert_eq!(subsidy_share(3), Some((144, 250)));
		// Batch 12: 9 · 4^11 / (2 · 5^12) = 37,748,736 / 488,281,250 = 0.0773…
		assert_eq!(subsidy_share(12), Some((37_748_736, 488_281_250)));
	}

	#[test]
	fn a_coin_of_fees_in_batch_one_mints_nine() {
		assert_eq!(
			subsidy_for_fees(0, COIN),
			vec![BatchMint { batch: 1, fees: COIN, minted: 9 * COIN }]
		);
		// Batch 2: 0.72 / 0.28 = 18/7 coins a coin, rounded down to the unit.
		assert_eq!(subsidy_total(&subsidy_for_fees(BATCH_SIZE, 7 * COIN)), 18 * COIN);
		assert_eq!(subsidy_total(&subsidy_for_fees(BATCH_SIZE, 1)), 2, "18/7 of a unit");
		assert!(subsidy_for_fees(MINTABLE, COIN).is_empty(), "nothing after batch 12");
		assert!(subsidy_for_fees(0, 0).is_empty());
	}

	#[test]
	fn a_mint_across_a_batch_boundary_is_split_there_at_both_rates() {
		// 10 coins of room left in batch 1; 2 coins of fees. The first 10/9 coins of fees,
		// rounded up to the unit, fill batch 1. The rest mint at batch 2's 18/7.
		let minted = BATCH_SIZE - 10 * COIN;
		let parts = subsidy_for_fees(minted, 2 * COIN);
		let filling = (10 * COIN).div_ceil(9);
		assert_eq!(filling, 1_111_111_111_112);
		let rest = 2 * COIN - filling;
		assert_eq!(
			parts,
			vec![
				BatchMint { batch: 1, fees: filling, minted: 10 * COIN },
				BatchMint { batch: 2, fees: rest, minted: rest * 18 / 7 },
			]
		);
		// 888,888,888,888 × 18 / 7 = 2,285,714,285,712 units in batch 2.
		assert_eq!(parts[1].minted, 2_285_714_285_712);
		// Fees enough for several batches: each whole batch in between is minted whole.
		let parts = subsidy_for_fees(0, fees_to_fill(1).unwrap() + fees_to_fill(2).unwrap() + 5);
		assert_eq!(parts.len(), 3);
		assert_eq!(parts[0].minted, BATCH_SIZE);
		assert_eq!(parts[1].minted, BATCH_SIZE);
		assert_eq!(parts[2].batch, 3);
		// And the last batch's end is the cap.
		let parts = subsidy_for_fees(MINTABLE - 5, TOTAL_SUPPLY);
		assert_eq!(parts, vec![BatchMint { batch: 12, fees: 60, minted: 5 }]);
	}

	#[test]
	fn daily_minima_by_hand() {
		assert_eq!(to_coins(daily_minimum(1).unwrap()), 136_986);
		assert_eq!(to_coins(daily_minimum(2).unwrap()), 68_493);
		assert_eq!(to_coins(daily_minimum(3).unwrap()), 34_247);
		// 50,000,000 coins / 365, to the unit: 136,986.301369863013…
		assert_eq!(daily_minimum(1), Some(136_986_301_369_863_013));
		assert_eq!(yearly_minimum(2), Some(25_000_000 * COIN));
		assert_eq!(daily_minimum(0), None);
		assert_eq!(daily_minimum(200), Some(0), "halved to nothing");
		assert_eq!((year_of_day(0), year_of_day(364), year_of_day(365)), (1, 1, 2));
	}

	#[test]
	fn batches_by_minted_amount() {
		assert_eq!(batch_of(0), Some(1));
		assert_eq!(batch_of(BATCH_SIZE - 1), Some(1));
		assert_eq!(batch_of(BATCH_SIZE), Some(2));
		assert_eq!(batch_of(MINTABLE - 1), Some(12));
		assert_eq!(batch_of(MINTABLE), None);
	}
}
