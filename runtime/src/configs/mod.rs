//! Pallet configurations, one file per pallet.

mod authorship;
mod babe;
mod bags_list;
mod balances;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarks;
mod challenges;
mod collective;
mod conviction_voting;
mod elections;
mod grandpa;
mod issuance;
mod models;
mod multisig;
mod offences;
mod origins;
mod poi;
mod preimage;
mod proxy;
mod race;
mod receipts;
mod referenda;
mod scheduler;
mod session;
mod slashing;
mod staking;
mod sudo;
mod system;
mod timestamp;
mod transaction_payment;
mod treasury;
mod utility;
mod vesting;
mod whitelist;
mod workers;

pub use bags_list::VOTER_BAG_THRESHOLDS;
pub use challenges::CHAIN_ID;
pub use issuance::{HardwareRewardAccount, LiquidityPoolAccount, TrainingFundAccount, DAY_LENGTH};
pub use proxy::ProxyType;
pub use race::dev_params as dev_race_params;
pub use receipts::{EcosystemAccount, TreasuryAccount};
pub use staking::{BondingDuration, ScheduledEraPayout, SessionsPerEra};
pub use system::{RuntimeBlockLength, RuntimeBlockWeights, AVERAGE_ON_INITIALIZE_RATIO};
pub use transaction_payment::DealWithFees;

use frame_support::parameter_types;

parameter_types! {
	/// The most validators BABE and GRANDPA accept in one set.
	pub const MaxAuthorities: u32 = 100;
	/// The most nominators behind one validator that equivocation proofs account for.
	pub const MaxNominators: u32 = 512;
	/// How long an equivocation report stays valid: a whole bonding period, so that a
	/// report always lands while the offender can still be slashed.
	pub ReportLongevity: u64 = u64::from(BondingDuration::get())
		.saturating_mul(u64::from(SessionsPerEra::get()))
		.saturating_mul(crate::time::EPOCH_DURATION_IN_SLOTS);
}
