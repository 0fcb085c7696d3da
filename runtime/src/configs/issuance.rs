//! Issuance: the pow2 schedule (600M in 12 subsidy batches, the minimum daily issuance),
//! paid by accepted race weight, with the training fund's share and the validators' era payout.

use crate::{
	governance::{origins::Spender, ParameterAdmin},
	AccountId, Balances, BlockNumber, Runtime, Slashing, Workers,
};
use frame_support::{
	parameter_types,
	traits::{ConstU32, EitherOf},
	PalletId,
};
use frame_system::EnsureRootWithSuccess;
use sp_runtime::{traits::AccountIdConversion, Perbill};

#[cfg(not(feature = "fast-runtime"))]
pub const DAY_LENGTH: BlockNumber = crate::time::DAYS;
/// Two minutes of three-second blocks: a race (24 blocks) finalizes inside a day, and the
/// end-to-end tests see days close and pay.
#[cfg(feature = "fast-runtime")]
pub const DAY_LENGTH: BlockNumber = 40;

parameter_types! {
	/// The Decentralized AI Training Fund's account (pow2 Appendix K).
	pub TrainingFundAccount: AccountId = PalletId(*b"ail2/trn").into_account_truncating();
	/// The "Additional Hardware Provider Reward" pool (pow2 Appendix E): 120M at genesis on
	/// the `testnet` preset, distributed by governance.
	pub HardwareRewardAccount: AccountId = PalletId(*b"ail2/hwr").into_account_truncating();
	/// The "Hardware provider liquidity pool" (pow2 Appendix E): 120M at genesis on the
	/// `testnet` preset, sold by rules governance sets.
	pub LiquidityPoolAccount: AccountId = PalletId(*b"ail2/liq").into_account_truncating();
	/// 20 % of inference revenue (pow2 §4).
	pub const DefaultTrainingShare: Perbill = Perbill::from_percent(20);
	/// A tenth of each day's issuance secures the chain; the rest rewards compute.
	pub const DefaultValidatorShare: Perbill = Perbill::from_percent(10);
	/// Staking never takes more than 30 % of the hardware providers' schedule.
	pub const MaxValidatorShare: Perbill = Perbill::from_percent(30);
}

impl pallet_issuance::Config for Runtime {
	type Currency = Balances;
	type Workers = Workers;
	type Violations = Slashing;
	type TrainingFundAccount = TrainingFundAccount;
	type DayLength = ConstU32<DAY_LENGTH>;
	/// The validators' share (and the training fund's after year 5): a parameter-admin
	/// referendum, or root.
	type ParamsOrigin = ParameterAdmin;
	/// Training grants by the treasury's spender tracks, each capped as its treasury spends
	/// are, or root.
	type GrantOrigin =
		EitherOf<EnsureRootWithSuccess<AccountId, super::treasury::MaxBalance>, Spender>;
	type DefaultTrainingShare = DefaultTrainingShare;
	type DefaultValidatorShare = DefaultValidatorShare;
	type MaxValidatorShare = MaxValidatorShare;
	/// A fleet of 1,000 is paid in four blocks.
	type MaxPaidPerBlock = ConstU32<256>;
	type WeightInfo = crate::weights::pallet_issuance::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = super::benchmarks::Setup;
}
