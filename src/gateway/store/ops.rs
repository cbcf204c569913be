//! The operations a write is made of: what the Admin API's POST/PUT/PATCH/DELETE and each
//! entry of a batch become.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::{Key, Scope};
use crate::kinds::Kind;

#[derive(Debug, Clone)]
pub enum Action {
    /// POST: insert; the id is generated unless the body has one.
    Create,
    /// PUT: create or fully replace the entity the key names.
    Upsert(Key),
    /// PATCH: merge the body into the existing entity (records deeply).
    Update(Key),
    /// DELETE: remove the entity and cascade; nothing happens when it is absent.
    Delete(Key),
}

#[derive(Debug, Clone)]
pub struct Op {
    pub kind: &'static Kind,
    pub action: Action,
    pub body: Map<String, Value>,
    /// Set by nested endpoints: the entity must belong to this parent.
    pub scope: Option<Scope>,
    /// The body came from a form: strings stand in for numbers, booleans and arrays.
    pub form: bool,
}

impl Op {
    pub fn new(kind: &'static Kind, action: Action, body: Map<String, Value>) -> Op {
        Op {
            kind,
            action,
            body,
            scope: None,
            form: false,
        }
    }
}

/// The outcome of one operation: the status the single request answers with, and the entity
/// as rendered after the write (`None` for deletes).
#[derive(Debug, Clone)]
pub struct OpResult {
    pub status: u16,
    pub entity: Option<Arc<str>>,
    /// For deletes: whether anything was there to delete.
    pub deleted: bool,
}
