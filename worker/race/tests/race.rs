//! The race model in burn against the independent NumPy forward pass, and validation of
//! artifacts: honest recomputation in another batch shape stays far inside the tolerance;
//! forged artifacts, another worker's, and a lazy miner's (a model with a layer fewer, or half
//! as deep) do not pass.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::process::Command;

use ail2_model::default_device;
use ail2_primitives::race::{node_seed, RaceModel};
use ail2_race::{rms_difference, RaceNet, ARTIFACT_LEN};

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

/// τ, the default tolerance (`RaceParams::tolerance` of 25,000 millionths).
const TOLERANCE: f64 = 0.025;

#[test]
fn burn_forward_matches_numpy() {
	let count = 24;
	let reference = numpy_reference(&TINY, count);
	let net = RaceNet::build(&RACE, TINY, &default_device()).unwrap();
	let node = node_seed(&PUBLIC_KEY);
	let nonces: Vec<u64> = (0..count as u64).collect();
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
	// The artifacts: NumPy's float64 output rounded to binary16 against burn's f32 one.
	let artifacts = net.artifacts(&node, &nonces, 16).unwrap();
	for (i, expected) in reference["artifact_bits"].as_array().unwrap().iter().enumerate() {
		let expected: Vec<u16> =
			expected.as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u16).collect();
		let difference = rms_difference(&artifacts[i], &expected);
		assert!(difference <= TOLERANCE / 10.0, "nonce {i}: RMS difference {difference}");
	}
}

#[test]
fn honest_artifacts_validate_and_forged_stolen_or_lazy_ones_do_not() {
	let device = default_device();
	let model = RaceModel { layers: 8, heads: 4, d_model: 64, d_ff: 256, vocab: 1024, seq_len: 4 };
	let net = RaceNet::build(&RACE, model, &device).unwrap();
	let node = node_seed(&PUBLIC_KEY);
	let nonces: Vec<u64> = (0..512).collect();
	let computed = net.artifacts(&node, &nonces, ARTIFACT_LEN).unwrap();
	let claimed: Vec<(u64, Vec<u16>)> = nonces.iter().copied().zip(computed.clone()).collect();

	// A validator recomputes them one at a time (batch 1 against batch 512): far inside τ.
	let mut worst = 0f64;
	for (nonce, artifact) in claimed.iter().step_by(16) {
		let again = net.artifacts(&node, &[*nonce], ARTIFACT_LEN).unwrap().remove(0);
		worst = worst.max(rms_difference(artifact, &again));
	}
	assert!(worst <= TOLERANCE / 10.0, "batch 1 vs 512: RMS difference {worst}");
	assert_eq!(net.mismatches(&node, &claimed, ARTIFACT_LEN, TOLERANCE).unwrap(), 0);

	// Forged: another nonce's artifact under each nonce.
	let shifted: Vec<(u64, Vec<u16>)> =
		nonces.iter().map(|&n| (n, computed[((n + 1) % 512) as usize].clone())).collect();
	assert_eq!(net.mismatches(&node, &shifted, ARTIFACT_LEN, TOLERANCE).unwrap(), 512);
	// Wrong lengths never pass.
	let short: Vec<(u64, Vec<u16>)> = vec![(0, computed[0][..8].to_vec())];
	assert_eq!(net.mismatches(&node, &short, ARTIFACT_LEN, TOLERANCE).unwrap(), 1);

	// Another worker's artifacts are not this worker's: the inputs depend on the node seed.
	let other = node_seed(&[0x03; 33]);
	let stolen = net.mismatches(&other, &claimed, ARTIFACT_LEN, TOLERANCE).unwrap();
	assert_eq!(stolen, 512, "{stolen} of 512 stolen artifacts pass");

	// Lazy: a model one layer short, or half as deep, fails every leaf.
	for layers in [model.layers - 1, model.layers / 2] {
		let lazy_net = RaceNet::build_truncated(&RACE, model, layers, &device).unwrap();
		let lazy: Vec<(u64, Vec<u16>)> = nonces
			.iter()
			.copied()
			.zip(lazy_net.artifacts(&node, &nonces, ARTIFACT_LEN).unwrap())
			.collect();
		let caught = net.mismatches(&node, &lazy, ARTIFACT_LEN, TOLERANCE).unwrap();
		assert_eq!(caught, 512, "{layers} layers: {caught} of 512 lazy artifacts caught");
	}
}

#[test]
fn one_and_two_threads_give_the_same_artifacts_within_a_tenth_of_tau() {
	// burn's flex backend runs on the rayon pool it is called in. A miner's artifacts and its
	// validator's recomputation must agree far inside τ whatever either's core count. On
	// flex they were bit-identical when measured (RMS difference 0 over 256 nonces).
	let model = RaceModel { layers: 8, heads: 4, d_model: 64, d_ff: 256, vocab: 1024, seq_len: 4 };
	let net = RaceNet::build(&RACE, model, &default_device()).unwrap();
	let node = node_seed(&PUBLIC_KEY);
	let nonces: Vec<u64> = (0..256).collect();
	let pool = |threads| rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
	let (one, two) = (pool(1), pool(2));
	let alone = one.install(|| net.artifacts(&node, &nonces, ARTIFACT_LEN)).unwrap();
	let shared = two.install(|| net.artifacts(&node, &nonces, ARTIFACT_LEN)).unwrap();
	assert_eq!(two.install(rayon::current_num_threads), 2);
	let worst = alone.iter().zip(&shared).map(|(a, b)| rms_difference(a, b)).fold(0f64, f64::max);
	eprintln!("1 thread vs 2 threads, 256 nonces: worst RMS difference {worst}");
	assert!(worst <= TOLERANCE / 10.0, "1 vs 2 threads: RMS difference {worst}");
	// Each one's artifacts validate against the other's recomputation.
	let claimed: Vec<(u64, Vec<u16>)> = nonces.iter().copied().zip(alone).collect();
	let found = two.install(|| net.mismatches(&node, &claimed, ARTIFACT_LEN, TOLERANCE)).unwrap();
	assert_eq!(found, 0);
}

#[test]
fn rms_differences_by_hand() {
	use ail2_primitives::race::f16_bits;
	let a = [f16_bits(1.0), f16_bits(2.0)];
	let b = [f16_bits(1.0), f16_bits(2.5)];
	// sqrt((0 + 0.25) / 2)
	assert!((rms_difference(&a, &b) - (0.125f64).sqrt()).abs() < 1e-12);
	assert_eq!(rms_difference(&a, &a), 0.0);
	assert_eq!(rms_difference(&a, &b[..1]), f64::INFINITY, "lengths differ");
	assert_eq!(rms_difference(&[], &[]), f64::INFINITY, "empty");
	assert!(rms_difference(&[0x7e00], &[0x7e00]).is_nan(), "NaN never passes a tolerance");
	let bad = RaceModel { heads: 3, ..TINY };
	assert!(RaceNet::build(&RACE, bad, &default_device()).is_err());
	let net = RaceNet::build(&RACE, TINY, &default_device()).unwrap();
	assert!(net.forward(&[1, 2, 3]).is_err(), "three tokens are not a sequence of four");
}
