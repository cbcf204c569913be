//! Building Admin API responses: JSON bodies, Kong's error bodies, and the headers every
//! response carries.

use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, StatusCode, header};
use serde_json::{Value, json};

use crate::gateway::store::{EntityError, WriteError};

/// A response with a JSON body already serialised.
pub fn json_text(status: u16, body: impl Into<String>) -> Response {
    let mut response = Response::new(Body::from(body.into()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

pub fn json(status: u16, body: &Value) -> Response {
    json_text(status, body.to_string())
}

/// `{"message": …}` with a status.
pub fn message(status: u16, text: impl std::fmt::Display) -> Response {
    json(status, &json!({ "message": text.to_string() }))
}

pub fn not_found() -> Response {
    message(404, "Not found")
}

pub fn no_content() -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

pub fn internal() -> Response {
    message(500, "An unexpected error occurred")
}

pub fn entity_error(error: &EntityError) -> Response {
    json(error.status(), &error.body())
}

/// A refused single-request write.
pub fn write_error(error: &WriteError) -> Response {
    match error {
        WriteError::Op { error, .. } => entity_error(error),
        WriteError::RevisionMismatch { expected, current } => json(
            412,
            &json!({
                "message": format!(
                    "the configuration changed: expected revision {expected}, current revision is {current}"
                ),
                "revision": current,
            }),
        ),
        WriteError::Storage(_) => internal(),
    }
}

/// The revision as an entity tag: `"42"`.
pub fn etag(revision: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{revision}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// Parses `If-Match`: `None` for `*` (any revision); `Err` when it is not a revision tag.
pub fn if_match(value: &HeaderValue) -> Result<Option<u64>, Response> {
    let text = value.to_str().unwrap_or_default().trim();
    if text == "*" {
        return Ok(None);
    }
    let first = text.split(',').next().unwrap_or_default().trim();
    let bare = first.trim_start_matches("W/").trim_matches('"');
    bare.parse::<u64>().map(Some).map_err(|_| {
        message(
            400,
            "If-Match must hold a revision entity tag such as \"42\" (see the ETag header)",
        )
    })
}
