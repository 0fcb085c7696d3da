#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use crate::{
	fixtures::metadata, mock::*, ContainerMetadata, Error, Event, HoldReason, ModelInspect,
	ModelOf, ModelStatus, NextModelId, Region, UnitPrice, VersionCount, Versions,
};
use ail2_primitives::{keccak256, receipt::SemVer};
use codec::Encode;
use frame_support::{
	assert_noop, assert_ok,
	traits::{fungible::InspectHold, Hooks},
	BoundedVec,
};
use pallet_workers::GeoPoint;
use sp_runtime::{DispatchError, Perbill, TokenError};

fn held(who: AccountId) -> Balance {
	<Balances as InspectHold<_>>::balance_on_hold(
		&RuntimeHoldReason::Models(HoldReason::ModelDeposit),
		&who,
	)
}

fn model(id: u32) -> ModelOf<Test> {
	crate::pallet::Models::<Test>::get(id).expect("model exists")
}

fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}

fn register() -> u32 {
	let id = NextModelId::<Test>::get();
	assert_ok!(Models::register_model(RuntimeOrigin::signed(DEV), name(), V1, metadata()));
	id
}

/// Registers, approves and activates a model.
fn active_model() -> u32 {
	let id = register();
	assert_ok!(Models::approve_model(RuntimeOrigin::root(), id));
	assert_ok!(Models::activate_model(RuntimeOrigin::signed(DEV), id));
	id
}

mod registration {
	use super::*;

	#[test]
	fn a_versions_declared_spot_check_rate_is_what_proof_of_inference_reads() {
		run(|| {
			let mut declared = metadata();
			declared.security.spot_check_rate = sp_runtime::Perbill::from_percent(5);
			let id = NextModelId::<Test>::get();
			assert_ok!(Models::register_model(RuntimeOrigin::signed(DEV), name(), V1, declared));
			assert_eq!(
				<Models as ModelInspect<_, _>>::spot_check_rate(id, &V1),
				sp_runtime::Perbill::from_percent(5)
			);
			assert_eq!(
				<Models as ModelInspect<_, _>>::spot_check_rate(id, &V2),
				sp_runtime::Perbill::zero()
			);
			assert_eq!(
				<Models as ModelInspect<_, _>>::spot_check_rate(id + 1, &V1),
				sp_runtime::Perbill::zero()
			);
		});
	}

	#[test]
	fn registers_a_proposed_model_with_its_deposit_and_policy_hash() {
		run(|| {
			let id = register();
			assert_eq!(id, 0);
			let m = model(id);
			assert_eq!(m.owner, DEV);
			assert_eq!(m.status, ModelStatus::Proposed);
			assert_eq!(m.current, V1);
			assert_eq!(held(DEV), DEPOSIT);
			let v = Versions::<Test>::get(id, V1).unwrap();
			assert_eq!(v.policy_hash, keccak256(&metadata().pricing.encode()));
			assert_eq!(v.status, ModelStatus::Proposed);
			assert_eq!(NextModelId::<Test>::get(), 1);
			assert_eq!(
				last_event(),
				Event::ModelRegistered { model: 0, owner: DEV, version: V1, deposit: DEPOSIT }
					.into()
			);
			assert!(!Models::is_billable(id, &V1), "proposed models are not billable");
		});
	}

