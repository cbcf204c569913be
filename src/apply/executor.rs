//! Per-entity application: each step (one phase and dependency level) runs with bounded
//! parallelism; a change whose dependency failed is skipped; the step finishes before the next
//! starts, so a failure never leaves a child written without its parent.

use futures_util::StreamExt;
use futures_util::stream;

use super::batch;
use super::progress::bar;
use super::request::request_for;
use crate::admin::{AdminClient, GatewayInfo};
use crate::plan::mask::Masker;
use crate::plan::model::{Outcome, Plan, Status};
use crate::plan::render::event_name;

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Concurrent requests within one step.
    pub parallelism: usize,
    /// Use the target's batch extension when it has one (`--no-atomic` turns this off).
    pub atomic: bool,
    pub progress: bool,
    /// The revision the plan was made against (sent as `If-Match` where supported).
    pub expected_revision: Option<String>,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            parallelism: 10,
            atomic: true,
            progress: false,
            expected_revision: None,
        }
    }
}

/// Applies `plan` to the gateway behind `client`.
pub async fn apply(
    client: &AdminClient,
    info: &GatewayInfo,
    plan: &Plan,
    options: &ApplyOptions,
) -> Outcome {
    if plan.is_empty() {
        return Outcome::default();
    }
    if options.atomic
        && let Some(path) = &info.extensions.batch
    {
        return batch::apply_batch(client, path, plan, options).await;
    }
    per_entity(client, plan, options).await
}

async fn per_entity(client: &AdminClient, plan: &Plan, options: &ApplyOptions) -> Outcome {
    let progress = bar(plan.changes.len(), options.progress);
    // Built on the first failure: it walks every body for secret field values.
    let masker: std::sync::OnceLock<Masker> = std::sync::OnceLock::new();
    let mut statuses: Vec<Option<Status>> = vec![None; plan.changes.len()];
    for step in plan.steps() {
        let mut runnable = Vec::new();
        for i in step {
            let change = &plan.changes[i];
            let blocked = change
                .depends_on
                .iter()
                .find(|&&d| !matches!(statuses[d], Some(Status::Applied)));
            match blocked {
                Some(&d) => {
                    let dep = &plan.changes[d];
                    statuses[i] = Some(Status::Skipped {
                        because: format!(
                            "it needs {} {} {}, which did not succeed",
                            dep.op.verb(),
                            event_name(&dep.kind),
                            dep.name
                        ),
                    });
                    progress.inc(1);
                }
                None => runnable.push(i),
            }
        }
        let results: Vec<(usize, Status)> = stream::iter(runnable)
            .map(|i| {
                let request = request_for(&plan.changes[i]);
                let client = client.clone();
                let masker = &masker;
                async move {
                    let result = client
                        .send(request.method, &request.path, request.body.as_ref(), &[])
                        .await;
                    let status = match result {
                        Ok(_) => Status::Applied,
                        Err(e) => Status::Failed {
                            error: masker
                                .get_or_init(|| Masker::for_errors(plan))
                                .mask(&e.to_string()),
                        },
                    };
                    (i, status)
                }
            })
            .buffer_unordered(options.parallelism.max(1))
            .inspect(|_| progress.inc(1))
            .collect()
            .await;
        for (i, status) in results {
            statuses[i] = Some(status);
        }
    }
    progress.finish_and_clear();
    Outcome {
        statuses: statuses
            .into_iter()
            .map(|s| s.expect("every change gets a status"))
            .collect(),
        atomic: false,
    }
}
