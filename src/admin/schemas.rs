//! Fetching a target's own schemas (`GET /schemas/{kind}`, `GET /schemas/plugins/{name}`) for
//! the kinds and plugins a plan touches. Used for gateways other than gwctl's, whose defaults
//! may be newer than the registry's. A schema the target does not serve is skipped, as decK
//! tolerates 404 there.

use std::collections::BTreeSet;

use futures_util::future::join_all;
use serde_json::Value;

use super::client::AdminClient;
use super::paths::encode;
use crate::kinds::registry;
use crate::plan::remote::RemoteSchemas;
use crate::state::State;

pub async fn fetch_schemas(client: &AdminClient, target: &State) -> RemoteSchemas {
    let registry = registry();
    let mut wanted: BTreeSet<(&'static str, Option<String>)> = BTreeSet::new();
    for kind in registry.kinds() {
        let entities = target.of_kind(kind.name);
        if entities.is_empty() {
            continue;
        }
        wanted.insert((kind.name, None));
        if kind.name == "plugins" {
            for e in entities {
                if let Some(name) = e.body.get("name").and_then(Value::as_str) {
                    wanted.insert((kind.name, Some(name.to_string())));
                }
            }
        }
    }
    let answers = join_all(wanted.iter().map(|(kind, plugin)| {
        let path = match plugin {
            Some(name) => format!("/schemas/{kind}/{}", encode(name)),
            None => format!("/schemas/{kind}"),
        };
        async move { client.get(&path).await }
    }))
    .await;
    let mut out = RemoteSchemas::default();
    for ((kind, plugin), answer) in wanted.iter().zip(answers) {
        match answer {
            Ok(a) => out.insert(kind, plugin.as_deref(), a.body),
            Err(e) => tracing::debug!("no schema for {kind} {plugin:?}: {e}"),
        }
    }
    out
}
