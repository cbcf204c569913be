//! decK-style console names: `openai-service`, `rate-limiting (route x)`,
//! `10.0.0.1:80 (upstream u)`, `[masked] (consumer alice)` for a secret key.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::admin::paths::nested_parent;
use crate::kinds::schema::Type;
use crate::kinds::{Kind, registry};
use crate::state::MASK;

/// Console names of every entity seen (both sides), by (kind, id), to name scopes.
#[derive(Debug, Default)]
pub struct Names {
    by_id: HashMap<(&'static str, String), String>,
}

impl Names {
    pub fn insert(&mut self, kind: &'static str, id: &str, name: String) {
        self.by_id.entry((kind, id.to_string())).or_insert(name);
    }

    pub fn get(&self, kind: &str, id: &str) -> Option<&str> {
        self.by_id
            .iter()
            .find(|((k, i), _)| *k == kind && i == id)
            .map(|(_, n)| n.as_str())
    }

    fn lookup(&self, kind: &'static str, id: &str) -> Option<&String> {
        self.by_id.get(&(kind, id.to_string()))
    }
}

/// The entity's own name, without scope: its non-foreign identity values, else its id.
pub fn own_name(kind: &Kind, body: &Map<String, Value>, id: &str) -> String {
    let own: Vec<String> = kind
        .identity_fields()
        .iter()
        .filter(|f| kind.schema.field(f).is_some_and(|s| s.ty != Type::Foreign))
        .filter_map(|f| {
            let value = body.get(*f)?;
            let secret = kind.schema.field(f).is_some_and(|s| s.secret);
            match value {
                Value::Null => None,
                _ if secret => Some(MASK.to_string()),
                // A PEM block is an identity, not a name: such kinds are named by id.
                Value::String(s) if s.contains('\n') || s.len() > 80 => None,
                Value::String(s) => Some(s.clone()),
                other => Some(other.to_string()),
            }
        })
        .collect();
    // FirstOf identities (consumers) name the entity by the first field that is set.
    let own = match kind.identity {
        crate::kinds::Identity::FirstOf(_) => own.into_iter().take(1).collect(),
        _ => own,
    };
    // Only a masked secret left (a certificate's key once its PEM is dropped): name by id.
    let only_masked = own.iter().all(|o| o == MASK) && kind.identity_fields().len() > own.len();
    if own.is_empty() || only_masked {
        id.to_string()
    } else {
        own.join(" ")
    }
}

/// The full console name: own name plus the scope it lives in (`(route x)`, `(global)`).
pub fn console_name(kind: &Kind, body: &Map<String, Value>, id: &str, names: &Names) -> String {
    let own = own_name(kind, body, id);
    let registry = registry();
    let mut scope_fields: Vec<&'static str> = kind
        .identity_fields()
        .iter()
        .copied()
        .filter(|f| kind.schema.field(f).is_some_and(|s| s.ty == Type::Foreign))
        .collect();
    if let Some((field, _)) = nested_parent(kind)
        && !scope_fields.contains(&field)
    {
        scope_fields.insert(0, field);
    }
    if scope_fields.is_empty() {
        return own;
    }
    let mut parts = Vec::new();
    for field in &scope_fields {
        let Some(reference) = body.get(*field).filter(|v| !v.is_null()) else {
            continue;
        };
        let Some(parent) = kind
            .schema
            .field(field)
            .and_then(|f| f.reference)
            .and_then(|r| registry.kind(r))
        else {
            continue;
        };
        let label = match reference.get("id").and_then(Value::as_str) {
            Some(pid) => names
                .lookup(parent.name, pid)
                .cloned()
                .unwrap_or_else(|| pid.to_string()),
            None => reference
                .as_object()
                .and_then(|m| m.values().next())
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string(),
        };
        parts.push(format!("{} {label}", parent.event_name));
    }
    if parts.is_empty() {
        format!("{own} (global)")
    } else {
        format!("{own} ({})", parts.join(", "))
    }
}
