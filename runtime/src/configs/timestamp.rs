use crate::{time::SLOT_DURATION, Babe, Moment, Runtime};
use frame_support::traits::ConstU64;

impl pallet_timestamp::Config for Runtime {
	type Moment = Moment;
	/// BABE checks each block's slot against its timestamp.
	type OnTimestampSet = Babe;
	/// Half a slot, as BABE requires.
	type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
	type WeightInfo = pallet_timestamp::weights::SubstrateWeight<Runtime>;
}
