use crate::{
	currency::UNITS, AccountId, Balance, Balances, BlockNumber, Models, Runtime, RuntimeHoldReason,
	Workers,
};
use frame_support::{parameter_types, traits::ConstU32, PalletId};
use pallet_receipts::{ChallengeWindow, SettlementParams};
use sp_runtime::traits::AccountIdConversion;

parameter_types! {
	/// The treasury's account (pallet-treasury's id, so the treasury pallet finds it).
	pub TreasuryAccount: AccountId = PalletId(*b"py/trsry").into_account_truncating();
	/// The ecosystem fund's account.
	pub EcosystemAccount: AccountId = PalletId(*b"ail2/eco").into_account_truncating();
}

#[cfg(not(feature = "fast-runtime"))]
mod settlement {
	use crate::{
		time::{DAYS, HOURS, MINUTES},
		BlockNumber,
	};
	/// `BaseWindow` of §8.5.
	pub const BASE_WINDOW: BlockNumber = 30 * MINUTES;
	/// The most `AdditionalTime` adds: the longest window is 6.5 hours.
	pub const MAX_EXTRA_WINDOW: BlockNumber = 6 * HOURS;
	/// Longer than the longest window.
	pub const WITHDRAWAL_DELAY: BlockNumber = DAYS;
	pub const GATEWAY_REVOCATION_DELAY: BlockNumber = HOURS;
	/// The longest window governance may set: a week.
	pub const MAX_CHALLENGE_WINDOW: BlockNumber = 7 * DAYS;
	/// The longest withdrawal or revocation delay governance may set: thirty days.
	pub const MAX_WITHDRAWAL_DELAY: BlockNumber = 30 * DAYS;
	/// A closed batch's record is kept a week for workers and watchers to read.
	pub const PRUNE_DELAY: BlockNumber = 7 * DAYS;
}
/// The end-to-end tests' settlement, in three-second blocks: windows of 30 to 90 s, escrow
/// leaving after 2 minutes; governance may set windows up to 10 minutes and delays up to 20.
#[cfg(feature = "fast-runtime")]
mod settlement {
	use crate::BlockNumber;
	pub const BASE_WINDOW: BlockNumber = 10;
	pub const MAX_EXTRA_WINDOW: BlockNumber = 20;
	pub const WITHDRAWAL_DELAY: BlockNumber = 40;
	pub const GATEWAY_REVOCATION_DELAY: BlockNumber = 10;
	pub const MAX_CHALLENGE_WINDOW: BlockNumber = 200;
	pub const MAX_WITHDRAWAL_DELAY: BlockNumber = 400;
	/// Ten minutes: longer than any end-to-end test reads a closed batch.
	pub const PRUNE_DELAY: BlockNumber = 200;
}
pub use settlement::*;

parameter_types! {
	/// The settlement parameters at genesis and after `MigrateToV1`: one more block of
	/// window per 1,000 receipts and per 10 AIL2 of value.
	pub const DefaultSettlementParams: SettlementParams<BlockNumber, Balance> = SettlementParams {
		challenge_window: ChallengeWindow {
			base: BASE_WINDOW,
			receipts_per_extra_block: 1_000,
			value_per_extra_block: 10 * UNITS,
			max_extra: MAX_EXTRA_WINDOW,
		},
		withdrawal_delay: WITHDRAWAL_DELAY,
		gateway_revocation_delay: GATEWAY_REVOCATION_DELAY,
	};
	pub const MaxChallengeWindow: BlockNumber = MAX_CHALLENGE_WINDOW;
	pub const MaxWithdrawalDelay: BlockNumber = MAX_WITHDRAWAL_DELAY;
}

impl pallet_receipts::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Workers = Workers;
	type Models = Models;
	/// Proof of inference audits every batch and holds its settlement while spot checks run;
	/// Challenges holds it while a leaf asked for in a data-availability challenge is unposted.
	type Audit = (crate::Poi, crate::Challenges);
	/// Issuance takes the training fund's share of every batch and mints the demand subsidy
	/// its fees earn.
	type Revenue = crate::Issuance;
	type TreasuryAccount = TreasuryAccount;
	type EcosystemAccount = EcosystemAccount;
	/// A parameter-admin referendum (only the Parameter Committee submits; token holders
	/// approve) or root.
	type ParamsOrigin = crate::governance::ParameterAdmin;
	type DefaultParams = DefaultSettlementParams;
	type MaxChallengeWindow = MaxChallengeWindow;
	type MaxWithdrawalDelay = MaxWithdrawalDelay;
	type MaxGatewayKeys = ConstU32<16>;
	type PruneDelay = ConstU32<PRUNE_DELAY>;
	/// Well below a block's idle weight: 64 removals are about 1.3 ms and 64 × 3.6 kB of
	/// proof at the estimated weight.
	type MaxPrunedPerBlock = ConstU32<64>;
	type WeightInfo = crate::weights::pallet_receipts::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = super::benchmarks::Setup;
}
