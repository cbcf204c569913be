//! Mirror fields (see `kinds::Mirror`): a certificate's `snis` lists the names of the SNIs
//! that point at it. Writing the field creates and deletes SNIs to match; writing or deleting
//! an SNI rewrites its certificate's field; a URL may name a certificate by one of its SNIs.
//! All of it happens inside the write's transaction, so it commits or rolls back with it.

use serde_json::{Map, Value, json};

use super::error::EntityError;
use super::index::{Ref, unique_key};
use super::model::Model;
use super::ops::{Action, Op};
use super::write::Tx;
use crate::kinds::{Kind, Mirror, registry};

/// The values a written entity asks its mirror fields to hold (null: leave the children be).
pub fn wanted(
    kind: &'static Kind,
    entity: &Map<String, Value>,
) -> Vec<(&'static Mirror, Vec<String>)> {
    kind.mirrors
        .iter()
        .filter_map(|m| {
            let values = entity.get(m.field)?.as_array()?;
            let mut names: Vec<String> = values
                .iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect();
            // A name given twice is one child.
            names.sort();
            names.dedup();
            Some((m, names))
        })
        .collect()
}

/// The parent a mirror field's value names (`/certificates/example.com`).
pub fn resolve(model: &Model, kind: &Kind, value: &str) -> Option<String> {
    kind.mirrors.iter().find_map(|m| {
        let child = registry().kind(m.child_kind)?;
        let key = unique_key(child.name, &[m.child_field], &[Value::from(value)]);
        let child_id = model.by_unique(&key)?;
        let stored = model.get(child.name, child_id)?;
        Some(stored.reference(m.via)?.id.to_string())
    })
}

/// `PUT /certificates/example.com` names no existing entity: the new one lists that value
/// (added to what the body's mirror field gives). False when `kind` has no mirror field.
pub fn name_new(kind: &Kind, body: &mut Map<String, Value>, value: &str) -> bool {
    let Some(mirror) = kind.mirrors.first() else {
        return false;
    };
    let mut values = body
        .get(mirror.field)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if !values.iter().any(|v| v.as_str() == Some(value)) {
        values.push(Value::from(value));
    }
    body.insert(mirror.field.into(), Value::from(values));
    true
}

/// The parents whose mirror fields list a `child` entity with these references (none, and
/// no allocation, for the kinds nothing mirrors).
pub fn parents<'r>(
    child: &str,
    refs: impl IntoIterator<Item = &'r Ref>,
) -> Vec<(&'static Kind, String)> {
    let mirrors: Vec<(&'static Kind, &'static Mirror)> = registry()
        .kinds()
        .iter()
        .flat_map(|k| k.mirrors.iter().map(move |m| (k, m)))
        .filter(|(_, m)| m.child_kind == child)
        .collect();
    if mirrors.is_empty() {
        return Vec::new();
    }
    refs.into_iter()
        .filter_map(|r| {
            let (parent, _) = mirrors
                .iter()
                .find(|(p, m)| r.field == m.via && r.kind == p.name)?;
            Some((*parent, r.id.to_string()))
        })
        .collect()
}

impl Tx<'_> {
    /// Creates and deletes children so each mirror field's children are exactly `wanted`.
    pub(super) fn sync_mirrors(
        &mut self,
        kind: &'static Kind,
        id: &str,
        wanted: Vec<(&'static Mirror, Vec<String>)>,
    ) -> Result<(), EntityError> {
        for (mirror, names) in wanted {
            let Some(child) = registry().kind(mirror.child_kind) else {
                continue;
            };
            let existing = self.children_values(kind, id, mirror);
            for (child_id, value) in &existing {
                if !names.contains(value) {
                    self.delete(child, child_id)?;
                }
            }
            for name in names {
                if existing.iter().any(|(_, value)| *value == name) {
                    continue;
                }
                let mut body = Map::new();
                body.insert(mirror.child_field.into(), Value::from(name));
                body.insert(mirror.via.into(), json!({"id": id}));
                self.apply(Op::new(child, Action::Create, body))?;
            }
        }
        Ok(())
    }

    /// Rewrites the mirror fields of a parent from its children (sorted, `[]` when none).
    pub(super) fn refresh_mirrors(&mut self, kind: &'static Kind, id: &str) {
        for mirror in &kind.mirrors {
            let Some(stored) = self.model().get(kind.name, id) else {
                return;
            };
            let mut values: Vec<String> = self
                .children_values(kind, id, mirror)
                .into_iter()
                .map(|(_, value)| value)
                .collect();
            values.sort();
            let mut entity: Map<String, Value> =
                serde_json::from_str(&stored.json).unwrap_or_default();
            let values = Value::from(values);
            if entity.get(mirror.field) == Some(&values) {
                continue;
            }
            entity.insert(mirror.field.into(), values);
            self.store(kind, id.to_string(), entity, 200);
        }
    }

    /// After children changed: rewrites the mirror fields of these parents.
    pub(super) fn refresh_parents(&mut self, parents: Vec<(&'static Kind, String)>) {
        for (parent, id) in parents {
            self.refresh_mirrors(parent, &id);
        }
    }

    /// (child id, child field value) of each child a mirror lists.
    fn children_values(&self, kind: &Kind, id: &str, mirror: &Mirror) -> Vec<(String, String)> {
        let model = self.model();
        model
            .children_of(kind.name, id)
            .into_iter()
            .filter(|(child_kind, _)| *child_kind == mirror.child_kind)
            .filter_map(|(child_kind, child_id)| {
                let stored = model.get(child_kind, &child_id)?;
                stored.reference(mirror.via).filter(|r| *r.id == *id)?;
                let entity: Map<String, Value> = serde_json::from_str(&stored.json).ok()?;
                let value = entity.get(mirror.child_field)?.as_str()?.to_string();
                Some((child_id.to_string(), value))
            })
            .collect()
    }
}
