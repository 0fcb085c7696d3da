//! Weights of pallet-receipts.
//!
//! The runtime implements `WeightInfo` from `frame-benchmarking` output. The `()`
//! implementation serves unit tests only: upper estimates of each call's storage accesses,
//! not measurements. None depends on the number of receipts in a batch.

use frame_support::weights::{constants::RocksDbWeight, Weight};

pub trait WeightInfo {
	fn deposit() -> Weight;
	fn request_withdrawal() -> Weight;
	fn withdraw() -> Weight;
	fn add_gateway_key() -> Weight;
	fn revoke_gateway_key() -> Weight;
	fn purge_gateway_key() -> Weight;
	fn propose_batch() -> Weight;
	fn settle_batch() -> Weight;
	fn set_params() -> Weight;
	/// `on_idle` removing `n` closed batches' records (`n = 0`: looking at the queue).
	fn prune_batches(n: u32) -> Weight;
}

impl WeightInfo for () {
	fn deposit() -> Weight {
		Weight::from_parts(50_000_000, 4_000)
			.saturating_add(RocksDbWeight::get().reads_writes(3, 3))
	}
	fn request_withdrawal() -> Weight {
		Weight::from_parts(30_000_000, 4_000)
			.saturating_add(RocksDbWeight::get().reads_writes(3, 1))
	}
	fn withdraw() -> Weight {
		Weight::from_parts(50_000_000, 4_000)
			.saturating_add(RocksDbWeight::get().reads_writes(3, 3))
	}
	fn add_gateway_key() -> Weight {
		Weight::from_parts(25_000_000, 3_000)
			.saturating_add(RocksDbWeight::get().reads_writes(2, 2))
	}
	fn revoke_gateway_key() -> Weight {
		Weight::from_parts(25_000_000, 3_000)
			.saturating_add(RocksDbWeight::get().reads_writes(1, 1))
	}
	fn purge_gateway_key() -> Weight {
		Weight::from_parts(25_000_000, 3_000)
			.saturating_add(RocksDbWeight::get().reads_writes(2, 2))
	}
	fn propose_batch() -> Weight {
		Weight::from_parts(80_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 4))
	}
	fn settle_batch() -> Weight {
		Weight::from_parts(150_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(12, 10))
	}
	/// Storage: `Receipts::Params` (r:0 w:1)
	/// Proof: `Receipts::Params` (`max_values`: Some(1), `max_size`: Some(40), added: 535, mode: `MaxEncodedLen`)
	fn set_params() -> Weight {
		// pallet-race's measured `set_params`: the same single write of a small value.
		Weight::from_parts(20_617_000, 0).saturating_add(RocksDbWeight::get().writes(1))
	}
	fn prune_batches(n: u32) -> Weight {
		Weight::from_parts(5_000_000, 1_500)
			.saturating_add(RocksDbWeight::get().reads_writes(1, 1))
			.saturating_add(
				Weight::from_parts(10_000_000, 3_000)
					.saturating_add(RocksDbWeight::get().reads_writes(1, 2))
					.saturating_mul(u64::from(n)),
			)
	}
}
