//! Proof of inference on the worker: every receipt commits to the transcript the worker
//! stores with it, the payer fetches it over HTTP with its gateway key (nobody else can),
//! and `judge` passes the honest replay and names each way a transcript can fail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::{
	collections::HashMap,
	path::PathBuf,
	sync::{Arc, Mutex},
};

use ail2_model::{
	default_device,
	random::{perturb_model, Perturbation},
	GenerationRequest, SamplingParams, TextModel,
};
use ail2_primitives::{
	keccak256,
	receipt::{signing::Keypair, Authorisation, SignedReceipt},
	transcript::{Transcript, DEFAULT_TOLERANCE},
};
use ail2_worker::{
	poi::{
		fetch_transcript, fetch_transcript_as_verifier, judge, transcript_of, Failure, FetchError,
		DEFAULT_SLACK,
	},
	serve::{auth::AuditedCheck, router, transcripts::VerifierTranscriptRequest, Limits},
};
use codec::{Decode, Encode};
use common::{worker_state, WorkerState, MODEL_ID, PAYER, VERSION};
use serde_json::Value;

struct Worker {
	dir: tempfile::TempDir,
	url: String,
	worker: Keypair,
	gateway: Keypair,
	http: reqwest::Client,
	checks: Arc<Mutex<HashMap<(u64, u64), AuditedCheck>>>,
}

impl Worker {
	fn model_dir(&self) -> PathBuf {
		self.dir.path().join("model")
	}
}

/// A worker serving the tiny model on a free port; the payer's one gateway key is known.
async fn start() -> Worker {
	let dir = tempfile::tempdir().unwrap();
	let WorkerState { state, worker, gateway, checks, .. } =
		worker_state(dir.path(), Limits::default());
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
	let url = format!("http://{}", listener.local_addr().unwrap());
	let app = router(Arc::new(state));
	tokio::spawn(async move { axum::serve(listener, app).await });
	Worker { dir, url, worker, gateway, http: reqwest::Client::new(), checks }
}

