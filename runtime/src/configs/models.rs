use crate::{
	currency::{MILLICENTS, UNITS},
	Balance, Balances, Runtime, RuntimeHoldReason, Workers,
};
use frame_support::parameter_types;

parameter_types! {
	/// Held while a model is proposed or live: makes spam proposals costly.
	pub const ModelDeposit: Balance = 100 * UNITS;
	/// Unit-of-compute price before any worker votes.
	pub const InitialUnitPrice: Balance = MILLICENTS;
}

impl pallet_models::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	/// A model-admin referendum (or root).
	type ApproveOrigin = crate::governance::ModelAdmin;
	type PriceVotes = Workers;
	type ModelDeposit = ModelDeposit;
	type EpochLength = super::workers::PriceEpochLength;
	type InitialUnitPrice = InitialUnitPrice;
	type WeightInfo = crate::weights::pallet_models::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = super::benchmarks::Setup;
}
