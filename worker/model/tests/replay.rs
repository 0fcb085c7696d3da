//! Proof-of-inference replays on the project's tiny random model: an honest generation
//! replays within the tolerance whatever the thread count, and every way of answering with
//! something other than the model fails — a perturbed model (scaled weights, a dropped
//! layer), a swapped prompt, a forged log-probability, and a cheater that decodes with a
//! cheap model and then signs the real model's log-probabilities of its tokens.
//!
//! `cargo test -p ail2-model --test replay -- --nocapture` prints the measured divergences
//! that `docs/verification.md` reports.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::path::Path;

use ail2_model::{
	default_device,
	random::{perturb_model, write_random_model, Perturbation, RandomModelSpec},
	Generation, GenerationRequest, SamplingParams, TextModel,
};
use ail2_primitives::transcript::{
	divergence, Divergence, DEFAULT_SAMPLING_SLACK_PPM, DEFAULT_TOLERANCE,
};

const SLACK: f64 = DEFAULT_SAMPLING_SLACK_PPM as f64 / 1e6;
const PROMPTS: [&str; 3] = [
	"The miner signs a receipt for every request.",
	"Once upon a time",
	"Write a short poem about the moon and the sea.",
];

/// More prompts for the false-positive count: every honest replay must pass.
const MORE_PROMPTS: [&str; 7] = [
	"What is the capital of France?",
	"Explain Merkle trees to a child.",
	"List three prime numbers.",
	"A gateway chooses a worker for every request.",
	"Translate 'good morning' into Spanish.",
	"Why is the sky blue?",
	"Summarise the rules of chess in one paragraph.",
];

fn load(dir: &Path) -> TextModel {
	TextModel::load(dir, &default_device()).unwrap()
}

fn honest() -> (tempfile::TempDir, TextModel) {
	let dir = tempfile::tempdir().unwrap();
	write_random_model(dir.path(), &RandomModelSpec::tiny(), 42).unwrap();
	let model = load(dir.path());
	(dir, model)
}

fn perturbed(honest: &Path, perturbation: Perturbation) -> (tempfile::TempDir, TextModel) {
	let dir = tempfile::tempdir().unwrap();
	perturb_model(honest, dir.path(), perturbation).unwrap();
	let model = load(dir.path());
	(dir, model)
}

fn samplings() -> Vec<SamplingParams> {
	vec![
		SamplingParams { temperature: 0.0, top_p: 1.0, seed: Some(1) },
		SamplingParams { temperature: 0.8, top_p: 0.9, seed: Some(2) },
		SamplingParams { temperature: 1.0, top_p: 1.0, seed: Some(3) },
	]
}

fn generate(model: &TextModel, prompt: &[u32], sampling: SamplingParams) -> Generation {
	let request =
		GenerationRequest { prompt: prompt.to_vec(), max_tokens: 48, sampling, stop: vec![] };
	model.generate(&request, |_| true).unwrap()
}

/// What a verifier with `model` finds for `logprobs` signed over `output` after `prompt`.
fn check(
	model: &TextModel,
	prompt: &[u32],
	output: &[u32],
	logprobs: &[i32],
	sampling: SamplingParams,
) -> (Divergence, Vec<usize>) {
	let replay = model.replay(prompt, output, &sampling, SLACK).unwrap();
	(divergence(logprobs, &replay.logprobs).unwrap(), replay.unsampled)
}

fn passes(found: &(Divergence, Vec<usize>)) -> bool {
	found.0.within(&DEFAULT_TOLERANCE) && found.1.is_empty()
}

