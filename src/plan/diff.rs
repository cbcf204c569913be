//! From the gateway's state and the files' state to a [`Plan`].

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::mask::Masker;
use super::matching::{MatchError, identity_keys, index_of, resolve};
use super::model::{Change, Op, Phase, Plan};
use super::names::{Names, console_name, own_name};
use super::normalise::{canonical, canonical_filled};
use crate::kinds::schema::OnDelete;
use crate::kinds::{Kind, registry};
use crate::state::{Entity, State};

#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// `apply`: create and update only.
    pub no_deletes: bool,
    /// Only entities carrying all these tags are managed (the current side was read with
    /// them); created entities get them.
    pub select_tags: Vec<String>,
    /// The target's own schema defaults (gateways other than gwctl's).
    pub remote: Option<std::sync::Arc<super::remote::RemoteSchemas>>,
    /// The gateway renders every field with the registry's defaults (gwctl's own gateway), so
    /// its side needs no defaulting before comparison.
    pub current_complete: bool,
}

/// Computes what must change for the gateway (`current`) to equal the files (`target`).
pub fn plan(current: &State, target: &State, options: &DiffOptions) -> Result<Plan, MatchError> {
    let registry = registry();
    let current_index = index_of(current);
    let target = resolve(target, current, &current_index, &options.select_tags)?;

    let mut names = Names::default();
    for side in [&target, current] {
        for kind in registry.kinds() {
            for e in side.of_kind(kind.name) {
                if let Some(id) = e.id() {
                    names.insert(kind.name, id, own_name(kind, &e.body, id));
                }
            }
        }
    }

    // The canonical forms of both sides, computed on two threads (the expensive part).
    let pairs: Vec<(&'static Kind, &Entity, Option<&Entity>)> = registry
        .kinds()
        .iter()
        .flat_map(|kind| target.of_kind(kind.name).iter().map(move |e| (kind, e)))
        .map(|(kind, entity)| {
            let id = entity.id().expect("resolve assigns ids");
            let old = current_index
                .by_id
                .get(&(kind.name, id.to_string()))
                .map(|&pos| &current.of_kind(kind.name)[pos]);
            (kind, entity, old)
        })
        .collect();
    let (news, olds) = std::thread::scope(|scope| {
        let news = scope.spawn(|| {
            pairs
                .iter()
                .map(|(kind, entity, _)| target_canonical(kind, entity, options))
                .collect::<Vec<_>>()
        });
        let olds: Vec<Option<Map<String, Value>>> = pairs
            .iter()
            .map(|(kind, _, old)| old.map(|o| current_canonical(kind, &o.body, options)))
            .collect();
        (news.join().expect("canonical forms"), olds)
    });
    let masker = Masker::new(&target.secret_values);
    let mut changes: Vec<Change> = Vec::new();
    let mut target_ids: HashSet<(&'static str, String)> = HashSet::new();
    for (((kind, entity, _), new), old) in pairs.iter().zip(news).zip(olds) {
        let id = entity.id().expect("resolve assigns ids").to_string();
        target_ids.insert((kind.name, id.clone()));
        let op = match &old {
            None => Op::Create,
            Some(old) if *old != new => Op::Update,
            Some(_) => continue,
        };
        changes.push(Change {
            op,
            kind: kind.name.to_string(),
            name: masker.mask(&console_name(kind, &entity.body, &id, &names)),
            id,
            old,
            new: Some(new),
            secret_paths: entity.secret_paths.clone(),
            phase: Phase::Write,
            level: kind.level,
            recreate: false,
            depends_on: vec![],
        });
    }
    if !options.no_deletes {
        for kind in registry.kinds() {
            for entity in current.of_kind(kind.name) {
                let Some(id) = entity.id() else { continue };
                if target_ids.contains(&(kind.name, id.to_string())) {
                    continue;
                }
                changes.push(Change {
                    op: Op::Delete,
                    kind: kind.name.to_string(),
                    name: masker.mask(&console_name(kind, &entity.body, id, &names)),
                    id: id.to_string(),
                    old: Some(current_canonical(kind, &entity.body, options)),
                    new: None,
                    secret_paths: vec![],
                    phase: Phase::Delete,
                    level: kind.level,
                    recreate: false,
                    depends_on: vec![],
                });
            }
        }
        free_moved_keys(&mut changes);
    }
    order(&mut changes);
    link_dependencies(&mut changes);
    Ok(Plan {
        changes,
        warnings: Vec::new(),
        secret_values: target.secret_values.clone(),
    })
}

fn target_canonical(kind: &Kind, entity: &Entity, options: &DiffOptions) -> Map<String, Value> {
    match &options.remote {
        Some(remote) => {
            let mut body = entity.body.clone();
            let sub = kind
                .subschema_key
                .and_then(|k| body.get(k))
                .and_then(Value::as_str)
                .map(str::to_string);
            remote.fill(kind.name, sub.as_deref(), &mut body);
            canonical(kind, &body)
        }
        None => canonical(kind, &entity.body),
    }
}

fn current_canonical(
    kind: &Kind,
    body: &Map<String, Value>,
    options: &DiffOptions,
) -> Map<String, Value> {
    if options.current_complete {
        canonical_filled(kind, body)
    } else {
        canonical(kind, body)
    }
}

/// Every value that must be unique per kind: natural keys, `unique` fields, composite keys.
fn unique_keys(kind: &Kind, body: &Map<String, Value>) -> Vec<String> {
    let mut keys: Vec<String> = identity_keys(kind, body)
        .into_iter()
        .map(|k| format!("identity:{k}"))
        .collect();
    for field in &kind.schema.fields {
        if field.schema.unique
            && !field.schema.server_managed
            && let Some(v) = body.get(field.name).filter(|v| !v.is_null())
        {
            keys.push(format!("{}:{v}", field.name));
        }
    }
    for group in &kind.unique_together {
        let parts: Vec<String> = group
            .iter()
            .map(|f| body.get(*f).map(Value::to_string).unwrap_or_default())
            .collect();
        keys.push(format!("{}:{}", group.join("+"), parts.join("\u{1f}")));
    }
    keys
}

/// A delete whose natural key (or another unique value) is taken by a create or update must
/// run first, or the write fails with 409 (decK issue #698, fixture 020). Entities that
/// reference it with a restricting key go first with it; kept entities that referenced it are
/// re-created afterwards.
fn free_moved_keys(changes: &mut Vec<Change>) {
    let registry = registry();
    let mut taken: HashSet<(String, String)> = HashSet::new();
    for c in changes.iter().filter(|c| c.op != Op::Delete) {
        let kind = registry.kind(&c.kind).expect("registry kind");
        for key in unique_keys(kind, c.new.as_ref().expect("writes have bodies")) {
            taken.insert((c.kind.clone(), key));
        }
    }
    let mut early: Vec<usize> = changes
        .iter()
        .enumerate()
        .filter(|(_, c)| c.op == Op::Delete)
        .filter(|(_, c)| {
            let kind = registry.kind(&c.kind).expect("registry kind");
            unique_keys(kind, c.old.as_ref().expect("deletes have old bodies"))
                .into_iter()
                .any(|k| taken.contains(&(c.kind.clone(), k)))
        })
        .map(|(i, _)| i)
        .collect();
    // Close over referencing entities.
    let mut freed: HashSet<(String, String)> = HashSet::new();
    while let Some(i) = early.pop() {
        if changes[i].phase == Phase::FreeKeys {
            continue;
        }
        changes[i].phase = Phase::FreeKeys;
        freed.insert((changes[i].kind.clone(), changes[i].id.clone()));
        let (parent_kind, parent_id) = (changes[i].kind.clone(), changes[i].id.clone());
        for (child_kind, field) in registry.referencing(&parent_kind) {
            for j in 0..changes.len() {
                let c = &changes[j];
                if c.kind != child_kind.name {
                    continue;
                }
                let body = c.old.as_ref();
                let refers = body
                    .and_then(|b| b.get(field.field))
                    .and_then(|r| r.get("id"))
                    .and_then(Value::as_str)
                    == Some(parent_id.as_str());
                if !refers {
                    continue;
                }
                match c.op {
                    Op::Delete => early.push(j),
                    Op::Update => {
                        changes[j].recreate = true;
                        if field.on_delete == OnDelete::Restrict {
                            let mut delete = changes[j].clone();
                            delete.op = Op::Delete;
                            delete.new = None;
                            delete.recreate = false;
                            delete.phase = Phase::Delete;
                            changes.push(delete);
                            early.push(changes.len() - 1);
                        }
                    }
                    Op::Create => {}
                }
            }
        }
    }
}

/// Execution order: freeing deletes child-first, writes parent-first, deletes child-first;
/// within a step by kind (registry order) then name, so output is deterministic.
fn order(changes: &mut [Change]) {
    let position: HashMap<&str, usize> = registry()
        .kinds()
        .iter()
        .enumerate()
        .map(|(i, k)| (k.name, i))
        .collect();
    changes.sort_by(|a, b| {
        let level = |c: &Change| match c.phase {
            Phase::Write => c.level as i32,
            _ => -(c.level as i32),
        };
        let kind_pos = |c: &Change| {
            let p = position[c.kind.as_str()] as i64;
            if c.phase == Phase::Write { p } else { -p }
        };
        (a.phase, level(a), kind_pos(a), &a.name, &a.id).cmp(&(
            b.phase,
            level(b),
            kind_pos(b),
            &b.name,
            &b.id,
        ))
    });
}

/// A write needs its parents' writes; a delete needs the deletes of what references it.
fn link_dependencies(changes: &mut [Change]) {
    let registry = registry();
    let reference = |c: &Change, field: &str| -> Option<String> {
        let body = if c.op == Op::Delete {
            c.old.as_ref()
        } else {
            c.new.as_ref()
        }?;
        Some(body.get(field)?.get("id")?.as_str()?.to_string())
    };
    let mut writes: HashMap<(String, String), usize> = HashMap::new();
    // (parent kind, parent id) → deletes of entities that reference it.
    let mut referencing_deletes: HashMap<(String, String), Vec<usize>> = HashMap::new();
    for (i, c) in changes.iter().enumerate() {
        if c.op == Op::Delete {
            let kind = registry.kind(&c.kind).expect("registry kind");
            for f in registry.foreign_fields(kind) {
                if let Some(pid) = reference(c, f.field) {
                    referencing_deletes
                        .entry((f.kind.to_string(), pid))
                        .or_default()
                        .push(i);
                }
            }
        } else {
            writes.insert((c.kind.clone(), c.id.clone()), i);
        }
    }
    let all_deps: Vec<Vec<usize>> = changes
        .iter()
        .enumerate()
        .map(|(i, change)| {
            let kind = registry.kind(&change.kind).expect("registry kind");
            let mut deps: Vec<usize> = match change.op {
                Op::Create | Op::Update => registry
                    .foreign_fields(kind)
                    .iter()
                    .filter_map(|f| {
                        let pid = reference(change, f.field)?;
                        writes.get(&(f.kind.to_string(), pid)).copied()
                    })
                    .collect(),
                Op::Delete => referencing_deletes
                    .get(&(change.kind.clone(), change.id.clone()))
                    .cloned()
                    .unwrap_or_default(),
            };
            // Only earlier steps can be waited for.
            deps.retain(|&j| j < i);
            deps.sort_unstable();
            deps.dedup();
            deps
        })
        .collect();
    for (change, deps) in changes.iter_mut().zip(all_deps) {
        change.depends_on = deps;
    }
}
