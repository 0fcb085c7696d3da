//! The receipt wire format against the checked-in vectors `receipt_vectors.json`, which this
//! file writes: receipts, authorisations, pricing policies and their hashes, signatures from
//! fixed secp256k1 keys (and which altered forms the chain refuses), leaves,
//! Merkle-sum trees with odd leaf counts, inclusion proofs good and bad, inconsistent-node
//! evidence, and challenge windows. `docs/receipts.md` is the specification the vectors
//! illustrate; `primitives/reference/receipts.py` recomputes every one of them in Python.
//!
//! `AIL2_WRITE_VECTORS=1 cargo test -p ail2-primitives --test receipts` rewrites the file;
//! without it the test fails if the code no longer produces the checked-in vectors.

#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use ail2_primitives::{
	billing::{receipt_price, BillingMode, PricingPolicy, Usage},
	keccak256,
	merkle::{
		self, height, level_width, node_hash, parent, verify_inclusion, verify_inconsistent_node,
		InconsistentNode, MerkleSumTree, ProofError, SumNode,
	},
	receipt::{
		high_s_twin, proof_of_possession_message, recover, signing::Keypair, Authorisation,
		Receipt, SemVer, Signature, SignedReceipt,
	},
	transcript::{
		divergence, no_transcript, request_message, verifier_request_message, Finish, Sampling,
		Transcript,
	},
	window::WindowParameters,
	Balance, Counter,
};
use codec::Encode;
use serde_json::{json, Value};

const VECTORS_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/receipt_vectors.json");

/// The secp256k1 group order n, big-endian.
const ORDER: [u8; 32] = [
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
	0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
];
/// ⌊n / 2⌋: the largest low s.
const HALF_ORDER: [u8; 32] = [
	0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
];

/// Counters of the receipts the trees are built from: strictly increasing, with gaps, as a
/// batch may have them.
const COUNTERS: [Counter; 7] = [1, 2, 3, 5, 8, 13, 21];
/// Leaf counts of the trees: every shape up to three levels, odd ones included.
const TREE_SIZES: [usize; 5] = [1, 2, 3, 5, 7];

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn worker_key() -> Keypair {
	Keypair::from_secret(&core::array::from_fn(|i| i as u8 + 1)).unwrap()
}

fn gateway_key() -> Keypair {
	Keypair::from_secret(&core::array::from_fn(|i| i as u8 + 33)).unwrap()
}

/// Alice's account id on the development chain, as the payer.
fn payer() -> [u8; 32] {
	let text = "d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d";
	core::array::from_fn(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap())
}

fn policies() -> Vec<(&'static str, PricingPolicy)> {
	let hybrid = PricingPolicy {
		mode: BillingMode::Hybrid,
		token_base: 1_000_000,
		per_1k_input_tokens: 2_000_000,
		per_1k_output_tokens: 6_000_000,
		time_base: 500_000,
		per_gpu_second: 10_000_000,
		min_fee: 2_000_000,
		max_fee: 50_000_000_000,
	};
	vec![
		("token", PricingPolicy { mode: BillingMode::Token, ..hybrid }),
		("time", PricingPolicy { mode: BillingMode::Time, ..hybrid }),
		("hybrid", hybrid),
		// Fee bounds that cross: the cap wins. The chain refuses to register such a policy,
		// the formula still defines a price for it.
		("crossed_bounds", PricingPolicy { min_fee: 9_000_000, max_fee: 3_000_000, ..hybrid }),
		(
			"widest",
			// Products saturate at u128::MAX before the division by 1000.
			PricingPolicy {
				mode: BillingMode::Hybrid,
				token_base: 0,
				per_1k_input_tokens: Balance::MAX,
				per_1k_output_tokens: 1,
				time_base: 1,
				per_gpu_second: Balance::MAX / 2,
				min_fee: 0,
				max_fee: Balance::MAX,
			},
		),
	]
}

fn usages() -> Vec<Usage> {
	vec![
		Usage::default(),
		Usage { tokens_in: 1, tokens_out: 0, gpu_ms: 1 },
		Usage { tokens_in: 1_500, tokens_out: 250, gpu_ms: 2_750 },
		Usage { tokens_in: 100_000, tokens_out: 0, gpu_ms: 10 },
		Usage { tokens_in: 999, tokens_out: 999, gpu_ms: 999 },
		Usage { tokens_in: u32::MAX, tokens_out: u32::MAX, gpu_ms: u64::MAX },
	]
}

/// The policy the tree receipts are priced under.
fn tree_policy() -> PricingPolicy {
	policies().into_iter().find(|(name, _)| *name == "hybrid").unwrap().1
}

