//! Proof of inference, the worker's side: the transcript a receipt commits to, the request a
//! payer (and later an assigned verifier) signs to fetch it, and the verdict of a replay.
//!
//! A verifier holds the receipt (from the batch's leaves or the payer's records) and fetches
//! the transcript from the worker that served it. [`judge`] then decides, in this order:
//! the transcript exists; it hashes to the receipt's commitment; it is well formed, names the
//! receipt's model and version and has the receipt's token counts; the model the verifier
//! runs, replaying prompt and output in one prefill, gives each output token the
//! log-probability the worker signed, within [`Tolerance`]; and the seeded sampler could
//! have drawn every output token from the replayed distribution. The first check that fails
//! is the verdict. The tolerance and the sampler's slack are measured in
//! `docs/verification.md`.

use ail2_model::{FinishReason, Generation, ModelError, SamplingParams, TextModel};
use ail2_primitives::{
	receipt::{signing::Keypair, Receipt, SemVer, SignedReceipt},
	transcript::{
		divergence, request_message, verifier_request_message, Divergence, Finish, Sampling,
		Tolerance, Transcript, DEFAULT_SAMPLING_SLACK_PPM,
	},
	ModelId,
};
use codec::Decode;
use serde::Serialize;

use crate::serve::transcripts::{TranscriptRequest, TranscriptResponse, VerifierTranscriptRequest};

pub use ail2_primitives::transcript::DEFAULT_TOLERANCE;

/// The probability mass a replayed sampler allows at the edges of a token's share
/// ([`DEFAULT_SAMPLING_SLACK_PPM`] parts per million).
pub const DEFAULT_SLACK: f64 = DEFAULT_SAMPLING_SLACK_PPM as f64 / 1e6;

/// The transcript of a served request: what a verifier replays and what the receipt commits
/// to.
pub fn transcript_of(
	model_id: ModelId,
	version: SemVer,
	prompt: Vec<u32>,
	max_tokens: u32,
	sampling: &SamplingParams,
	generation: &Generation,
) -> Transcript {
	Transcript {
		model_id,
		version,
		prompt,
		max_tokens,
		sampling: Sampling {
			temperature_bits: sampling.temperature.to_bits(),
			top_p_bits: sampling.top_p.to_bits(),
			seed: generation.seed,
		},
		output: generation.tokens.clone(),
		logprobs: generation.logprobs.clone(),
		finish: match generation.finish_reason {
			FinishReason::Stop => Finish::Stop,
			FinishReason::Length => Finish::Length,
		},
	}
}

/// The sampler a transcript's output was drawn with.
pub fn sampling_params(sampling: &Sampling) -> SamplingParams {
	SamplingParams {
		temperature: f32::from_bits(sampling.temperature_bits),
		top_p: f32::from_bits(sampling.top_p_bits),
		seed: Some(sampling.seed),
	}
}

/// Why a receipt fails verification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "failure", rename_all = "snake_case")]
pub enum Failure {
	#[error("the worker did not produce the transcript")]
	Missing,
	#[error("the transcript does not hash to the receipt's commitment")]
	CommitmentMismatch,
	#[error("the transcript is malformed (one non-positive log-probability per output token, within max_tokens)")]
	Malformed,
	#[error("the transcript is for another model or version than the receipt")]
	WrongModel,
	#[error("the transcript has {prompt} prompt and {output} output tokens; the receipt bills {tokens_in} and {tokens_out}")]
	WrongUsage { prompt: u64, output: u64, tokens_in: u32, tokens_out: u32 },
	#[error("the replay cannot run the transcript: {reason}")]
	Unreplayable { reason: String },
	#[error("log-probabilities differ by up to {max} µnat ({mean} µnat on average)")]
	Diverged { max: u64, mean: u64 },
	#[error("the seeded sampler could not have drawn the output at positions {positions:?}")]
	NotSampled { positions: Vec<usize> },
}

/// What a passing replay measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Passed {
	pub max: u64,
	pub mean: u64,
	pub tokens: usize,
}

/// The checks of a transcript that need no model: it exists, hashes to the receipt's
/// commitment, is well formed, and names the receipt's model, version and token counts.
/// What a gateway checks of a risky worker's answers; the first half of [`judge`].
pub fn check_commitment<'t>(
	receipt: &Receipt,
	transcript: Option<&'t Transcript>,
) -> Result<&'t Transcript, Failure> {
	let transcript = transcript.ok_or(Failure::Missing)?;
	if transcript.hash() != receipt.transcript {
		return Err(Failure::CommitmentMismatch);
	}
	if !transcript.well_formed() {
		return Err(Failure::Malformed);
	}
	if transcript.model_id != receipt.model_id || transcript.version != receipt.version {
		return Err(Failure::WrongModel);
	}
	let (prompt, output) = (transcript.prompt.len() as u64, transcript.output.len() as u64);
	if prompt != u64::from(receipt.tokens_in) || output != u64::from(receipt.tokens_out) {
		return Err(Failure::WrongUsage {
			prompt,
			output,
			tokens_in: receipt.tokens_in,
			tokens_out: receipt.tokens_out,
		});
	}
	Ok(transcript)
}

