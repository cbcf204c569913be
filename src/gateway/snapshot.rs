//! An immutable copy of the gateway's configuration at one revision.
//!
//! The store publishes a new snapshot after every committed write; the proxy builds its router
//! and plugin set from it and swaps them in atomically. Entities are rendered as the Admin API
//! renders them (foreign keys as `{"id": …}`).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The config revision this snapshot reflects (incremented by every write).
    pub revision: u64,
    /// Entities per kind name (`services`, `routes`, `plugins`, …).
    pub entities: BTreeMap<&'static str, Vec<Map<String, Value>>>,
}

impl Snapshot {
    pub fn of_kind(&self, kind: &str) -> &[Map<String, Value>] {
        self.entities.get(kind).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// The id inside a foreign-key value `{"id": "…"}`.
pub fn foreign_id<'a>(entity: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    entity.get(field)?.get("id")?.as_str()
}
