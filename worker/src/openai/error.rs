//! Errors in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}` with the HTTP
//! status that goes with them, for the worker's and the gateway's refusals alike.

use axum::{
	extract::rejection::BytesRejection,
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
	/// The request field the error is about (`temperature`, `messages[0].content`), if any.
	pub param: Option<String>,
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
		Self { status, kind, code, message: message.into(), param: None }
	}

	pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
		Self::new(StatusCode::BAD_REQUEST, code, message)
	}

	/// A 400 about the request field `param`.
	pub fn invalid_param(
		code: &'static str,
		param: impl Into<String>,
		message: impl Into<String>,
	) -> Self {
		Self { param: Some(param.into()), ..Self::bad_request(code, message) }
	}

	/// A failure of the server itself (the store, the model, a task), not of the request.
	pub fn internal(error: impl std::fmt::Display) -> Self {
		Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", error.to_string())
	}

	/// A request body that could not be read: larger than `limit` bytes (413), or cut short.
	pub fn unreadable_body(rejection: &BytesRejection, limit: usize) -> Self {
		let status = rejection.status();
		if status == StatusCode::PAYLOAD_TOO_LARGE {
			return Self::new(
				status,
				"request_too_large",
				format!(
					"the request body is larger than {limit} bytes, the most this server reads"
				),
			);
		}
		Self::new(status, "invalid_body", rejection.body_text())
	}

	/// The JSON body: a response's, or the `data` of a stream's error event.
	pub fn body(&self) -> Value {
		json!({ "error": {
			"message": self.message,
			"type": self.kind,
			"param": self.param,
			"code": self.code,
		} })
	}
}

impl IntoResponse for ApiError {
	fn into_response(self) -> Response {
		(self.status, Json(self.body())).into_response()
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_body_has_openai_s_four_fields_with_param_null_when_there_is_none() {
		let plain = ApiError::bad_request("invalid_json", "no");
		assert_eq!(
			plain.body(),
			json!({ "error": {
				"message": "no", "type": "invalid_request_error", "param": null, "code": "invalid_json"
			} })
		);
		let about = ApiError::invalid_param("invalid_value", "top_p", "too big");
		assert_eq!(about.status, StatusCode::BAD_REQUEST);
		assert_eq!(about.body()["error"]["param"], "top_p");
	}
}