/// Receipt number `i` of the trees: distinct values in every field, priced honestly.
fn tree_receipt(i: usize) -> Receipt {
	let counter = COUNTERS[i];
	let n = i as u64 + 1;
	let usage =
		Usage { tokens_in: 100 * n as u32 + 7, tokens_out: 30 * n as u32, gpu_ms: 250 * n + 1 };
	let policy = tree_policy();
	let price = receipt_price(&policy, &usage);
	let timestamp_ms = 1_764_000_000_000 + 1_000 * n;
	Receipt {
		project_id: 3,
		model_id: 11,
		version: SemVer::new(1, 2, 3),
		timestamp_ms,
		tokens_in: usage.tokens_in,
		tokens_out: usage.tokens_out,
		gpu_ms: usage.gpu_ms,
		bytes_in: 4 * u64::from(usage.tokens_in) + 64,
		bytes_out: 4 * u64::from(usage.tokens_out) + 32,
		price,
		chain_id: 42,
		route_id: keccak256(&[b"route".as_slice(), &counter.to_le_bytes()].concat()),
		counter,
		node_pubkey: worker_key().public(),
		payer: payer(),
		policy_hash: policy.hash(),
		max_price: 2 * price,
		expires_at_ms: timestamp_ms + 60_000,
		transcript: tree_transcript(i).hash(),
	}
}

/// The transcript behind tree receipt `i`: its token counts, greedy for even `i`, seeded
/// nucleus sampling for odd ones.
fn tree_transcript(i: usize) -> Transcript {
	let n = i as u32 + 1;
	let tokens_out = 30 * n;
	let sampling = if i.is_multiple_of(2) {
		Sampling { temperature_bits: 0f32.to_bits(), top_p_bits: 1f32.to_bits(), seed: n.into() }
	} else {
		Sampling {
			temperature_bits: 0.7f32.to_bits(),
			top_p_bits: 0.9f32.to_bits(),
			seed: 0x9e37_79b9_7f4a_7c15 ^ u64::from(n),
		}
	};
	Transcript {
		model_id: 11,
		version: SemVer::new(1, 2, 3),
		prompt: (0..100 * n + 7).map(|t| (t * 7 + n) % 32_000).collect(),
		max_tokens: tokens_out + 2,
		sampling,
		output: (0..tokens_out).map(|t| (t * 13 + 5 * n) % 32_000).collect(),
		logprobs: (0..tokens_out).map(|t| -(((t * 104_729 + n) % 9_000_000) as i32)).collect(),
		finish: if i.is_multiple_of(3) { Finish::Length } else { Finish::Stop },
	}
}

/// A short transcript written out field by field, and one with every width at its maximum.
fn transcripts_json() -> Value {
	let short = Transcript {
		model_id: 11,
		version: SemVer::new(1, 2, 3),
		prompt: vec![1, 2, 300],
		max_tokens: 3,
		sampling: Sampling {
			temperature_bits: 0.7f32.to_bits(),
			top_p_bits: 0.95f32.to_bits(),
			seed: 42,
		},
		output: vec![17, 18],
		logprobs: vec![-1_234_567, 0],
		finish: Finish::Stop,
	};
	let widest = Transcript {
		model_id: u32::MAX,
		version: SemVer::new(u16::MAX, u16::MAX, u16::MAX),
		prompt: vec![u32::MAX; 70],
		max_tokens: u32::MAX,
		sampling: Sampling { temperature_bits: u32::MAX, top_p_bits: u32::MAX, seed: u64::MAX },
		output: vec![u32::MAX; 1],
		logprobs: vec![i32::MIN],
		finish: Finish::Length,
	};
	let mut listed = vec![("short", short), ("every width at its maximum", widest)];
	listed.extend((0..2).map(|i| ("tree transcript", tree_transcript(i))));
	let listed: Vec<Value> = listed
		.iter()
		.map(|(name, t)| {
			json!({
				"name": name,
				"transcript": {
					"model_id": t.model_id,
					"version": version_json(&t.version),
					"prompt": t.prompt,
					"max_tokens": t.max_tokens,
					"sampling": {
						"temperature_bits": t.sampling.temperature_bits,
						"top_p_bits": t.sampling.top_p_bits,
						"seed": t.sampling.seed,
					},
					"output": t.output,
					"logprobs": t.logprobs,
					"finish": match t.finish { Finish::Stop => "Stop", Finish::Length => "Length" },
				},
				"scale": hex(&t.encode()),
				"hash": hex(&t.hash()),
				"well_formed": t.well_formed(),
			})
		})
		.collect();
	let cases: Vec<(Vec<i32>, Vec<i32>)> = vec![
		(vec![], vec![]),
		(vec![-100, -2_000, 0], vec![-90, -2_000, -35]),
		(vec![-5_000_000; 4], vec![-5_000_001, -4_999_999, -5_000_000, -4_000_000]),
		(vec![i32::MIN, 0], vec![0, i32::MIN]),
		(vec![-1], vec![]),
	];
	let cases: Vec<Value> = cases
		.iter()
		.map(|(signed, replayed)| {
			let d = divergence(signed, replayed);
			json!({
				"signed": signed,
				"replayed": replayed,
				"divergence": d.map(|d| json!({ "max": d.max, "mean": d.mean })),
			})
		})
		.collect();
	let node_pubkey = {
		let mut key = [0x5a; 33];
		key[0] = 0x03;
		key
	};
	let payer_request = json!({
		"node_pubkey": hex(&node_pubkey),
		"payer": hex(&[0xd0; 32]),
		"counter": 0x0102_0304_0506_0708u64,
		"expires_at_ms": 1_790_000_060_000u64,
		"message": hex(&request_message(&node_pubkey, &[0xd0; 32], 0x0102_0304_0506_0708, 1_790_000_060_000)),
	});
	let verifier_request = json!({
		"node_pubkey": hex(&node_pubkey),
		"verifier": hex(&[0x44; 32]),
		"batch": 12u64,
		"index": u64::MAX,
		"expires_at_ms": 1_790_000_060_000u64,
		"message": hex(&verifier_request_message(&node_pubkey, &[0x44; 32], 12, u64::MAX, 1_790_000_060_000)),
	});
	json!({
		"transcripts": listed,
		"no_transcript": hex(&no_transcript()),
		"divergences": cases,
		"payer_request": payer_request,
		"verifier_request": verifier_request,
	})
}

