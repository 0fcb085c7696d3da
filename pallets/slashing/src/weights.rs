//! Weights of pallet-slashing.
//!
//! The runtime implements `WeightInfo` from `frame-benchmarking` output. The `()`
//! implementation serves unit tests only: upper estimates of each call's storage accesses,
//! not measurements.

use frame_support::weights::{constants::RocksDbWeight, Weight};

pub trait WeightInfo {
	fn report() -> Weight;
	fn clear_record() -> Weight;
}

impl WeightInfo for () {
	fn report() -> Weight {
		Weight::from_parts(120_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 8))
	}
	fn clear_record() -> Weight {
		Weight::from_parts(15_000_000, 3_000)
			.saturating_add(RocksDbWeight::get().reads_writes(1, 1))
	}
}
