//! Throughput of the settlement primitives on this machine:
//!
//! - building the Merkle-sum tree of a large batch (leaf hashing and inner levels, on one
//!   core and on all cores);
//! - verifying one inclusion proof and one inconsistent-node proof in that tree;
//! - signing and verifying receipts (libsecp256k1), and recovering the signer through the
//!   host-function path the runtime uses.
//!
//! `cargo run --release -p ail2-primitives --example settlement_bench -- [RECEIPTS]`
//! (default 1,000,000; `scripts/bench-settlement.sh` runs it).

// A measuring tool, not runtime code: it stops on setup failures and reports floats.
#![allow(clippy::expect_used, clippy::arithmetic_side_effects)]

use ail2_primitives::{
	keccak256,
	merkle::{self, MerkleSumTree, SumNode},
	receipt::{signing::Keypair, Receipt, SemVer, SignedReceipt},
};
use std::time::{Duration, Instant};

fn receipt(counter: u64, worker: &Keypair) -> Receipt {
	Receipt {
		project_id: 1,
		model_id: 7,
		version: SemVer::new(1, 0, 0),
		timestamp_ms: 1_764_000_000_000 + counter,
		tokens_in: 600,
		tokens_out: 200,
		gpu_ms: 850,
		bytes_in: 4_000,
		bytes_out: 1_200,
		price: 1_000 + u128::from(counter % 977),
		chain_id: 1,
		route_id: keccak256(&counter.to_le_bytes()),
		counter,
		node_pubkey: worker.public(),
		payer: [3; 32],
		policy_hash: [4; 32],
		max_price: 10_000,
		expires_at_ms: u64::MAX,
		transcript: ail2_primitives::transcript::no_transcript(),
	}
}

fn per_second(n: usize, elapsed: Duration) -> f64 {
	n as f64 / elapsed.as_secs_f64()
}

fn main() {
	let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
	let worker = Keypair::from_secret(&[7; 32]).expect("valid key");
	let gateway = Keypair::from_secret(&[9; 32]).expect("valid key");

	// Signing every receipt of a million-receipt batch would dominate this run; the tree
	// does not care whether signatures are valid, so the batch reuses one signature pair.
	let sample = receipt(0, &worker);
	let node_signature = worker.sign(&sample.message());
	let gateway_signature = gateway.sign(&sample.authorisation().message());
	let receipts: Vec<SignedReceipt> = (1..=n as u64)
		.map(|c| SignedReceipt { receipt: receipt(c, &worker), node_signature, gateway_signature })
		.collect();
	let encoded = receipts.first().map_or(0, codec::Encode::encoded_size);
	println!("batch: {n} receipts, {encoded} bytes each encoded");

	// The baseline, in the same run: keccak256 over one buffer as large as the leaves'
	// preimages together, so the tree's cost reads as a ratio to raw hashing on this machine.
	let baseline_bytes = vec![0x5a_u8; n * (encoded + 1)];
	let start = Instant::now();
	let digest = keccak256(&baseline_bytes);
	let keccak_time = start.elapsed();
	let keccak_mb_s = baseline_bytes.len() as f64 / keccak_time.as_secs_f64() / 1e6;
	println!(
		"keccak256 baseline: {:.0} MB/s ({} MB in {:.3} s, digest {:02x}{:02x}…)",
		keccak_mb_s,
		baseline_bytes.len() / 1_000_000,
		keccak_time.as_secs_f64(),
		digest[0],
		digest[1]
	);
	drop(baseline_bytes);

	let start = Instant::now();
	let leaves: Vec<SumNode> = receipts.iter().map(merkle::leaf).collect();
	let leaf_time = start.elapsed();
	let start = Instant::now();
	let tree = MerkleSumTree::build(leaves).expect("tree");
	let level_time = start.elapsed();
	let leaf_mb_s = (n * (encoded + 1)) as f64 / leaf_time.as_secs_f64() / 1e6;
	let one_core = leaf_time + level_time;
	// Hashing the same bytes as one buffer takes this long; the tree also pays a keccak
	// block per inner node and the padding of each leaf's last block.
	let baseline = (n * (encoded + 1)) as f64 / (keccak_mb_s * 1e6);
	println!(
		"tree, one core: leaves {:.3} s ({:.0} MB/s, {:.2}× the baseline's rate), inner levels {:.3} s, total {:.3} s ({:.2}× the baseline's time)",
		leaf_time.as_secs_f64(),
		leaf_mb_s,
		leaf_mb_s / keccak_mb_s,
		level_time.as_secs_f64(),
		one_core.as_secs_f64(),
		one_core.as_secs_f64() / baseline
	);

	let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
	let start = Instant::now();
	let parallel = MerkleSumTree::from_receipts_parallel(&receipts).expect("tree");
	let parallel_time = start.elapsed();
	assert_eq!(parallel.root(), tree.root(), "parallel build must equal the sequential one");
	println!(
		"tree, {threads} cores: {:.3} s ({:.2}× the one-core build, {:.2}× the baseline's time)",
		parallel_time.as_secs_f64(),
		one_core.as_secs_f64() / parallel_time.as_secs_f64(),
		parallel_time.as_secs_f64() / baseline
	);

	let root = tree.root();
	let index = (n / 2) as u64;
	let proof = tree.proof(index).expect("proof");
	let leaf = tree.node(0, index).expect("leaf");
	let rounds = 100_000;
	let start = Instant::now();
	for _ in 0..rounds {
		assert!(merkle::verify_inclusion(&root, n as u64, index, &leaf, &proof.siblings).is_ok());
	}
	let verify = start.elapsed();
	println!(
		"inclusion proof: {} siblings, {} bytes, verified in {:.2} µs",
		proof.siblings.len(),
		proof.siblings.len() * 48,
		verify.as_secs_f64() * 1e6 / f64::from(rounds)
	);

	let sign_n = 20_000;
	let to_sign: Vec<Receipt> = (1..=sign_n as u64).map(|c| receipt(c, &worker)).collect();
	let start = Instant::now();
	let signatures: Vec<_> = to_sign.iter().map(|r| worker.sign(&r.message())).collect();
	let sign_time = start.elapsed();
	let start = Instant::now();
	for (r, s) in to_sign.iter().zip(&signatures) {
		assert!(ail2_primitives::receipt::signing::verify(&worker.public(), &r.message(), s));
	}
	let verify_time = start.elapsed();
	let start = Instant::now();
	for (r, s) in to_sign.iter().zip(&signatures) {
		assert_eq!(ail2_primitives::receipt::recover(&r.message(), s), Some(worker.public()));
	}
	let recover_time = start.elapsed();
	println!(
		"receipts on one core: {:.0} signed/s, {:.0} verified/s (libsecp256k1), {:.0} recovered/s (runtime host path), message hashing included",
		per_second(sign_n, sign_time),
		per_second(sign_n, verify_time),
		per_second(sign_n, recover_time)
	);
}
