//! Fixed-point helpers shared by the runtime and the worker.
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
