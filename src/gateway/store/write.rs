//! One write transaction over the in-memory model: turns operations into validated, rendered
//! entities, enforces uniqueness, references and cascades, and records how to undo itself.
//!
//! Everything is driven by the registry: `Auto` fields are generated, foreign fields resolved
//! and checked, `unique` fields and `unique_together` enforced, `OnDelete` followed.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use rand::Rng;
use serde_json::{Map, Value, json};

use super::error::{EntityError, lua_repr};
use super::index::{Stored, unique_fields, unique_key};
use super::mirror;
use super::model::Model;
use super::ops::{Action, Op, OpResult};
use super::render::{effective_fields, in_schema_order, merge};
use super::{Key, Scope, parse_entity};
use crate::kinds::entities::pem_digest;
use crate::kinds::entities::typedefs::is_uuid;
use crate::kinds::schema::{Auto, OnDelete};
use crate::kinds::validate::{Coerce, Options, Seg, UnknownSubschema, Violation, process_entity};
use crate::kinds::{Kind, registry};

/// A touched entity's final value: (kind, id, rendered JSON or None when deleted).
pub type Change = (&'static str, Arc<str>, Option<Arc<str>>);

/// Undo record: the entity's value before the transaction touched it.
type Undo = (&'static str, Arc<str>, Option<Stored>);

pub struct Tx<'m> {
    model: &'m mut Model,
    undo: Vec<Undo>,
    /// Seconds since the epoch, shared by every timestamp of the transaction.
    now: f64,
}

impl<'m> Tx<'m> {
    pub(super) fn model(&self) -> &Model {
        self.model
    }

    pub fn new(model: &'m mut Model) -> Self {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or_default();
        Tx {
            model,
            undo: Vec::new(),
            now,
        }
    }

    /// Puts the model back exactly as it was before the transaction.
    pub fn rollback(mut self) {
        while let Some((kind, id, previous)) = self.undo.pop() {
            self.model.remove(kind, &id);
            if let Some(previous) = previous {
                self.model.put(kind, id, previous);
            }
        }
    }

    /// The final value of every entity the transaction touched (None = deleted), each once.
    pub fn changes(&self) -> Vec<Change> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for (kind, id, _) in &self.undo {
            if seen.insert((*kind, id.clone())) {
                let current = self.model.get(kind, id).map(|s| s.json.clone());
                out.push((*kind, id.clone(), current));
            }
        }
        out
    }

    pub fn apply(&mut self, op: Op) -> Result<OpResult, EntityError> {
        let Op {
            kind,
            action,
            mut body,
            scope,
            form,
        } = op;
        if let Some(scope) = &scope {
            body.insert(scope.field.to_string(), json!({"id": scope.parent_id}));
        }
        match action {
            Action::Create => {
                let id = match body.get("id") {
                    None | Some(Value::Null) => uuid::Uuid::new_v4().to_string(),
                    Some(Value::String(id)) if is_uuid(id) => id.to_ascii_lowercase(),
                    Some(_) => return Err(invalid_id()),
                };
                if self.model.get(kind.name, &id).is_some() {
                    return Err(EntityError::PrimaryKey { id });
                }
                let entity = self.prepare(kind, body, None, form, &id)?;
                self.put(kind, id, entity, 201)
            }
            Action::Upsert(key) => {
                let existing = self.resolve(kind, &key, scope.as_ref());
                let id = match (&existing, &key) {
                    (Some(id), _) => id.clone(),
                    // The id exists, but under another parent: not this endpoint's to replace.
                    (None, Key::Id(id)) if self.model.get(kind.name, id).is_some() => {
                        return Err(not_found(kind, &key));
                    }
                    (None, Key::Id(id)) => id.clone(),
                    (None, Key::Endpoint(value)) => match key_field(kind, scope.as_ref()) {
                        Some(_) => uuid::Uuid::new_v4().to_string(),
                        None if mirror::name_new(kind, &mut body, value) => {
                            uuid::Uuid::new_v4().to_string()
                        }
                        None => return Err(invalid_id()),
                    },
                };
                if let (Key::Endpoint(value), Some(field)) = (&key, key_field(kind, scope.as_ref()))
                {
                    body.insert(field.to_string(), Value::from(value.as_str()));
                }
                let previous = existing
                    .as_ref()
                    .and_then(|id| self.model.get(kind.name, id))
                    .map(|s| parse_entity(&s.json));
                let entity = self.prepare(kind, body, previous.as_ref(), form, &id)?;
                self.put(kind, id, entity, 200)
            }
            Action::Update(key) => {
                let Some(id) = self.resolve(kind, &key, scope.as_ref()) else {
                    return Err(not_found(kind, &key));
                };
                let previous = self
                    .model
                    .get(kind.name, &id)
                    .map(|s| parse_entity(&s.json))
                    .unwrap_or_default();
                let mut merged = previous.clone();
                body.remove("id");
                merge(kind, &mut merged, body);
                let entity = self.prepare(kind, merged, Some(&previous), form, &id)?;
                self.put(kind, id, entity, 200)
            }
            Action::Delete(key) => {
                let deleted = match self.resolve(kind, &key, scope.as_ref()) {
                    Some(id) => {
                        self.delete(kind, &id)?;
                        true
                    }
                    None => false,
                };
                Ok(OpResult {
                    status: 204,
                    entity: None,
                    deleted,
                })
            }
        }
    }

    /// The id of the entity a key names, within the scope's parent if there is one.
    pub fn resolve(&self, kind: &'static Kind, key: &Key, scope: Option<&Scope>) -> Option<String> {
        resolve(self.model, kind, key, scope)
    }

    /// Stores a written entity, then keeps mirror fields in step (see `mirror`).
    fn put(
        &mut self,
        kind: &'static Kind,
        id: String,
        entity: Map<String, Value>,
        status: u16,
    ) -> Result<OpResult, EntityError> {
        let wanted = mirror::wanted(kind, &entity);
        let result = self.store(kind, id.clone(), entity, status);
        if kind.mirrors.is_empty() {
            return Ok(result);
        }
        self.sync_mirrors(kind, &id, wanted)?;
        self.refresh_mirrors(kind, &id);
        let entity = self.model.get(kind.name, &id).map(|s| s.json.clone());
        Ok(OpResult { entity, ..result })
    }

    pub(super) fn store(
        &mut self,
        kind: &'static Kind,
        id: String,
        entity: Map<String, Value>,
        status: u16,
    ) -> OpResult {
        let stored = Stored::new(kind, &entity);
        let json = stored.json.clone();
        let id: Arc<str> = Arc::from(id);
        let mut parents = mirror::parents(kind.name, stored.refs.iter());
        let previous = self.model.put(kind.name, id.clone(), stored);
        if let Some(previous) = &previous {
            parents.extend(mirror::parents(kind.name, previous.refs.iter()));
        }
        self.undo.push((kind.name, id, previous));
        self.refresh_parents(parents);
        OpResult {
            status,
            entity: Some(json),
            deleted: false,
        }
    }

    /// Deletes an entity, following `OnDelete` for everything that references it.
    pub(super) fn delete(&mut self, kind: &'static Kind, id: &str) -> Result<(), EntityError> {
        for (child_kind, child_id) in self.model.children_of(kind.name, id) {
            let Some(child) = registry().kind(child_kind) else {
                continue;
            };
            let Some(stored) = self.model.get(child_kind, &child_id) else {
                continue;
            };
            let fields: Vec<&'static str> = stored
                .refs
                .iter()
                .filter(|r| r.kind == kind.name && *r.id == *id)
                .map(|r| r.field)
                .collect();
            for field in fields {
                let on_delete = child
                    .schema
                    .field(field)
                    .map(|f| f.on_delete)
                    .unwrap_or(OnDelete::Restrict);
                match on_delete {
                    OnDelete::Restrict => {
                        return Err(EntityError::ForeignKey {
                            message: format!(
                                "an existing '{child_kind}' entity references this '{}' entity",
                                kind.name
                            ),
                            fields: json!({"@referenced_by": child_kind}),
                        });
                    }
                    OnDelete::Cascade => {
                        if self.model.get(child_kind, &child_id).is_some() {
                            self.delete(child, &child_id)?;
                        }
                    }
                }
            }
        }
        if let Some(previous) = self.model.remove(kind.name, id) {
            let parents = mirror::parents(kind.name, previous.refs.iter());
            self.undo.push((kind.name, Arc::from(id), Some(previous)));
            self.refresh_parents(parents);
        }
        Ok(())
    }

    /// Fills automatic fields, validates, resolves references and checks uniqueness.
    fn prepare(
        &self,
        kind: &'static Kind,
        mut body: Map<String, Value>,
        previous: Option<&Map<String, Value>>,
        form: bool,
        id: &str,
    ) -> Result<Map<String, Value>, EntityError> {
        body.insert("id".into(), Value::from(id));
        self.fill_auto(kind, &mut body, previous);
        let options = Options {
            fill_defaults: true,
            fill_nulls: true,
            coerce: if form { Coerce::Always } else { Coerce::Never },
            unknown_subschema: UnknownSubschema::Reject,
            check_required: true,
        };
        let violations = process_entity(registry(), kind, &mut body, options);
        if !violations.is_empty() {
            return Err(EntityError::Schema(violations));
        }
        self.resolve_references(kind, &mut body)?;
        let entity = in_schema_order(kind, body);
        self.check_unique(kind, &entity, id)?;
        Ok(entity)
    }

    fn fill_auto(
        &self,
        kind: &Kind,
        body: &mut Map<String, Value>,
        previous: Option<&Map<String, Value>>,
    ) {
        for field in effective_fields(kind, body) {
            let given = body.get(field.name).filter(|v| !v.is_null()).cloned();
            let before = previous
                .and_then(|p| p.get(field.name))
                .filter(|v| !v.is_null());
            let value = match field.schema.auto {
                Auto::None | Auto::Uuid => continue,
                Auto::TimestampSeconds | Auto::TimestampMillis => {
                    let now = if field.schema.auto == Auto::TimestampSeconds {
                        Value::from(self.now.floor() as i64)
                    } else {
                        json!((self.now * 1000.0).floor() / 1000.0)
                    };
                    if field.name == "updated_at" {
                        now
                    } else {
                        before.cloned().or(given).unwrap_or(now)
                    }
                }
                Auto::RandomKey => match given {
                    Some(v) => v,
                    None => Value::from(random_key()),
                },
                Auto::PemDigest(source) => {
                    match body
                        .get(source)
                        .and_then(Value::as_str)
                        .and_then(pem_digest)
                    {
                        Some(digest) => Value::from(digest),
                        None => continue,
                    }
                }
            };
            body.insert(field.name.to_string(), value);
        }
    }

    /// Replaces every foreign value by `{"id": …}` after checking the entity exists. A body may
    /// name the parent by id, by endpoint key or unique field (`{"name": "svc"}`), or by a bare
    /// string.
    fn resolve_references(
        &self,
        kind: &Kind,
        body: &mut Map<String, Value>,
    ) -> Result<(), EntityError> {
        let mut violations = Vec::new();
        for f in registry().foreign_fields(kind) {
            let Some(value) = body.get(f.field).filter(|v| !v.is_null()) else {
                continue;
            };
            let Some(target) = registry().kind(f.kind) else {
                continue;
            };
            let (resolved, shown) = match value {
                Value::Object(map) => match map.get("id") {
                    Some(Value::String(id)) if is_uuid(id) => {
                        let id = id.to_ascii_lowercase();
                        let found = self.model.get(f.kind, &id).map(|_| id.clone());
                        (found, json!({"id": id}))
                    }
                    Some(_) => {
                        violations.push(Violation {
                            path: vec![Seg::Key(f.field.into()), Seg::Key("id".into())],
                            message: "expected a valid UUID".into(),
                            entity_level: false,
                            suggestion: None,
                        });
                        continue;
                    }
                    None => {
                        let found = map.iter().find_map(|(k, v)| {
                            let is_key = target.endpoint_key == Some(k.as_str())
                                || unique_fields(target).any(|u| u == k);
                            is_key
                                .then(|| {
                                    self.model.by_unique(&unique_key(
                                        f.kind,
                                        &[k],
                                        std::slice::from_ref(v),
                                    ))
                                })
                                .flatten()
                                .map(|id| id.to_string())
                        });
                        (found, value.clone())
                    }
                },
                Value::String(text) => {
                    let key = Key::parse(text);
                    let shown = match &key {
                        Key::Id(id) => json!({"id": id}),
                        Key::Endpoint(v) => json!({ target.endpoint_key.unwrap_or("id"): v }),
                    };
                    (resolve(self.model, target, &key, None), shown)
                }
                _ => continue,
            };
            match resolved {
                Some(id) => {
                    body.insert(f.field.to_string(), json!({"id": id}));
                }
                None => {
                    if let Some(reference) = shown
                        .as_object()
                        .filter(|r| !r.is_empty() && !r.contains_key("id"))
                    {
                        return Err(EntityError::Unresolved {
                            field: f.field.to_string(),
                            target: f.kind.to_string(),
                            reference: Box::new(reference.clone()),
                        });
                    }
                    return Err(EntityError::ForeignKey {
                        message: format!(
                            "the foreign key '{}' does not reference an existing '{}' entity.",
                            lua_repr(&shown),
                            f.kind
                        ),
                        fields: json!({ f.field: shown }),
                    });
                }
            }
        }
        if violations.is_empty() {
            Ok(())
        } else {
            Err(EntityError::Schema(violations))
        }
    }

    fn check_unique(
        &self,
        kind: &Kind,
        entity: &Map<String, Value>,
        id: &str,
    ) -> Result<(), EntityError> {
        let taken = |key: &str| {
            self.model
                .by_unique(key)
                .is_some_and(|holder| **holder != *id)
        };
        for field in unique_fields(kind) {
            let Some(value) = entity.get(field).filter(|v| !v.is_null()) else {
                continue;
            };
            if taken(&unique_key(
                kind.name,
                &[field],
                std::slice::from_ref(value),
            )) {
                let fields = json!({ field: value });
                return Err(EntityError::Unique {
                    key: lua_repr(&fields),
                    fields,
                });
            }
        }
        for combo in &kind.unique_together {
            let values: Vec<Value> = combo
                .iter()
                .map(|f| entity.get(*f).cloned().unwrap_or(Value::Null))
                .collect();
            if taken(&unique_key(kind.name, combo, &values)) {
                let fields: Map<String, Value> = combo
                    .iter()
                    .zip(values)
                    .map(|(f, v)| (f.to_string(), v))
                    .collect();
                let fields = Value::Object(fields);
                return Err(EntityError::Unique {
                    key: lua_repr(&fields),
                    fields,
                });
            }
        }
        Ok(())
    }
}

