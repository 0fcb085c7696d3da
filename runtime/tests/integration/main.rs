//! The runtime's integration tests: the real AIL2 and SDK pallets composed as the chain runs
//! them. One test binary with a module per scenario, so that the runtime is monomorphised
//! and linked once for all of them (five binaries cost 263 CPU-seconds to build, most of it
//! the same work five times).

mod common;
mod disputes;
mod genesis_and_blocks;
mod governance;
mod poi;
mod race;
mod settlement;
