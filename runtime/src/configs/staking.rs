//! NPoS staking: validators bond AIL2, nominators back them, an on-chain sequential Phragmén
//! election picks the set each era.

use crate::{
	AccountId, Balance, Balances, Runtime, RuntimeEvent, RuntimeHoldReason, Session, Timestamp,
	VoterList,
};
use frame_election_provider_support::{
	bounds::{ElectionBounds, ElectionBoundsBuilder},
	onchain, SequentialPhragmen,
};
use frame_support::{
	parameter_types,
	traits::{ConstU32, Nothing},
};
use sp_runtime::Perbill;

parameter_types! {
	/// Six sessions (a day at four-hour sessions) per era.
	pub const SessionsPerEra: sp_staking::SessionIndex = 6;
	/// Stake stays bonded for 28 eras (four weeks) after unbonding, so offences found late
	/// can still be slashed.
	pub const BondingDuration: sp_staking::EraIndex = 28;
	/// Slashes wait 27 eras, leaving governance a window to cancel a wrong one.
	pub const SlashDeferDuration: sp_staking::EraIndex = 27;
	/// Rewards are paid in pages of this many nominators.
	pub const MaxExposurePageSize: u32 = 256;
	pub const MaxValidatorSet: u32 = 1_000;
	/// Caps on what one on-chain election reads, so it fits in a block.
	pub ElectionBoundsOnChain: ElectionBounds = ElectionBoundsBuilder::default()
		.voters_count(5_000.into())
		.targets_count(1_250.into())
		.build();
	pub const MaxWinnersPerPage: u32 = MaxValidatorSet::get();
	pub const MaxBackersPerWinner: u32 = 512;
	pub const HistoryDepth: u32 = 84;
}

/// Staking's era payout from the issuance schedule: the validators' share of the days
/// closed since the last era (`Issuance::take_validator_pot`), whatever the era's length or
/// the stake. Nothing is left over for `RewardRemainder`. pallet-issuance already counted
/// the pot against the 600M; staking mints it as validators claim it.
pub struct ScheduledEraPayout;
impl pallet_staking::EraPayout<Balance> for ScheduledEraPayout {
	fn era_payout(_staked: Balance, _issuance: Balance, _era_millis: u64) -> (Balance, Balance) {
		(crate::Issuance::take_validator_pot(), 0)
	}
}

/// The on-chain election used at genesis and each era.
pub struct OnChainSeqPhragmen;
impl onchain::Config for OnChainSeqPhragmen {
	type System = Runtime;
	type Solver = SequentialPhragmen<AccountId, Perbill>;
	type DataProvider = crate::Staking;
	type WeightInfo = frame_election_provider_support::weights::SubstrateWeight<Runtime>;
	type MaxWinnersPerPage = MaxWinnersPerPage;
	type MaxBackersPerWinner = MaxBackersPerWinner;
	type Bounds = ElectionBoundsOnChain;
	type Sort = frame_support::traits::ConstBool<true>;
}

/// Bounds that keep staking benchmarks within a block.
pub struct StakingBenchmarkingConfig;
impl pallet_staking::BenchmarkingConfig for StakingBenchmarkingConfig {
	type MaxNominators = ConstU32<1_000>;
	type MaxValidators = ConstU32<1_000>;
}

impl pallet_staking::Config for Runtime {
	type OldCurrency = Balances;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type CurrencyBalance = Balance;
	type UnixTime = Timestamp;
	type CurrencyToVote = sp_staking::currency_to_vote::U128CurrencyToVote;
	type ElectionProvider = onchain::OnChainExecution<OnChainSeqPhragmen>;
	type GenesisElectionProvider = onchain::OnChainExecution<OnChainSeqPhragmen>;
	type NominationsQuota = pallet_staking::FixedNominationsQuota<16>;
	type HistoryDepth = HistoryDepth;
	/// Inflation not paid to stakers goes to the treasury.
	type RewardRemainder = super::treasury::ToTreasury;
	type RuntimeEvent = RuntimeEvent;
	/// Slashed stake goes to the treasury.
	type Slash = super::treasury::ToTreasury;
	type Reward = ();
	type SessionsPerEra = SessionsPerEra;
	type BondingDuration = BondingDuration;
	type SlashDeferDuration = SlashDeferDuration;
	/// Staking administration (e.g. cancelling a deferred slash): a slashing-admin referendum.
	type AdminOrigin = crate::governance::SlashingAdmin;
	type SessionInterface = Self;
	/// The validators' share of the issuance schedule (pallet-issuance), not an inflation
	/// curve: see `ScheduledEraPayout`.
	type EraPayout = ScheduledEraPayout;
	type NextNewSession = Session;
	type MaxExposurePageSize = MaxExposurePageSize;
	type MaxValidatorSet = MaxValidatorSet;
	type VoterList = VoterList;
	type TargetList = pallet_staking::UseValidatorsMap<Self>;
	type MaxUnlockingChunks = ConstU32<32>;
	type MaxControllersInDeprecationBatch = ConstU32<5_900>;
	type EventListeners = ();
	type Filter = Nothing;
	type BenchmarkingConfig = StakingBenchmarkingConfig;
	type WeightInfo = pallet_staking::weights::SubstrateWeight<Runtime>;
}
