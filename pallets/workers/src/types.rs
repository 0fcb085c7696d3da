//! Types stored by the worker registry.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::ConstU32, BoundedVec};
use scale_info::TypeInfo;
use sp_runtime::Perbill;

pub use ail2_primitives::receipt::{PublicKey, Signature};

/// Epochs of `EpochLength` blocks, counted from block 0.
pub type EpochIndex = u32;

/// A point on Earth in micro-degrees: latitude in [-90°, 90°], longitude in [-180°, 180°].
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Default,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct GeoPoint {
	pub lat_micro_deg: i32,
	pub lon_micro_deg: i32,
}

impl GeoPoint {
	pub const fn is_valid(&self) -> bool {
		self.lat_micro_deg >= -90_000_000
			&& self.lat_micro_deg <= 90_000_000
			&& self.lon_micro_deg >= -180_000_000
			&& self.lon_micro_deg <= 180_000_000
	}
}

/// A CUDA compute-toolkit version, e.g. 12.4.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Default,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct CudaVersion {
	pub major: u8,
	pub minor: u8,
}

/// Longest GPU model name, e.g. "NVIDIA H100 80GB HBM3".
pub type MaxGpuModelLen = ConstU32<64>;
/// Longest endpoint URL.
pub type MaxEndpointLen = ConstU32<256>;
/// Most unbonding chunks a worker can have at once; withdrawing matured ones frees slots.
pub type MaxUnbondingChunks = ConstU32<16>;

/// What a worker's machine offers: the scheduler's hard constraints (whitepaper §5.2).
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Capabilities {
	pub gpu_model: BoundedVec<u8, MaxGpuModelLen>,
	/// Number of GPUs of that model.
	pub gpu_count: u8,
	/// Memory per GPU, MiB.
	pub vram_mib: u32,
	pub cuda: CudaVersion,
	pub region: GeoPoint,
}

/// Where a worker stands.
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
pub enum WorkerStatus {
	/// May be chosen for work, races and committees.
	Active,
	/// Temporarily excluded, by governance or after a slash; governance may re-activate it.
	Suspended,
	/// Permanently excluded (e.g. a malicious image): stake can only be withdrawn.
	Banned,
}

/// Stake on its way out: still slashable until `unlock_at`.
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
pub struct UnbondingChunk<Balance, BlockNumber> {
	pub amount: Balance,
	pub unlock_at: BlockNumber,
}

/// The registry entry of one worker, keyed by its hot key.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct WorkerInfo<AccountId, Balance, BlockNumber> {
	/// The account whose balance backs the stake and that manages the worker.
	pub owner: AccountId,
	/// Compressed secp256k1 key the worker signs receipts with.
	pub receipt_key: PublicKey,
	pub capabilities: Capabilities,
	/// Public HTTPS endpoint of the worker's API.
	pub endpoint: BoundedVec<u8, MaxEndpointLen>,
	/// Active stake held from the owner.
	pub stake: Balance,
	/// Stake being unbonded, oldest first.
	pub unbonding: BoundedVec<UnbondingChunk<Balance, BlockNumber>, MaxUnbondingChunks>,
	pub status: WorkerStatus,
	pub registered_at: BlockNumber,
	pub last_heartbeat: BlockNumber,
	/// Track record used by schedulers and committee draws; starts at `InitialReputation`.
	pub reputation: Perbill,
}

/// A worker's vote for the price of one unit of compute, cast in `epoch`.
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
pub struct PriceVote<Balance> {
	pub epoch: EpochIndex,
	pub price: Balance,
}
