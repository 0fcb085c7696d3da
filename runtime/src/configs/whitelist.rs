//! The whitelist: the Security Council (2/3) whitelists a call's hash; a referendum on the
//! whitelisted-caller track (fast, little support needed) then dispatches it as root.

use crate::{
	governance::{origins, WhitelistOrigin},
	AccountId, Preimage, Runtime, RuntimeCall, RuntimeEvent, System,
};
use frame_support::traits::{ConstU32, EitherOf};
use frame_system::EnsureRoot;

impl pallet_whitelist::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WhitelistOrigin = WhitelistOrigin;
	type DispatchWhitelistedOrigin = EitherOf<EnsureRoot<AccountId>, origins::WhitelistedCaller>;
	type Preimages = Preimage;
	/// A deferred dispatch expires after a day of blocks.
	type DeferredDispatchExpiration = ConstU32<{ crate::time::DAYS }>;
	type BlockNumberProvider = System;
	type WeightInfo = pallet_whitelist::weights::SubstrateWeight<Runtime>;
}
