//! The proxy: HTTP listeners that route requests with Kong's rules, run plugins and forward to
//! services and upstreams.
//!
//! Configuration arrives as [`Snapshot`]s on a `watch` channel. Each one is compiled into a new
//! [`config::ProxyConfig`] off the async threads and swapped in atomically (`arc-swap`): every
//! request loads the current configuration once, so requests in flight finish on the one they
//! started with while new requests see the new one.

pub mod access_log;
pub mod balancer;
pub mod body;
pub mod config;
pub mod directory;
pub mod forward;
pub mod handler;
pub mod headers;
pub mod path;
pub mod plugin_set;
pub mod rate_counters;
pub mod router;
mod server;
pub mod upstream_client;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;

pub use access_log::AccessLog;
pub use server::RunningProxy;

use crate::gateway::snapshot::Snapshot;

/// Binds `addrs` and starts proxying with the configuration from `snapshots`.
pub async fn start(
    addrs: Vec<SocketAddr>,
    snapshots: watch::Receiver<Arc<Snapshot>>,
    access_log: AccessLog,
) -> anyhow::Result<RunningProxy> {
    let mut listeners = Vec::with_capacity(addrs.len());
    for addr in addrs {
        let listener = TcpListener::bind(addr).await.map_err(|e| {
            anyhow::anyhow!("cannot listen for proxy traffic on {addr}: {e} (is the port in use?)")
        })?;
        listeners.push(listener);
    }
    start_with_listeners(listeners, snapshots, access_log)
}

/// Starts proxying on listeners the caller bound.
pub fn start_with_listeners(
    listeners: Vec<TcpListener>,
    snapshots: watch::Receiver<Arc<Snapshot>>,
    access_log: AccessLog,
) -> anyhow::Result<RunningProxy> {
    server::run(listeners, snapshots, access_log)
}
