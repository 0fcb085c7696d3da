use crate::{AccountId, Babe, Balances, Runtime, RuntimeEvent, SessionKeys, Staking};
use sp_runtime::traits::OpaqueKeys;

/// At most a sixth of the validators may be disabled at once (the BFT bound of 1/3 with a
/// safety margin); a disabled validator is re-enabled if a worse offender needs the slot.
const DISABLING_LIMIT_FACTOR: usize = 6;

impl pallet_session::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type ValidatorId = AccountId;
	type ValidatorIdOf = sp_runtime::traits::ConvertInto;
	/// Sessions end with BABE epochs.
	type ShouldEndSession = Babe;
	type NextSessionRotation = Babe;
	/// Staking decides the next validator set; historical keeps proofs of past sets.
	type SessionManager = pallet_session::historical::NoteHistoricalRoot<Self, Staking>;
	type SessionHandler = <SessionKeys as OpaqueKeys>::KeyTypeIdProviders;
	type Keys = SessionKeys;
	type DisablingStrategy =
		pallet_session::disabling::UpToLimitWithReEnablingDisablingStrategy<DISABLING_LIMIT_FACTOR>;
	type WeightInfo = pallet_session::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	/// Validators already bond stake; setting keys costs no extra deposit.
	type KeyDeposit = ();
}

impl pallet_session::historical::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type FullIdentification = ();
	type FullIdentificationOf = pallet_staking::UnitIdentificationOf<Self>;
}
