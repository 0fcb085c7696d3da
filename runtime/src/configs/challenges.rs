use crate::{
	currency::UNITS, Balance, Balances, BlockNumber, Models, Receipts, Runtime, RuntimeHoldReason,
	Slashing, Workers,
};
use frame_support::{
	parameter_types,
	traits::{ConstU32, Get},
};
use sp_runtime::Perbill;

/// The `chain_id` AIL2 receipts carry (the same number as the SS58 prefix).
pub const CHAIN_ID: u32 = 42;

parameter_types! {
	pub const ChainId: u32 = CHAIN_ID;
	/// What a challenger risks on a dispute the committee rejects.
	pub const DisputeBond: Balance = 50 * UNITS;
	pub const NonVoterPenalty: Perbill = Perbill::from_percent(5);
	/// Half a forfeited bond compensates the worker accused.
	pub const DefendantShare: Perbill = Perbill::from_percent(50);
	pub MaxCandidates: u32 = super::workers::MaxWorkers::get();
}

#[cfg(not(feature = "fast-runtime"))]
parameter_types! {
	pub const VotingPeriod: BlockNumber = 2 * crate::time::HOURS;
	/// An hour to post a leaf asked for: time for a worker that was restarting to come back.
	pub const AnswerPeriod: BlockNumber = crate::time::HOURS;
}
#[cfg(feature = "fast-runtime")]
parameter_types! {
	pub const VotingPeriod: BlockNumber = 10;
	pub const AnswerPeriod: BlockNumber = 20;
}

parameter_types! {
	/// What asking for a leaf costs when the worker posts it: enough to make asking for every
	/// leaf of every batch expensive, little against a batch a watcher cannot check.
	pub const AvailabilityBond: Balance = 5 * UNITS;
}

impl pallet_challenges::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Batches = Receipts;
	type Workers = Workers;
	type Models = Models;
	type Violations = Slashing;
	/// Known a whole epoch before any dispute is opened, chosen by no block author.
	type Randomness = pallet_babe::RandomnessFromOneEpochAgo<Runtime>;
	/// The VRF output of the draw block's parent, authored after the dispute was opened; its
	/// author can only withhold it (losing the block), not choose it.
	type DrawRandomness = pallet_babe::ParentBlockRandomness<Runtime>;
	type DrawDelay = ConstU32<2>;
	type MaxDrawsPerBlock = ConstU32<8>;
	type ChainId = ChainId;
	type DisputeBond = DisputeBond;
	type CommitteeSize = ConstU32<5>;
	type MinCommitteeSize = ConstU32<3>;
	type MaxCandidates = MaxCandidates;
	type VotingPeriod = VotingPeriod;
	type NonVoterPenalty = NonVoterPenalty;
	type DefendantShare = DefendantShare;
	type TreasuryAccount = super::receipts::TreasuryAccount;
	/// Root, a slashing-admin referendum, or the Security Council with 2/3 at once.
	type EmergencyOrigin = crate::governance::BatchEmergency;
	type AvailabilityBond = AvailabilityBond;
	type AnswerPeriod = AnswerPeriod;
	type WeightInfo = crate::weights::pallet_challenges::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = super::benchmarks::Setup;
}
