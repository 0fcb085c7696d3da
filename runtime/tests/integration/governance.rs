//! Governance through the real pallets: a referendum on every track passes and is enacted
//! by the scheduler above its approval and support curves and fails below them; only the
//! Parameter Committee submits on the parameter track; a whitelisted call enacts only after
//! the Security Council whitelisted it; the council's emergency powers need two thirds; a
//! spend above its track's cap is refused; bad input fails with a named error and changes
//! nothing; an upgrade must raise `spec_version`.
//!
//! Blocks advance by the scheduler's `on_initialize` (it runs referenda alarms and
//! enactments); the tracks' `fast-runtime` periods are a few blocks.

use crate::common::*;
use ail2_runtime::{
	currency::UNITS,
	governance::{
		origins::{Origin as Track, BIG_SPEND, MEDIUM_SPEND, SMALL_SPEND},
		tracks::{id, TrackId},
		ParameterCommitteeAccount,
	},
	AccountId, Balance, Balances, BlockNumber, ConvictionVoting, Council, Models, OriginCaller,
	Preimage, Receipts, Referenda, Runtime, RuntimeCall, RuntimeEvent, RuntimeOrigin, Scheduler,
	Slashing, System, Treasury, Whitelist, Workers,
};
use codec::Encode;
use frame_support::{
	assert_noop, assert_ok,
	traits::{fungible::Mutate, Hooks, StorePreimage},
	weights::Weight,
	BoundedVec,
};
use pallet_conviction_voting::{AccountVote, Conviction, Vote};
use pallet_models::ModelStatus;
use pallet_referenda::{ReferendumIndex, ReferendumInfo, TracksInfo};
use sp_keyring::Sr25519Keyring::{self, *};
use sp_runtime::{traits::Hash as _, DispatchError, Perbill};

type Tracks = <Runtime as pallet_referenda::Config>::Tracks;

fn account(k: Sr25519Keyring) -> AccountId {
	k.to_account_id()
}

/// Runs the scheduler through block `n`.
fn run_to(n: BlockNumber) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Scheduler::on_initialize(next);
	}
}

fn run_for(blocks: BlockNumber) {
	run_to(System::block_number() + blocks);
}

fn track_info(track: TrackId) -> pallet_referenda::TrackInfo<Balance, BlockNumber> {
	Tracks::info(track).unwrap().into_owned()
}

/// Submits `call` for `origin` as `who`, with the preimage noted by the submitter.
fn submit_as(who: RuntimeOrigin, origin: OriginCaller, call: RuntimeCall) -> ReferendumIndex {
	let index = pallet_referenda::ReferendumCount::<Runtime>::get();
	let proposal = <Preimage as StorePreimage>::bound(call).unwrap();
	assert_ok!(Referenda::submit(
		who,
		Box::new(origin),
		proposal,
		frame_support::traits::schedule::DispatchTime::After(0),
	));
	index
}

/// Submits as Alice and places the decision deposit.
fn submit(origin: OriginCaller, call: RuntimeCall) -> ReferendumIndex {
	let index = submit_as(signed(account(Alice)), origin, call);
	assert_ok!(Referenda::place_decision_deposit(signed(account(Alice)), index));
	index
}

fn vote(voter: Sr25519Keyring, index: ReferendumIndex, aye: bool, balance: Balance) {
	assert_ok!(ConvictionVoting::vote(
		signed(account(voter)),
		index,
		AccountVote::Standard { vote: Vote { aye, conviction: Conviction::Locked1x }, balance },
	));
}

/// Enough aye stake to clear every support curve from the first block: half the issuance.
fn landslide(index: ReferendumIndex) {
	for voter in [Alice, Bob, Charlie, Dave, Eve, Ferdie] {
		vote(voter, index, true, 9_000_000 * UNITS);
	}
}

/// Runs until the referendum is no longer ongoing (or the decision period and a margin are
/// over) and returns whether it was approved, plus how many blocks that took.
fn decide(index: ReferendumIndex, track: TrackId) -> (ReferendumInfoOf, BlockNumber) {
	let info = track_info(track);
	let start = System::block_number();
	let deadline = start + info.prepare_period + info.decision_period + info.confirm_period + 5;
	while System::block_number() < deadline {
		run_for(1);
		let status = pallet_referenda::ReferendumInfoFor::<Runtime>::get(index).unwrap();
		if !matches!(status, ReferendumInfo::Ongoing(_)) {
			return (status, System::block_number() - start);
		}
	}
	(pallet_referenda::ReferendumInfoFor::<Runtime>::get(index).unwrap(), deadline - start)
}