/// A receipt with every integer at its maximum: the widths and byte orders show.
fn widest_receipt() -> Receipt {
	Receipt {
		project_id: u32::MAX,
		model_id: u32::MAX - 1,
		version: SemVer::new(u16::MAX, u16::MAX - 1, u16::MAX - 2),
		timestamp_ms: u64::MAX,
		tokens_in: u32::MAX,
		tokens_out: u32::MAX - 1,
		gpu_ms: u64::MAX - 1,
		bytes_in: u64::MAX - 2,
		bytes_out: u64::MAX - 3,
		price: Balance::MAX,
		chain_id: u32::MAX,
		route_id: [0xee; 32],
		counter: u64::MAX,
		node_pubkey: worker_key().public(),
		payer: [0xff; 32],
		policy_hash: [0xdd; 32],
		max_price: Balance::MAX - 1,
		expires_at_ms: u64::MAX - 4,
		transcript: [0xcc; 32],
	}
}

fn sign(receipt: Receipt) -> SignedReceipt {
	let node_signature = worker_key().sign(&receipt.message());
	let gateway_signature = gateway_key().sign(&receipt.authorisation().message());
	SignedReceipt { receipt, node_signature, gateway_signature }
}

fn tree_receipts() -> Vec<SignedReceipt> {
	(0..COUNTERS.len()).map(|i| sign(tree_receipt(i))).collect()
}

fn version_json(v: &SemVer) -> Value {
	json!({ "major": v.major, "minor": v.minor, "patch": v.patch })
}

fn receipt_json(r: &Receipt) -> Value {
	json!({
		"project_id": r.project_id,
		"model_id": r.model_id,
		"version": version_json(&r.version),
		"timestamp_ms": r.timestamp_ms,
		"tokens_in": r.tokens_in,
		"tokens_out": r.tokens_out,
		"gpu_ms": r.gpu_ms,
		"bytes_in": r.bytes_in,
		"bytes_out": r.bytes_out,
		"price": r.price.to_string(),
		"chain_id": r.chain_id,
		"route_id": hex(&r.route_id),
		"counter": r.counter,
		"node_pubkey": hex(&r.node_pubkey),
		"payer": hex(&r.payer),
		"policy_hash": hex(&r.policy_hash),
		"max_price": r.max_price.to_string(),
		"expires_at_ms": r.expires_at_ms,
		"transcript": hex(&r.transcript),
	})
}

fn authorisation_json(a: &Authorisation) -> Value {
	json!({
		"payer": hex(&a.payer),
		"node_pubkey": hex(&a.node_pubkey),
		"project_id": a.project_id,
		"model_id": a.model_id,
		"version": version_json(&a.version),
		"chain_id": a.chain_id,
		"route_id": hex(&a.route_id),
		"counter": a.counter,
		"max_price": a.max_price.to_string(),
		"expires_at_ms": a.expires_at_ms,
	})
}

fn node_json(node: &SumNode) -> Value {
	json!({ "hash": hex(&node.hash), "sum": node.sum.to_string() })
}

fn nodes_json(nodes: &[SumNode]) -> Value {
	Value::Array(nodes.iter().map(node_json).collect())
}

