//! Usage receipts (whitepaper §6.1) and their signatures.
//!
//! A worker signs every receipt with its secp256k1 *receipt key* (ECDSA over
//! `keccak256(SCALE(receipt))`). Before serving, it checks that the request carries an
//! [`Authorisation`] signed by a *gateway key* the payer registered on chain; the receipt
//! repeats the authorised terms, so the chain can check both signatures from the receipt
//! alone: no valid gateway signature, no payment.
//!
//! The gateway assigns the per-(worker, payer) [`Counter`](crate::Counter) in the
//! authorisation; a batch declares its counter range and the chain keeps only the highest
//! settled counter per pair, so a receipt can never be billed twice.

use crate::{domain, keccak256, Balance, Counter, Hash, ModelId, ProjectId};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use core::{fmt, str::FromStr};
use scale_info::TypeInfo;

/// A compressed secp256k1 public key (33 bytes): a worker's receipt key or a gateway key.
pub type PublicKey = [u8; 33];
/// A recoverable ECDSA signature: `r ‖ s ‖ v` with `v ∈ {0, 1}` (27/28 also accepted).
pub type Signature = [u8; 65];
/// The raw 32 bytes of an AIL2 account id.
pub type AccountBytes = [u8; 32];

/// The 32 bytes receipts and proofs name an account by: its SCALE encoding, zero-padded (an
/// `AccountId32` encodes as its own 32 bytes, so on chain and in the worker this is the
/// identity; test runtimes with `u64` accounts get their 8 bytes and zeros).
pub fn account_bytes<AccountId: Encode>(who: &AccountId) -> AccountBytes {
	let mut bytes = [0u8; 32];
	who.using_encoded(|encoded| {
		for (slot, byte) in bytes.iter_mut().zip(encoded) {
			*slot = *byte;
		}
	});
	bytes
}

/// The message a worker's receipt key signs to prove, at registration, that it belongs to
/// the worker with hot key `hot` owned by `owner`:
/// `keccak256("ail2:receipt:key-proof" ‖ owner ‖ hot)`. Binding both accounts stops anyone
/// from registering another worker's receipt key (its receipts would then pay them).
pub fn proof_of_possession_message(owner: &AccountBytes, hot: &AccountBytes) -> Hash {
	domain::tagged_hash(domain::RECEIPT_KEY_PROOF, &[owner, hot])
}

/// A semantic version (`major.minor.patch`) of a model.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Hash,
	Default,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct SemVer {
	pub major: u16,
	pub minor: u16,
	pub patch: u16,
}

impl SemVer {
	pub const fn new(major: u16, minor: u16, patch: u16) -> Self {
		Self { major, minor, patch }
	}
}

/// `major.minor.patch`, as operators write it and [`FromStr`] reads it back.
impl fmt::Display for SemVer {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
	}
}

/// A version that is not three dot-separated numbers, each at most 65535.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ParseSemVerError;

impl fmt::Display for ParseSemVerError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		f.write_str("version must be major.minor.patch")
	}
}

impl core::error::Error for ParseSemVerError {}

impl FromStr for SemVer {
	type Err = ParseSemVerError;

	/// Reads `major.minor.patch`, each part a `u16` as `u16::from_str` reads it.
	fn from_str(text: &str) -> Result<Self, Self::Err> {
		let mut parts = text.split('.').map(u16::from_str);
		match (parts.next(), parts.next(), parts.next(), parts.next()) {
			(Some(Ok(major)), Some(Ok(minor)), Some(Ok(patch)), None) => {
				Ok(Self { major, minor, patch })
			},
			_ => Err(ParseSemVerError),
		}
	}
}

/// What a payer's gateway authorises a worker to do for one request.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Authorisation {
	/// The paying account.
	pub payer: AccountBytes,
	/// The worker's receipt key: the authorisation is for this worker only.
	pub node_pubkey: PublicKey,
	pub project_id: ProjectId,
	pub model_id: ModelId,
	pub version: SemVer,
	/// Chain where the payer pays (whitepaper `chain_id`).
	pub chain_id: u32,
	/// The gateway's id for the request.
	pub route_id: Hash,
	/// Position in the (worker, payer) stream.
	pub counter: Counter,
	/// The most the payer accepts to pay for this request.
	pub max_price: Balance,
	/// The worker must complete the request before this time (Unix ms).
	pub expires_at_ms: u64,
}

