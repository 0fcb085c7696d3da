//! How other pallets use the race's results.

use crate::RaceIndex;
use alloc::vec::Vec;

/// Compute weights from the latest finalized race, for the pallets that distribute tasks,
/// verification and rewards by them.
pub trait ComputeWeights<AccountId> {
	/// The latest finalized race, if any.
	fn latest_race() -> Option<RaceIndex>;
	/// `who`'s weight in the latest finalized race: its number of accepted hits.
	fn weight_of(who: &AccountId) -> u64;
	/// The sum of all weights in the latest finalized race.
	fn total_weight() -> u64;
	/// Everyone with weight in the latest finalized race, heaviest first.
	fn weights() -> Vec<(AccountId, u64)>;
}
