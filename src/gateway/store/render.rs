//! How an entity is laid out: schema order with subschema fields swapped in, and the deep
//! merge PATCH uses.

use serde_json::{Map, Value};

use crate::kinds::schema::{Field, Type};
use crate::kinds::{Kind, registry};

/// The fields that apply to an entity (see [`crate::kinds::Registry::effective_fields`]).
pub fn effective_fields<'k>(kind: &'k Kind, entity: &Map<String, Value>) -> Vec<&'k Field> {
    registry().effective_fields(kind, entity)
}

/// The entity with its fields in schema order (Kong's field order), nothing else.
pub fn in_schema_order(kind: &Kind, mut entity: Map<String, Value>) -> Map<String, Value> {
    let fields = effective_fields(kind, &entity);
    let mut out = Map::with_capacity(fields.len());
    for f in fields {
        let value = entity.remove(f.name).unwrap_or(Value::Null);
        out.insert(f.name.to_string(), value);
    }
    out
}

/// PATCH semantics: records merge deeply, everything else (arrays, sets, maps, scalars,
/// references) is replaced by the patch's value.
pub fn merge(kind: &Kind, base: &mut Map<String, Value>, patch: Map<String, Value>) {
    // The subschema is chosen by the merged result (a patch may rename a plugin).
    let mut probe = base.clone();
    for (k, v) in &patch {
        probe.insert(k.clone(), v.clone());
    }
    let fields = effective_fields(kind, &probe);
    merge_fields(&fields, base, patch);
}

fn merge_fields(fields: &[&Field], base: &mut Map<String, Value>, patch: Map<String, Value>) {
    for (key, value) in patch {
        let record = fields
            .iter()
            .find(|f| f.name == key)
            .filter(|f| f.schema.ty == Type::Record);
        match (record, base.get_mut(&key), value) {
            (Some(field), Some(Value::Object(existing)), Value::Object(incoming)) => {
                let inner: Vec<&Field> = field.schema.fields.iter().collect();
                merge_fields(&inner, existing, incoming);
            }
            (_, _, value) => {
                base.insert(key, value);
            }
        }
    }
}
