//! Benchmarks of every call, each in its worst case.

use super::*;
use crate::Pallet as Workers;
use alloc::vec;
use frame_benchmarking::v2::*;
use frame_support::{pallet_prelude::*, traits::fungible::Mutate};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use sp_runtime::traits::{Saturating, Zero};

const SEED: u32 = 0;
/// Key type under which benchmarks keep their throwaway receipt keys.
const BENCH_KEY_TYPE: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"ail2");

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, SEED);
	let amount = T::MinStake::get().saturating_mul(1_000_000u32.into());
	T::Currency::set_balance(&who, amount);
	who
}

/// A fresh receipt key from the host keystore and its proof of possession.
fn receipt_key<T: Config>(owner: &T::AccountId, hot: &T::AccountId) -> (PublicKey, Signature) {
	let public = sp_io::crypto::ecdsa_generate(BENCH_KEY_TYPE, None);
	let message = Workers::<T>::receipt_key_proof_message(owner, hot);
	let signature = sp_io::crypto::ecdsa_sign_prehashed(BENCH_KEY_TYPE, &public, &message)
		.unwrap_or_else(|| sp_core::ecdsa::Signature::from_raw([0u8; 65]));
	let mut key = [0u8; 33];
	key.copy_from_slice(public.as_ref());
	let mut sig = [0u8; 65];
	sig.copy_from_slice(signature.as_ref());
	(key, sig)
}

fn longest_capabilities() -> Capabilities {
	Capabilities {
		gpu_model: BoundedVec::truncate_from(vec![
			b'G';
			<MaxGpuModelLen as Get<u32>>::get() as usize
		]),
		gpu_count: u8::MAX,
		vram_mib: u32::MAX,
		cuda: CudaVersion { major: 12, minor: 9 },
		region: GeoPoint { lat_micro_deg: -33_868_820, lon_micro_deg: 151_209_296 },
	}
}

fn longest_endpoint() -> BoundedVec<u8, MaxEndpointLen> {
	BoundedVec::truncate_from(vec![b'e'; <MaxEndpointLen as Get<u32>>::get() as usize])
}

fn register_worker<T: Config>(owner: &T::AccountId, hot: &T::AccountId) {
	let (key, proof) = receipt_key::<T>(owner, hot);
	let stake = T::MinStake::get().saturating_mul(10u32.into());
	let registered = Workers::<T>::do_register(
		owner.clone(),
		hot.clone(),
		key,
		proof,
		longest_capabilities(),
		longest_endpoint(),
		stake,
	);
	assert!(registered.is_ok(), "benchmark worker registers");
}

impl<T: Config> Workers<T> {
	/// Registers `hot` for `owner` with `stake` held, funding the owner and making the
	/// receipt key in the host keystore (under key type `ail2`, where callers can sign
	/// receipts with it). For the benchmarks of pallets that need a staked worker.
	pub fn benchmark_worker(
		owner: &T::AccountId,
		hot: &T::AccountId,
		stake: BalanceOf<T>,
	) -> Result<PublicKey, DispatchError> {
		let funds = stake.saturating_mul(2u32.into()).saturating_add(T::MinStake::get());
		T::Currency::set_balance(owner, funds);
		let (key, proof) = receipt_key::<T>(owner, hot);
		Workers::<T>::do_register(
			owner.clone(),
			hot.clone(),
			key,
			proof,
			longest_capabilities(),
			longest_endpoint(),
			stake,
		)?;
		Ok(key)
	}
}

/// Key type of the receipt keys [`Workers::benchmark_worker`] makes.
pub const BENCHMARK_KEY_TYPE: sp_core::crypto::KeyTypeId = BENCH_KEY_TYPE;

