//! # ail2-primitives
//!
//! The single source of truth for everything the AIL2 runtime and the AIL2 worker must agree
//! on byte for byte:
//!
//! - [`receipt`]: the usage receipt of whitepaper §6.1, its id, its signing message, the
//!   worker's secp256k1 signature, the payer gateway's authorisation, the receipt key's
//!   proof of possession, account bytes and model versions;
//! - [`domain`]: the `ail2:<area>:<purpose>` tags every hashed derivation starts with;
//! - [`merkle`]: the Merkle-sum tree that commits a batch of receipts to one root and one
//!   total, with inclusion proofs that authenticate partial sums and proofs of an inner node
//!   whose sum is not its children's;
//! - [`billing`]: the billing functions of whitepaper §6.2 in integer and fixed-point maths;
//! - [`draw`]: stake- or weight-proportional draws without replacement (committees,
//!   race validators);
//! - [`fixed`]: fixed-point `e^-x` for the decay of violations (§8.3);
//! - [`issuance`]: the issuance schedule of seed `pow2` Appendix E and F: batches, subsidy
//!   shares, the mint for a fee amount and the minimum daily issuance;
//! - [`poi`]: proof of inference's spot checks: `P_verify(fee)` (§8.6.1), its scaling by
//!   reputation, and which receipts a batch's duty seed selects;
//! - [`race`]: the Proof-of-Work 2.0 race's frozen derivations (seed `pow2` Appendix A):
//!   the race and sample seeds, ChaCha20 streams, the race model's presets, weights and
//!   target, node and input seeds, input tokens and output permutations;
//! - [`transcript`]: the inference transcript a receipt commits to (proof of inference) and
//!   the log-probability divergence a verifier's replay is judged by;
//! - [`window`]: the challenge window of a batch (§8.5).
//!
//! `no_std` with `alloc`; with `std` it also signs (libsecp256k1) and builds trees.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod billing;
pub mod domain;
pub mod draw;
pub mod fixed;
pub mod issuance;
pub mod merkle;
pub mod poi;
pub mod race;
pub mod receipt;
pub mod transcript;
pub mod window;

/// Amounts in the smallest unit of the token a payer pays in (10^-12 AIL2).
pub type Balance = u128;
/// Position of a receipt in the stream of one (worker, payer) pair: 1, 2, 3, …
pub type Counter = u64;
/// Identifier of a registered model.
pub type ModelId = u32;
/// Identifier of a project (revenue-sharing rules hang off it).
pub type ProjectId = u32;
/// A 32-byte keccak256 digest.
pub type Hash = [u8; 32];

/// keccak256, the hash of receipts and Merkle-sum trees (whitepaper §6.3.1).
pub fn keccak256(data: &[u8]) -> Hash {
	sp_crypto_hashing::keccak_256(data)
}
