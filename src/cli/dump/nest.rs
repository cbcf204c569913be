//! The gateway's flat state written back as a decK-format document: children nested under
//! their parent (routes and plugins under services, credentials under consumers, targets under
//! upstreams, SNIs under certificates), references written by the parent's name, ids left out
//! where a natural key identifies the entity (unless `--with-id`), everything sorted so the
//! same gateway always dumps the same bytes.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::kinds::{Identity, Kind, Nesting, registry};
use crate::plan::mask::{Masker, masked_body};
use crate::plan::matching::identity_keys;
use crate::plan::names::own_name;
use crate::plan::normalise::canonical;
use crate::state::State;

/// The parent an entity nests under: exactly one reference set, and the referenced kind nests
/// this kind (or the kind can only be written nested).
fn nesting_of<'a>(
    kind: &Kind,
    body: &Map<String, Value>,
) -> Option<(&'a Kind, &'a Nesting, String)> {
    let registry = registry();
    let set: Vec<&str> = registry
        .foreign_fields(kind)
        .iter()
        .filter(|f| body.get(f.field).is_some_and(|v| !v.is_null()))
        .map(|f| f.field)
        .collect();
    if set.len() != 1 && kind.file_key.is_some() {
        return None;
    }
    registry.kinds().iter().find_map(|parent| {
        let nesting = parent
            .children
            .iter()
            .find(|n| n.kind == kind.name && set.contains(&n.foreign_field))?;
        let pid = body.get(nesting.foreign_field)?.get("id")?.as_str()?;
        Some((parent, nesting, pid.to_string()))
    })
}

/// How a reference to this entity is written: its single natural-key value, else its id.
fn reference_text(kind: &Kind, body: &Map<String, Value>) -> Option<String> {
    let field = match &kind.identity {
        Identity::FirstOf(fields) => fields
            .iter()
            .find(|f| body.get(**f).is_some_and(|v| !v.is_null()))
            .copied(),
        Identity::Fields(fields) if fields.len() == 1 => Some(fields[0]),
        _ => None,
    };
    field
        .and_then(|f| body.get(f))
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| body.get("id").and_then(Value::as_str).map(str::to_string))
}

/// Where an entity goes: its kind, id, and the parent it nests under.
type Placement<'a> = (&'a Kind, String, Option<(&'a Kind, &'a Nesting, String)>);

/// How to write the document.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'a> {
    /// Keep every entity's id, even where a natural key identifies it.
    pub with_id: bool,
    /// Every secret field value `[masked]` (see [`Masker::for_secrets_of`]); an entity whose
    /// natural key is a secret (a key-auth key) keeps its id, so entities stay apart.
    pub sanitize: bool,
    /// Written as `_info.select_tags`, right after `_format_version` (where decK puts it).
    pub select_tags: &'a [String],
}

pub fn document(state: &State, options: Options) -> Value {
    let Options {
        with_id,
        sanitize,
        select_tags,
    } = options;
    let masker = sanitize.then(|| Masker::for_secrets_of(state));
    let registry = registry();
    // (kind, id) → how references name it.
    let mut ref_names: HashMap<(&str, String), String> = HashMap::new();
    for kind in registry.kinds() {
        for e in state.of_kind(kind.name) {
            if let (Some(id), Some(text)) = (e.id(), reference_text(kind, &e.body)) {
                ref_names.insert((kind.name, id.to_string()), text);
            }
        }
    }
    // Every entity's output object, keyed by (kind, id); children are moved into parents
    // from the deepest level up.
    let mut objects: HashMap<(&str, String), Map<String, Value>> = HashMap::new();
    let mut order: Vec<Placement> = Vec::new();
    for kind in registry.kinds() {
        let mut entities: Vec<_> = state.of_kind(kind.name).iter().collect();
        entities.sort_by_key(|e| {
            (
                own_name(kind, &e.body, ""),
                e.id().unwrap_or("").to_string(),
            )
        });
        for e in entities {
            let Some(id) = e.id() else { continue };
            let nesting = nesting_of(kind, &e.body);
            let identity = identity_keys(kind, &e.body);
            let mut keep_id = with_id || identity.is_empty();
            let mut out = match &masker {
                Some(masker) => {
                    let masked = masked_body(kind.name, &e.body, &[], masker);
                    keep_id |= identity_keys(kind, &masked) != identity;
                    canonical(kind, &masked)
                }
                None => canonical(kind, &e.body),
            };
            if keep_id {
                let mut with = Map::new();
                with.insert("id".into(), Value::String(id.to_string()));
                with.extend(out);
                out = with;
            }
            for f in registry.foreign_fields(kind) {
                let Some(pid) = out
                    .get(f.field)
                    .and_then(|v| v.get("id"))
                    .and_then(Value::as_str)
                else {
                    continue;
                };
                let pid = pid.to_string();
                if nesting
                    .as_ref()
                    .is_some_and(|(_, n, _)| n.foreign_field == f.field)
                {
                    out.remove(f.field);
                } else {
                    let text = ref_names
                        .get(&(f.kind, pid.clone()))
                        .cloned()
                        .unwrap_or(pid);
                    out.insert(f.field.to_string(), Value::String(text));
                }
            }
            order.push((kind, id.to_string(), nesting));
            objects.insert((kind.name, id.to_string()), out);
        }
    }
    let mut top: HashMap<&str, Vec<Value>> = HashMap::new();
    let mut by_level: Vec<_> = order.iter().collect();
    // Deepest first, keeping the sorted order within a level.
    by_level.sort_by_key(|(k, _, _)| std::cmp::Reverse(k.level));
    let mut pending: HashMap<(&str, String), Vec<(&str, Value)>> = HashMap::new();
    for (kind, id, nesting) in by_level {
        let Some(mut object) = objects.remove(&(kind.name, id.clone())) else {
            continue;
        };
        if let Some(children) = pending.remove(&(kind.name, id.clone())) {
            for (key, child) in children {
                object
                    .entry(key.to_string())
                    .or_insert_with(|| Value::Array(vec![]))
                    .as_array_mut()
                    .expect("children arrays")
                    .push(child);
            }
        }
        match nesting {
            Some((parent, n, pid))
                if state
                    .of_kind(parent.name)
                    .iter()
                    .any(|p| p.id() == Some(pid)) =>
            {
                pending
                    .entry((parent.name, pid.clone()))
                    .or_default()
                    .push((n.key, Value::Object(object)));
            }
            _ => {
                if let Some(key) = kind.file_key {
                    top.entry(key).or_default().push(Value::Object(object));
                }
            }
        }
    }
    let mut doc = Map::new();
    doc.insert("_format_version".into(), json!("3.0"));
    if !select_tags.is_empty() {
        doc.insert("_info".into(), json!({ "select_tags": select_tags }));
    }
    for kind in registry.kinds() {
        if let Some(key) = kind.file_key
            && let Some(items) = top.remove(key)
        {
            doc.insert(key.to_string(), Value::Array(items));
        }
    }
    Value::Object(doc)
}