fn block_after_unbonding<T: Config>() -> BlockNumberFor<T> {
	frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondingPeriod::get())
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// Worst case: the owner already runs all but one of its allowed workers.
	#[benchmark]
	fn register() {
		let owner = funded::<T>("owner", 0);
		for i in 1..T::MaxWorkersPerOwner::get() {
			register_worker::<T>(&owner, &account("hot", i, SEED));
		}
		let hot: T::AccountId = account("hot", 0, SEED);
		let (key, proof) = receipt_key::<T>(&owner, &hot);
		let stake = T::MinStake::get();

		#[extrinsic_call]
		_(
			RawOrigin::Signed(owner),
			hot.clone(),
			key,
			proof,
			longest_capabilities(),
			longest_endpoint(),
			stake,
		);

		assert!(crate::pallet::Workers::<T>::contains_key(&hot));
	}

	#[benchmark]
	fn add_stake() {
		let owner = funded::<T>("owner", 0);
		let hot: T::AccountId = account("hot", 0, SEED);
		register_worker::<T>(&owner, &hot);
		let amount = T::MinStake::get();

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), hot.clone(), amount);

		assert_eq!(
			crate::pallet::Workers::<T>::get(&hot).map(|w| w.stake),
			Some(T::MinStake::get().saturating_mul(11u32.into()))
		);
	}

	/// Worst case: all but one unbonding slot already used.
	#[benchmark]
	fn unbond() {
		let owner = funded::<T>("owner", 0);
		let hot: T::AccountId = account("hot", 0, SEED);
		register_worker::<T>(&owner, &hot);
		let one: BalanceOf<T> = 1u32.into();
		for _ in 1..<MaxUnbondingChunks as Get<u32>>::get() {
			assert!(Workers::<T>::do_unbond(owner.clone(), hot.clone(), one).is_ok());
		}

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), hot.clone(), one);

		assert_eq!(
			crate::pallet::Workers::<T>::get(&hot).map(|w| w.unbonding.len() as u32),
			Some(<MaxUnbondingChunks as Get<u32>>::get())
		);
	}

	/// Worst case: every chunk has matured and the worker is removed.
	#[benchmark]
	fn withdraw_unbonded() {
		let owner = funded::<T>("owner", 0);
		let hot: T::AccountId = account("hot", 0, SEED);
		register_worker::<T>(&owner, &hot);
		let stake =
			crate::pallet::Workers::<T>::get(&hot).map(|w| w.stake).unwrap_or_else(Zero::zero);
		let one: BalanceOf<T> = 1u32.into();
		for _ in 1..<MaxUnbondingChunks as Get<u32>>::get() {
			assert!(Workers::<T>::do_unbond(owner.clone(), hot.clone(), one).is_ok());
		}
		let rest = stake.saturating_sub(
			one.saturating_mul(<MaxUnbondingChunks as Get<u32>>::get().saturating_sub(1).into()),
		);
		assert!(Workers::<T>::do_unbond(owner.clone(), hot.clone(), rest).is_ok());
		frame_system::Pallet::<T>::set_block_number(block_after_unbonding::<T>());

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), hot.clone());

		assert!(!crate::pallet::Workers::<T>::contains_key(&hot));
	}

	#[benchmark]
	fn heartbeat() {
		let owner = funded::<T>("owner", 0);
		let hot: T::AccountId = account("hot", 0, SEED);
		register_worker::<T>(&owner, &hot);
		frame_system::Pallet::<T>::set_block_number(10u32.into());

		#[extrinsic_call]
		_(RawOrigin::Signed(hot.clone()));

		assert_eq!(
			crate::pallet::Workers::<T>::get(&hot).map(|w| w.last_heartbeat),
			Some(10u32.into())
		);
	}

	#[benchmark]
	fn update_endpoint() {
		let owner = funded::<T>("owner", 0);
		let hot: T::AccountId = account("hot", 0, SEED);
		register_worker::<T>(&owner, &hot);
		let endpoint: BoundedVec<u8, MaxEndpointLen> =
			BoundedVec::truncate_from(vec![b'f'; <MaxEndpointLen as Get<u32>>::get() as usize]);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), hot.clone(), endpoint.clone());

		assert_eq!(crate::pallet::Workers::<T>::get(&hot).map(|w| w.endpoint), Some(endpoint));
	}

	#[benchmark]
	fn update_capabilities() {
		let owner = funded::<T>("owner", 0);
		let hot: T::AccountId = account("hot", 0, SEED);
		register_worker::<T>(&owner, &hot);
		let mut caps = longest_capabilities();
		caps.vram_mib = 1;

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), hot.clone(), caps.clone());

		assert_eq!(crate::pallet::Workers::<T>::get(&hot).map(|w| w.capabilities), Some(caps));
	}

	#[benchmark]
	fn set_status() -> Result<(), BenchmarkError> {
		let owner = funded::<T>("owner", 0);
		let hot: T::AccountId = account("hot", 0, SEED);
		register_worker::<T>(&owner, &hot);
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, hot.clone(), WorkerStatus::Suspended);

		assert_eq!(
			crate::pallet::Workers::<T>::get(&hot).map(|w| w.status),
			Some(WorkerStatus::Suspended)
		);
		Ok(())
	}

	#[benchmark]
	fn vote_price() {
		let owner = funded::<T>("owner", 0);
		let hot: T::AccountId = account("hot", 0, SEED);
		register_worker::<T>(&owner, &hot);
		let price: BalanceOf<T> = 120u32.into();

		#[extrinsic_call]
		_(RawOrigin::Signed(hot.clone()), price);

		assert_eq!(PriceVoteOf::<T>::get(&hot).map(|v| v.price), Some(price));
	}

	impl_benchmark_test_suite!(Workers, crate::mock::new_test_ext(), crate::mock::Test);
}
