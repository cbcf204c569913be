//! What the in-memory indexes record about one entity: its tags, its references to parents and
//! the unique keys it holds. Derived from the rendered entity alone, generically from the
//! registry, so loading from disk and writing compute exactly the same thing.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::kinds::schema::Type;
use crate::kinds::{Kind, registry};

/// A reference from an entity to its parent through a foreign field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ref {
    pub field: &'static str,
    pub kind: &'static str,
    pub id: Arc<str>,
}

/// One stored entity: its rendered JSON plus what the indexes need.
#[derive(Debug, Clone)]
pub struct Stored {
    pub json: Arc<str>,
    pub tags: Box<[Box<str>]>,
    pub refs: Box<[Ref]>,
    pub unique_keys: Box<[Box<str>]>,
}

impl Stored {
    pub fn new(kind: &Kind, entity: &Map<String, Value>) -> Stored {
        // Serialised as it is, not cloned into a `Value` first: the same text.
        let json = serde_json::to_string(entity).expect("a JSON map always serialises");
        Stored::with_text(kind, entity, &json)
    }

    /// For an entity whose rendered text is at hand (read from the database).
    pub fn with_text(kind: &Kind, entity: &Map<String, Value>, json: &str) -> Stored {
        let json: Arc<str> = Arc::from(json);
        Stored {
            json,
            tags: tags(entity),
            refs: refs(kind, entity).into(),
            unique_keys: unique_keys(kind, entity)
                .into_iter()
                .map(String::into_boxed_str)
                .collect(),
        }
    }

    pub fn reference(&self, field: &str) -> Option<&Ref> {
        self.refs.iter().find(|r| r.field == field)
    }
}

fn tags(entity: &Map<String, Value>) -> Box<[Box<str>]> {
    entity
        .get("tags")
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .filter_map(Value::as_str)
                .map(Box::from)
                .collect()
        })
        .unwrap_or_default()
}

/// The id a foreign value `{"id": …}` holds.
pub fn foreign_id(value: Option<&Value>) -> Option<&str> {
    value?.get("id")?.as_str()
}

fn refs(kind: &Kind, entity: &Map<String, Value>) -> Vec<Ref> {
    registry()
        .foreign_fields(kind)
        .into_iter()
        .filter_map(|f| {
            foreign_id(entity.get(f.field)).map(|id| Ref {
                field: f.field,
                kind: f.kind,
                id: Arc::from(id),
            })
        })
        .collect()
}

/// The index key of a unique field value or field combination.
pub fn unique_key(kind: &str, fields: &[&str], values: &[Value]) -> String {
    let values: Vec<Value> = values.iter().map(key_value).collect();
    let rendered = if values.len() == 1 {
        values[0].to_string()
    } else {
        Value::Array(values).to_string()
    };
    format!("{kind}\u{1f}{}\u{1f}{rendered}", fields.join(","))
}

/// Foreign values take part in keys by id only (a body may carry extra keys beside the id).
fn key_value(value: &Value) -> Value {
    match foreign_id(Some(value)) {
        Some(id) => Value::from(id),
        None => value.clone(),
    }
}

/// The unique fields of a kind (single-field constraints).
pub fn unique_fields(kind: &Kind) -> impl Iterator<Item = &'static str> + '_ {
    kind.schema
        .fields
        .iter()
        .filter(|f| f.schema.unique && f.schema.ty != Type::Foreign)
        .map(|f| f.name)
}

/// Every unique key an entity holds: one per non-null unique field, one per field combination.
pub fn unique_keys(kind: &Kind, entity: &Map<String, Value>) -> Vec<String> {
    let mut keys: Vec<String> = unique_fields(kind)
        .filter_map(|field| {
            entity
                .get(field)
                .filter(|v| !v.is_null())
                .map(|v| unique_key(kind.name, &[field], std::slice::from_ref(v)))
        })
        .collect();
    for fields in &kind.unique_together {
        let values: Vec<Value> = fields
            .iter()
            .map(|f| entity.get(*f).cloned().unwrap_or(Value::Null))
            .collect();
        keys.push(unique_key(kind.name, fields, &values));
    }
    keys
}