type ReferendumInfoOf = pallet_referenda::ReferendumInfoOf<Runtime, ()>;

/// Runs past the enactment delay of a referendum approved just now.
fn enact(track: TrackId) {
	run_for(track_info(track).min_enactment_period + 1);
}

fn last_dispatch_error() -> Option<DispatchError> {
	System::events().iter().rev().find_map(|r| match &r.event {
		RuntimeEvent::Scheduler(pallet_scheduler::Event::Dispatched { result: Err(e), .. }) => {
			Some(*e)
		},
		_ => None,
	})
}

/// One track's power, exercised: the call its origin may dispatch, and whether its effect
/// is visible.
struct Power {
	track: TrackId,
	origin: OriginCaller,
	call: fn() -> RuntimeCall,
	done: fn() -> bool,
}

fn new_model() {
	assert_ok!(Models::register_model(
		signed(developer()),
		BoundedVec::truncate_from(b"tiny-llama".to_vec()),
		VERSION,
		metadata(),
	));
}

fn model_approved() -> bool {
	pallet_models::Models::<Runtime>::get(0).map(|m| m.status) == Some(ModelStatus::Approved)
}

fn new_race_params() -> pallet_race::RaceParams {
	pallet_race::RaceParams { sample_size: 7, ..pallet_race::Params::<Runtime>::get() }
}

/// A referendum submitted at setup, for the canceller and killer tracks to end.
const VICTIM: ReferendumIndex = 0;

fn powers() -> Vec<Power> {
	vec![
		Power {
			track: id::ROOT,
			origin: frame_system::RawOrigin::Root.into(),
			call: || {
				RuntimeCall::Balances(pallet_balances::Call::force_set_balance {
					who: account(Eve).into(),
					new_free: 42 * UNITS,
				})
			},
			done: || free(&account(Eve)) == 42 * UNITS,
		},
		Power {
			track: id::PARAMETER_ADMIN,
			origin: Track::ParameterAdmin.into(),
			call: || RuntimeCall::Race(pallet_race::Call::set_params { params: new_race_params() }),
			done: || pallet_race::Params::<Runtime>::get().sample_size == 7,
		},
		Power {
			track: id::MODEL_ADMIN,
			origin: Track::ModelAdmin.into(),
			call: || RuntimeCall::Models(pallet_models::Call::approve_model { model: 0 }),
			done: model_approved,
		},
		Power {
			track: id::PROTOCOL_ADMIN,
			origin: Track::ProtocolAdmin.into(),
			call: || RuntimeCall::Race(pallet_race::Call::set_params { params: new_race_params() }),
			done: || pallet_race::Params::<Runtime>::get().sample_size == 7,
		},
		Power {
			track: id::SLASHING_ADMIN,
			origin: Track::SlashingAdmin.into(),
			call: || {
				RuntimeCall::Staking(pallet_staking::Call::set_min_commission {
					new: Perbill::from_percent(5),
				})
			},
			done: || pallet_staking::MinCommission::<Runtime>::get() == Perbill::from_percent(5),
		},
		Power {
			track: id::REFERENDUM_CANCELLER,
			origin: Track::ReferendumCanceller.into(),
			call: || RuntimeCall::Referenda(pallet_referenda::Call::cancel { index: VICTIM }),
			done: || {
				matches!(
					pallet_referenda::ReferendumInfoFor::<Runtime>::get(VICTIM),
					Some(ReferendumInfo::Cancelled(..))
				)
			},
		},
		Power {
			track: id::REFERENDUM_KILLER,
			origin: Track::ReferendumKiller.into(),
			call: || RuntimeCall::Referenda(pallet_referenda::Call::kill { index: VICTIM }),
			done: || {
				matches!(
					pallet_referenda::ReferendumInfoFor::<Runtime>::get(VICTIM),
					Some(ReferendumInfo::Killed(..))
				)
			},
		},
		Power {
			track: id::SMALL_SPENDER,
			origin: Track::SmallSpender.into(),
			call: || spend(SMALL_SPEND),
			done: spend_approved,
		},
		Power {
			track: id::MEDIUM_SPENDER,
			origin: Track::MediumSpender.into(),
			call: || spend(MEDIUM_SPEND),
			done: spend_approved,
		},
		Power {
			track: id::BIG_SPENDER,
			origin: Track::BigSpender.into(),
			call: || spend(BIG_SPEND),
			done: spend_approved,
		},
	]
}

