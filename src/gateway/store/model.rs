//! The whole configuration held in memory, with the indexes every read and every constraint
//! check uses: entities per kind ordered by id, unique keys, and parent → child references.
//!
//! The store mutates it only under its single-writer lock, recording undo information so a
//! failed transaction leaves it exactly as it was.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::Arc;

use super::index::Stored;

/// Which tags a listed entity must carry (`?tags=a,b` all, `?tags=a/b` any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagFilter {
    All(Vec<String>),
    Any(Vec<String>),
}

impl TagFilter {
    fn matches(&self, tags: &[Box<str>]) -> bool {
        let has = |t: &String| tags.iter().any(|x| **x == **t);
        match self {
            TagFilter::All(wanted) => wanted.iter().all(has),
            TagFilter::Any(wanted) => wanted.iter().any(has),
        }
    }
}

/// One page request.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub size: usize,
    /// The id the page starts at (decoded from the opaque offset).
    pub start: Option<String>,
    pub tags: Option<TagFilter>,
    /// Only children of this parent: (parent kind, parent id, the child's foreign field).
    pub parent: Option<(&'static str, String, &'static str)>,
    /// Only the entity holding this unique key (`/consumers?custom_id=x`).
    pub unique_key: Option<String>,
}

impl Default for ListQuery {
    fn default() -> Self {
        ListQuery {
            size: 100,
            start: None,
            tags: None,
            parent: None,
            unique_key: None,
        }
    }
}

/// One page of rendered entities, and the id the next page starts at.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub items: Vec<Arc<str>>,
    pub next: Option<String>,
}

type ChildKey = (&'static str, Arc<str>, &'static str, Arc<str>);

#[derive(Debug, Default)]
pub struct Model {
    pub revision: u64,
    entities: HashMap<&'static str, BTreeMap<Arc<str>, Stored>>,
    unique: HashMap<Box<str>, Arc<str>>,
    /// (parent kind, parent id, child kind, child id).
    children: BTreeSet<ChildKey>,
}

impl Model {
    pub fn get(&self, kind: &str, id: &str) -> Option<&Stored> {
        self.entities.get(kind)?.get(id)
    }

    /// The id of the entity holding a unique key.
    pub fn by_unique(&self, key: &str) -> Option<&Arc<str>> {
        self.unique.get(key)
    }

    pub fn count(&self) -> usize {
        self.entities.values().map(BTreeMap::len).sum()
    }

    /// Inserts or replaces an entity, keeping every index current. Returns the previous value.
    pub fn put(&mut self, kind: &'static str, id: Arc<str>, stored: Stored) -> Option<Stored> {
        let previous = self.remove(kind, &id);
        for key in &stored.unique_keys {
            self.unique.insert(key.clone(), id.clone());
        }
        for r in &stored.refs {
            self.children
                .insert((r.kind, r.id.clone(), kind, id.clone()));
        }
        self.entities.entry(kind).or_default().insert(id, stored);
        previous
    }

    pub fn remove(&mut self, kind: &'static str, id: &str) -> Option<Stored> {
        let (id, stored) = self.entities.get_mut(kind)?.remove_entry(id)?;
        for key in &stored.unique_keys {
            if self.unique.get(key).is_some_and(|holder| *holder == id) {
                self.unique.remove(key);
            }
        }
        for r in &stored.refs {
            self.children
                .remove(&(r.kind, r.id.clone(), kind, id.clone()));
        }
        Some(stored)
    }

    /// Children of one parent: (child kind, child id), ordered by kind then id.
    pub fn children_of(
        &self,
        parent_kind: &'static str,
        parent_id: &str,
    ) -> Vec<(&'static str, Arc<str>)> {
        let pid: Arc<str> = Arc::from(parent_id);
        let from: ChildKey = (parent_kind, pid.clone(), "", Arc::from(""));
        self.children
            .range((Bound::Included(from), Bound::Unbounded))
            .take_while(|(k, p, _, _)| *k == parent_kind && **p == *pid)
            .map(|(_, _, ck, cid)| (*ck, cid.clone()))
            .collect()
    }

    /// One page of a kind's entities.
    pub fn list(&self, kind: &'static str, query: &ListQuery) -> Page {
        let Some(all) = self.entities.get(kind) else {
            return Page::default();
        };
        if let Some(key) = &query.unique_key {
            let items = self
                .by_unique(key)
                .and_then(|id| all.get(id))
                .map(|s| vec![s.json.clone()])
                .unwrap_or_default();
            return Page { items, next: None };
        }
        let start = query.start.as_deref().unwrap_or("");
        let wanted = |s: &Stored| query.tags.as_ref().is_none_or(|t| t.matches(&s.tags));
        let mut page = Page::default();
        let mut push = |id: &Arc<str>, stored: &Stored| {
            if page.items.len() == query.size {
                page.next = Some(id.to_string());
                return false;
            }
            page.items.push(stored.json.clone());
            true
        };
        match &query.parent {
            Some((parent_kind, parent_id, field)) => {
                for (child_kind, id) in self.children_of(parent_kind, parent_id) {
                    if child_kind != kind || &*id < start {
                        continue;
                    }
                    let Some(stored) = all.get(&id) else { continue };
                    let via_field = stored
                        .reference(field)
                        .is_some_and(|r| *r.id == **parent_id);
                    if via_field && !push(&id, stored) {
                        break;
                    }
                }
            }
            None => {
                let range = all.range::<str, _>((Bound::Included(start), Bound::Unbounded));
                for (id, stored) in range {
                    if wanted(stored) && !push(id, stored) {
                        break;
                    }
                }
            }
        }
        page
    }

    /// Every (kind, id, tag), for `/tags`.
    pub fn tags(&self, only: Option<&str>) -> Vec<(&'static str, Arc<str>, String)> {
        let mut out = Vec::new();
        for (kind, all) in &self.entities {
            for (id, stored) in all {
                for tag in stored.tags.iter() {
                    if only.is_none_or(|t| t == &**tag) {
                        out.push((*kind, id.clone(), tag.to_string()));
                    }
                }
            }
        }
        out.sort_by(|a, b| (&a.2, a.0, &a.1).cmp(&(&b.2, b.0, &b.1)));
        out
    }

    /// Every entity per kind, ordered by id.
    pub fn dump(&self) -> super::KindsDump {
        let mut kinds: Vec<_> = self
            .entities
            .iter()
            .filter(|(_, all)| !all.is_empty())
            .map(|(k, all)| {
                let items = all.iter().map(|(id, s)| (id.clone(), s.json.clone()));
                (*k, items.collect::<Vec<_>>())
            })
            .collect();
        kinds.sort_by_key(|(k, _)| *k);
        kinds
    }
}