	#[test]
	fn rejects_bad_metadata_and_poor_owners() {
		run(|| {
			let mut split = metadata();
			split.revenue_split.ecosystem = Perbill::from_percent(6);
			assert_noop!(
				Models::register_model(RuntimeOrigin::signed(DEV), name(), V1, split),
				Error::<Test>::IncompleteRevenueSplit
			);
			let mut bounds = metadata();
			bounds.pricing.min_fee = bounds.pricing.max_fee + 1;
			assert_noop!(
				Models::register_model(RuntimeOrigin::signed(DEV), name(), V1, bounds),
				Error::<Test>::InvalidFeeBounds
			);
			let mut region = metadata();
			region.constraints.allowed_regions = BoundedVec::truncate_from(vec![Region {
				center: GeoPoint { lat_micro_deg: 91_000_000, lon_micro_deg: 0 },
				radius_km: 1,
			}]);
			assert_noop!(
				Models::register_model(RuntimeOrigin::signed(DEV), name(), V1, region),
				Error::<Test>::InvalidRegion
			);
			let mut units = metadata();
			units.compute_units_per_token = 0;
			assert_noop!(
				Models::register_model(RuntimeOrigin::signed(DEV), name(), V1, units),
				Error::<Test>::ZeroComputeUnits
			);
			assert_noop!(
				Models::register_model(
					RuntimeOrigin::signed(DEV),
					BoundedVec::new(),
					V1,
					metadata()
				),
				Error::<Test>::EmptyName
			);
			assert_noop!(
				Models::register_model(RuntimeOrigin::signed(POOR), name(), V1, metadata()),
				TokenError::FundsUnavailable
			);
			assert_noop!(
				Models::register_model(RuntimeOrigin::none(), name(), V1, metadata()),
				DispatchError::BadOrigin
			);
		});
	}
}

mod lifecycle {
	use super::*;

	#[test]
	fn proposed_approved_active_deprecated() {
		run(|| {
			let id = register();
			assert_ok!(Models::approve_model(RuntimeOrigin::root(), id));
			assert_eq!(model(id).status, ModelStatus::Approved);
			assert_eq!(Versions::<Test>::get(id, V1).unwrap().status, ModelStatus::Approved);
			assert_eq!(last_event(), Event::ModelApproved { model: id }.into());
			assert_ok!(Models::activate_model(RuntimeOrigin::signed(DEV), id));
			assert_eq!(model(id).status, ModelStatus::Active);
			assert!(Models::is_billable(id, &V1));
			assert_eq!(Models::owner(id), Some(DEV));
			assert_eq!(Models::revenue_split(id, &V1), Some(metadata().revenue_split));
			assert_eq!(Models::revenue_split(id, &V2), None, "an unknown version has no split");
			assert_eq!(Models::pricing(id, &V1).unwrap().0, metadata().pricing);
			assert_ok!(Models::deprecate_model(RuntimeOrigin::signed(DEV), id));
			assert_eq!(model(id).status, ModelStatus::Deprecated);
			assert_eq!(held(DEV), 0);
			assert!(!Models::is_billable(id, &V1));
			assert_eq!(last_event(), Event::ModelDeprecated { model: id }.into());
		});
	}

	#[test]
	fn rejection_releases_the_deposit() {
		run(|| {
			let id = register();
			assert_ok!(Models::reject_model(RuntimeOrigin::root(), id));
			assert_eq!(model(id).status, ModelStatus::Rejected);
			assert_eq!(held(DEV), 0);
			assert_eq!(last_event(), Event::ModelRejected { model: id }.into());
			assert_noop!(
				Models::approve_model(RuntimeOrigin::root(), id),
				Error::<Test>::WrongStatus
			);
			assert_noop!(
				Models::activate_model(RuntimeOrigin::signed(DEV), id),
				Error::<Test>::WrongStatus
			);
		});
	}

	#[test]
	fn lifecycle_failures() {
		run(|| {
			assert_noop!(
				Models::approve_model(RuntimeOrigin::root(), 7),
				Error::<Test>::UnknownModel
			);
			let id = register();
			assert_noop!(
				Models::approve_model(RuntimeOrigin::signed(DEV), id),
				DispatchError::BadOrigin
			);
			assert_noop!(
				Models::reject_model(RuntimeOrigin::signed(DEV), id),
				DispatchError::BadOrigin
			);
			assert_noop!(
				Models::activate_model(RuntimeOrigin::signed(DEV), id),
				Error::<Test>::WrongStatus
			);
			assert_noop!(
				Models::deprecate_model(RuntimeOrigin::signed(DEV), id),
				Error::<Test>::WrongStatus
			);
			assert_ok!(Models::approve_model(RuntimeOrigin::root(), id));
			assert_noop!(
				Models::approve_model(RuntimeOrigin::root(), id),
				Error::<Test>::WrongStatus
			);
			assert_noop!(
				Models::activate_model(RuntimeOrigin::signed(OTHER), id),
				Error::<Test>::NotOwner
			);
			assert_noop!(
				Models::deprecate_model(RuntimeOrigin::signed(OTHER), id),
				Error::<Test>::NotOwner
			);
			// Governance may retire anyone's model.
			assert_ok!(Models::deprecate_model(RuntimeOrigin::root(), id));
			assert_noop!(
				Models::deprecate_model(RuntimeOrigin::root(), id),
				Error::<Test>::WrongStatus
			);
		});
	}
}

