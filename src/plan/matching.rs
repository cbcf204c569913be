//! Matching the files' entities to the gateway's, as decK does (reference deck.md §2.4): an
//! explicit `id` wins; otherwise the natural key (`Kind::identity`), with foreign keys compared
//! by the id they resolve to; an entity that matches nothing gets a new id.
//!
//! Kinds are handled in registry order (parents first), so a child's references can be
//! resolved to the ids its parents were just given.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value, json};

use crate::kinds::schema::Type;
use crate::kinds::validate::Seg;
use crate::kinds::{Identity, Kind, registry};
use crate::state::{Entity, State};

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MatchError {
    #[error(
        "{kind} '{name}' refers to {field} {reference}, which is neither in the state files nor on the gateway"
    )]
    Unresolved {
        kind: String,
        name: String,
        field: String,
        reference: String,
    },
}

/// Lookup of one side's entities: by id, and by each field a reference may name them by.
#[derive(Debug, Default)]
pub struct Index {
    /// (kind, field, value) → ids.
    by_field: HashMap<(&'static str, String, String), Vec<String>>,
    /// (kind, natural key) → id.
    by_identity: HashMap<(&'static str, String), String>,
    /// (kind, id) → position in the side's entity list.
    pub by_id: HashMap<(&'static str, String), usize>,
}

impl Index {
    fn add(&mut self, kind: &Kind, position: usize, body: &Map<String, Value>) {
        let Some(id) = body.get("id").and_then(Value::as_str) else {
            return;
        };
        self.by_id.insert((kind.name, id.to_string()), position);
        for field in reference_fields(kind) {
            if let Some(value) = body.get(field).and_then(scalar_text) {
                self.by_field
                    .entry((kind.name, field.to_string(), value))
                    .or_default()
                    .push(id.to_string());
            }
        }
        for key in identity_keys(kind, body) {
            self.by_identity
                .entry((kind.name, key))
                .or_insert_with(|| id.to_string());
        }
    }

    /// The id of the entity a reference object (`{"name": "svc"}`) or string names.
    fn find(&self, kind: &'static str, reference: &Value, bodies: &[Entity]) -> Option<String> {
        let pairs: Vec<(String, String)> = match reference {
            Value::String(s) => return self.find_by_any_key(kind, s),
            Value::Object(map) => map
                .iter()
                .filter_map(|(k, v)| scalar_text(v).map(|v| (k.clone(), v)))
                .collect(),
            _ => return None,
        };
        let (first_key, first_value) = pairs.first()?;
        let candidates = self
            .by_field
            .get(&(kind, first_key.clone(), first_value.clone()))?;
        candidates
            .iter()
            .find(|id| {
                let Some(pos) = self.by_id.get(&(kind, (*id).clone())) else {
                    return false;
                };
                let body = &bodies[*pos].body;
                pairs
                    .iter()
                    .all(|(k, v)| body.get(k).and_then(scalar_text).as_ref() == Some(v))
            })
            .cloned()
    }

    fn find_by_any_key(&self, kind: &'static str, text: &str) -> Option<String> {
        let k = registry().kind(kind)?;
        std::iter::once("id")
            .chain(reference_fields(k))
            .find_map(|field| {
                self.by_field
                    .get(&(kind, field.to_string(), text.to_string()))
                    .and_then(|ids| ids.first().cloned())
            })
    }
}

/// Fields a reference to this kind may name it by: id, natural-key fields, endpoint key.
fn reference_fields(kind: &Kind) -> impl Iterator<Item = &'static str> + '_ {
    std::iter::once("id")
        .chain(
            kind.identity_fields()
                .iter()
                .copied()
                .filter(|f| kind.schema.field(f).is_some_and(|s| s.ty != Type::Foreign)),
        )
        .chain(kind.endpoint_key)
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The natural keys of an entity (foreign fields by id). `FirstOf` kinds have one key per set
/// field so a consumer found by username or by custom_id matches either way.
pub fn identity_keys(kind: &Kind, body: &Map<String, Value>) -> Vec<String> {
    let part = |field: &str| -> Option<String> {
        let value = body.get(field)?;
        let is_foreign = kind
            .schema
            .field(field)
            .is_some_and(|s| s.ty == Type::Foreign);
        if is_foreign {
            Some(match value.get("id").and_then(Value::as_str) {
                Some(id) => id.to_string(),
                None if value.is_null() => String::new(),
                None => return None,
            })
        } else {
            scalar_text(value)
        }
    };
    match &kind.identity {
        Identity::Fields(fields) => {
            let parts: Option<Vec<String>> = fields
                .iter()
                .map(|f| match body.get(*f) {
                    None | Some(Value::Null)
                        if kind.schema.field(f).is_some_and(|s| s.ty == Type::Foreign) =>
                    {
                        Some(String::new())
                    }
                    _ => part(f),
                })
                .collect();
            parts.map(|p| vec![p.join("\u{1f}")]).unwrap_or_default()
        }
        Identity::FirstOf(fields) => fields
            .iter()
            .filter_map(|f| part(f).map(|v| format!("{f}={v}")))
            .collect(),
        Identity::IdOnly => vec![],
    }
}

/// Builds the index of one side (entities must have ids and id references).
pub fn index_of(state: &State) -> Index {
    let mut index = Index::default();
    for kind in registry().kinds() {
        for (i, entity) in state.of_kind(kind.name).iter().enumerate() {
            index.add(kind, i, &entity.body);
        }
    }
    index
}

/// The files' entities with ids assigned and every reference rewritten to `{"id": …}`, and
/// select tags merged into `tags`.
pub fn resolve(
    target: &State,
    current: &State,
    current_index: &Index,
    select_tags: &[String],
) -> Result<State, MatchError> {
    let registry = registry();
    let mut out = State {
        select_tags: target.select_tags.clone(),
        secret_values: target.secret_values.clone(),
        entities: BTreeMap::new(),
    };
    let mut index = Index::default();
    let mut claimed: HashMap<(&'static str, String), ()> = HashMap::new();
    for kind in registry.kinds() {
        let mut resolved = Vec::new();
        for entity in target.of_kind(kind.name) {
            let mut entity = entity.clone();
            // Expands shorthands and normalises (targets to host:port) so natural keys compare
            // as the gateway stores them. Loaded states are already defaulted; this is only
            // needed (and only paid) where the identity depends on it.
            if super::normalise::needs_filling_for_identity(kind, &entity.body) {
                super::normalise::fill_defaults(kind, &mut entity.body);
            }
            for foreign in registry.foreign_fields(kind) {
                let Some(reference) = entity
                    .body
                    .get(foreign.field)
                    .filter(|v| !v.is_null())
                    .cloned()
                else {
                    continue;
                };
                let id = resolve_reference(
                    foreign.kind,
                    &reference,
                    &out,
                    &index,
                    current,
                    current_index,
                )
                .ok_or_else(|| MatchError::Unresolved {
                    kind: kind.event_name.to_string(),
                    name: super::names::own_name(kind, &entity.body, "(no name)"),
                    field: foreign.field.to_string(),
                    reference: describe(&reference),
                })?;
                entity
                    .body
                    .insert(foreign.field.to_string(), json!({ "id": id }));
            }
            merge_tags(&mut entity.body, select_tags);
            if entity.id().is_none() {
                let matched = identity_keys(kind, &entity.body)
                    .into_iter()
                    .find_map(|key| {
                        current_index
                            .by_identity
                            .get(&(kind.name, key))
                            .filter(|id| !claimed.contains_key(&(kind.name, (*id).clone())))
                            .cloned()
                    });
                let id = matched.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
                entity.body.insert("id".into(), Value::String(id));
            }
            let id = entity.id().expect("assigned above").to_string();
            claimed.insert((kind.name, id), ());
            index.add(kind, resolved.len(), &entity.body);
            resolved.push(entity);
        }
        out.entities.insert(kind.name, resolved);
    }
    Ok(out)
}

fn resolve_reference(
    kind: &'static str,
    reference: &Value,
    target: &State,
    target_index: &Index,
    current: &State,
    current_index: &Index,
) -> Option<String> {
    if let Some(id) = reference.get("id").and_then(Value::as_str) {
        return Some(id.to_string());
    }
    if let Some(text) = reference.as_str()
        && crate::kinds::entities::typedefs::is_uuid(text)
    {
        return Some(text.to_string());
    }
    target_index
        .find(kind, reference, target.of_kind(kind))
        .or_else(|| current_index.find(kind, reference, current.of_kind(kind)))
}

fn describe(reference: &Value) -> String {
    match reference {
        Value::String(s) => format!("'{s}'"),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k} {}", scalar_text(v).unwrap_or_else(|| v.to_string())))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

/// decK merges select tags into every entity it manages.
fn merge_tags(body: &mut Map<String, Value>, select_tags: &[String]) {
    if select_tags.is_empty() {
        return;
    }
    let mut tags: Vec<Value> = body
        .get("tags")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for tag in select_tags {
        if !tags.iter().any(|t| t.as_str() == Some(tag)) {
            tags.push(Value::String(tag.clone()));
        }
    }
    body.insert("tags".into(), Value::Array(tags));
}

/// Reads the value at `path` inside a body.
pub fn value_at<'a>(body: &'a Map<String, Value>, path: &[Seg]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let Seg::Key(key) = first else { return None };
    let mut value = body.get(key)?;
    for seg in rest {
        value = match seg {
            Seg::Key(k) => value.get(k)?,
            Seg::Index(i) => value.get(*i)?,
        };
    }
    Some(value)
}
