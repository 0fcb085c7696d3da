//! Proof-of-inference spot checks (whitepaper §8.6.1, seed `pow2` §6): how likely a receipt
//! is to be re-executed, how a worker's reputation scales that, and which receipts of a
//! batch its duty seed selects. The chain and every verifier compute the same selection
//! from public data (the seed fixed after the batch was proposed and each receipt's id), so
//! anyone can audit whether a check was due.

/// Probabilities and reputations, in parts per billion (re-exported for clients that do not
/// depend on the Substrate crates).
pub use sp_arithmetic::Perbill;
use sp_arithmetic::{FixedPointNumber, FixedU128};

use crate::{domain, fixed::ln_1p, Balance, Hash};

/// Perbill's denominator.
const BILLION: u128 = 1_000_000_000;

/// `P_verify = min(p0 + k · ln(1 + fee / fee_unit), p_max)` (whitepaper §8.6.1): the chance
/// that a receipt charging `fee` is re-executed. `k` is probability per nat; a zero
/// `fee_unit` counts every fee as infinitely large (`p_max`). Integer maths; the logarithm
/// is within 10^-14 of exact ([`ln_1p`]), far below Perbill's 10^-9.
pub fn p_verify(
	fee: Balance,
	p0: Perbill,
	k: Perbill,
	fee_unit: Balance,
	p_max: Perbill,
) -> Perbill {
	if fee_unit == 0 {
		return p_max;
	}
	let ratio =
		FixedU128::checked_from_rational(fee, fee_unit).unwrap_or(FixedU128::from_inner(u128::MAX));
	let ln = ln_1p(ratio).into_inner();
	// k (parts per billion) × ln (10^18-scaled) / 10^18, in parts per billion.
	let slope = u128::from(k.deconstruct()).saturating_mul(ln) / FixedU128::DIV;
	let p = u128::from(p0.deconstruct()).saturating_add(slope).min(u128::from(p_max.deconstruct()));
	Perbill::from_parts(u32::try_from(p.min(BILLION)).unwrap_or(u32::MAX))
}

/// The probability for a worker of `reputation`: `p · (M − (M − 1) · reputation)`, at most
/// 100%. A worker with no reputation is checked `M` times as often as one with full
/// reputation (seed `pow2` §6: low reputation, more scrutiny; fraud resets it to zero).
pub fn reputation_scaled(p: Perbill, reputation: Perbill, factor: u32) -> Perbill {
	let factor = u128::from(factor.max(1));
	// M·10^9 − (M − 1)·r, in parts per billion of the multiplier.
	let multiplier = factor.saturating_mul(BILLION).saturating_sub(
		factor.saturating_sub(1).saturating_mul(u128::from(reputation.deconstruct())),
	);
	let scaled = u128::from(p.deconstruct()).saturating_mul(multiplier) / BILLION;
	Perbill::from_parts(u32::try_from(scaled.min(BILLION)).unwrap_or(u32::MAX))
}

