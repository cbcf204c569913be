//! `POST /batch`: an ordered list of operations applied in ONE transaction, all or nothing.
//!
//! Request: `{"if_revision": 7?, "operations": [{"op": "create"|"put"|"patch"|"delete",
//! "kind": "services", "key": "<id or endpoint key>", "body": {…}}, …]}`.
//! Success (200): `{"revision": N, "results": [{"status": 201, "entity": {…}}, …]}`.
//! Failure: the failing operation's status (400/404/409), or 412 for a stale revision, with
//! `{"message": …, "revision": current, "failed_operation": {"index": i, "status": s,
//! "error": <Kong error body>}}`. See the README, "The bundled gateway".

use axum::response::Response;
use http::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::Ctx;
use super::respond::{self, json_text};
use crate::gateway::store::{Action, EntityError, Key, Op, WriteError};
use crate::kinds::{Kind, registry};

/// The request body, for clients (the sync command) that build it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BatchRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_revision: Option<u64>,
    pub operations: Vec<BatchOperation>,
}

/// One operation: `op` is `create` (POST), `put` (create or replace), `patch` (merge) or
/// `delete`; `kind` a DAO name (`keyauth_credentials`) or Admin API path (`key-auths`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchOperation {
    pub op: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Map<String, Value>>,
}

fn kind_named(name: &str) -> Option<&'static Kind> {
    let registry = registry();
    registry
        .kind(name)
        .or_else(|| registry.kind_by_admin_path(name))
        .or_else(|| {
            registry
                .kinds()
                .iter()
                .find(|k| k.nested_admin_path == name)
        })
}

fn to_op(operation: BatchOperation) -> Result<Op, String> {
    let kind =
        kind_named(&operation.kind).ok_or_else(|| format!("unknown kind '{}'", operation.kind))?;
    let key = || {
        operation
            .key
            .as_deref()
            .filter(|k| !k.is_empty())
            .map(Key::parse)
            .ok_or_else(|| {
                format!(
                    "operation '{}' needs a \"key\" (an id or endpoint key)",
                    operation.op
                )
            })
    };
    let action = match operation.op.as_str() {
        "create" | "post" => Action::Create,
        "put" | "upsert" => Action::Upsert(key()?),
        "patch" | "update" => Action::Update(key()?),
        "delete" => Action::Delete(key()?),
        other => {
            return Err(format!(
                "unknown op '{other}': use create, put, patch or delete"
            ));
        }
    };
    Ok(Op::new(kind, action, operation.body.unwrap_or_default()))
}

fn failure(index: usize, error: &EntityError, revision: u64) -> Response {
    respond::json(
        error.status(),
        &json!({
            "message": format!("batch operation {index} failed: {}", error.message()),
            "revision": revision,
            "failed_operation": {"index": index, "status": error.status(), "error": error.body()},
        }),
    )
}

pub async fn handle(ctx: &Ctx, headers: &HeaderMap, bytes: &[u8]) -> Response {
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    if !content_type.starts_with("application/json") {
        return respond::message(415, "The batch endpoint takes application/json");
    }
    let request: BatchRequest = match serde_json::from_slice::<Value>(bytes) {
        Err(_) => return respond::message(400, "Cannot parse JSON body"),
        Ok(value) => match serde_json::from_value(value) {
            Ok(request) => request,
            Err(e) => {
                return respond::message(
                    400,
                    format!(
                        "invalid batch: {e}; expected {{\"operations\": [{{\"op\", \"kind\", \"key\", \"body\"}}, …]}}"
                    ),
                );
            }
        },
    };
    let expect = request.if_revision.or(ctx.expect);
    let mut ops = Vec::with_capacity(request.operations.len());
    for (index, operation) in request.operations.into_iter().enumerate() {
        match to_op(operation) {
            Ok(op) => ops.push(op),
            Err(text) => {
                return failure(
                    index,
                    &EntityError::BadRequest(text),
                    ctx.state.store.revision(),
                );
            }
        }
    }
    match ctx.state.write(ops, expect).await {
        Ok(committed) => {
            let mut out = format!("{{\"revision\":{},\"results\":[", committed.revision);
            for (i, result) in committed.results.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&format!("{{\"status\":{},\"entity\":", result.status));
                match &result.entity {
                    Some(entity) => out.push_str(entity),
                    None => out.push_str(&format!("null,\"deleted\":{}", result.deleted)),
                }
                out.push('}');
            }
            out.push_str("]}");
            let mut response = json_text(200, out);
            response
                .headers_mut()
                .insert(http::header::ETAG, respond::etag(committed.revision));
            response
        }
        Err(WriteError::Op { index, error }) => failure(index, &error, ctx.state.store.revision()),
        Err(other) => respond::write_error(&other),
    }
}