mod versions {
	use super::*;

	#[test]
	fn propose_approve_activate_and_roll_back() {
		run(|| {
			let id = active_model();
			let mut meta = metadata();
			meta.pricing.per_1k_output_tokens = 8_000;
			assert_ok!(Models::propose_version(RuntimeOrigin::signed(DEV), id, V2, meta.clone()));
			assert_eq!(last_event(), Event::VersionProposed { model: id, version: V2 }.into());
			assert!(!Models::is_billable(id, &V2));
			assert_ok!(Models::approve_version(RuntimeOrigin::root(), id, V2));
			assert!(Models::is_billable(id, &V2), "approved versions of an active model bill");
			assert_ok!(Models::activate_version(RuntimeOrigin::signed(DEV), id, V2));
			assert_eq!(model(id).current, V2);
			assert_eq!(Models::pricing(id, &V2).unwrap().1, keccak256(&meta.pricing.encode()));
			assert_eq!(last_event(), Event::VersionActivated { model: id, version: V2 }.into());

			assert_ok!(Models::rollback(RuntimeOrigin::signed(DEV), id, V1));
			assert_eq!(model(id).current, V1);
			assert_eq!(last_event(), Event::RolledBack { model: id, from: V2, to: V1 }.into());
			assert_eq!(VersionCount::<Test>::get(id), 2);
		});
	}

	#[test]
	fn version_failures() {
		run(|| {
			let id = active_model();
			assert_noop!(
				Models::propose_version(RuntimeOrigin::signed(OTHER), id, V2, metadata()),
				Error::<Test>::NotOwner
			);
			assert_noop!(
				Models::propose_version(RuntimeOrigin::signed(DEV), id, V1, metadata()),
				Error::<Test>::VersionNotHigher
			);
			assert_ok!(Models::propose_version(RuntimeOrigin::signed(DEV), id, V2, metadata()));
			// Lower than the highest proposed version.
			assert_noop!(
				Models::propose_version(RuntimeOrigin::signed(DEV), id, V1_1, metadata()),
				Error::<Test>::VersionNotHigher
			);
			// Not yet approved.
			assert_noop!(
				Models::activate_version(RuntimeOrigin::signed(DEV), id, V2),
				Error::<Test>::WrongStatus
			);
			assert_noop!(
				Models::activate_version(RuntimeOrigin::signed(DEV), id, SemVer::new(9, 9, 9)),
				Error::<Test>::UnknownVersion
			);
			assert_noop!(
				Models::approve_version(RuntimeOrigin::signed(DEV), id, V2),
				DispatchError::BadOrigin
			);
			assert_ok!(Models::reject_version(RuntimeOrigin::root(), id, V2));
			assert_eq!(last_event(), Event::VersionRejected { model: id, version: V2 }.into());
			assert_noop!(
				Models::approve_version(RuntimeOrigin::root(), id, V2),
				Error::<Test>::WrongStatus
			);
			assert_noop!(
				Models::activate_version(RuntimeOrigin::signed(DEV), id, V2),
				Error::<Test>::WrongStatus
			);
			// Rollback must go down; activation must go up.
			assert_noop!(
				Models::rollback(RuntimeOrigin::signed(DEV), id, V1),
				Error::<Test>::NotAnEarlierVersion
			);
			let mut bad = metadata();
			bad.revenue_split.worker = Perbill::zero();
			assert_noop!(
				Models::propose_version(RuntimeOrigin::signed(DEV), id, SemVer::new(3, 0, 0), bad),
				Error::<Test>::IncompleteRevenueSplit
			);
		});
	}

