use crate::{
	currency::{MILLICENTS, UNITS},
	Balance, Balances, Runtime, RuntimeHoldReason, Workers,
};
use frame_support::parameter_types;
use pallet_models::RevenueSplitBounds;
use sp_runtime::Perbill;

parameter_types! {
	/// Held while a model is proposed or live: makes spam proposals costly.
	pub const ModelDeposit: Balance = 100 * UNITS;
	/// Unit-of-compute price before any worker votes.
	pub const InitialUnitPrice: Balance = MILLICENTS;
	/// Revenue-split bounds at genesis (whitepaper §9.1; governance changes them with
	/// `set_params`). The worker, who pays for the GPU and power, keeps at least half; the
	/// treasury, which funds the protocol, gets at least 1 %; a model owner takes at most
	/// 40 %, so a model cannot be priced as mostly royalty. No ecosystem floor yet. The
	/// split every test and script uses, 70/20/7/3, lies within them.
	pub const DefaultSplitBounds: RevenueSplitBounds = RevenueSplitBounds {
		min_worker: Perbill::from_percent(50),
		min_treasury: Perbill::from_percent(1),
		min_ecosystem: Perbill::zero(),
		max_model_owner: Perbill::from_percent(40),
	};
}

impl pallet_models::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	/// A model-admin referendum (or root).
	type ApproveOrigin = crate::governance::ModelAdmin;
	type PriceVotes = Workers;
	/// A parameter-admin referendum (only the Parameter Committee submits; token holders
	/// approve) or root.
	type ParamsOrigin = crate::governance::ParameterAdmin;
	type DefaultParams = DefaultSplitBounds;
	type ModelDeposit = ModelDeposit;
	type EpochLength = super::workers::PriceEpochLength;
	type InitialUnitPrice = InitialUnitPrice;
	type WeightInfo = crate::weights::pallet_models::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = super::benchmarks::Setup;
}
