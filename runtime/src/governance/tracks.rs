//! The referendum tracks: one per power of whitepaper §9, each with its deposit, periods and
//! approval/support curves. `docs/governance.md` gives the table and the reasons for each
//! number; the runtime tests in `runtime/tests/integration/governance.rs` pass and fail a referendum on
//! every track.
//!
//! Periods are in blocks. Production values are days and hours; `fast-runtime` shortens
//! every period to a few blocks so that tests and the dev chain enact within a minute. The
//! curves are functions of the fraction of the decision period elapsed, so they keep their
//! shape under `fast-runtime`.

use super::origins::Origin;
use crate::{
	currency::UNITS,
	time::{DAYS, HOURS, MINUTES},
	Balance, BlockNumber, OriginCaller, RuntimeOrigin,
};
use alloc::borrow::Cow;
use pallet_referenda::{Curve, Track, TrackInfo};
use sp_runtime::{str_array as name, FixedI64};

/// A track id. Ids are grouped like pallet indices and never reused: 0-9 general powers,
/// 10-19 referendum control, 20-29 treasury spends.
pub type TrackId = u16;

/// Track ids, by power.
pub mod id {
	use super::TrackId;
	pub const ROOT: TrackId = 0;
	pub const WHITELISTED_CALLER: TrackId = 1;
	pub const PARAMETER_ADMIN: TrackId = 2;
	pub const MODEL_ADMIN: TrackId = 3;
	pub const PROTOCOL_ADMIN: TrackId = 4;
	pub const SLASHING_ADMIN: TrackId = 5;
	pub const REFERENDUM_CANCELLER: TrackId = 10;
	pub const REFERENDUM_KILLER: TrackId = 11;
	pub const SMALL_SPENDER: TrackId = 20;
	pub const MEDIUM_SPENDER: TrackId = 21;
	pub const BIG_SPENDER: TrackId = 22;
}

/// `production` normally, `fast` under the `fast-runtime` feature.
const fn blocks(production: BlockNumber, fast: BlockNumber) -> BlockNumber {
	if cfg!(feature = "fast-runtime") {
		fast
	} else {
		production
	}
}

/// Decision periods of the fast runtime: long enough for a test to vote, short enough to
/// time a referendum out within a minute.
const FAST_DECISION: BlockNumber = 20;
/// A referendum must stay above its curves this many blocks in the fast runtime.
const FAST_CONFIRM: BlockNumber = 2;

const fn percent(x: u128) -> FixedI64 {
	FixedI64::from_rational(x, 100)
}
const fn permille(x: u128) -> FixedI64 {
	FixedI64::from_rational(x, 1_000)
}

// Approval curves (share of conviction-weighted votes that are aye), from 100 % at the
// start of the decision period down to a simple majority at its end. A power that can
// change anything (root, parameters, protocol) follows the reciprocal curve (80 % a
// quarter in, 67 % halfway); admin and spend powers fall linearly over a week or a
// fortnight. (`make_reciprocal`'s flattest curve is 1/(1+x): the "80 % after 4 of 14
// days" asked for below comes out as 78 %.)
const APPROVAL_STRICT: Curve =
	Curve::make_reciprocal(4, 14, percent(80), percent(50), percent(100));
const APPROVAL_WEEK: Curve = Curve::make_linear(7, 7, percent(50), percent(100));
const APPROVAL_FORTNIGHT: Curve = Curve::make_linear(14, 14, percent(50), percent(100));

// Support curves (share of the active issuance that voted aye, conviction aside). Each
// falls from a ceiling to a floor it keeps to the end of the decision period, so no
// referendum passes on a handful of votes however long it waits. Root starts at half the
// issuance and falls linearly; the others fall fast from a small ceiling, so a routine
// decision does not wait for a turnout AIL2 rarely sees, while parameter and protocol
// changes (which race parameters reach by either track) need the same, larger turnout.
const SUPPORT_ROOT: Curve = Curve::make_linear(14, 14, percent(1), percent(50));
// Whitelisted calls were vetted by the Security Council: little support needed, fast.
const SUPPORT_WHITELISTED: Curve =
	Curve::make_reciprocal(1, 14, percent(1), permille(5), percent(2));
const SUPPORT_PARAMETER: Curve =
	Curve::make_reciprocal(7, 14, percent(10), percent(1), percent(50));
