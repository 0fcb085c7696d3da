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
//! - **Hard constraints** (§5.1): [`Router::admissible`] (`router/mod.rs`). A decision checks
//!   VRAM, CUDA and availability from the lane's copies (`Gate::admits`,
//!   `router/decision.rs`), the sweep from its `f32` copies (`ready`, `router/sweep.rs`).
//! - **Soft preferences** (§5.1): `Gate::prefers`; `Scan::consider` keeps the workers that
//!   miss one aside, for when none meets them (`router/decision.rs`).
//! - **The score** `S = w_l φ_l + w_r φ_r + w_c φ_c + w_q φ_q + w_p φ_p − w_s φ_s` (§5.2),
//!   weights in [`config::Weights`]: the request-independent part
//!   `w_q φ_q − w_s φ_s − Penalty (+ w_r φ_r once warm)` in `Tracked::refreshed`
//!   (`router/tracking.rs`, kept as `Lane::fixed`); `w_c φ_c + w_p φ_p` and the bonus in
//!   `Terms::partial`, `w_l φ_l` (and a cold worker's `w_r φ_r`) in `Terms::candidate`
//!   (`router/decision.rs`).
//! - **φ_l**, latency (§5.2.1): [`factors::latency`], its baseline
//!   [`factors::latency_baseline`] and rate [`factors::latency_rate`]; called by
//!   `Terms::candidate` and for the reward in `Tracked::learn`. Its bound without an
//!   exponential, which rules out workers that cannot enter the top K:
//!   [`factors::latency_gain_below`] (`f64`, `Terms::below`) and
//!   [`factors::latency_gain_below_f32`] (the sweep's `bound_block`, `router/sweep.rs`).
//! - **φ_r**, reliability (§5.2.2): [`factors::success`], of the posterior mean in
//!   `Tracked::refreshed` once warm, of a Thompson sample in `Terms::candidate` while cold.
//! - **φ_c**, cost (§5.2.3): [`factors::cost`] over a [`factors::CostRange`], which
//!   `Router::cost_range` finds per decision and `Terms::partial` applies.
//! - **φ_q**, quality (§5.2.4): [`factors::quality`] and its mix [`factors::qual`] (also
//!   the `min_quality` preference's measure), in `Tracked::refreshed`.
//! - **φ_p**, proximity (§5.2.5): [`factors::proximity`] of [`factors::haversine_km`], in
//!   `Router::locate` (`router/tracking.rs`) when the worker or the client location moves.
//! - **φ_s**, risk (§5.2.6): [`factors::risk`], in `Tracked::refreshed`.
//! - **Latency prediction** `lat_pred = RTT + W_q + T_compute` (§5.3): `Tracked::predict`
//!   (`router/tracking.rs`), or the lane's known wait in `Gate::latency`; `W_q` by
//!   [`latency::kingman_wait_ms`] in `Tracked::wait_for` (§5.3.1); `T_compute` by
//!   [`latency::ComputeModel::reference_ms`] times [`latency::gpu_factor`] and the learned
//!   correction (`Lane::slowness`, §5.3.2).
//! - **Adaptive learning** (§5.3.3): [`learning::Ewma`] at [`learning::learning_rate`], fed
//!   by `Tracked::learn`, `Tracked::observe_rtt` and `Tracked::dispatched`.
//! - **UCB1 / UCB-V** (§5.4.1): [`sampling::Bonus`] (also behind [`sampling::ucb1_bonus`]
//!   and [`sampling::ucb_v_bonus`]); its coefficients in `Tracked::refreshed`, `ln t` added
//!   in `Terms::partial`. The top K by UCB: `TopK` and `rank` (`router/decision.rs`).
//! - **Softmax and the annealed temperature** (§5.4.2): [`sampling::softmax`] at
//!   [`sampling::temperature`], drawn by [`sampling::categorical`], in `Router::draw`
//!   (`router/decision.rs`).
//! - **Thompson sampling for new workers** (§5.4.3): [`sampling::beta_posterior`] in
//!   `Tracked::refreshed`, [`sampling::beta`] in `Terms::candidate`. Cold workers take
//!   turns: `Scan::consider` counts them, `turn_block` (`router/sweep.rs`) finds whose turn
//!   it is.
//! - **Load** (§5.5.1): [`factors::load`], in `Tracked::refreshed`. Least-load tie-breaking
//!   (§5.5.2): `rank` and `Router::draw`.
//! - **Overload penalty** (§5.5.3): [`factors::overload_penalty`], in `Tracked::refreshed`.
//! - **Retry** (§5.6): [`Router::retry_select`] (`router/mod.rs`): the top K without the
//!   failed worker, else every admissible worker but it.
//! - **`update_stats`** (§5.6): [`Router::update`], which `Tracked::learn` carries out.

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
