//! `services`: an upstream API the gateway forwards to.

use serde_json::{Map, Value};

use super::typedefs::*;
use crate::kinds::check::{Condition, EntityCheck};
use crate::kinds::schema::{OnDelete, array, boolean, field, integer, record, string};
use crate::kinds::{Identity, Kind};

const PROTOCOLS: [&str; 8] = [
    "grpc",
    "grpcs",
    "http",
    "https",
    "tcp",
    "tls",
    "tls_passthrough",
    "udp",
];

pub fn kind() -> Kind {
    let schema = record(vec![
        id(),
        created_at(),
        updated_at(),
        field("name", utf8_name().unique()),
        field("retries", integer().default(5).between(0.0, 32767.0)),
        field(
            "protocol",
            string().required().default("http").one_of(PROTOCOLS),
        ),
        field("host", host().required()),
        field("port", port().required().default(80)),
        field("path", path()),
        field("connect_timeout", timeout()),
        field("write_timeout", timeout()),
        field("read_timeout", timeout()),
        tags(),
        reference("client_certificate", "certificates", OnDelete::Restrict),
        field("tls_verify", boolean()),
        field("tls_verify_depth", integer().between(0.0, 64.0)),
        field("ca_certificates", array(string().check("uuid", check_uuid))),
        enabled(),
    ])
    .with_checks(vec![
        EntityCheck::Conditional {
            if_field: "protocol",
            if_value: Condition::OneOf(values(&["tcp", "tls", "udp", "grpc", "grpcs"])),
            then_field: "path",
            then: Condition::Null,
        },
        tls_only("client_certificate"),
        tls_only("tls_verify"),
        tls_only("tls_verify_depth"),
        tls_only("ca_certificates"),
    ]);
    Kind::new("services", schema, Identity::Fields(vec!["name"]), 2)
        .admin_paths("services", "service")
        .event("service")
        .endpoint_key("name")
        .child("routes", "routes", "service")
        .child("plugins", "plugins", "service")
        .shorthand("url", expand_url)
}

fn values(items: &[&str]) -> Vec<Value> {
    items.iter().map(|s| Value::from(*s)).collect()
}

fn tls_only(field: &'static str) -> EntityCheck {
    EntityCheck::Conditional {
        if_field: "protocol",
        if_value: Condition::OneOf(values(&[
            "http",
            "grpc",
            "grpcs",
            "tcp",
            "udp",
            "tls_passthrough",
        ])),
        then_field: field,
        then: Condition::Null,
    }
}

/// Kong's `url` shorthand: scheme, host, port and path in one string.
fn expand_url(value: &Value, entity: &mut Map<String, Value>) -> Result<(), String> {
    let text = value.as_str().ok_or("expected a string")?;
    let parsed = url::Url::parse(text).map_err(|e| format!("invalid url '{text}': {e}"))?;
    let scheme = parsed.scheme().to_string();
    let host = parsed
        .host_str()
        .ok_or_else(|| format!("invalid url '{text}': missing host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = parsed
        .port()
        .unwrap_or(if scheme == "https" { 443 } else { 80 });
    entity.insert("protocol".into(), Value::from(scheme));
    entity.insert("host".into(), Value::from(host));
    entity.insert("port".into(), Value::from(port));
    // Kong keeps a path only when the URL has one: `http://h` → null, `http://h/` → `/`.
    let has_path = text
        .split_once("://")
        .map(|(_, rest)| rest.contains('/'))
        .unwrap_or(false);
    let path = if has_path {
        Value::from(parsed.path().to_string())
    } else {
        Value::Null
    };
    entity.insert("path".into(), path);
    Ok(())
}
