//! How other pallets (challenges, race, workers' routing) use slashing.

use crate::{SlashOutcome, Violation};
use sp_runtime::{DispatchError, FixedU128, Perbill};

/// How other pallets (challenges, race) report a proven violation.
pub trait ReportViolation<AccountId, Balance> {
	/// Punishes `offender` for `violation`: slashes by the formula, pays `reporter` a
	/// bounty of at most `bounty_cap` (and never more than `MaxBounty`), records the
	/// violation, lowers reputation and suspends or bans where due.
	fn report(
		offender: &AccountId,
		violation: Violation,
		reporter: Option<&AccountId>,
		bounty_cap: Balance,
	) -> Result<SlashOutcome<Balance>, DispatchError>;
}

/// Read access to violation records, for routing and elections.
pub trait ViolationInspect<AccountId> {
	/// `violations_effective(now)` of §8.3.
	fn effective_violations(who: &AccountId) -> FixedU128;
	/// `Penalty = e^(−ξ·violations_effective)` of §8.3: 100% for a clean record.
	fn penalty(who: &AccountId) -> Perbill;
	/// Violations ever reported against `who`, undecayed (zero after a cleared record): a
	/// change between two reads means a violation was proven, or the record cleared, between
	/// them.
	fn violations(who: &AccountId) -> u32;
}
