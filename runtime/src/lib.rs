//! # AIL2 runtime
//!
//! The state transition function of the AIL2 chain: BABE block production (its VRF output
//! seeds races, elections and committee draws), GRANDPA finality, validators elected by
//! NPoS staking through an on-chain sequential Phragmén election, and the accounts,
//! multisig, proxy and batching tools that node operators and token holders use from
//! polkadot.js apps.
//!
//! Layout: `configs/` holds one file per pallet, `apis.rs` the runtime APIs the node and
//! wallets call, `genesis_config_presets.rs` the `development` and `local_testnet` genesis
//! states from which the chain specs in `chain-specs/` are generated.

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime`-style macros need a deep recursion limit.
#![recursion_limit = "512"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;

pub mod apis;
pub mod configs;
pub mod genesis_config_presets;
pub mod governance;
pub mod weights;

use alloc::vec::Vec;
use sp_runtime::{
	generic, impl_opaque_keys,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiAddress, MultiSignature,
};
use sp_version::RuntimeVersion;

pub use pallet_balances::Call as BalancesCall;
pub use pallet_staking::StakerStatus;
pub use sp_consensus_babe::AuthorityId as BabeId;
pub use sp_consensus_grandpa::AuthorityId as GrandpaId;
pub use sp_runtime::{Perbill, Permill};

/// Core types shared by the runtime, the node and off-chain tools.
pub mod types {
	use super::*;

	/// Block numbers: `u32` lasts 800 years at 6 s blocks.
	pub type BlockNumber = u32;
	/// Transaction signatures: sr25519, ed25519 or ecdsa, as wallets choose.
	pub type Signature = MultiSignature;
	/// Account ids are the public keys behind [`Signature`].
	pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
	/// Balance of an account, in the smallest unit (10^-12 AIL2).
	pub type Balance = u128;
	/// Per-account transaction counter.
	pub type Nonce = u32;
	/// Block and state hashes.
	pub type Hash = sp_core::H256;
	/// How accounts are addressed in calls.
	pub type Address = MultiAddress<AccountId, ()>;
	/// Unix time in milliseconds.
	pub type Moment = u64;
}
pub use types::*;

/// Units of the native token. AIL2 has 12 decimals.
pub mod currency {
	use super::Balance;

	/// One whole AIL2.
	pub const UNITS: Balance = 1_000_000_000_000;
	/// A hundredth of an AIL2.
	pub const CENTS: Balance = UNITS / 100;
	/// A thousandth of a cent.
	pub const MILLICENTS: Balance = CENTS / 1_000;
	/// Below this an account is reaped; high enough that dust accounts cannot bloat state.
	pub const EXISTENTIAL_DEPOSIT: Balance = CENTS;

	/// A storage deposit: a flat part per item plus a part per byte.
	pub const fn deposit(items: u32, bytes: u32) -> Balance {
		(items as Balance)
			.saturating_mul(20 * CENTS)
			.saturating_add((bytes as Balance).saturating_mul(100 * MILLICENTS))
	}
}

/// Block times and the lengths derived from them.
pub mod time {
	use super::{BlockNumber, Moment};

	/// Target block time. BABE's slot duration is the same. `fast-runtime` halves it: the
	/// end-to-end tests wait on blocks (settlement windows, race phases), and three seconds
	/// still leave a loaded two-core machine time to author and import a block per slot.
	#[cfg(not(feature = "fast-runtime"))]
	pub const MILLISECS_PER_BLOCK: Moment = 6_000;
	#[cfg(feature = "fast-runtime")]
	pub const MILLISECS_PER_BLOCK: Moment = 3_000;
	pub const SLOT_DURATION: Moment = MILLISECS_PER_BLOCK;

	pub const MINUTES: BlockNumber = 60_000 / (MILLISECS_PER_BLOCK as BlockNumber);
	pub const HOURS: BlockNumber = MINUTES * 60;
	pub const DAYS: BlockNumber = HOURS * 24;

	/// Epoch (and session) length. `fast-runtime` shortens it to one minute so tests see
	/// sessions and eras turn over.
	#[cfg(not(feature = "fast-runtime"))]
	pub const EPOCH_DURATION_IN_BLOCKS: BlockNumber = 4 * HOURS;
	#[cfg(feature = "fast-runtime")]
	pub const EPOCH_DURATION_IN_BLOCKS: BlockNumber = MINUTES;
	pub const EPOCH_DURATION_IN_SLOTS: u64 = EPOCH_DURATION_IN_BLOCKS as u64;

	/// BABE's `c`: the probability that a slot has a primary author is 1 - (1 - c)^(1/n);
	/// with secondary VRF slots every slot still gets a block.
	pub const PRIMARY_PROBABILITY: (u64, u64) = (1, 4);
}

/// BABE's epoch configuration at genesis: primary VRF slots plus secondary VRF slots, so
/// every block carries VRF output for AIL2's randomness consumers.
pub const BABE_GENESIS_EPOCH_CONFIG: sp_consensus_babe::BabeEpochConfiguration =
	sp_consensus_babe::BabeEpochConfiguration {
		c: time::PRIMARY_PROBABILITY,
		allowed_slots: sp_consensus_babe::AllowedSlots::PrimaryAndSecondaryVRFSlots,
	};

/// Opaque types the node uses without knowing the runtime's extrinsic format.
pub mod opaque {
	use super::*;
	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	pub type BlockId = generic::BlockId<Block>;
	pub type Hash = <BlakeTwo256 as sp_runtime::traits::Hash>::Output;
}

impl_opaque_keys! {
	/// The keys a validator sets with `session.set_keys` (from `author_rotateKeys`).
	pub struct SessionKeys {
		pub babe: Babe,
		pub grandpa: Grandpa,
	}
}

/// `VERSION`, with the `spec_version` as a literal (the attribute, which writes the version into
/// the WASM's `runtime_version` section, reads literals only).
macro_rules! runtime_version {
	($spec_version:tt) => {
		#[sp_version::runtime_version]
		pub const VERSION: RuntimeVersion = RuntimeVersion {
			spec_name: alloc::borrow::Cow::Borrowed("ail2"),
			impl_name: alloc::borrow::Cow::Borrowed("ail2-node"),
			authoring_version: 1,
			spec_version: $spec_version,
			impl_version: 1,
			apis: apis::RUNTIME_API_VERSIONS,
			transaction_version: 1,
			system_version: 1,
		};
	};
}
#[cfg(not(feature = "upgrade-rehearsal"))]
runtime_version!(100);
/// The upgrade rehearsal: this runtime one `spec_version` up, built next to the real one in
/// dev and test builds (`build.rs`) for the end-to-end test that upgrades a running chain by
/// referendum.
#[cfg(feature = "upgrade-rehearsal")]
runtime_version!(101);

/// The checks every signed transaction passes before dispatch.
pub type TxExtension = (
	frame_system::AuthorizeCall<Runtime>,
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	frame_system::WeightReclaim<Runtime>,
);

pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
pub type Block = generic::Block<Header, UncheckedExtrinsic>;
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Lets pallets create transactions from inside the runtime (BABE and GRANDPA submit
/// equivocation reports as unsigned extrinsics).
impl<LocalCall> frame_system::offchain::CreateTransactionBase<LocalCall> for Runtime
where
	RuntimeCall: From<LocalCall>,
{
	type Extrinsic = UncheckedExtrinsic;
	type RuntimeCall = RuntimeCall;
}

impl<LocalCall> frame_system::offchain::CreateBare<LocalCall> for Runtime
where
	RuntimeCall: From<LocalCall>,
{
	fn create_bare(call: RuntimeCall) -> UncheckedExtrinsic {
		UncheckedExtrinsic::new_bare(call)
	}
}

/// Storage migrations run on the next runtime upgrade, each a `VersionedMigration` that acts
/// only on a chain at the storage version it migrates from (so new chains, built at the
/// current versions, skip them). A migration stays listed until every live chain has run it;
/// `docs/governance.md` ("Runtime upgrades") has the discipline.
type Migrations = (
	pallet_race::migrations::v2::MigrateToV2<Runtime>,
	pallet_receipts::migrations::v1::MigrateToV1<Runtime>,
	pallet_receipts::migrations::v2::MigrateToV2<Runtime>,
	pallet_models::migrations::v1::MigrateToV1<Runtime>,
	pallet_slashing::migrations::v1::MigrateToV1<Runtime>,
);

pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

// Pallet indices are grouped by purpose and never reused: 0-9 core, 10-19 tokens and
// fees, 20-39 consensus and staking, 40-49 account tools, 50-69 the AIL2 inference market,
// 70-89 governance, 90+ development only.
#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;
	#[runtime::pallet_index(2)]
	pub type Babe = pallet_babe;

	#[runtime::pallet_index(10)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(11)]
	pub type TransactionPayment = pallet_transaction_payment;
	#[runtime::pallet_index(12)]
	pub type Vesting = pallet_vesting;

	#[runtime::pallet_index(20)]
	pub type Authorship = pallet_authorship;
	#[runtime::pallet_index(21)]
	pub type Staking = pallet_staking;
	#[runtime::pallet_index(22)]
	pub type Offences = pallet_offences;
	#[runtime::pallet_index(23)]
	pub type Historical = pallet_session::historical;
	#[runtime::pallet_index(24)]
	pub type Session = pallet_session;
	#[runtime::pallet_index(25)]
	pub type Grandpa = pallet_grandpa;
	#[runtime::pallet_index(26)]
	pub type VoterList = pallet_bags_list<Instance1>;

	#[runtime::pallet_index(40)]
	pub type Utility = pallet_utility;
	#[runtime::pallet_index(41)]
	pub type Multisig = pallet_multisig;
	#[runtime::pallet_index(42)]
	pub type Proxy = pallet_proxy;

	// AIL2: the inference market.
	#[runtime::pallet_index(50)]
	pub type Workers = pallet_workers;
	#[runtime::pallet_index(51)]
	pub type Models = pallet_models;
	#[runtime::pallet_index(52)]
	pub type Receipts = pallet_receipts;
	#[runtime::pallet_index(53)]
	pub type Challenges = pallet_challenges;
	#[runtime::pallet_index(54)]
	pub type Slashing = pallet_slashing;
	#[runtime::pallet_index(55)]
	pub type Race = pallet_race;
	#[runtime::pallet_index(56)]
	pub type Poi = pallet_poi;
	#[runtime::pallet_index(57)]
	pub type Issuance = pallet_issuance;

	// Governance (whitepaper §9; `crate::governance`).
	#[runtime::pallet_index(70)]
	pub type Preimage = pallet_preimage;
	#[runtime::pallet_index(71)]
	pub type Scheduler = pallet_scheduler;
	#[runtime::pallet_index(72)]
	pub type Referenda = pallet_referenda;
	#[runtime::pallet_index(73)]
	pub type ConvictionVoting = pallet_conviction_voting;
	#[runtime::pallet_index(74)]
	pub type Origins = governance::origins::pallet_custom_origins;
	#[runtime::pallet_index(75)]
	pub type Whitelist = pallet_whitelist;
	#[runtime::pallet_index(76)]
	pub type Treasury = pallet_treasury;
	#[runtime::pallet_index(77)]
	pub type Council = pallet_collective<Instance1>;
	#[runtime::pallet_index(78)]
	pub type Elections = pallet_elections_phragmen;
	#[runtime::pallet_index(79)]
	pub type TechnicalCommittee = pallet_collective<Instance2>;
	#[runtime::pallet_index(80)]
	pub type TechnicalMembership = pallet_membership<Instance1>;

	#[runtime::pallet_index(90)]
	pub type Sudo = pallet_sudo;
}

#[cfg(feature = "runtime-benchmarks")]
mod benches {
	frame_benchmarking::define_benchmarks!(
		[frame_benchmarking, BaselineBench::<Runtime>]
		[frame_system, SystemBench::<Runtime>]
		[pallet_balances, Balances]
		[pallet_timestamp, Timestamp]
		[pallet_utility, Utility]
		[pallet_multisig, Multisig]
		[pallet_proxy, Proxy]
		[pallet_sudo, Sudo]
		[pallet_bags_list, VoterList]
		[pallet_workers, Workers]
		[pallet_models, Models]
		[pallet_receipts, Receipts]
		[pallet_challenges, Challenges]
		[pallet_slashing, Slashing]
		[pallet_race, Race]
		[pallet_poi, Poi]
		[pallet_issuance, Issuance]
		[pallet_preimage, Preimage]
		[pallet_scheduler, Scheduler]
		[pallet_referenda, Referenda]
		[pallet_conviction_voting, ConvictionVoting]
		[pallet_whitelist, Whitelist]
		[pallet_treasury, Treasury]
		[pallet_collective, Council]
		[pallet_elections_phragmen, Elections]
		[pallet_membership, TechnicalMembership]
	);
}