	#[test]
	fn at_most_max_versions() {
		run(|| {
			let id = active_model();
			for minor in 1..32u16 {
				assert_ok!(Models::propose_version(
					RuntimeOrigin::signed(DEV),
					id,
					SemVer::new(1, minor, 0),
					metadata()
				));
			}
			assert_eq!(VersionCount::<Test>::get(id), 32);
			assert_noop!(
				Models::propose_version(
					RuntimeOrigin::signed(DEV),
					id,
					SemVer::new(5, 0, 0),
					metadata()
				),
				Error::<Test>::TooManyVersions
			);
		});
	}

	#[test]
	fn deprecated_models_take_no_versions() {
		run(|| {
			let id = active_model();
			assert_ok!(Models::deprecate_model(RuntimeOrigin::signed(DEV), id));
			assert_noop!(
				Models::propose_version(RuntimeOrigin::signed(DEV), id, V2, metadata()),
				Error::<Test>::WrongStatus
			);
		});
	}
}

mod unit_price {
	use super::*;

	#[test]
	fn starts_at_the_genesis_price() {
		run(|| assert_eq!(Models::unit_price(), INITIAL_PRICE));
	}

	#[test]
	fn epoch_end_sets_the_stake_weighted_median_with_non_voters_at_the_old_price() {
		run(|| {
			// Stakes: 30 vote 800, 20 vote 1500, 60 did not vote (count as 1000).
			// Sorted: 800 (30), 1000 (60), 1500 (20); total 110, half 55 → reached at 1000.
			Votes::set(vec![(Some(800), 30), (Some(1_500), 20), (None, 60)]);
			Models::on_initialize(EPOCH - 1);
			assert_eq!(UnitPrice::<Test>::get(), INITIAL_PRICE, "no boundary, no change");
			Models::on_initialize(EPOCH);
			assert_eq!(UnitPrice::<Test>::get(), 1_000);
			// Now the voters hold the majority: 80 at 800, 60 silent at 1000.
			Votes::set(vec![(Some(800), 80), (None, 60)]);
			Models::on_initialize(2 * EPOCH);
			assert_eq!(UnitPrice::<Test>::get(), 800);
			assert_eq!(last_event(), Event::UnitPriceSet { epoch: 1, price: 800 }.into());
			// Silent workers now default to 800.
			Votes::set(vec![(Some(2_000), 10), (None, 60)]);
			Models::on_initialize(3 * EPOCH);
			assert_eq!(UnitPrice::<Test>::get(), 800);
		});
	}

	#[test]
	fn no_active_stake_keeps_the_price() {
		run(|| {
			Votes::set(vec![]);
			Models::on_initialize(EPOCH);
			assert_eq!(UnitPrice::<Test>::get(), INITIAL_PRICE);
			assert_eq!(last_event(), Event::UnitPriceSet { epoch: 0, price: INITIAL_PRICE }.into());
		});
	}
}

mod params {
	use super::*;
	use crate::{Params, RevenueSplit, RevenueSplitBounds};
	use sp_runtime::BuildStorage;

	/// The example metadata with a split of worker, model owner, treasury and ecosystem
	/// percentages.
	fn split(worker: u32, model_owner: u32, treasury: u32, ecosystem: u32) -> ContainerMetadata {
		ContainerMetadata {
			revenue_split: RevenueSplit {
				worker: Perbill::from_percent(worker),
				model_owner: Perbill::from_percent(model_owner),
				treasury: Perbill::from_percent(treasury),
				ecosystem: Perbill::from_percent(ecosystem),
			},
			..metadata()
		}
	}

