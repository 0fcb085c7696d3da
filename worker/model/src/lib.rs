//! AIL2 worker inference.
//!
//! A Llama-family decoder (RMSNorm, rotary position embeddings, grouped-query attention,
//! SwiGLU MLP) in burn, with a KV cache, greedy and seeded top-p sampling, weights from
//! safetensors under Hugging Face tensor names and a `tokenizers` tokenizer. A model folder is
//! what Hugging Face publishes: `config.json`, `model.safetensors` (or shards with
//! `model.safetensors.index.json`) and `tokenizer.json`.
//!
//! [`random::write_random_model`] writes such a folder with seeded random weights and a real
//! byte-level BPE tokenizer, so tests, benchmarks and the dev chain need no downloaded weights.
//!
//! The burn device (backend) is chosen once, in [`device`].

mod config;
mod device;
mod error;
mod llama;
pub mod random;
mod sampling;
mod text;
mod weights;

pub use config::LlamaConfig;
pub use device::{backend_name, default_device, Device};
pub use error::ModelError;
pub use llama::{KvCache, Llama, Logits};
pub use sampling::{logprob_micro_nats, Sampler, SamplingParams};
pub use text::{
	to_vec, ChatMessage, FinishReason, Generation, GenerationRequest, Replay, TextModel,
};
pub use weights::Weights;
