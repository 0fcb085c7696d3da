//! Fixed-point helpers shared by the runtime and the worker: `e^-x` for the decay of
//! violations (§8.3) and `ln(1 + x)` for the spot-check probability (§8.6.1).
//!
//! Only integer operations on `FixedU128`'s 10^18-scaled inner value: the results are the
//! same on every machine, which floats could not promise.

use sp_arithmetic::{traits::Zero, FixedU128};

const ONE: u128 = 1_000_000_000_000_000_000;
/// e^-1 × 10^18, rounded to nearest.
const E_INV: u128 = 367_879_441_171_442_322;
/// Beyond this, e^-x is below FixedU128's resolution (e^-42 ≈ 5.7·10^-19).
const MAX_EXPONENT: u128 = 42;
/// Terms of the Taylor series for the fractional part; 1/20! < 10^-18.
const TAYLOR_TERMS: u128 = 20;

/// ln 2 × 10^18, rounded to nearest.
const LN_2: u128 = 693_147_180_559_945_309;
/// Fractional bits of the binary logarithm [`ln_1p`] computes; the tail it drops is below
/// 2^-48 ≈ 3.6·10^-15.
const LOG_BITS: u32 = 48;

/// `ln(1 + x)` for `x ≥ 0`.
///
/// `log₂(1 + x)` bit by bit, then times `ln 2`: halve `y = 1 + x` until it is in `[1, 2)`
/// (the integer part), then square it `LOG_BITS` times, each square ≥ 2 giving a 1 bit and
/// being halved. Every truncation of a square is one unit of 10^-18 on a value ≥ 1, which
/// perturbs the input by at most that much relative, so the result is within 10^-14 of
/// `ln(1 + x)` (the dropped tail of bits dominates). At most 128 + 48 steps.
pub fn ln_1p(x: FixedU128) -> FixedU128 {
	let mut y = x.into_inner().saturating_add(ONE);
	let two = ONE.saturating_mul(2);
	// The integer part of log₂: y < 2^128 / 10^18 < 2^69, so at most 69 halvings. Halving
	// with the remainder kept as a fraction is exact up to one unit.
	let mut log2 = 0u128;
	while y >= two {
		y /= 2;
		log2 = log2.saturating_add(ONE);
	}
	// y ∈ [1, 2) × 10^18: y² < 4 × 10^36 fits a u128.
	let mut bit = ONE;
	for _ in 0..LOG_BITS {
		y = y.saturating_mul(y) / ONE;
		bit /= 2;
		if y >= two {
			y /= 2;
			log2 = log2.saturating_add(bit);
		}
	}
	FixedU128::from_inner(log2.saturating_mul(LN_2) / ONE)
}

/// `e^-x` for `x ≥ 0`.
///
/// Split `x = k + f` with integer `k` and `f ∈ [0, 1)`: `e^-x = (e^-1)^k · e^-f`. The first
/// factor is `k ≤ 42` multiplications by the rounded constant `e^-1`; the second is the
/// alternating Taylor series `Σ (-f)^n / n!`, summed as positive and negative halves so
/// every step stays unsigned. Absolute error below 10^-16 for every `x`.
pub fn exp_neg(x: FixedU128) -> FixedU128 {
	let inner = x.into_inner();
	let k = inner / ONE;
	if k >= MAX_EXPONENT {
		return FixedU128::zero();
	}
	let f = inner % ONE;

	let mut integer_part = ONE;
	for _ in 0..k {
		integer_part = integer_part.saturating_mul(E_INV) / ONE;
	}

	let (mut positive, mut negative) = (ONE, 0u128);
	let mut term = ONE;
	for n in 1..=TAYLOR_TERMS {
		// term = f^n / n!, always ≤ 1 so the product fits.
		term = (term.saturating_mul(f) / ONE).checked_div(n).unwrap_or(0);
		if term == 0 {
			break;
		}
		if n % 2 == 1 {
			negative = negative.saturating_add(term);
		} else {
			positive = positive.saturating_add(term);
		}
	}
	let fractional_part = positive.saturating_sub(negative);
	FixedU128::from_inner(integer_part.saturating_mul(fractional_part) / ONE)
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::unwrap_used)]
mod tests {
	use super::*;
	use proptest::prelude::*;
	use sp_arithmetic::traits::{One, Saturating};

