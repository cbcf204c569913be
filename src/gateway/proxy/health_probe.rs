//! Active health checks: probes each target of an upstream whose `healthchecks.active` sets
//! an interval, every `healthy.interval` seconds while the target is healthy and every
//! `unhealthy.interval` seconds while it is not, and counts the answers with the target's
//! health (see `health`).
//!
//! Probes run on the gateway's main runtime, one task per probed target, at most
//! `concurrency` probes of one upstream at a time. A new proxy configuration starts probes for
//! new targets and stops those of removed ones; a target whose health record and probe
//! settings are unchanged keeps its running probe.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use http::{HeaderName, HeaderValue, Request};
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use super::balancer::{Balancer, Target};
use super::health::{ActiveChecks, Report, TargetHealth};
use super::upstream_client::{HttpClient, build_client};
use crate::gateway::plugins::full_body;

/// When an interval is 0 for the target's current state, how often to look whether the state
/// changed (a passive check or an operator may flip it).
const IDLE_RECHECK: Duration = Duration::from_millis(500);

/// The running probes of the current configuration, one per probed target, keyed by the
/// target's health record: a target whose record survives a rebuild (same upstream, same
/// checks) keeps its probe and its rhythm, so frequent writes do not postpone probes forever.
#[derive(Default)]
pub struct Prober {
    tasks: Mutex<HashMap<usize, Probe>>,
}

/// A running probe, keyed by its record's address (the `Arc` here keeps that address unique),
/// with the `Host` it sends.
type Probe = (Arc<TargetHealth>, Option<String>, JoinHandle<()>);

impl Prober {
    /// Probes the targets of `balancers` that have active checks, and stops probing any
    /// other. Without a Tokio runtime at hand (a configuration built in a plain test),
    /// nothing runs.
    pub fn restart(&self, balancers: &[Arc<Balancer>]) {
        let mut tasks = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
        let mut running = std::mem::take(&mut *tasks);
        let runtime = tokio::runtime::Handle::try_current().ok();
        for balancer in balancers.iter().filter(|b| b.checks().active_enabled()) {
            let Some(runtime) = &runtime else { break };
            let active = &balancer.checks().active;
            if !matches!(active.kind.as_str(), "http" | "https" | "tcp") {
                tracing::warn!(
                    "upstream {}: active health checks of type {} are not supported; not probing",
                    balancer.upstream_id,
                    active.kind
                );
                continue;
            }
            let limit = Arc::new(Semaphore::new(active.concurrency.max(1)));
            for (index, target) in balancer.targets().iter().enumerate() {
                let key = Arc::as_ptr(&target.health) as usize;
                let host = &balancer.host_header;
                let entry = match running.remove(&key) {
                    Some(probe) if probe.1 == *host => probe,
                    other => {
                        if let Some((_, _, task)) = other {
                            task.abort();
                        }
                        let (balancer, limit) = (balancer.clone(), limit.clone());
                        let task = runtime.spawn(probe_forever(balancer, index, limit));
                        (target.health.clone(), host.clone(), task)
                    }
                };
                tasks.insert(key, entry);
            }
        }
        for (_, (_, _, task)) in running {
            task.abort();
        }
    }

    pub fn stop(&self) {
        self.restart(&[]);
    }
}

impl Drop for Prober {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn probe_forever(balancer: Arc<Balancer>, index: usize, limit: Arc<Semaphore>) {
    let checks = balancer.checks();
    let rules = &checks.active.rules;
    let target = &balancer.targets()[index];
    loop {
        let interval = if target.health.is_healthy() {
            rules.healthy.interval
        } else {
            rules.unhealthy.interval
        };
        if interval <= 0.0 {
            tokio::time::sleep(IDLE_RECHECK).await;
            continue;
        }
        tokio::time::sleep(Duration::from_secs_f64(interval)).await;
        let Ok(_permit) = limit.acquire().await else {
            return;
        };
        let report = probe(&checks.active, target, balancer.host_header.as_deref()).await;
        if let Some(healthy) = target.health.report(rules, report) {
            let state = if healthy { "healthy" } else { "unhealthy" };
            tracing::warn!(
                "target {} of upstream {} is now {state} (active health check: {report:?})",
                target.address.authority,
                balancer.upstream_id
            );
        }
    }
}

/// One probe of one target.
async fn probe(active: &ActiveChecks, target: &Target, host_header: Option<&str>) -> Report {
    let timeout = Duration::from_secs_f64(active.timeout.max(0.001));
    let address = &*target.address.authority;
    if active.kind == "tcp" {
        return match tokio::time::timeout(timeout, TcpStream::connect(address)).await {
            Ok(Ok(_)) => Report::Connected,
            Ok(Err(_)) => Report::TcpFailure,
            Err(_) => Report::Timeout,
        };
    }
    let request = match probe_request(active, host_header.unwrap_or(&target.host), address) {
        Ok(request) => request,
        Err(reason) => {
            tracing::warn!("cannot build the health probe for {address}: {reason}");
            return Report::TcpFailure;
        }
    };
    // The TLS name, as lua-resty-healthcheck picks it: `https_sni`, else the upstream's
    // `host_header`, else the target's host.
    let client = probe_client(
        active.https_verify_certificate,
        active
            .https_sni
            .as_deref()
            .or(host_header)
            .filter(|_| active.kind == "https"),
    );
    match tokio::time::timeout(timeout, client.request(request)).await {
        Ok(Ok(response)) => Report::Status(response.status().as_u16()),
        Ok(Err(_)) => Report::TcpFailure,
        Err(_) => Report::Timeout,
    }
}

fn probe_request(
    active: &ActiveChecks,
    host: &str,
    address: &str,
) -> Result<Request<crate::gateway::plugins::Body>, String> {
    let path = if active.http_path.starts_with('/') {
        active.http_path.clone()
    } else {
        format!("/{}", active.http_path)
    };
    let mut request = Request::get(format!("{}://{address}{path}", active.kind))
        .body(full_body(bytes::Bytes::new()))
        .map_err(|e| e.to_string())?;
    let headers = request.headers_mut();
    headers.insert(
        http::header::HOST,
        HeaderValue::from_str(host).map_err(|e| e.to_string())?,
    );
    for (name, values) in active.headers.iter().flatten() {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| e.to_string())?;
        for value in values {
            headers.append(
                name.clone(),
                HeaderValue::from_str(value).map_err(|e| e.to_string())?,
            );
        }
    }
    Ok(request)
}

/// Which probe client: whether it verifies certificates, and its fixed TLS name, if any.
type ProbeClientKey = (bool, Option<String>);

/// The clients probes use, one per (verify, TLS name) pair, kept for the process (pooled:
/// a healthy target is not reconnected for every probe).
fn probe_client(verify: bool, sni: Option<&str>) -> HttpClient {
    static CLIENTS: OnceLock<Mutex<HashMap<ProbeClientKey, HttpClient>>> = OnceLock::new();
    let mut clients = CLIENTS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    clients
        .entry((verify, sni.map(str::to_string)))
        .or_insert_with(|| {
            let name = sni.and_then(|sni| match ServerName::try_from(sni.to_string()) {
                Ok(name) => Some(name),
                Err(_) => {
                    tracing::warn!(
                        "health checks: TLS name {sni:?} (https_sni or host_header) is not a server name; ignored"
                    );
                    None
                }
            });
            build_client(Duration::from_secs(5), verify, name)
        })
        .clone()
}