fn spend(amount: Balance) -> RuntimeCall {
	RuntimeCall::Treasury(pallet_treasury::Call::spend {
		asset_kind: Box::new(()),
		amount,
		beneficiary: Box::new(account(Eve)),
		valid_from: None,
	})
}

fn spend_approved() -> bool {
	pallet_treasury::Spends::<Runtime>::get(0).is_some()
}

/// The dev genesis with a proposed model (for the model track), a funded treasury (for the
/// spender tracks) and one ongoing referendum (for the canceller and killer tracks).
fn governance_ext() -> sp_io::TestExternalities {
	let mut ext = dev_ext();
	ext.execute_with(|| {
		new_model();
		let treasury = Treasury::account_id();
		assert_ok!(Balances::mint_into(&treasury, 2 * BIG_SPEND));
		let victim = submit_as(
			signed(account(Ferdie)),
			frame_system::RawOrigin::Root.into(),
			RuntimeCall::System(frame_system::Call::remark { remark: b"victim".to_vec() }),
		);
		assert_eq!(victim, VICTIM);
	});
	ext
}

#[test]
fn every_track_is_known_sorted_and_maps_its_origin() {
	assert_ok!(Tracks::check_integrity());
	for power in powers() {
		assert_eq!(Tracks::track_for(&power.origin), Ok(power.track));
	}
	assert_eq!(Tracks::track_for(&Track::WhitelistedCaller.into()), Ok(id::WHITELISTED_CALLER));
	// A signed origin has no track: nobody can put "as Alice" to referendum.
	let signed_origin: OriginCaller = frame_system::RawOrigin::Signed(account(Alice)).into();
	assert_eq!(Tracks::track_for(&signed_origin), Err(()));
}

#[test]
fn each_track_enacts_its_power_above_its_curves() {
	for power in powers() {
		governance_ext().execute_with(|| {
			let index = if power.track == id::PARAMETER_ADMIN {
				committee_submits((power.call)())
			} else {
				submit(power.origin.clone(), (power.call)())
			};
			landslide(index);
			let (status, blocks) = decide(index, power.track);
			assert!(
				matches!(status, ReferendumInfo::Approved(..)),
				"track {}: {status:?}",
				power.track
			);
			assert!(!(power.done)(), "track {}: enacted before its enactment period", power.track);
			enact(power.track);
			assert!((power.done)(), "track {} was approved but not enacted", power.track);
			let info = track_info(power.track);
			// Approved after the prepare and confirm periods, not before.
			assert!(blocks >= info.prepare_period + info.confirm_period, "track {}", power.track);
			// Shown with `--nocapture`: the blocks from submission to enactment.
			println!(
				"track {:>2} ({}): approved after {blocks} blocks, enacted after {}",
				power.track,
				core::str::from_utf8(&info.name).unwrap_or("?").trim_end_matches('\0'),
				blocks + info.min_enactment_period + 1,
			);
			check_invariants();
		});
	}
}

#[test]
fn each_track_rejects_below_its_approval_curve() {
	for power in powers() {
		governance_ext().execute_with(|| {
			let index = if power.track == id::PARAMETER_ADMIN {
				committee_submits((power.call)())
			} else {
				submit(power.origin.clone(), (power.call)())
			};
			// Plenty of turnout, but more nay than aye.
			landslide(index);
			for voter in [Alice, Bob, Charlie, Dave] {
				vote(voter, index, false, 9_000_000 * UNITS);
			}
			let (status, _) = decide(index, power.track);
			assert!(
				matches!(status, ReferendumInfo::Rejected(..)),
				"track {}: {status:?}",
				power.track
			);
			enact(power.track);
			assert!(!(power.done)(), "track {}: a rejected referendum was enacted", power.track);
		});
	}
}

