//! What the gateway tells the router and what the router answers: workers as the registry
//! and the health probes describe them, requests, outcomes and selections.

use crate::factors::RiskSignals;

/// A worker's on-chain identity (its hot key's account).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkerId(pub [u8; 32]);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkerStatus {
	Available,
	Busy,
	Offline,
}

/// Degrees of latitude and longitude.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GeoPoint {
	pub lat: f64,
	pub lon: f64,
}

/// A disc on the globe: where a model may run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Region {
	pub center: GeoPoint,
	pub radius_km: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Gpu {
	pub vram_mib: u32,
	/// CUDA version `(major, minor)`.
	pub cuda: (u8, u8),
	pub tflops: f64,
	pub bandwidth_gbs: f64,
}

/// What the registry and the health probes say about a worker.
#[derive(Clone, Debug, PartialEq)]
pub struct Worker {
	pub id: WorkerId,
	pub gpu: Gpu,
	pub location: GeoPoint,
	pub status: WorkerStatus,
	/// Expected price of a request, in any unit shared by all workers.
	pub price: f64,
	/// Requests it runs in parallel (`m`), and how many may wait.
	pub capacity: u32,
	pub queue_max: u32,
	/// Accuracy, relevance and coherence in [0, 1], from evaluations.
	pub quality: [f64; 3],
	pub risk: RiskSignals,
}

/// What a request needs and prefers (§5.1).
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
	pub vram_mib: u32,
	pub cuda: (u8, u8),
	/// Empty: anywhere.
	pub allowed_regions: Vec<Region>,
	pub client: Option<GeoPoint>,
	pub max_latency_ms: Option<f64>,
	pub budget: Option<f64>,
	pub min_quality: Option<f64>,
	pub tokens_in: u32,
	pub tokens_out: u32,
	pub context: u32,
}

/// What happened to a dispatched request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
	pub success: bool,
	/// End-to-end latency the gateway saw.
	pub latency_ms: f64,
	/// Network round trip, if measured separately (health probes).
	pub rtt_ms: Option<f64>,
	/// Time the worker spent computing, if it reported it.
	pub compute_ms: Option<f64>,
	pub tokens_in: u32,
	pub tokens_out: u32,
	pub context: u32,
}

/// A routing decision: the chosen worker and the top K it was drawn from (for a retry).
#[derive(Clone, Debug, PartialEq)]
pub struct Selection {
	pub chosen: WorkerId,
	pub top_k: Vec<WorkerId>,
	pub predicted_latency_ms: f64,
	pub score: f64,
}

/// A CUDA version `(major, minor)` as one number that orders the same way.
pub(super) fn cuda_rank((major, minor): (u8, u8)) -> u16 {
	u16::from(major) << 8 | u16::from(minor)
}
