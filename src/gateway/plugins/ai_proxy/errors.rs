//! The gateway's own ai-proxy errors, in the shape OpenAI clients already parse:
//! `{"error":{"message":"…"}}` (also Kong's shape).

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use serde_json::json;

use crate::gateway::plugins::Body;

/// An error answered to the client instead of forwarding the request.
#[derive(Debug, Clone, PartialEq)]
pub struct AiError {
    pub status: StatusCode,
    pub message: String,
}

impl AiError {
    pub fn bad_request(message: impl Into<String>) -> AiError {
        AiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    pub fn new(status: StatusCode, message: impl Into<String>) -> AiError {
        AiError {
            status,
            message: message.into(),
        }
    }

    pub fn body(&self) -> Bytes {
        error_body(&self.message)
    }

    pub fn into_response(self) -> Response<Body> {
        json_response(self.status, self.body())
    }
}

/// `{"error":{"message": message}}` as bytes.
pub fn error_body(message: &str) -> Bytes {
    Bytes::from(json!({"error": {"message": message}}).to_string())
}

/// A body made of one buffer.
pub fn full_body(bytes: Bytes) -> Body {
    Full::new(bytes).map_err(|never| match never {}).boxed()
}

/// A JSON response with a correct `Content-Length`.
pub fn json_response(status: StatusCode, bytes: Bytes) -> Response<Body> {
    let len = bytes.len();
    let mut response = Response::new(full_body(bytes));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    response
}
