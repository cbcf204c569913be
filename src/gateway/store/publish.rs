//! Publishes a [`Snapshot`] for the proxy after committed writes.
//!
//! Snapshots are built incrementally: the store hands out each entity's rendered text as a
//! shared `Arc<str>`, so an entity whose text is the same allocation as last time is unchanged
//! and its parsed map is moved over, not parsed again. Only changed entities are parsed (off
//! the async executor), and the new snapshot is assembled in place when no reader still holds
//! the previous one (`Arc::make_mut`), so memory does not double on every rebuild.
//!
//! Rebuilds are coalesced: at most one runs at a time, a short pause gathers a burst of writes
//! into one rebuild, and after each rebuild the publisher rests as long as it took, so writes
//! keep their throughput.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{Store, parse_entity};
use crate::gateway::snapshot::Snapshot;

/// How long a write waits for others to join it in one rebuild.
const GATHER: Duration = Duration::from_millis(10);

/// One kind's entities as (id, rendered JSON).
type KindItems = (&'static str, Vec<(Arc<str>, Arc<str>)>);

type Parsed = HashMap<(&'static str, Arc<str>), Map<String, Value>>;

/// Builds a snapshot of everything the store holds now, from scratch.
pub fn build_snapshot(store: &dyn Store) -> Snapshot {
    let (revision, kinds) = store.dump();
    let mut snapshot = Snapshot {
        revision,
        entities: BTreeMap::new(),
    };
    let parsed = parse_changed(&[], &kinds);
    merge(&mut snapshot, &[], &kinds, parsed);
    snapshot.revision = revision;
    snapshot
}

/// Parses the entities whose text differs from (or is absent in) the previous dump.
fn parse_changed(previous: &[KindItems], current: &[KindItems]) -> Parsed {
    let mut out = HashMap::new();
    for (kind, items) in current {
        let before: HashMap<&str, &Arc<str>> = previous
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, items)| items.iter().map(|(id, json)| (&**id, json)).collect())
            .unwrap_or_default();
        for (id, json) in items {
            let same = before.get(&**id).is_some_and(|old| Arc::ptr_eq(old, json));
            if !same {
                out.insert((*kind, id.clone()), parse_entity(json));
            }
        }
    }
    out
}

/// Turns the snapshot of `previous` into the snapshot of `current`, moving unchanged maps.
fn merge(
    snapshot: &mut Snapshot,
    previous: &[KindItems],
    current: &[KindItems],
    mut parsed: Parsed,
) {
    let mut old_entities = std::mem::take(&mut snapshot.entities);
    for (kind, items) in current {
        let old_items: &[(Arc<str>, Arc<str>)] = previous
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, items)| items.as_slice())
            .unwrap_or(&[]);
        let old_maps = old_entities.remove(kind).unwrap_or_default();
        let mut old = old_items.iter().zip(old_maps).peekable();
        let mut maps = Vec::with_capacity(items.len());
        for (id, json) in items {
            while old.peek().is_some_and(|((oid, _), _)| **oid < **id) {
                old.next();
            }
            let reusable = old
                .peek()
                .is_some_and(|((oid, ojson), _)| **oid == **id && Arc::ptr_eq(ojson, json));
            let map = match (reusable, old.next_if(|_| reusable)) {
                (true, Some((_, map))) => map,
                _ => parsed
                    .remove(&(*kind, id.clone()))
                    .unwrap_or_else(|| parse_entity(json)),
            };
            maps.push(map);
        }
        snapshot.entities.insert(*kind, maps);
    }
}

/// Starts the publisher; the receiver always holds the newest snapshot.
pub fn spawn_publisher(store: Arc<dyn Store>) -> (watch::Receiver<Arc<Snapshot>>, JoinHandle<()>) {
    let (revision, mut published) = store.dump();
    let mut first = Snapshot {
        revision,
        entities: BTreeMap::new(),
    };
    merge(&mut first, &[], &published, parse_changed(&[], &published));
    let (sender, receiver) = watch::channel(Arc::new(first));
    let mut revisions = store.revisions();
    let task = tokio::spawn(async move {
        loop {
            if revisions.changed().await.is_err() || sender.is_closed() {
                return;
            }
            tokio::time::sleep(GATHER).await;
            revisions.borrow_and_update();
            let started = std::time::Instant::now();
            let source = store.clone();
            let previous = std::mem::take(&mut published);
            let Ok((previous, (revision, current), parsed)) =
                tokio::task::spawn_blocking(move || {
                    let dump = source.dump();
                    let parsed = parse_changed(&previous, &dump.1);
                    (previous, dump, parsed)
                })
                .await
            else {
                return;
            };
            sender.send_modify(|snapshot| {
                // In place when no reader holds the old snapshot; a copy otherwise.
                let snapshot = Arc::make_mut(snapshot);
                merge(snapshot, &previous, &current, parsed);
                snapshot.revision = revision;
            });
            published = current;
            // Under a sustained stream of writes, rest as long as the rebuild took: the
            // publisher then uses at most about half of one core and writes keep their pace.
            tokio::time::sleep(started.elapsed()).await;
        }
    });
    (receiver, task)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::store::KindsDump;

    type Listing<'a> = (&'static str, &'a [(&'a str, &'a Arc<str>)]);

    fn dump(items: &[Listing<'_>]) -> KindsDump {
        items
            .iter()
            .map(|(k, list)| {
                (
                    *k,
                    list.iter()
                        .map(|(id, j)| (Arc::from(*id), (*j).clone()))
                        .collect(),
                )
            })
            .collect()
    }

    #[test]
    fn merging_reuses_unchanged_maps_and_parses_the_rest() {
        let a: Arc<str> = Arc::from(r#"{"id":"a","v":1}"#);
        let b: Arc<str> = Arc::from(r#"{"id":"b","v":1}"#);
        let b2: Arc<str> = Arc::from(r#"{"id":"b","v":2}"#);
        let c: Arc<str> = Arc::from(r#"{"id":"c","v":1}"#);
        let first = dump(&[("services", &[("a", &a), ("b", &b)])]);
        let mut snapshot = Snapshot::default();
        merge(&mut snapshot, &[], &first, parse_changed(&[], &first));
        let second = dump(&[
            ("services", &[("b", &b2), ("c", &c)]),
            ("routes", &[("a", &a)]),
        ]);
        let parsed = parse_changed(&first, &second);
        assert_eq!(parsed.len(), 3, "b changed, c is new, routes/a is new");
        merge(&mut snapshot, &first, &second, parsed);
        let services = snapshot.of_kind("services");
        assert_eq!(services.len(), 2);
        assert_eq!(
            (services[0]["id"].as_str(), services[0]["v"].as_i64()),
            (Some("b"), Some(2))
        );
        assert_eq!(services[1]["id"], "c");
        assert_eq!(snapshot.of_kind("routes").len(), 1);
        let third = dump(&[("services", &[("b", &b2)])]);
        merge(
            &mut snapshot,
            &second,
            &third,
            parse_changed(&second, &third),
        );
        assert_eq!(snapshot.of_kind("services").len(), 1);
        assert!(
            snapshot.of_kind("routes").is_empty(),
            "emptied kinds disappear"
        );
    }
}
