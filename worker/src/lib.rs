//! The AIL2 miner's worker: serving with signed receipts, batching and settlement, races,
//! proof-of-inference verification, and the gateway. The binary (`main.rs` and its `commands/`) parses the command line and runs
//! these under the [`supervisor`]; this library holds what its tests exercise.

pub mod batcher;
pub mod clock;
pub mod duties;
pub mod gateway;
pub mod keys;
pub mod openai;
pub mod poi;
pub mod race;
pub mod serve;
pub mod store;
pub mod supervisor;
pub mod sync;