fn signed_receipt_json(name: &str, signed: &SignedReceipt) -> Value {
	let r = &signed.receipt;
	let authorisation = r.authorisation();
	let leaf = merkle::leaf(signed);
	json!({
		"name": name,
		"receipt": receipt_json(r),
		"scale": hex(&r.encode()),
		"message": hex(&r.message()),
		"id": hex(&r.id()),
		"within_authorised_terms": r.within_authorised_terms(),
		"authorisation": authorisation_json(&authorisation),
		"authorisation_scale": hex(&authorisation.encode()),
		"authorisation_message": hex(&authorisation.message()),
		"node_signature": hex(&signed.node_signature),
		"gateway_signature": hex(&signed.gateway_signature),
		"signed_scale": hex(&signed.encode()),
		"leaf": node_json(&leaf),
	})
}

fn mode_name(mode: BillingMode) -> &'static str {
	match mode {
		BillingMode::Token => "Token",
		BillingMode::Time => "Time",
		BillingMode::Hybrid => "Hybrid",
	}
}

fn policies_json() -> Value {
	let policies = policies()
		.into_iter()
		.map(|(name, p)| {
			let prices: Vec<Value> = usages()
				.iter()
				.map(|u| {
					json!({
						"tokens_in": u.tokens_in,
						"tokens_out": u.tokens_out,
						"gpu_ms": u.gpu_ms,
						"price": receipt_price(&p, u).to_string(),
					})
				})
				.collect();
			json!({
				"name": name,
				"policy": {
					"mode": mode_name(p.mode),
					"token_base": p.token_base.to_string(),
					"per_1k_input_tokens": p.per_1k_input_tokens.to_string(),
					"per_1k_output_tokens": p.per_1k_output_tokens.to_string(),
					"time_base": p.time_base.to_string(),
					"per_gpu_second": p.per_gpu_second.to_string(),
					"min_fee": p.min_fee.to_string(),
					"max_fee": p.max_fee.to_string(),
				},
				"scale": hex(&p.encode()),
				"hash": hex(&p.hash()),
				"prices": prices,
			})
		})
		.collect();
	Value::Array(policies)
}

/// `n - s` for `s ≤ n`, big-endian: the other s that verifies with the same r.
fn order_minus(s: &[u8]) -> [u8; 32] {
	let mut out = [0u8; 32];
	let mut borrow = 0i16;
	for i in (0..32).rev() {
		let mut digit = i16::from(ORDER[i]) - i16::from(s[i]) - borrow;
		borrow = i16::from(digit < 0);
		if digit < 0 {
			digit += 256;
		}
		out[i] = digit as u8;
	}
	out
}

fn with_parts(r: &[u8], s: &[u8], v: u8) -> Signature {
	let mut signature = [0u8; 65];
	signature[..32].copy_from_slice(r);
	signature[32..64].copy_from_slice(s);
	signature[64] = v;
	signature
}

/// What the chain's recovery (`receipt::recover`: the canonical-form check, then `sp_io`'s
/// `secp256k1_ecdsa_recover_compressed`; the worker and the gateway call it too) makes of
/// altered forms of one signature: only the form as signed recovers.
fn signature_cases_json(message: &[u8; 32], canonical: &Signature) -> Value {
	let (r, s, v) = (&canonical[..32], &canonical[32..64], canonical[64]);
	let high_s = order_minus(s);
	let cases: Vec<(&str, Signature)> = vec![
		("as signed: low s, v in {0, 1}", *canonical),
		("v + 27", with_parts(r, s, v + 27)),
		("high s: (r, n - s, v ^ 1)", with_parts(r, &high_s, v ^ 1)),
		("high s and v + 27", with_parts(r, &high_s, (v ^ 1) + 27)),
		("other parity: v ^ 1", with_parts(r, s, v ^ 1)),
		("recovery id v + 2", with_parts(r, s, v + 2)),
		("recovery id v + 2, plus 27", with_parts(r, s, v + 29)),
		("v = 4", with_parts(r, s, 4)),
		("v = 26", with_parts(r, s, 26)),
		("v = 31", with_parts(r, s, 31)),
		("r = 0", with_parts(&[0; 32], s, v)),
		("s = 0", with_parts(r, &[0; 32], v)),
		("s = n", with_parts(r, &ORDER, v)),
		("r = n", with_parts(&ORDER, s, v)),
	];
	let cases = cases
		.into_iter()
		.map(|(name, signature)| {
			let s: [u8; 32] = signature[32..64].try_into().unwrap();
			json!({
				"name": name,
				"signature": hex(&signature),
				"s_is_low": s <= HALF_ORDER,
				"recovers": recover(message, &signature).map(|key| hex(&key)),
				"libsecp256k1_recovers": sp_io::crypto::secp256k1_ecdsa_recover_compressed(
					&signature, message
				)
				.ok()
				.map(|key| hex(&key)),
			})
		})
		.collect();
	json!({ "message": hex(message), "cases": Value::Array(cases) })
}

