//! Errors in OpenAI's shape: `{"error": {"message", "type", "code"}}` with the HTTP status
//! that goes with them, for the worker's and the gateway's refusals alike.

use axum::{
	http::StatusCode,
	response::{IntoResponse, Response},
	Json,
};
use serde_json::{json, Value};

/// A refused or failed request, as the client sees it.
#[derive(Debug)]
pub struct ApiError {
	pub status: StatusCode,
	/// OpenAI's error `type`, which follows from the status.
	pub kind: &'static str,
	/// What went wrong, for programs (`counter_used`, `model_not_found`, …).
	pub code: &'static str,
	/// What went wrong, for people.
	pub message: String,
}

impl ApiError {
	pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
		let kind = match status {
			StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => "authentication_error",
			StatusCode::TOO_MANY_REQUESTS => "rate_limit_error",
			StatusCode::PAYMENT_REQUIRED => "insufficient_quota",
			s if s.is_server_error() => "server_error",
			_ => "invalid_request_error",
		};
		Self { status, kind, code, message: message.into() }
	}

	pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
		Self::new(StatusCode::BAD_REQUEST, code, message)
	}

	/// A failure of the server itself (the store, the model, a task), not of the request.
	pub fn internal(error: impl std::fmt::Display) -> Self {
		Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", error.to_string())
	}

	/// The JSON body: a response's, or the `data` of a stream's error event.
	pub fn body(&self) -> Value {
		json!({ "error": { "message": self.message, "type": self.kind, "code": self.code } })
	}
}

impl IntoResponse for ApiError {
	fn into_response(self) -> Response {
		(self.status, Json(self.body())).into_response()
	}
}