#[test]
fn each_track_rejects_below_its_support_curve() {
	// Every support curve keeps a floor above zero to the end of the decision period: a
	// unanimous vote of one unit of stake never passes.
	for power in powers() {
		governance_ext().execute_with(|| {
			let index = if power.track == id::PARAMETER_ADMIN {
				committee_submits((power.call)())
			} else {
				submit(power.origin.clone(), (power.call)())
			};
			vote(Alice, index, true, UNITS);
			let (status, _) = decide(index, power.track);
			assert!(
				matches!(status, ReferendumInfo::Rejected(..)),
				"track {}: {status:?}",
				power.track
			);
			enact(power.track);
			assert!(!(power.done)(), "track {}: enacted without support", power.track);
		});
	}
}

/// A Parameter Committee motion (2 of its 3 members) that submits `call` on the parameter
/// track, and the decision deposit placed by Alice.
fn committee_submits(call: RuntimeCall) -> ReferendumIndex {
	let index = pallet_referenda::ReferendumCount::<Runtime>::get();
	let submit = RuntimeCall::Referenda(pallet_referenda::Call::submit {
		proposal_origin: Box::new(Track::ParameterAdmin.into()),
		proposal: <Preimage as StorePreimage>::bound(call).unwrap(),
		enactment_moment: frame_support::traits::schedule::DispatchTime::After(0),
	});
	pass_motion::<ail2_runtime::governance::TechnicalCollective>([Dave, Eve], submit);
	assert_eq!(pallet_referenda::ReferendumCount::<Runtime>::get(), index + 1, "not submitted");
	assert_ok!(Referenda::place_decision_deposit(signed(account(Alice)), index));
	index
}

/// Proposes `call` in collective `I` with threshold `ayes.len()`, has every one of `ayes`
/// vote for it and closes it. Returns the motion's dispatch result.
fn pass_motion<I: 'static>(ayes: impl IntoIterator<Item = Sr25519Keyring>, call: RuntimeCall)
where
	Runtime: pallet_collective::Config<I, Proposal = RuntimeCall>,
{
	let ayes: Vec<_> = ayes.into_iter().collect();
	let threshold = ayes.len() as u32;
	let length = call.encoded_size() as u32;
	let hash = <Runtime as frame_system::Config>::Hashing::hash_of(&call);
	let index = pallet_collective::ProposalCount::<Runtime, I>::get();
	assert_ok!(pallet_collective::Pallet::<Runtime, I>::propose(
		signed(account(ayes[0])),
		threshold,
		Box::new(call),
		length,
	));
	for voter in &ayes {
		assert_ok!(pallet_collective::Pallet::<Runtime, I>::vote(
			signed(account(*voter)),
			hash,
			index,
			true
		));
	}
	assert_ok!(pallet_collective::Pallet::<Runtime, I>::close(
		signed(account(ayes[0])),
		hash,
		index,
		Weight::MAX,
		length,
	));
}

#[test]
fn only_a_parameter_committee_motion_submits_on_the_parameter_track() {
	governance_ext().execute_with(|| {
		let before = pallet_referenda::ReferendumCount::<Runtime>::get();
		let call =
			<Preimage as StorePreimage>::bound(RuntimeCall::Race(pallet_race::Call::set_params {
				params: new_race_params(),
			}))
			.unwrap();
		// Not a signed account, not even a committee member on their own…
		for who in [Alice, Dave] {
			assert_noop!(
				Referenda::submit(
					signed(account(who)),
					Box::new(Track::ParameterAdmin.into()),
					call.clone(),
					frame_support::traits::schedule::DispatchTime::After(0),
				),
				DispatchError::BadOrigin
			);
		}
		assert_eq!(pallet_referenda::ReferendumCount::<Runtime>::get(), before);
		// …but a majority motion of the committee, whose account pays the deposit.
		let funds = free(&ParameterCommitteeAccount::get());
		committee_submits(RuntimeCall::Race(pallet_race::Call::set_params {
			params: new_race_params(),
		}));
		assert!(free(&ParameterCommitteeAccount::get()) < funds);
	});
}

#[test]
fn a_parameter_referendum_outside_the_bounds_fails_with_a_named_error_and_changes_nothing() {
	governance_ext().execute_with(|| {
		let before = pallet_race::Params::<Runtime>::get();
		let period: BlockNumber = <Runtime as pallet_race::Config>::RacePeriod::get();
		let too_long = pallet_race::RaceParams { window: period, ..before };
		let index = committee_submits(RuntimeCall::Race(pallet_race::Call::set_params {
			params: too_long,
		}));
		landslide(index);
		let (info, _) = decide(index, id::PARAMETER_ADMIN);
		assert!(matches!(info, ReferendumInfo::Approved(..)), "{info:?}");
		enact(id::PARAMETER_ADMIN);
		// Approved and dispatched, and refused by the pallet with the bound it breaks.
		assert_eq!(
			last_dispatch_error(),
			Some(pallet_race::Error::<Runtime>::RaceLongerThanPeriod.into())
		);
		assert_eq!(pallet_race::Params::<Runtime>::get(), before);
	});
}