	fn fixed(value: &str) -> FixedU128 {
		let (int, frac) = value.split_once('.').unwrap_or((value, ""));
		let frac = format!("{frac:0<18}");
		FixedU128::from_inner(int.parse::<u128>().unwrap() * ONE + frac.parse::<u128>().unwrap())
	}

	fn close(a: FixedU128, b: FixedU128, tolerance: u128) -> bool {
		a.into_inner().abs_diff(b.into_inner()) <= tolerance
	}

	#[test]
	fn hand_computed_values() {
		// Reference values to 18 decimals (Python `decimal`, 40 digits).
		let cases = [
			("0", "1.0"),
			("0.5", "0.606530659712633423"),
			("1", "0.367879441171442322"),
			("2.3", "0.100258843722803734"),
			("5", "0.006737946999085467"),
			("10.25", "0.000035357500850410"),
		];
		for (x, expected) in cases {
			let got = exp_neg(fixed(x));
			assert!(close(got, fixed(expected), 100), "e^-{x} = {got:?}, want {expected}");
		}
		assert_eq!(exp_neg(fixed("42")), FixedU128::zero());
		assert_eq!(exp_neg(FixedU128::from_inner(u128::MAX)), FixedU128::zero());
	}

	#[test]
	fn ln_1p_by_hand() {
		// Reference values to 18 decimals (Python `decimal`, 50 digits).
		let cases = [
			("0", "0"),
			("0.001", "0.000999500333083533"),
			("0.5", "0.405465108108164382"),
			("1", "0.693147180559945309"),
			("10", "2.397895272798370544"),
			("123.456", "4.823952239784820364"),
			("1000000", "13.815511557963774104"),
		];
		for (x, expected) in cases {
			let got = ln_1p(fixed(x));
			assert!(close(got, fixed(expected), 10_000), "ln(1 + {x}) = {got:?}, want {expected}");
		}
		// The largest input: ln(1 + 3.4·10^20) ≈ 47.27, no overflow.
		let widest = ln_1p(FixedU128::from_inner(u128::MAX));
		assert!(close(widest, fixed("47.276307437780177293"), 10_000), "{widest:?}");
	}

	proptest! {
		/// ln(1+x) is monotone, below x, and (1+a)(1+b) multiplies to the sum of the logs.
		#[test]
		fn ln_1p_is_a_logarithm(a in 0u128..1_000 * ONE, b in 0u128..1_000 * ONE) {
			let (fa, fb) = (FixedU128::from_inner(a), FixedU128::from_inner(b));
			if a <= b {
				prop_assert!(ln_1p(fa) <= ln_1p(fb));
			}
			prop_assert!(ln_1p(fa) <= fa);
			// (1+a)(1+b) − 1 = a + b + ab.
			let product = fa.saturating_add(fb).saturating_add(fa.saturating_mul(fb));
			prop_assert!(close(ln_1p(product), ln_1p(fa) + ln_1p(fb), 100_000));
		}
	}

	proptest! {
		/// e^-(a+b) = e^-a · e^-b, and e^-x never grows with x.
		#[test]
		fn multiplicative_and_decreasing(a in 0u128..20 * ONE, b in 0u128..20 * ONE) {
			let (fa, fb) = (FixedU128::from_inner(a), FixedU128::from_inner(b));
			let product = exp_neg(fa).saturating_mul(exp_neg(fb));
			prop_assert!(close(exp_neg(fa + fb), product, 1_000));
			if a <= b {
				prop_assert!(exp_neg(fa) >= exp_neg(fb));
			}
			prop_assert!(exp_neg(fa) <= FixedU128::one());
		}
	}
}
