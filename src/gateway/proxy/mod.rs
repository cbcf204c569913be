//! The proxy: HTTP listeners that route requests with Kong's rules, run plugins and forward to
//! services and upstreams.
//!
//! Configuration arrives as [`Snapshot`]s on a `watch` channel. Each one is compiled into a new
//! [`config::ProxyConfig`] off the async threads and swapped in atomically (`arc-swap`): every
//! request loads the current configuration once, so requests in flight finish on the one they
//! started with while new requests see the new one.

pub mod access_log;
mod activity;
pub mod address;
pub mod balancer;
pub mod body;
pub mod config;
pub mod directory;
pub mod error_body;
pub mod forward;
pub mod handler;
pub mod headers;
pub mod health;
mod health_probe;
mod listeners;
mod log_phase;
pub mod path;
pub mod plugin_set;
pub mod rate_counters;
mod request_buffering;
mod resolve;
pub mod router;
mod server;
pub mod tls;
pub mod upstream_client;
pub mod upstream_pool;
mod websocket;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

pub use access_log::AccessLog;
pub use server::RunningProxy;

use crate::gateway::snapshot::Snapshot;
use health::HealthBook;

/// Parses a listen address: `HOST:PORT`, `[V6]:PORT`, `localhost:PORT`, or `:PORT`
/// (every interface, as Go-style tools write it).
pub fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    let candidate = if let Some(port) = text.strip_prefix(':') {
        format!("0.0.0.0:{port}")
    } else if let Some(port) = text.strip_prefix("localhost:") {
        format!("127.0.0.1:{port}")
    } else {
        text.to_string()
    };
    candidate.parse().map_err(|_| {
        format!("invalid listen address {text:?}: expected HOST:PORT, e.g. 127.0.0.1:8000 or :8080")
    })
}

/// A proxy listener: its address, and whether it terminates TLS (Kong's `ssl` flag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listen {
    pub addr: SocketAddr,
    pub tls: bool,
}

impl From<SocketAddr> for Listen {
    fn from(addr: SocketAddr) -> Listen {
        Listen { addr, tls: false }
    }
}

impl std::str::FromStr for Listen {
    type Err = String;

    fn from_str(text: &str) -> Result<Listen, String> {
        parse_proxy_listen(text)
    }
}

/// Parses a `--proxy-listen` value: an address as [`parse_listen`] reads it, then Kong's
/// flags: `ssl` terminates TLS; `http2` and `reuseport` are accepted and change nothing (HTTP/2
/// is always on, and every worker always has a socket of its own).
pub fn parse_proxy_listen(text: &str) -> Result<Listen, String> {
    let mut words = text.split_whitespace();
    let addr = parse_listen(words.next().unwrap_or(""))?;
    let mut tls = false;
    for flag in words {
        match flag {
            "ssl" => tls = true,
            "http2" | "reuseport" => {}
            other => {
                return Err(format!(
                    "unsupported listen flag {other:?} in {text:?}: gwctl knows `ssl`, `http2` and `reuseport`"
                ));
            }
        }
    }
    Ok(Listen { addr, tls })
}

/// How long a client connection may go without sending a complete request head, idle
/// keep-alive time included, before it is closed: Kong's `client_header_timeout` and
/// `keepalive_timeout`, both 60 s.
pub const DEFAULT_CLIENT_TIMEOUT: Duration = Duration::from_secs(60);

/// How the proxy's listeners treat their clients.
#[derive(Clone)]
pub struct ClientSettings {
    /// How long a client connection may go without sending a complete request head, idle
    /// keep-alive time included, before it is closed (HTTP/2: without a request in progress;
    /// silent HTTP/2 clients are also pinged).
    pub timeout: Duration,
    /// What TLS listeners present for names no SNI matches (Kong's `ssl_cert`); without one,
    /// a self-signed certificate is made at start.
    pub default_certificate: Option<Arc<rustls::sign::CertifiedKey>>,
    /// The store's committed revision. Given it, a request that arrives after a write was
    /// acknowledged waits (at most [`CATCH_UP_LIMIT`]) until the configuration holding that
    /// write is in use, as Kong's `worker_consistency = strict` rebuilds the router before
    /// routing: a `sync` followed at once by a smoke test sees what it synced.
    pub committed: Option<watch::Receiver<u64>>,
}

/// The longest a request waits for the configuration of a write committed before it arrived;
/// past it, the request is served with the configuration in use (and the wait is logged).
pub const CATCH_UP_LIMIT: Duration = Duration::from_secs(5);

impl Default for ClientSettings {
    fn default() -> ClientSettings {
        ClientSettings {
            timeout: DEFAULT_CLIENT_TIMEOUT,
            default_certificate: None,
            committed: None,
        }
    }
}

/// Binds `addrs` and starts proxying with the configuration from `snapshots`.
pub async fn start(
    addrs: Vec<SocketAddr>,
    snapshots: watch::Receiver<Arc<Snapshot>>,
    access_log: AccessLog,
) -> anyhow::Result<RunningProxy> {
    start_with_health(
        addrs.into_iter().map(Listen::from).collect(),
        snapshots,
        access_log,
        Arc::default(),
        ClientSettings::default(),
    )
    .await
}

/// Like [`start`], keeping target health in `health` (shared with the Admin API, which
/// reports and sets it) and treating clients as `clients` says.
pub async fn start_with_health(
    addrs: Vec<Listen>,
    snapshots: watch::Receiver<Arc<Snapshot>>,
    access_log: AccessLog,
    health: Arc<HealthBook>,
    clients: ClientSettings,
) -> anyhow::Result<RunningProxy> {
    let workers = server::worker_count();
    let mut listeners = Vec::with_capacity(addrs.len());
    for Listen { addr, tls } in addrs {
        let sockets = listeners::bind(addr, workers).map_err(|e| {
            anyhow::anyhow!("cannot listen for proxy traffic on {addr}: {e} (is the port in use?)")
        })?;
        listeners.push((sockets, tls));
    }
    server::run(listeners, snapshots, access_log, health, clients)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses() {
        assert_eq!(parse_listen(":8080").unwrap().to_string(), "0.0.0.0:8080");
        assert_eq!(
            parse_listen("localhost:8000").unwrap().to_string(),
            "127.0.0.1:8000"
        );
        assert_eq!(parse_listen("[::1]:9").unwrap().to_string(), "[::1]:9");
        assert!(parse_listen("8000").unwrap_err().contains("HOST:PORT"));
    }

    #[test]
    fn proxy_listen_flags() {
        let plain = parse_proxy_listen("127.0.0.1:8000").unwrap();
        assert!(!plain.tls);
        let tls = parse_proxy_listen(" :8443 http2 ssl ").unwrap();
        assert_eq!(tls.addr.to_string(), "0.0.0.0:8443");
        assert!(tls.tls);
        assert!(parse_proxy_listen(":8443 ssl reuseport").unwrap().tls);
        let err = parse_proxy_listen(":8443 ssl backlog=16384").unwrap_err();
        assert!(err.contains("backlog") && err.contains("ssl"), "{err}");
        assert!(parse_proxy_listen("").is_err());
    }
}
