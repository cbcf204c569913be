//! `upstreams` (virtual hostnames with load balancing) and their `targets`.

use serde_json::{Value, json};

use super::typedefs::*;
use crate::kinds::check::{Condition, EntityCheck};
use crate::kinds::schema::{
    Auto, OnDelete, array, boolean, field, integer, map, number, record, string,
};
use crate::kinds::{Identity, Kind, Timestamps};

const HASH_ON: [&str; 8] = [
    "none",
    "consumer",
    "ip",
    "header",
    "cookie",
    "path",
    "query_arg",
    "uri_capture",
];

pub fn upstream() -> Kind {
    let schema = record(vec![
        id(),
        created_at(),
        updated_at(),
        field(
            "name",
            string()
                .required()
                .unique()
                .check("upstream_name", check_upstream_name),
        ),
        field(
            "algorithm",
            string().default("round-robin").one_of([
                "consistent-hashing",
                "least-connections",
                "round-robin",
                "latency",
            ]),
        ),
        field("hash_on", string().default("none").one_of(HASH_ON)),
        field("hash_fallback", string().default("none").one_of(HASH_ON)),
        field("hash_on_header", string()),
        field("hash_fallback_header", string()),
        field("hash_on_cookie", string()),
        field("hash_on_cookie_path", path().default("/")),
        field("hash_on_query_arg", string().len_min(1)),
        field("hash_fallback_query_arg", string().len_min(1)),
        field("hash_on_uri_capture", string().len_min(1)),
        field("hash_fallback_uri_capture", string().len_min(1)),
        field("slots", integer().default(10000).between(10.0, 65536.0)),
        field(
            "healthchecks",
            healthchecks().default(healthcheck_defaults()),
        ),
        tags(),
        field("host_header", host()),
        reference("client_certificate", "certificates", OnDelete::Restrict),
        field("use_srv_name", boolean().default(false)),
    ])
    .with_checks(vec![
        requires("hash_on", "header", "hash_on_header"),
        requires("hash_on", "cookie", "hash_on_cookie"),
        requires("hash_on", "query_arg", "hash_on_query_arg"),
        requires("hash_on", "uri_capture", "hash_on_uri_capture"),
        requires("hash_fallback", "header", "hash_fallback_header"),
        requires("hash_fallback", "cookie", "hash_on_cookie"),
        requires("hash_fallback", "query_arg", "hash_fallback_query_arg"),
        requires("hash_fallback", "uri_capture", "hash_fallback_uri_capture"),
        EntityCheck::Conditional {
            if_field: "hash_on",
            if_value: Condition::OneOf(vec![json!("none"), json!("cookie")]),
            then_field: "hash_fallback",
            then: Condition::OneOf(vec![json!("none")]),
        },
    ]);
    Kind::new("upstreams", schema, Identity::Fields(vec!["name"]), 2)
        .admin_paths("upstreams", "upstream")
        .event("upstream")
        .endpoint_key("name")
        .child("targets", "targets", "upstream")
}

pub fn target() -> Kind {
    let mut upstream = reference("upstream", "upstreams", OnDelete::Cascade);
    upstream.schema.required = true;
    let schema = record(vec![
        id(),
        field(
            "created_at",
            number().auto(Auto::TimestampMillis).server_managed(),
        ),
        field(
            "updated_at",
            number().auto(Auto::TimestampMillis).server_managed(),
        ),
        upstream,
        field("target", string().required().normalize(normalize_target)),
        field("weight", integer().default(100).between(0.0, 65535.0)),
        tags(),
    ]);
    Kind::new(
        "targets",
        schema,
        Identity::Fields(vec!["upstream", "target"]),
        3,
    )
    .event("target")
    .nested_only()
    .scoped_endpoint_key("target")
    .unique_together(vec!["upstream", "target"])
    .timestamps(Timestamps::Millis)
}

fn requires(field: &'static str, value: &str, then_field: &'static str) -> EntityCheck {
    EntityCheck::Conditional {
        if_field: field,
        if_value: Condition::OneOf(vec![Value::from(value)]),
        then_field,
        then: Condition::Required,
    }
}

fn check_upstream_name(value: &Value) -> Result<(), String> {
    let text = value.as_str().unwrap_or_default();
    if text.parse::<std::net::IpAddr>().is_ok() {
        return Err("Invalid name ('{text}'); no ip addresses allowed".replace("{text}", text));
    }
    if text.contains(':') {
        return Err(format!("Invalid name ('{text}'); no port allowed"));
    }
    check_host(value)
}

