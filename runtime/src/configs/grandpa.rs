use super::{MaxAuthorities, MaxNominators, ReportLongevity};
use crate::{Historical, Offences, Runtime, RuntimeEvent};
use frame_support::traits::ConstU64;

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = MaxAuthorities;
	type MaxNominators = MaxNominators;
	/// Set ids kept for equivocation proofs: a bonding period of sessions.
	type MaxSetIdSessionEntries = ConstU64<{ 28 * 6 }>;
	type KeyOwnerProof = sp_session::MembershipProof;
	type EquivocationReportSystem =
		pallet_grandpa::EquivocationReportSystem<Self, Offences, Historical, ReportLongevity>;
}
