//! Weighted draws without replacement, for committees and validator assignments: the
//! arbitration committee of whitepaper §8.5 (`RandomSelect(Stakers, CommitteeSize,
//! weight = Stake)`) and the race's validators drawn by previous compute weight.

use crate::keccak256;
use alloc::vec::Vec;
use codec::Encode;

/// Draws up to `size` distinct members from `candidates`, each draw picking a candidate with
/// probability proportional to its weight among those not yet drawn. `seed` is the
/// randomness; draw `i` uses `keccak256(seed ‖ i)` as a 128-bit number reduced modulo the
/// remaining weight (the modulo bias is below 2^-64 for any realistic total). Candidates
/// without weight are never drawn. O(size × candidates), both bounded by the caller.
pub fn weighted<AccountId: Clone>(
	seed: &[u8],
	mut candidates: Vec<(AccountId, u128)>,
	size: u32,
) -> Vec<AccountId> {
	candidates.retain(|(_, weight)| *weight > 0);
	let mut total = candidates.iter().fold(0u128, |sum, (_, weight)| sum.saturating_add(*weight));
	let mut drawn = Vec::new();
	for i in 0..size {
		if candidates.is_empty() || total == 0 {
			break;
		}
		let digest = keccak256(&(seed, i).encode());
		let mut low = [0u8; 16];
		low.copy_from_slice(digest.get(..16).unwrap_or(&[0u8; 16]));
		let mut point = u128::from_le_bytes(low).checked_rem(total).unwrap_or(0);
		let mut chosen = candidates.len().saturating_sub(1);
		for (position, (_, weight)) in candidates.iter().enumerate() {
			if point < *weight {
				chosen = position;
				break;
			}
			point = point.saturating_sub(*weight);
		}
		let (member, weight) = candidates.swap_remove(chosen);
		total = total.saturating_sub(weight);
		drawn.push(member);
	}
	drawn
}

/// Draws per member at most this many attempts in [`weighted_cumulative`].
pub const ATTEMPTS_PER_MEMBER: u32 = 16;

/// Draws up to `size` distinct positions of a weighted list given by its running totals
/// (`cumulative[i] = w₀ + … + wᵢ`, non-decreasing), never `excluded`; each draw picks a
/// position with probability proportional to its weight among those not yet drawn nor
/// excluded. By rejection: attempt `a` reads `keccak256(seed ‖ a as 4 bytes LE)`'s first 16
/// bytes as a little-endian number, reduces it modulo the total weight, takes the first
/// position whose running total exceeds it, and discards it if already drawn or excluded.
/// At most `ATTEMPTS_PER_MEMBER × size` attempts, so a list whose weight sits almost all on
/// the excluded member yields fewer. O(attempts × log n): what a pallet can afford per call
/// over thousands of candidates, where [`weighted`] is O(size × n).
pub fn weighted_cumulative(
	seed: &[u8],
	cumulative: &[u64],
	size: u32,
	excluded: Option<usize>,
) -> Vec<usize> {
	let total = u128::from(cumulative.last().copied().unwrap_or(0));
	let mut drawn: Vec<usize> = Vec::new();
	if total == 0 {
		return drawn;
	}
	let attempts = ATTEMPTS_PER_MEMBER.saturating_mul(size);
	let mut bytes = Vec::with_capacity(seed.len().saturating_add(4));
	for attempt in 0..attempts {
		if drawn.len() >= size as usize {
			break;
		}
		bytes.clear();
		bytes.extend_from_slice(seed);
		bytes.extend_from_slice(&attempt.to_le_bytes());
		let digest = keccak256(&bytes);
		let mut low = [0u8; 16];
		low.copy_from_slice(digest.get(..16).unwrap_or(&[0u8; 16]));
		let point = u128::from_le_bytes(low).checked_rem(total).unwrap_or(0);
		let position = cumulative.partition_point(|&running| u128::from(running) <= point);
		if position < cumulative.len() && Some(position) != excluded && !drawn.contains(&position) {
			drawn.push(position);
		}
	}
	drawn
}