#[test]
fn the_parameter_admin_origin_sets_every_pallets_params_within_their_bounds() {
	governance_ext().execute_with(|| {
		let admin = || RuntimeOrigin::from(Track::ParameterAdmin);
		let stranger = || signed(account(Ferdie));

		let settlement = pallet_receipts::Params::<Runtime>::get();
		let mut longer = settlement;
		longer.challenge_window.base += 1;
		longer.withdrawal_delay += 1;
		let mut unbounded = settlement;
		unbounded.challenge_window.base =
			<Runtime as pallet_receipts::Config>::MaxChallengeWindow::get();
		assert_noop!(Receipts::set_params(stranger(), longer), DispatchError::BadOrigin);
		assert_noop!(
			Receipts::set_params(admin(), unbounded),
			pallet_receipts::Error::<Runtime>::ChallengeWindowTooLong
		);
		assert_ok!(Receipts::set_params(admin(), longer));
		assert_eq!(pallet_receipts::Params::<Runtime>::get(), longer);

		let slashing = pallet_slashing::Params::<Runtime>::get();
		let harsher =
			pallet_slashing::SlashingParams { base_rate: Perbill::from_percent(20), ..slashing };
		let greedy =
			pallet_slashing::SlashingParams { bounty_share: Perbill::from_percent(60), ..slashing };
		assert_noop!(Slashing::set_params(stranger(), harsher), DispatchError::BadOrigin);
		assert_noop!(
			Slashing::set_params(admin(), greedy),
			pallet_slashing::Error::<Runtime>::BountyShareTooHigh
		);
		assert_ok!(Slashing::set_params(admin(), harsher));
		assert_eq!(pallet_slashing::Params::<Runtime>::get(), harsher);

		let bounds = pallet_models::Params::<Runtime>::get();
		let fairer =
			pallet_models::RevenueSplitBounds { min_treasury: Perbill::from_percent(2), ..bounds };
		let impossible = pallet_models::RevenueSplitBounds {
			min_worker: Perbill::from_percent(90),
			min_treasury: Perbill::from_percent(20),
			..bounds
		};
		assert_noop!(Models::set_params(stranger(), fairer), DispatchError::BadOrigin);
		assert_noop!(
			Models::set_params(admin(), impossible),
			pallet_models::Error::<Runtime>::UnsatisfiableSplitBounds
		);
		assert_ok!(Models::set_params(admin(), fairer));
		assert_eq!(pallet_models::Params::<Runtime>::get(), fairer);
	});
}

#[test]
fn a_whitelisted_call_enacts_only_after_the_council_whitelisted_it() {
	governance_ext().execute_with(|| {
		let call = RuntimeCall::Balances(pallet_balances::Call::force_set_balance {
			who: account(Eve).into(),
			new_free: 42 * UNITS,
		});
		let hash = <Runtime as frame_system::Config>::Hashing::hash_of(&call);
		let dispatch = || {
			RuntimeCall::Whitelist(
				pallet_whitelist::Call::dispatch_whitelisted_call_with_preimage {
					call: Box::new(call.clone()),
				},
			)
		};
		let relay = || {
			Whitelist::dispatch_whitelisted_call_with_preimage(
				signed(account(Ferdie)),
				Box::new(call.clone()),
			)
		};
		// Nobody can relay a call no referendum passed.
		assert_noop!(relay(), pallet_whitelist::Error::<Runtime>::DeferredDispatchNotFound);

		// Passed on the whitelisted-caller track before the council whitelisted it: the
		// dispatch is deferred, not executed.
		let index = submit(Track::WhitelistedCaller.into(), dispatch());
		landslide(index);
		let (status, blocks) = decide(index, id::WHITELISTED_CALLER);
		assert!(matches!(status, ReferendumInfo::Approved(..)));
		assert!(blocks <= track_info(id::WHITELISTED_CALLER).decision_period);
		enact(id::WHITELISTED_CALLER);
		assert!(System::events().iter().any(|r| r.event
			== RuntimeEvent::Whitelist(pallet_whitelist::Event::DispatchDeferred {
				call_hash: hash
			})));
		assert_ne!(free(&account(Eve)), 42 * UNITS);
		assert_noop!(relay(), pallet_whitelist::Error::<Runtime>::CallIsNotWhitelisted);

		// One council member cannot whitelist; two of three can, and then anyone relays it.
		assert_noop!(
			Whitelist::whitelist_call(signed(account(Alice)), hash),
			DispatchError::BadOrigin
		);
		pass_motion::<ail2_runtime::governance::CouncilCollective>(
			[Alice, Bob],
			RuntimeCall::Whitelist(pallet_whitelist::Call::whitelist_call { call_hash: hash }),
		);
		assert!(pallet_whitelist::WhitelistedCall::<Runtime>::contains_key(hash));
		assert_ok!(relay());
		assert_eq!(free(&account(Eve)), 42 * UNITS);
	});
}