impl Authorisation {
	/// The message the gateway signs: `keccak256(SCALE(self))`.
	pub fn message(&self) -> Hash {
		keccak256(&self.encode())
	}
}

/// A usage receipt: every field of whitepaper §6.1 plus the authorised terms.
///
/// `gpu_sec` is kept as integer milliseconds (`gpu_ms`): floats are not deterministic
/// across machines and have no place on chain. The whitepaper's `nonce` is [`Self::counter`].
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Receipt {
	pub project_id: ProjectId,
	pub model_id: ModelId,
	pub version: SemVer,
	/// Completion time of the request (Unix ms).
	pub timestamp_ms: u64,
	pub tokens_in: u32,
	pub tokens_out: u32,
	/// GPU time in milliseconds.
	pub gpu_ms: u64,
	pub bytes_in: u64,
	pub bytes_out: u64,
	/// Fee in the smallest unit, computed by the model's billing function.
	pub price: Balance,
	pub chain_id: u32,
	pub route_id: Hash,
	pub counter: Counter,
	/// The worker's receipt key.
	pub node_pubkey: PublicKey,
	pub payer: AccountBytes,
	/// Hash of the model's pricing policy the price was computed under.
	pub policy_hash: Hash,
	/// From the authorisation: the price cap the payer accepted.
	pub max_price: Balance,
	/// From the authorisation: its expiry (Unix ms).
	pub expires_at_ms: u64,
	/// The commitment to the request's inference transcript
	/// ([`Transcript::hash`](crate::transcript::Transcript::hash)), which the worker keeps
	/// for the verifiers and the payer.
	pub transcript: Hash,
}

impl Receipt {
	/// `receipt_id = keccak256(route_id ‖ node_id ‖ counter ‖ timestamp)` (§6.6), with the
	/// node id being the receipt key and integers little-endian as SCALE encodes them.
	pub fn id(&self) -> Hash {
		keccak256(&(self.route_id, self.node_pubkey, self.counter, self.timestamp_ms).encode())
	}

	/// The message the worker signs: `keccak256(SCALE(receipt))`.
	pub fn message(&self) -> Hash {
		keccak256(&self.encode())
	}

	/// The authorisation this receipt claims to be served under.
	pub fn authorisation(&self) -> Authorisation {
		Authorisation {
			payer: self.payer,
			node_pubkey: self.node_pubkey,
			project_id: self.project_id,
			model_id: self.model_id,
			version: self.version,
			chain_id: self.chain_id,
			route_id: self.route_id,
			counter: self.counter,
			max_price: self.max_price,
			expires_at_ms: self.expires_at_ms,
		}
	}

	/// Whether the receipt stays within the authorised terms: price at most the cap and
	/// completed before expiry.
	pub fn within_authorised_terms(&self) -> bool {
		self.price <= self.max_price && self.timestamp_ms <= self.expires_at_ms
	}
}

/// A receipt with the worker's signature and the gateway's authorisation signature.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct SignedReceipt {
	pub receipt: Receipt,
	/// The worker's signature over [`Receipt::message`].
	pub node_signature: Signature,
	/// The gateway's signature over [`Authorisation::message`] of [`Receipt::authorisation`].
	pub gateway_signature: Signature,
}

impl SignedReceipt {
	/// Whether the worker's signature recovers to the receipt's `node_pubkey`.
	pub fn node_signature_valid(&self) -> bool {
		recover(&self.receipt.message(), &self.node_signature) == Some(self.receipt.node_pubkey)
	}

	/// The gateway key that signed the authorisation, if the signature is well formed. The
	/// caller checks that the payer registered this key.
	pub fn gateway_signer(&self) -> Option<PublicKey> {
		recover(&self.receipt.authorisation().message(), &self.gateway_signature)
	}
}

/// Half the secp256k1 group order, `⌊n/2⌋`, big-endian: the largest `s` a canonical
/// signature has.
pub const HALF_ORDER: [u8; 32] = [
	0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
];

/// The secp256k1 group order `n`, big-endian.
pub const ORDER: [u8; 32] = [
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
	0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
];

