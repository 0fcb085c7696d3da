//! Locks that outlive a panic elsewhere.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `mutex` even if a panic poisoned it: everything the worker keeps behind a mutex is
/// plain data that every writer leaves whole, and a panicking task is reported by the
/// supervisor, so refusing the lock afterwards would only turn one failure into many.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
	mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
