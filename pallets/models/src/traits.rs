//! How other pallets use the model registry.

use crate::{ModelId, RevenueSplit};
use ail2_primitives::{billing::PricingPolicy, receipt::SemVer, Hash};

/// What other pallets need to know about models.
pub trait ModelInspect<AccountId, Balance> {
	/// Whether receipts for `(model, version)` may be proposed now: the model is `Active`
	/// and the version approved.
	fn is_billable(model: ModelId, version: &SemVer) -> bool;
	/// The pricing policy of a version and its hash.
	fn pricing(model: ModelId, version: &SemVer) -> Option<(PricingPolicy, Hash)>;
	/// How the revenue of requests served under `(model, version)` is split: that version's
	/// split, whichever version is current when the money moves. `None` for an unknown
	/// version.
	fn revenue_split(model: ModelId, version: &SemVer) -> Option<RevenueSplit>;
	/// The model's owner, who receives the owner's share.
	fn owner(model: ModelId) -> Option<AccountId>;
	/// The price of one unit of compute this epoch.
	fn unit_price() -> Balance;
	/// The share of a version's requests its developer asks verifiers to re-execute
	/// (`security.spot_check_rate`): proof of inference checks at least this often. Zero
	/// for an unknown version, and for registries that keep none.
	fn spot_check_rate(_model: ModelId, _version: &SemVer) -> sp_runtime::Perbill {
		sp_runtime::Perbill::zero()
	}
}
