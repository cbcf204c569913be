//! `GET /`: the gateway's version, and gwctl's extensions when the target advertises them.

use serde_json::Value;

use super::client::AdminClient;
use super::error::AdminError;

/// gwctl extensions a target may advertise (Kong has none of these).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extensions {
    /// The config revision, incremented by every write (also sent as `ETag`).
    pub revision: Option<String>,
    /// Path of the all-or-nothing batch endpoint.
    pub batch: Option<String>,
    /// Whether writes honour `If-Match` with the revision (412 when it moved).
    pub conditional_writes: bool,
}

#[derive(Debug, Clone)]
pub struct GatewayInfo {
    pub version: String,
    pub edition: Option<String>,
    pub hostname: Option<String>,
    pub extensions: Extensions,
    /// True when the target is gwctl's own gateway (its `/schemas` come from our registry).
    pub bundled: bool,
}

impl AdminClient {
    pub async fn info(&self) -> Result<GatewayInfo, AdminError> {
        let answer = self.get("/").await?;
        Ok(parse_info(&answer.body, answer.etag))
    }
}

/// Reads `GET /`. Extensions are looked for under a `gwctl` object
/// (`{"gwctl": {"revision": 3, "batch": "/batch", "if_match": true}}`), or an `extensions`
/// object of the same shape.
pub fn parse_info(body: &Value, etag: Option<String>) -> GatewayInfo {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let ext = body.get("gwctl").or_else(|| body.get("extensions"));
    let revision = ext
        .and_then(|e| e.get("revision"))
        .and_then(|r| match r {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .or(etag);
    let batch = ext.and_then(|e| e.get("batch")).and_then(|b| match b {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("path").and_then(Value::as_str).map(str::to_string),
        Value::Bool(true) => Some("/batch".to_string()),
        _ => None,
    });
    let conditional_writes = ext
        .and_then(|e| e.get("if_match").or_else(|| e.get("conditional_writes")))
        .and_then(Value::as_bool)
        .unwrap_or(revision.is_some() && ext.is_some());
    GatewayInfo {
        version: text(body.get("version")).unwrap_or_else(|| "unknown".into()),
        edition: text(body.get("edition")),
        hostname: text(body.get("hostname")),
        bundled: ext.is_some(),
        extensions: Extensions {
            revision: if ext.is_some() { revision } else { None },
            batch,
            conditional_writes,
        },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn kong_has_no_extensions() {
        let info = parse_info(&json!({"version": "3.9.1", "edition": "community"}), None);
        assert_eq!(info.version, "3.9.1");
        assert_eq!(info.extensions, Extensions::default());
        assert!(!info.bundled);
    }

    #[test]
    fn gwctl_extensions_are_detected() {
        let info = parse_info(
            &json!({"version": "3.9.0", "gwctl": {"revision": 7, "batch": "/batch"}}),
            None,
        );
        assert_eq!(info.extensions.revision.as_deref(), Some("7"));
        assert_eq!(info.extensions.batch.as_deref(), Some("/batch"));
        assert!(info.bundled);
    }
}
