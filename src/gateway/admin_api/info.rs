//! The endpoints that are not entities: `/`, `/status`, `/endpoints`, `/plugins/enabled`,
//! `/tags`, `/schemas/...`.

use std::sync::atomic::Ordering;

use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use super::Ctx;
use super::body::Parsed;
use super::respond::{self, message};
use super::routes::templates;
use crate::gateway::store::{EntityError, ListQuery, parse_entity};
use crate::kinds::export::kong;
use crate::kinds::validate::{Coerce, Options, UnknownSubschema, process_entity};
use crate::kinds::{Kind, registry};

/// The Kong version this Admin API behaves like (decK reads `version` to pick its rules).
pub const KONG_COMPATIBLE_VERSION: &str = "3.9.1";

fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// Names of plugins configured at least once.
fn plugins_in_use(ctx: &Ctx) -> Vec<String> {
    let Some(kind) = registry().kind("plugins") else {
        return vec![];
    };
    let query = ListQuery {
        size: usize::MAX,
        ..ListQuery::default()
    };
    let mut names: Vec<String> = ctx
        .state
        .store
        .list(kind, &query)
        .items
        .iter()
        .filter_map(|p| {
            parse_entity(p)
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

pub fn root(ctx: &Ctx) -> Response {
    let available: Map<String, Value> = registry()
        .plugins()
        .iter()
        .map(|p| {
            (
                p.name.to_string(),
                json!({"version": p.version, "priority": p.priority}),
            )
        })
        .collect();
    let options = &ctx.state.options;
    let pid = std::process::id();
    respond::json(
        200,
        &json!({
            "tagline": "Welcome to kong",
            "version": KONG_COMPATIBLE_VERSION,
            "edition": "community",
            "hostname": hostname(),
            "node_id": ctx.state.node_id,
            "timers": {"running": 0, "pending": 0},
            "pids": {"master": pid, "workers": [pid]},
            "plugins": {
                "available_on_server": available,
                "enabled_in_cluster": plugins_in_use(ctx),
            },
            "configuration": {
                "database": "sqlite",
                "admin_listen": [options.admin_listen],
                "router_flavor": "traditional_compatible",
                "role": "traditional",
                "admin_token": if options.token.is_some() { "required" } else { "none" },
            },
            "gwctl": {
                "version": env!("CARGO_PKG_VERSION"),
                "revision": ctx.state.store.revision(),
                "etag": true,
                "if_match": true,
                "batch": "/batch",
                "store": "sqlite",
            },
        }),
    )
}

pub fn status(ctx: &Ctx) -> Response {
    let total = ctx.state.requests.load(Ordering::Relaxed);
    respond::json(
        200,
        &json!({
            "database": {"reachable": true},
            "server": {
                "total_requests": total,
                "connections_active": 1,
                "connections_accepted": total,
                "connections_handled": total,
                "connections_reading": 0,
                "connections_writing": 1,
                "connections_waiting": 0,
            },
            "memory": {"workers_lua_vms": [], "lua_shared_dicts": {}},
            "gwctl": {
                "revision": ctx.state.store.revision(),
                "uptime_seconds": ctx.state.started.elapsed().as_secs(),
            },
        }),
    )
}

pub fn endpoints() -> Response {
    let mut paths: Vec<&str> = templates().iter().map(|t| t.path.as_str()).collect();
    paths.sort_unstable();
    respond::json(200, &json!({ "data": paths }))
}

pub fn plugins_enabled() -> Response {
    let mut names: Vec<&str> = registry().plugins().iter().map(|p| p.name).collect();
    names.sort_unstable();
    respond::json(200, &json!({ "enabled_plugins": names }))
}

/// `/tags` and `/tags/{tag}`: every (entity, tag) pair, paged like any list.
pub fn tags(ctx: &Ctx, only: Option<&str>) -> Response {
    let mut size = 100usize;
    let mut start = 0usize;
    for (name, value) in &ctx.query {
        match name.as_str() {
            "size" => match super::entities::parse_size(value) {
                Ok(n) => size = n,
                Err(response) => return response,
            },
            "offset" => match URL_SAFE_NO_PAD
                .decode(value)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| s.parse::<usize>().ok())
            {
                Some(n) => start = n,
                None => {
                    return respond::json(
                        400,
                        &json!({"code": 7, "name": "invalid offset",
                        "message": format!("'{value}' is not a valid offset: bad base64 encoding")}),
                    );
                }
            },
            _ => {}
        }
    }
    let all = ctx.state.store.tags(only);
    let data: Vec<Value> = all
        .iter()
        .skip(start)
        .take(size)
        .map(|(kind, id, tag)| json!({"entity_name": kind, "entity_id": &**id, "tag": tag}))
        .collect();
    let mut body = json!({ "data": data, "next": null });
    if start + size < all.len() {
        let token = URL_SAFE_NO_PAD.encode((start + size).to_string());
        body["next"] = Value::from(format!("{}?offset={token}", ctx.path));
        body["offset"] = Value::from(token);
    }
    respond::json(200, &body)
}

/// A kind by its DAO name (`keyauth_credentials`) or its Admin API path (`key-auths`).
fn kind_named(name: &str) -> Option<&'static Kind> {
    registry()
        .kind(name)
        .or_else(|| registry().kind_by_admin_path(name))
}

pub fn schema(name: &str) -> Response {
    match kind_named(name) {
        Some(kind) => respond::json(200, &kong::entity_schema(kind)),
        None => message(404, format!("No entity named '{name}'")),
    }
}

pub fn plugin_schema(name: &str) -> Response {
    match registry().plugin(name) {
        Some(plugin) => respond::json(200, &kong::plugin_schema(plugin)),
        None => message(404, format!("No plugin named '{name}'")),
    }
}

/// `POST /schemas/{kind}/validate`: the schema checks of an insert, without uniqueness or
/// references.
pub fn validate(name: &str, body: Parsed) -> Response {
    let Some(kind) = kind_named(name) else {
        return message(404, format!("No entity named '{name}'"));
    };
    let mut fields = body.fields;
    let options = Options {
        fill_defaults: true,
        fill_nulls: false,
        coerce: if body.form {
            Coerce::Always
        } else {
            Coerce::Never
        },
        unknown_subschema: UnknownSubschema::Reject,
        check_required: true,
    };
    let violations = process_entity(registry(), kind, &mut fields, options);
    if violations.is_empty() {
        respond::json(200, &json!({"message": "schema validation successful"}))
    } else {
        respond::entity_error(&EntityError::Schema(violations))
    }
}
