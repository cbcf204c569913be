//! The whole plan as one all-or-nothing transaction, for targets that advertise gwctl's batch
//! endpoint in `GET /` (see the README, "The bundled gateway"). The body lists the
//! operations in plan order — `{"if_revision": N, "operations": [{"op": "put", "kind":
//! "services", "key": "<id>", "body": {…}}, …]}` — and the gateway applies all of them or
//! none: 200, or the failing operation's status with `failed_operation.index`, or 412 when the
//! revision moved.

use serde_json::{Value, json};

use super::executor::ApplyOptions;
use crate::admin::AdminClient;
use crate::admin::error::AdminError;
use crate::admin::paths::create_by_post;
use crate::kinds::registry;
use crate::plan::mask::Masker;
use crate::plan::model::{Change, Op, Outcome, Plan, Status};

fn operation(change: &Change) -> Value {
    match change.op {
        Op::Delete => json!({"op": "delete", "kind": change.kind, "key": change.id}),
        Op::Create | Op::Update => {
            let mut body = serde_json::Map::new();
            body.insert("id".into(), Value::String(change.id.clone()));
            body.extend(change.new.clone().unwrap_or_default());
            let creating = change.op == Op::Create || change.recreate;
            let by_post = registry().kind(&change.kind).is_some_and(create_by_post);
            if creating && by_post {
                json!({"op": "create", "kind": change.kind, "body": body})
            } else {
                json!({"op": "put", "kind": change.kind, "key": change.id, "body": body})
            }
        }
    }
}

pub fn batch_body(plan: &Plan, expected_revision: Option<&str>) -> Value {
    let operations: Vec<Value> = plan.changes.iter().map(operation).collect();
    let mut body = json!({ "operations": operations });
    if let Some(revision) = expected_revision.and_then(|r| r.parse::<u64>().ok()) {
        body["if_revision"] = json!(revision);
    }
    body
}

pub async fn apply_batch(
    client: &AdminClient,
    path: &str,
    plan: &Plan,
    options: &ApplyOptions,
) -> Outcome {
    let body = batch_body(plan, options.expected_revision.as_deref());
    let result = client
        .send(reqwest::Method::POST, path, Some(&body), &[])
        .await;
    let statuses = match result {
        Ok(_) => vec![Status::Applied; plan.changes.len()],
        Err(error) => {
            let failing = match &error {
                AdminError::Http { body, .. } => body
                    .get("failed_operation")
                    .and_then(|f| f.get("index"))
                    .or_else(|| body.get("index"))
                    .and_then(Value::as_u64)
                    .map(|i| i as usize),
                _ => None,
            };
            let mut message = Masker::for_errors(plan).mask(&error.to_string());
            if error.status() == Some(413) {
                message.push_str(
                    " — the plan is too large for one batch; sync with --no-atomic to write entity by entity",
                );
            }
            (0..plan.changes.len())
                .map(|i| match failing {
                    Some(f) if f == i => Status::Failed {
                        error: message.clone(),
                    },
                    Some(_) => Status::Skipped {
                        because: "the atomic batch was rolled back; nothing was changed".into(),
                    },
                    None if i == 0 => Status::Failed {
                        error: message.clone(),
                    },
                    None => Status::Skipped {
                        because: "the atomic batch was refused; nothing was changed".into(),
                    },
                })
                .collect()
        }
    };
    Outcome {
        statuses,
        atomic: true,
    }
}