const SUPPORT_ADMIN: Curve = Curve::make_reciprocal(3, 7, percent(1), permille(5), percent(10));
const SUPPORT_SMALL_SPEND: Curve =
	Curve::make_reciprocal(3, 7, percent(1), permille(5), percent(5));
const SUPPORT_MEDIUM_SPEND: Curve =
	Curve::make_reciprocal(7, 14, percent(1), permille(5), percent(10));
const SUPPORT_BIG_SPEND: Curve =
	Curve::make_reciprocal(10, 14, percent(1), permille(5), percent(20));

/// Every track, sorted by id (`TracksInfo::check_integrity` checks it).
static TRACKS: [Track<TrackId, Balance, BlockNumber>; 11] = [
	Track {
		id: id::ROOT,
		info: TrackInfo {
			name: name("root"),
			max_deciding: 1,
			decision_deposit: 100_000 * UNITS,
			prepare_period: blocks(2 * HOURS, 1),
			decision_period: blocks(14 * DAYS, FAST_DECISION),
			confirm_period: blocks(DAYS, FAST_CONFIRM),
			min_enactment_period: blocks(DAYS, 1),
			min_approval: APPROVAL_STRICT,
			min_support: SUPPORT_ROOT,
		},
	},
	Track {
		id: id::WHITELISTED_CALLER,
		info: TrackInfo {
			name: name("whitelisted_caller"),
			max_deciding: 50,
			decision_deposit: 10_000 * UNITS,
			prepare_period: blocks(30 * MINUTES, 1),
			decision_period: blocks(14 * DAYS, FAST_DECISION),
			confirm_period: blocks(10 * MINUTES, FAST_CONFIRM),
			min_enactment_period: blocks(10 * MINUTES, 1),
			min_approval: APPROVAL_STRICT,
			min_support: SUPPORT_WHITELISTED,
		},
	},
	Track {
		id: id::PARAMETER_ADMIN,
		info: TrackInfo {
			name: name("parameter_admin"),
			max_deciding: 10,
			decision_deposit: 10_000 * UNITS,
			prepare_period: blocks(2 * HOURS, 1),
			decision_period: blocks(14 * DAYS, FAST_DECISION),
			confirm_period: blocks(DAYS, FAST_CONFIRM),
			min_enactment_period: blocks(DAYS, 1),
			min_approval: APPROVAL_STRICT,
			min_support: SUPPORT_PARAMETER,
		},
	},
	Track {
		id: id::MODEL_ADMIN,
		info: TrackInfo {
			name: name("model_admin"),
			max_deciding: 20,
			decision_deposit: 1_000 * UNITS,
			prepare_period: blocks(HOURS, 1),
			decision_period: blocks(7 * DAYS, FAST_DECISION),
			confirm_period: blocks(3 * HOURS, FAST_CONFIRM),
			min_enactment_period: blocks(10 * MINUTES, 1),
			min_approval: APPROVAL_WEEK,
			min_support: SUPPORT_ADMIN,
		},
	},
	Track {
		id: id::PROTOCOL_ADMIN,
		info: TrackInfo {
			name: name("protocol_admin"),
			max_deciding: 10,
			decision_deposit: 10_000 * UNITS,
			prepare_period: blocks(2 * HOURS, 1),
			decision_period: blocks(14 * DAYS, FAST_DECISION),
			confirm_period: blocks(DAYS, FAST_CONFIRM),
			min_enactment_period: blocks(DAYS, 1),
			min_approval: APPROVAL_STRICT,
			min_support: SUPPORT_PARAMETER,
		},
	},
	Track {
		id: id::SLASHING_ADMIN,
		info: TrackInfo {
			name: name("slashing_admin"),
			max_deciding: 10,
			decision_deposit: 5_000 * UNITS,
			prepare_period: blocks(HOURS, 1),
			decision_period: blocks(7 * DAYS, FAST_DECISION),
			confirm_period: blocks(3 * HOURS, FAST_CONFIRM),
			min_enactment_period: blocks(10 * MINUTES, 1),
			min_approval: APPROVAL_WEEK,
			min_support: SUPPORT_ADMIN,
		},
	},
	Track {
		id: id::REFERENDUM_CANCELLER,
		info: TrackInfo {
			name: name("referendum_canceller"),
			max_deciding: 100,
			decision_deposit: 10_000 * UNITS,
			prepare_period: blocks(HOURS, 1),
			decision_period: blocks(7 * DAYS, FAST_DECISION),
			confirm_period: blocks(3 * HOURS, FAST_CONFIRM),
			min_enactment_period: blocks(10 * MINUTES, 1),
			min_approval: APPROVAL_WEEK,
			min_support: SUPPORT_ADMIN,
		},
	},
	Track {
		id: id::REFERENDUM_KILLER,
		info: TrackInfo {
			name: name("referendum_killer"),
			max_deciding: 100,
			decision_deposit: 50_000 * UNITS,
			prepare_period: blocks(HOURS, 1),
			decision_period: blocks(14 * DAYS, FAST_DECISION),
			confirm_period: blocks(3 * HOURS, FAST_CONFIRM),
			min_enactment_period: blocks(10 * MINUTES, 1),
			min_approval: APPROVAL_FORTNIGHT,
			min_support: SUPPORT_ADMIN,
		},
	},
	Track {
		id: id::SMALL_SPENDER,
		info: TrackInfo {
			name: name("small_spender"),
			max_deciding: 50,
			decision_deposit: 1_000 * UNITS,
			prepare_period: blocks(4 * HOURS, 1),
			decision_period: blocks(7 * DAYS, FAST_DECISION),
			confirm_period: blocks(12 * HOURS, FAST_CONFIRM),
			min_enactment_period: blocks(DAYS, 1),
			min_approval: APPROVAL_WEEK,
			min_support: SUPPORT_SMALL_SPEND,
		},
	},
	Track {
		id: id::MEDIUM_SPENDER,
		info: TrackInfo {
			name: name("medium_spender"),
			max_deciding: 25,
			decision_deposit: 5_000 * UNITS,
			prepare_period: blocks(4 * HOURS, 1),
			decision_period: blocks(14 * DAYS, FAST_DECISION),
			confirm_period: blocks(DAYS, FAST_CONFIRM),
			min_enactment_period: blocks(DAYS, 1),
			min_approval: APPROVAL_FORTNIGHT,
			min_support: SUPPORT_MEDIUM_SPEND,
		},
	},
	Track {
		id: id::BIG_SPENDER,
		info: TrackInfo {
			name: name("big_spender"),
			max_deciding: 10,
			decision_deposit: 20_000 * UNITS,
			prepare_period: blocks(4 * HOURS, 1),
			decision_period: blocks(14 * DAYS, FAST_DECISION),
			confirm_period: blocks(2 * DAYS, FAST_CONFIRM),
			min_enactment_period: blocks(DAYS, 1),
			min_approval: APPROVAL_FORTNIGHT,
			min_support: SUPPORT_BIG_SPEND,
		},
	},
];