	fn bounds(worker: u32, treasury: u32, ecosystem: u32, model_owner: u32) -> RevenueSplitBounds {
		RevenueSplitBounds {
			min_worker: Perbill::from_percent(worker),
			min_treasury: Perbill::from_percent(treasury),
			min_ecosystem: Perbill::from_percent(ecosystem),
			max_model_owner: Perbill::from_percent(model_owner),
		}
	}

	#[test]
	fn genesis_stores_the_default_bounds_which_pass_the_integrity_test() {
		let storage = crate::GenesisConfig::<Test>::default().build_storage().unwrap();
		sp_io::TestExternalities::new(storage).execute_with(|| {
			assert!(Params::<Test>::exists());
			assert_eq!(Params::<Test>::get(), DefaultParams::get());
		});
		<Models as Hooks<u64>>::integrity_test();
		// The split every test, fixture and script uses lies within the defaults.
		assert!(DefaultParams::get().admits(&metadata().revenue_split));
	}

	#[test]
	fn set_params_binds_the_next_split_and_leaves_stored_ones() {
		run(|| {
			let id = active_model();
			let tighter = bounds(60, 5, 2, 15);
			assert_ok!(Models::set_params(RuntimeOrigin::root(), tighter));
			assert_eq!(Params::<Test>::get(), tighter);
			assert_eq!(last_event(), Event::ParamsSet { params: tighter }.into());

			// The model registered before keeps its 20 % owner share and still bills.
			assert_eq!(Models::revenue_split(id, &V1), Some(metadata().revenue_split));
			assert!(Models::is_billable(id, &V1));
			// New models and versions are held to the new bounds.
			assert_noop!(
				Models::register_model(RuntimeOrigin::signed(DEV), name(), V1, metadata()),
				Error::<Test>::RevenueSplitOutOfBounds
			);
			assert_noop!(
				Models::propose_version(RuntimeOrigin::signed(DEV), id, V2, metadata()),
				Error::<Test>::RevenueSplitOutOfBounds
			);
			assert_ok!(Models::register_model(
				RuntimeOrigin::signed(DEV),
				name(),
				V1,
				split(78, 15, 5, 2)
			));
			assert_ok!(Models::propose_version(
				RuntimeOrigin::signed(DEV),
				id,
				V2,
				split(60, 15, 20, 5)
			));
		});
	}

	#[test]
	fn a_version_proposed_before_the_bounds_tightened_keeps_its_split() {
		run(|| {
			let id = active_model();
			let v2 = split(55, 40, 2, 3);
			assert_ok!(Models::propose_version(RuntimeOrigin::signed(DEV), id, V2, v2.clone()));
			assert_ok!(Models::set_params(RuntimeOrigin::root(), bounds(80, 1, 0, 10)));
			// The split was checked when the version was proposed; approval does not revisit it.
			assert_ok!(Models::approve_version(RuntimeOrigin::root(), id, V2));
			assert_ok!(Models::activate_version(RuntimeOrigin::signed(DEV), id, V2));
			assert_eq!(Models::revenue_split(id, &V2), Some(v2.revenue_split));
		});
	}

	#[test]
	fn each_version_keeps_its_own_split_after_another_becomes_current() {
		run(|| {
			let id = active_model();
			let v2 = split(55, 40, 2, 3);
			assert_ok!(Models::propose_version(RuntimeOrigin::signed(DEV), id, V2, v2.clone()));
			assert_ok!(Models::approve_version(RuntimeOrigin::root(), id, V2));
			assert_ok!(Models::activate_version(RuntimeOrigin::signed(DEV), id, V2));
			assert_eq!(model(id).current, V2);
			// Requests served under V1 are still paid by V1's split, not the current one.
			assert_eq!(Models::revenue_split(id, &V1), Some(metadata().revenue_split));
			assert_eq!(Models::revenue_split(id, &V2), Some(v2.revenue_split));
			assert_ne!(metadata().revenue_split, v2.revenue_split);
		});
	}

