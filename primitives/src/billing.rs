//! Billing functions of whitepaper §6.2 in integer and fixed-point maths.
//!
//! Every rounding is explicit and downward (in the payer's favour), so the worker, the
//! gateway and the chain compute the same price for the same usage on every machine.
//!
//! | formula (§6.2) | here |
//! |---|---|
//! | `Fee_token = a0 + a1·(tokens_in/1000) + a2·(tokens_out/1000)` | [`token_fee`] = `a0 + ⌊(a1·tokens_in + a2·tokens_out) / 1000⌋` |
//! | `Fee_time = b0 + b1·gpu_sec` | [`time_fee`] = `b0 + ⌊b1·gpu_ms / 1000⌋` |
//! | `Fee_raw = max(Fee_token, Fee_time)` | [`raw_fee`] with [`BillingMode::Hybrid`] |
//! | `Fee_final = min(max(Fee_raw, Fee_min), Fee_cap)` | [`bounded_fee`] |
//! | `Price_multiplier = 1 + η·(D/S − 1)` if `D > S`, `1 − η·(1 − D/S)·(1 − floor_ratio)` if `D < S` | [`price_multiplier`] |
//! | `Discount_volume = min(δ_max, δ_base·ln(1 + V_30d/V_scale))` | [`volume_discount`] |
//! | `Fee_discounted = Fee_final·(1 − Discount_volume)·(1 − Discount_loyalty)` | [`discounted_fee`] |
//! | unit-of-compute price = weighted median of votes (seed `pow2` Appendix J) | [`stake_weighted_median`] |

use crate::{keccak256, Balance, Hash};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_arithmetic::{
	traits::{Bounded, One, Saturating, Zero},
	FixedPointNumber, FixedU128, PerThing, Perbill,
};

/// Which of the §6.2.1 formulas a model bills by.
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
pub enum BillingMode {
	/// Language models: by tokens.
	Token,
	/// Image and video models: by GPU time.
	Time,
	/// The larger of the two.
	Hybrid,
}

/// A model's pricing policy: the coefficients of §6.2.1 and the bounds of §6.2.2, all in
/// the smallest unit of the payment token.
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
pub struct PricingPolicy {
	pub mode: BillingMode,
	/// `a0`: flat fee per request under token billing.
	pub token_base: Balance,
	/// `a1`: per 1000 input tokens.
	pub per_1k_input_tokens: Balance,
	/// `a2`: per 1000 output tokens.
	pub per_1k_output_tokens: Balance,
	/// `b0`: flat fee per request under time billing.
	pub time_base: Balance,
	/// `b1`: per GPU second.
	pub per_gpu_second: Balance,
	/// `Fee_min`.
	pub min_fee: Balance,
	/// `Fee_cap`.
	pub max_fee: Balance,
}

impl PricingPolicy {
	/// `keccak256(SCALE(policy))`: the `policy_hash` receipts quote and pallet-models stores
	/// beside every model version.
	pub fn hash(&self) -> Hash {
		keccak256(&self.encode())
	}
}

/// What a request used, as the receipt records it.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Usage {
	pub tokens_in: u32,
	pub tokens_out: u32,
	pub gpu_ms: u64,
}

/// `a0 + ⌊(a1·tokens_in + a2·tokens_out) / 1000⌋`, saturating.
pub fn token_fee(policy: &PricingPolicy, usage: &Usage) -> Balance {
	let variable =
		policy.per_1k_input_tokens.saturating_mul(Balance::from(usage.tokens_in)).saturating_add(
			policy.per_1k_output_tokens.saturating_mul(Balance::from(usage.tokens_out)),
		);
	policy.token_base.saturating_add(variable / 1000)
}

/// `b0 + ⌊b1·gpu_ms / 1000⌋`, saturating.
pub fn time_fee(policy: &PricingPolicy, usage: &Usage) -> Balance {
	let variable = policy.per_gpu_second.saturating_mul(Balance::from(usage.gpu_ms)) / 1000;
	policy.time_base.saturating_add(variable)
}