/// `host` → `host:8000`, `[::1]` → `[::1]:8000`; Kong stores targets normalised.
pub fn normalize_target(value: &Value) -> Result<Value, String> {
    let text = value.as_str().ok_or("expected a string")?;
    if text.is_empty() {
        return Err("length must be at least 1".into());
    }
    if let Ok(ip) = text.parse::<std::net::Ipv6Addr>() {
        return Ok(Value::from(format!("[{ip}]:8000")));
    }
    if let Some(rest) = text.strip_prefix('[') {
        let (ip, port) = rest
            .split_once(']')
            .ok_or("Invalid target; not a valid hostname or ip address")?;
        let ip: std::net::Ipv6Addr = ip
            .parse()
            .map_err(|_| "Invalid target; not a valid hostname or ip address")?;
        let port = match port.strip_prefix(':') {
            Some(p) => p
                .parse::<u16>()
                .map_err(|_| "Invalid target; not a valid port")?,
            None => 8000,
        };
        return Ok(Value::from(format!("[{ip}]:{port}")));
    }
    let (host, port) = match text.rsplit_once(':') {
        Some((host, port)) => (
            host,
            port.parse::<u16>()
                .map_err(|_| format!("Invalid target ('{text}'); not a valid port"))?,
        ),
        None => (text, 8000),
    };
    check_host(&Value::from(host))
        .map_err(|_| format!("Invalid target ('{text}'); not a valid hostname or ip address"))?;
    Ok(Value::from(format!("{host}:{port}")))
}

fn statuses() -> crate::kinds::schema::FieldSchema {
    array(integer().between(100.0, 999.0))
}

fn counter() -> crate::kinds::schema::FieldSchema {
    integer().between(0.0, 255.0)
}

fn interval() -> crate::kinds::schema::FieldSchema {
    number().between(0.0, 65535.0)
}

fn healthchecks() -> crate::kinds::schema::FieldSchema {
    let active = record(vec![
        field(
            "type",
            string().one_of(["tcp", "http", "https", "grpc", "grpcs"]),
        ),
        field("timeout", number().between(0.0, 65535.0)),
        field("concurrency", integer().between(1.0, 2147483648.0)),
        field("http_path", path()),
        field("https_sni", string()),
        field("https_verify_certificate", boolean()),
        field("headers", map(string(), array(string()))),
        field(
            "healthy",
            record(vec![
                field("interval", interval()),
                field("http_statuses", statuses()),
                field("successes", counter()),
            ]),
        ),
        field(
            "unhealthy",
            record(vec![
                field("interval", interval()),
                field("http_statuses", statuses()),
                field("tcp_failures", counter()),
                field("timeouts", counter()),
                field("http_failures", counter()),
            ]),
        ),
    ]);
    let passive = record(vec![
        field(
            "type",
            string().one_of(["tcp", "http", "https", "grpc", "grpcs"]),
        ),
        field(
            "healthy",
            record(vec![
                field("http_statuses", statuses()),
                field("successes", counter()),
            ]),
        ),
        field(
            "unhealthy",
            record(vec![
                field("http_statuses", statuses()),
                field("tcp_failures", counter()),
                field("timeouts", counter()),
                field("http_failures", counter()),
            ]),
        ),
    ]);
    record(vec![
        field("active", active),
        field("passive", passive),
        field("threshold", number().between(0.0, 100.0)),
    ])
}

/// Kong's full default healthcheck block (`upstreams.lua`).
pub fn healthcheck_defaults() -> Value {
    json!({
        "active": {
            "type": "http", "timeout": 1, "concurrency": 10, "http_path": "/",
            "https_sni": null, "https_verify_certificate": true, "headers": null,
            "healthy": {"interval": 0, "http_statuses": [200, 302], "successes": 0},
            "unhealthy": {"interval": 0, "http_statuses": [429, 404, 500, 501, 502, 503, 504, 505],
                          "tcp_failures": 0, "timeouts": 0, "http_failures": 0}
        },
        "passive": {
            "type": "http",
            "healthy": {"http_statuses": [200, 201, 202, 203, 204, 205, 206, 207, 208, 226,
                                          300, 301, 302, 303, 304, 305, 306, 307, 308],
                        "successes": 0},
            "unhealthy": {"http_statuses": [429, 500, 503], "tcp_failures": 0, "timeouts": 0,
                          "http_failures": 0}
        },
        "threshold": 0
    })
}
