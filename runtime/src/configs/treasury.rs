//! The treasury (`py/trsry`): receives 80 % of transaction fees, slashed stake and the
//! treasury shares of settlement, races and slashes; pays out only through `spend`, by a
//! referendum on a spender track (each capped) or root.

use crate::{
	governance::origins::Spender, AccountId, Balance, Balances, BlockNumber, Runtime, RuntimeEvent,
	System,
};
use frame_support::{
	parameter_types,
	traits::{
		tokens::{imbalance::ResolveTo, pay::PayFromAccount, UnityAssetBalanceConversion},
		EitherOf,
	},
	PalletId,
};
use frame_system::{EnsureRoot, EnsureRootWithSuccess};
use sp_runtime::{traits::IdentityLookup, Permill};

pub use super::receipts::TreasuryAccount;

/// Pays a credit into the treasury's account (fees' and staking slashes' treasury shares).
pub type ToTreasury = ResolveTo<TreasuryAccount, Balances>;

parameter_types! {
	pub const TreasuryPalletId: PalletId = PalletId(*b"py/trsry");
	/// Root may spend any amount (a root referendum is the strictest track).
	pub const MaxBalance: Balance = Balance::MAX;
	/// AIL2 burns nothing from the treasury: unspent funds stay for later spends.
	pub const TreasuryBurn: Permill = Permill::zero();
}

#[cfg(not(feature = "fast-runtime"))]
parameter_types! {
	/// How often approved `spend_local` proposals are paid (kept for the pallet's old path).
	pub const SpendPeriod: BlockNumber = 6 * crate::time::DAYS;
	/// An approved spend must be claimed with `payout` within this period.
	pub const PayoutPeriod: BlockNumber = 30 * crate::time::DAYS;
}
#[cfg(feature = "fast-runtime")]
parameter_types! {
	pub const SpendPeriod: BlockNumber = 20;
	pub const PayoutPeriod: BlockNumber = 40;
}

impl pallet_treasury::Config for Runtime {
	type Currency = Balances;
	type RejectOrigin = EnsureRoot<AccountId>;
	type RuntimeEvent = RuntimeEvent;
	type SpendPeriod = SpendPeriod;
	type Burn = TreasuryBurn;
	type PalletId = TreasuryPalletId;
	type BurnDestination = ();
	type WeightInfo = pallet_treasury::weights::SubstrateWeight<Runtime>;
	type SpendFunds = ();
	type MaxApprovals = frame_support::traits::ConstU32<100>;
	type SpendOrigin = EitherOf<EnsureRootWithSuccess<AccountId, MaxBalance>, Spender>;
	/// Spends are in the native token only.
	type AssetKind = ();
	type Beneficiary = AccountId;
	type BeneficiaryLookup = IdentityLookup<AccountId>;
	type Paymaster = PayFromAccount<Balances, TreasuryAccount>;
	type BalanceConverter = UnityAssetBalanceConversion;
	type PayoutPeriod = PayoutPeriod;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ();
	type BlockNumberProvider = System;
}
