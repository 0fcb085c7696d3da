//! The custom origins of AIL2's referendum tracks.
//!
//! A referendum that passes on a track dispatches its call with that track's origin. Each
//! origin below is one power of whitepaper §9 that AIL2's pallets accept instead of root:
//! `models.ApproveOrigin` takes [`Origin::ModelAdmin`], `race.ParamsOrigin` and
//! `workers.AdminOrigin` [`Origin::ProtocolAdmin`], `slashing.ReportOrigin` and
//! `staking.AdminOrigin` [`Origin::SlashingAdmin`], `race.ParamsOrigin` also
//! [`Origin::ParameterAdmin`], the treasury the three spender origins (each up to its cap). The origins exist only
//! inside the runtime: no account can sign as one, only a referendum enacts with one.

pub use pallet_custom_origins::*;

#[frame_support::pallet]
pub mod pallet_custom_origins {
	use crate::{currency::UNITS, Balance};
	use frame_support::pallet_prelude::*;

	#[pallet::config]
	pub trait Config: frame_system::Config {}

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// The powers a referendum can be given, one per track (root aside).
	#[derive(
		PartialEq, Eq, Clone, MaxEncodedLen, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug,
	)]
	#[pallet::origin]
	pub enum Origin {
		/// Dispatches calls the Security Council whitelisted (`whitelist.dispatch_whitelisted_call`).
		WhitelistedCaller,
		/// Sets governance parameters (today the race's, `race.set_params`). Only the
		/// Parameter Committee submits on its track; the community approves (§9.2.3).
		ParameterAdmin,
		/// Approves or rejects models and model versions.
		ModelAdmin,
		/// Sets race parameters and administers workers.
		ProtocolAdmin,
		/// Files violation reports and administers staking (e.g. cancels a deferred slash).
		SlashingAdmin,
		/// Cancels a referendum (its deposits are returned).
		ReferendumCanceller,
		/// Kills a referendum (its deposits are slashed).
		ReferendumKiller,
		/// Spends up to [`SMALL_SPEND`] from the treasury per call.
		SmallSpender,
		/// Spends up to [`MEDIUM_SPEND`] from the treasury per call.
		MediumSpender,
		/// Spends up to [`BIG_SPEND`] from the treasury per call.
		BigSpender,
	}

	/// Cap of one spend on the small spender track.
	pub const SMALL_SPEND: Balance = 10_000 * UNITS;
	/// Cap of one spend on the medium spender track.
	pub const MEDIUM_SPEND: Balance = 100_000 * UNITS;
	/// Cap of one spend on the big spender track.
	pub const BIG_SPEND: Balance = 1_000_000 * UNITS;

	/// Declares, for each named origin, a type implementing `EnsureOrigin` that accepts
	/// exactly that origin.
	macro_rules! ensure_unit_origins {
		($($name:ident),* $(,)?) => { $(
			#[doc = concat!("Accepts exactly [`Origin::", stringify!($name), "`].")]
			pub struct $name;
			impl<O: OriginTrait + From<Origin>> EnsureOrigin<O> for $name
			where
				for<'a> &'a O::PalletsOrigin: TryInto<&'a Origin>,
			{
				type Success = ();
				fn try_origin(o: O) -> Result<Self::Success, O> {
					let accepted = matches!(o.caller().try_into(), Ok(Origin::$name));
					if accepted {
						Ok(())
					} else {
						Err(o)
					}
				}
				#[cfg(feature = "runtime-benchmarks")]
				fn try_successful_origin() -> Result<O, ()> {
					Ok(O::from(Origin::$name))
				}
			}
		)* };
	}
	ensure_unit_origins!(
		WhitelistedCaller,
		ParameterAdmin,
		ModelAdmin,
		ProtocolAdmin,
		SlashingAdmin,
		ReferendumCanceller,
		ReferendumKiller,
	);

	/// Accepts any of the three spender origins; its success is the most that origin may
	/// spend in one `treasury.spend`.
	pub struct Spender;
	impl<O: OriginTrait + From<Origin>> EnsureOrigin<O> for Spender
	where
		for<'a> &'a O::PalletsOrigin: TryInto<&'a Origin>,
	{
		type Success = Balance;
		fn try_origin(o: O) -> Result<Self::Success, O> {
			let cap = match o.caller().try_into() {
				Ok(Origin::SmallSpender) => Some(SMALL_SPEND),
				Ok(Origin::MediumSpender) => Some(MEDIUM_SPEND),
				Ok(Origin::BigSpender) => Some(BIG_SPEND),
				_ => None,
			};
			cap.ok_or(o)
		}
		#[cfg(feature = "runtime-benchmarks")]
		fn try_successful_origin() -> Result<O, ()> {
			Ok(O::from(Origin::BigSpender))
		}
	}
}
