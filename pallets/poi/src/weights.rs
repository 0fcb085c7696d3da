//! Weights of pallet-poi.
//!
//! The runtime implements `WeightInfo` from `frame-benchmarking` output
//! (`scripts/benchmarks.sh pallet_poi`). The `()` implementation serves unit tests only:
//! upper estimates of each call's storage accesses, not measurements. `s` is an inclusion
//! proof's siblings, `g` the verifier group, `m` models and `b` bidders per model at a round
//! boundary, `c` checks of a batch.

use frame_support::weights::{constants::RocksDbWeight, Weight};

pub trait WeightInfo {
	fn bid() -> Weight;
	fn withdraw_bid() -> Weight;
	fn open_check(s: u32) -> Weight;
	fn report(s: u32) -> Weight;
	fn vote(g: u32) -> Weight;
	fn close_check(g: u32) -> Weight;
	fn set_params() -> Weight;
	fn end_round(m: u32, b: u32) -> Weight;
	fn audit_batch(b: u32) -> Weight;
	fn close_audit(c: u32) -> Weight;
	fn fix_seeds(n: u32) -> Weight;
}

impl WeightInfo for () {
	fn bid() -> Weight {
		Weight::from_parts(40_000_000, 6_000)
			.saturating_add(RocksDbWeight::get().reads_writes(6, 4))
	}
	fn withdraw_bid() -> Weight {
		Weight::from_parts(35_000_000, 6_000)
			.saturating_add(RocksDbWeight::get().reads_writes(4, 4))
	}
	fn open_check(s: u32) -> Weight {
		Weight::from_parts(60_000_000, 8_000)
			.saturating_add(Weight::from_parts(300_000, 48).saturating_mul(s.into()))
			.saturating_add(RocksDbWeight::get().reads_writes(5, 2))
	}
	fn report(s: u32) -> Weight {
		Self::open_check(s).saturating_add(RocksDbWeight::get().reads_writes(2, 2))
	}
	fn vote(g: u32) -> Weight {
		// The last vote may conclude a failed check: slashing, voiding, the audit's cleanup.
		Weight::from_parts(120_000_000, 10_000)
			.saturating_add(Weight::from_parts(1_000_000, 100).saturating_mul(g.into()))
			.saturating_add(RocksDbWeight::get().reads_writes(20, 15))
			.saturating_add(RocksDbWeight::get().writes(g.into()))
	}
	fn close_check(g: u32) -> Weight {
		Weight::from_parts(50_000_000, 6_000)
			.saturating_add(Weight::from_parts(1_000_000, 100).saturating_mul(g.into()))
			.saturating_add(RocksDbWeight::get().reads_writes(6, 4))
			.saturating_add(RocksDbWeight::get().writes(g.into()))
	}
	fn set_params() -> Weight {
		Weight::from_parts(10_000_000, 0).saturating_add(RocksDbWeight::get().writes(1))
	}
	fn end_round(m: u32, b: u32) -> Weight {
		let per_model = Weight::from_parts(5_000_000, 3_000)
			.saturating_add(Weight::from_parts(2_000_000, 200).saturating_mul(b.into()))
			.saturating_add(
				RocksDbWeight::get()
					.reads_writes(b.saturating_mul(3).into(), b.saturating_mul(3).into()),
			);
		Weight::from_parts(20_000_000, 4_000)
			.saturating_add(per_model.saturating_mul(m.into()))
			.saturating_add(RocksDbWeight::get().reads_writes(6, 6))
	}
	fn audit_batch(b: u32) -> Weight {
		Weight::from_parts(30_000_000, 4_000)
			.saturating_add(Weight::from_parts(500_000, 100).saturating_mul(b.into()))
			.saturating_add(RocksDbWeight::get().reads(b.saturating_mul(2).into()))
			.saturating_add(RocksDbWeight::get().reads_writes(5, 1))
	}
	fn close_audit(c: u32) -> Weight {
		Weight::from_parts(10_000_000, 2_000)
			.saturating_add(Weight::from_parts(1_000_000, 200).saturating_mul(c.into()))
			.saturating_add(
				RocksDbWeight::get()
					.reads_writes(c.saturating_mul(2).into(), c.saturating_mul(2).into()),
			)
			.saturating_add(RocksDbWeight::get().reads_writes(2, 1))
	}
	fn fix_seeds(n: u32) -> Weight {
		Weight::from_parts(5_000_000, 1_000)
			.saturating_add(Weight::from_parts(3_000_000, 500).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads_writes(1, 1))
			.saturating_add(RocksDbWeight::get().reads_writes(n.into(), n.into()))
	}
}
