//! Violations and the records kept of them.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::{FixedU128, Perbill};

/// The violations of whitepaper §8.4.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum Violation {
	/// A receipt whose signature does not verify, or a batch that does not add up
	/// (evidence: signature verification failure). 50–100%.
	ForgedReceipt,
	/// A counter billed twice or outside its batch (evidence: nonce duplication proof).
	/// 50–100%.
	ReplayAttack,
	/// A receipt charging more than the model's billing function (evidence: receipt
	/// comparison). 30–50%.
	DoubleBilling,
	/// A result that did not survive a spot check or an arbitration (evidence: result
	/// inconsistency). 10–30%.
	SpotCheckFailure,
	/// A container image found malicious by a security audit. 100% and a permanent ban.
	MaliciousImage,
	/// A race committer who committed to a seed contribution and did not reveal it: the
	/// way to bias the race seed by choosing whether to reveal (seed `pow2` Appendix B).
	/// Not in §8.4's table; 2–5%, enough to make a withheld reveal cost more than one race's
	/// advantage.
	WithheldReveal,
}

impl Violation {
	/// The slash ratio range of §8.4: `(lowest, highest)`.
	pub fn range(self) -> (Perbill, Perbill) {
		let p = Perbill::from_percent;
		match self {
			Self::ForgedReceipt | Self::ReplayAttack => (p(50), p(100)),
			Self::DoubleBilling => (p(30), p(50)),
			Self::SpotCheckFailure => (p(10), p(30)),
			Self::MaliciousImage => (p(100), p(100)),
			Self::WithheldReveal => (p(2), p(5)),
		}
	}

	/// `SeverityMultiplier` of §8.4: chosen so that a first offence under the default
	/// `BaseRate` of 10% is slashed at the bottom of its range.
	pub fn severity(self) -> u32 {
		match self {
			Self::ForgedReceipt | Self::ReplayAttack => 5,
			Self::DoubleBilling => 3,
			Self::SpotCheckFailure | Self::WithheldReveal => 1,
			Self::MaliciousImage => 10,
		}
	}
}

/// A worker's violation record: `violations_effective` of §8.3 as of `updated_at`.
///
/// Because `Σ vᵢ·e^-(t−tᵢ)/τ = e^-(t−t₀)/τ · Σ vᵢ·e^-(t₀−tᵢ)/τ`, one number and the block
/// it was computed at are enough: it is decayed to the present and then one is added for
/// the new violation.
#[derive(Clone, PartialEq, Eq, Debug, Default, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct ViolationRecord<BlockNumber> {
	/// Effective violations at `updated_at`.
	pub effective: FixedU128,
	pub updated_at: BlockNumber,
	/// Violations ever reported, undecayed.
	pub total: u32,
}

/// What one report did.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct SlashOutcome<Balance> {
	/// `SlashRate` applied.
	pub rate: Perbill,
	/// Stake taken in all.
	pub slashed: Balance,
	/// Part of `slashed` paid to the reporter.
	pub bounty: Balance,
}
