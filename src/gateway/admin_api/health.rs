//! Kong's health endpoints: `GET /upstreams/{u}/health` reports each target's health as the
//! proxy's checks see it, and `PUT /upstreams/{u}/targets/{t}/healthy|unhealthy` sets it by
//! hand (until the checks next change it).

use axum::response::Response;
use serde_json::{Value, json};

use super::Ctx;
use super::respond::{json, no_content, not_found};
use crate::gateway::store::{ListQuery, Scope};
use crate::kinds::{Kind, registry};

/// The targets kind and the id of the upstream the first path parameter names.
fn upstream(ctx: &Ctx) -> Option<(&'static Kind, String)> {
    let registry = registry();
    let (upstreams, targets) = (registry.kind("upstreams")?, registry.kind("targets")?);
    let id = ctx
        .state
        .store
        .resolve(upstreams, &ctx.matched.key(0), None)?;
    Some((targets, id))
}

/// `GET /upstreams/{u}/health`: the upstream's targets, each with `health` `HEALTHY`,
/// `UNHEALTHY`, or `HEALTHCHECKS_OFF` when its upstream runs no checks (or no proxy balances
/// over it yet).
pub fn report(ctx: &Ctx) -> Response {
    let Some((targets, upstream_id)) = upstream(ctx) else {
        return not_found();
    };
    let query = ListQuery {
        size: usize::MAX,
        parent: Some(("upstreams", upstream_id.clone(), "upstream")),
        ..ListQuery::default()
    };
    let data: Vec<Value> = ctx
        .state
        .store
        .list(targets, &query)
        .items
        .iter()
        .map(|text| {
            let mut target = rendered(text);
            let address = target.get("target").and_then(Value::as_str).unwrap_or("");
            let health = health_of(ctx, &upstream_id, address);
            target.insert("health".into(), Value::from(health));
            target.insert("data".into(), json!({}));
            Value::Object(target)
        })
        .collect();
    json(
        200,
        &json!({"data": data, "next": null, "node_id": ctx.state.node_id}),
    )
}

/// A stored entity as the Admin API renders it (nulls kept).
fn rendered(text: &str) -> serde_json::Map<String, Value> {
    serde_json::from_str(text).unwrap_or_default()
}

fn health_of(ctx: &Ctx, upstream_id: &str, target: &str) -> &'static str {
    match ctx.state.health.get(upstream_id, target) {
        Some((health, true)) => {
            if health.is_healthy() {
                "HEALTHY"
            } else {
                "UNHEALTHY"
            }
        }
        _ => "HEALTHCHECKS_OFF",
    }
}

/// `PUT /upstreams/{u}/targets/{t}/healthy` (or `unhealthy`): 204, or 404 when the target
/// is unknown or no proxy balances over it.
pub fn set(ctx: &Ctx, healthy: bool) -> Response {
    let Some((targets, upstream_id)) = upstream(ctx) else {
        return not_found();
    };
    let scope = Scope {
        field: "upstream",
        parent_id: upstream_id.clone(),
    };
    let Some(text) = ctx
        .state
        .store
        .get(targets, &ctx.matched.key(1), Some(&scope))
    else {
        return not_found();
    };
    let target = rendered(&text);
    let address = target.get("target").and_then(Value::as_str).unwrap_or("");
    match ctx.state.health.get(&upstream_id, address) {
        Some((health, _)) => {
            health.set(healthy);
            no_content()
        }
        None => not_found(),
    }
}
