//! Weights of pallet-issuance.
//!
//! The runtime implements `WeightInfo` from `frame-benchmarking` output. The `()`
//! implementation serves unit tests only: upper estimates of each call's and hook's storage
//! accesses, not measurements.

use frame_support::weights::{constants::RocksDbWeight, Weight};

pub trait WeightInfo {
	fn set_training_share() -> Weight;
	fn set_validator_share() -> Weight;
	fn grant() -> Weight;
	/// A block with no payout running and no day to close.
	fn on_initialize_idle() -> Weight;
	/// Closing a day: its fees and work, the schedule, the training fund's mint.
	fn close_day() -> Weight;
	/// Paying `n` workers of a closed day.
	fn pay(n: u32) -> Weight;
	/// Recording `n` workers' accepted weights of a finalized race.
	fn weights_accepted(n: u32) -> Weight;
	/// Counting a paid batch's fees.
	fn batch_paid() -> Weight;
}

impl WeightInfo for () {
	fn set_training_share() -> Weight {
		Weight::from_parts(15_000_000, 1_500)
			.saturating_add(RocksDbWeight::get().reads_writes(1, 1))
	}
	fn set_validator_share() -> Weight {
		Weight::from_parts(15_000_000, 1_500)
			.saturating_add(RocksDbWeight::get().reads_writes(1, 1))
	}
	fn grant() -> Weight {
		Weight::from_parts(60_000_000, 6_000)
			.saturating_add(RocksDbWeight::get().reads_writes(2, 2))
	}
	fn on_initialize_idle() -> Weight {
		Weight::from_parts(3_000_000, 1_500).saturating_add(RocksDbWeight::get().reads(2))
	}
	fn close_day() -> Weight {
		Weight::from_parts(80_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads_writes(9, 9))
	}
	fn pay(n: u32) -> Weight {
		Weight::from_parts(10_000_000, 3_000)
			.saturating_add(Weight::from_parts(70_000_000, 6_000).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads_writes(3, 3))
			.saturating_add(RocksDbWeight::get().reads_writes(5, 4).saturating_mul(n.into()))
	}
	fn weights_accepted(n: u32) -> Weight {
		Weight::from_parts(5_000_000, 1_500)
			.saturating_add(Weight::from_parts(15_000_000, 3_000).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads_writes(2, 1))
			.saturating_add(RocksDbWeight::get().reads_writes(2, 1).saturating_mul(n.into()))
	}
	fn batch_paid() -> Weight {
		Weight::from_parts(3_000_000, 1_500).saturating_add(RocksDbWeight::get().reads_writes(1, 1))
	}
}