#[test]
fn the_security_council_suspends_a_worker_with_two_thirds_and_not_with_one() {
	governance_ext().execute_with(|| {
		register_worker(owner(), hot(), &receipt_key(), capabilities(), ENDPOINT, STAKE);
		let suspend = RuntimeCall::Workers(pallet_workers::Call::set_status {
			worker: hot(),
			status: pallet_workers::WorkerStatus::Suspended,
		});
		let status = || pallet_workers::Workers::<Runtime>::get(hot()).map(|w| w.status);
		// A single member's motion executes at once with its 1-of-3 origin: refused.
		assert_ok!(Council::propose(
			signed(account(Alice)),
			1,
			Box::new(suspend.clone()),
			suspend.encoded_size() as u32
		));
		assert_eq!(status(), Some(pallet_workers::WorkerStatus::Active));
		assert_noop!(
			Workers::set_status(
				signed(account(Alice)),
				hot(),
				pallet_workers::WorkerStatus::Suspended
			),
			DispatchError::BadOrigin
		);
		// Two of three: suspended, without a referendum.
		pass_motion::<ail2_runtime::governance::CouncilCollective>([Alice, Bob], suspend);
		assert_eq!(status(), Some(pallet_workers::WorkerStatus::Suspended));
		// Lifting the suspension is not an emergency power.
		pass_motion::<ail2_runtime::governance::CouncilCollective>(
			[Alice, Bob, Charlie],
			RuntimeCall::Workers(pallet_workers::Call::set_status {
				worker: hot(),
				status: pallet_workers::WorkerStatus::Active,
			}),
		);
		assert_eq!(status(), Some(pallet_workers::WorkerStatus::Suspended));
		check_invariants();
	});
}

#[test]
fn the_security_council_cancels_a_referendum_with_two_thirds() {
	governance_ext().execute_with(|| {
		pass_motion::<ail2_runtime::governance::CouncilCollective>(
			[Alice, Bob],
			RuntimeCall::Referenda(pallet_referenda::Call::cancel { index: VICTIM }),
		);
		assert!(matches!(
			pallet_referenda::ReferendumInfoFor::<Runtime>::get(VICTIM),
			Some(ReferendumInfo::Cancelled(..))
		));
		// Killing (deposits slashed) is not among its powers.
		let index = submit(
			frame_system::RawOrigin::Root.into(),
			RuntimeCall::System(frame_system::Call::remark { remark: b"second".to_vec() }),
		);
		pass_motion::<ail2_runtime::governance::CouncilCollective>(
			[Alice, Bob, Charlie],
			RuntimeCall::Referenda(pallet_referenda::Call::kill { index }),
		);
		assert!(matches!(
			pallet_referenda::ReferendumInfoFor::<Runtime>::get(index),
			Some(ReferendumInfo::Ongoing(..))
		));
	});
}

#[test]
fn a_spend_above_its_tracks_cap_is_refused() {
	governance_ext().execute_with(|| {
		let treasury = free(&Treasury::account_id());
		let index = submit(Track::SmallSpender.into(), spend(SMALL_SPEND + 1));
		landslide(index);
		let (status, _) = decide(index, id::SMALL_SPENDER);
		assert!(matches!(status, ReferendumInfo::Approved(..)));
		enact(id::SMALL_SPENDER);
		assert_eq!(
			last_dispatch_error(),
			Some(pallet_treasury::Error::<Runtime>::InsufficientPermission.into())
		);
		assert!(!spend_approved());
		assert_eq!(free(&Treasury::account_id()), treasury);
	});
}

