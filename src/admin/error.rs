//! Admin API failures, each rendered as one clear line.

use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Nothing answered at the address: one line with the likely fix.
    #[error(
        "cannot reach the Admin API at {addr}: {reason} — is the gateway running? `gwctl serve` starts one"
    )]
    Unreachable { addr: String, reason: String },
    #[error("the Admin API at {addr} did not answer within {seconds}s (raise --timeout?)")]
    Timeout { addr: String, seconds: u64 },
    /// The gateway answered with an error status; `message` is its own message, `fields` its
    /// field errors (Kong's error body).
    #[error("{method} {path}: HTTP {status}: {message}{}", render_fields(.fields))]
    Http {
        method: String,
        path: String,
        status: u16,
        message: String,
        fields: Option<Box<Value>>,
        body: Box<Value>,
    },
    #[error("{method} {path}: the gateway's answer is not the JSON expected: {detail}")]
    Decode {
        method: String,
        path: String,
        detail: String,
    },
    #[error("invalid Admin API configuration: {0}")]
    Config(String),
    #[error("request to {path} failed: {detail}")]
    Transport { path: String, detail: String },
}

impl AdminError {
    pub fn status(&self) -> Option<u16> {
        match self {
            AdminError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }
}

/// Kong's field errors flattened to `; a.b: msg` so nothing the gateway said is dropped.
fn render_fields(fields: &Option<Box<Value>>) -> String {
    let Some(Value::Object(map)) = fields.as_deref() else {
        return String::new();
    };
    let mut lines = Vec::new();
    flatten("", &Value::Object(map.clone()), &mut lines);
    if lines.is_empty() {
        String::new()
    } else {
        format!(" [{}]", lines.join("; "))
    }
}

fn flatten(prefix: &str, value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        Value::Array(items) => {
            let parts: Vec<String> = items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string())
                })
                .collect();
            out.push(format!("{prefix}: {}", parts.join(", ")));
        }
        Value::String(s) => out.push(format!("{prefix}: {s}")),
        other => out.push(format!("{prefix}: {other}")),
    }
}
