//! The two collectives: `Council`, the Security Council (members elected by `Elections`),
//! and `TechnicalCommittee`, the Parameter Committee (members set by `TechnicalMembership`).
//! Motions need the proportions `crate::governance` names; a motion that is not closed
//! within `MotionDuration` can be closed by anyone and counts absent members as the prime
//! member voted.

use super::RuntimeBlockWeights;
use crate::{
	governance::{CouncilCollective, TechnicalCollective},
	AccountId, BlockNumber, Runtime, RuntimeCall, RuntimeEvent, RuntimeOrigin,
};
use frame_support::{parameter_types, traits::ConstU32, weights::Weight};
use frame_system::EnsureRoot;
use sp_runtime::Perbill;

#[cfg(not(feature = "fast-runtime"))]
parameter_types! {
	/// Emergencies are decided within a day or not at all.
	pub const CouncilMotionDuration: BlockNumber = crate::time::DAYS;
	pub const TechnicalMotionDuration: BlockNumber = 3 * crate::time::DAYS;
}
#[cfg(feature = "fast-runtime")]
parameter_types! {
	pub const CouncilMotionDuration: BlockNumber = 10;
	pub const TechnicalMotionDuration: BlockNumber = 10;
}

parameter_types! {
	/// A motion may dispatch at most half a block.
	pub MaxProposalWeight: Weight = Perbill::from_percent(50) * RuntimeBlockWeights::get().max_block;
}

/// The most members either body has (and the Security Council's size bound for elections).
pub type MaxCollectiveMembers = ConstU32<32>;

impl pallet_collective::Config<CouncilCollective> for Runtime {
	type RuntimeOrigin = RuntimeOrigin;
	type Proposal = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	type MotionDuration = CouncilMotionDuration;
	type MaxProposals = ConstU32<100>;
	type MaxMembers = MaxCollectiveMembers;
	type DefaultVote = pallet_collective::PrimeDefaultVote;
	type WeightInfo = pallet_collective::weights::SubstrateWeight<Runtime>;
	/// Members come from `Elections`; only root may overwrite them.
	type SetMembersOrigin = EnsureRoot<AccountId>;
	type MaxProposalWeight = MaxProposalWeight;
	type DisapproveOrigin = EnsureRoot<AccountId>;
	type KillOrigin = EnsureRoot<AccountId>;
	/// Members are elected and bonded; their motions need no deposit.
	type Consideration = ();
}

impl pallet_collective::Config<TechnicalCollective> for Runtime {
	type RuntimeOrigin = RuntimeOrigin;
	type Proposal = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	type MotionDuration = TechnicalMotionDuration;
	type MaxProposals = ConstU32<100>;
	type MaxMembers = MaxCollectiveMembers;
	type DefaultVote = pallet_collective::PrimeDefaultVote;
	type WeightInfo = pallet_collective::weights::SubstrateWeight<Runtime>;
	/// Members come from `TechnicalMembership`.
	type SetMembersOrigin = EnsureRoot<AccountId>;
	type MaxProposalWeight = MaxProposalWeight;
	type DisapproveOrigin = EnsureRoot<AccountId>;
	type KillOrigin = EnsureRoot<AccountId>;
	type Consideration = ();
}

/// The Parameter Committee's membership: changed by a root referendum only.
impl pallet_membership::Config<pallet_membership::Instance1> for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type AddOrigin = EnsureRoot<AccountId>;
	type RemoveOrigin = EnsureRoot<AccountId>;
	type SwapOrigin = EnsureRoot<AccountId>;
	type ResetOrigin = EnsureRoot<AccountId>;
	type PrimeOrigin = EnsureRoot<AccountId>;
	type MembershipInitialized = crate::TechnicalCommittee;
	type MembershipChanged = crate::TechnicalCommittee;
	type MaxMembers = MaxCollectiveMembers;
	type WeightInfo = pallet_membership::weights::SubstrateWeight<Runtime>;
}
