use crate::{Runtime, RuntimeCall, RuntimeEvent};

/// Sudo exists for development presets only; production genesis sets no key and
/// governance removes the pallet.
impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}
