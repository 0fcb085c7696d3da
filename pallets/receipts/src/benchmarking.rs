//! Benchmarks of every call, each in its worst case. None depends on the number of
//! receipts in a batch: that is the point of Merkle-sum batches.

use super::*;
use crate::Pallet as Receipts;
use alloc::vec;
use frame_benchmarking::v2::*;
use frame_support::{pallet_prelude::*, traits::fungible::Mutate};
use frame_system::RawOrigin;
use sp_runtime::traits::{Bounded, Saturating};

const SEED: u32 = 0;

fn payer<T: Config>() -> T::AccountId {
	let who: T::AccountId = account("payer", 0, SEED);
	let quarter = BalanceOf::<T>::max_value().checked_div(&4u32.into()).unwrap_or_default();
	T::Currency::set_balance(&who, quarter);
	who
}

fn escrow_amount<T: Config>() -> BalanceOf<T> {
	1_000_000_000u32.into()
}

fn longest_url() -> BoundedVec<u8, MaxUrlLen> {
	BoundedVec::truncate_from(vec![b'u'; <MaxUrlLen as Get<u32>>::get() as usize])
}

/// A batch of `count` receipts from the helper's worker to `payer`; returns its id.
fn open_batch<T: Config>(payer: &T::AccountId, count: u64) -> BatchId {
	let (worker, model, version) = T::BenchmarkHelper::active_worker_and_model();
	let id = NextBatchId::<T>::get();
	let total: BalanceOf<T> = 1_000_000u32.into();
	let proposed = Receipts::<T>::do_propose_batch(
		worker,
		payer.clone(),
		model,
		version,
		(1, count),
		[1; 32],
		total,
		count,
		[2; 32],
		longest_url(),
	);
	assert!(proposed.is_ok(), "benchmark batch proposes");
	id
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn deposit() {
		let payer = payer::<T>();
		let amount = escrow_amount::<T>();

		#[extrinsic_call]
		_(RawOrigin::Signed(payer.clone()), amount);

		assert!(Escrows::<T>::contains_key(&payer));
	}

	#[benchmark]
	fn request_withdrawal() {
		let payer = payer::<T>();
		assert!(Receipts::<T>::do_deposit(payer.clone(), escrow_amount::<T>()).is_ok());

		#[extrinsic_call]
		_(RawOrigin::Signed(payer.clone()), 1_000u32.into());

		assert!(Escrows::<T>::get(&payer).is_some_and(|e| e.leaving.is_some()));
	}

	/// Worst case: the withdrawal empties the escrow and removes its record.
	#[benchmark]
	fn withdraw() {
		let payer = payer::<T>();
		let amount = escrow_amount::<T>();
		assert!(Receipts::<T>::do_deposit(payer.clone(), amount).is_ok());
		assert!(Receipts::<T>::do_request_withdrawal(payer.clone(), amount).is_ok());
		let later = frame_system::Pallet::<T>::block_number()
			.saturating_add(Params::<T>::get().withdrawal_delay);
		frame_system::Pallet::<T>::set_block_number(later);

		#[extrinsic_call]
		_(RawOrigin::Signed(payer.clone()));

		assert!(!Escrows::<T>::contains_key(&payer));
	}

	#[benchmark]
	fn add_gateway_key() {
		let payer = payer::<T>();

		#[extrinsic_call]
		_(RawOrigin::Signed(payer.clone()), [2; 33]);

		assert!(GatewayKeys::<T>::contains_key(&payer, [2; 33]));
	}

	#[benchmark]
	fn revoke_gateway_key() {
		let payer = payer::<T>();
		assert!(Receipts::<T>::do_add_gateway_key(payer.clone(), [2; 33]).is_ok());

		#[extrinsic_call]
		_(RawOrigin::Signed(payer.clone()), [2; 33]);

		assert!(GatewayKeys::<T>::get(&payer, [2; 33]).is_some_and(|k| k.revoked_from.is_some()));
	}

	#[benchmark]
	fn purge_gateway_key() {
		let payer = payer::<T>();
		assert!(Receipts::<T>::do_add_gateway_key(payer.clone(), [2; 33]).is_ok());
		assert!(Receipts::<T>::do_revoke_gateway_key(payer.clone(), [2; 33]).is_ok());
		let after = frame_system::Pallet::<T>::block_number()
			.saturating_add(Params::<T>::get().gateway_revocation_delay)
			.saturating_add(T::MaxChallengeWindow::get())
			.saturating_add(1u32.into());
		frame_system::Pallet::<T>::set_block_number(after);
		let caller: T::AccountId = whitelisted_caller();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), payer.clone(), [2; 33]);

		assert!(!GatewayKeys::<T>::contains_key(&payer, [2; 33]));
	}

	/// One receipt or a billion: the same work.
	#[benchmark]
	fn propose_batch() {
		let payer = payer::<T>();
		assert!(Receipts::<T>::do_deposit(payer.clone(), escrow_amount::<T>()).is_ok());
		let (worker, model, version) = T::BenchmarkHelper::active_worker_and_model();
		let count = 1_000_000_000u64;

		#[extrinsic_call]
		_(
			RawOrigin::Signed(worker),
			payer,
			model,
			version,
			1,
			count,
			[1; 32],
			1_000_000u32.into(),
			count,
			[2; 32],
			longest_url(),
		);

		assert!(Batches::<T>::contains_key(0));
	}

	/// Every share is paid to an existing account.
	#[benchmark]
	fn settle_batch() {
		let payer = payer::<T>();
		assert!(Receipts::<T>::do_deposit(payer.clone(), escrow_amount::<T>()).is_ok());
		let id = open_batch::<T>(&payer, 1_000);
		let until = Batches::<T>::get(id).map(|b| b.challenge_until).unwrap_or_default();
		frame_system::Pallet::<T>::set_block_number(until.saturating_add(1u32.into()));
		let caller: T::AccountId = whitelisted_caller();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), id);

		assert_eq!(Batches::<T>::get(id).map(|b| b.status), Some(BatchStatus::Paid));
	}

	#[benchmark]
	fn set_params() -> Result<(), BenchmarkError> {
		let origin =
			T::ParamsOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let mut params = Params::<T>::get();
		params.challenge_window.base = 1u32.into();

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, params);

		assert_eq!(Params::<T>::get(), params);
		Ok(())
	}

	/// `on_idle` removing `n` closed batches, each with the longest URL, all due.
	#[benchmark]
	fn prune_batches(n: Linear<0, 64>) -> Result<(), BenchmarkError> {
		let payer = payer::<T>();
		assert!(Receipts::<T>::do_deposit(payer.clone(), escrow_amount::<T>()).is_ok());
		let mut template = Batches::<T>::get(open_batch::<T>(&payer, 1))
			.ok_or(BenchmarkError::Stop("benchmark batch stored"))?;
		template.status = BatchStatus::Paid;
		let now = frame_system::Pallet::<T>::block_number();
		for id in 0..u64::from(n) {
			Batches::<T>::insert(id, template.clone());
			PruneQueue::<T>::insert(id, (id, now));
		}
		PruneQueueBounds::<T>::put((0, u64::from(n)));
		let expected = u64::from(n.min(T::MaxPrunedPerBlock::get()));

		#[block]
		{
			Receipts::<T>::prune_closed(now, Weight::MAX);
		}

		assert_eq!(PruneQueueBounds::<T>::get().0, expected);
		Ok(())
	}

	impl_benchmark_test_suite!(Receipts, crate::mock::new_test_ext(), crate::mock::Test);
}
