//! Weights of pallet-race.
//!
//! The runtime implements `WeightInfo` from `frame-benchmarking` output. The `()`
//! implementation serves unit tests only: upper estimates of each call's storage accesses,
//! not measurements. The hook's steps are weighed by what they touch: committers when a race
//! starts and its seed is fixed, the pool when the window closes, the participants judged in
//! a block and the race's weights when it is concluded.

use frame_support::weights::{constants::RocksDbWeight, Weight};

pub trait WeightInfo {
	fn commit_seed() -> Weight;
	fn reveal_seed() -> Weight;
	fn commit_work() -> Weight;
	fn vote(p: u32) -> Weight;
	fn set_params() -> Weight;
	fn start_race(c: u32) -> Weight;
	fn fix_seed(c: u32) -> Weight;
	fn close_window(p: u32) -> Weight;
	fn judge(n: u32) -> Weight;
	fn conclude(p: u32) -> Weight;
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
	fn commit_work() -> Weight {
		Weight::from_parts(60_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 5))
	}
	fn vote(p: u32) -> Weight {
		Weight::from_parts(25_000_000, 4_000)
			.saturating_add(Weight::from_parts(50_000, 48).saturating_mul(p.into()))
			.saturating_add(RocksDbWeight::get().reads_writes(5, 1))
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
			.saturating_add(Weight::from_parts(100_000, 48).saturating_mul(p.into()))
			.saturating_add(RocksDbWeight::get().reads_writes(4, 2))
			.saturating_add(RocksDbWeight::get().reads(p.saturating_mul(2).into()))
	}
	fn judge(n: u32) -> Weight {
		Weight::from_parts(30_000_000, 200_000)
			.saturating_add(Weight::from_parts(2_000_000, 8_000).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads_writes(6, 3))
			.saturating_add(
				RocksDbWeight::get()
					.reads_writes(n.saturating_mul(12).into(), n.saturating_mul(12).into()),
			)
	}
	fn conclude(p: u32) -> Weight {
		Weight::from_parts(30_000_000, 40_000)
			.saturating_add(Weight::from_parts(50_000, 48).saturating_mul(p.into()))
			.saturating_add(RocksDbWeight::get().reads_writes(4, 10))
			.saturating_add(RocksDbWeight::get().writes(16))
	}
}
