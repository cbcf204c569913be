//! A [`State`] written back as a state file: top-level kinds flat with references by name or
//! id, kinds that only exist nested (credentials, targets, snis) under their parent, secrets
//! masked unless asked otherwise.

use serde_json::{Map, Value};

use super::index::RefIndex;
use super::model::{MASK, State, mask_text};
use crate::kinds::validate::Seg;
use crate::kinds::{Kind, Nesting, registry};

/// Whether values that came from the environment are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrets {
    Mask,
    Show,
}

/// The state as a `_format_version: "3.0"` document that loads back to the same state.
pub fn to_document(state: &State, secrets: Secrets) -> Value {
    let registry = registry();
    let index = RefIndex::build(registry, state);
    let mut doc = Map::new();
    doc.insert("_format_version".into(), Value::from("3.0"));
    if !state.select_tags.is_empty() {
        doc.insert(
            "_info".into(),
            serde_json::json!({ "select_tags": state.select_tags }),
        );
    }
    // Bodies first, so children can be moved under their parents afterwards.
    let mut bodies: Vec<(&Kind, Vec<Map<String, Value>>)> = registry
        .kinds()
        .iter()
        .map(|kind| {
            let list = state
                .of_kind(kind.name)
                .iter()
                .map(|entity| {
                    let mut body = entity.body.clone();
                    if secrets == Secrets::Mask {
                        for path in &entity.secret_paths {
                            mask_at(&mut body, path);
                        }
                        mask_strings(&state.secret_values, &mut body);
                    }
                    body
                })
                .collect();
            (kind, list)
        })
        .collect();
    let mut nested: Vec<(usize, usize, &'static str, Map<String, Value>)> = Vec::new();
    let mut top: Vec<(&Kind, Vec<Map<String, Value>>)> = Vec::new();
    for (kind, list) in bodies.drain(..) {
        let parent = (kind.file_key.is_none()).then(|| parent_of(kind)).flatten();
        let mut kept = Vec::new();
        for mut body in list {
            if let Some((parent_kind, nesting)) = parent
                && let Some(reference) = body.get(nesting.foreign_field)
                && let Some(i) = index.resolve(registry, parent_kind.name, reference)
            {
                body.shift_remove(nesting.foreign_field);
                let position = registry
                    .kinds()
                    .iter()
                    .position(|k| k.name == parent_kind.name)
                    .expect("parents are registered");
                nested.push((position, i, nesting.key, body));
            } else {
                kept.push(body);
            }
        }
        top.push((kind, kept));
    }
    for (position, i, key, mut body) in nested {
        flatten_references(&mut body, top[position].0);
        if let Some(parent) = top[position].1.get_mut(i) {
            let list = parent
                .entry(key)
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = list {
                items.push(Value::Object(body));
            }
        }
    }
    for (kind, list) in top {
        if list.is_empty() {
            continue;
        }
        let key = kind.file_key.unwrap_or(kind.name);
        let items = list
            .into_iter()
            .map(|mut body| {
                flatten_references(&mut body, kind);
                Value::Object(body)
            })
            .collect();
        doc.insert(key.to_string(), Value::Array(items));
    }
    Value::Object(doc)
}

/// The kind (and nesting) a nested-only kind lives under in state files.
fn parent_of(kind: &Kind) -> Option<(&'static Kind, &'static Nesting)> {
    registry().kinds().iter().find_map(|parent| {
        parent
            .children
            .iter()
            .find(|n| n.kind == kind.name)
            .map(|n| (parent, n))
    })
}

/// `{"name": "svc"}` → `svc` and `{"id": "…"}` → `…`, as people write references.
fn flatten_references(body: &mut Map<String, Value>, kind: &Kind) {
    for ff in registry().foreign_fields(kind) {
        if let Some(Value::Object(reference)) = body.get(ff.field)
            && reference.len() == 1
            && let Some(Value::String(s)) = reference.values().next()
        {
            let s = s.clone();
            body.insert(ff.field.into(), Value::String(s));
        }
    }
}

fn mask_at(body: &mut Map<String, Value>, path: &[Seg]) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let Seg::Key(key) = first else { return };
    let mut node = match body.get_mut(key) {
        Some(v) => v,
        None => return,
    };
    for seg in rest {
        node = match (seg, node) {
            (Seg::Key(k), Value::Object(m)) => match m.get_mut(k) {
                Some(v) => v,
                None => return,
            },
            (Seg::Index(i), Value::Array(a)) => match a.get_mut(*i) {
                Some(v) => v,
                None => return,
            },
            _ => return,
        };
    }
    *node = Value::String(MASK.into());
}

fn mask_strings(secrets: &[String], body: &mut Map<String, Value>) {
    if secrets.is_empty() {
        return;
    }
    for value in body.values_mut() {
        mask_value(secrets, value);
    }
}

fn mask_value(secrets: &[String], value: &mut Value) {
    match value {
        Value::String(s) => {
            let masked = mask_text(secrets, s);
            if masked != *s {
                *s = masked;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| mask_value(secrets, v)),
        Value::Object(map) => map.values_mut().for_each(|v| mask_value(secrets, v)),
        _ => {}
    }
}
