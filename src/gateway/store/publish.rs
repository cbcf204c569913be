//! Publishes a [`Snapshot`] for the proxy after committed writes.
//!
//! Rebuilding parses every entity, so it is coalesced: at most one rebuild runs at a time, a
//! short pause gathers a burst of writes into one rebuild, and after a rebuild the publisher
//! rests as long as the rebuild took, so under a sustained stream of writes it uses at most
//! about half of one core and writes keep their throughput.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{Store, parse_entity};
use crate::gateway::snapshot::Snapshot;

/// How long a write waits for others to join it in one rebuild.
const GATHER: Duration = Duration::from_millis(5);

/// Builds a snapshot of everything the store holds now.
pub fn build_snapshot(store: &dyn Store) -> Snapshot {
    let (revision, kinds) = store.dump();
    let entities: BTreeMap<&'static str, Vec<_>> = kinds
        .into_iter()
        .map(|(kind, items)| (kind, items.iter().map(|j| parse_entity(j)).collect()))
        .collect();
    Snapshot { revision, entities }
}

/// Starts the publisher; the receiver always holds the newest snapshot.
pub fn spawn_publisher(store: Arc<dyn Store>) -> (watch::Receiver<Arc<Snapshot>>, JoinHandle<()>) {
    let (sender, receiver) = watch::channel(Arc::new(build_snapshot(store.as_ref())));
    let mut revisions = store.revisions();
    let task = tokio::spawn(async move {
        loop {
            if revisions.changed().await.is_err() || sender.is_closed() {
                return;
            }
            tokio::time::sleep(GATHER).await;
            revisions.borrow_and_update();
            let started = Instant::now();
            let source = store.clone();
            let Ok(snapshot) =
                tokio::task::spawn_blocking(move || build_snapshot(source.as_ref())).await
            else {
                return;
            };
            sender.send_replace(Arc::new(snapshot));
            tokio::time::sleep(started.elapsed()).await;
        }
    });
    (receiver, task)
}