fn now_ms() -> u64 {
	std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

/// Serves `body` as the payer's request number `counter`; the receipt it answers with.
async fn serve(w: &Worker, counter: u64, body: &str) -> SignedReceipt {
	let authorisation = Authorisation {
		payer: PAYER,
		node_pubkey: w.worker.public(),
		project_id: 1,
		model_id: MODEL_ID,
		version: VERSION,
		chain_id: 42,
		route_id: keccak256(&counter.to_le_bytes()),
		counter,
		max_price: 1_000_000,
		expires_at_ms: now_ms() + 60_000,
	};
	let path = if body.contains("\"prompt\"") { "completions" } else { "chat/completions" };
	let response = w
		.http
		.post(format!("{}/v1/{path}", w.url))
		.header("content-type", "application/json")
		.header("x-ail2-authorisation", hex::encode(authorisation.encode()))
		.header("x-ail2-gateway-signature", hex::encode(w.gateway.sign(&authorisation.message())))
		.body(body.to_owned())
		.send()
		.await
		.unwrap();
	assert!(response.status().is_success(), "{:?}", response.text().await);
	let answer: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
	let scale = answer["receipt"]["scale"].as_str().unwrap().trim_start_matches("0x");
	let signed = SignedReceipt::decode(&mut hex::decode(scale).unwrap().as_slice()).unwrap();
	assert_eq!(
		answer["receipt"]["transcript"].as_str().unwrap(),
		format!("0x{}", hex::encode(signed.receipt.transcript))
	);
	signed
}

const SAMPLED: &str = r#"{"model":"tiny","messages":[{"role":"user","content":"Tell me about the sea."}],"max_tokens":24,"temperature":0.8,"top_p":0.9}"#;
const GREEDY: &str = r#"{"model":"tiny","messages":[{"role":"user","content":"Hello!"}],"max_tokens":16,"temperature":0}"#;
const SEEDED: &str = r#"{"model":"tiny","prompt":"Once upon a time","max_tokens":20,"seed":7}"#;

fn verifier_model(w: &Worker) -> TextModel {
	TextModel::load(&w.model_dir(), &default_device()).unwrap()
}

#[tokio::test]
async fn the_payer_fetches_each_transcript_and_the_honest_replay_passes() {
	let w = start().await;
	let model = verifier_model(&w);
	for (counter, body) in [(1, SAMPLED), (2, GREEDY), (3, SEEDED)] {
		let signed = serve(&w, counter, body).await;
		let fetched =
			fetch_transcript(&w.http, &w.url, &signed.receipt, &w.gateway, 10_000).await.unwrap();
		assert_eq!(fetched.receipt.as_ref(), Some(&signed), "the worker holds what it signed");
		let transcript = fetched.transcript.unwrap();
		assert_eq!(transcript.hash(), signed.receipt.transcript);
		assert_eq!(transcript.output.len(), signed.receipt.tokens_out as usize);
		let passed =
			judge(&signed.receipt, Some(&transcript), &model, &DEFAULT_TOLERANCE, DEFAULT_SLACK)
				.unwrap();
		assert_eq!(passed.tokens, transcript.output.len());
		assert!(passed.max * 10 <= DEFAULT_TOLERANCE.max, "{passed:?}");
	}
}

#[tokio::test]
async fn nobody_but_the_payers_gateway_keys_reads_a_transcript() {
	let w = start().await;
	let signed = serve(&w, 1, GREEDY).await;
	let stranger = Keypair::from_secret(&[0x33; 32]).unwrap();
	match fetch_transcript(&w.http, &w.url, &signed.receipt, &stranger, 10_000).await {
		Err(FetchError::Refused { status: 403, body }) => {
			assert!(body.contains("unknown_gateway_key"))
		},
		other => panic!("a stranger read the transcript: {other:?}"),
	}
	// A request that has already expired.
	match fetch_transcript(&w.http, &w.url, &signed.receipt, &w.gateway, 0).await {
		Err(FetchError::Refused { status: 403, body }) => assert!(body.contains("request_expired")),
		other => panic!("an expired request was served: {other:?}"),
	}
	// A receipt the worker never signed: nothing to serve, and the verdict is `Missing`.
	let mut unknown = signed.receipt.clone();
	unknown.counter = 99;
	let fetched = fetch_transcript(&w.http, &w.url, &unknown, &w.gateway, 10_000).await.unwrap();
	assert_eq!(fetched.receipt, None);
	let verdict = judge(
		&unknown,
		fetched.transcript.as_ref(),
		&verifier_model(&w),
		&DEFAULT_TOLERANCE,
		DEFAULT_SLACK,
	);
	assert_eq!(verdict, Err(Failure::Missing));
}

/// `receipt` re-committed to `transcript`, as a cheating worker would sign it.
fn committed(
	receipt: &ail2_primitives::receipt::Receipt,
	transcript: &Transcript,
) -> ail2_primitives::receipt::Receipt {
	let mut receipt = receipt.clone();
	receipt.transcript = transcript.hash();
	receipt
}

#[tokio::test]
async fn every_way_a_transcript_can_be_wrong_fails_with_its_reason() {
	let w = start().await;
	let model = verifier_model(&w);
	let signed = serve(&w, 1, SAMPLED).await;
	let honest = fetch_transcript(&w.http, &w.url, &signed.receipt, &w.gateway, 10_000)
		.await
		.unwrap()
		.transcript
		.unwrap();
	let receipt = &signed.receipt;
	let verdict = |receipt: &ail2_primitives::receipt::Receipt, transcript: &Transcript| {
		judge(receipt, Some(transcript), &model, &DEFAULT_TOLERANCE, DEFAULT_SLACK)
	};
	assert!(verdict(receipt, &honest).is_ok());

	// Served a different transcript than the one committed to.
	let mut edited = honest.clone();
	edited.output[0] = (edited.output[0] + 1) % 100;
	assert_eq!(verdict(receipt, &edited), Err(Failure::CommitmentMismatch));

	// Committed, but malformed: a log-probability missing.
	let mut short = honest.clone();
	short.logprobs.pop();
	assert_eq!(verdict(&committed(receipt, &short), &short), Err(Failure::Malformed));

	// Committed to another model's transcript.
	let mut other_model = honest.clone();
	other_model.model_id += 1;
	assert_eq!(verdict(&committed(receipt, &other_model), &other_model), Err(Failure::WrongModel));

	// A truncated output billed at the full length.
	let mut truncated = honest.clone();
	truncated.output.truncate(truncated.output.len() / 2);
	truncated.logprobs.truncate(truncated.output.len());
	assert!(matches!(
		verdict(&committed(receipt, &truncated), &truncated),
		Err(Failure::WrongUsage { .. })
	));

	// The prompt swapped for another of the same length.
	let mut swapped = honest.clone();
	swapped.prompt.reverse();
	assert!(matches!(
		verdict(&committed(receipt, &swapped), &swapped),
		Err(Failure::Diverged { .. } | Failure::NotSampled { .. })
	));

	// One log-probability forged by 0.1 nats.
	let mut forged = honest.clone();
	let least = forged.logprobs.iter().copied().min().unwrap();
	*forged.logprobs.iter_mut().find(|lp| **lp == least).unwrap() += 100_000;
	assert!(matches!(
		verdict(&committed(receipt, &forged), &forged),
		Err(Failure::Diverged { max, .. }) if max > 99_000
	));
}

#[tokio::test]
async fn a_worker_serving_a_perturbed_copy_fails() {
	let w = start().await;
	let model = verifier_model(&w);
	let cheap_dir = tempfile::tempdir().unwrap();
	perturb_model(&w.model_dir(), cheap_dir.path(), Perturbation::ScaleLinear(0.95)).unwrap();
	let cheap = TextModel::load(cheap_dir.path(), &default_device()).unwrap();
	let prompt = model.encode("Once upon a time").unwrap();
	let sampling = SamplingParams { temperature: 0.8, top_p: 0.95, seed: Some(11) };
	let request =
		GenerationRequest { prompt: prompt.clone(), max_tokens: 24, sampling, stop: vec![] };
	let generation = cheap.generate(&request, |_| true).unwrap();
	let transcript = transcript_of(MODEL_ID, VERSION, prompt, 24, &sampling, &generation);
	// The cheater's receipt bills what it served and commits to what it served.
	let signed = serve(&w, 1, SEEDED).await;
	let mut receipt = committed(&signed.receipt, &transcript);
	receipt.tokens_in = transcript.prompt.len() as u32;
	receipt.tokens_out = transcript.output.len() as u32;
	let verdict = judge(&receipt, Some(&transcript), &model, &DEFAULT_TOLERANCE, DEFAULT_SLACK);
	assert!(
		matches!(verdict, Err(Failure::Diverged { .. } | Failure::NotSampled { .. })),
		"{verdict:?}"
	);
}

fn verifier_key(seed: u8) -> subxt_signer::sr25519::Keypair {
	subxt_signer::sr25519::Keypair::from_secret_key([seed; 32]).unwrap()
}

#[tokio::test]
async fn a_verifier_of_the_group_reads_the_checked_transcript_and_nothing_else() {
	let w = start().await;
	let checked = serve(&w, 1, GREEDY).await;
	let other = serve(&w, 2, SEEDED).await;
	let (member, outsider) = (verifier_key(0x44), verifier_key(0x45));
	let leaf = (5, 3);
	w.checks.lock().unwrap().insert(
		leaf,
		AuditedCheck {
			receipt_id: checked.receipt.id(),
			worker: [0x55; 32],
			payer: PAYER,
			group: vec![member.public_key().0],
		},
	);

	// A member of the group reads the checked receipt's transcript, and the replay passes.
	let fetched =
		fetch_transcript_as_verifier(&w.http, &w.url, &checked.receipt, leaf, &member, 10_000)
			.await
			.unwrap();
	assert_eq!(fetched.receipt.as_ref(), Some(&checked));
	let transcript = fetched.transcript.unwrap();
	judge(
		&checked.receipt,
		Some(&transcript),
		&verifier_model(&w),
		&DEFAULT_TOLERANCE,
		DEFAULT_SLACK,
	)
	.unwrap();

	// Outside the group: refused.
	match fetch_transcript_as_verifier(&w.http, &w.url, &checked.receipt, leaf, &outsider, 10_000)
		.await
	{
		Err(FetchError::Refused { status: 403, body }) => assert!(body.contains("not_in_group")),
		other => panic!("an outsider read the transcript: {other:?}"),
	}
	// The check does not let a member read the payer's other receipts: it is not held, as
	// far as the member is concerned.
	let fetched =
		fetch_transcript_as_verifier(&w.http, &w.url, &other.receipt, leaf, &member, 10_000)
			.await
			.unwrap();
	assert_eq!(fetched, ail2_worker::poi::Fetched { receipt: None, transcript: None });
	// A leaf with no check on chain (or not in the worker's view yet) is an error to retry,
	// never the worker's failure to produce the transcript.
	match fetch_transcript_as_verifier(&w.http, &w.url, &checked.receipt, (5, 4), &member, 10_000)
		.await
	{
		Err(FetchError::Refused { status: 404, body }) => assert!(body.contains("no_such_check")),
		other => panic!("a leaf without a check was answered: {other:?}"),
	}
	// Expired.
	match fetch_transcript_as_verifier(&w.http, &w.url, &checked.receipt, leaf, &member, 0).await {
		Err(FetchError::Refused { status: 403, body }) => assert!(body.contains("request_expired")),
		other => panic!("an expired request was served: {other:?}"),
	}
	// A signature over another leaf's request does not authorise this one.
	let expires_at_ms = now_ms() + 10_000;
	let message = ail2_primitives::transcript::verifier_request_message(
		&w.worker.public(),
		&member.public_key().0,
		5,
		4,
		expires_at_ms,
	);
	let forged = VerifierTranscriptRequest {
		verifier: hex::encode(member.public_key().0),
		batch: leaf.0,
		index: leaf.1,
		counter: checked.receipt.counter,
		expires_at_ms,
		signature: hex::encode(member.sign(&message).0),
	};
	let response = w
		.http
		.post(format!("{}/v1/transcripts", w.url))
		.header("content-type", "application/json")
		.body(serde_json::to_vec(&forged).unwrap())
		.send()
		.await
		.unwrap();
	assert_eq!(response.status(), 401);
	assert!(response.text().await.unwrap().contains("invalid_signature"));
}
