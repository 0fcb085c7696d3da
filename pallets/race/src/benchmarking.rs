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

/// Starts race 0 now.
fn start<T: Config>() -> Result<RaceOf<T>, BenchmarkError> {
	let mut params = Params::<T>::get();
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

/// The longest openings URL.
fn long_url() -> OpeningsUrl {
	BoundedVec::truncate_from(alloc::vec![b'a'; MAX_URL_LEN as usize])
}

/// `participants` who committed a million nonces each, in the window.
fn committed<T: Config>(participants: &[T::AccountId]) {
	let now = frame_system::Pallet::<T>::block_number();
	for (index, who) in participants.iter().enumerate() {
		let index = index as u32;
		ParticipantAt::<T>::insert(index, who);
		Work::<T>::insert(
			who,
			WorkEntry {
				index,
				root: [5; 32],
				count: 1_000_000,
				committed_at: now,
				url: long_url(),
			},
		);
	}
	ParticipantCount::<T>::put(participants.len() as u32);
}

/// A full validator pool of `validators`, weight 1 each.
fn full_pool<T: Config>(validators: &[T::AccountId]) {
	let pool: Vec<_> = validators
		.iter()
		.enumerate()
		.map(|(i, v)| (v.clone(), (i as u64).saturating_add(1)))
		.collect();
	ValidatorPool::<T>::put(BoundedVec::truncate_from(pool));
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

	/// A first commitment (it adds a participant), the one that fills the race, with the
	/// longest URL and a fee.
	#[benchmark]
	fn commit_work() -> Result<(), BenchmarkError> {
		let mut race = in_window::<T>()?;
		race.params.commit_fee = 1_000;
		CurrentRace::<T>::put(race.clone());
		let others: Vec<T::AccountId> =
			(1..T::MaxParticipants::get()).map(|i| account("participant", i, 0)).collect();
		committed::<T>(&others);
		let caller = T::BenchmarkHelper::worker(0);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), race.index, [9; 32], 2_000_000, long_url());

		assert_eq!(Work::<T>::get(&caller).map(|w| w.count), Some(2_000_000));
		assert_eq!(ParticipantCount::<T>::get(), T::MaxParticipants::get());
		Ok(())
	}

	/// A vote checked against a pool of `p` validators (the assignment is drawn from it).
	#[benchmark]
	fn vote(p: Linear<2, { T::MaxParticipants::get() }>) -> Result<(), BenchmarkError> {
		let mut race = in_window::<T>()?;
		let participant = T::BenchmarkHelper::worker(0);
		committed::<T>(core::slice::from_ref(&participant));
		let validators = workers::<T>(1, p.saturating_sub(1));
		full_pool::<T>(&validators);
		race.sample_seed = Some([2; 32]);
		CurrentRace::<T>::put(race.clone());
		go_to::<T>(race.validation_from);
		let pool = ValidatorPool::<T>::get();
		let (validator, _) = Pallet::<T>::assignment(&[2; 32], &participant, &pool)
			.pop()
			.ok_or(BenchmarkError::Stop("nobody assigned"))?;

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
		params.tolerance = 1;

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

	/// Closing the window with `p` weighted validators of the previous race, every one still
	/// active, in the pool.
	#[benchmark]
	fn close_window(p: Linear<1, { T::MaxParticipants::get() }>) -> Result<(), BenchmarkError> {
		let pool = workers::<T>(0, p);
		previous_weights::<T>(&pool);
		let race = in_window::<T>()?;
		committed::<T>(&pool);
		go_to::<T>(race.validation_from);

		#[block]
		{
			Pallet::<T>::close_window(race);
		}

		assert_eq!(ValidatorPool::<T>::get().len() as u32, p);
		Ok(())
	}

	/// Judging `n` participants (the hook judges up to `JudgedPerBlock` a block), each
	/// rejected by all its validators (every one reported to pallet-slashing), over a full
	/// pool.
	#[benchmark]
	fn judge(n: Linear<1, { T::JudgedPerBlock::get() }>) -> Result<(), BenchmarkError> {
		let participants = workers::<T>(0, n);
		let validators = workers::<T>(n, T::MaxParticipants::get().saturating_sub(n));
		let mut race = in_window::<T>()?;
		committed::<T>(&participants);
		full_pool::<T>(&validators);
		race.sample_seed = Some([2; 32]);
		let pool = ValidatorPool::<T>::get();
		for participant in &participants {
			for (validator, _) in Pallet::<T>::assignment(&[2; 32], participant, &pool) {
				Votes::<T>::insert(participant, validator, 1);
			}
		}
		go_to::<T>(race.ends);

		#[block]
		{
			Pallet::<T>::judge_range(&race, 0, n);
		}

		assert_eq!(Work::<T>::iter().count(), 0, "every judged entry is cleared");
		Ok(())
	}

	/// Concluding a race that gave `p` participants weight.
	#[benchmark]
	fn conclude(p: Linear<1, { T::MaxParticipants::get() }>) -> Result<(), BenchmarkError> {
		let mut race = in_window::<T>()?;
		race.sample_seed = Some([2; 32]);
		let weights: Vec<_> =
			(0..p).map(|i| (account("weighted", i, 0), u64::from(i).saturating_add(1))).collect();
		PendingWeights::<T>::put(BoundedVec::truncate_from(weights));
		CurrentRace::<T>::put(race.clone());
		go_to::<T>(race.ends);

		#[block]
		{
			Pallet::<T>::judge(race);
		}

		assert_eq!(LastFinalized::<T>::get(), Some(0));
		assert_eq!(RaceWeights::<T>::get(0).map(|w| w.len() as u32), Some(p));
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
