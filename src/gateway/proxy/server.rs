//! Worker threads, accept loops, configuration swaps and graceful shutdown.
//!
//! The proxy runs one single-threaded Tokio runtime per CPU (as nginx runs one worker process
//! per core): a connection, its requests and the pooled upstream connections they use stay on
//! one thread, with no cross-thread wake-ups. Every worker has its own socket on every listen
//! address (see `listeners`), so the kernel spreads connections evenly over the workers.
//! Configuration rebuilds happen on the caller's runtime, on a blocking thread.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{Request, Response};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use super::access_log::AccessLog;
use super::activity::Activity;
use super::config::{Persistent, ProxyConfig};
use super::handler::{self, Conn, Consistency, Shared};
use super::health::HealthBook;
use super::{ClientSettings, Listen, tls};
use crate::gateway::plugins::BoxError;
use crate::gateway::snapshot::Snapshot;

/// A running proxy: its addresses, the revision it serves, and a way to stop it.
pub struct RunningProxy {
    listens: Vec<Listen>,
    applied: watch::Receiver<u64>,
    shutdown: watch::Sender<bool>,
    reload: JoinHandle<()>,
    workers: Vec<std::thread::JoinHandle<()>>,
}

impl RunningProxy {
    /// The bound listener addresses (with the real port when 0 was asked for).
    pub fn addrs(&self) -> Vec<SocketAddr> {
        self.listens.iter().map(|l| l.addr).collect()
    }

    /// The listeners, with their bound addresses and whether they terminate TLS.
    pub fn listens(&self) -> &[Listen] {
        &self.listens
    }

    /// The revision of the configuration in use; changes after each swap.
    pub fn applied_revision(&self) -> watch::Receiver<u64> {
        self.applied.clone()
    }

    /// Waits until the configuration of `revision` (or a later one) is in use.
    pub async fn wait_for_revision(&self, revision: u64) {
        let mut applied = self.applied.clone();
        let _ = applied.wait_for(|r| *r >= revision).await;
    }

    /// Stops accepting, lets open connections finish their requests, then returns.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.reload.await;
        let workers = self.workers;
        let _ = tokio::task::spawn_blocking(move || {
            for worker in workers {
                let _ = worker.join();
            }
        })
        .await;
    }
}

/// How many worker threads: `GWCTL_PROXY_WORKERS`, else one per CPU.
pub(super) fn worker_count() -> usize {
    std::env::var("GWCTL_PROXY_WORKERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

pub(super) fn run(
    listeners: Vec<(Vec<std::net::TcpListener>, bool)>,
    mut snapshots: watch::Receiver<Arc<Snapshot>>,
    access_log: AccessLog,
    health: Arc<HealthBook>,
    clients: ClientSettings,
) -> anyhow::Result<RunningProxy> {
    let client_timeout = clients.timeout;
    let persistent = Persistent {
        health,
        ..Persistent::default()
    };
    let first = snapshots.borrow_and_update().clone();
    let config = build_logged(&first, &persistent);
    // The gateway may sit idle from here on: hand back what starting it freed (the loaded
    // state, the entities parsed for this build) instead of keeping it until the next call.
    crate::memory::release();
    persistent.probes.restart(&config.balancers);
    let (applied_tx, applied) = watch::channel(config.revision);
    let shared = Arc::new(Shared::new(
        config,
        persistent,
        access_log,
        Consistency {
            committed: clients.committed,
            applied: applied.clone(),
        },
    ));
    let (shutdown, shutdown_rx) = watch::channel(false);

    let tls_config = listeners
        .iter()
        .any(|(_, tls)| *tls)
        .then(|| tls::server_config(shared.clone(), clients.default_certificate));
    let mut listens = Vec::new();
    // Worker n takes the n-th socket of every address.
    let mut per_worker: Vec<Vec<WorkerListener>> = Vec::new();
    for (sockets, tls) in listeners {
        listens.push(Listen {
            addr: sockets[0].local_addr()?,
            tls,
        });
        for (n, socket) in sockets.into_iter().enumerate() {
            if per_worker.len() <= n {
                per_worker.push(Vec::new());
            }
            per_worker[n].push((socket, tls_config.clone().filter(|_| tls)));
        }
    }
    let mut workers = Vec::new();
    for (n, mine) in per_worker.into_iter().enumerate() {
        let shared = shared.clone();
        let shutdown = shutdown_rx.clone();
        let worker = std::thread::Builder::new()
            .name(format!("gwctl-proxy-{n}"))
            .spawn(move || worker(mine, shared, shutdown, client_timeout))?;
        workers.push(worker);
    }
    let reload = tokio::spawn(reload_loop(snapshots, shared, applied_tx, shutdown_rx));
    Ok(RunningProxy {
        listens,
        applied,
        shutdown,
        reload,
        workers,
    })
}

/// A listener as a worker receives it, with the TLS settings of `ssl` listeners.
type WorkerListener = (std::net::TcpListener, Option<Arc<rustls::ServerConfig>>);

/// One worker thread: a single-threaded runtime serving every listener until shutdown.
fn worker(
    listeners: Vec<WorkerListener>,
    shared: Arc<Shared>,
    shutdown: watch::Receiver<bool>,
    client_timeout: Duration,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("proxy worker cannot start its runtime: {e}");
            return;
        }
    };
    runtime.block_on(async move {
        let mut loops = Vec::new();
        for (listener, tls) in listeners {
            match TcpListener::from_std(listener) {
                Ok(listener) => loops.push(tokio::spawn(accept_loop(
                    listener,
                    tls.map(TlsAcceptor::from),
                    shared.clone(),
                    shutdown.clone(),
                    client_timeout,
                ))),
                Err(e) => tracing::error!("proxy worker cannot use a listener: {e}"),
            }
        }
        for l in loops {
            let _ = l.await;
        }
    });
}

