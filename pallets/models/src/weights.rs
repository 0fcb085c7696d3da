//! Weights of pallet-models.
//!
//! The runtime implements `WeightInfo` from `frame-benchmarking` output. The `()`
//! implementation serves unit tests only: upper estimates of each call's storage accesses,
//! not measurements.

use frame_support::weights::{constants::RocksDbWeight, Weight};

pub trait WeightInfo {
	fn register_model() -> Weight;
	fn approve_model() -> Weight;
	fn reject_model() -> Weight;
	fn activate_model() -> Weight;
	fn deprecate_model() -> Weight;
	fn propose_version() -> Weight;
	fn approve_version() -> Weight;
	fn activate_version() -> Weight;
	fn close_epoch() -> Weight;
	fn set_params() -> Weight;
}

impl WeightInfo for () {
	fn register_model() -> Weight {
		Weight::from_parts(80_000_000, 5_000)
			.saturating_add(RocksDbWeight::get().reads_writes(4, 5))
	}
	fn approve_model() -> Weight {
		Weight::from_parts(30_000_000, 5_000)
			.saturating_add(RocksDbWeight::get().reads_writes(2, 2))
	}
	fn reject_model() -> Weight {
		Weight::from_parts(60_000_000, 5_000)
			.saturating_add(RocksDbWeight::get().reads_writes(3, 3))
	}
	fn activate_model() -> Weight {
		Weight::from_parts(25_000_000, 3_000)
			.saturating_add(RocksDbWeight::get().reads_writes(1, 1))
	}
	fn deprecate_model() -> Weight {
		Weight::from_parts(60_000_000, 3_000)
			.saturating_add(RocksDbWeight::get().reads_writes(2, 2))
	}
	fn propose_version() -> Weight {
		Weight::from_parts(60_000_000, 40_000)
			.saturating_add(RocksDbWeight::get().reads_writes(36, 2))
	}
	fn approve_version() -> Weight {
		Weight::from_parts(30_000_000, 5_000)
			.saturating_add(RocksDbWeight::get().reads_writes(2, 1))
	}
	fn activate_version() -> Weight {
		Weight::from_parts(30_000_000, 5_000)
			.saturating_add(RocksDbWeight::get().reads_writes(2, 1))
	}
	fn close_epoch() -> Weight {
		Weight::from_parts(5_000_000_000, 200_000)
			.saturating_add(RocksDbWeight::get().reads_writes(2_000, 1))
	}
	/// Storage: `Models::Params` (r:0 w:1)
	/// Proof: `Models::Params` (`max_values`: Some(1), `max_size`: Some(16), added: 511, mode: `MaxEncodedLen`)
	fn set_params() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0`
		//  Estimated: `0`
		// Minimum execution time: 11_132_000 picoseconds.
		Weight::from_parts(20_617_000, 0)
			.saturating_add(Weight::from_parts(0, 0))
			.saturating_add(RocksDbWeight::get().writes(1))
	}
}
