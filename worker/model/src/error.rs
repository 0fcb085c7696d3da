use std::path::PathBuf;

/// Why a model could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
	#[error("cannot read {path}: {source}")]
	Io { path: PathBuf, source: std::io::Error },
	#[error("invalid config.json at {path}: {reason}")]
	Config { path: PathBuf, reason: String },
	#[error("invalid safetensors file {path}: {reason}")]
	Safetensors { path: PathBuf, reason: String },
	#[error("tensor `{name}` is missing from the weights")]
	MissingTensor { name: String },
	#[error("tensor `{name}` has shape {found:?}, the config needs {expected:?}")]
	TensorShape { name: String, expected: Vec<usize>, found: Vec<usize> },
	#[error("tensor `{name}` has dtype {dtype}, supported are F32, F16 and BF16")]
	TensorDtype { name: String, dtype: String },
	#[error("tokenizer: {0}")]
	Tokenizer(String),
	#[error("token id {id} is outside the vocabulary of {vocab}")]
	TokenOutOfRange { id: u32, vocab: usize },
	#[error("the prompt is empty")]
	EmptyPrompt,
	#[error("{needed} positions exceed the model's context of {context}")]
	ContextExceeded { needed: usize, context: usize },
	#[error("reading a tensor back from the device failed: {0}")]
	Readback(String),
}