/// `Fee_raw` under the policy's mode.
pub fn raw_fee(policy: &PricingPolicy, usage: &Usage) -> Balance {
	match policy.mode {
		BillingMode::Token => token_fee(policy, usage),
		BillingMode::Time => time_fee(policy, usage),
		BillingMode::Hybrid => token_fee(policy, usage).max(time_fee(policy, usage)),
	}
}

/// `Fee_final = min(max(Fee_raw, Fee_min), Fee_cap)`: the cap wins if the bounds cross.
pub fn bounded_fee(policy: &PricingPolicy, usage: &Usage) -> Balance {
	raw_fee(policy, usage).max(policy.min_fee).min(policy.max_fee)
}

/// The price of a request under a policy with no dynamic multiplier or discount: the
/// function the chain checks receipts' prices against.
pub fn receipt_price(policy: &PricingPolicy, usage: &Usage) -> Balance {
	bounded_fee(policy, usage)
}

/// `Price_multiplier` of §6.2.3 for demand `D` and supply `S` (same unit, e.g. requests per
/// epoch). `eta` is the sensitivity η, `floor_ratio` how much of the discount below balance
/// is withheld. With no measured supply (`S = 0`) there is nothing to compare with and the
/// multiplier is 1.
pub fn price_multiplier(
	demand: u128,
	supply: u128,
	eta: FixedU128,
	floor_ratio: Perbill,
) -> FixedU128 {
	if supply == 0 || demand == supply {
		return FixedU128::one();
	}
	let ratio =
		FixedU128::checked_from_rational(demand, supply).unwrap_or_else(FixedU128::max_value);
	if demand > supply {
		FixedU128::one().saturating_add(eta.saturating_mul(ratio.saturating_sub(FixedU128::one())))
	} else {
		let shortfall = FixedU128::one().saturating_sub(ratio);
		let kept = FixedU128::from(floor_ratio.left_from_one());
		FixedU128::one().saturating_sub(eta.saturating_mul(shortfall).saturating_mul(kept))
	}
}

/// Applies a multiplier to a fee, rounding down.
pub fn apply_multiplier(fee: Balance, multiplier: FixedU128) -> Balance {
	multiplier.saturating_mul_int(fee)
}

/// `min(δ_max, δ_base·ln(1 + V_30d/V_scale))` of §6.2.4, with `ln` computed in fixed point
/// by [`ln_fixed`]. `volume_scale = 0` gives no discount.
pub fn volume_discount(
	volume_30d: u128,
	volume_scale: u128,
	base: Perbill,
	max: Perbill,
) -> Perbill {
	if volume_scale == 0 {
		return Perbill::zero();
	}
	let x = FixedU128::one().saturating_add(
		FixedU128::checked_from_rational(volume_30d, volume_scale)
			.unwrap_or_else(FixedU128::max_value),
	);
	let discount = FixedU128::from(base).saturating_mul(ln_fixed(x));
	// FixedU128 has 18 decimals, Perbill 9: ⌊inner / 10^9⌋ parts, capped at δ_max.
	let parts = discount.into_inner() / 1_000_000_000;
	let parts = u32::try_from(parts).unwrap_or(u32::MAX);
	Perbill::from_parts(parts).min(max)
}

/// `Fee_final·(1 − Discount_volume)·(1 − Discount_loyalty)`, each factor rounding down.
pub fn discounted_fee(fee: Balance, volume: Perbill, loyalty: Perbill) -> Balance {
	let after_volume = volume.left_from_one().mul_floor(fee);
	loyalty.left_from_one().mul_floor(after_volume)
}

/// The stake-weighted median of `(price, stake)` votes (seed `pow2` Appendix J): the lowest
/// price at which the stake voting that price or less reaches half of all stake. `None`
/// when there is no stake at all. Sorts `votes` in place.
pub fn stake_weighted_median(votes: &mut [(Balance, Balance)]) -> Option<Balance> {
	votes.sort_unstable_by_key(|(price, _)| *price);
	let total = votes.iter().fold(0u128, |acc, (_, stake)| acc.saturating_add(*stake));
	if total == 0 {
		return None;
	}
	// Half of the stake, rounded up, so a price needs at least half the stake behind it
	// from below.
	let half = total.div_ceil(2);
	let mut cumulative = 0u128;
	for (price, stake) in votes.iter() {
		cumulative = cumulative.saturating_add(*stake);
		if cumulative >= half {
			return Some(*price);
		}
	}
	votes.last().map(|(price, _)| *price)
}