/// The other byte form of a signature that libsecp256k1's recovery alone accepts for the
/// same key, `(r, n − s, v ⊕ 1)`: what an attacker makes of a canonical signature, for
/// adversary tests and for watchers that want to recognise one. [`recover`] refuses it.
/// `s` above `n` wraps (the result is then not a signature at all).
pub fn high_s_twin(signature: &Signature) -> Signature {
	let mut twin = *signature;
	let (rs, v) = twin.split_at_mut(64);
	let mut borrow = false;
	for (digit, order) in rs.iter_mut().skip(32).zip(ORDER).rev() {
		let (difference, under) = order.overflowing_sub(*digit);
		let (difference, under_again) = difference.overflowing_sub(u8::from(borrow));
		*digit = difference;
		borrow = under || under_again;
	}
	v.iter_mut().for_each(|v| *v ^= 1);
	twin
}

/// Whether a signature is in its one canonical byte form: `s ≤ ⌊n/2⌋` and the recovery id
/// byte 0 or 1. Every valid signature `(r, s, v)` has a twin `(r, n − s, v ⊕ 1)` and
/// Ethereum-style aliases `v + 27`; only the canonical one is accepted, so a receipt has one
/// leaf hash and a signature cannot be altered into a second valid one. Recovery ids 2 and 3
/// (`R.x ≥ n`, probability about 2⁻¹²⁷) are refused too; AIL2's signers never emit them.
pub fn is_canonical(signature: &Signature) -> bool {
	let (Some(s), Some(&v)) = (signature.get(32..64), signature.get(64)) else { return false };
	// Equal-length big-endian byte strings compare as the integers they encode.
	v <= 1 && s <= &HALF_ORDER[..]
}

/// Recovers the compressed public key that signed `message`, or `None` when the signature
/// is not canonical ([`is_canonical`]) or recovers nothing. Uses the host's libsecp256k1 on
/// chain (`sp_io`), so it is cheap in the runtime too.
pub fn recover(message: &Hash, signature: &Signature) -> Option<PublicKey> {
	if !is_canonical(signature) {
		return None;
	}
	sp_io::crypto::secp256k1_ecdsa_recover_compressed(signature, message).ok()
}

/// Off-chain signing and fast verification with libsecp256k1.
#[cfg(feature = "std")]
pub mod signing {
	use super::{Hash, PublicKey, Signature};
	use secp256k1::{
		ecdsa::{RecoverableSignature, RecoveryId},
		Message, PublicKey as SecpPublic, SecretKey, SECP256K1,
	};

	/// A secp256k1 key pair: a worker's receipt key or a gateway key.
	#[derive(Clone)]
	pub struct Keypair {
		secret: SecretKey,
		public: PublicKey,
	}

	/// A secret key that is not a valid secp256k1 scalar (zero or ≥ the group order).
	#[derive(Debug, PartialEq, Eq)]
	pub struct InvalidSecretKey;

	impl Keypair {
		/// The key pair of a 32-byte secret.
		pub fn from_secret(secret: &[u8; 32]) -> Result<Self, InvalidSecretKey> {
			let secret = SecretKey::from_slice(secret).map_err(|_| InvalidSecretKey)?;
			let public = SecpPublic::from_secret_key(SECP256K1, &secret).serialize();
			Ok(Self { secret, public })
		}

		/// The compressed public key.
		pub fn public(&self) -> PublicKey {
			self.public
		}

		/// The secret bytes, for writing a key file.
		pub fn secret_bytes(&self) -> [u8; 32] {
			self.secret.secret_bytes()
		}

		/// A recoverable signature over a 32-byte digest.
		pub fn sign(&self, message: &Hash) -> Signature {
			let sig =
				SECP256K1.sign_ecdsa_recoverable(&Message::from_digest(*message), &self.secret);
			let (recovery_id, compact) = sig.serialize_compact();
			let mut out = [0u8; 65];
			let (rs, v) = out.split_at_mut(64);
			rs.copy_from_slice(&compact);
			// Recovery ids are 0..=3, so the narrowing is exact.
			v.fill(u8::try_from(recovery_id.to_i32()).unwrap_or(0));
			out
		}
	}

	/// Whether `signature` over `message` is canonical and recovers to `public`
	/// (libsecp256k1, no host call): the same answer as [`super::recover`].
	pub fn verify(public: &PublicKey, message: &Hash, signature: &Signature) -> bool {
		if !super::is_canonical(signature) {
			return false;
		}
		let (rs, v) = signature.split_at(64);
		let v = v.first().copied().unwrap_or(u8::MAX);
		let Ok(recovery_id) = RecoveryId::from_i32(i32::from(v)) else { return false };
		let Ok(sig) = RecoverableSignature::from_compact(rs, recovery_id) else { return false };
		match SECP256K1.recover_ecdsa(&Message::from_digest(*message), &sig) {
			Ok(recovered) => &recovered.serialize() == public,
			Err(_) => false,
		}
	}
}

