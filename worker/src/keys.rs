//! The worker's two keys, kept in one JSON file readable by its owner only (mode 0600):
//!
//! - the **hot key** (sr25519) signs the worker's extrinsics (`propose_batch`, heartbeats);
//!   the owner's cold account authorises it at registration;
//! - the **receipt key** (secp256k1) signs every receipt; the chain learns its public half at
//!   registration, with a proof of possession.

use std::{
	io::Write,
	os::unix::fs::{OpenOptionsExt, PermissionsExt},
	path::{Path, PathBuf},
	str::FromStr,
};

use ail2_primitives::receipt::signing::Keypair as ReceiptKeypair;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use subxt_signer::{sr25519, SecretUri, SecretUriError};

/// Why a key file could not be written or read. Each message carries its cause.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
	#[error("{action} {}: {error}", path.display())]
	Io {
		/// What was being done (`reading`, `creating`, …).
		action: &'static str,
		path: PathBuf,
		error: std::io::Error,
	},
	#[error("{} exists already; a key file is never overwritten", path.display())]
	Exists { path: PathBuf },
	#[error("{} is readable by other users; chmod 600 it", path.display())]
	Exposed { path: PathBuf },
	#[error("{} is not a {kind} key file: {error}", path.display())]
	NotAKeyFile {
		path: PathBuf,
		/// `worker` or `gateway`.
		kind: &'static str,
		error: serde_json::Error,
	},
	#[error("hot key: {0}")]
	HotUri(SecretUriError),
	#[error("hot key: {0}")]
	HotKey(sr25519::Error),
	#[error("{key} key: expected 0x and 64 hex digits")]
	NotHex { key: &'static str },
	#[error("{key} key: not a valid secp256k1 secret")]
	InvalidSecret { key: &'static str },
	#[error("writing a key file: {0}")]
	Encode(serde_json::Error),
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
	/// A secret URI: `0x` and a 32-byte seed, or a dev derivation such as `//Ferdie`.
	hot_key: String,
	/// `0x` and the 32-byte secp256k1 secret.
	receipt_key: String,
}

pub struct WorkerKeys {
	pub hot: sr25519::Keypair,
	pub receipt: ReceiptKeypair,
}

fn random_secret() -> [u8; 32] {
	let mut secret = [0u8; 32];
	rand::rng().fill_bytes(&mut secret);
	secret
}

/// A random secret that is a valid secp256k1 key (almost every 32 bytes are).
fn random_secp256k1_secret() -> [u8; 32] {
	loop {
		let secret = random_secret();
		if ReceiptKeypair::from_secret(&secret).is_ok() {
			return secret;
		}
	}
}

impl WorkerKeys {
	/// Writes a new key file at `path`; refuses to overwrite one. `hot_uri` replaces the random
	/// hot key (for development chains, e.g. `//Ferdie`).
	pub fn generate(path: &Path, hot_uri: Option<&str>) -> Result<Self, KeyError> {
		let hot_key = match hot_uri {
			Some(uri) => uri.to_owned(),
			None => format!("0x{}", hex::encode(random_secret())),
		};
		let receipt_secret = random_secp256k1_secret();
		let file = KeyFile { hot_key, receipt_key: format!("0x{}", hex::encode(receipt_secret)) };
		let keys = Self::from_file_contents(&file)?;
		create_private(path, &serde_json::to_string_pretty(&file).map_err(KeyError::Encode)?)?;
		Ok(keys)
	}

	/// Reads the key file; refuses one that others can read.
	pub fn load(path: &Path) -> Result<Self, KeyError> {
		let text = read_private(path)?;
		let file: KeyFile = serde_json::from_str(&text).map_err(|error| KeyError::NotAKeyFile {
			path: path.to_owned(),
			kind: "worker",
			error,
		})?;
		Self::from_file_contents(&file)
	}

	fn from_file_contents(file: &KeyFile) -> Result<Self, KeyError> {
		let uri = SecretUri::from_str(&file.hot_key).map_err(KeyError::HotUri)?;
		let hot = sr25519::Keypair::from_uri(&uri).map_err(KeyError::HotKey)?;
		let receipt = secp256k1_key("receipt", &file.receipt_key)?;
		Ok(Self { hot, receipt })
	}

	/// The hot key's account id (32 bytes).
	pub fn hot_account(&self) -> [u8; 32] {
		self.hot.public_key().0
	}
}

/// The secp256k1 key of `0x` and 64 hex digits; `key` names it in errors.
fn secp256k1_key(key: &'static str, text: &str) -> Result<ReceiptKeypair, KeyError> {
	let secret: [u8; 32] = hex::decode(text.trim_start_matches("0x"))
		.ok()
		.and_then(|bytes| bytes.try_into().ok())
		.ok_or(KeyError::NotHex { key })?;
	ReceiptKeypair::from_secret(&secret).map_err(|_| KeyError::InvalidSecret { key })
}

/// A gateway's signing key (secp256k1), in its own 0600 JSON file. Payers register its public
/// half on chain (`receipts.add_gateway_key`); the gateway signs their authorisations with it.
#[derive(Serialize, Deserialize)]
struct GatewayKeyFile {
	/// `0x` and the 32-byte secp256k1 secret.
	gateway_key: String,
}

fn create_private(path: &Path, contents: &str) -> Result<(), KeyError> {
	if let Some(dir) = path.parent() {
		std::fs::create_dir_all(dir).map_err(io_error("creating", dir))?;
	}
	let mut out =
		std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(
			|error| match error.kind() {
				std::io::ErrorKind::AlreadyExists => KeyError::Exists { path: path.to_owned() },
				_ => io_error("creating", path)(error),
			},
		)?;
	out.write_all(contents.as_bytes()).map_err(io_error("writing", path))?;
	out.sync_all().map_err(io_error("writing", path))
}

fn read_private(path: &Path) -> Result<String, KeyError> {
	let metadata = std::fs::metadata(path).map_err(io_error("reading", path))?;
	if metadata.permissions().mode() & 0o077 != 0 {
		return Err(KeyError::Exposed { path: path.to_owned() });
	}
	std::fs::read_to_string(path).map_err(io_error("reading", path))
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> KeyError {
	let path = path.to_owned();
	move |error| KeyError::Io { action, path, error }
}

/// Writes a new gateway key file (random secret unless `secret` is given, for dev chains);
/// refuses to overwrite one.
pub fn generate_gateway_key(
	path: &Path,
	secret: Option<[u8; 32]>,
) -> Result<ReceiptKeypair, KeyError> {
	let secret = secret.unwrap_or_else(random_secp256k1_secret);
	let keypair = ReceiptKeypair::from_secret(&secret)
		.map_err(|_| KeyError::InvalidSecret { key: "gateway" })?;
	let file = GatewayKeyFile { gateway_key: format!("0x{}", hex::encode(secret)) };
	create_private(path, &serde_json::to_string_pretty(&file).map_err(KeyError::Encode)?)?;
	Ok(keypair)
}

/// Reads a gateway key file; refuses one that others can read.
pub fn load_gateway_key(path: &Path) -> Result<ReceiptKeypair, KeyError> {
	let text = read_private(path)?;
	let file: GatewayKeyFile = serde_json::from_str(&text)
		.map_err(|error| KeyError::NotAKeyFile { path: path.to_owned(), kind: "gateway", error })?;
	secp256k1_key("gateway", &file.gateway_key)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn generated_keys_reload_and_stay_private() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("keys.json");
		let keys = WorkerKeys::generate(&path, None).unwrap();
		let again = WorkerKeys::load(&path).unwrap();
		assert_eq!(keys.hot_account(), again.hot_account());
		assert_eq!(keys.receipt.public(), again.receipt.public());
		use std::os::unix::fs::PermissionsExt;
		assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
		// Never overwritten.
		assert!(WorkerKeys::generate(&path, None).is_err());
	}

	#[test]
	fn world_readable_key_file_is_refused() {
		use std::os::unix::fs::PermissionsExt;
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("keys.json");
		WorkerKeys::generate(&path, Some("//Ferdie")).unwrap();
		std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
		let error = WorkerKeys::load(&path).err().unwrap();
		assert!(error.to_string().contains("readable by other users"), "{error}");
	}

	#[test]
	fn gateway_key_files_round_trip() {
		use std::os::unix::fs::PermissionsExt;
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("gateway.json");
		let key = generate_gateway_key(&path, Some([0x64; 32])).unwrap();
		assert_eq!(load_gateway_key(&path).unwrap().public(), key.public());
		assert!(generate_gateway_key(&path, None).is_err());
		std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
		assert!(load_gateway_key(&path).is_err());
		assert!(generate_gateway_key(&dir.path().join("bad.json"), Some([0; 32])).is_err());
	}
}
