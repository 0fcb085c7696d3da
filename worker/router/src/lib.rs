//! The scheduler of AIL2 gateways: for each request, the best worker by the whitepaper's
//! chapter 5 — hard constraints, the multi-objective score, latency prediction, UCB-V
//! exploration over the top K, softmax sampling with an annealed temperature, Thompson
//! sampling for workers with few observations, and load balancing with an overload penalty.
//!
//! Pure logic: no I/O, no clock, no global randomness. Every decision is a function of the
//! router's state and its seeded ChaCha20 stream, so a seed reproduces a run.

pub mod config;
pub mod factors;
pub mod latency;
pub mod learning;
pub mod router;
pub mod sampling;

pub use config::RouterConfig;
pub use router::{
	GeoPoint, Gpu, Outcome, Region, Request, Router, Selection, Worker, WorkerId, WorkerStatus,
};
