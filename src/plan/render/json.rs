//! decK's `--json-output` document: `changes.{creating,updating,deleting}` with `old`/`new`
//! bodies, `summary`, `warnings`, `errors` — printed whole even when the exit code is 2.

use serde_json::{Value, json};

use super::{event_name, shown_bodies};
use crate::plan::model::{Op, Outcome, Plan, Status};

pub fn document(
    plan: &Plan,
    outcome: Option<&Outcome>,
    warnings: &[String],
    errors: &[String],
) -> Value {
    let mut creating = Vec::new();
    let mut updating = Vec::new();
    let mut deleting = Vec::new();
    let mut failed = Vec::new();
    let mut dropped = (Vec::new(), Vec::new(), Vec::new());
    for (i, change) in plan.changes.iter().enumerate() {
        let (old, new) = shown_bodies(change, plan);
        let item = json!({
            "name": change.name,
            "kind": event_name(&change.kind),
            "id": change.id,
            "body": {"new": new, "old": old},
        });
        match outcome.and_then(|o| o.statuses.get(i)) {
            Some(Status::Skipped { .. }) => {
                match change.op {
                    Op::Create => dropped.0.push(item),
                    Op::Update => dropped.1.push(item),
                    Op::Delete => dropped.2.push(item),
                }
                continue;
            }
            Some(Status::Failed { error }) => {
                failed.push(
                    json!({"name": change.name, "kind": event_name(&change.kind),
                    "op": change.op, "error": error}),
                );
                continue;
            }
            _ => {}
        }
        match change.op {
            Op::Create => creating.push(item),
            Op::Update => updating.push(item),
            Op::Delete => deleting.push(item),
        }
    }
    let summary = json!({
        "creating": creating.len(),
        "updating": updating.len(),
        "deleting": deleting.len(),
        "total": creating.len() + updating.len() + deleting.len(),
    });
    let mut changes = json!({"creating": creating, "updating": updating, "deleting": deleting});
    if outcome.is_some() {
        changes["dropped_creations"] = Value::from(dropped.0);
        changes["dropped_updates"] = Value::from(dropped.1);
        changes["dropped_deletions"] = Value::from(dropped.2);
        changes["failed"] = Value::from(failed);
    }
    let mut errors: Vec<Value> = errors.iter().map(|e| Value::from(e.as_str())).collect();
    if let Some(outcome) = outcome {
        for (change, status) in plan.changes.iter().zip(&outcome.statuses) {
            if let Status::Failed { error } = status {
                errors.push(Value::from(format!(
                    "{} {} {}: {error}",
                    change.op.verb(),
                    event_name(&change.kind),
                    change.name
                )));
            }
        }
    }
    json!({
        "changes": changes,
        "summary": summary,
        "warnings": warnings,
        "errors": errors,
    })
}
