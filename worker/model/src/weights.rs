//! Safetensors weights under Hugging Face names, converted to f32 on load.

use std::{
	collections::{BTreeSet, HashMap},
	path::{Path, PathBuf},
};

use safetensors::{Dtype, SafeTensors};

use crate::ModelError;

/// One tensor read from a safetensors file.
struct RawTensor {
	shape: Vec<usize>,
	values: Vec<f32>,
}

/// All tensors of a model folder, by name. Tensors are taken out as the model is built, so
/// the host copy of each is freed as soon as it is on the device.
pub struct Weights {
	tensors: HashMap<String, RawTensor>,
}

impl Weights {
	/// Reads `model.safetensors`, or every shard named in `model.safetensors.index.json`.
	pub fn from_dir(dir: &Path) -> Result<Self, ModelError> {
		let index = dir.join("model.safetensors.index.json");
		let files: Vec<PathBuf> = if index.exists() {
			shard_files(&index)?.into_iter().map(|name| dir.join(name)).collect()
		} else {
			vec![dir.join("model.safetensors")]
		};
		let mut weights = Self { tensors: HashMap::new() };
		for file in files {
			weights.read_file(&file)?;
		}
		Ok(weights)
	}

	/// Reads one safetensors file and adds its tensors.
	pub fn read_file(&mut self, path: &Path) -> Result<(), ModelError> {
		let bytes = std::fs::read(path)
			.map_err(|source| ModelError::Io { path: path.to_owned(), source })?;
		let file = SafeTensors::deserialize(&bytes).map_err(|e| ModelError::Safetensors {
			path: path.to_owned(),
			reason: e.to_string(),
		})?;
		for (name, view) in file.iter() {
			let values = to_f32(name, view.dtype(), view.data())?;
			self.tensors
				.insert(name.to_owned(), RawTensor { shape: view.shape().to_vec(), values });
		}
		Ok(())
	}

	/// Whether a tensor of this name was read (and not yet taken).
	pub fn contains(&self, name: &str) -> bool {
		self.tensors.contains_key(name)
	}

	/// Removes the tensor `name`, checking its shape, and returns its values in row-major
	/// order.
	pub fn take(&mut self, name: &str, expected: &[usize]) -> Result<Vec<f32>, ModelError> {
		let tensor = self
			.tensors
			.remove(name)
			.ok_or_else(|| ModelError::MissingTensor { name: name.to_owned() })?;
		if tensor.shape != expected {
			return Err(ModelError::TensorShape {
				name: name.to_owned(),
				expected: expected.to_vec(),
				found: tensor.shape,
			});
		}
		Ok(tensor.values)
	}

	/// Like [`Self::take`] for a Hugging Face linear weight stored `[out, in]`; returns it
	/// transposed to `[in, out]`, the layout `x · W` needs.
	pub fn take_linear(
		&mut self,
		name: &str,
		d_in: usize,
		d_out: usize,
	) -> Result<Vec<f32>, ModelError> {
		let stored = self.take(name, &[d_out, d_in])?;
		let mut transposed = vec![0.0f32; stored.len()];
		for (row, chunk) in stored.chunks_exact(d_in).enumerate() {
			for (col, value) in chunk.iter().enumerate() {
				if let Some(slot) = transposed.get_mut(col * d_out + row) {
					*slot = *value;
				}
			}
		}
		Ok(transposed)
	}
}

fn shard_files(index: &Path) -> Result<BTreeSet<String>, ModelError> {
	let text = std::fs::read_to_string(index)
		.map_err(|source| ModelError::Io { path: index.to_owned(), source })?;
	let invalid = |reason: String| ModelError::Safetensors { path: index.to_owned(), reason };
	let json: serde_json::Value =
		serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
	let map = json
		.get("weight_map")
		.and_then(|map| map.as_object())
		.ok_or_else(|| invalid("no weight_map object".into()))?;
	map.values()
		.map(|file| {
			file.as_str()
				.map(str::to_owned)
				.ok_or_else(|| invalid("a shard name is not a string".into()))
		})
		.collect()
}

fn to_f32(name: &str, dtype: Dtype, bytes: &[u8]) -> Result<Vec<f32>, ModelError> {
	let values = match dtype {
		Dtype::F32 => {
			bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
		},
		Dtype::F16 => {
			bytes.chunks_exact(2).map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32()).collect()
		},
		Dtype::BF16 => bytes
			.chunks_exact(2)
			.map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())
			.collect(),
		other => {
			return Err(ModelError::TensorDtype {
				name: name.to_owned(),
				dtype: format!("{other:?}"),
			})
		},
	};
	Ok(values)
}
