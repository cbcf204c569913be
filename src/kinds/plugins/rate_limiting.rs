//! rate-limiting: counts requests per window and rejects the excess with 429.

use serde_json::{Map, Value};

use crate::kinds::PluginDef;
use crate::kinds::check::{Condition, EntityCheck};
use crate::kinds::schema::{boolean, field, integer, number, record, string};

/// The windows, smallest first; a larger window's limit must be ≥ a smaller one's.
pub const WINDOWS: [&str; 6] = ["second", "minute", "hour", "day", "month", "year"];

pub fn plugin() -> PluginDef {
    let mut fields: Vec<_> = WINDOWS.iter().map(|w| field(w, number().gt(0.0))).collect();
    fields.extend([
        field(
            "limit_by",
            string().default("consumer").one_of([
                "consumer",
                "credential",
                "ip",
                "service",
                "header",
                "path",
            ]),
        ),
        field("header_name", string()),
        field("path", string().starts_with("/")),
        field(
            "policy",
            string()
                .default("local")
                .one_of(["local", "cluster", "redis"]),
        ),
        field("fault_tolerant", boolean().required().default(true)),
        field(
            "redis",
            record(vec![
                field("host", string()),
                field("port", integer().default(6379).between(0.0, 65535.0)),
                field("timeout", integer().default(2000)),
                field("username", string()),
                field("password", string().secret()),
                field("database", integer().default(0)),
                field("ssl", boolean().default(false)),
                field("ssl_verify", boolean().default(false)),
                field("server_name", string()),
            ])
            .required(),
        ),
        field("hide_client_headers", boolean().required().default(false)),
        field("error_code", number().default(429).gt(0.0)),
        field("error_message", string().default("API rate limit exceeded")),
        field("sync_rate", number().required().default(-1)),
    ]);
    let config = record(fields).with_checks(vec![
        EntityCheck::AtLeastOneOf(WINDOWS.to_vec()),
        EntityCheck::Custom {
            name: "windows_ordered",
            fields: WINDOWS.to_vec(),
            rule: check_windows_ordered,
        },
        conditional("limit_by", "header", "header_name"),
        conditional("limit_by", "path", "path"),
        conditional("policy", "redis", "redis.host"),
    ]);
    super::define("rate-limiting", 910, config, false, false, vec![])
}

fn conditional(field: &'static str, value: &str, then_field: &'static str) -> EntityCheck {
    EntityCheck::Conditional {
        if_field: field,
        if_value: Condition::OneOf(vec![Value::from(value)]),
        then_field,
        then: Condition::Required,
    }
}

/// Kong: "The limit for hour(1.0) cannot be lower than the limit for minute(2.0)".
fn check_windows_ordered(config: &Map<String, Value>) -> Vec<(Option<&'static str>, String)> {
    let set: Vec<(&str, f64)> = WINDOWS
        .iter()
        .filter_map(|w| config.get(*w).and_then(Value::as_f64).map(|v| (*w, v)))
        .collect();
    let mut out = Vec::new();
    for pair in set.windows(2) {
        let ((small, small_limit), (large, large_limit)) = (pair[0], pair[1]);
        if large_limit < small_limit {
            out.push((
                None,
                format!(
                    "The limit for {large}({large_limit:.1}) cannot be lower than the limit for {small}({small_limit:.1})"
                ),
            ));
        }
    }
    out
}
