//! Benchmarks of every call and of each step of the race's hook, each in its worst case.

use super::*;
use ail2_primitives::race::seed_commitment;
use alloc::vec::Vec;
use codec::Encode;
use frame_benchmarking::v2::*;
use frame_support::{pallet_prelude::*, traits::Get};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};

/// `count` active workers, from index `from`.
fn workers<T: Config>(from: u32, count: u32) -> Vec<T::AccountId> {
	(from..from.saturating_add(count)).map(T::BenchmarkHelper::worker).collect()
}

/// Starts race 0 now, with parameters that let `MaxNonces` hits in.
fn start<T: Config>() -> Result<RaceOf<T>, BenchmarkError> {
	let mut params = Params::<T>::get();
	params.max_nonces = T::MaxNonces::get();
	params.max_mismatches = 0;
	Params::<T>::put(params);
	let now = frame_system::Pallet::<T>::block_number();
	Pallet::<T>::start_race(now);
	CurrentRace::<T>::get().ok_or(BenchmarkError::Stop("no race started"))
}

fn go_to<T: Config>(block: BlockNumberFor<T>) {
	frame_system::Pallet::<T>::set_block_number(block);
}

/// A running race with its seed fixed, in its window.
fn in_window<T: Config>() -> Result<RaceOf<T>, BenchmarkError> {
	let mut race = start::<T>()?;
	go_to::<T>(race.window_from);
	race.seed = Some([1; 32]);
	CurrentRace::<T>::put(race.clone());
	Ok(race)
}

/// `participants` who submitted `nonces` hits each, in the window.
fn submitted<T: Config>(participants: &[T::AccountId], nonces: u32) {
	for who in participants {
		let list: BoundedVec<_, T::MaxNonces> =
			BoundedVec::truncate_from((0..u64::from(nonces)).collect());
		Submissions::<T>::insert(who, list);
		Entries::<T>::insert(
			who,
			Entry { count: nonces, last: u64::from(nonces.saturating_sub(1)), fees: 0u32.into() },
		);
	}
	Participants::<T>::put(BoundedVec::truncate_from(participants.to_vec()));
}

/// A finalized race 0 in which `weighted` had weight, for validator pools and committers.
fn previous_weights<T: Config>(weighted: &[T::AccountId]) {
	let weights =
		weighted.iter().enumerate().map(|(i, w)| (w.clone(), 1_000u64.saturating_sub(i as u64)));
	RaceWeights::<T>::insert(0, BoundedVec::truncate_from(weights.collect::<Vec<_>>()));
	LastFinalized::<T>::put(0);
	NextRace::<T>::put(1);
}

#[benchmarks]
mod benches {
	use super::*;

