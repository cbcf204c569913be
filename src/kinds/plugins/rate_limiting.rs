//! rate-limiting: counts requests per window and rejects the excess with 429.

use serde_json::{Map, Value};

use crate::kinds::PluginDef;
use crate::kinds::check::{Condition, EntityCheck};
use crate::kinds::entities::typedefs;
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
        // Kong's `typedefs.header_name` and `typedefs.path`. Checked here because a name the
        // runtime cannot use would leave the plugin out of the proxy, i.e. unlimited traffic.
        field(
            "header_name",
            string().check("header_name", typedefs::check_header_name),
        ),
        field("path", typedefs::path()),
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
            fields: [WINDOWS.as_slice(), &["policy", "sync_rate"]].concat(),
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

/// Kong's `validate_periods_order`, which also rules on `sync_rate`. Like Kong it reports the
/// first problem only, comparing each window with every larger one: "The limit for hour(1.0)
/// cannot be lower than the limit for minute(2.0)".
fn check_windows_ordered(config: &Map<String, Value>) -> Vec<(Option<&'static str>, String)> {
    let set: Vec<(&str, f64)> = WINDOWS
        .iter()
        .filter_map(|w| config.get(*w).and_then(Value::as_f64).map(|v| (*w, v)))
        .collect();
    for (i, &(small, small_limit)) in set.iter().enumerate() {
        if let Some(&(large, large_limit)) = set[i + 1..].iter().find(|(_, l)| *l < small_limit) {
            return vec![(
                None,
                format!(
                    "The limit for {large}({large_limit:.1}) cannot be lower than the limit for {small}({small_limit:.1})"
                ),
            )];
        }
    }
    check_sync_rate(config).map_or_else(Vec::new, |e| vec![(None, e.to_string())])
}

/// `sync_rate` only means something to the redis policy (which batches its writes); Kong
/// refuses it elsewhere rather than ignoring it.
fn check_sync_rate(config: &Map<String, Value>) -> Option<&'static str> {
    let sync_rate = config
        .get("sync_rate")
        .and_then(Value::as_f64)
        .unwrap_or(-1.0);
    if sync_rate == -1.0 {
        return None;
    }
    if config.get("policy").and_then(Value::as_str) != Some("redis") {
        return Some("sync_rate can only be used with the redis policy");
    }
    (sync_rate < 0.02).then_some("sync_rate must be greater than 0.02, or -1 to disable")
}
