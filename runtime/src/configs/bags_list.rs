//! The sorted list of voters that staking's election reads, bucketed by stake.

use crate::{Runtime, RuntimeEvent, Staking};
use frame_election_provider_support::VoteWeight;

/// Number of bags in the voter list.
const BAG_COUNT: usize = 200;

/// Bag upper bounds: a geometric series with ratio 31/25 (about 1.24) from 1, the last bag
/// ending at `u64::MAX`, which spans the whole `VoteWeight` range in 200 strictly
/// increasing bags. Computed at compile time in integers so
/// the thresholds are the same on every build.
pub const VOTER_BAG_THRESHOLDS: [VoteWeight; BAG_COUNT] = {
	let mut bags = [0u64; BAG_COUNT];
	let mut current: u64 = 1;
	let mut i = 0;
	while i < BAG_COUNT {
		bags[i] = current;
		// next = current × 31/25, at least current + 1. The product is taken in u128 and
		// divided back below u64::MAX, so narrowing it cannot truncate.
		let step = ((current as u128) * 6 / 25) as u64;
		current = current.saturating_add(if step > 0 { step } else { 1 });
		i += 1;
	}
	bags[BAG_COUNT - 1] = VoteWeight::MAX;
	bags
};

frame_support::parameter_types! {
	pub const BagThresholds: &'static [VoteWeight] = &VOTER_BAG_THRESHOLDS;
}

impl pallet_bags_list::Config<pallet_bags_list::Instance1> for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_bags_list::weights::SubstrateWeight<Runtime>;
	/// Staking is the source of truth for each voter's weight.
	type ScoreProvider = Staking;
	type BagThresholds = BagThresholds;
	/// Voters are re-bagged by their own `rebag` calls, not automatically.
	type MaxAutoRebagPerBlock = ();
	type Score = VoteWeight;
}