	#[benchmark]
	fn commit_seed() -> Result<(), BenchmarkError> {
		let committers = workers::<T>(0, T::MaxCommitters::get());
		Committers::<T>::put(BoundedVec::truncate_from(committers.clone()));
		let race = start::<T>()?;
		Committers::<T>::put(BoundedVec::truncate_from(committers.clone()));
		let caller = committers.last().cloned().ok_or(BenchmarkError::Stop("no committer"))?;
		let commitment = seed_commitment(race.index, &caller.encode(), &[7; 32]);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), race.index, commitment);

		assert!(Commitments::<T>::contains_key(&caller));
		Ok(())
	}

	#[benchmark]
	fn reveal_seed() -> Result<(), BenchmarkError> {
		let race = start::<T>()?;
		let caller = T::BenchmarkHelper::worker(0);
		let secret = [7; 32];
		Commitments::<T>::insert(
			&caller,
			SeedCommitment {
				commitment: seed_commitment(race.index, &caller.encode(), &secret),
				revealed: None,
			},
		);
		go_to::<T>(race.reveal_from);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), race.index, secret);

		assert_eq!(Commitments::<T>::get(&caller).and_then(|c| c.revealed), Some(secret));
		Ok(())
	}

	/// The caller already holds `MaxNonces − n` hits, and the race is one participant short
	/// of full.
	#[benchmark]
	fn submit_nonces(n: Linear<1, { T::MaxNoncesPerCall::get() }>) -> Result<(), BenchmarkError> {
		let race = in_window::<T>()?;
		// The other participants only fill the list: plain accounts, no registration.
		let others: Vec<T::AccountId> = (1..T::MaxParticipants::get().saturating_sub(1))
			.map(|i| account("participant", i, 0))
			.collect();
		let caller = T::BenchmarkHelper::worker(0);
		let held = T::MaxNonces::get().saturating_sub(n);
		let mut everyone = others;
		if held > 0 {
			// The caller already holds `held` hits (the stored list it extends is longest).
			submitted::<T>(core::slice::from_ref(&caller), held);
			everyone.push(caller.clone());
		}
		Participants::<T>::put(BoundedVec::truncate_from(everyone));
		let nonces: BoundedVec<u64, T::MaxNoncesPerCall> = BoundedVec::truncate_from(
			(u64::from(held)..u64::from(held.saturating_add(n))).collect(),
		);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), race.index, nonces);

		assert_eq!(Entries::<T>::get(&caller).map(|e| e.count), Some(T::MaxNonces::get()));
		Ok(())
	}

	#[benchmark]
	fn vote() -> Result<(), BenchmarkError> {
		let mut race = in_window::<T>()?;
		let participant = T::BenchmarkHelper::worker(0);
		let validator = T::BenchmarkHelper::worker(1);
		submitted::<T>(core::slice::from_ref(&participant), T::MaxNonces::get());
		race.sample_seed = Some([2; 32]);
		CurrentRace::<T>::put(race.clone());
		go_to::<T>(race.validation_from);
		let assigned = workers::<T>(2, T::ValidatorsPerParticipant::get().saturating_sub(1))
			.into_iter()
			.chain(core::iter::once(validator.clone()))
			.map(|v| (v, 1u64));
		Assignments::<T>::insert(
			&participant,
			BoundedVec::truncate_from(assigned.collect::<Vec<_>>()),
		);

		#[extrinsic_call]
		_(RawOrigin::Signed(validator.clone()), race.index, participant.clone(), 0);

		assert_eq!(Votes::<T>::get(&participant, &validator), Some(0));
		Ok(())
	}

	#[benchmark]
	fn set_params() -> Result<(), BenchmarkError> {
		let origin =
			T::ParamsOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let mut params = Params::<T>::get();
		params.window = 1;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, params);

		assert_eq!(Params::<T>::get(), params);
		Ok(())
	}

	/// Starting a race whose committers are the `c` heaviest of the previous race.
	#[benchmark]
	fn start_race(c: Linear<0, { T::MaxCommitters::get() }>) -> Result<(), BenchmarkError> {
		previous_weights::<T>(&workers::<T>(0, c));
		let now = frame_system::Pallet::<T>::block_number();

		#[block]
		{
			Pallet::<T>::start_race(now);
		}

		assert_eq!(Committers::<T>::get().len() as u32, c);
		Ok(())
	}

	/// Fixing the seed when all `c` committers withheld their reveals: each is reported.
	#[benchmark]
	fn fix_seed(c: Linear<0, { T::MaxCommitters::get() }>) -> Result<(), BenchmarkError> {
		let committers = workers::<T>(0, c);
		let race = start::<T>()?;
		Committers::<T>::put(BoundedVec::truncate_from(committers.clone()));
		for who in &committers {
			Commitments::<T>::insert(who, SeedCommitment { commitment: [3; 32], revealed: None });
		}
		go_to::<T>(race.window_from);

		#[block]
		{
			Pallet::<T>::fix_seed(race);
		}

		assert!(CurrentRace::<T>::get().and_then(|r| r.seed).is_some());
		Ok(())
	}

	/// Closing the window on `p` participants, validators drawn from a full pool.
	#[benchmark]
	fn close_window(p: Linear<1, { T::MaxParticipants::get() }>) -> Result<(), BenchmarkError> {
		let pool = workers::<T>(0, T::MaxParticipants::get());
		previous_weights::<T>(&pool);
		let race = in_window::<T>()?;
		submitted::<T>(pool.get(..p as usize).unwrap_or_default(), 1);
		go_to::<T>(race.validation_from);

		#[block]
		{
			Pallet::<T>::close_window(race);
		}

		assert_eq!(Assignments::<T>::iter().count() as u32, p);
		Ok(())
	}

	/// Finalizing `p` participants, each with `MaxNonces` hits, rejected by all its validators
	/// (every one reported to pallet-slashing).
	#[benchmark]
	fn finalize(p: Linear<1, { T::MaxParticipants::get() }>) -> Result<(), BenchmarkError> {
		let participants = workers::<T>(0, p);
		let validators = workers::<T>(p, T::ValidatorsPerParticipant::get());
		let mut race = in_window::<T>()?;
		submitted::<T>(&participants, T::MaxNonces::get());
		race.sample_seed = Some([2; 32]);
		for participant in &participants {
			let assigned: Vec<_> = validators.iter().map(|v| (v.clone(), 1u64)).collect();
			Assignments::<T>::insert(participant, BoundedVec::truncate_from(assigned));
			for validator in &validators {
				Votes::<T>::insert(participant, validator, 1);
			}
		}
		go_to::<T>(race.ends);

		#[block]
		{
			Pallet::<T>::finalize(race);
		}

		assert_eq!(LastFinalized::<T>::get(), Some(0));
		assert!(Participants::<T>::get().is_empty());
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