	#[test]
	fn splits_outside_the_default_bounds_are_refused() {
		run(|| {
			// At every bound exactly: accepted.
			assert_ok!(Models::register_model(
				RuntimeOrigin::signed(DEV),
				name(),
				V1,
				split(50, 40, 1, 9)
			));
			let id = active_model();
			for (worker, owner, treasury, ecosystem) in [
				(49, 40, 8, 3),  // the worker below 50 %
				(70, 20, 0, 10), // the treasury below 1 %
				(52, 41, 4, 3),  // the owner above 40 %
			] {
				let meta = split(worker, owner, treasury, ecosystem);
				assert_noop!(
					Models::register_model(RuntimeOrigin::signed(DEV), name(), V1, meta.clone()),
					Error::<Test>::RevenueSplitOutOfBounds
				);
				assert_noop!(
					Models::propose_version(RuntimeOrigin::signed(DEV), id, V2, meta),
					Error::<Test>::RevenueSplitOutOfBounds
				);
			}
			// An incomplete split is reported as such, whatever the bounds.
			assert_noop!(
				Models::register_model(RuntimeOrigin::signed(DEV), name(), V1, split(10, 80, 0, 0)),
				Error::<Test>::IncompleteRevenueSplit
			);
		});
	}

	#[test]
	fn an_ecosystem_minimum_binds_the_ecosystem_share() {
		run(|| {
			assert_ok!(Models::set_params(RuntimeOrigin::root(), bounds(50, 1, 5, 40)));
			assert_noop!(
				Models::register_model(RuntimeOrigin::signed(DEV), name(), V1, metadata()),
				Error::<Test>::RevenueSplitOutOfBounds
			);
			assert_ok!(Models::register_model(
				RuntimeOrigin::signed(DEV),
				name(),
				V1,
				split(68, 20, 7, 5)
			));
		});
	}

	#[test]
	fn set_params_refuses_other_origins() {
		run(|| {
			assert_noop!(
				Models::set_params(RuntimeOrigin::signed(DEV), bounds(60, 1, 0, 30)),
				DispatchError::BadOrigin
			);
			assert_noop!(
				Models::set_params(RuntimeOrigin::none(), bounds(60, 1, 0, 30)),
				DispatchError::BadOrigin
			);
			assert_eq!(Params::<Test>::get(), DefaultParams::get());
		});
	}

	#[test]
	fn minimums_above_100_percent_are_refused() {
		run(|| {
			for unsatisfiable in [bounds(90, 11, 0, 0), bounds(60, 20, 21, 0), bounds(100, 0, 1, 0)]
			{
				assert_noop!(
					Models::set_params(RuntimeOrigin::root(), unsatisfiable),
					Error::<Test>::UnsatisfiableSplitBounds
				);
			}
			assert_eq!(Params::<Test>::get(), DefaultParams::get());
			// Minimums of exactly 100 % leave the owner nothing, and admit one split.
			let all_fixed = bounds(90, 7, 3, 0);
			assert_ok!(Models::set_params(RuntimeOrigin::root(), all_fixed));
			assert_ok!(Models::register_model(
				RuntimeOrigin::signed(DEV),
				name(),
				V1,
				split(90, 0, 7, 3)
			));
		});
	}

	#[test]
	fn an_owner_cap_the_minimums_leave_no_room_for_is_refused() {
		run(|| {
			// 50 % + 1 % leave the owner at most 49 %.
			assert_noop!(
				Models::set_params(RuntimeOrigin::root(), bounds(50, 1, 0, 50)),
				Error::<Test>::ModelOwnerCapUnreachable
			);
			assert_noop!(
				Models::set_params(RuntimeOrigin::root(), bounds(90, 7, 3, 1)),
				Error::<Test>::ModelOwnerCapUnreachable
			);
			assert_eq!(Params::<Test>::get(), DefaultParams::get());
			assert_ok!(Models::set_params(RuntimeOrigin::root(), bounds(50, 1, 0, 49)));
			assert_ok!(Models::register_model(
				RuntimeOrigin::signed(DEV),
				name(),
				V1,
				split(50, 49, 1, 0)
			));
		});
	}
}