fn nodes_cases_json(receipts: &[SignedReceipt]) -> Value {
	let a = merkle::leaf(&receipts[0]);
	let b = merkle::leaf(&receipts[1]);
	let big = SumNode { hash: [0xaa; 32], sum: Balance::MAX };
	let one = SumNode { hash: [0xbb; 32], sum: 1 };
	let cases = [(a, b), (b, a), (big, SumNode { sum: 0, ..one }), (big, one)];
	let cases = cases
		.iter()
		.map(|(left, right)| {
			let mut preimage = vec![0x01];
			preimage.extend_from_slice(&left.hash);
			preimage.extend_from_slice(&left.sum.to_le_bytes());
			preimage.extend_from_slice(&right.hash);
			preimage.extend_from_slice(&right.sum.to_le_bytes());
			assert_eq!(keccak256(&preimage), node_hash(left, right));
			json!({
				"left": node_json(left),
				"right": node_json(right),
				"preimage": hex(&preimage),
				"hash": hex(&node_hash(left, right)),
				"parent": parent(left, right).map(|p| node_json(&p)),
			})
		})
		.collect();
	Value::Array(cases)
}

fn trees_json(receipts: &[SignedReceipt]) -> Value {
	let trees = TREE_SIZES
		.iter()
		.map(|&n| {
			let members = &receipts[..n];
			let tree = MerkleSumTree::from_receipts(members).unwrap();
			let leaves = tree.leaves();
			let levels: Vec<Value> = (0..=height(leaves))
				.map(|level| {
					let width = level_width(leaves, level);
					let nodes: Vec<SumNode> =
						(0..width).map(|i| tree.node(level, i).unwrap()).collect();
					nodes_json(&nodes)
				})
				.collect();
			let proofs: Vec<Value> = (0..leaves)
				.map(|index| {
					let proof = tree.proof(index).unwrap();
					let leaf = tree.node(0, index).unwrap();
					assert_eq!(
						verify_inclusion(&tree.root(), leaves, index, &leaf, &proof.siblings),
						Ok(())
					);
					json!({
						"index": index,
						"siblings": nodes_json(&proof.siblings),
						"scale": hex(&proof.encode()),
					})
				})
				.collect();
			let leaf_file = members.to_vec().encode();
			json!({
				"leaves": leaves,
				"height": height(leaves),
				"leaf_file": hex(&leaf_file),
				"content_hash": hex(&keccak256(&leaf_file)),
				"levels": levels,
				"root": node_json(&tree.root()),
				"proofs": proofs,
			})
		})
		.collect();
	Value::Array(trees)
}

fn error_name(result: Result<(), ProofError>) -> Value {
	match result {
		Ok(()) => Value::Null,
		Err(e) => Value::String(format!("{e:?}")),
	}
}

fn bad_proofs_json(receipts: &[SignedReceipt]) -> Value {
	let tree = |n: usize| MerkleSumTree::from_receipts(&receipts[..n]).unwrap();
	let case = |name: &str,
	            root: SumNode,
	            leaves: u64,
	            index: u64,
	            leaf: SumNode,
	            siblings: Vec<SumNode>| {
		let result = verify_inclusion(&root, leaves, index, &leaf, &siblings);
		json!({
			"name": name,
			"root": node_json(&root),
			"leaves": leaves,
			"index": index,
			"leaf": node_json(&leaf),
			"siblings": nodes_json(&siblings),
			"error": error_name(result),
		})
	};
	let five = tree(5);
	let leaf = |t: &MerkleSumTree, i: u64| t.node(0, i).unwrap();
	let path = |t: &MerkleSumTree, i: u64| t.proof(i).unwrap().siblings;
	let mut longer = path(&five, 1);
	longer.push(leaf(&five, 0));
	let mut shorter = path(&five, 1);
	shorter.pop();
	let three = tree(3);
	let mut richer_leaf = leaf(&three, 0);
	richer_leaf.sum += 1;
	let mut richer_sibling = path(&three, 0);
	richer_sibling[0].sum += 1;
	let mut lower_total = three.root();
	lower_total.sum -= 1;
	let seven = tree(7);
	let two = tree(2);
	let one = tree(1);
	let huge = SumNode { hash: [0xaa; 32], sum: Balance::MAX };
	let unit = SumNode { hash: [0xbb; 32], sum: 1 };
	let inflated_one = SumNode { sum: one.root().sum + 1, ..one.root() };
	let cases = vec![
		case(
			"honest: leaf 6 of 7, carried up once",
			seven.root(),
			7,
			6,
			leaf(&seven, 6),
			path(&seven, 6),
		),
		case(
			"honest: leaf 4 of 5, carried up twice",
			five.root(),
			5,
			4,
			leaf(&five, 4),
			path(&five, 4),
		),
		case("one sibling too many", five.root(), 5, 1, leaf(&five, 1), longer),
		case("one sibling too few", five.root(), 5, 1, leaf(&five, 1), shorter),
		case("index past the last leaf", five.root(), 5, 5, leaf(&five, 4), path(&five, 4)),
		case("a single leaf with a sibling", one.root(), 1, 0, leaf(&one, 0), vec![leaf(&two, 1)]),
		case(
			"leaf 5's path read as leaf 6's",
			seven.root(),
			7,
			6,
			leaf(&seven, 5),
			path(&seven, 5),
		),
		case("the leaf's sum raised", three.root(), 3, 0, richer_leaf, path(&three, 0)),
		case("a sibling's sum raised", three.root(), 3, 0, leaf(&three, 0), richer_sibling),
		case("the declared total lowered", lower_total, 3, 0, leaf(&three, 0), path(&three, 0)),
		case(
			"a two-leaf tree declared with three leaves",
			two.root(),
			3,
			0,
			leaf(&two, 0),
			path(&two, 0),
		),
		case(
			"a one-leaf batch declaring more than its price",
			inflated_one,
			1,
			0,
			leaf(&one, 0),
			vec![],
		),
		case("no leaves at all", SumNode::default(), 0, 0, leaf(&one, 0), vec![]),
		case(
			"sums that overflow u128",
			SumNode { hash: node_hash(&huge, &unit), sum: 0 },
			2,
			0,
			huge,
			vec![unit],
		),
	];
	Value::Array(cases)
}

