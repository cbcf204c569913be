//! Plugin schemas: each plugin's `config` record, defaults and cross-field rules, as Kong has
//! them. Runtime behaviour lives beside the gateway (`gateway::plugins`), keyed by name.

mod acl;
mod ai_proxy;
mod cors;
mod jwt;
mod key_auth;
mod rate_limiting;

use serde_json::Value;

use super::check::EntityCheck;
use super::entities::ALL_PROTOCOLS;
use super::schema::{Field, FieldSchema, field, foreign, set, string};
use super::{PluginDef, Subschema};

/// Every plugin gwctl knows, highest priority first (the order they run in).
pub fn all() -> Vec<PluginDef> {
    let mut plugins = vec![
        cors::plugin(),
        jwt::plugin(),
        key_auth::plugin(),
        acl::plugin(),
        rate_limiting::plugin(),
        ai_proxy::plugin(),
    ];
    plugins.sort_by_key(|p| -p.priority);
    plugins
}

/// Builds a plugin definition from its config record and options.
pub(crate) fn define(
    name: &'static str,
    priority: i64,
    config: FieldSchema,
    http_only: bool,
    no_consumer: bool,
    checks: Vec<EntityCheck>,
) -> PluginDef {
    let mut fields: Vec<Field> = vec![field("config", config.required())];
    if http_only {
        fields.push(field(
            "protocols",
            set(string().one_of(["grpc", "grpcs", "http", "https"]))
                .required()
                .len_min(1)
                .default(Value::from(vec!["grpc", "grpcs", "http", "https"])),
        ));
    } else {
        fields.push(field(
            "protocols",
            set(string().one_of(ALL_PROTOCOLS[..8].iter().copied()))
                .required()
                .len_min(1)
                .default(Value::from(vec!["grpc", "grpcs", "http", "https"])),
        ));
    }
    if no_consumer {
        fields.push(field(
            "consumer",
            foreign("consumers").check("no_consumer", |_| Err("value must be null".to_string())),
        ));
    }
    PluginDef {
        name,
        priority,
        version: env!("CARGO_PKG_VERSION"),
        schema: Subschema { fields, checks },
    }
}
