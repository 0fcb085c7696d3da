//! How other pallets use the race's results.

use crate::RaceIndex;
use alloc::vec::Vec;
use frame_support::weights::Weight;

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

/// Told of every finalized race's accepted weights, once, as the race concludes: the pallet
/// that rewards compute (issuance) counts them towards the day's work.
pub trait OnWeightsAccepted<AccountId> {
	/// `weights`: everyone with accepted weight in `race`, heaviest first. Returns the weight
	/// the hook used, which the race adds to the block's.
	fn weights_accepted(race: RaceIndex, weights: &[(AccountId, u64)]) -> Weight;
}

impl<AccountId> OnWeightsAccepted<AccountId> for () {
	fn weights_accepted(_race: RaceIndex, _weights: &[(AccountId, u64)]) -> Weight {
		Weight::zero()
	}
}
