//! Admission: at most `concurrency` requests generate at once and `queue` more wait for a
//! slot; any further request is answered 429 at once, so a burst cannot queue without bound
//! and a gateway can retry it elsewhere.

use std::sync::{
	atomic::{AtomicUsize, Ordering},
	Arc,
};

use axum::http::StatusCode;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::{metrics::Metrics, Limits};
use crate::openai::ApiError;

/// The model's slots and the places of the requests running or waiting for one.
pub(super) struct Admission {
	slots: Arc<Semaphore>,
	/// Requests running or waiting for a slot.
	admitted: Arc<AtomicUsize>,
	concurrency: usize,
	/// Running and waiting requests together.
	capacity: usize,
}

/// A request's right to generate: its place among the admitted and its model slot, both
/// given back when it is dropped (when the generation ends).
pub(super) struct Slot {
	_permit: OwnedSemaphorePermit,
	_place: Place,
}

impl Admission {
	pub(super) fn new(limits: &Limits) -> Self {
		let slots = limits.concurrency.max(1);
		Self {
			slots: Arc::new(Semaphore::new(slots)),
			admitted: Arc::new(AtomicUsize::new(0)),
			concurrency: limits.concurrency,
			capacity: slots.saturating_add(limits.queue),
		}
	}

	/// Takes a place among the running and waiting requests (or refuses when all are
	/// taken), then waits for a model slot.
	pub(super) async fn admit(&self, metrics: &Metrics) -> Result<Slot, ApiError> {
		let place = Place::take(self.admitted.clone());
		if place.position >= self.capacity {
			return Err(ApiError::new(
				StatusCode::TOO_MANY_REQUESTS,
				"overloaded",
				"the worker is at capacity; retry later or elsewhere",
			));
		}
		metrics.queued.inc();
		let permit = self.slots.clone().acquire_owned().await;
		metrics.queued.dec();
		Ok(Slot { _permit: permit.map_err(ApiError::internal)?, _place: place })
	}

	/// Requests generating now.
	pub(super) fn running(&self) -> usize {
		self.concurrency.saturating_sub(self.slots.available_permits())
	}

	/// Requests generating or waiting for a slot.
	pub(super) fn admitted(&self) -> usize {
		self.admitted.load(Ordering::Relaxed)
	}
}

/// A place among the admitted requests, given back when dropped.
struct Place {
	admitted: Arc<AtomicUsize>,
	/// How many were admitted before this one.
	position: usize,
}

impl Place {
	fn take(admitted: Arc<AtomicUsize>) -> Self {
		let position = admitted.fetch_add(1, Ordering::SeqCst);
		Self { admitted, position }
	}
}

impl Drop for Place {
	fn drop(&mut self) {
		self.admitted.fetch_sub(1, Ordering::SeqCst);
	}
}
