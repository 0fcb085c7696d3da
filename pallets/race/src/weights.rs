//! Weights of pallet-race.
//!
//! The runtime implements `WeightInfo` from `frame-benchmarking` output. The `()`
//! implementation serves unit tests only: upper estimates of each call's storage accesses,
//! not measurements. The hook's steps are weighed by what they touch: committers when a race
//! starts and its seed is fixed, participants when the window closes and the race ends.

use frame_support::weights::{constants::RocksDbWeight, Weight};

pub trait WeightInfo {
	fn commit_seed() -> Weight;
	fn reveal_seed() -> Weight;
	fn submit_nonces(n: u32) -> Weight;
	fn vote() -> Weight;
	fn set_params() -> Weight;
	fn start_race(c: u32) -> Weight;
	fn fix_seed(c: u32) -> Weight;
	fn close_window(p: u32) -> Weight;
	fn finalize(p: u32) -> Weight;
}

impl WeightInfo for () {
	fn commit_seed() -> Weight {
		Weight::from_parts(20_000_000, 4_000)
			.saturating_add(RocksDbWeight::get().reads_writes(3, 1))
	}
	fn reveal_seed() -> Weight {
		Weight::from_parts(25_000_000, 4_000)
			.saturating_add(RocksDbWeight::get().reads_writes(2, 1))
	}
	fn submit_nonces(n: u32) -> Weight {
		Weight::from_parts(60_000_000, 40_000)
			.saturating_add(Weight::from_parts(20_000, 8).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads_writes(8, 5))
	}
	fn vote() -> Weight {
		Weight::from_parts(25_000_000, 4_000)
			.saturating_add(RocksDbWeight::get().reads_writes(4, 1))
	}
	fn set_params() -> Weight {
		Weight::from_parts(10_000_000, 0).saturating_add(RocksDbWeight::get().writes(1))
	}
	fn start_race(c: u32) -> Weight {
		Weight::from_parts(20_000_000, 4_000)
			.saturating_add(Weight::from_parts(3_000_000, 3_000).saturating_mul(c.into()))
			.saturating_add(RocksDbWeight::get().reads_writes(4, 3))
			.saturating_add(RocksDbWeight::get().reads(c.into()))
	}
	fn fix_seed(c: u32) -> Weight {
		Weight::from_parts(20_000_000, 4_000)
			.saturating_add(Weight::from_parts(100_000_000, 3_000).saturating_mul(c.into()))
			.saturating_add(RocksDbWeight::get().reads_writes(3, 1))
			.saturating_add(
				RocksDbWeight::get()
					.reads_writes(c.saturating_mul(8).into(), c.saturating_mul(8).into()),
			)
	}
	fn close_window(p: u32) -> Weight {
		Weight::from_parts(20_000_000, 40_000)
			.saturating_add(Weight::from_parts(5_000_000, 3_000).saturating_mul(p.into()))
			.saturating_add(RocksDbWeight::get().reads_writes(3, 1))
			.saturating_add(RocksDbWeight::get().writes(p.into()))
	}
	fn finalize(p: u32) -> Weight {
		Weight::from_parts(30_000_000, 40_000)
			.saturating_add(Weight::from_parts(150_000_000, 40_000).saturating_mul(p.into()))
			.saturating_add(RocksDbWeight::get().reads_writes(6, 6))
			.saturating_add(
				RocksDbWeight::get()
					.reads_writes(p.saturating_mul(16).into(), p.saturating_mul(16).into()),
			)
	}
}
