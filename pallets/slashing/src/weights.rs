//! Weights of pallet-slashing.
//!
//! The runtime implements `WeightInfo` from `frame-benchmarking` output. The `()`
//! implementation serves unit tests only: upper estimates of each call's storage accesses,
//! not measurements.

use frame_support::weights::{constants::RocksDbWeight, Weight};

pub trait WeightInfo {
	fn report() -> Weight;
	fn clear_record() -> Weight;
	fn set_params() -> Weight;
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
	/// Storage: `Slashing::Params` (r:0 w:1)
	/// Proof: `Slashing::Params` (`max_values`: Some(1), `max_size`: Some(72), added: 567, mode: `MaxEncodedLen`)
	fn set_params() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0`
		//  Estimated: `0`
		// pallet-race's `set_params`, also one write of a storage value: 20_617_000 picoseconds.
		Weight::from_parts(20_617_000, 0).saturating_add(RocksDbWeight::get().writes(1))
	}
}
