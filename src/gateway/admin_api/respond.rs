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
    json(error.status(), &error_body(error))
}

/// Kong's error body for a refused operation.
///
/// A reference that names its target by a unique field (`"service": {"name": "x"}`) and finds
/// nothing is Kong's code 13, "foreign keys unresolved" (`kong/db/dao/init.lua:resolve_foreign`,
/// `kong/db/errors.lua:foreign_keys_unresolved`); only a reference by id that finds nothing is
/// code 4. The store reports both as a foreign key error; the reference's shape tells them apart.
pub fn error_body(error: &EntityError) -> Value {
    if let EntityError::ForeignKey { message, fields } = error
        && let Some(body) = unresolved(message, fields)
    {
        return body;
    }
    error.body()
}

fn unresolved(message: &str, fields: &Value) -> Option<Value> {
    let rest = message.strip_prefix("the foreign key '")?;
    let target = rest
        .rsplit_once("' does not reference an existing '")?
        .1
        .strip_suffix("' entity.")?;
    let fields = fields.as_object()?;
    let (field, reference) = fields.iter().next().filter(|_| fields.len() == 1)?;
    let reference = reference.as_object()?;
    if reference.is_empty() || reference.contains_key("id") {
        return None;
    }
    let mut keys: Vec<&String> = reference.keys().collect();
    keys.sort();
    let mut out_fields = serde_json::Map::new();
    let mut parts = Vec::new();
    for key in keys {
        let value = match &reference[key] {
            Value::String(text) => format!("\"{text}\""),
            other => other.to_string(),
        };
        let shown = format!("{{{key}={value}}}");
        let text = format!(
            "the foreign key cannot be resolved with '{shown}' for an existing '{target}' entity"
        );
        parts.push(format!("{field}.{key}: {text}"));
        out_fields.insert(key.clone(), Value::from(text));
    }
    let message = if parts.len() == 1 {
        format!("foreign key unresolved ({})", parts[0])
    } else {
        format!(
            "{} foreign keys unresolved ({})",
            parts.len(),
            parts.join("; ")
        )
    };
    Some(json!({
        "code": 13,
        "name": "foreign keys unresolved",
        "message": message,
        "fields": { field.clone(): out_fields },
    }))
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