fn inconsistent_nodes_json(receipts: &[SignedReceipt]) -> Value {
	let leaves: Vec<SumNode> = receipts[..3].iter().map(merkle::leaf).collect();
	let (l0, l1, l2) = (leaves[0], leaves[1], leaves[2]);
	let pair = parent(&l0, &l1).unwrap();
	let two_root = pair;
	let inflated_two = SumNode { hash: two_root.hash, sum: two_root.sum + 1 };
	// A three-leaf tree whose node (1, 0) claims 5 more than its children, rehashed above.
	let inflated = SumNode { hash: pair.hash, sum: pair.sum + 5 };
	let dishonest_three = parent(&inflated, &l2).unwrap();
	let honest_three = MerkleSumTree::build(leaves.clone()).unwrap().root();
	let huge = SumNode { hash: [0xaa; 32], sum: Balance::MAX };
	let unit = SumNode { hash: [0xbb; 32], sum: 1 };
	let overflowing_root = SumNode { hash: node_hash(&huge, &unit), sum: 7 };
	let inflated_one = SumNode { hash: l0.hash, sum: l0.sum + 1 };
	let evidence = |level: u32, index: u64, left, right, claimed_sum, siblings: Vec<SumNode>| {
		InconsistentNode { level, index, left, right, claimed_sum, siblings }
	};
	let cases = vec![
		(
			"a two-leaf batch declaring one more than its leaves",
			inflated_two,
			2,
			evidence(1, 0, l0, l1, two_root.sum + 1, vec![]),
		),
		(
			"the same evidence against the honest declaration",
			two_root,
			2,
			evidence(1, 0, l0, l1, two_root.sum + 1, vec![]),
		),
		("an honest root", two_root, 2, evidence(1, 0, l0, l1, two_root.sum, vec![])),
		(
			"an inflated inner node under a rehashed root",
			dishonest_three,
			3,
			evidence(1, 0, l0, l1, inflated.sum, vec![l2]),
		),
		(
			"a carried node has no children",
			honest_three,
			3,
			evidence(1, 1, l2, l2, l2.sum + 1, vec![pair]),
		),
		(
			"a one-leaf batch declaring more than its price",
			inflated_one,
			1,
			evidence(1, 0, l0, l0, l0.sum + 1, vec![]),
		),
		("a leaf is not an inner node", honest_three, 3, evidence(0, 0, l0, l1, 1, vec![])),
		("above the root", honest_three, 3, evidence(3, 0, l0, l1, 1, vec![])),
		(
			"children whose sum overflows",
			overflowing_root,
			2,
			evidence(1, 0, huge, unit, 7, vec![]),
		),
	];
	let cases = cases
		.into_iter()
		.map(|(name, root, leaves, e)| {
			let result = verify_inconsistent_node(&root, leaves, &e);
			json!({
				"name": name,
				"root": node_json(&root),
				"leaves": leaves,
				"level": e.level,
				"index": e.index,
				"left": node_json(&e.left),
				"right": node_json(&e.right),
				"claimed_sum": e.claimed_sum.to_string(),
				"siblings": nodes_json(&e.siblings),
				"error": error_name(result),
			})
		})
		.collect();
	Value::Array(cases)
}

