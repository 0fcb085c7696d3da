use crate::{Runtime, RuntimeEvent, Staking};

impl pallet_offences::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type IdentificationTuple = pallet_session::historical::IdentificationTuple<Self>;
	/// Staking slashes and disables offenders.
	type OnOffenceHandler = Staking;
}
