//! Server-sent events, the stream a streaming answer travels in: the worker writes one, the
//! gateway reads it and writes it on to the client.

use std::convert::Infallible;

use axum::response::{
	sse::{Event, Sse},
	IntoResponse, Response,
};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

/// The `data` of a stream's last event.
pub const DONE: &str = "[DONE]";

/// Events written but not yet taken by the client; a writer waits when the client lags this
/// far behind.
const BUFFERED_EVENTS: usize = 64;

/// The client closed the stream.
#[derive(Debug, thiserror::Error)]
#[error("the client went away")]
pub struct ClientGone;

/// The writing end of an event stream whose reading end is a response to the client.
pub struct EventSender(mpsc::Sender<Result<Event, Infallible>>);

/// A new event stream: the sender for the task that produces the events, and the response
/// that carries them to the client.
pub fn stream() -> (EventSender, Response) {
	let (events, events_out) = mpsc::channel(BUFFERED_EVENTS);
	(EventSender(events), Sse::new(ReceiverStream::new(events_out)).into_response())
}

impl EventSender {
	/// Sends one event carrying `data`.
	pub async fn send(&self, data: impl AsRef<str>) -> Result<(), ClientGone> {
		self.0.send(Ok(Event::default().data(data))).await.map_err(|_| ClientGone)
	}
}

/// Reads the events of a byte stream as the bytes arrive, in whatever pieces.
#[derive(Debug, Default)]
pub struct EventReader {
	buffer: Vec<u8>,
}

impl EventReader {
	pub fn push(&mut self, bytes: &[u8]) {
		self.buffer.extend_from_slice(bytes);
	}

	/// The `data` of the next complete event that has any (its `data:` lines joined by
	/// newlines); the events before it without data are passed over.
	pub fn next_data(&mut self) -> Option<String> {
		while let Some((length, separator)) = self.event_end() {
			let event: Vec<u8> = self.buffer.drain(..length + separator).collect();
			if let Some(data) = event.get(..length).and_then(event_data) {
				return Some(data);
			}
		}
		None
	}

	/// Where the first complete event ends: its length and the blank line's.
	fn event_end(&self) -> Option<(usize, usize)> {
		let lf = self.buffer.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2));
		let crlf = self.buffer.windows(4).position(|w| w == b"\r\n\r\n").map(|i| (i, 4));
		match (lf, crlf) {
			(Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
			(a, b) => a.or(b),
		}
	}
}

/// The `data:` lines of one event, joined by newlines.
fn event_data(event: &[u8]) -> Option<String> {
	let text = std::str::from_utf8(event).ok()?;
	let lines: Vec<&str> = text
		.lines()
		.filter_map(|line| line.strip_prefix("data:"))
		.map(|data| data.strip_prefix(' ').unwrap_or(data))
		.collect();
	(!lines.is_empty()).then(|| lines.join("\n"))
}
