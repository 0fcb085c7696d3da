//! Violations, the records kept of them and the parameters governance sets.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::traits::tokens::Balance as BalanceT;
use scale_info::TypeInfo;
use sp_runtime::{
	traits::{One, Saturating, UniqueSaturatedInto},
	FixedU128, Perbill,
};

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
	/// A batch's leaf the worker did not post on chain within the answer period of a
	/// data-availability challenge. Not in §8.4's table; ranked with a forged receipt
	/// (50–100%), since withholding a leaf is how a worker would hide any fraud in it: a
	/// cheaper penalty would make withholding the forger's best answer.
	WithheldData,
}

impl Violation {
	/// The slash ratio range of §8.4: `(lowest, highest)`.
	pub fn range(self) -> (Perbill, Perbill) {
		let p = Perbill::from_percent;
		match self {
			Self::ForgedReceipt | Self::ReplayAttack | Self::WithheldData => (p(50), p(100)),
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
			Self::ForgedReceipt | Self::ReplayAttack | Self::WithheldData => 5,
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

/// The slash and bounty parameters of whitepaper §8.3 and §8.4 that governance sets with
/// `set_params` (within the bounds `check_params` enforces). A report reads them once and
/// takes its slash and bounty at once, so a change applies from the next report and never
/// to one already made.
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
pub struct SlashingParams<Balance> {
	/// `BaseRate` of §8.4: the slash rate of a first offence of severity one.
	pub base_rate: Perbill,
	/// `RepeatStep`: `RepeatMultiplier = 1 + RepeatStep × violations_effective` before
	/// this violation. At most `MaxRepeatStep`.
	pub repeat_step: FixedU128,
	/// `MaxSlash` of §8.4: the most one violation takes (a malicious image excepted).
	/// Never zero.
	pub max_slash: Balance,
	/// `BountyShare`: the share of a slash paid to the reporter. At most `MaxBountyShare`.
	pub bounty_share: Perbill,
	/// `MaxBounty`: the most a bounty pays, whatever the slash; set near what honest work
	/// earns in the same time, so hunting for faults never pays better than serving (seed
	/// 001, "Bounty reward"). At most `max_slash`.
	pub max_bounty: Balance,
	/// `SuspendThreshold`: effective violations (§8.3) at which a worker is suspended until
	/// governance lifts it. At least one.
	pub suspend_threshold: FixedU128,
}

/// `x` as a `Perbill`, saturating at 100%.
pub(crate) fn to_perbill(x: FixedU128) -> Perbill {
	if x >= FixedU128::one() {
		Perbill::one()
	} else {
		// x < 1, so inner < 10^18 and inner / 10^9 < 10^9 fits the parts.
		let parts = x.into_inner() / 1_000_000_000;
		Perbill::from_parts(parts.unique_saturated_into())
	}
}

impl<Balance: BalanceT> SlashingParams<Balance> {
	/// `SlashRate = BaseRate × SeverityMultiplier × RepeatMultiplier`, kept inside the
	/// violation's range of §8.4, where `RepeatMultiplier = 1 + RepeatStep × prior` and
	/// `prior` is the offender's effective violations before this one.
	pub fn slash_rate(&self, violation: Violation, prior: FixedU128) -> Perbill {
		let repeat = FixedU128::one().saturating_add(self.repeat_step.saturating_mul(prior));
		let rate = FixedU128::from_perbill(self.base_rate)
			.saturating_mul(FixedU128::from_u32(violation.severity()))
			.saturating_mul(repeat);
		let (lowest, highest) = violation.range();
		to_perbill(rate).max(lowest).min(highest)
	}

	/// `SlashAmount = min(Stake × SlashRate, MaxSlash)`; a malicious image takes all.
	pub fn slash_amount(&self, violation: Violation, stake: Balance, rate: Perbill) -> Balance {
		let amount = rate.mul_floor(stake);
		if violation == Violation::MaliciousImage {
			amount
		} else {
			amount.min(self.max_slash)
		}
	}

	/// `min(BountyShare × slashed, MaxBounty, cap)`.
	pub fn bounty(&self, slashed: Balance, cap: Balance) -> Balance {
		self.bounty_share.mul_floor(slashed).min(self.max_bounty).min(cap)
	}
}
