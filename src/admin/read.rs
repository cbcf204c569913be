//! Reads a whole gateway: every kind listed with `size=1000`, following `offset` (as go-kong
//! does), kinds in parallel. A kind the target lacks (404) reads as empty, as decK tolerates;
//! a kind without a top-level list (Kong disables `/targets`) is listed under each parent.

use futures_util::future::join_all;
use serde_json::{Map, Value};

use super::client::AdminClient;
use super::error::AdminError;
use super::info::GatewayInfo;
use super::paths::{encode, nested_parent};
use crate::kinds::{Kind, registry};
use crate::state::{Entity, State};

/// The page size decK uses; Kong's maximum.
pub const PAGE_SIZE: usize = 1000;

#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Only entities carrying all these tags are read.
    pub select_tags: Vec<String>,
}

/// What was read: the gateway's entities as a [`State`] (bodies as the Admin API renders them)
/// and what `GET /` said.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub info: GatewayInfo,
    pub state: State,
    /// Notes for the user (kinds the target does not have).
    pub warnings: Vec<String>,
}

/// Reads every kind of the registry from the gateway.
pub async fn read_gateway(
    client: &AdminClient,
    options: &ReadOptions,
) -> Result<Snapshot, AdminError> {
    let info = client.info().await?;
    let kinds = registry().kinds();
    let tags = tag_query(&options.select_tags);
    let top = join_all(
        kinds
            .iter()
            .map(|kind| list_all(client, format!("/{}", kind.admin_path), tags.clone())),
    )
    .await;
    let mut state = State::default();
    let mut warnings = Vec::new();
    let mut via_parent: Vec<&Kind> = Vec::new();
    for (kind, result) in kinds.iter().zip(top) {
        match result {
            Ok(items) => state
                .entities
                .insert(kind.name, items.into_iter().map(Entity::new).collect()),
            Err(e) if e.is_not_found() => {
                if nested_parent(kind).is_some() {
                    via_parent.push(kind);
                } else {
                    warnings.push(format!(
                        "the gateway has no /{} endpoint; {} are not managed there",
                        kind.admin_path, kind.name
                    ));
                }
                None
            }
            Err(e) => return Err(e),
        };
    }
    for kind in via_parent {
        let (_, parent) = nested_parent(kind).expect("checked above");
        let parent_ids: Vec<String> = state
            .of_kind(parent.name)
            .iter()
            .filter_map(|e| e.id().map(str::to_string))
            .collect();
        let lists = join_all(parent_ids.iter().map(|pid| {
            list_all(
                client,
                format!(
                    "/{}/{}/{}",
                    parent.admin_path,
                    encode(pid),
                    kind.nested_admin_path
                ),
                None,
            )
        }))
        .await;
        let mut entities = Vec::new();
        for list in lists {
            entities.extend(list?.into_iter().map(Entity::new));
        }
        state.entities.insert(kind.name, entities);
    }
    // Nested lists ignore `tags`, and a gateway may ignore them altogether: filter here too.
    if !options.select_tags.is_empty() {
        for entities in state.entities.values_mut() {
            entities.retain(|e| has_all_tags(&e.body, &options.select_tags));
        }
    }
    Ok(Snapshot {
        info,
        state,
        warnings,
    })
}

/// Whether an entity's `tags` include every one of `wanted`.
pub fn has_all_tags(body: &Map<String, Value>, wanted: &[String]) -> bool {
    let tags: Vec<&str> = body
        .get("tags")
        .and_then(Value::as_array)
        .map(|t| t.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    wanted.iter().all(|w| tags.contains(&w.as_str()))
}

fn tag_query(tags: &[String]) -> Option<String> {
    (!tags.is_empty()).then(|| encode(&tags.join(",")))
}

/// Lists one collection to the end, following `offset`.
pub async fn list_all(
    client: &AdminClient,
    collection: String,
    tags: Option<String>,
) -> Result<Vec<Map<String, Value>>, AdminError> {
    let mut out = Vec::new();
    let mut offset: Option<String> = None;
    loop {
        let mut path = format!("{collection}?size={PAGE_SIZE}");
        if let Some(tags) = &tags {
            path.push_str("&tags=");
            path.push_str(tags);
        }
        if let Some(offset) = &offset {
            path.push_str("&offset=");
            path.push_str(&encode(offset));
        }
        let answer = client.get(&path).await?;
        let Value::Object(mut page) = answer.body else {
            return Err(not_a_page(&path));
        };
        let Some(Value::Array(data)) = page.remove("data") else {
            return Err(not_a_page(&path));
        };
        let empty = data.is_empty();
        out.extend(data.into_iter().filter_map(|v| match v {
            Value::Object(map) => Some(map),
            _ => None,
        }));
        match page.get("offset").and_then(Value::as_str) {
            Some(next) if !next.is_empty() && !empty => offset = Some(next.to_string()),
            _ => return Ok(out),
        }
    }
}

fn not_a_page(path: &str) -> AdminError {
    AdminError::Decode {
        method: "GET".into(),
        path: path.to_string(),
        detail: "expected an object with a `data` array".into(),
    }
}