#[test]
fn honest_generations_replay_within_a_tenth_of_the_tolerance() {
	let (_dir, model) = honest();
	let mut worst = Divergence::default();
	let mut tokens = 0;
	let mut replays = 0;
	for text in PROMPTS.iter().chain(&MORE_PROMPTS) {
		let prompt = model.encode(text).unwrap();
		for sampling in samplings() {
			let generation = generate(&model, &prompt, sampling);
			replays += 1;
			assert_eq!(generation.logprobs.len(), generation.tokens.len());
			assert!(generation.logprobs.iter().all(|&lp| lp <= 0));
			let sampling = SamplingParams { seed: Some(generation.seed), ..sampling };
			let found = check(&model, &prompt, &generation.tokens, &generation.logprobs, sampling);
			assert!(found.1.is_empty(), "honest tokens not drawable at {:?}", found.1);
			worst.max = worst.max.max(found.0.max);
			worst.mean = worst.mean.max(found.0.mean);
			tokens += generation.tokens.len();
		}
	}
	eprintln!(
		"honest, cached decode vs one prefill: {worst:?} µnat over {tokens} tokens in {replays} replays, all passed"
	);
	assert!(tokens > 100, "too few tokens to measure: {tokens}");
	assert!(worst.max * 10 <= DEFAULT_TOLERANCE.max, "{worst:?}");
	assert!(worst.mean * 10 <= DEFAULT_TOLERANCE.mean, "{worst:?}");
}

#[test]
fn a_fresh_seed_is_drawn_and_recorded_when_the_request_has_none() {
	let (_dir, model) = honest();
	let prompt = model.encode(PROMPTS[1]).unwrap();
	let unseeded = SamplingParams { temperature: 0.9, top_p: 0.95, seed: None };
	let first = generate(&model, &prompt, unseeded);
	let again = generate(&model, &prompt, SamplingParams { seed: Some(first.seed), ..unseeded });
	assert_eq!(first.tokens, again.tokens, "the recorded seed reproduces the generation");
	assert_ne!(first.seed, generate(&model, &prompt, unseeded).seed);
}

#[test]
fn one_and_two_threads_replay_each_other_within_the_tolerance() {
	let (_dir, model) = honest();
	let pool = |threads| rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
	let (one, two) = (pool(1), pool(2));
	let mut worst = Divergence::default();
	for text in PROMPTS {
		let prompt = model.encode(text).unwrap();
		for sampling in samplings() {
			let served = one.install(|| generate(&model, &prompt, sampling));
			let found =
				two.install(|| check(&model, &prompt, &served.tokens, &served.logprobs, sampling));
			assert!(passes(&found), "{found:?}");
			let again = two.install(|| generate(&model, &prompt, sampling));
			assert_eq!(again.tokens, served.tokens, "the same tokens on two threads");
			let across = divergence(&served.logprobs, &again.logprobs).unwrap();
			worst.max = worst.max.max(found.0.max).max(across.max);
			worst.mean = worst.mean.max(found.0.mean).max(across.mean);
		}
	}
	eprintln!("1 thread vs 2 threads: {worst:?} µnat");
	assert!(worst.max * 10 <= DEFAULT_TOLERANCE.max, "{worst:?}");
}

#[test]
fn a_worker_on_bf16_weights_stays_within_the_tolerance() {
	// bfloat16 keeps 8 bits of mantissa: the weight rounding of most checkpoints and the
	// scale of a GPU's low-precision arithmetic. An honest worker serving the bf16 copy while
	// the verifier replays the f32 one must pass, with room to spare.
	let (dir, model) = honest();
	let (_bf16_dir, bf16) = perturbed(dir.path(), Perturbation::RoundBf16);
	let mut worst = Divergence::default();
	for text in PROMPTS.iter().chain(&MORE_PROMPTS) {
		let prompt = model.encode(text).unwrap();
		for sampling in samplings() {
			let served = generate(&bf16, &prompt, sampling);
			let found = check(&model, &prompt, &served.tokens, &served.logprobs, sampling);
			assert!(passes(&found), "bf16 weights failed: {found:?}");
			worst.max = worst.max.max(found.0.max);
			worst.mean = worst.mean.max(found.0.mean);
		}
	}
	eprintln!("bf16 weights vs f32 replay: worst {worst:?} µnat");
	assert!(
		worst.max * 2 <= DEFAULT_TOLERANCE.max && worst.mean * 2 <= DEFAULT_TOLERANCE.mean,
		"{worst:?}"
	);
}