/// [`weighted_cumulative`] over a pool of members with running totals, returning the drawn
/// members with their own weights (each running total less the one before it), never
/// `excluded`. The race's validator assignment: the pallet and the workers both call it.
pub fn weighted_members<A: PartialEq + Clone>(
	seed: &[u8],
	pool: &[(A, u64)],
	size: u32,
	excluded: Option<&A>,
) -> Vec<(A, u64)> {
	let cumulative: Vec<u64> = pool.iter().map(|(_, running)| *running).collect();
	let excluded = excluded.and_then(|member| pool.iter().position(|(who, _)| who == member));
	weighted_cumulative(seed, &cumulative, size, excluded)
		.into_iter()
		.filter_map(|position| {
			let (who, running) = pool.get(position)?;
			let below = position.checked_sub(1).and_then(|p| pool.get(p)).map_or(0, |(_, r)| *r);
			Some((who.clone(), running.saturating_sub(below)))
		})
		.collect()
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
mod tests {
	use super::*;
	use alloc::{vec, vec::Vec};

	#[test]
	fn cumulative_draws_are_distinct_weighted_and_skip_the_excluded() {
		// Weights 10, 0, 5, 1 as running totals.
		let cumulative = [10u64, 10, 15, 16];
		let mut first = [0u32; 4];
		for seed in 0u32..2_000 {
			let drawn = weighted_cumulative(&seed.to_le_bytes(), &cumulative, 2, Some(3));
			assert_eq!(drawn.len(), 2, "two of the three drawable members");
			assert!(!drawn.contains(&1), "no weight, never drawn");
			assert!(!drawn.contains(&3), "excluded, never drawn");
			assert_ne!(drawn[0], drawn[1]);
			first[drawn[0]] += 1;
		}
		// The first draw among {0: 10, 2: 5}: two to one.
		assert!((1_200..1_450).contains(&first[0]), "{first:?}");
		assert_eq!(first[0] + first[2], 2_000);
		assert_eq!(weighted_cumulative(b"seed", &[], 3, None), Vec::<usize>::new());
		assert_eq!(weighted_cumulative(b"seed", &[0, 0], 3, None), Vec::<usize>::new());
		// All the weight on the excluded member: nobody, after bounded attempts.
		assert_eq!(
			weighted_cumulative(b"seed", &[1_000_000_000, 1_000_000_000], 3, Some(0)),
			Vec::<usize>::new()
		);
		// The same seed gives the same draw.
		assert_eq!(
			weighted_cumulative(b"seed", &cumulative, 3, None),
			weighted_cumulative(b"seed", &cumulative, 3, None)
		);
	}

	#[test]
	fn weighted_members_carry_their_own_weights_and_skip_the_excluded() {
		// Members 'a'..'d' of weights 10, 0, 5, 1 as running totals.
		let pool = [('a', 10u64), ('b', 10), ('c', 15), ('d', 16)];
		for seed in 0u32..200 {
			let drawn = weighted_members(&seed.to_le_bytes(), &pool, 3, Some(&'a'));
			// 'b' has no weight and 'a' is excluded: only 'c' and 'd', with weights 5 and 1
			// ('d', a sixteenth of the total, may not be hit in the bounded attempts).
			assert!(!drawn.is_empty(), "seed {seed}");
			for member in &drawn {
				assert!([('c', 5), ('d', 1)].contains(member), "seed {seed}: {member:?}");
			}
			let positions = weighted_cumulative(&seed.to_le_bytes(), &[10, 10, 15, 16], 3, Some(0));
			let order: Vec<char> = positions.iter().map(|&p| pool[p].0).collect();
			assert_eq!(drawn.iter().map(|(who, _)| *who).collect::<Vec<_>>(), order);
		}
		// A member that is not in the pool excludes nobody.
		let everyone = weighted_members(b"seed", &pool, 4, Some(&'z'));
		assert_eq!(everyone.len(), 3, "all three with weight: {everyone:?}");
		assert_eq!(weighted_members::<char>(b"seed", &[], 3, None), Vec::new());
	}

	#[test]
	fn members_are_distinct_and_weighted() {
		let candidates = vec![(1u32, 10u128), (2, 0), (3, 5), (4, 1)];
		for seed in 0u32..200 {
			let drawn = weighted(&seed.encode(), candidates.clone(), 3);
			assert_eq!(drawn.len(), 3);
			assert!(!drawn.contains(&2), "a candidate without weight is never drawn");
			let mut sorted = drawn.clone();
			sorted.sort();
			sorted.dedup();
			assert_eq!(sorted.len(), 3);
		}
		// Fewer candidates than seats: everyone with weight, once.
		let mut all = weighted(b"seed", candidates, 10);
		all.sort();
		assert_eq!(all, vec![1, 3, 4]);
	}

	#[test]
	fn the_same_seed_draws_the_same_members() {
		let candidates: Vec<(u32, u128)> = (0..50).map(|i| (i, 1 + i as u128)).collect();
		assert_eq!(
			weighted(b"abc", candidates.clone(), 7),
			weighted(b"abc", candidates.clone(), 7)
		);
		assert_ne!(weighted(b"abc", candidates.clone(), 7), weighted(b"abd", candidates, 7));
	}

	#[test]
	fn first_seats_follow_weight() {
		// Weights 1 : 3; over 4,000 seeds the heavy candidate takes the single seat about
		// 75% of the time (binomial σ ≈ 27, the band below is ±5σ).
		let candidates = vec![(1u32, 1_000u128), (2, 3_000)];
		let heavy = (0u32..4_000)
			.filter(|seed| weighted(&seed.encode(), candidates.clone(), 1) == vec![2])
			.count();
		assert!((2_865..=3_135).contains(&heavy), "heavy drawn {heavy} times of 4000");
	}
}