fn windows_json() -> Value {
	const UNITS: Balance = 1_000_000_000_000;
	let sets: [(&str, WindowParameters<u32>); 3] = [
		(
			"runtime: 6 s blocks",
			WindowParameters {
				base: 300,
				receipts_per_extra_block: 1_000,
				value_per_extra_block: 10 * UNITS,
				max_extra: 3_600,
			},
		),
		(
			"fast-runtime",
			WindowParameters {
				base: 10,
				receipts_per_extra_block: 1_000,
				value_per_extra_block: 10 * UNITS,
				max_extra: 20,
			},
		),
		(
			"pallet-receipts mock",
			WindowParameters {
				base: 20,
				receipts_per_extra_block: 1_000,
				value_per_extra_block: 10_000,
				max_extra: 30,
			},
		),
	];
	let inputs: [(u64, Balance); 11] = [
		(1, 1),
		(0, 0),
		(999, 10 * UNITS - 1),
		(1_000, 0),
		(2_500, 45_000),
		(5_000, 50 * UNITS),
		(1_000_000, 0),
		(0, 10_000 * UNITS),
		(1_999_999, 19 * UNITS),
		(u64::MAX, Balance::MAX),
		(1, Balance::MAX),
	];
	// A batch proposed in this block: challengeable up to `challenge_until`, settled after.
	let proposed_at: u32 = 1_000;
	let sets = sets
		.iter()
		.map(|(name, p)| {
			let cases: Vec<Value> = inputs
				.iter()
				.map(|&(count, total)| {
					let window = p.window(count, total);
					json!({
						"count": count,
						"total": total.to_string(),
						"additional_blocks": p.additional_blocks(count, total).to_string(),
						"window": window,
						"challenge_until": proposed_at + window,
						"settle_from": proposed_at + window + 1,
					})
				})
				.collect();
			json!({
				"name": name,
				"base": p.base,
				"receipts_per_extra_block": p.receipts_per_extra_block,
				"value_per_extra_block": p.value_per_extra_block.to_string(),
				"max_extra": p.max_extra,
				"proposed_at": proposed_at,
				"cases": cases,
			})
		})
		.collect();
	Value::Array(sets)
}

fn key_proof_json() -> Value {
	let owner: [u8; 32] = core::array::from_fn(|i| 0xa0 + i as u8 % 16);
	let hot: [u8; 32] = core::array::from_fn(|i| 0xb0 + i as u8 % 16);
	let message = proof_of_possession_message(&owner, &hot);
	let signature = worker_key().sign(&message);
	json!({
		"owner": hex(&owner),
		"hot": hex(&hot),
		"message": hex(&message),
		"signature": hex(&signature),
		"recovers": recover(&message, &signature).map(|key| hex(&key)),
	})
}

/// Every vector, as the file holds them.
fn vectors() -> Value {
	let receipts = tree_receipts();
	let mut listed: Vec<Value> = receipts
		.iter()
		.enumerate()
		.map(|(i, s)| signed_receipt_json(&format!("tree receipt {i}"), s))
		.collect();
	let widest = sign(widest_receipt());
	listed.push(signed_receipt_json("every integer at its maximum", &widest));
	let first = &receipts[0];
	json!({
		"about": "Written by primitives/tests/receipts.rs (AIL2_WRITE_VECTORS=1); \
			checked by primitives/reference/receipts.py; specified in docs/receipts.md. \
			Bytes are lowercase hex without 0x; u128 values are decimal strings.",
		"keys": {
			"worker": {
				"secret": hex(&worker_key().secret_bytes()),
				"public": hex(&worker_key().public()),
			},
			"gateway": {
				"secret": hex(&gateway_key().secret_bytes()),
				"public": hex(&gateway_key().public()),
			},
		},
		"policies": policies_json(),
		"tree_policy": "hybrid",
		"receipts": listed,
		"node_signature_cases": signature_cases_json(&first.receipt.message(), &first.node_signature),
		"gateway_signature_cases": signature_cases_json(
			&first.receipt.authorisation().message(),
			&first.gateway_signature,
		),
		"key_proof": key_proof_json(),
		"nodes": nodes_cases_json(&receipts),
		"trees": trees_json(&receipts),
		"inclusion_checks": bad_proofs_json(&receipts),
		"inconsistent_nodes": inconsistent_nodes_json(&receipts),
		"challenge_windows": windows_json(),
		"transcripts": transcripts_json(),
	})
}