#[cfg(test)]
#[allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]
pub(crate) mod tests {
	use super::{signing::Keypair, *};

	pub fn worker_key() -> Keypair {
		Keypair::from_secret(&[7u8; 32]).unwrap()
	}
	pub fn gateway_key() -> Keypair {
		Keypair::from_secret(&[9u8; 32]).unwrap()
	}

	/// A receipt with distinct values in every field; `counter` and `price` vary.
	pub fn receipt(counter: Counter, price: Balance) -> Receipt {
		Receipt {
			project_id: 3,
			model_id: 11,
			version: SemVer::new(1, 2, 3),
			timestamp_ms: 1_764_000_000_000 + counter,
			tokens_in: 512,
			tokens_out: 128,
			gpu_ms: 1_250,
			bytes_in: 2_048,
			bytes_out: 600,
			price,
			chain_id: 42,
			route_id: keccak256(&counter.to_le_bytes()),
			counter,
			node_pubkey: worker_key().public(),
			payer: [5u8; 32],
			policy_hash: [8u8; 32],
			max_price: price.saturating_mul(2),
			expires_at_ms: 1_764_000_060_000 + counter,
			transcript: keccak256(&counter.to_be_bytes()),
		}
	}

	pub fn signed(receipt: Receipt) -> SignedReceipt {
		let node_signature = worker_key().sign(&receipt.message());
		let gateway_signature = gateway_key().sign(&receipt.authorisation().message());
		SignedReceipt { receipt, node_signature, gateway_signature }
	}

	#[test]
	fn receipt_id_is_keccak_of_route_node_counter_timestamp() {
		let r = receipt(9, 100);
		let mut bytes = Vec::new();
		bytes.extend_from_slice(&r.route_id);
		bytes.extend_from_slice(&r.node_pubkey);
		bytes.extend_from_slice(&9u64.to_le_bytes());
		bytes.extend_from_slice(&r.timestamp_ms.to_le_bytes());
		assert_eq!(r.id(), keccak256(&bytes));
		assert_ne!(r.id(), receipt(10, 100).id());
	}

	#[test]
	fn receipt_encoding_is_fixed_size() {
		let r = receipt(1, 1);
		assert_eq!(r.encoded_size(), Receipt::max_encoded_len());
		// 4+4+6+8+4+4+8+8+8+16+4+32+8+33+32+32+16+8+32
		assert_eq!(r.encoded_size(), 267);
	}

	#[test]
	fn signatures_verify_on_chain_and_off_chain() {
		let s = signed(receipt(1, 1_000));
		assert!(s.node_signature_valid());
		assert_eq!(s.gateway_signer(), Some(gateway_key().public()));
		assert!(signing::verify(&worker_key().public(), &s.receipt.message(), &s.node_signature));
		assert!(is_canonical(&s.node_signature) && is_canonical(&s.gateway_signature));
	}

	#[test]
	fn only_the_canonical_form_of_a_signature_is_accepted() {
		let s = signed(receipt(1, 1_000));
		let message = s.receipt.message();
		let key = worker_key().public();
		let (r, low_s, v) =
			(&s.node_signature[..32], &s.node_signature[32..64], s.node_signature[64]);
		let with = |s_part: &[u8], v: u8| {
			let mut out = [0u8; 65];
			out[..32].copy_from_slice(r);
			out[32..64].copy_from_slice(s_part);
			out[64] = v;
			out
		};
		let twin = high_s_twin(&s.node_signature);
		assert_eq!((&twin[..32], twin[64]), (r, v ^ 1));
		// Each of these recovers the same key in libsecp256k1 without the canonical check:
		// the attack is a second byte form of one valid signature.
		let mut twin_alias = twin;
		twin_alias[64] += 27;
		let twins = [with(low_s, v + 27), twin, twin_alias];
		for twin in twins {
			assert!(!is_canonical(&twin));
			assert_eq!(recover(&message, &twin), None);
			assert!(!signing::verify(&key, &message, &twin));
			let altered = SignedReceipt { node_signature: twin, ..s.clone() };
			assert!(!altered.node_signature_valid());
			let altered = SignedReceipt { gateway_signature: twin, ..s.clone() };
			assert_eq!(altered.gateway_signer(), None);
		}
		assert!(!is_canonical(&with(low_s, 2)) && !is_canonical(&with(low_s, 3)));
		// s exactly ⌊n/2⌋ is canonical; one more is not.
		assert!(is_canonical(&with(&HALF_ORDER, 0)));
		let mut above = HALF_ORDER;
		above[31] += 1;
		assert!(!is_canonical(&with(&above, 0)));
	}

