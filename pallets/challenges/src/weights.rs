//! Weights of pallet-challenges.
//!
//! The runtime implements `WeightInfo` from `frame-benchmarking` output. The `()`
//! implementation serves unit tests only: upper estimates, not measurements. A fraud proof
//! costs one Merkle-sum path of `d` siblings (two for a duplicate counter), never the size
//! of the batch.

use crate::FraudKind;
use frame_support::weights::{constants::RocksDbWeight, Weight};

pub trait WeightInfo {
	fn challenge_bad_worker_signature(d: u32) -> Weight;
	fn challenge_bad_authorisation(d: u32) -> Weight;
	fn challenge_wrong_price(d: u32) -> Weight;
	fn challenge_duplicate_counter(d: u32) -> Weight;
	fn challenge_counter_out_of_range(d: u32) -> Weight;
	fn challenge_inconsistent_node(d: u32) -> Weight;
	fn open_dispute(c: u32) -> Weight;
	fn vote() -> Weight;
	fn close_dispute() -> Weight;
	/// Drawing one dispute's committee from `c` active workers.
	fn draw_committee(c: u32) -> Weight;
	fn challenge_availability() -> Weight;
	/// Posting a leaf whose proof has `d` siblings.
	fn answer_availability(d: u32) -> Weight;
	fn expire_availability() -> Weight;
}

/// The weight of a `challenge` call with a proof of this kind and depth.
pub fn challenge<W: WeightInfo>(kind: FraudKind, depth: u32) -> Weight {
	match kind {
		FraudKind::BadWorkerSignature => W::challenge_bad_worker_signature(depth),
		FraudKind::BadAuthorisation => W::challenge_bad_authorisation(depth),
		FraudKind::WrongPrice => W::challenge_wrong_price(depth),
		FraudKind::DuplicateCounter => W::challenge_duplicate_counter(depth),
		FraudKind::CounterOutOfRange => W::challenge_counter_out_of_range(depth),
		FraudKind::InconsistentNode => W::challenge_inconsistent_node(depth),
	}
}

fn proof(base: u64, d: u32) -> Weight {
	Weight::from_parts(base, 12_000)
		.saturating_add(Weight::from_parts(1_500_000, 0).saturating_mul(d.into()))
		.saturating_add(RocksDbWeight::get().reads_writes(14, 12))
}

impl WeightInfo for () {
	fn challenge_bad_worker_signature(d: u32) -> Weight {
		proof(250_000_000, d)
	}
	fn challenge_bad_authorisation(d: u32) -> Weight {
		proof(300_000_000, d)
	}
	fn challenge_wrong_price(d: u32) -> Weight {
		proof(250_000_000, d)
	}
	fn challenge_duplicate_counter(d: u32) -> Weight {
		proof(250_000_000, d.saturating_mul(2))
	}
	fn challenge_counter_out_of_range(d: u32) -> Weight {
		proof(250_000_000, d)
	}
	fn challenge_inconsistent_node(d: u32) -> Weight {
		proof(250_000_000, d)
	}
	fn open_dispute(c: u32) -> Weight {
		Weight::from_parts(80_000_000, 10_000)
			.saturating_add(Weight::from_parts(400_000, 200).saturating_mul(c.into()))
			.saturating_add(RocksDbWeight::get().reads_writes(8, 5))
			.saturating_add(RocksDbWeight::get().reads(c.into()))
	}
	fn vote() -> Weight {
		Weight::from_parts(30_000_000, 4_000)
			.saturating_add(RocksDbWeight::get().reads_writes(1, 1))
	}
	fn close_dispute() -> Weight {
		Weight::from_parts(250_000_000, 12_000)
			.saturating_add(RocksDbWeight::get().reads_writes(20, 20))
	}
	/// What `open_dispute` costs: both read every candidate; the draw adds the sort.
	fn draw_committee(c: u32) -> Weight {
		Self::open_dispute(c)
	}
	fn challenge_availability() -> Weight {
		Weight::from_parts(60_000_000, 6_000)
			.saturating_add(RocksDbWeight::get().reads_writes(4, 3))
	}
	fn answer_availability(d: u32) -> Weight {
		Weight::from_parts(80_000_000, 8_000)
			.saturating_add(Weight::from_parts(1_500_000, 0).saturating_mul(d.into()))
			.saturating_add(RocksDbWeight::get().reads_writes(6, 4))
	}
	fn expire_availability() -> Weight {
		Weight::from_parts(250_000_000, 12_000)
			.saturating_add(RocksDbWeight::get().reads_writes(16, 14))
	}
}
