//! Elections of the Security Council by token holders (sequential Phragmén over approval
//! votes weighted by the voters' balances): fixed terms, runners-up replace members who
//! leave, and a root referendum can remove a member (`elections.remove_member`).

use crate::{
	currency::{deposit, UNITS},
	Balance, Balances, BlockNumber, Council, Runtime, RuntimeEvent, Treasury,
};
use frame_support::{
	parameter_types,
	traits::{ConstU32, LockIdentifier},
};

parameter_types! {
	pub const ElectionsPalletId: LockIdentifier = *b"phrelect";
	/// A candidate's bond: returned to winners and runners-up, slashed from losers.
	pub const CandidacyBond: Balance = 1_000 * UNITS;
	/// A voter's bond: one storage item plus 32 bytes per candidate voted for.
	pub const VotingBondBase: Balance = deposit(1, 64);
	pub const VotingBondFactor: Balance = deposit(0, 32);
	/// Seven members: a 2/3 motion needs five of them.
	pub const DesiredMembers: u32 = 7;
	pub const DesiredRunnersUp: u32 = 7;
}

#[cfg(not(feature = "fast-runtime"))]
parameter_types! {
	/// A term lasts a week; an election closes each term.
	pub const TermDuration: BlockNumber = 7 * crate::time::DAYS;
}
#[cfg(feature = "fast-runtime")]
parameter_types! {
	pub const TermDuration: BlockNumber = 100;
}

impl pallet_elections_phragmen::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type PalletId = ElectionsPalletId;
	type Currency = Balances;
	type ChangeMembers = Council;
	type InitializeMembers = Council;
	type CurrencyToVote = sp_staking::currency_to_vote::U128CurrencyToVote;
	type CandidacyBond = CandidacyBond;
	type VotingBondBase = VotingBondBase;
	type VotingBondFactor = VotingBondFactor;
	/// Bonds of candidates who did not make it go to the treasury…
	type LoserCandidate = Treasury;
	/// …as do the bonds of members removed by referendum.
	type KickedMember = Treasury;
	type DesiredMembers = DesiredMembers;
	type DesiredRunnersUp = DesiredRunnersUp;
	type TermDuration = TermDuration;
	type MaxCandidates = ConstU32<64>;
	type MaxVoters = ConstU32<512>;
	type MaxVotesPerVoter = ConstU32<16>;
	type WeightInfo = pallet_elections_phragmen::weights::SubstrateWeight<Runtime>;
}
