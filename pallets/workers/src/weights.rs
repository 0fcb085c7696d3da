//! Weights of pallet-workers.
//!
//! The `WeightInfo` trait is what the runtime implements from `frame-benchmarking` output
//! (`scripts/benchmarks.sh` writes `runtime/src/weights/pallet_workers.rs`). The `()`
//! implementation below serves unit tests only: its figures are upper estimates of the
//! storage accesses each call makes, not measurements.

use frame_support::weights::Weight;

pub trait WeightInfo {
	fn register() -> Weight;
	fn add_stake() -> Weight;
	fn unbond() -> Weight;
	fn withdraw_unbonded() -> Weight;
	fn heartbeat() -> Weight;
	fn update_endpoint() -> Weight;
	fn update_capabilities() -> Weight;
	fn set_status() -> Weight;
	fn vote_price() -> Weight;
}

/// For tests: a fixed compute part plus the reads and writes each call makes, priced with
/// RocksDB-like costs.
impl WeightInfo for () {
	fn register() -> Weight {
		Weight::from_parts(150_000_000, 4_000).saturating_add(
			frame_support::weights::constants::RocksDbWeight::get().reads_writes(6, 6),
		)
	}
	fn add_stake() -> Weight {
		Weight::from_parts(60_000_000, 3_000).saturating_add(
			frame_support::weights::constants::RocksDbWeight::get().reads_writes(3, 3),
		)
	}
	fn unbond() -> Weight {
		Weight::from_parts(40_000_000, 3_000).saturating_add(
			frame_support::weights::constants::RocksDbWeight::get().reads_writes(1, 1),
		)
	}
	fn withdraw_unbonded() -> Weight {
		Weight::from_parts(80_000_000, 3_000).saturating_add(
			frame_support::weights::constants::RocksDbWeight::get().reads_writes(5, 6),
		)
	}
	fn heartbeat() -> Weight {
		Weight::from_parts(20_000_000, 3_000).saturating_add(
			frame_support::weights::constants::RocksDbWeight::get().reads_writes(1, 1),
		)
	}
	fn update_endpoint() -> Weight {
		Weight::from_parts(25_000_000, 3_000).saturating_add(
			frame_support::weights::constants::RocksDbWeight::get().reads_writes(1, 1),
		)
	}
	fn update_capabilities() -> Weight {
		Weight::from_parts(25_000_000, 3_000).saturating_add(
			frame_support::weights::constants::RocksDbWeight::get().reads_writes(1, 1),
		)
	}
	fn set_status() -> Weight {
		Weight::from_parts(25_000_000, 3_000).saturating_add(
			frame_support::weights::constants::RocksDbWeight::get().reads_writes(1, 1),
		)
	}
	fn vote_price() -> Weight {
		Weight::from_parts(30_000_000, 3_000).saturating_add(
			frame_support::weights::constants::RocksDbWeight::get().reads_writes(2, 1),
		)
	}
}