/// Natural logarithm of `x ≥ 1` in fixed point (returns 0 for `x ≤ 1`).
///
/// `ln x = log2(x)·ln 2`. The integer part of `log2` is the position of the highest bit of
/// `⌊x⌋`; the 60 fractional bits come from repeated squaring of the mantissa `y ∈ [1, 2)`
/// (square; if `y ≥ 2`, halve and emit a 1). Only integer operations on the 10^18-scaled
/// inner value: deterministic everywhere. Error below 10^-15 for the inputs that matter
/// here (x < 2^64).
pub fn ln_fixed(x: FixedU128) -> FixedU128 {
	const ONE: u128 = 1_000_000_000_000_000_000;
	const TWO: u128 = 2 * ONE;
	/// ln 2 × 10^18, rounded down.
	const LN_2: u128 = 693_147_180_559_945_309;
	const FRACTION_BITS: u32 = 60;

	let inner = x.into_inner();
	if inner <= ONE {
		return FixedU128::zero();
	}
	let integer = inner / ONE;
	// ⌊log2(⌊x⌋)⌋, at most 127 - 60 since inner < 2^128.
	let k = 127u32.saturating_sub(integer.leading_zeros());
	// y = x / 2^k ∈ [1, 2), in the same 10^18 scale.
	let mut y = inner.checked_shr(k).unwrap_or(0);
	let mut fraction: u128 = 0;
	for bit in (0..FRACTION_BITS).rev() {
		// y < 2·10^18, so y² < 4·10^36 < u128::MAX.
		y = y.saturating_mul(y) / ONE;
		if y >= TWO {
			y /= 2;
			fraction |= 1u128.checked_shl(bit).unwrap_or(0);
		}
	}
	// log2(x) in 10^18 scale: k·10^18 + fraction·10^18 / 2^60.
	let fraction_scaled = fraction.saturating_mul(ONE).checked_shr(FRACTION_BITS).unwrap_or(0);
	let log2 = u128::from(k).saturating_mul(ONE).saturating_add(fraction_scaled);
	// ln x = log2 x · ln 2; split to keep the product inside u128.
	let ln =
		(log2 / ONE).saturating_mul(LN_2).saturating_add((log2 % ONE).saturating_mul(LN_2) / ONE);
	FixedU128::from_inner(ln)
}

#[cfg(test)]
#[allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]
mod tests {
	use super::*;
	use proptest::prelude::*;

	fn policy(mode: BillingMode) -> PricingPolicy {
		PricingPolicy {
			mode,
			token_base: 1_000,
			per_1k_input_tokens: 2_000,
			per_1k_output_tokens: 6_000,
			time_base: 500,
			per_gpu_second: 10_000,
			min_fee: 2_000,
			max_fee: 1_000_000,
		}
	}

	#[test]
	fn token_fee_by_hand() {
		// 1000 + ⌊(2000·1500 + 6000·250) / 1000⌋ = 1000 + ⌊(3_000_000 + 1_500_000)/1000⌋ = 5500
		let u = Usage { tokens_in: 1_500, tokens_out: 250, gpu_ms: 0 };
		assert_eq!(token_fee(&policy(BillingMode::Token), &u), 5_500);
		// Rounds down: 2000·1 + 6000·0 = 2000 → ⌊2000/1000⌋ = 2; 1001·1/1000 → 1.
		let mut p = policy(BillingMode::Token);
		p.per_1k_input_tokens = 1_999;
		assert_eq!(token_fee(&p, &Usage { tokens_in: 1, tokens_out: 0, gpu_ms: 0 }), 1_001);
	}

	#[test]
	fn time_fee_by_hand() {
		// 500 + ⌊10000·2750 / 1000⌋ = 500 + 27500 = 28000
		assert_eq!(
			time_fee(&policy(BillingMode::Time), &Usage { gpu_ms: 2_750, ..Default::default() }),
			28_000
		);
		// 1 ms at 10000/s = 10.
		assert_eq!(
			time_fee(&policy(BillingMode::Time), &Usage { gpu_ms: 1, ..Default::default() }),
			510
		);
	}