#[test]
fn an_approved_spend_is_paid_out_from_the_treasury() {
	governance_ext().execute_with(|| {
		let index = submit(Track::SmallSpender.into(), spend(SMALL_SPEND));
		landslide(index);
		decide(index, id::SMALL_SPENDER);
		enact(id::SMALL_SPENDER);
		let (treasury, eve) = (free(&Treasury::account_id()), free(&account(Eve)));
		assert_ok!(Treasury::payout(signed(account(Eve)), 0));
		assert_eq!(free(&account(Eve)), eve + SMALL_SPEND);
		assert_eq!(free(&Treasury::account_id()), treasury - SMALL_SPEND);
		// Paid once.
		assert_noop!(
			Treasury::payout(signed(account(Eve)), 0),
			pallet_treasury::Error::<Runtime>::AlreadyAttempted
		);
	});
}

#[test]
fn a_referendum_without_a_decision_deposit_is_never_decided() {
	governance_ext().execute_with(|| {
		let index = submit_as(
			signed(account(Alice)),
			Track::ModelAdmin.into(),
			RuntimeCall::Models(pallet_models::Call::approve_model { model: 0 }),
		);
		landslide(index);
		assert_noop!(
			Referenda::refund_decision_deposit(signed(account(Alice)), index),
			pallet_referenda::Error::<Runtime>::NoDeposit
		);
		let timeout = <Runtime as pallet_referenda::Config>::UndecidingTimeout::get();
		run_for(timeout + 2);
		assert!(matches!(
			pallet_referenda::ReferendumInfoFor::<Runtime>::get(index),
			Some(ReferendumInfo::TimedOut(..))
		));
		assert!(!model_approved());
	});
}

#[test]
fn a_vote_above_the_free_balance_is_refused() {
	governance_ext().execute_with(|| {
		let index = submit(
			Track::ModelAdmin.into(),
			RuntimeCall::Models(pallet_models::Call::approve_model { model: 0 }),
		);
		let too_much =
			<Balances as frame_support::traits::fungible::Inspect<_>>::total_balance(&account(Eve))
				+ 1;
		assert_noop!(
			ConvictionVoting::vote(
				signed(account(Eve)),
				index,
				AccountVote::Standard {
					vote: Vote { aye: true, conviction: Conviction::Locked6x },
					balance: too_much,
				},
			),
			pallet_conviction_voting::Error::<Runtime>::InsufficientFunds
		);
	});
}

#[test]
fn a_duplicate_council_vote_and_a_vote_on_an_expired_motion_are_refused() {
	governance_ext().execute_with(|| {
		let call = RuntimeCall::Referenda(pallet_referenda::Call::cancel { index: VICTIM });
		let hash = <Runtime as frame_system::Config>::Hashing::hash_of(&call);
		let length = call.encoded_size() as u32;
		assert_ok!(Council::propose(signed(account(Alice)), 2, Box::new(call), length));
		assert_ok!(Council::vote(signed(account(Alice)), hash, 0, true));
		assert_noop!(
			Council::vote(signed(account(Alice)), hash, 0, true),
			pallet_collective::Error::<Runtime, ail2_runtime::governance::CouncilCollective>::DuplicateVote
		);
		// The motion expires: closing it with one aye of three disapproves it, after which a
		// vote finds no motion.
		let duration = <Runtime as pallet_collective::Config<
			ail2_runtime::governance::CouncilCollective,
		>>::MotionDuration::get();
		run_for(duration + 1);
		assert_ok!(Council::close(signed(account(Bob)), hash, 0, Weight::MAX, length));
		assert_noop!(
			Council::vote(signed(account(Bob)), hash, 0, true),
			pallet_collective::Error::<Runtime, ail2_runtime::governance::CouncilCollective>::ProposalMissing
		);
		assert!(matches!(
			pallet_referenda::ReferendumInfoFor::<Runtime>::get(VICTIM),
			Some(ReferendumInfo::Ongoing(..))
		));
	});
}