/// Judges `receipt` by its `transcript` (`None`: the worker did not produce it) with
/// `model`, the verifier's copy of the receipt's model version.
pub fn judge(
	receipt: &Receipt,
	transcript: Option<&Transcript>,
	model: &TextModel,
	tolerance: &Tolerance,
	slack: f64,
) -> Result<Passed, Failure> {
	let transcript = check_commitment(receipt, transcript)?;
	let replay = model
		.replay(
			&transcript.prompt,
			&transcript.output,
			&sampling_params(&transcript.sampling),
			slack,
		)
		.map_err(|e: ModelError| Failure::Unreplayable { reason: e.to_string() })?;
	let Divergence { max, mean } = divergence(&transcript.logprobs, &replay.logprobs)
		.ok_or_else(|| Failure::Unreplayable { reason: "replay length differs".into() })?;
	if !(Divergence { max, mean }).within(tolerance) {
		return Err(Failure::Diverged { max, mean });
	}
	if !replay.unsampled.is_empty() {
		return Err(Failure::NotSampled { positions: replay.unsampled });
	}
	Ok(Passed { max, mean, tokens: transcript.output.len() })
}

/// Why a transcript could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
	#[error("request to the worker failed: {0}")]
	Http(#[from] reqwest::Error),
	#[error("the worker answered {status}: {body}")]
	Refused { status: u16, body: String },
	#[error("the worker's answer does not decode: {0}")]
	Undecodable(String),
}

/// What a worker answered: the receipt it holds and the transcript behind it (`None` when
/// it holds the receipt but no transcript, or does not hold the receipt: the worker could
/// not produce it either way).
#[derive(Clone, Debug, PartialEq)]
pub struct Fetched {
	pub receipt: Option<SignedReceipt>,
	pub transcript: Option<Transcript>,
}

/// Fetches the transcript of `receipt` from the worker at `url` as its payer, signing with
/// the payer's gateway key; the request stays valid for `ttl_ms`. A 404 is an answer (the
/// worker does not hold it), other refusals are errors.
pub async fn fetch_transcript(
	http: &reqwest::Client,
	url: &str,
	receipt: &Receipt,
	gateway_key: &Keypair,
	ttl_ms: u64,
) -> Result<Fetched, FetchError> {
	let expires_at_ms = crate::clock::unix_ms().saturating_add(ttl_ms);
	let message =
		request_message(&receipt.node_pubkey, &receipt.payer, receipt.counter, expires_at_ms);
	let request = TranscriptRequest {
		payer: hex::encode(receipt.payer),
		counter: receipt.counter,
		expires_at_ms,
		signature: hex::encode(gateway_key.sign(&message)),
	};
	post_request(http, url, &request).await
}

/// Fetches, as a member of the batch's verifier group signing with its hot key `verifier`,
/// the transcript of `receipt`, leaf `index` of batch `batch` under check, from the worker at
/// `url`. Answers as [`fetch_transcript`].
pub async fn fetch_transcript_as_verifier(
	http: &reqwest::Client,
	url: &str,
	receipt: &Receipt,
	(batch, index): (u64, u64),
	verifier: &subxt_signer::sr25519::Keypair,
	ttl_ms: u64,
) -> Result<Fetched, FetchError> {
	let expires_at_ms = crate::clock::unix_ms().saturating_add(ttl_ms);
	let account = verifier.public_key().0;
	let message =
		verifier_request_message(&receipt.node_pubkey, &account, batch, index, expires_at_ms);
	let request = VerifierTranscriptRequest {
		verifier: hex::encode(account),
		batch,
		index,
		counter: receipt.counter,
		expires_at_ms,
		signature: hex::encode(verifier.sign(&message).0),
	};
	post_request(http, url, &request).await
}

/// The `code` of an OpenAI-style error body.
fn error_code(body: &[u8]) -> Option<&str> {
	#[derive(serde::Deserialize)]
	struct Body<'a> {
		#[serde(borrow)]
		error: Inner<'a>,
	}
	#[derive(serde::Deserialize)]
	struct Inner<'a> {
		code: Option<&'a str>,
	}
	serde_json::from_slice::<Body<'_>>(body).ok()?.error.code
}

async fn post_request(
	http: &reqwest::Client,
	url: &str,
	request: &impl Serialize,
) -> Result<Fetched, FetchError> {
	let body = serde_json::to_vec(request).map_err(|e| FetchError::Undecodable(e.to_string()))?;
	let response = http
		.post(format!("{}/v1/transcripts", url.trim_end_matches('/')))
		.header(reqwest::header::CONTENT_TYPE, "application/json")
		.body(body)
		.send()
		.await?;
	let status = response.status();
	let bytes = response.bytes().await?;
	// The worker does not hold the receipt: an answer. Any other refusal (a check its view of
	// the chain does not show yet, among them) is an error to retry.
	if status == reqwest::StatusCode::NOT_FOUND && error_code(&bytes) == Some("no_such_receipt") {
		return Ok(Fetched { receipt: None, transcript: None });
	}
	if !status.is_success() {
		let body = String::from_utf8_lossy(&bytes).into_owned();
		return Err(FetchError::Refused { status: status.as_u16(), body });
	}
	let answer: TranscriptResponse =
		serde_json::from_slice(&bytes).map_err(|e| FetchError::Undecodable(e.to_string()))?;
	let decode_hex = |text: &str| {
		hex::decode(text.trim_start_matches("0x"))
			.map_err(|e| FetchError::Undecodable(e.to_string()))
	};
	let receipt = SignedReceipt::decode(&mut decode_hex(&answer.receipt)?.as_slice())
		.map_err(|e| FetchError::Undecodable(format!("receipt: {e}")))?;
	let transcript = answer
		.transcript
		.map(|text| {
			Transcript::decode(&mut decode_hex(&text)?.as_slice())
				.map_err(|e| FetchError::Undecodable(format!("transcript: {e}")))
		})
		.transpose()?;
	Ok(Fetched { receipt: Some(receipt), transcript })
}
