//! `ail2-worker verify`: a payer re-executes a request it paid for. The transcript is fetched
//! from the worker that served it (signed with the payer's gateway key), checked against the
//! receipt's commitment and replayed through the verifier's copy of the model.
//!
//! Prints the verdict as JSON on stdout: `{"verdict": "pass", "max": …, "mean": …, "tokens":
//! …}` or `{"verdict": "fail", "failure": "<kind>", …, "reason": "…"}`. Exits 0 on a pass, 2
//! on a failure, 1 when it could not judge (bad arguments, the worker unreachable).

use std::path::PathBuf;

use ail2_model::{default_device, TextModel};
use ail2_primitives::{receipt::SignedReceipt, transcript::Tolerance};
use ail2_worker::{
	keys::load_gateway_key,
	poi::{fetch_transcript, judge, Failure, DEFAULT_SLACK, DEFAULT_TOLERANCE},
};
use anyhow::{anyhow, bail, Context};
use clap::Args;
use codec::Decode;
use serde_json::json;

#[derive(Args)]
pub struct VerifyCommand {
	/// The receipt to verify: `0x` + SCALE of the signed receipt, as an answer's
	/// `receipt.scale` carries it.
	#[arg(long)]
	receipt: String,
	/// The worker that served the request.
	#[arg(long)]
	worker_url: String,
	/// The payer's gateway key file: only the payer (and, with proof of inference on chain,
	/// the verifiers it assigns) may read a transcript.
	#[arg(long, env = "AIL2_GATEWAY_KEY_FILE")]
	gateway_key: PathBuf,
	/// The model folder of the receipt's model version.
	#[arg(long)]
	model_dir: PathBuf,
	/// The largest log-probability difference allowed on one token, micro-nats.
	#[arg(long, default_value_t = DEFAULT_TOLERANCE.max)]
	max_divergence: u64,
	/// The largest mean log-probability difference allowed, micro-nats.
	#[arg(long, default_value_t = DEFAULT_TOLERANCE.mean)]
	mean_divergence: u64,
}

impl VerifyCommand {
	pub async fn run(self) -> anyhow::Result<()> {
		let bytes = hex::decode(self.receipt.trim().trim_start_matches("0x"))
			.context("--receipt is not hex")?;
		let signed = SignedReceipt::decode(&mut bytes.as_slice())
			.map_err(|e| anyhow!("--receipt does not decode as a signed receipt: {e}"))?;
		if !signed.node_signature_valid() {
			bail!("the receipt's worker signature does not verify: nothing to hold the worker to");
		}
		let gateway_key = load_gateway_key(&self.gateway_key)?;
		let http = reqwest::Client::new();
		let fetched =
			fetch_transcript(&http, &self.worker_url, &signed.receipt, &gateway_key, 60_000)
				.await
				.context("fetching the transcript")?;
		let tolerance = Tolerance { max: self.max_divergence, mean: self.mean_divergence };
		let model_dir = self.model_dir.clone();
		let receipt = signed.receipt.clone();
		let verdict = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
			let model = TextModel::load(&model_dir, &default_device())?;
			Ok(judge(&receipt, fetched.transcript.as_ref(), &model, &tolerance, DEFAULT_SLACK))
		})
		.await??;
		match verdict {
			Ok(passed) => {
				println!(
					"{}",
					json!({ "verdict": "pass", "max": passed.max, "mean": passed.mean, "tokens": passed.tokens })
				);
				Ok(())
			},
			Err(failure) => {
				let mut out = serde_json::to_value(&failure)?;
				if let Some(object) = out.as_object_mut() {
					object.insert("verdict".into(), "fail".into());
					object.insert("reason".into(), failure.to_string().into());
				}
				println!("{out}");
				exit_failed(&failure)
			},
		}
	}
}

fn exit_failed(failure: &Failure) -> ! {
	tracing::warn!(%failure, "the worker fails verification");
	std::process::exit(2)
}
