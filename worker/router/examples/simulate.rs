//! Routing simulation: workers with hidden compute times, failure rates and
//! first-come-first-served queues on 1–7 slots, Poisson arrivals at 70% of the fleet's
//! capacity, and four policies on the same request streams — the AIL2 router, an oracle that
//! knows every worker's true compute time, failure rate and queue, round-robin and
//! least-connections. Reports the router's decision time (one core) and each policy's mean
//! latency, price, failure rate and regret against the oracle, as means over three request
//! streams; and the decision time in a steady state where every worker is warm and most are
//! tied (the UCB bonus keeps hundreds of them near the top K).
//!
//! usage: cargo run --release -p ail2-router --example simulate -- [WORKERS] [REQUESTS] [steady]

use std::{cmp::Reverse, collections::BinaryHeap, time::Instant};

use ail2_router::{
	factors::RiskSignals, latency::ComputeModel, GeoPoint, Gpu, Outcome, Request, Router,
	RouterConfig, Worker, WorkerId, WorkerStatus,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

/// What the environment knows and the policies do not.
struct Truth {
	rtt_ms: f64,
	compute_ms: f64,
	failure: f64,
	capacity: u32,
}

const TIMEOUT_MS: f64 = 5_000.0;

fn id(i: usize) -> WorkerId {
	let mut bytes = [0u8; 32];
	bytes[..8].copy_from_slice(&(i as u64).to_le_bytes());
	WorkerId(bytes)
}

fn index(id: &WorkerId) -> usize {
	let mut bytes = [0u8; 8];
	bytes.copy_from_slice(&id.0[..8]);
	u64::from_le_bytes(bytes) as usize
}

fn request() -> Request {
	Request {
		vram_mib: 16_384,
		cuda: (12, 0),
		allowed_regions: vec![],
		client: Some(GeoPoint { lat: 50.1, lon: 8.7 }),
		max_latency_ms: None,
		budget: None,
		min_quality: None,
		tokens_in: 300,
		tokens_out: 60,
		context: 4_096,
	}
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Policy {
	Router,
	Oracle,
	RoundRobin,
	LeastConnections,
}

struct Report {
	mean_latency: f64,
	mean_price: f64,
	failures: f64,
	decision_ns: Vec<u64>,
}

fn simulate(
	policy: Policy,
	truths: &[Truth],
	workers: &[Worker],
	requests: usize,
	seed: u64,
) -> Report {
	let mut env = ChaCha20Rng::seed_from_u64(seed);
	let mut router = Router::new(RouterConfig::default(), ComputeModel::default(), seed);
	for w in workers {
		router.upsert(w.clone());
	}
	// Each worker serves `capacity` requests at a time, first come first served: `slots[w]`
	// holds the times its slots become free.
	let mut slots: Vec<Vec<f64>> = truths.iter().map(|t| vec![0.0; t.capacity as usize]).collect();
	let mut active = vec![0u32; truths.len()];
	// (finish time, worker, latency, failed) of requests in flight; the router hears of a
	// response only when it completes, as a gateway does.
	let mut in_flight: BinaryHeap<Reverse<(u64, usize, u64, bool)>> = BinaryHeap::new();
	let mut next_rr = 0usize;
	let mut total_latency = 0.0;
	let mut total_price = 0.0;
	let mut failures = 0u32;
	let mut decision_ns = Vec::with_capacity(requests);
	let req = request();
	// Poisson arrivals at 70% of the fleet's capacity.
	let fleet_rate: f64 = truths.iter().map(|t| f64::from(t.capacity) / t.compute_ms).sum();
	let mean_gap_ms = 1.0 / (0.7 * fleet_rate);
	let free_at = |slots: &[f64]| slots.iter().copied().fold(f64::INFINITY, f64::min);
	let expected = |t: &Truth, slots: &[f64], now: f64| {
		let start = free_at(slots).max(now + t.rtt_ms / 2.0);
		(1.0 - t.failure) * (start - now + t.compute_ms + t.rtt_ms / 2.0) + t.failure * TIMEOUT_MS
	};

	let mut now = 0.0;
	for _ in 0..requests {
		now += -mean_gap_ms * (1.0 - env.random::<f64>()).ln();
		while let Some(Reverse((finish, w, latency, failed))) = in_flight.peek().copied() {
			if finish as f64 > now {
				break;
			}
			in_flight.pop();
			active[w] = active[w].saturating_sub(1);
			if policy == Policy::Router {
				let latency = latency as f64;
				router.update(
					&id(w),
					&Outcome {
						success: !failed,
						latency_ms: latency,
						rtt_ms: Some(truths[w].rtt_ms),
						compute_ms: None,
						tokens_in: req.tokens_in,
						tokens_out: req.tokens_out,
						context: req.context,
					},
				);
			}
		}
		let chosen = match policy {
			Policy::Router => {
				let started = Instant::now();
				let selection = router.select(&req, now);
				decision_ns.push(started.elapsed().as_nanos() as u64);
				selection.map(|s| index(&s.chosen))
			},
			Policy::Oracle => (0..truths.len()).min_by(|&a, &b| {
				expected(&truths[a], &slots[a], now)
					.total_cmp(&expected(&truths[b], &slots[b], now))
			}),
			Policy::RoundRobin => {
				next_rr = (next_rr + 1) % truths.len();
				Some(next_rr)
			},
			Policy::LeastConnections => (0..truths.len()).min_by_key(|&w| (active[w], w)),
		};
		let Some(w) = chosen else { continue };
		let truth = &truths[w];
		let failed = env.random::<f64>() < truth.failure;
		let service = truth.compute_ms * (0.8 + 0.4 * env.random::<f64>());
		// Every worker has at least one slot (capacity ≥ 1).
		let Some(slot) = slots[w].iter_mut().min_by(|a, b| a.total_cmp(b)) else { continue };
		let start = slot.max(now + truth.rtt_ms / 2.0);
		*slot = start + service;
		// A failed request is noticed at the timeout (the gateway then retries elsewhere).
		let latency = if failed { TIMEOUT_MS } else { start - now + service + truth.rtt_ms / 2.0 };
		total_latency += latency;
		total_price += workers[w].price;
		failures += u32::from(failed);
		active[w] += 1;
		in_flight.push(Reverse(((now + latency) as u64, w, latency as u64, failed)));
	}
	Report {
		mean_latency: total_latency / requests as f64,
		mean_price: total_price / requests as f64,
		failures: f64::from(failures) / requests as f64,
		decision_ns,
	}
}

/// Decision time once every worker is known (each has answered a few requests): what a
/// gateway pays per request in production.
fn steady_state(workers: &[Worker], truths: &[Truth]) {
	let config = RouterConfig::default();
	let mut router = Router::new(config.clone(), ComputeModel::default(), 7);
	let req = request();
	let outcome = |truth: &Truth, rtt: bool| Outcome {
		success: true,
		latency_ms: truth.rtt_ms + truth.compute_ms,
		rtt_ms: rtt.then_some(truth.rtt_ms),
		compute_ms: Some(truth.compute_ms),
		tokens_in: req.tokens_in,
		tokens_out: req.tokens_out,
		context: req.context,
	};
	for (w, truth) in workers.iter().zip(truths) {
		router.upsert(w.clone());
		for _ in 0..config.cold_start_observations {
			router.update(&w.id, &outcome(truth, true));
		}
	}
	let decisions = 50_000;
	let mut ns = Vec::with_capacity(decisions);
	for n in 0..decisions {
		let started = Instant::now();
		let selection = router.select(&req, n as f64);
		ns.push(started.elapsed().as_nanos() as u64);
		if let Some(selection) = selection {
			router.update(&selection.chosen, &outcome(&truths[index(&selection.chosen)], false));
		}
	}
	ns.sort_unstable();
	let total: u64 = ns.iter().sum();
	println!(
		"  steady state, {} warm candidates: {:.0} decisions/s on one core, p50 {:.1} µs, p99 {:.1} µs",
		workers.len(),
		ns.len() as f64 / (total as f64 / 1e9),
		percentile(&ns, 0.5) as f64 / 1e3,
		percentile(&ns, 0.99) as f64 / 1e3
	);
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
	sorted.get(((sorted.len() as f64 - 1.0) * p) as usize).copied().unwrap_or(0)
}

fn main() {
	let args: Vec<String> = std::env::args().collect();
	let sizes: Vec<usize> = match args.get(1) {
		Some(n) => vec![n.parse().unwrap_or(1_000)],
		None => vec![1_000, 10_000],
	};
	let requests: usize = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(20_000);
	for &count in &sizes {
		let mut rng = ChaCha20Rng::seed_from_u64(count as u64);
		let mut truths = Vec::with_capacity(count);
		let mut workers = Vec::with_capacity(count);
		for i in 0..count {
			let (lat, lon) = (rng.random_range(-50.0..60.0), rng.random_range(-120.0..140.0));
			let tflops = [65.0, 125.0, 312.0, 990.0][rng.random_range(0..4)];
			let bandwidth = tflops * 6.5;
			let distance = ail2_router::factors::haversine_km(50.1, 8.7, lat, lon);
			// Hidden: true compute time differs from the datasheet by up to ±50%.
			let reference = ComputeModel::default().reference_ms(300, 60, 4_096);
			let factor =
				ail2_router::latency::gpu_factor(&RouterConfig::default(), tflops, bandwidth);
			truths.push(Truth {
				rtt_ms: 5.0 + distance / 100.0,
				compute_ms: reference * factor * rng.random_range(0.5..1.5),
				failure: [0.001, 0.01, 0.05, 0.2][rng.random_range(0..4)],
				capacity: rng.random_range(1..8),
			});
			workers.push(Worker {
				id: id(i),
				gpu: Gpu { vram_mib: 81_920, cuda: (12, 2), tflops, bandwidth_gbs: bandwidth },
				location: GeoPoint { lat, lon },
				status: WorkerStatus::Available,
				// Every worker of a model bills by the model's one pricing policy.
				price: 10.0,
				capacity: truths[i].capacity,
				queue_max: 16,
				quality: [0.9, 0.9, 0.9],
				risk: RiskSignals::default(),
			});
		}
		println!("{count} workers, {requests} requests");
		steady_state(&workers, &truths);
		if args.get(3).is_some_and(|a| a == "steady") {
			continue;
		}
		// Each policy on the same three request streams (arrivals, failures, jitter).
		let seeds = [1u64, 2, 3];
		let runs = |policy| -> Vec<Report> {
			seeds.iter().map(|&seed| simulate(policy, &truths, &workers, requests, seed)).collect()
		};
		let mean = |reports: &[Report], field: fn(&Report) -> f64| {
			reports.iter().map(field).sum::<f64>() / reports.len() as f64
		};
		let oracle = runs(Policy::Oracle);
		let oracle_latency = mean(&oracle, |r| r.mean_latency);
		for policy in [Policy::Oracle, Policy::Router, Policy::RoundRobin, Policy::LeastConnections]
		{
			let reports = if policy == Policy::Oracle { None } else { Some(runs(policy)) };
			let reports = reports.as_deref().unwrap_or(&oracle);
			let latency = mean(reports, |r| r.mean_latency);
			println!(
				"  {:<17} mean latency {:>8.1} ms  price {:>5.2}  failures {:>5.2}%  regret {:>8.1} ms/request",
				format!("{policy:?}"),
				latency,
				mean(reports, |r| r.mean_price),
				mean(reports, |r| r.failures) * 100.0,
				latency - oracle_latency
			);
			if policy == Policy::Router {
				let mut ns: Vec<u64> =
					reports.iter().flat_map(|r| r.decision_ns.iter().copied()).collect();
				ns.sort_unstable();
				let total: u64 = ns.iter().sum();
				println!(
					"  router decisions: {:.0}/s on one core, p50 {:.1} µs, p99 {:.1} µs",
					ns.len() as f64 / (total as f64 / 1e9),
					percentile(&ns, 0.5) as f64 / 1e3,
					percentile(&ns, 0.99) as f64 / 1e3
				);
			}
		}
	}
}
