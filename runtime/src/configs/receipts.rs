use crate::{
	currency::UNITS, AccountId, Balance, Balances, BlockNumber, Models, Runtime, RuntimeHoldReason,
	Workers,
};
use frame_support::{parameter_types, traits::ConstU32, PalletId};
use sp_runtime::traits::AccountIdConversion;

#[cfg(not(feature = "fast-runtime"))]
use crate::time::{DAYS, HOURS, MINUTES};

parameter_types! {
	/// The treasury's account (pallet-treasury's id, so the treasury pallet finds it).
	pub TreasuryAccount: AccountId = PalletId(*b"py/trsry").into_account_truncating();
	/// The ecosystem fund's account.
	pub EcosystemAccount: AccountId = PalletId(*b"ail2/eco").into_account_truncating();
	/// One more block of window per 1,000 receipts…
	pub const ReceiptsPerExtraBlock: u64 = 1_000;
	/// …and per 10 AIL2 of value.
	pub const ValuePerExtraBlock: Balance = 10 * UNITS;
}

#[cfg(not(feature = "fast-runtime"))]
parameter_types! {
	/// `BaseWindow` of §8.5.
	pub const BaseWindow: BlockNumber = 30 * MINUTES;
	/// The most `AdditionalTime` adds: the longest window is 6.5 hours.
	pub const MaxExtraWindow: BlockNumber = 6 * HOURS;
	/// Longer than the longest window.
	pub const WithdrawalDelay: BlockNumber = DAYS;
	pub const GatewayRevocationDelay: BlockNumber = HOURS;
}

#[cfg(feature = "fast-runtime")]
parameter_types! {
	pub const BaseWindow: BlockNumber = 10;
	pub const MaxExtraWindow: BlockNumber = 20;
	pub const WithdrawalDelay: BlockNumber = 40;
	pub const GatewayRevocationDelay: BlockNumber = 10;
}

impl pallet_receipts::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Workers = Workers;
	type Models = Models;
	type TreasuryAccount = TreasuryAccount;
	type EcosystemAccount = EcosystemAccount;
	type BaseWindow = BaseWindow;
	type ReceiptsPerExtraBlock = ReceiptsPerExtraBlock;
	type ValuePerExtraBlock = ValuePerExtraBlock;
	type MaxExtraWindow = MaxExtraWindow;
	type WithdrawalDelay = WithdrawalDelay;
	type MaxGatewayKeys = ConstU32<16>;
	type GatewayRevocationDelay = GatewayRevocationDelay;
	type WeightInfo = crate::weights::pallet_receipts::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = super::benchmarks::Setup;
}
