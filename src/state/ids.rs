//! Giving every entity an id and pointing every reference at an id, for a store keyed by id
//! (the bundled gateway's `serve --config`).

use serde_json::{Map, Value};

use super::index::RefIndex;
use super::model::State;
use crate::kinds::registry;

/// Gives every entity lacking an `id` a fresh UUID, then rewrites every foreign reference that
/// names an entity of the state to `{"id": …}`. References to entities not in the state are
/// left as written.
pub fn assign_ids(state: &mut State) {
    let registry = registry();
    for entities in state.entities.values_mut() {
        for entity in entities {
            if entity.id().is_none() {
                // Into a map of the exact size: loading left it full, and one more entry would
                // have it grow by half again.
                let mut body = Map::with_capacity(entity.body.len() + 1);
                body.extend(std::mem::take(&mut entity.body));
                body.insert("id".into(), Value::String(uuid::Uuid::new_v4().to_string()));
                entity.body = body;
            }
        }
    }
    let index = RefIndex::build(registry, state);
    let mut rewrites = Vec::new();
    for kind in registry.kinds() {
        let foreign = registry.foreign_fields(kind);
        for (i, entity) in state.of_kind(kind.name).iter().enumerate() {
            for ff in &foreign {
                let Some(reference) = entity.body.get(ff.field).filter(|v| v.is_object()) else {
                    continue;
                };
                if let Some(target) = index.resolve(registry, ff.kind, reference) {
                    let id = state.of_kind(ff.kind)[target].id().map(str::to_string);
                    if let Some(id) = id {
                        rewrites.push((kind.name, i, ff.field, id));
                    }
                }
            }
        }
    }
    for (kind, i, field, id) in rewrites {
        if let Some(entity) = state.entities.get_mut(kind).and_then(|e| e.get_mut(i)) {
            // Not `json!`, whose map keeps room for three entries.
            let mut reference = Map::with_capacity(1);
            reference.insert("id".into(), Value::String(id));
            entity.body.insert(field.into(), Value::Object(reference));
        }
    }
}
