//! Conviction voting (whitepaper §9: weight by stake × duration): a vote counts its balance
//! times its conviction (0.1x unlocked, up to 6x for 32 lock periods); delegation per track.

use crate::{AccountId, Balances, BlockNumber, Referenda, Runtime, RuntimeEvent, System};
use frame_support::{
	parameter_types,
	traits::{tokens::currency::ActiveIssuanceOf, ConstU32},
};

#[cfg(not(feature = "fast-runtime"))]
parameter_types! {
	/// One lock period: conviction 1 locks a winning vote this long after the referendum.
	pub const VoteLockingPeriod: BlockNumber = 7 * crate::time::DAYS;
}
#[cfg(feature = "fast-runtime")]
parameter_types! {
	pub const VoteLockingPeriod: BlockNumber = 10;
}

impl pallet_conviction_voting::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_conviction_voting::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type Polls = Referenda;
	/// Support is measured against the active issuance.
	type MaxTurnout = ActiveIssuanceOf<Balances, AccountId>;
	/// Votes one account may hold at once on one track.
	type MaxVotes = ConstU32<512>;
	type VoteLockingPeriod = VoteLockingPeriod;
	type BlockNumberProvider = System;
	type VotingHooks = ();
}
