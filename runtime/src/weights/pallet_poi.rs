// Hand-derived upper estimates for `pallet_poi`, NOT benchmark output: the pallet's frame
// benchmarks exist and run in its tests, but `scripts/benchmarks.sh pallet_poi` has not been
// run on the reference machine yet. It replaces this file when it is.

//! Weights for `pallet_poi`: the pallet's own estimates of compute and proof size, with the
//! runtime's `DbWeight` (ParityDB) for storage. Each is the worst case of its call at the
//! runtime's bounds.

#![allow(missing_docs)]

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::Weight};

/// Weight functions for `pallet_poi`.
pub struct WeightInfo<T>(PhantomData<T>);
impl<T: frame_system::Config> pallet_poi::WeightInfo for WeightInfo<T> {
	fn bid() -> Weight {
		Weight::from_parts(40_000_000, 6_000).saturating_add(T::DbWeight::get().reads_writes(6, 4))
	}
	fn withdraw_bid() -> Weight {
		Weight::from_parts(35_000_000, 6_000).saturating_add(T::DbWeight::get().reads_writes(4, 4))
	}
	fn open_check(s: u32) -> Weight {
		Weight::from_parts(60_000_000, 8_000)
			.saturating_add(Weight::from_parts(300_000, 48).saturating_mul(s.into()))
			.saturating_add(T::DbWeight::get().reads_writes(5, 2))
	}
	fn report(s: u32) -> Weight {
		Self::open_check(s).saturating_add(T::DbWeight::get().reads_writes(2, 2))
	}
	fn vote(g: u32) -> Weight {
		Weight::from_parts(120_000_000, 10_000)
			.saturating_add(Weight::from_parts(1_000_000, 100).saturating_mul(g.into()))
			.saturating_add(T::DbWeight::get().reads_writes(20, 15))
			.saturating_add(T::DbWeight::get().writes(g.into()))
	}
	fn close_check(g: u32) -> Weight {
		Weight::from_parts(50_000_000, 6_000)
			.saturating_add(Weight::from_parts(1_000_000, 100).saturating_mul(g.into()))
			.saturating_add(T::DbWeight::get().reads_writes(6, 4))
			.saturating_add(T::DbWeight::get().writes(g.into()))
	}
	fn set_params() -> Weight {
		Weight::from_parts(10_000_000, 0).saturating_add(T::DbWeight::get().writes(1))
	}
	fn end_round(m: u32, b: u32) -> Weight {
		let per_model = Weight::from_parts(5_000_000, 3_000)
			.saturating_add(Weight::from_parts(2_000_000, 200).saturating_mul(b.into()))
			.saturating_add(
				T::DbWeight::get()
					.reads_writes(b.saturating_mul(3).into(), b.saturating_mul(3).into()),
			);
		Weight::from_parts(20_000_000, 4_000)
			.saturating_add(per_model.saturating_mul(m.into()))
			.saturating_add(T::DbWeight::get().reads_writes(6, 6))
	}
	fn audit_batch(b: u32) -> Weight {
		Weight::from_parts(30_000_000, 4_000)
			.saturating_add(Weight::from_parts(500_000, 100).saturating_mul(b.into()))
			.saturating_add(T::DbWeight::get().reads(b.saturating_mul(2).into()))
			.saturating_add(T::DbWeight::get().reads_writes(5, 1))
	}
	fn close_audit(c: u32) -> Weight {
		Weight::from_parts(10_000_000, 2_000)
			.saturating_add(Weight::from_parts(1_000_000, 200).saturating_mul(c.into()))
			.saturating_add(
				T::DbWeight::get()
					.reads_writes(c.saturating_mul(2).into(), c.saturating_mul(2).into()),
			)
			.saturating_add(T::DbWeight::get().reads_writes(2, 1))
	}
	fn fix_seeds(n: u32) -> Weight {
		Weight::from_parts(5_000_000, 1_000)
			.saturating_add(Weight::from_parts(3_000_000, 500).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads_writes(1, 1))
			.saturating_add(T::DbWeight::get().reads_writes(n.into(), n.into()))
	}
}
