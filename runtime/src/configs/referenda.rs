//! Referenda on AIL2's tracks (`crate::governance::tracks`): anyone submits (the
//! parameter track excepted), a decision deposit starts the decision, conviction votes
//! decide, the scheduler enacts.

use crate::{
	currency::UNITS,
	governance::{tracks::TracksInfo, ReferendumCanceller, ReferendumKiller, SubmitOrigin},
	Balance, Balances, BlockNumber, Preimage, Runtime, RuntimeCall, RuntimeEvent, Scheduler,
	System, Treasury,
};
use frame_support::{parameter_types, traits::ConstU32};

parameter_types! {
	/// Held from submission; returned (`refund_submission_deposit`) once the referendum is
	/// approved or cancelled, kept if it is rejected or times out. It keeps the queue free
	/// of spam.
	pub const SubmissionDeposit: Balance = 10 * UNITS;
}

#[cfg(not(feature = "fast-runtime"))]
parameter_types! {
	/// A referendum nobody places a decision deposit for is dropped after two weeks.
	pub const UndecidingTimeout: BlockNumber = 14 * crate::time::DAYS;
}
#[cfg(feature = "fast-runtime")]
parameter_types! {
	pub const UndecidingTimeout: BlockNumber = 30;
}

impl pallet_referenda::Config for Runtime {
	type RuntimeCall = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_referenda::weights::SubstrateWeight<Runtime>;
	type Scheduler = Scheduler;
	type Currency = Balances;
	type SubmitOrigin = SubmitOrigin;
	type CancelOrigin = ReferendumCanceller;
	type KillOrigin = ReferendumKiller;
	/// A killed referendum's deposits go to the treasury.
	type Slash = Treasury;
	type Votes = pallet_conviction_voting::VotesOf<Runtime>;
	type Tally = pallet_conviction_voting::TallyOf<Runtime>;
	type SubmissionDeposit = SubmissionDeposit;
	type MaxQueued = ConstU32<100>;
	type UndecidingTimeout = UndecidingTimeout;
	/// Alarms every block: the fast runtime's periods are a few blocks long.
	type AlarmInterval = ConstU32<1>;
	type Tracks = TracksInfo;
	type Preimages = Preimage;
	type BlockNumberProvider = System;
}
