//! The race derivations against the checked-in vectors (written by the independent Python
//! implementation `primitives/reference/race.py`), RFC 8439's ChaCha20 test vector, the
//! seeds against their preimages written out, and the statistical properties the race relies
//! on.

#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use ail2_primitives::{
	keccak256,
	merkle::Peaks,
	race::{
		artifact, chacha20_block, f16_bits, f16_value, fill_tensor, input_seed, input_tokens,
		leaf_sample, node_seed, permutation, race_seed, sample, sample_seed, seed_commitment,
		target_vector, work_leaf, ChaCha20, RaceModel,
	},
};
use serde_json::Value;

fn vectors() -> Value {
	serde_json::from_str(include_str!("race_vectors.json")).unwrap()
}

fn hex32(value: &Value) -> [u8; 32] {
	let bytes = hex(value.as_str().unwrap());
	bytes.try_into().unwrap()
}

fn hex(text: &str) -> Vec<u8> {
	(0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

fn bits(values: &[f32]) -> Vec<String> {
	values.iter().map(|v| format!("{:08x}", v.to_bits())).collect()
}

fn strings(value: &Value) -> Vec<String> {
	value.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

fn numbers(value: &Value) -> Vec<u64> {
	value.as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect()
}

#[test]
fn chacha20_block_matches_rfc_8439() {
	// §2.3.2: key 00 01 … 1f, block counter 1, nonce 00:00:00:09:00:00:00:4a:00:00:00:00.
	let key: Vec<u32> = (0..8u32)
		.map(|i| {
			u32::from_le_bytes([4 * i as u8, 4 * i as u8 + 1, 4 * i as u8 + 2, 4 * i as u8 + 3])
		})
		.collect();
	let block = chacha20_block(&key.try_into().unwrap(), [1, 0x0900_0000, 0x4a00_0000, 0]);
	let expected: [u32; 16] = [
		0xe4e7f110, 0x15593bd1, 0x1fdd0f50, 0xc47120a3, 0xc7f4d1c7, 0x0368c033, 0x9aaa2204,
		0x4e6cd4c3, 0x466482d2, 0x09aa9f07, 0x05d7c214, 0xa2028bd9, 0xd19c12b5, 0xb94e16de,
		0xe883d0cb, 0x4e3c50a2,
	];
	assert_eq!(block, expected);
}

#[test]
fn derivations_match_the_checked_in_vectors() {
	let v = vectors();
	let race = hex32(&v["race_seed"]);
	assert_eq!(race, keccak256(b"ail2 race vectors"));
	let public_key = hex(v["public_key"].as_str().unwrap());
	let node = node_seed(&public_key);
	assert_eq!(node, hex32(&v["node_seed"]));

	let mut stream = ChaCha20::new(&hex32(&v["stream_key"]));
	let words: Vec<u64> = (0..20).map(|_| u64::from(stream.next_u32())).collect();
	assert_eq!(words, numbers(&v["stream_words"]), "crosses a block boundary at word 16");
	let uniforms: Vec<f32> = (0..4).map(|_| stream.uniform()).collect();
	assert_eq!(bits(&uniforms), strings(&v["uniform_f32_bits"]));
	let normals: Vec<f32> = (0..4).map(|_| stream.normal()).collect();
	assert_eq!(bits(&normals), strings(&v["normal_f32_bits"]));
	let bounded: Vec<u64> =
		[1u32, 2, 3, 7, 1000, 8192, u32::MAX].iter().map(|b| u64::from(stream.below(*b))).collect();
	assert_eq!(bounded, numbers(&v["below"]));

	for (nonce, expected) in v["input_seeds"].as_object().unwrap() {
		assert_eq!(input_seed(&race, &node, nonce.parse().unwrap()), hex32(expected), "{nonce}");
	}
	let seed = input_seed(&race, &node, 1);
	let model = RaceModel { layers: 1, heads: 2, d_model: 8, d_ff: 32, vocab: 8192, seq_len: 4 };
	let tokens: Vec<u64> = input_tokens(&seed, &model).into_iter().map(u64::from).collect();
	assert_eq!(tokens, numbers(&v["tokens_vocab_8192_seq_4"]));
	let perm: Vec<u64> = permutation(&seed, 16).into_iter().map(u64::from).collect();
	assert_eq!(perm, numbers(&v["permutation_16"]));

	let tensors = model.tensors();
	let mut first = [0f32; 8];
	fill_tensor(&race, &tensors[0], &mut first);
	assert_eq!(bits(&first), strings(&v["tensor_0_first_8_bits"]));
	// Layer 0's W_2: [d_ff × d], fan-in 32.
	assert_eq!((tensors[7].index, tensors[7].rows, tensors[7].fan_in), (7, 32, 32));
	fill_tensor(&race, &tensors[7], &mut first);
	assert_eq!(bits(&first), strings(&v["tensor_7_fan_in_32_first_8_bits"]));
	assert_eq!(bits(&target_vector(&race, 8)), strings(&v["target_8_bits"]));
	let long = target_vector(&race, 512);
	let every_64th: Vec<f32> = long.iter().step_by(64).copied().collect();
	assert_eq!(bits(&every_64th), strings(&v["target_512_every_64th_bits"]));
	// Scaled to length √512.
	let squares: f64 = long.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
	assert!((squares - 512.0).abs() < 1e-3, "{squares}");

	assert_eq!(
		seed_commitment(3, &public_key, &keccak256(b"secret")),
		hex32(&v["commitment_race_3"])
	);
	let picked: Vec<u64> =
		sample(&race, &public_key, 1000, 10).into_iter().map(u64::from).collect();
	assert_eq!(picked, numbers(&v["sample_10_of_1000"]));
	let all: Vec<u64> = sample(&race, &public_key, 5, 200).into_iter().map(u64::from).collect();
	assert_eq!(all, numbers(&v["sample_5_of_5"]));

	let randomness = keccak256(b"randomness");
	let secrets = [keccak256(b"secret"), keccak256(b"another secret")];
	assert_eq!(race_seed(3, &randomness, &secrets), hex32(&v["race_seed_race_3"]));
	assert_eq!(race_seed(3, &randomness, &[]), hex32(&v["race_seed_race_3_no_reveals"]));
	assert_eq!(sample_seed(3, &race, &randomness), hex32(&v["sample_seed_race_3"]));
}

#[test]
fn work_commitments_match_the_checked_in_vectors() {
	let v = vectors();
	let race = hex32(&v["race_seed"]);
	let public_key = hex(v["public_key"].as_str().unwrap());
	let node = node_seed(&public_key);

	let halves: Vec<u64> = strings(&v["f16_inputs_f32_bits"])
		.iter()
		.map(|b| u64::from(f16_bits(f32::from_bits(u32::from_str_radix(b, 16).unwrap()))))
		.collect();
	assert_eq!(halves, numbers(&v["f16_bits"]));

	let mut stream = ChaCha20::new(&keccak256(b"below_u64"));
	let bounded: Vec<u64> = [1u64, 2, 3, 1_000_000_000_000, (1 << 63) + 1, u64::MAX]
		.iter()
		.map(|b| stream.below_u64(*b))
		.collect();
	assert_eq!(bounded, numbers(&v["below_u64"]));

	let output: Vec<f32> = (0..64).map(|i| ((f64::from(i) - 30.0) / 7.3) as f32).collect();
	let seed = input_seed(&race, &node, 1);
	let art = artifact(&output, &permutation(&seed, 64), 16);
	let expected: Vec<u64> = numbers(&v["artifact_16_of_64"]);
	assert_eq!(art.iter().map(|&h| u64::from(h)).collect::<Vec<_>>(), expected);
	assert_eq!(work_leaf(5, &art).hash, hex32(&v["work_leaf_5"]));

	let counting = |nonce: u64| -> Vec<u16> { (0..16).map(|i| (nonce * 16 + i) as u16).collect() };
	for (count, root) in v["work_roots"].as_object().unwrap() {
		let count: u64 = count.parse().unwrap();
		let mut peaks = Peaks::default();
		for nonce in 0..count {
			peaks.push(work_leaf(nonce, &counting(nonce))).unwrap();
		}
		let reached = peaks.root().unwrap();
		assert_eq!((reached.hash, reached.sum), (hex32(root), u128::from(count)), "{count}");
	}

	let validator = [3u8; 32];
	assert_eq!(
		leaf_sample(&race, &public_key, &validator, 1_000_000_000, 8),
		numbers(&v["leaf_sample_8_of_1e9"])
	);
	assert_eq!(
		leaf_sample(&race, &public_key, &validator, 5, 200),
		numbers(&v["leaf_sample_all_of_5"])
	);
}

#[test]
fn f16_rounding_agrees_with_the_value_it_names_for_every_half() {
	// Every finite binary16 value converts back to its own bits, and the midpoint between two
	// neighbours rounds to the even one.
	for h in 0u16..0x7c00 {
		let value = f16_value(h);
		assert_eq!(f16_bits(value), h, "{h:#06x}");
		assert_eq!(f16_bits(-value), h | 0x8000, "-{h:#06x}");
		let next = f16_value(h + 1);
		let midpoint = ((f64::from(value) + f64::from(next)) / 2.0) as f32;
		let even = if h % 2 == 0 { h } else { h + 1 };
		assert_eq!(f16_bits(midpoint), even, "midpoint above {h:#06x}");
	}
	assert_eq!(f16_bits(f32::INFINITY), 0x7c00);
	assert!(f16_value(f16_bits(f32::NAN)).is_nan());
}

#[test]
fn leaf_samples_are_distinct_in_range_differ_per_validator_and_cover_evenly() {
	let seed = [9u8; 32];
	let (participant, count) = ([1u8; 32], 1_000u64);
	let mut hits = vec![0u32; count as usize];
	for validator in 0u8..200 {
		let picked = leaf_sample(&seed, &participant, &[validator; 32], count, 50);
		assert_eq!(picked.len(), 50);
		assert!(picked.windows(2).all(|w| w[0] < w[1]), "sorted and distinct");
		assert!(picked.iter().all(|&i| i < count));
		for i in picked {
			hits[i as usize] += 1;
		}
	}
	// 200 × 50 draws over 1,000 leaves: 10 per leaf on average.
	assert!(hits.iter().all(|&h| h <= 30), "no leaf is favoured: max {:?}", hits.iter().max());
	assert_ne!(
		leaf_sample(&seed, &participant, &[1; 32], count, 50),
		leaf_sample(&seed, &participant, &[2; 32], count, 50),
		"each validator opens its own leaves"
	);
}

#[test]
fn the_race_seed_is_the_tagged_hash_of_race_randomness_and_secrets_in_order() {
	let randomness = [4u8; 32];
	let (first, second) = ([5u8; 32], [6u8; 32]);
	let mut preimage = b"ail2:race:seed".to_vec();
	preimage.extend_from_slice(&7u32.to_le_bytes());
	preimage.extend_from_slice(&randomness);
	preimage.extend_from_slice(&first);
	preimage.extend_from_slice(&second);
	assert_eq!(race_seed(7, &randomness, &[first, second]), keccak256(&preimage));
	assert_ne!(race_seed(7, &randomness, &[second, first]), keccak256(&preimage));

	let seed = keccak256(&preimage);
	let mut preimage = b"ail2:race:sample-seed".to_vec();
	preimage.extend_from_slice(&7u32.to_le_bytes());
	preimage.extend_from_slice(&seed);
	preimage.extend_from_slice(&randomness);
	assert_eq!(sample_seed(7, &seed, &randomness), keccak256(&preimage));
	assert_ne!(sample_seed(8, &seed, &randomness), keccak256(&preimage));
}

#[test]
fn presets_name_the_tiny_and_the_whitepaper_model() {
	assert_eq!(RaceModel::preset("tiny"), Some(RaceModel::TINY));
	assert_eq!(RaceModel::preset("whitepaper"), Some(RaceModel::WHITEPAPER));
	assert_eq!(RaceModel::preset("huge"), None);
	let tiny = RaceModel::TINY;
	assert_eq!((tiny.layers, tiny.heads, tiny.d_model, tiny.d_ff), (4, 4, 64, 256));
	assert_eq!((tiny.vocab, tiny.seq_len), (1024, 4));
	assert_eq!(tiny.d_model % tiny.heads, 0);
}

#[test]
fn the_whitepaper_model_has_the_described_shape() {
	let model = RaceModel::WHITEPAPER;
	let tensors = model.tensors();
	assert_eq!(tensors.len(), 2 + 6 * 64);
	// Embeddings 8192·512 + 4·512, and per layer 4·512² + 2·512·8192.
	let expected = 8192 * 512 + 4 * 512 + 64 * (4 * 512 * 512 + 2 * 512 * 8192);
	assert_eq!(model.parameters(), expected);
	assert!(tensors.iter().enumerate().all(|(i, t)| t.index as usize == i));
}

#[test]
fn draws_have_the_intended_distributions() {
	let mut stream = ChaCha20::new(&[7u8; 32]);
	let n = 200_000;
	let normals: Vec<f64> = (0..n).map(|_| f64::from(stream.normal())).collect();
	let mean = normals.iter().sum::<f64>() / n as f64;
	let var = normals.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
	assert!(mean.abs() < 0.01, "{mean}");
	assert!((var - 1.0).abs() < 0.01, "{var}");
	// Irwin–Hall is bounded by ±6.
	assert!(normals.iter().all(|x| x.abs() <= 6.0));
	let uniforms: Vec<f32> = (0..n).map(|_| stream.uniform()).collect();
	assert!(uniforms.iter().all(|u| (0.0..1.0).contains(u)));
	// Bounded draws: each of 7 values about n/7 times (χ² with 6 degrees of freedom).
	let mut counts = [0u32; 7];
	for _ in 0..70_000 {
		counts[stream.below(7) as usize] += 1;
	}
	let chi2: f64 = counts.iter().map(|&c| (f64::from(c) - 10_000.0).powi(2) / 10_000.0).sum();
	assert!(chi2 < 22.5, "{counts:?} χ² = {chi2}"); // p ≈ 0.001
	assert_eq!(stream.below(0), 0);
	assert_eq!(stream.below(1), 0);
}

#[test]
fn permutations_are_permutations_and_differ_per_nonce() {
	let race = [1u8; 32];
	let node = node_seed(&[2u8; 33]);
	let a = permutation(&input_seed(&race, &node, 1), 512);
	let b = permutation(&input_seed(&race, &node, 2), 512);
	let mut sorted = a.clone();
	sorted.sort_unstable();
	assert_eq!(sorted, (0..512).collect::<Vec<_>>());
	assert_ne!(a, b);
	// Edge cases: empty and one-element permutations.
	assert!(permutation(&input_seed(&race, &node, 3), 0).is_empty());
	assert_eq!(permutation(&input_seed(&race, &node, 3), 1), vec![0]);
	// Another worker's inputs differ for the same nonce.
	let other = node_seed(&[3u8; 33]);
	assert_ne!(input_seed(&race, &node, 1), input_seed(&race, &other, 1));
}

#[test]
fn samples_are_distinct_in_range_and_cover_every_position_evenly() {
	let seed = [9u8; 32];
	// Edge cases: nothing submitted, k = 0, k = n.
	assert!(sample(&seed, b"p", 0, 200).is_empty());
	assert!(sample(&seed, b"p", 10, 0).is_empty());
	assert_eq!(sample(&seed, b"p", 7, 7), (0..7).collect::<Vec<_>>());
	// Each draw: k distinct positions below n, ascending; another participant or another
	// seed picks others.
	let one = sample(&seed, b"p", 1000, 200);
	assert_eq!(one.len(), 200);
	assert!(one.windows(2).all(|w| w[0] < w[1]) && one[199] < 1000);
	assert_ne!(one, sample(&seed, b"q", 1000, 200));
	assert_ne!(one, sample(&[8u8; 32], b"p", 1000, 200));
	// Over 2,000 seeds, each of 50 positions is picked by a sample of 5 about 200 times
	// (χ² with 49 degrees of freedom; 85 is p ≈ 0.001).
	let mut counts = [0u32; 50];
	for i in 0u32..2_000 {
		for position in sample(&keccak256(&i.to_le_bytes()), b"p", 50, 5) {
			counts[position as usize] += 1;
		}
	}
	let chi2: f64 = counts.iter().map(|&c| (f64::from(c) - 200.0).powi(2) / 200.0).sum();
	assert!(chi2 < 85.0, "{counts:?} χ² = {chi2}");
}