#[test]
fn a_perturbed_model_fails_the_replay() {
	let (dir, model) = honest();
	let cheats = [
		Perturbation::ScaleLinear(0.9),
		Perturbation::ScaleLinear(0.98),
		Perturbation::DropLayer(0),
		Perturbation::DropLayer(1),
	];
	for perturbation in cheats {
		let (_cheap_dir, cheap) = perturbed(dir.path(), perturbation);
		let mut closest = Divergence { max: u64::MAX, mean: u64::MAX };
		for text in PROMPTS {
			let prompt = model.encode(text).unwrap();
			for sampling in samplings() {
				let served = generate(&cheap, &prompt, sampling);
				let found = check(&model, &prompt, &served.tokens, &served.logprobs, sampling);
				assert!(!passes(&found), "{perturbation:?} passed with {found:?}");
				if found.0.mean < closest.mean {
					closest = found.0;
				}
			}
		}
		eprintln!("{perturbation:?}: the closest request diverges by {closest:?} µnat");
	}
}

#[test]
fn signing_the_real_models_logprobs_of_a_cheap_models_tokens_is_caught_by_the_sampler() {
	// The cheater decodes with a cheap copy, then runs the real model once over the result
	// (a prefill is far cheaper than decoding) and signs its log-probabilities: the
	// divergence is zero, but the seeded sampler would not have drawn those tokens.
	let (dir, model) = honest();
	let (_cheap_dir, cheap) = perturbed(dir.path(), Perturbation::DropLayer(1));
	let mut caught = 0;
	let mut requests = 0;
	for text in PROMPTS {
		let prompt = model.encode(text).unwrap();
		for sampling in samplings() {
			let served = generate(&cheap, &prompt, sampling);
			let real = model.replay(&prompt, &served.tokens, &sampling, SLACK).unwrap();
			let found = check(&model, &prompt, &served.tokens, &real.logprobs, sampling);
			assert_eq!(found.0, Divergence::default());
			requests += 1;
			if !found.1.is_empty() {
				caught += 1;
			}
		}
	}
	eprintln!("prefill-then-sign cheater caught in {caught} of {requests} requests");
	assert_eq!(caught, requests);
}

#[test]
fn a_swapped_prompt_or_a_forged_logprob_fails() {
	let (_dir, model) = honest();
	let prompt = model.encode(PROMPTS[0]).unwrap();
	let other = model.encode(PROMPTS[2]).unwrap();
	for sampling in samplings() {
		let served = generate(&model, &prompt, sampling);
		assert!(passes(&check(&model, &prompt, &served.tokens, &served.logprobs, sampling)));
		let swapped = check(&model, &other, &served.tokens, &served.logprobs, sampling);
		assert!(!passes(&swapped), "swapped prompt passed: {swapped:?}");

		// The least likely token's log-probability made 0.1 nats more likely.
		let mut forged = served.logprobs.clone();
		let least = forged.iter().copied().min().unwrap();
		assert!(least < -100_000, "every token nearly certain: {least}");
		*forged.iter_mut().find(|lp| **lp == least).unwrap() += 100_000;
		let found = check(&model, &prompt, &served.tokens, &forged, sampling);
		assert!(!found.0.within(&DEFAULT_TOLERANCE), "forged logprob passed: {found:?}");
	}
}

#[test]
fn a_replay_needs_a_prompt_and_returns_nothing_for_no_output() {
	let (_dir, model) = honest();
	let sampling = samplings()[0];
	assert!(model.replay(&[], &[1, 2], &sampling, SLACK).is_err());
	let empty = model.replay(&[1, 2], &[], &sampling, SLACK).unwrap();
	assert!(empty.logprobs.is_empty() && empty.unsampled.is_empty());
	let out_of_range = model.config.vocab_size as u32;
	assert!(model.replay(&[1], &[out_of_range, 2], &sampling, SLACK).is_err());
}