/// Resolves a key to an id: ids directly, endpoint keys through the unique index (scoped
/// endpoint keys, like a target within its upstream, through the matching field combination).
pub fn resolve(
    model: &Model,
    kind: &'static Kind,
    key: &Key,
    scope: Option<&Scope>,
) -> Option<String> {
    let id = match key {
        Key::Id(id) => model.get(kind.name, id).map(|_| id.clone())?,
        Key::Endpoint(value) => {
            let Some(field) = key_field(kind, scope) else {
                return mirror::resolve(model, kind, value).filter(|_| scope.is_none());
            };
            let value = normalized_key(kind, field, value);
            let index_key = if kind.endpoint_key_scoped || kind.endpoint_key.is_none() {
                let scope = scope?;
                let combo = kind
                    .unique_together
                    .iter()
                    .find(|c| c.len() == 2 && c.contains(&field) && c.contains(&scope.field))?;
                let values: Vec<Value> = combo
                    .iter()
                    .map(|f| {
                        if *f == field {
                            value.clone()
                        } else {
                            Value::from(scope.parent_id.as_str())
                        }
                    })
                    .collect();
                unique_key(kind.name, combo, &values)
            } else {
                unique_key(kind.name, &[field], &[value])
            };
            model.by_unique(&index_key)?.to_string()
        }
    };
    if let Some(scope) = scope {
        let stored = model.get(kind.name, &id)?;
        let belongs = stored
            .reference(scope.field)
            .is_some_and(|r| *r.id == *scope.parent_id);
        if !belongs {
            return None;
        }
    }
    Some(id)
}