#[test]
fn the_code_reproduces_the_checked_in_vectors() {
	let produced = vectors();
	if std::env::var("AIL2_WRITE_VECTORS").as_deref() == Ok("1") {
		let text = serde_json::to_string_pretty(&produced).unwrap() + "\n";
		std::fs::write(VECTORS_PATH, text).unwrap();
		return;
	}
	let text = std::fs::read_to_string(VECTORS_PATH)
		.expect("receipt_vectors.json is missing: run with AIL2_WRITE_VECTORS=1");
	let expected: Value = serde_json::from_str(&text).unwrap();
	let differing: Vec<&String> = produced
		.as_object()
		.unwrap()
		.iter()
		.filter(|(key, value)| expected.get(key.as_str()) != Some(*value))
		.map(|(key, _)| key)
		.collect();
	assert!(
		differing.is_empty()
			&& expected.as_object().unwrap().len() == produced.as_object().unwrap().len(),
		"the code no longer produces the checked-in vectors in {differing:?}; if the wire \
		 format changed on purpose, rewrite them with AIL2_WRITE_VECTORS=1 and update \
		 docs/receipts.md"
	);
}

#[test]
fn a_signed_receipt_is_267_bytes_of_receipt_and_two_65_byte_signatures() {
	let signed = sign(tree_receipt(0));
	assert_eq!(signed.receipt.encode().len(), 267);
	assert_eq!(signed.receipt.authorisation().encode().len(), 147);
	assert_eq!(signed.encode().len(), 397);
	assert_eq!(tree_policy().encode().len(), 113);
	// The leaf file is a SCALE vector: its compact length, then the receipts back to back.
	let file = tree_receipts().encode();
	assert_eq!(file[0], 7 << 2);
	assert_eq!(file.len(), 1 + 7 * 397);
}

#[test]
fn signatures_are_deterministic_and_low_s() {
	let first = sign(tree_receipt(0));
	assert_eq!(first, sign(tree_receipt(0)), "RFC 6979 nonces: same key, same message, same bytes");
	for signed in tree_receipts() {
		for signature in [signed.node_signature, signed.gateway_signature] {
			assert!(signature[64] <= 1);
			assert!(signature[32..64] <= HALF_ORDER[..]);
		}
		assert!(signed.node_signature_valid());
		assert_eq!(signed.gateway_signer(), Some(gateway_key().public()));
	}
}

#[test]
fn a_high_s_twin_or_v_plus_27_is_refused_so_a_receipt_has_one_leaf_hash() {
	// The attack: a watcher or the worker's counterparty alters a valid signature into its
	// twin (r, n - s, v ^ 1) or its Ethereum alias (v + 27), which libsecp256k1 alone
	// recovers to the same key, to give one receipt a second leaf hash.
	let signed = sign(tree_receipt(0));
	let message = signed.receipt.message();
	let (r, s, v) =
		(&signed.node_signature[..32], &signed.node_signature[32..64], signed.node_signature[64]);
	let twin = with_parts(r, &order_minus(s), v ^ 1);
	assert_eq!(high_s_twin(&signed.node_signature), twin);
	let alias = with_parts(r, s, v + 27);
	for altered in [twin, alias] {
		assert_eq!(recover(&message, &altered), None);
		assert!(!ail2_primitives::receipt::signing::verify(
			&worker_key().public(),
			&message,
			&altered
		));
		let altered_signed = SignedReceipt { node_signature: altered, ..signed.clone() };
		assert!(!altered_signed.node_signature_valid());
		let altered_signed = SignedReceipt { gateway_signature: altered, ..signed.clone() };
		assert_eq!(altered_signed.gateway_signer(), None);
	}
	assert_eq!(recover(&message, &signed.node_signature), Some(worker_key().public()));
}

#[test]
fn the_window_grows_with_count_and_total_up_to_the_cap() {
	// pallet-receipts' mock: 20 + min(30, 2500/1000 + 45000/10000) = 20 + 2 + 4.
	let mock = WindowParameters::<u64> {
		base: 20,
		receipts_per_extra_block: 1_000,
		value_per_extra_block: 10_000,
		max_extra: 30,
	};
	assert_eq!(mock.window(2_500, 45_000), 26);
	assert_eq!(mock.window(1_000_000, 0), 50);
	assert_eq!(mock.window(1, 1), 20);
	assert_eq!(mock.window(u64::MAX, Balance::MAX), 50);
	// Zero divisors add nothing.
	let flat = WindowParameters { receipts_per_extra_block: 0, value_per_extra_block: 0, ..mock };
	assert_eq!(flat.window(5_000, 50_000), 20);
	// The sum saturates in u128, the window at the block number's width.
	let narrow = WindowParameters::<u32> {
		base: u32::MAX - 1,
		receipts_per_extra_block: 1,
		value_per_extra_block: 1,
		max_extra: u32::MAX,
	};
	assert_eq!(narrow.additional_blocks(u64::MAX, Balance::MAX), u128::MAX);
	assert_eq!(narrow.window(u64::MAX, 0), u32::MAX);
}