	#[test]
	fn any_change_to_a_signed_receipt_breaks_its_signatures() {
		let s = signed(receipt(1, 1_000));
		let mut repriced = s.clone();
		repriced.receipt.price += 1;
		assert!(!repriced.node_signature_valid());
		assert_eq!(
			repriced.gateway_signer(),
			Some(gateway_key().public()),
			"price is not authorised, only capped"
		);

		let mut recountered = s.clone();
		recountered.receipt.counter += 1;
		assert!(!recountered.node_signature_valid());
		assert_ne!(recountered.gateway_signer(), Some(gateway_key().public()));

		let mut forged = s;
		forged.node_signature[10] ^= 1;
		assert!(!forged.node_signature_valid());
		assert!(!signing::verify(
			&worker_key().public(),
			&forged.receipt.message(),
			&forged.node_signature
		));
	}

	#[test]
	fn authorised_terms_cap_price_and_time() {
		let mut r = receipt(1, 1_000);
		assert!(r.within_authorised_terms());
		r.price = r.max_price + 1;
		assert!(!r.within_authorised_terms());
		let mut late = receipt(1, 1_000);
		late.timestamp_ms = late.expires_at_ms + 1;
		assert!(!late.within_authorised_terms());
	}

	#[test]
	fn versions_print_and_parse_as_major_minor_patch() {
		let version = SemVer::new(1, 20, 300);
		assert_eq!(version.to_string(), "1.20.300");
		assert_eq!("1.20.300".parse(), Ok(version));
		assert_eq!("0.0.0".parse(), Ok(SemVer::default()));
		assert_eq!("65535.0.1".parse(), Ok(SemVer::new(u16::MAX, 0, 1)));
		for bad in ["", "1", "1.2", "1.2.3.4", "1.2.x", "1..3", "1.2.65536", "-1.2.3", " 1.2.3"] {
			assert_eq!(bad.parse::<SemVer>(), Err(ParseSemVerError), "{bad:?}");
		}
		assert_eq!(ParseSemVerError.to_string(), "version must be major.minor.patch");
	}

	#[test]
	fn account_bytes_are_the_encoding_zero_padded() {
		assert_eq!(account_bytes(&[7u8; 32]), [7u8; 32]);
		let mut short = [0u8; 32];
		short[..8].copy_from_slice(&0x0102_0304_0506_0708u64.to_le_bytes());
		assert_eq!(account_bytes(&0x0102_0304_0506_0708u64), short);
	}

	#[test]
	fn the_proof_of_possession_binds_the_tag_the_owner_and_the_hot_key() {
		let (owner, hot) = ([1u8; 32], [2u8; 32]);
		let mut preimage = b"ail2:receipt:key-proof".to_vec();
		preimage.extend_from_slice(&owner);
		preimage.extend_from_slice(&hot);
		let message = proof_of_possession_message(&owner, &hot);
		assert_eq!(message, keccak256(&preimage));
		// Pinned: the end-to-end tests build the same message in JavaScript.
		let pinned = "e57eea5d4c718cbd78e4d7d7d6571df397c60ba87f25341696bbbbd81af11ae0";
		let pinned: Vec<u8> = (0..64)
			.step_by(2)
			.map(|i| u8::from_str_radix(&pinned[i..i + 2], 16).unwrap())
			.collect();
		assert_eq!(message.as_slice(), pinned.as_slice());
		assert_ne!(message, proof_of_possession_message(&hot, &owner));
	}

	#[test]
	fn invalid_secret_keys_are_refused() {
		assert!(Keypair::from_secret(&[0u8; 32]).is_err());
		assert!(Keypair::from_secret(&[0xffu8; 32]).is_err());
	}
}
