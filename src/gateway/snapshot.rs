//! An immutable copy of the gateway's configuration at one revision.
//!
//! The store publishes a new snapshot after every committed write; the proxy builds its router
//! and plugin set from it and swaps them in atomically. Entities are rendered as the Admin API
//! renders them (foreign keys as `{"id": …}`).
//!
//! A snapshot holds the very text the store holds (shared `Arc<str>`s), not a parsed copy: the
//! configuration then lives in memory once, and publishing a snapshot costs a list of pointers.
//! Readers parse an entity when they walk it ([`Snapshot::of_kind`]); the proxy does so once
//! per rebuild.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value};

/// One entity as (id, rendered JSON text).
pub type EntityText = (Arc<str>, Arc<str>);

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The config revision this snapshot reflects (incremented by every write).
    pub revision: u64,
    /// Entities per kind name (`services`, `routes`, `plugins`, …), each kind ordered by id.
    pub entities: BTreeMap<&'static str, Vec<EntityText>>,
}

impl Snapshot {
    /// A snapshot of already parsed entities (tests and benchmarks build these by hand).
    pub fn from_entities(
        revision: u64,
        entities: impl IntoIterator<Item = (&'static str, Vec<Map<String, Value>>)>,
    ) -> Snapshot {
        let entities = entities
            .into_iter()
            .map(|(kind, maps)| {
                let texts = maps
                    .iter()
                    .map(|map| {
                        let id = map.get("id").and_then(Value::as_str).unwrap_or_default();
                        let json = Value::Object(map.clone()).to_string();
                        (Arc::from(id), Arc::from(json))
                    })
                    .collect();
                (kind, texts)
            })
            .collect();
        Snapshot { revision, entities }
    }

    /// How many entities of `kind` the snapshot holds.
    pub fn count(&self, kind: &str) -> usize {
        self.entities.get(kind).map_or(0, Vec::len)
    }

    /// The entities of `kind`, parsed as they are walked.
    ///
    /// Text the store wrote is always a JSON object; anything else is logged and skipped so a
    /// damaged entity cannot take the proxy down.
    pub fn of_kind<'a>(&'a self, kind: &str) -> impl Iterator<Item = Map<String, Value>> + use<'a> {
        let (kind, items) = match self.entities.get_key_value(kind) {
            Some((kind, items)) => (*kind, items.as_slice()),
            None => ("", &[][..]),
        };
        items.iter().filter_map(move |(id, json)| {
            match serde_json::from_str::<Map<String, Value>>(json) {
                Ok(map) => Some(map),
                Err(error) => {
                    tracing::warn!(kind, id = %id, %error, "skipping unreadable entity in snapshot");
                    None
                }
            }
        })
    }
}

/// The id inside a foreign-key value `{"id": "…"}`.
pub fn foreign_id<'a>(entity: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    entity.get(field)?.get("id")?.as_str()
}
