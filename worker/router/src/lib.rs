//! The scheduler of AIL2 gateways: for each request, the best worker by the whitepaper's
//! chapter 5 — hard constraints, the multi-objective score, latency prediction, UCB-V
//! exploration over the top K, softmax sampling with an annealed temperature, Thompson
//! sampling for workers with few observations, and load balancing with an overload penalty.
//!
//! Pure logic: no I/O, no clock, no global randomness. Every decision is a function of the
//! router's state and its seeded ChaCha20 stream, so a seed reproduces a run.
//!
//! # Where each term of chapter 5 is computed
//!
//! Each formula is defined once; the decision calls these definitions. A worker's terms
//! that do not depend on the request are worked out when the worker changes
//! (`router/tracking.rs`, `Tracked::refreshed`), the rest per decision
//! (`router/decision.rs`).
//!
//! | Term (section) | Defined in | Used by the router in |
//! |---|---|---|
//! | Hard constraints: VRAM, CUDA, region, availability (§5.1) | [`Router::admissible`] (`router/mod.rs`) | `Gate::admits` (`router/decision.rs`) from the lane's copies; the sweep's `ready` (`router/sweep.rs`) |
//! | Soft preferences: latency, budget, quality (§5.1) | `Gate::prefers` (`router/decision.rs`) | `Scan::consider`; misses wait in the fallback |
//! | `S = w_l φ_l + w_r φ_r + w_c φ_c + w_q φ_q + w_p φ_p − w_s φ_s` (§5.2) | `Tracked::refreshed` (request-independent part, `Lane::fixed`) + `Terms::partial` and `Terms::candidate` (`router/decision.rs`) | `Scan::consider` |
//! | Weights `w_*` (§5.2) | [`config::Weights`] | |
//! | φ_l, latency (§5.2.1), and its baseline | [`factors::latency`], [`factors::latency_baseline`], [`factors::latency_rate`] | `Terms::candidate`; the reward in `Tracked::learn` (`router/tracking.rs`) |
//! | φ_l's bound without an exponential | [`factors::latency_gain_below`], [`factors::latency_gain_below_f32`] | `Terms::below` (`f64`); `bound_block` (`router/sweep.rs`, `f32`) |
//! | φ_r, reliability (§5.2.2) | [`factors::success`] | `Tracked::refreshed` (posterior mean, warm); `Terms::candidate` (Thompson sample, cold) |
//! | φ_c, cost (§5.2.3) | [`factors::cost`], [`factors::CostRange`] | `Router::cost_range`, `Terms::partial` |
//! | φ_q, quality, and `qual` (§5.2.4) | [`factors::quality`], [`factors::qual`] | `Tracked::refreshed` |
//! | φ_p, proximity, Haversine (§5.2.5) | [`factors::proximity`], [`factors::haversine_km`] | `Router::locate` (`router/tracking.rs`), [`Router::admissible`] |
//! | φ_s, risk (§5.2.6) | [`factors::risk`], [`factors::sigmoid`] | `Tracked::refreshed` |
//! | `lat_pred = RTT + W_q + T_compute` (§5.3) | `Tracked::predict` (`router/tracking.rs`) | `Gate::latency`, [`Router::predicted_latency`] |
//! | `W_q`, Kingman's M/G/m wait (§5.3.1) | [`latency::kingman_wait_ms`] | `Tracked::wait_for` |
//! | `T_compute` and the GPU factor (§5.3.2) | [`latency::ComputeModel::reference_ms`], [`latency::gpu_factor`] | `Tracked::refreshed` (`Lane::slowness`), `Tracked::learn` |
//! | Adaptive learning, `α_learn` (§5.3.3) | [`learning::Ewma`], [`learning::learning_rate`] | `Tracked::learn`, `Tracked::observe_rtt`, `Tracked::dispatched` |
//! | UCB1 and UCB-V bonus (§5.4.1) | [`sampling::Bonus`] ([`sampling::ucb1_bonus`], [`sampling::ucb_v_bonus`]) | `Tracked::refreshed` (coefficients), `Terms::partial` (`ln t`) |
//! | Top K by UCB (§5.6) | `TopK` (`router/decision.rs`) | `Router::gather` |
//! | Softmax and the annealed temperature τ (§5.4.2) | [`sampling::softmax`], [`sampling::temperature`], [`sampling::categorical`] | `Router::draw` (`router/decision.rs`) |
//! | Thompson sampling for new workers (§5.4.3) | [`sampling::beta_posterior`], [`sampling::beta`] | `Tracked::refreshed` (posterior), `Terms::candidate` (sample); cold workers take turns in `Scan::consider` and `turn_block` (`router/sweep.rs`) |
//! | Load (§5.5.1) | [`factors::load`] | `Tracked::refreshed` |
//! | Least-load tie-breaking (§5.5.2) | `Router::draw`, and `rank` for the top K (`router/decision.rs`) | |
//! | Overload penalty (§5.5.3) | [`factors::overload_penalty`] | `Tracked::refreshed` |
//! | Retry elsewhere (§5.6) | [`Router::retry_select`] (`router/mod.rs`) | |
//! | `update_stats` (§5.6) | `Tracked::learn` (`router/tracking.rs`), through [`Router::update`] | |

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
