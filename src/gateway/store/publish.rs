//! Publishes a [`Snapshot`] for the proxy after committed writes.
//!
//! A snapshot is the store's dump as is: each entity's rendered text, shared with the store as
//! an `Arc<str>`. Building one copies pointers, never entity text, so the configuration lives
//! in memory once however many snapshots are alive.
//!
//! Rebuilds are coalesced: at most one runs at a time, a short pause gathers a burst of writes
//! into one rebuild, and after each rebuild the publisher rests as long as it took, so writes
//! keep their throughput (the proxy compiles every snapshot it receives).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{Dump, Store};
use crate::gateway::snapshot::Snapshot;

/// How long a write waits for others to join it in one rebuild.
const GATHER: Duration = Duration::from_millis(10);

/// Builds a snapshot of everything the store holds now.
pub fn build_snapshot(store: &dyn Store) -> Snapshot {
    snapshot_of(store.dump())
}

/// The snapshot of one dump (sharing its text).
fn snapshot_of((revision, kinds): Dump) -> Snapshot {
    Snapshot {
        revision,
        entities: kinds.into_iter().collect(),
    }
}

/// Starts the publisher; the receiver always holds the newest snapshot.
pub fn spawn_publisher(store: Arc<dyn Store>) -> (watch::Receiver<Arc<Snapshot>>, JoinHandle<()>) {
    let (sender, receiver) = watch::channel(Arc::new(build_snapshot(&*store)));
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
            let Ok(snapshot) = tokio::task::spawn_blocking(move || build_snapshot(&*source)).await
            else {
                return;
            };
            sender.send_replace(Arc::new(snapshot));
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

    #[test]
    fn a_snapshot_shares_the_dumped_text_and_parses_it_on_demand() {
        let a: Arc<str> = Arc::from(r#"{"id":"a","v":1}"#);
        let b: Arc<str> = Arc::from(r#"{"id":"b","v":2}"#);
        let r: Arc<str> = Arc::from(r#"{"id":"r","service":{"id":"a"}}"#);
        let dump = vec![
            ("routes", vec![(Arc::from("r"), r.clone())]),
            (
                "services",
                vec![(Arc::from("a"), a.clone()), (Arc::from("b"), b.clone())],
            ),
        ];
        let snapshot = snapshot_of((7, dump));
        assert_eq!(snapshot.revision, 7);
        assert!(
            Arc::ptr_eq(&snapshot.entities["services"][0].1, &a),
            "the text is shared with the store, not copied"
        );
        let services: Vec<_> = snapshot.of_kind("services").collect();
        assert_eq!(services.len(), 2);
        assert_eq!(
            (services[1]["id"].as_str(), services[1]["v"].as_i64()),
            (Some("b"), Some(2))
        );
        let routes: Vec<_> = snapshot.of_kind("routes").collect();
        assert_eq!(
            crate::gateway::snapshot::foreign_id(&routes[0], "service"),
            Some("a")
        );
        assert_eq!(snapshot.of_kind("consumers").count(), 0);
    }

    #[test]
    fn unreadable_text_is_skipped_not_a_panic() {
        let dump = vec![(
            "services",
            vec![
                (Arc::from("a"), Arc::from("not json")),
                (Arc::from("b"), Arc::from(r#"{"id":"b"}"#)),
            ],
        )];
        let snapshot = snapshot_of((1, dump));
        let ids: Vec<_> = snapshot
            .of_kind("services")
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(ids, ["b"]);
    }
}
