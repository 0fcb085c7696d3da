use super::*;

use crate::factors::RiskSignals;
use rand::Rng;

fn fleet_worker(n: usize, rng: &mut ChaCha20Rng, prices: bool) -> Worker {
	let mut id = [0u8; 32];
	id[..8].copy_from_slice(&(n as u64).to_le_bytes());
	let tflops = [65.0, 125.0, 312.0, 990.0][rng.random_range(0..4)];
	Worker {
		id: WorkerId(id),
		gpu: Gpu {
			vram_mib: [24_576, 49_152, 81_920][rng.random_range(0..3)],
			cuda: (11 + rng.random_range(0..2), rng.random_range(0..3)),
			tflops,
			bandwidth_gbs: tflops * 6.5,
		},
		location: GeoPoint {
			lat: rng.random_range(-50.0..60.0),
			lon: rng.random_range(-120.0..140.0),
		},
		status: WorkerStatus::Available,
		price: if prices { rng.random_range(5.0..15.0) } else { 10.0 },
		capacity: rng.random_range(1..8),
		queue_max: 16,
		quality: [rng.random_range(0.5..1.0), 0.9, 0.9],
		risk: RiskSignals { failure_z: rng.random_range(-1.0..1.0), ..RiskSignals::default() },
	}
}

/// The sweep only skips work: with and without it, a router makes the same decisions
/// through churn (loads, outages, departures, arrivals, moves), cold and warm workers,
/// clients with and without a location, differing prices, retries and soft preferences.
#[test]
fn the_sweep_changes_no_decision() {
	for prices in [false, true] {
		let mut env = ChaCha20Rng::seed_from_u64(u64::from(prices));
		let mut swept = Router::new(RouterConfig::default(), ComputeModel::default(), 3);
		let mut plain = Router::new(RouterConfig::default(), ComputeModel::default(), 3);
		plain.sweep = false;
		let mut next = 0usize;
		for _ in 0..300 {
			let w = fleet_worker(next, &mut env, prices);
			next += 1;
			swept.upsert(w.clone());
			plain.upsert(w);
		}
		let mut checked = 0;
		for step in 0..3_000u32 {
			let now = f64::from(step) * 7.0;
			let request = Request {
				vram_mib: [16_384, 40_000][env.random_range(0..2)],
				cuda: (11, env.random_range(0..3)),
				allowed_regions: vec![],
				client: (step % 3 != 0).then_some(GeoPoint {
					lat: [50.1, 1.3][(step / 500 % 2) as usize],
					lon: [8.7, 103.8][(step / 500 % 2) as usize],
				}),
				max_latency_ms: (step % 5 == 0).then_some(1_500.0),
				budget: None,
				min_quality: None,
				tokens_in: env.random_range(10..2_000),
				tokens_out: env.random_range(1..300),
				context: 4_096,
			};
			let a = swept.select(&request, now);
			let b = plain.select(&request, now);
			assert_eq!(a, b, "step {step}");
			let Some(selection) = a else { continue };
			checked += 1;
			if step % 11 == 0 {
				let retry = swept.retry_select(&request, &selection, now);
				assert_eq!(retry, plain.retry_select(&request, &selection, now));
			}
			let success = env.random::<f64>() > 0.05;
			let outcome = Outcome {
				success,
				latency_ms: env.random_range(100.0..3_000.0),
				rtt_ms: Some(env.random_range(5.0..150.0)),
				compute_ms: None,
				tokens_in: request.tokens_in,
				tokens_out: request.tokens_out,
				context: request.context,
			};
			swept.update(&selection.chosen, &outcome);
			plain.update(&selection.chosen, &outcome);
			let ids: Vec<WorkerId> = swept.ids().copied().collect();
			let pick = |env: &mut ChaCha20Rng| ids[env.random_range(0..ids.len())];
			match step % 50 {
				7 => {
					let id = pick(&mut env);
					let (active, queue) = (env.random_range(0..10), env.random_range(0..5));
					swept.report_load(&id, active, queue, 0.9, 0.5);
					plain.report_load(&id, active, queue, 0.9, 0.5);
				},
				19 => {
					let id = pick(&mut env);
					swept.set_status(&id, WorkerStatus::Offline);
					plain.set_status(&id, WorkerStatus::Offline);
				},
				23 => {
					let id = pick(&mut env);
					swept.remove(&id);
					plain.remove(&id);
				},
				31 => {
					let w = fleet_worker(next, &mut env, prices);
					next += 1;
					swept.upsert(w.clone());
					plain.upsert(w);
				},
				43 => {
					let id = pick(&mut env);
					if let Some(mut w) = swept.worker(&id).cloned() {
						w.location = GeoPoint { lat: 0.0, lon: 0.0 };
						w.status = WorkerStatus::Available;
						swept.upsert(w.clone());
						plain.upsert(w);
					}
				},
				_ => {},
			}
		}
		assert!(checked > 2_500, "{checked}");
	}
}

#[test]
fn a_lane_is_one_cache_line() {
	assert_eq!(std::mem::size_of::<Lane>(), 64);
	assert_eq!(std::mem::align_of::<Lane>(), 64);
}
