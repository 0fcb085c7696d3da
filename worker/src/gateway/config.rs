//! The gateway's API keys: which payer each key spends for, how fast and how much.
//!
//! Keys are never stored: the configuration holds the SHA-256 of each key (hex), so a
//! leaked configuration file does not leak the keys. `ail2-worker api-key` makes a new key
//! and prints its configuration entry.
//!
//! ```toml
//! [[api_keys]]
//! name = "my-app"
//! sha256 = "9f86d0…"              # printf %s "$KEY" | sha256sum
//! payer = "5DAAnrj7VHTznn2AWBemMuyBwZWs6FNFjdyVXUeYum3PTXFy"  # SS58 or 0x + 64 hex digits
//! requests_per_minute = 600       # sustained rate
//! burst = 60                      # requests allowed at once after a quiet spell
//! max_price = "50000000000"       # most one request may cost, in the smallest unit
//! ```

use std::{
	collections::HashMap,
	path::{Path, PathBuf},
	sync::Arc,
};

use ail2_primitives::{receipt::AccountBytes, Balance};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// Accounts are read as the chain client reads them: SS58 or `0x` and 64 hex digits.
pub use ail2_chain::{parse_account, InvalidAccount as AccountError};

/// What is wrong with an API key configuration; the message names the file and the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
	#[error("reading {}: {error}", .path.display())]
	Read { path: PathBuf, error: std::io::Error },
	#[error("in {}: {error}", .path.display())]
	InFile { path: PathBuf, error: Box<ConfigError> },
	#[error("the API key configuration: {0}")]
	Toml(toml::de::Error),
	#[error("key `{name}`: sha256 must be 64 hex digits")]
	Hash { name: String },
	#[error("key `{name}`: {error}")]
	Payer { name: String, error: AccountError },
	#[error("key `{name}`: max_price `{text}` is not a number")]
	MaxPrice { name: String, text: String },
	#[error("key `{name}`: requests_per_minute must be positive")]
	ZeroRate { name: String },
	#[error("key `{name}`: the same key hash appears twice")]
	DuplicateHash { name: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
	#[serde(default)]
	api_keys: Vec<ApiKeyEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApiKeyEntry {
	name: String,
	sha256: String,
	payer: String,
	#[serde(default = "default_requests_per_minute")]
	requests_per_minute: u32,
	#[serde(default)]
	burst: Option<u32>,
	/// A decimal string (balances exceed TOML's 64-bit integers) or an integer.
	max_price: Amount,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Amount {
	Integer(u64),
	Text(String),
}

fn default_requests_per_minute() -> u32 {
	600
}

/// One API key's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKey {
	pub name: String,
	pub payer: AccountBytes,
	pub requests_per_minute: u32,
	pub burst: u32,
	/// The most one request may cost; it becomes the authorisation's `max_price`.
	pub max_price: Balance,
}

/// The configured keys, by the SHA-256 of the key.
#[derive(Clone, Debug, Default)]
pub struct ApiKeys {
	by_hash: HashMap<[u8; 32], Arc<ApiKey>>,
}

pub fn sha256(text: &str) -> [u8; 32] {
	Sha256::digest(text.as_bytes()).into()
}

impl ApiKeys {
	/// Parses a configuration (TOML); every entry is checked, duplicates refused.
	pub fn parse(text: &str) -> Result<Self, ConfigError> {
		let file: ConfigFile = toml::from_str(text).map_err(ConfigError::Toml)?;
		let mut by_hash = HashMap::new();
		for entry in file.api_keys {
			let name = entry.name;
			let Some(hash) = hex::decode(entry.sha256.trim().trim_start_matches("0x"))
				.ok()
				.and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
			else {
				return Err(ConfigError::Hash { name });
			};
			let payer = match parse_account(&entry.payer) {
				Ok(payer) => payer,
				Err(error) => return Err(ConfigError::Payer { name, error }),
			};
			let max_price = match entry.max_price {
				Amount::Integer(n) => Balance::from(n),
				Amount::Text(text) => match text.trim().parse() {
					Ok(price) => price,
					Err(_) => return Err(ConfigError::MaxPrice { name, text }),
				},
			};
			if entry.requests_per_minute == 0 {
				return Err(ConfigError::ZeroRate { name });
			}
			let key = ApiKey {
				burst: entry.burst.unwrap_or(entry.requests_per_minute.div_ceil(10)).max(1),
				name: name.clone(),
				payer,
				requests_per_minute: entry.requests_per_minute,
				max_price,
			};
			if by_hash.insert(hash, Arc::new(key)).is_some() {
				return Err(ConfigError::DuplicateHash { name });
			}
		}
		Ok(Self { by_hash })
	}

	pub fn load(path: &Path) -> Result<Self, ConfigError> {
		let text = std::fs::read_to_string(path)
			.map_err(|error| ConfigError::Read { path: path.to_owned(), error })?;
		Self::parse(&text)
			.map_err(|error| ConfigError::InFile { path: path.to_owned(), error: Box::new(error) })
	}

	/// The key's terms, if `key` (as the client sent it) is configured.
	pub fn find(&self, key: &str) -> Option<(&[u8; 32], &Arc<ApiKey>)> {
		self.by_hash.get_key_value(&sha256(key))
	}

	pub fn len(&self) -> usize {
		self.by_hash.len()
	}

	pub fn is_empty(&self) -> bool {
		self.by_hash.is_empty()
	}

	pub fn iter(&self) -> impl Iterator<Item = &Arc<ApiKey>> {
		self.by_hash.values()
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	const ALICE_SS58: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";

	fn entry(hash: &str, extra: &str) -> String {
		format!(
			"[[api_keys]]\nname = \"app\"\nsha256 = \"{hash}\"\npayer = \"{ALICE_SS58}\"\n{extra}\n"
		)
	}

	#[test]
	fn keys_are_found_by_their_hash_only() {
		let hash = hex::encode(sha256("sk-test"));
		let keys = ApiKeys::parse(&entry(
			&hash,
			"max_price = \"340282366920938463463374607431768211455\"",
		))
		.unwrap();
		let (_, key) = keys.find("sk-test").unwrap();
		assert_eq!(key.max_price, u128::MAX);
		assert_eq!(key.requests_per_minute, 600);
		assert_eq!(key.burst, 60);
		// Alice's well-known account id.
		assert_eq!(
			hex::encode(key.payer),
			"d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d"
		);
		assert!(keys.find("sk-other").is_none());
		assert!(keys.find(&hash).is_none(), "the hash itself is not a key");
	}

	#[test]
	fn bad_entries_are_named() {
		let hash = hex::encode(sha256("k"));
		let error = ApiKeys::parse(&entry("abc", "max_price = 1")).unwrap_err();
		assert!(format!("{error:#}").contains("sha256 must be 64 hex digits"), "{error:#}");
		let error = ApiKeys::parse(&entry(&hash, "max_price = \"ten\"")).unwrap_err();
		assert!(format!("{error:#}").contains("not a number"), "{error:#}");
		let error =
			ApiKeys::parse(&entry(&hash, "max_price = 1\nrequests_per_minute = 0")).unwrap_err();
		assert!(format!("{error:#}").contains("must be positive"), "{error:#}");
		let twice = format!("{}{}", entry(&hash, "max_price = 1"), entry(&hash, "max_price = 2"));
		assert!(format!("{:#}", ApiKeys::parse(&twice).unwrap_err()).contains("twice"));
		let error = ApiKeys::parse(&entry(&hash, "max_price = 1\ncolour = 3")).unwrap_err();
		assert!(format!("{error:#}").contains("colour"), "{error:#}");
		assert!(parse_account("5Grw").is_err());
		assert!(parse_account("0x1234").is_err());
	}
}
