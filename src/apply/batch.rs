//! The whole plan as one all-or-nothing transaction, for targets that advertise gwctl's batch
//! endpoint in `GET /`. The body lists the requests in plan order:
//! `{"operations": [{"method": "PUT", "path": "/services/<id>", "body": {…}}, …]}`; the
//! gateway applies all of them or none and answers 200, or an error naming the failing
//! operation (`{"message": …, "index": N, "fields": …}`).

use reqwest::Method;
use serde_json::{Value, json};

use super::executor::ApplyOptions;
use super::request::request_for;
use crate::admin::AdminClient;
use crate::admin::error::AdminError;
use crate::plan::model::{Outcome, Plan, Status};
use crate::state::model::mask_text;

pub fn batch_body(plan: &Plan) -> Value {
    let operations: Vec<Value> = plan
        .changes
        .iter()
        .map(|change| {
            let r = request_for(change);
            let mut op = json!({"method": r.method.as_str(), "path": r.path});
            if let Some(body) = r.body {
                op["body"] = body;
            }
            op
        })
        .collect();
    json!({ "operations": operations })
}

pub async fn apply_batch(
    client: &AdminClient,
    path: &str,
    plan: &Plan,
    options: &ApplyOptions,
) -> Outcome {
    let body = batch_body(plan);
    let headers: Vec<(&str, String)> = options
        .expected_revision
        .iter()
        .map(|r| ("If-Match", format!("\"{r}\"")))
        .collect();
    let result = client.send(Method::POST, path, Some(&body), &headers).await;
    let statuses = match result {
        Ok(_) => vec![Status::Applied; plan.changes.len()],
        Err(error) => {
            let failing = match &error {
                AdminError::Http { body, .. } => body
                    .get("index")
                    .and_then(Value::as_u64)
                    .map(|i| i as usize),
                _ => None,
            };
            let message = mask_text(&plan.secret_values, &error.to_string());
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