/// AIL2's tracks for pallet-referenda.
pub struct TracksInfo;
impl pallet_referenda::TracksInfo<Balance, BlockNumber> for TracksInfo {
	type Id = TrackId;
	type RuntimeOrigin = <RuntimeOrigin as frame_support::traits::OriginTrait>::PalletsOrigin;

	fn tracks() -> impl Iterator<Item = Cow<'static, Track<Self::Id, Balance, BlockNumber>>> {
		TRACKS.iter().map(Cow::Borrowed)
	}

	fn track_for(origin: &Self::RuntimeOrigin) -> Result<Self::Id, ()> {
		match origin {
			OriginCaller::system(frame_system::RawOrigin::Root) => Ok(id::ROOT),
			OriginCaller::Origins(origin) => Ok(match origin {
				Origin::WhitelistedCaller => id::WHITELISTED_CALLER,
				Origin::ParameterAdmin => id::PARAMETER_ADMIN,
				Origin::ModelAdmin => id::MODEL_ADMIN,
				Origin::ProtocolAdmin => id::PROTOCOL_ADMIN,
				Origin::SlashingAdmin => id::SLASHING_ADMIN,
				Origin::ReferendumCanceller => id::REFERENDUM_CANCELLER,
				Origin::ReferendumKiller => id::REFERENDUM_KILLER,
				Origin::SmallSpender => id::SMALL_SPENDER,
				Origin::MediumSpender => id::MEDIUM_SPENDER,
				Origin::BigSpender => id::BIG_SPENDER,
			}),
			_ => Err(()),
		}
	}
}
