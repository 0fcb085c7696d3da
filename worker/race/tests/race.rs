//! The race model in burn against the independent NumPy forward pass, and validation: honest
//! hits pass, forged nonces and a lazy miner's hits (a model with a layer fewer) do not.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::process::Command;

use ail2_model::default_device;
use ail2_primitives::race::{node_seed, RaceModel};
use ail2_race::{distance_squared, threshold_for, RaceNet};

const TINY: RaceModel =
	RaceModel { layers: 2, heads: 4, d_model: 16, d_ff: 32, vocab: 64, seq_len: 4 };
const RACE: [u8; 32] = [0x5a; 32];
const PUBLIC_KEY: [u8; 33] = [0x02; 33];

fn numpy_reference(model: &RaceModel, count: usize) -> serde_json::Value {
	let dir =
		std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
	let python = std::env::var("AIL2_PYTHON").unwrap_or_else(|_| "python3".into());
	let output = Command::new(python)
		.arg(std::path::Path::new(&dir).join("reference/race_forward.py"))
		.arg(hex(&RACE))
		.arg(hex(&PUBLIC_KEY))
		.args(
			[model.layers, model.heads, model.d_model, model.d_ff, model.vocab, model.seq_len]
				.map(|n| n.to_string()),
		)
		.arg(count.to_string())
		.output()
		.expect("python3 with numpy (scripts/setup.sh installs it)");
	assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
	serde_json::from_slice(&output.stdout).unwrap()
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn burn_forward_matches_numpy() {
	let count = 24;
	let reference = numpy_reference(&TINY, count);
	let net = RaceNet::build(&RACE, TINY, &default_device()).unwrap();
	let node = node_seed(&PUBLIC_KEY);
	let nonces: Vec<u64> = (0..count as u64).collect();
	let distances = net.distances(&node, &nonces).unwrap();
	for (i, expected) in reference["distances"].as_array().unwrap().iter().enumerate() {
		let expected = expected.as_f64().unwrap();
		assert!(
			(distances[i] - expected).abs() <= 1e-4 * expected.max(1.0),
			"nonce {i}: burn {} vs NumPy {expected}",
			distances[i]
		);
	}
	// The raw outputs too, one nonce at a time (batch of one) and all at once.
	let seeds: Vec<_> =
		nonces.iter().map(|&n| ail2_primitives::race::input_seed(&RACE, &node, n)).collect();
	let tokens: Vec<u32> =
		seeds.iter().flat_map(|s| ail2_primitives::race::input_tokens(s, &TINY)).collect();
	let batched = net.forward(&tokens).unwrap();
	let single = net.forward(&tokens[..4]).unwrap();
	let d = TINY.d_model as usize;
	for (i, row) in reference["outputs"].as_array().unwrap().iter().enumerate() {
		for (j, value) in row.as_array().unwrap().iter().enumerate() {
			let value = value.as_f64().unwrap();
			let got = f64::from(batched[i * d + j]);
			assert!((got - value).abs() < 1e-4, "nonce {i} coordinate {j}: {got} vs {value}");
		}
	}
	for j in 0..d {
		assert!((single[j] - batched[j]).abs() < 1e-5);
	}
}

#[test]
fn honest_hits_validate_and_forged_or_lazy_ones_do_not() {
	let device = default_device();
	let model = RaceModel { layers: 8, heads: 4, d_model: 64, d_ff: 256, vocab: 1024, seq_len: 4 };
	let net = RaceNet::build(&RACE, model, &device).unwrap();
	let node = node_seed(&PUBLIC_KEY);
	// Calibrate to one hit in 20 on nonces nobody submits.
	let sample: Vec<u64> = (1_000_000..1_004_000).collect();
	let threshold = threshold_for(net.distances(&node, &sample).unwrap(), 1.0 / 20.0).unwrap();

	let nonces: Vec<u64> = (0..4_000).collect();
	let hits = net.search(&node, &nonces, threshold).unwrap();
	assert!((100..=300).contains(&hits.len()), "{} hits at 1 in 20", hits.len());
	// A validator recomputes them in another batch composition: float differences may flip a
	// hit right at the threshold, never more than a few.
	let mut shuffled = hits.clone();
	shuffled.reverse();
	let honest = net.mismatches(&node, &shuffled, threshold).unwrap();
	assert!(honest <= 2, "{honest} honest hits failed validation");

	// Forged: nonces the miner never computed.
	let forged: Vec<u64> = (2_000_000..2_000_000 + hits.len() as u64).collect();
	let forged_mismatches = net.mismatches(&node, &forged, threshold).unwrap();
	assert!(forged_mismatches * 10 >= forged.len() * 8, "{forged_mismatches} of {}", forged.len());

	// Lazy: hits found with a model one layer short, or half as deep. Only chance (1 in 20)
	// makes one of them a hit of the full model.
	for layers in [model.layers - 1, model.layers / 2] {
		let lazy_net = RaceNet::build_truncated(&RACE, model, layers, &device).unwrap();
		let lazy_hits = lazy_net.search(&node, &nonces, threshold).unwrap();
		assert!(lazy_hits.len() >= 50, "{} lazy hits", lazy_hits.len());
		let caught = net.mismatches(&node, &lazy_hits, threshold).unwrap();
		assert!(
			caught * 10 >= lazy_hits.len() * 8,
			"{layers} layers: {caught} of {} lazy hits caught",
			lazy_hits.len()
		);
	}

	// Another worker's hits are not this worker's: the inputs depend on the node seed.
	let other = node_seed(&[0x03; 33]);
	let stolen = net.mismatches(&other, &hits, threshold).unwrap();
	assert!(stolen * 10 >= hits.len() * 8, "{stolen} of {}", hits.len());
}

#[test]
fn distances_permutations_and_thresholds_by_hand() {
	let output = [1.0f32, 2.0, 3.0];
	let target = [3.0f32, 1.0, 2.0];
	// perm [2, 0, 1]: (3−3)² + (1−1)² + (2−2)² = 0
	assert_eq!(distance_squared(&output, &target, &[2, 0, 1]), 0.0);
	// identity: (1−3)² + (2−1)² + (3−2)² = 6
	assert_eq!(distance_squared(&output, &target, &[0, 1, 2]), 6.0);
	// An index out of range makes the distance NaN: never a hit.
	assert!(distance_squared(&output, &target, &[0, 1, 7]).is_nan());
	assert_eq!(threshold_for(vec![4.0, 1.0, 3.0, 2.0], 0.5), Some(3.0));
	assert_eq!(threshold_for(vec![f64::NAN], 0.5), None);
	let bad = RaceModel { heads: 3, ..TINY };
	assert!(RaceNet::build(&RACE, bad, &default_device()).is_err());
	let net = RaceNet::build(&RACE, TINY, &default_device()).unwrap();
	assert!(net.forward(&[1, 2, 3]).is_err(), "three tokens are not a sequence of four");
}
