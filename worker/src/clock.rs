//! Wall-clock time as receipts, authorisations and OpenAI bodies carry it: time since the
//! Unix epoch.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch (0 on a clock set before it).
pub fn unix_ms() -> u64 {
	since_epoch(SystemTime::now()).map_or(0, |elapsed| saturating_u64(elapsed.as_millis()))
}

/// Microseconds since the Unix epoch (0 on a clock set before it).
pub fn unix_micros() -> u64 {
	since_epoch(SystemTime::now()).map_or(0, |elapsed| saturating_u64(elapsed.as_micros()))
}

/// The Unix time in milliseconds `ahead` from now (`u64::MAX` beyond what the clock holds).
pub fn unix_ms_after(ahead: Duration) -> u64 {
	SystemTime::now()
		.checked_add(ahead)
		.and_then(since_epoch)
		.map_or(u64::MAX, |elapsed| saturating_u64(elapsed.as_millis()))
}

fn since_epoch(time: SystemTime) -> Option<Duration> {
	time.duration_since(UNIX_EPOCH).ok()
}

fn saturating_u64(value: u128) -> u64 {
	u64::try_from(value).unwrap_or(u64::MAX)
}
