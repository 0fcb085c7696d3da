//! Who may do what: AIL2's governance bodies (whitepaper §9) and the origins its pallets
//! accept.
//!
//! - **Token holders** decide by referendum (`Referenda` + `ConvictionVoting`: weight is
//!   stake × lock duration) on the tracks of [`tracks`]; a passed referendum dispatches with
//!   its track's origin ([`origins`]).
//! - **The Security Council** (`Council`, elected by token holders through `Elections`)
//!   acts in emergencies with two thirds of its members, without a referendum: it
//!   whitelists calls for the fast whitelisted-caller track, cancels referenda, suspends or
//!   bans a worker (`workers.EmergencyOrigin`: it cannot re-activate one), and freezes a
//!   batch (`challenges.freeze_batch`: a bondless dispute the drawn committee judges).
//!   Nothing else.
//! - **The Parameter Committee** (`TechnicalCommittee`, members managed by
//!   `TechnicalMembership`) is the only body that submits referenda on the parameter track;
//!   the community approves them (§9.2.3).
//!
//! Root (a root-track referendum, or sudo on development chains) is accepted wherever a
//! track origin is.

pub mod origins;
pub mod tracks;

use crate::{AccountId, OriginCaller, RuntimeOrigin};
use frame_support::{
	parameter_types,
	traits::{EitherOf, EnsureOrigin, EnsureOriginWithArg},
	PalletId,
};
use frame_system::EnsureRoot;
use sp_runtime::traits::AccountIdConversion;

/// The Security Council's collective instance.
pub type CouncilCollective = pallet_collective::Instance1;
/// The Parameter Committee's collective instance.
pub type TechnicalCollective = pallet_collective::Instance2;

/// Two thirds of the Security Council: its emergency powers.
pub type CouncilTwoThirds =
	pallet_collective::EnsureProportionAtLeast<AccountId, CouncilCollective, 2, 3>;
/// More than half of the Parameter Committee: what puts a parameter change to referendum.
pub type ParameterCommitteeMajority =
	pallet_collective::EnsureProportionMoreThan<AccountId, TechnicalCollective, 1, 2>;

/// Root or a model-admin referendum: approves and rejects models and versions.
pub type ModelAdmin = EitherOf<EnsureRoot<AccountId>, origins::ModelAdmin>;
/// Root or a protocol-admin referendum: race parameters and worker administration.
pub type ProtocolAdmin = EitherOf<EnsureRoot<AccountId>, origins::ProtocolAdmin>;
/// Root or a slashing-admin referendum: violation reports and staking administration.
pub type SlashingAdmin = EitherOf<EnsureRoot<AccountId>, origins::SlashingAdmin>;
/// Root or a parameter-admin referendum: governance-set parameters.
pub type ParameterAdmin = EitherOf<EnsureRoot<AccountId>, origins::ParameterAdmin>;
/// Freezes a batch (a bondless dispute): root or a slashing-admin referendum, or the
/// Security Council at once.
pub type BatchEmergency = EitherOf<SlashingAdmin, CouncilTwoThirds>;
/// Whitelists a call for the whitelisted-caller track.
pub type WhitelistOrigin = EitherOf<EnsureRoot<AccountId>, CouncilTwoThirds>;
/// Cancels a referendum (deposits returned).
pub type ReferendumCanceller =
	EitherOf<EnsureRoot<AccountId>, EitherOf<origins::ReferendumCanceller, CouncilTwoThirds>>;
/// Kills a referendum (deposits slashed).
pub type ReferendumKiller = EitherOf<EnsureRoot<AccountId>, origins::ReferendumKiller>;

parameter_types! {
	/// The Parameter Committee's own account: it holds the submission deposit of the
	/// parameter referenda the committee submits by motion (a motion has no signer).
	pub ParameterCommitteeAccount: AccountId = PalletId(*b"ail2/pcm").into_account_truncating();
}

/// Who may submit a referendum, given the origin it asks for: any signed account on every
/// track but the parameter track, where only a Parameter Committee motion may (its
/// deposit is paid from [`ParameterCommitteeAccount`]).
pub struct SubmitOrigin;
impl EnsureOriginWithArg<RuntimeOrigin, OriginCaller> for SubmitOrigin {
	type Success = AccountId;

	fn try_origin(
		o: RuntimeOrigin,
		track_origin: &OriginCaller,
	) -> Result<AccountId, RuntimeOrigin> {
		match track_origin {
			OriginCaller::Origins(origins::Origin::ParameterAdmin) => {
				<ParameterCommitteeMajority as EnsureOrigin<RuntimeOrigin>>::try_origin(o)
					.map(|()| ParameterCommitteeAccount::get())
			},
			_ => {
				<frame_system::EnsureSigned<AccountId> as EnsureOrigin<RuntimeOrigin>>::try_origin(
					o,
				)
			},
		}
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn try_successful_origin(track_origin: &OriginCaller) -> Result<RuntimeOrigin, ()> {
		match track_origin {
			OriginCaller::Origins(origins::Origin::ParameterAdmin) =>
				<ParameterCommitteeMajority as EnsureOrigin<RuntimeOrigin>>::try_successful_origin(),
			_ => <frame_system::EnsureSigned<AccountId> as EnsureOrigin<RuntimeOrigin>>::try_successful_origin(),
		}
	}
}