	#[test]
	fn hybrid_takes_the_larger() {
		let u = Usage { tokens_in: 1_500, tokens_out: 250, gpu_ms: 2_750 };
		assert_eq!(raw_fee(&policy(BillingMode::Hybrid), &u), 28_000);
		let u = Usage { tokens_in: 100_000, tokens_out: 0, gpu_ms: 10 };
		// token: 1000 + 200_000 = 201_000; time: 500 + 100 = 600
		assert_eq!(raw_fee(&policy(BillingMode::Hybrid), &u), 201_000);
	}

	#[test]
	fn bounds_clamp_and_cap_wins() {
		let p = policy(BillingMode::Token);
		assert_eq!(bounded_fee(&p, &Usage::default()), 2_000, "a0 = 1000 lifted to Fee_min");
		let huge = Usage { tokens_in: u32::MAX, tokens_out: u32::MAX, gpu_ms: 0 };
		assert_eq!(bounded_fee(&p, &huge), 1_000_000);
		let crossed = PricingPolicy { min_fee: 5_000, max_fee: 3_000, ..p };
		assert_eq!(bounded_fee(&crossed, &Usage::default()), 3_000);
		assert_eq!(
			receipt_price(&p, &Usage { tokens_in: 1_500, tokens_out: 250, gpu_ms: 0 }),
			5_500
		);
	}

	#[test]
	fn price_multiplier_by_hand() {
		let eta = FixedU128::from_rational(1, 2);
		let floor = Perbill::from_percent(20);
		// D/S = 1.5: 1 + 0.5·0.5 = 1.25
		assert_eq!(price_multiplier(150, 100, eta, floor), FixedU128::from_rational(5, 4));
		// D/S = 0.5: 1 − 0.5·0.5·0.8 = 0.8
		assert_eq!(price_multiplier(50, 100, eta, floor), FixedU128::from_rational(4, 5));
		assert_eq!(price_multiplier(100, 100, eta, floor), FixedU128::one());
		assert_eq!(price_multiplier(7, 0, eta, floor), FixedU128::one());
		// Nothing demanded, η = 1, no floor: price falls to 0.
		assert_eq!(price_multiplier(0, 10, FixedU128::one(), Perbill::zero()), FixedU128::zero());
		assert_eq!(apply_multiplier(5_500, FixedU128::from_rational(5, 4)), 6_875);
		assert_eq!(apply_multiplier(5_501, FixedU128::from_rational(4, 5)), 4_400, "⌊4400.8⌋");
	}

	#[test]
	fn ln_matches_known_values() {
		let close = |x: FixedU128, expected: u128| {
			let got = ln_fixed(x).into_inner();
			assert!(got.abs_diff(expected) < 1_000, "ln({x:?}) = {got}, expected {expected}");
		};
		close(FixedU128::from_u32(2), 693_147_180_559_945_309);
		close(FixedU128::from_u32(10), 2_302_585_092_994_045_684);
		close(FixedU128::from_rational(3, 2), 405_465_108_108_164_381);
		close(FixedU128::from_u32(1_000_000), 13_815_510_557_964_274_104);
		assert_eq!(ln_fixed(FixedU128::one()), FixedU128::zero());
		assert_eq!(ln_fixed(FixedU128::from_rational(1, 2)), FixedU128::zero());
	}

	#[test]
	fn volume_discount_by_hand() {
		let base = Perbill::from_percent(5);
		let max = Perbill::from_percent(15);
		// V/V_scale = 1: 0.05·ln 2 = 0.034657359 → 34_657_359 parts per billion.
		assert_eq!(volume_discount(1_000, 1_000, base, max), Perbill::from_parts(34_657_359));
		// V/V_scale = 9: 0.05·ln 10 = 0.115129254
		assert_eq!(volume_discount(9_000, 1_000, base, max), Perbill::from_parts(115_129_254));
		// Capped at δ_max.
		assert_eq!(volume_discount(1_000_000_000, 1_000, base, max), max);
		assert_eq!(volume_discount(0, 1_000, base, max), Perbill::zero());
		assert_eq!(volume_discount(5, 0, base, max), Perbill::zero());
	}

