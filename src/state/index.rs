//! Finding the entity a reference points at: by id, or by the natural key it was written with.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::model::State;
use crate::kinds::{Identity, Kind, Registry};

/// Every entity of a state, reachable by each way a reference may name it.
#[derive(Debug, Default)]
pub struct RefIndex {
    kinds: HashMap<&'static str, HashMap<String, usize>>,
}

/// A canonical text for a reference object: its fields sorted, values as JSON.
pub fn ref_key(reference: &Map<String, Value>) -> String {
    if reference.len() == 1 {
        let (k, v) = reference.iter().next().expect("one entry");
        return single(k, v);
    }
    let mut pairs: Vec<(&String, &Value)> = reference.iter().collect();
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = String::new();
    for (k, v) in pairs {
        out.push_str(k);
        out.push('=');
        push_value(&mut out, v);
        out.push('\u{1}');
    }
    out
}

fn single(field: &str, value: &Value) -> String {
    let mut out = String::with_capacity(field.len() + 24);
    out.push_str(field);
    out.push('=');
    push_value(&mut out, value);
    out.push('\u{1}');
    out
}

/// Strings as themselves (marked, so `"1"` and `1` differ), anything else as JSON.
fn push_value(out: &mut String, value: &Value) {
    match value {
        Value::String(s) => {
            out.push('\u{2}');
            out.push_str(s);
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The reference forms that name an entity: its id, and its natural key.
pub fn names_of(kind: &Kind, body: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    let set = |f: &str| body.get(f).filter(|v| !v.is_null());
    if let Some(id) = set("id") {
        out.push(single("id", id));
    }
    match &kind.identity {
        Identity::FirstOf(fields) => {
            for f in fields {
                if let Some(v) = set(f) {
                    out.push(single(f, v));
                }
            }
        }
        Identity::Fields(fields) if fields.iter().all(|f| set(f).is_some()) => {
            let m: Map<String, Value> = fields
                .iter()
                .map(|f| (f.to_string(), body[*f].clone()))
                .collect();
            out.push(ref_key(&m));
        }
        _ => {}
    }
    out
}

impl RefIndex {
    pub fn build(registry: &Registry, state: &State) -> Self {
        let mut kinds: HashMap<&'static str, HashMap<String, usize>> = HashMap::new();
        for (name, entities) in &state.entities {
            let Some(kind) = registry.kind(name) else {
                continue;
            };
            let map = kinds.entry(kind.name).or_default();
            for (i, entity) in entities.iter().enumerate() {
                for key in names_of(kind, &entity.body) {
                    map.entry(key).or_insert(i);
                }
            }
        }
        RefIndex { kinds }
    }

    /// The index (within `state.entities[kind]`) of the entity a reference object names.
    pub fn resolve(&self, registry: &Registry, kind: &str, reference: &Value) -> Option<usize> {
        let map = self.kinds.get(kind)?;
        let reference = reference.as_object()?;
        if let Some(i) = map.get(&ref_key(reference)) {
            return Some(*i);
        }
        // `consumer: alice` is written as {"username": "alice"}; a consumer known only by its
        // custom_id "alice" is the one meant.
        if let (Some(Identity::FirstOf(fields)), 1) =
            (registry.kind(kind).map(|k| &k.identity), reference.len())
        {
            let (field, value) = reference.iter().next()?;
            if fields.contains(&field.as_str()) {
                return fields
                    .iter()
                    .find_map(|f| map.get(&single(f, value)).copied());
            }
        }
        None
    }
}
