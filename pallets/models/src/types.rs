//! Container metadata (whitepaper §4.3) and registry entries.

use ail2_primitives::{billing::PricingPolicy, receipt::SemVer, Hash};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::ConstU32, BoundedVec};
use pallet_workers::{CudaVersion, GeoPoint};
use scale_info::TypeInfo;
use sp_runtime::Perbill;

pub use ail2_primitives::ModelId;

/// Longest model name.
pub type MaxNameLen = ConstU32<64>;
/// Most regions a model may restrict itself to.
pub type MaxRegions = ConstU32<16>;
/// Most versions kept per model; retire old ones by deprecating the model and registering
/// anew.
pub type MaxVersions = ConstU32<32>;

/// What a GPU must offer to run the model.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct GpuRequirement {
	pub min_vram_mib: u32,
	pub min_cuda: CudaVersion,
	pub gpu_count: u8,
}

/// A disc on Earth where the model may be served.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct Region {
	pub center: GeoPoint,
	pub radius_km: u32,
}

/// Where and how fast the model must be served.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Constraints {
	/// Empty: anywhere.
	pub allowed_regions: BoundedVec<Region, MaxRegions>,
	pub max_latency_ms: u32,
}

/// How a settled batch's total is divided (whitepaper §6.3, §7.1.3 RevenueSplit).
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct RevenueSplit {
	pub worker: Perbill,
	pub model_owner: Perbill,
	pub treasury: Perbill,
	pub ecosystem: Perbill,
}

impl RevenueSplit {
	/// Whether the four shares add up to exactly 100 %.
	pub fn is_complete(&self) -> bool {
		let parts = [self.worker, self.model_owner, self.treasury, self.ecosystem]
			.iter()
			.try_fold(0u32, |acc, p| acc.checked_add(p.deconstruct()));
		parts == Some(Perbill::one().deconstruct())
	}

	/// `total` split into the worker's, the model owner's, the treasury's and the ecosystem's
	/// shares: each but the worker's rounded down, the worker taking the rest (rounding
	/// remainders included).
	pub fn shares<B: sp_runtime::traits::AtLeast32BitUnsigned + Copy>(
		&self,
		total: B,
	) -> (B, B, B, B) {
		let share = |p: Perbill| p.mul_floor(total);
		let owner = share(self.model_owner);
		let treasury = share(self.treasury);
		let ecosystem = share(self.ecosystem);
		let worker = total.saturating_sub(owner).saturating_sub(treasury).saturating_sub(ecosystem);
		(worker, owner, treasury, ecosystem)
	}
}

/// Governance's bounds on every revenue split set from now on (whitepaper §9.1 "fee rate and
/// revenue sharing parameter adjustments"; the shares are §7.1.3's RevenueSplit). A split is
/// checked when a model is registered or a version proposed; splits already stored keep
/// applying after the bounds change.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct RevenueSplitBounds {
	/// Least share of the worker who served the batch (RevenueSplit `worker`).
	pub min_worker: Perbill,
	/// Least share of the treasury (RevenueSplit `treasury`): the protocol's own funding.
	pub min_treasury: Perbill,
	/// Least share of the ecosystem fund (RevenueSplit `ecosystem`).
	pub min_ecosystem: Perbill,
	/// Largest share of the model's owner (RevenueSplit `model_owner`).
	pub max_model_owner: Perbill,
}

impl RevenueSplitBounds {
	/// Whether `split` gives each party a share within the bounds.
	pub fn admits(&self, split: &RevenueSplit) -> bool {
		split.worker >= self.min_worker
			&& split.treasury >= self.min_treasury
			&& split.ecosystem >= self.min_ecosystem
			&& split.model_owner <= self.max_model_owner
	}

	/// The sum of the three minimums, `None` above 100 %: then no split satisfies them.
	pub fn floors(&self) -> Option<Perbill> {
		[self.min_worker, self.min_treasury, self.min_ecosystem]
			.iter()
			.try_fold(0u32, |acc, p| acc.checked_add(p.deconstruct()))
			.filter(|sum| *sum <= Perbill::one().deconstruct())
			.map(Perbill::from_parts)
	}
}

/// Service-quality targets the scheduler and spot checks hold workers to.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct Qos {
	pub min_success_rate: Perbill,
	pub target_p99_latency_ms: u32,
}

/// What the container may do.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct SecurityPolicy {
	/// The container must run in an attested TEE.
	pub require_attestation: bool,
	/// The container may open outbound network connections.
	pub allow_network: bool,
	/// Fraction of requests spot-checked by verifiers (§8.6.1).
	pub spot_check_rate: Perbill,
}

/// The metadata every model container declares (§4.3).
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct ContainerMetadata {
	/// sha256 digest of the OCI image.
	pub image_digest: [u8; 32],
	pub gpu: GpuRequirement,
	pub pricing: PricingPolicy,
	/// Units of compute one token costs (Appendix J "price per token").
	pub compute_units_per_token: u32,
	pub constraints: Constraints,
	pub revenue_split: RevenueSplit,
	pub qos: Qos,
	pub security: SecurityPolicy,
}

/// Where a model, or one of its versions, is in its life.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum ModelStatus {
	/// Awaiting governance.
	Proposed,
	/// Governance accepted it; the owner may activate it.
	Approved,
	/// Served and billed.
	Active,
	/// Retired: no new receipts.
	Deprecated,
	/// Governance refused it.
	Rejected,
}

/// A registered model.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct ModelInfo<AccountId, Balance, BlockNumber> {
	pub owner: AccountId,
	pub name: BoundedVec<u8, MaxNameLen>,
	pub status: ModelStatus,
	/// The version receipts are billed under now.
	pub current: SemVer,
	/// The held registration deposit.
	pub deposit: Balance,
	pub registered_at: BlockNumber,
}

/// One version of a model.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct VersionInfo {
	pub metadata: ContainerMetadata,
	/// keccak256 of the SCALE-encoded pricing policy: what receipts quote.
	pub policy_hash: Hash,
	/// `Proposed`, `Approved` or `Rejected`.
	pub status: ModelStatus,
}
