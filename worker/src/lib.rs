//! The AIL2 miner's worker: serving with signed receipts, batching and settlement.
//! The binary's entry point is `main.rs`; this library holds what its tests exercise.

pub mod batcher;
pub mod clock;
pub mod gateway;
pub mod keys;
pub mod openai;
pub mod race;
pub mod serve;
pub mod shutdown;
pub mod store;