	#[test]
	fn discounted_fee_by_hand() {
		// 10000 · 0.9 = 9000 · 0.95 = 8550
		assert_eq!(
			discounted_fee(10_000, Perbill::from_percent(10), Perbill::from_percent(5)),
			8_550
		);
		// 999 · 0.9 = 899.1 → 899; · 0.95 = 854.05 → 854
		assert_eq!(discounted_fee(999, Perbill::from_percent(10), Perbill::from_percent(5)), 854);
		assert_eq!(discounted_fee(999, Perbill::zero(), Perbill::zero()), 999);
	}

	#[test]
	fn stake_weighted_median_by_hand() {
		// Stakes 10 @ 100, 30 @ 120, 20 @ 150: total 60, half 30; cumulative 10, 40 → 120.
		assert_eq!(stake_weighted_median(&mut [(150, 20), (100, 10), (120, 30)]), Some(120));
		// One whale outweighs everyone: 70 of 100 at 90.
		assert_eq!(stake_weighted_median(&mut [(200, 10), (90, 70), (300, 20)]), Some(90));
		// Exactly half at the low price: total 40, half 20 reached by the first vote.
		assert_eq!(stake_weighted_median(&mut [(5, 20), (7, 20)]), Some(5));
		// Odd total: 3 of 7 is not half (4 needed).
		assert_eq!(stake_weighted_median(&mut [(5, 3), (7, 4)]), Some(7));
		assert_eq!(stake_weighted_median(&mut [(5, 0), (7, 0)]), None);
		assert_eq!(stake_weighted_median(&mut []), None);
	}

	proptest! {
		#[test]
		fn median_is_one_of_the_votes_and_splits_the_stake(
			votes in prop::collection::vec((1u128..1_000, 1u128..1_000), 1..50),
		) {
			let mut v = votes.clone();
			let m = stake_weighted_median(&mut v).unwrap();
			prop_assert!(votes.iter().any(|(p, _)| *p == m));
			let total: u128 = votes.iter().map(|(_, s)| s).sum();
			let at_or_below: u128 = votes.iter().filter(|(p, _)| *p <= m).map(|(_, s)| s).sum();
			let below: u128 = votes.iter().filter(|(p, _)| *p < m).map(|(_, s)| s).sum();
			prop_assert!(2 * at_or_below >= total);
			prop_assert!(2 * below < total);
		}

		#[test]
		fn bounded_fee_stays_in_bounds(
			tokens_in in any::<u32>(), tokens_out in any::<u32>(), gpu_ms in any::<u64>(),
			min in 0u128..1_000_000, span in 0u128..1_000_000,
		) {
			let p = PricingPolicy { min_fee: min, max_fee: min + span, ..policy(BillingMode::Hybrid) };
			let fee = bounded_fee(&p, &Usage { tokens_in, tokens_out, gpu_ms });
			prop_assert!(fee >= min && fee <= min + span);
		}

		#[test]
		fn fees_grow_with_usage(a in any::<u32>(), b in any::<u32>(), g in any::<u32>()) {
			let p = policy(BillingMode::Hybrid);
			let small = Usage { tokens_in: a.min(b), tokens_out: 0, gpu_ms: u64::from(g) };
			let large = Usage { tokens_in: a.max(b), tokens_out: 0, gpu_ms: u64::from(g) };
			prop_assert!(raw_fee(&p, &small) <= raw_fee(&p, &large));
		}

		#[test]
		fn discounts_never_raise_a_fee(fee in any::<u64>(), v in 0u32..=1_000_000_000, l in 0u32..=1_000_000_000) {
			let fee = u128::from(fee);
			prop_assert!(discounted_fee(fee, Perbill::from_parts(v), Perbill::from_parts(l)) <= fee);
		}

		#[test]
		fn ln_is_monotonic(a in 1u64..u64::MAX, b in 1u64..u64::MAX) {
			let (lo, hi) = (a.min(b), a.max(b));
			prop_assert!(ln_fixed(FixedU128::saturating_from_integer(lo)) <= ln_fixed(FixedU128::saturating_from_integer(hi)));
		}
	}
}
