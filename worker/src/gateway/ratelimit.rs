//! Per-key token buckets: `burst` requests at once, refilled at `requests_per_minute`.

use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct TokenBucket {
	capacity: f64,
	per_second: f64,
	tokens: f64,
	last: Instant,
}

impl TokenBucket {
	/// A full bucket.
	pub fn new(requests_per_minute: u32, burst: u32, now: Instant) -> Self {
		let capacity = f64::from(burst.max(1));
		Self {
			capacity,
			per_second: f64::from(requests_per_minute.max(1)) / 60.0,
			tokens: capacity,
			last: now,
		}
	}

	/// Takes one request's token, or says how long until one is available.
	pub fn try_take(&mut self, now: Instant) -> Result<(), Duration> {
		let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
		self.tokens = (self.tokens + elapsed * self.per_second).min(self.capacity);
		self.last = now.max(self.last);
		if self.tokens >= 1.0 {
			self.tokens -= 1.0;
			Ok(())
		} else {
			Err(Duration::from_secs_f64((1.0 - self.tokens) / self.per_second))
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn burst_then_sustained_rate() {
		let start = Instant::now();
		// 60 per minute = one per second, three at once.
		let mut bucket = TokenBucket::new(60, 3, start);
		for _ in 0..3 {
			assert!(bucket.try_take(start).is_ok());
		}
		let wait = bucket.try_take(start).unwrap_err();
		assert_eq!(wait, Duration::from_secs(1));
		// Half a second later half a token has come back: half a second more to wait.
		let wait = bucket.try_take(start + Duration::from_millis(500)).unwrap_err();
		assert!((wait.as_secs_f64() - 0.5).abs() < 1e-9, "{wait:?}");
		assert!(bucket.try_take(start + Duration::from_secs(1)).is_ok());
		// A long quiet spell refills to the burst size, not beyond.
		let later = start + Duration::from_secs(3_600);
		for _ in 0..3 {
			assert!(bucket.try_take(later).is_ok());
		}
		assert!(bucket.try_take(later).is_err());
	}
}
