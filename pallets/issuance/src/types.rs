//! What the pallet stores about days, work and payouts.

use ail2_primitives::Balance;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// A day of the minimum daily issuance: `block / DayLength`, 0 from genesis.
pub type DayIndex = u32;

/// A worker's accepted race weight in one day.
#[derive(
	Clone,
	Copy,
	Default,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct WorkRecord {
	/// The sum of its accepted weights in the races that finalized that day.
	pub weight: u64,
	/// Its violation count when the first of them was accepted.
	pub violations: u32,
}

/// All workers' accepted race weight in one day.
#[derive(
	Clone,
	Copy,
	Default,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct WorkTotal {
	pub weight: u64,
	/// How many workers it counts: the entries of the day in `Work`.
	pub workers: u32,
}

/// A closed day's reward to hardware providers, while it is being paid.
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
pub struct DayPayout {
	pub day: DayIndex,
	/// The providers' part of the day's issuance.
	pub providers: Balance,
	/// The day's accepted weight: each worker is paid `providers × weight / total_weight`.
	pub total_weight: u64,
	/// Workers not yet paid.
	pub remaining: u32,
	/// Minted to providers so far.
	pub paid: Balance,
}
