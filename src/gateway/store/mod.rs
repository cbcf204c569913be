//! The gateway's configuration store.
//!
//! [`Store`] is the one interface the Admin API, the batch endpoint and the snapshot publisher
//! use; SQL lives behind it. [`SqliteStore`] is the embedded implementation: the whole
//! configuration is indexed in memory ([`model::Model`]) and every write is one SQLite
//! transaction committed before it is acknowledged. A shared store for several gateway nodes
//! (PostgreSQL) would implement the same trait.
//!
//! Everything here is generic over the kinds registry: uniqueness comes from `unique` fields and
//! `Kind::unique_together`, references and cascades from foreign fields and `OnDelete`.

mod error;
mod index;
mod mirror;
pub mod model;
mod ops;
mod publish;
mod render;
mod sqlite;
mod write;

use std::sync::Arc;

use serde_json::{Map, Value};
use tokio::sync::watch;

use crate::kinds::Kind;
use crate::kinds::entities::typedefs::is_uuid;

pub use error::{EntityError, WriteError};
pub use index::{unique_fields, unique_key};
pub use model::{ListQuery, Page, TagFilter};
pub use ops::{Action, Op, OpResult};
pub use publish::{build_snapshot, spawn_publisher};
pub use sqlite::{Durability, SqliteStore};

/// How a URL segment names an entity: a UUID is always an id, anything else is the kind's
/// endpoint key (`/services/my-svc`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Id(String),
    Endpoint(String),
}

impl Key {
    pub fn parse(segment: &str) -> Key {
        if is_uuid(segment) {
            Key::Id(segment.to_ascii_lowercase())
        } else {
            Key::Endpoint(segment.to_string())
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Key::Id(s) | Key::Endpoint(s) => s,
        }
    }
}

/// Restricts an operation to the children of one parent (`/services/{s}/routes/{r}`): the
/// entity's `field` must reference `parent_id`, and new entities get that reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub field: &'static str,
    pub parent_id: String,
}

/// Every entity per kind as (id, rendered JSON), ordered by id.
pub type KindsDump = Vec<(&'static str, Vec<(Arc<str>, Arc<str>)>)>;

/// Every entity, and the revision it reflects.
pub type Dump = (u64, KindsDump);

/// What a committed write returns.
#[derive(Debug, Clone)]
pub struct Committed {
    /// The revision after the write (unchanged when nothing changed, e.g. deleting an absent
    /// entity).
    pub revision: u64,
    pub results: Vec<OpResult>,
}

/// The gateway's configuration store. Reads never block on SQL; writes are serialised.
///
/// Entities are exchanged as rendered JSON text (`Arc<str>`): every schema field present, unset
/// ones `null`, foreign keys as `{"id": …}` — exactly what the Admin API returns.
pub trait Store: Send + Sync + 'static {
    /// The current config revision; every committed write increments it.
    fn revision(&self) -> u64;

    /// Looks an entity up by id or endpoint key, optionally within a parent.
    fn get(&self, kind: &'static Kind, key: &Key, scope: Option<&Scope>) -> Option<Arc<str>>;

    /// The id of the entity a key names (without reading the entity).
    fn resolve(&self, kind: &'static Kind, key: &Key, scope: Option<&Scope>) -> Option<String>;

    /// One page of a kind's entities, ordered by id.
    fn list(&self, kind: &'static Kind, query: &ListQuery) -> Page;

    /// Every `(kind, id, tag)`, ordered by tag then kind then id, optionally for one tag.
    fn tags(&self, tag: Option<&str>) -> Vec<(&'static str, Arc<str>, String)>;

    /// Applies operations in order in ONE transaction: all or nothing. With `expect`, the write
    /// happens only if the current revision equals it.
    fn write(&self, ops: Vec<Op>, expect: Option<u64>) -> Result<Committed, WriteError>;

    /// Every entity, per kind, ordered by id, with the revision they reflect.
    fn dump(&self) -> Dump;

    /// A channel that sees the revision after every committed write.
    fn revisions(&self) -> watch::Receiver<u64>;
}

/// Parses rendered entity text back into a map (it was produced by us, so it parses).
///
/// Maps are rebuilt at their exact size: a parsed map grows by doubling, and the snapshot keeps
/// one map per entity for as long as the configuration lives, so the slack would add up to a
/// third of its memory.
pub fn parse_entity(json: &str) -> Map<String, Value> {
    match serde_json::from_str(json) {
        Ok(Value::Object(map)) => compact(map),
        _ => Map::new(),
    }
}

fn compact(map: Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::with_capacity(map.len());
    for (key, value) in map {
        out.insert(key, compact_value(value));
    }
    out
}

fn compact_value(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(compact(map)),
        Value::Array(items) => {
            let mut items: Vec<Value> = items.into_iter().map(compact_value).collect();
            items.shrink_to_fit();
            Value::Array(items)
        }
        other => other,
    }
}