/// The field a non-UUID URL segment names: the kind's endpoint key or, under a parent, the
/// other half of a (parent, field) unique pair (an ACL by its group within its consumer).
fn key_field(kind: &Kind, scope: Option<&Scope>) -> Option<&'static str> {
    if let Some(field) = kind.endpoint_key {
        return Some(field);
    }
    let scope = scope?;
    kind.unique_together
        .iter()
        .filter(|c| c.len() == 2 && c.contains(&scope.field))
        .flat_map(|c| c.iter().copied())
        .find(|f| *f != scope.field)
}

/// An endpoint key as stored: targets are normalised (`10.0.0.1` → `10.0.0.1:8000`).
fn normalized_key(kind: &Kind, field: &str, value: &str) -> Value {
    let raw = Value::from(value);
    match kind.schema.field(field).and_then(|f| f.normalize) {
        Some(normalize) => normalize(&raw).unwrap_or(raw),
        None => raw,
    }
}

fn invalid_id() -> EntityError {
    EntityError::Schema(vec![Violation {
        path: vec![Seg::Key("id".into())],
        message: "expected a valid UUID".into(),
        entity_level: false,
        suggestion: None,
    }])
}

pub fn not_found(kind: &Kind, key: &Key) -> EntityError {
    let key = match key {
        Key::Id(id) => format!("primary key '{{id=\"{id}\"}}'"),
        Key::Endpoint(v) => format!("'{{{}=\"{v}\"}}'", kind.endpoint_key.unwrap_or("id")),
    };
    EntityError::NotFound { key }
}

fn random_key() -> String {
    rand::rng()
        .sample_iter(&rand::distr::Alphanumeric)
        .take(32)
        .map(char::from)
        .collect()
}