#[test]
fn council_and_committee_exist_from_genesis_and_the_testnet_presets_have_no_sudo() {
	dev_ext().execute_with(|| {
		assert_eq!(
			pallet_collective::Members::<Runtime, ail2_runtime::governance::CouncilCollective>::get()
				.len(),
			3
		);
		assert_eq!(
			pallet_collective::Members::<Runtime, ail2_runtime::governance::TechnicalCollective>::get()
				.len(),
			3
		);
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), Some(account(Alice)));
	});
	for preset in ["local_testnet", "testnet"] {
		preset_ext(preset).execute_with(|| {
			assert_eq!(pallet_sudo::Key::<Runtime>::get(), None, "{preset} has sudo");
			assert_eq!(
				pallet_collective::Members::<Runtime, ail2_runtime::governance::CouncilCollective>::get(),
				{
					let mut m = vec![account(Alice), account(Bob), account(Charlie)];
					m.sort();
					m
				}
			);
			assert_eq!(
				pallet_membership::Members::<Runtime, pallet_membership::Instance1>::get().len(),
				3
			);
		});
	}
}

fn preset_ext(name: &str) -> sp_io::TestExternalities {
	use sp_runtime::BuildStorage;
	let json = ail2_runtime::genesis_config_presets::get_preset(&name.into()).unwrap();
	let genesis: ail2_runtime::RuntimeGenesisConfig = serde_json::from_slice(&json).unwrap();
	let mut ext: sp_io::TestExternalities = genesis.build_storage().unwrap().into();
	ext.execute_with(|| System::set_block_number(1));
	ext
}

#[test]
fn fees_are_shared_between_the_treasury_and_the_author() {
	use frame_support::traits::{Imbalance, OnUnbalanced};
	dev_ext().execute_with(|| {
		let treasury = free(&Treasury::account_id());
		let fee =
			<Balances as frame_support::traits::fungible::Balanced<AccountId>>::issue(100 * UNITS);
		let tip =
			<Balances as frame_support::traits::fungible::Balanced<AccountId>>::issue(10 * UNITS);
		assert_eq!(fee.peek() + tip.peek(), 110 * UNITS);
		// No block author in this externality: the author's share is burned.
		ail2_runtime::configs::DealWithFees::on_unbalanceds([fee, tip].into_iter());
		assert_eq!(free(&Treasury::account_id()), treasury + 80 * UNITS);
	});
}

#[test]
fn an_upgrade_must_raise_the_spec_version() {
	use sp_core::traits::{ReadRuntimeVersion, ReadRuntimeVersionExt};
	/// Reads a "runtime" whose first four bytes are its spec version, so that the test
	/// controls what the upgrade check sees.
	struct VersionFromPrefix;
	impl ReadRuntimeVersion for VersionFromPrefix {
		fn read_runtime_version(
			&self,
			code: &[u8],
			_: &mut dyn sp_core::traits::Externalities,
		) -> Result<Vec<u8>, String> {
			let spec = u32::from_le_bytes(code[..4].try_into().unwrap());
			let version =
				sp_version::RuntimeVersion { spec_version: spec, ..ail2_runtime::VERSION };
			Ok(version.encode())
		}
	}
	let mut ext = dev_ext();
	ext.register_extension(ReadRuntimeVersionExt::new(VersionFromPrefix));
	ext.execute_with(|| {
		let current = ail2_runtime::VERSION.spec_version;
		let old_code = sp_io::storage::get(sp_core::storage::well_known_keys::CODE);
		for spec in [current, current - 1] {
			let code = [spec.to_le_bytes().to_vec(), b"same or older".to_vec()].concat();
			let hash = <Runtime as frame_system::Config>::Hashing::hash(&code);
			assert_ok!(System::authorize_upgrade(RuntimeOrigin::root(), hash));
			// The call succeeds (its submitter is not at fault), rejects the code with the
			// named error in an event and drops the authorisation.
			assert_ok!(System::apply_authorized_upgrade(signed(account(Eve)), code));
			System::assert_last_event(
				frame_system::Event::<Runtime>::RejectedInvalidAuthorizedUpgrade {
					code_hash: hash,
					error: frame_system::Error::<Runtime>::SpecVersionNeedsToIncrease.into(),
				}
				.into(),
			);
		}
		assert_eq!(sp_io::storage::get(sp_core::storage::well_known_keys::CODE), old_code);
		// Only root (a root referendum) authorises an upgrade.
		assert_noop!(
			System::authorize_upgrade(signed(account(Alice)), Default::default()),
			DispatchError::BadOrigin
		);
	});
}