/// Whether the receipt with `receipt_id` is checked under `seed` with probability `p`: the
/// first 8 bytes of `keccak256("ail2:poi:spot-check" ‖ seed ‖ receipt_id)` as a
/// little-endian `u64` value `v` select it when `v · 10^9 < p_parts · 2^64`.
pub fn selected(seed: &Hash, receipt_id: &Hash, p: Perbill) -> bool {
	let digest = domain::tagged_hash(domain::POI_SPOT_CHECK, &[seed, receipt_id]);
	let mut low = [0u8; 8];
	low.copy_from_slice(digest.get(..8).unwrap_or(&[0u8; 8]));
	let value = u128::from(u64::from_le_bytes(low));
	value.saturating_mul(BILLION) < u128::from(p.deconstruct()) << 64
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
	use super::*;
	use crate::keccak256;
	use codec::Encode;
	use proptest::prelude::*;

	const UNIT: Balance = 1_000_000;

	fn ppb(p: Perbill) -> u32 {
		p.deconstruct()
	}

	#[test]
	fn p_verify_by_hand() {
		let (p0, k, p_max) =
			(Perbill::from_percent(1), Perbill::from_percent(2), Perbill::from_percent(20));
		// fee 0: p0 exactly.
		assert_eq!(p_verify(0, p0, k, UNIT, p_max), p0);
		// fee = fee_unit: 1% + 2% · ln 2 = 1% + 1.386294361% = 2.386294361%.
		assert_eq!(ppb(p_verify(UNIT, p0, k, UNIT, p_max)), 23_862_943);
		// fee = 10 fee units: 1% + 2% · ln 11 = 1% + 4.795790545% = 5.795790545%.
		assert_eq!(ppb(p_verify(10 * UNIT, p0, k, UNIT, p_max)), 57_957_905);
		// fee = 10^6 units: 1% + 2% · 13.8155 = 28.6% → capped at 20%.
		assert_eq!(p_verify(1_000_000 * UNIT, p0, k, UNIT, p_max), p_max);
		// No fee unit: every fee is large.
		assert_eq!(p_verify(1, p0, k, 0, p_max), p_max);
		// The cap applies to p0 too.
		assert_eq!(p_verify(0, Perbill::from_percent(50), k, UNIT, p_max), p_max);
		// Extremes do not overflow.
		assert_eq!(
			p_verify(Balance::MAX, Perbill::one(), Perbill::one(), 1, Perbill::one()),
			Perbill::one()
		);
	}

	#[test]
	fn reputation_scaling_by_hand() {
		let p = Perbill::from_percent(5);
		assert_eq!(reputation_scaled(p, Perbill::zero(), 4), Perbill::from_percent(20));
		assert_eq!(reputation_scaled(p, Perbill::one(), 4), p);
		// Half reputation: 4 − 3 · 0.5 = 2.5 → 12.5%.
		assert_eq!(
			reputation_scaled(p, Perbill::from_percent(50), 4),
			Perbill::from_parts(125_000_000)
		);
		// A factor of 1 (or 0) leaves p alone; the product is capped at 100%.
		assert_eq!(reputation_scaled(p, Perbill::zero(), 1), p);
		assert_eq!(reputation_scaled(p, Perbill::zero(), 0), p);
		assert_eq!(
			reputation_scaled(Perbill::from_percent(40), Perbill::zero(), 4),
			Perbill::one()
		);
	}

	#[test]
	fn selection_reads_the_tagged_digest() {
		let (seed, id) = ([3u8; 32], [4u8; 32]);
		let mut preimage = b"ail2:poi:spot-check".to_vec();
		preimage.extend_from_slice(&seed);
		preimage.extend_from_slice(&id);
		let digest = keccak256(&preimage);
		let value = u64::from_le_bytes(digest[..8].try_into().unwrap());
		// The threshold at exactly v / 2^64, rounded to Perbill: selected just above it.
		let exact = (u128::from(value) * BILLION) >> 64;
		let above = Perbill::from_parts(exact as u32 + 1);
		let below = Perbill::from_parts(exact as u32);
		assert!(selected(&seed, &id, above));
		assert!(!selected(&seed, &id, below));
		assert!(selected(&seed, &id, Perbill::one()));
		assert!(!selected(&seed, &id, Perbill::zero()));
	}

	#[test]
	fn the_selected_share_matches_the_probability() {
		// 20,000 receipt ids at 5%: 1,000 expected, σ ≈ 31; within 4σ.
		let seed = [9u8; 32];
		let p = Perbill::from_percent(5);
		let hits =
			(0u32..20_000).filter(|i| selected(&seed, &keccak256(&i.to_le_bytes()), p)).count();
		assert!((876..=1_124).contains(&hits), "{hits} selected");
	}

	#[test]
	fn a_cheater_is_caught_as_often_as_the_formula_says() {
		// A worker cheats on every tenth receipt; each receipt is checked with P = 5%. A batch
		// of 100 receipts is caught when a check lands on a cheated one:
		// 1 − (1 − 0.1 · 0.05)^100 = 39.4%. Over 2,000 batches σ ≈ 1.1%; within 4σ.
		let p = Perbill::from_percent(5);
		let batches = 2_000u32;
		let mut caught = 0u32;
		for batch in 0..batches {
			let seed = keccak256(&batch.to_le_bytes());
			let hit = (0u32..100).any(|i| {
				let id = keccak256(&(batch, i).encode());
				i % 10 == 0 && selected(&seed, &id, p)
			});
			caught += u32::from(hit);
		}
		let expected = 1.0 - (1.0f64 - 0.1 * 0.05).powi(100);
		let measured = f64::from(caught) / f64::from(batches);
		eprintln!("a 10% cheater at P = 5%: caught in {measured:.3} of batches of 100, formula {expected:.3}");
		assert!((measured - expected).abs() < 0.044, "caught {measured}, formula {expected}");
	}

	proptest! {
		/// P_verify grows with the fee, never exceeds p_max and never falls below min(p0, p_max).
		#[test]
		fn p_verify_is_monotone_and_capped(
			a in 0u128..u128::MAX / 2,
			b in 0u128..u128::MAX / 2,
			p0 in 0u32..=1_000_000_000,
			k in 0u32..=1_000_000_000,
			p_max in 0u32..=1_000_000_000,
			unit in 1u128..1_000_000_000_000,
		) {
			let (p0, k, p_max) = (Perbill::from_parts(p0), Perbill::from_parts(k), Perbill::from_parts(p_max));
			let (pa, pb) = (p_verify(a, p0, k, unit, p_max), p_verify(b, p0, k, unit, p_max));
			if a <= b {
				prop_assert!(pa <= pb);
			}
			prop_assert!(pa <= p_max);
			prop_assert!(pa >= p0.min(p_max));
		}

		/// Lower reputation never lowers the probability.
		#[test]
		fn lower_reputation_means_more_checks(p in 0u32..=1_000_000_000, r1 in 0u32..=1_000_000_000, r2 in 0u32..=1_000_000_000, m in 1u32..10) {
			let p = Perbill::from_parts(p);
			let (low, high) = (r1.min(r2), r1.max(r2));
			prop_assert!(reputation_scaled(p, Perbill::from_parts(low), m) >= reputation_scaled(p, Perbill::from_parts(high), m));
		}
	}
}
