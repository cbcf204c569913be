//! Admin API failures, each rendered as one clear line.

use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Nothing answered at the address: one line with the likely fix.
    #[error(
        "cannot reach the Admin API at {addr}: {reason} — is the gateway running? `gwctl serve` starts one"
    )]
    Unreachable { addr: String, reason: String },
    /// Something answered at the address, but not an Admin API: `GET /`, which every Admin
    /// API answers, got a 404 or a body that is not JSON (a proxy port, usually).
    #[error(
        "{addr} is not a gateway's Admin API: GET / answered {answer}. {hint}Kong's Admin API is usually on port 8001; `gwctl serve` prints its Admin API address when it starts"
    )]
    NotAdminApi {
        addr: String,
        answer: String,
        /// `This looks like a gateway's proxy port. ` when the answer is a proxy's own (Kong's
        /// `no Route matched with those values`), else empty.
        hint: String,
    },
    /// The address's scheme does not match what the server speaks: https:// to a plain-HTTP
    /// port, or http:// to a TLS port.
    #[error("cannot reach the Admin API at {addr}: {problem}; {advice}")]
    WrongScheme {
        addr: String,
        problem: String,
        advice: String,
    },
    /// The server speaks TLS, but its certificate is not one gwctl trusts.
    #[error(
        "cannot reach the Admin API at {addr}: its TLS certificate is not trusted ({reason}); pass --ca-cert FILE with the CA that signed it, or --tls-skip-verify"
    )]
    UntrustedCertificate { addr: String, reason: String },
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
