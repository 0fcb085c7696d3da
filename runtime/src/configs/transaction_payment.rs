use crate::{currency::MILLICENTS, Balance, Balances, Runtime, RuntimeEvent};
use frame_support::{
	parameter_types,
	weights::{
		constants::ExtrinsicBaseWeight, WeightToFeeCoefficient, WeightToFeeCoefficients,
		WeightToFeePolynomial,
	},
};
use pallet_transaction_payment::{FungibleAdapter, Multiplier, TargetedFeeAdjustment};
use smallvec::smallvec;
use sp_runtime::{traits::Bounded, FixedPointNumber, Perbill, Perquintill};

parameter_types! {
	/// One byte of transaction costs as much as a thousandth of a cent.
	pub const TransactionByteFee: Balance = MILLICENTS;
	/// Operational transactions (e.g. equivocation reports) may pay 5x for priority.
	pub const OperationalFeeMultiplier: u8 = 5;
	/// Fees rise when blocks are fuller than this.
	pub const TargetBlockFullness: Perquintill = Perquintill::from_percent(25);
	/// How fast the fee multiplier follows congestion (as Polkadot's relay chain).
	pub AdjustmentVariable: Multiplier = Multiplier::saturating_from_rational(75, 1_000_000);
	pub MinimumMultiplier: Multiplier = Multiplier::saturating_from_rational(1, 10u128);
	pub MaximumMultiplier: Multiplier = Bounded::max_value();
}

/// Maps weight to fee so that an extrinsic of base weight costs 10 millicents.
pub struct WeightToFee;
impl WeightToFeePolynomial for WeightToFee {
	type Balance = Balance;
	fn polynomial() -> WeightToFeeCoefficients<Self::Balance> {
		let p = 10 * MILLICENTS;
		let q = Balance::from(ExtrinsicBaseWeight::get().ref_time());
		smallvec![WeightToFeeCoefficient {
			degree: 1,
			negative: false,
			coeff_frac: Perbill::from_rational(p.checked_rem(q).unwrap_or(0), q),
			coeff_integer: p.checked_div(q).unwrap_or(0),
		}]
	}
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	/// Fees are burned until the treasury exists to receive them.
	type OnChargeTransaction = FungibleAdapter<Balances, ()>;
	type WeightToFee = WeightToFee;
	type LengthToFee = frame_support::weights::ConstantMultiplier<Balance, TransactionByteFee>;
	type FeeMultiplierUpdate = TargetedFeeAdjustment<
		Self,
		TargetBlockFullness,
		AdjustmentVariable,
		MinimumMultiplier,
		MaximumMultiplier,
	>;
	type OperationalFeeMultiplier = OperationalFeeMultiplier;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}