fn build_logged(snapshot: &Snapshot, persistent: &Persistent) -> ProxyConfig {
    let t = Instant::now();
    let config = ProxyConfig::build(snapshot, persistent);
    for problem in &config.problems {
        tracing::warn!("proxy configuration: {problem}");
    }
    tracing::info!(
        revision = config.revision,
        routes = config.routes.len(),
        millis = t.elapsed().as_millis() as u64,
        "proxy configuration built"
    );
    config
}

/// Builds a configuration for every new snapshot (on a blocking thread: compiling thousands
/// of routes must not stall anything) and swaps it in.
async fn reload_loop(
    mut snapshots: watch::Receiver<Arc<Snapshot>>,
    shared: Arc<Shared>,
    applied: watch::Sender<u64>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            changed = snapshots.changed() => {
                if changed.is_err() {
                    break;
                }
            }
            _ = shutdown.changed() => break,
        }
        let snapshot = snapshots.borrow_and_update().clone();
        let for_build = shared.clone();
        let built =
            tokio::task::spawn_blocking(move || build_logged(&snapshot, &for_build.persistent))
                .await;
        match built {
            Ok(config) => {
                let revision = config.revision;
                shared.persistent.probes.restart(&config.balancers);
                shared.config.store(Arc::new(config));
                let _ = applied.send(revision);
            }
            Err(e) => tracing::error!("building the proxy configuration failed: {e}"),
        }
    }
    shared.persistent.probes.stop();
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
    client_timeout: Duration,
) {
    let local_port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // The head timer also runs while a keep-alive connection waits for its next request, so
    // idle and stalled clients cannot hold connections (and file descriptors) forever.
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(client_timeout);
    // HTTP/2 has no such timer in hyper: a client silent that long is pinged instead, and the
    // connection closed if it does not answer (a peer that vanished without closing).
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(client_timeout)
        .keep_alive_timeout(client_timeout);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.changed() => break,
        };
        let (stream, client_addr) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                // Out of file descriptors and the like: wait a little rather than spin.
                tracing::warn!("proxy accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let mut conn = Conn::new(client_addr, local_port, tls.is_some());
        conn.body_timeout = client_timeout;
        let shared = shared.clone();
        let builder = builder.clone();
        // Held, not used to watch: `graceful.shutdown()` below waits until every connection
        // task has dropped its watcher.
        let in_progress = graceful.watcher();
        let shutdown = shutdown.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let _in_progress = in_progress;
            // hyper's head timer starts only once the HTTP version is known, which takes the
            // first bytes (or a TLS handshake): a client that sends none is let go here.
            let version = first_bytes(&stream, client_timeout, tls.is_none()).await;
            if version == FirstBytes::TooFew {
                tracing::debug!("proxy connection from {client_addr} sent too little; closed");
                return;
            }
            // HTTP/1 connections have hyper's head timer; others (h2c, and TLS, where ALPN
            // decides) are watched for idleness here.
            let activity = (version != FirstBytes::Http1).then(Activity::new);
            conn.activity = activity.clone();
            let idle = activity.as_deref().map(|a| (a, client_timeout));
            // Made once the connection is known in full: over TLS, with the SNI it asked for.
            let serve = move |conn: Conn| {
                service_fn(move |request| handler::handle(shared.clone(), conn.clone(), request))
            };
            let ended = match tls {
                None => {
                    let connection =
                        builder.serve_connection_with_upgrades(TokioIo::new(stream), serve(conn));
                    run_connection(connection, shutdown, idle).await
                }
                Some(acceptor) => {
                    let stream =
                        match tokio::time::timeout(client_timeout, acceptor.accept(stream)).await {
                            Ok(Ok(stream)) => stream,
                            Ok(Err(e)) => {
                                tracing::debug!("TLS handshake with {client_addr} failed: {e}");
                                return;
                            }
                            Err(_) => {
                                tracing::debug!("TLS handshake with {client_addr} timed out");
                                return;
                            }
                        };
                    conn.sni = stream.get_ref().1.server_name().map(Arc::from);
                    let connection =
                        builder.serve_connection_with_upgrades(TokioIo::new(stream), serve(conn));
                    run_connection(connection, shutdown, idle).await
                }
            };
            if let Err(e) = ended {
                tracing::debug!("proxy connection from {client_addr} ended: {e}");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// What an HTTP/2 connection without TLS (h2c, prior knowledge) starts with.
const HTTP2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// How often a connection that may be starting HTTP/2 is looked at again.
const PREFACE_POLL: Duration = Duration::from_millis(10);

/// What the first bytes of a connection tell.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum FirstBytes {
    /// Not HTTP/2's preface: HTTP/1.
    Http1,
    /// HTTP/2's preface, or bytes under TLS.
    Other,
    /// Nothing (or too little to tell) within the client timeout, or the client closed.
    TooFew,
}

/// Waits, at most `limit`, for the first bytes of a connection; on a plain listener, while they
/// could still be the start of HTTP/2's preface, for enough to tell HTTP/1 from HTTP/2, since
/// hyper's version sniffing has no timer of its own. Nothing is consumed: hyper reads the same
/// bytes.
async fn first_bytes(stream: &TcpStream, limit: Duration, plain: bool) -> FirstBytes {
    let deadline = tokio::time::Instant::now() + limit;
    let mut first = [0u8; HTTP2_PREFACE.len()];
    loop {
        let peeked = match tokio::time::timeout_at(deadline, stream.peek(&mut first)).await {
            Ok(Ok(n)) if n > 0 => n,
            _ => return FirstBytes::TooFew,
        };
        if !plain {
            return FirstBytes::Other;
        }
        if first[..peeked] != HTTP2_PREFACE[..peeked] {
            return FirstBytes::Http1;
        }
        if peeked == first.len() {
            return FirstBytes::Other;
        }
        // Rare (a request split after a few bytes, or a stalled preface). `peek` answers at
        // once while bytes wait, so look again after a pause rather than spin.
        if tokio::time::Instant::now() + PREFACE_POLL >= deadline {
            return FirstBytes::TooFew;
        }
        tokio::time::sleep(PREFACE_POLL).await;
    }
}

/// Serves a connection until it ends. It is asked to finish (requests in progress complete,
/// then it closes) when the proxy shuts down, or, with `idle`, once it has carried no request
/// for the given time.
async fn run_connection<I, S, B>(
    connection: auto::UpgradeableConnection<'_, I, S, TokioExecutor>,
    mut shutdown: watch::Receiver<bool>,
    idle: Option<(&Activity, Duration)>,
) -> Result<(), BoxError>
where
    S: hyper::service::Service<Request<Incoming>, Response = Response<B>>,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    tokio::pin!(connection);
    let idle_closes = async {
        match idle {
            Some((activity, timeout)) => activity.idle_for(timeout).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        ended = connection.as_mut() => return ended,
        _ = shutdown.wait_for(|stop| *stop) => {}
        () = idle_closes => tracing::debug!("closing a connection idle for the client timeout"),
    }
    connection.as_mut().graceful_shutdown();
    connection.await
}
