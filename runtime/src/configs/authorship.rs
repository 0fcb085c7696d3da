use crate::{Babe, Runtime, Staking};

impl pallet_authorship::Config for Runtime {
	type FindAuthor = pallet_session::FindAccountFromAuthorIndex<Self, Babe>;
	/// Staking awards era points to block authors.
	type EventHandler = Staking;
}
