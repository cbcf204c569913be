//! The log phase: once the response body has gone out (or the client left), plugins' `log`
//! hooks run and one access-log entry is written. Entries hold only fields chosen here and
//! what plugins add, never headers, query strings or bodies.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use super::access_log::AccessLog;
use super::body::{EndState, OnEnd};
use super::config::ProxyConfig;
use super::handler::{Shared, ms};
use super::plugin_set::Instance;
use crate::gateway::plugins::{ConsumerInfo, Ctx};

/// What the log line needs besides the Ctx.
pub(super) struct Outcome {
    pub status: u16,
    pub proxy_latency: Option<Duration>,
    pub upstream_latency: Option<Duration>,
    pub target: Option<Arc<str>>,
    pub tries: u32,
    pub error: Option<String>,
    /// Kong's `KONG_PROXIED`: the request went to the upstream (whose answer it got, or
    /// nginx's 502/504 once the tries failed), rather than being answered by the gateway.
    pub proxied: bool,
}

/// The log phase, run when the response body is done (only when there is an access log).
pub(super) struct LogJob {
    pub shared: Arc<Shared>,
    pub config: Arc<ProxyConfig>,
    pub route_index: usize,
    pub ctx: Ctx,
    pub executed: Vec<Arc<Instance>>,
    pub outcome: Outcome,
    pub raw_path: String,
}

/// The log phase runs once the response body has gone out (or the client left).
impl OnEnd for LogJob {
    fn ended(self, end: EndState) {
        self.run(end)
    }
}

impl LogJob {
    pub fn run(mut self, end: EndState) {
        // Drop what may still hold the request body.
        self.ctx.body = None;
        let mut entry = base_entry(
            &self.ctx.request_id,
            self.ctx.request.method.as_str(),
            &self.raw_path,
            self.ctx.client_addr,
            self.ctx.started,
            self.outcome.status,
        );
        add_matched(
            &mut entry,
            &self.config,
            self.route_index,
            self.ctx.consumer.as_ref(),
        );
        entry.insert(
            "upstream".into(),
            self.outcome
                .target
                .take()
                .map_or(Value::Null, |t| Value::from(&*t)),
        );
        entry.insert("tries".into(), Value::from(self.outcome.tries));
        entry.insert(
            "latencies".into(),
            json!({
                "proxy": self.outcome.proxy_latency.map(ms),
                "upstream": self.outcome.upstream_latency.map(ms),
                "request": ms(self.ctx.started.elapsed()),
            }),
        );
        if let Some(error) = self.outcome.error.take() {
            entry.insert("error".into(), Value::from(error));
        }
        if end != EndState::Complete {
            entry.insert(
                "response_incomplete".into(),
                Value::from(match end {
                    EndState::ClientGone => "client closed the connection",
                    _ => "upstream body failed",
                }),
            );
        }
        for (k, v) in std::mem::take(&mut self.ctx.log) {
            entry.insert(k, v);
        }
        for instance in &self.executed {
            instance.runtime.log(&self.ctx, &mut entry);
        }
        self.shared.access_log.write(&entry);
    }
}

/// The route, service and consumer fields of a routed request's entry.
fn add_matched(
    entry: &mut Map<String, Value>,
    config: &ProxyConfig,
    route_index: usize,
    consumer: Option<&ConsumerInfo>,
) {
    let route = &config.routes[route_index];
    entry.insert(
        "route".into(),
        named(&route.ident.id, route.ident.name.as_deref()),
    );
    let service = route.service.map(|i| &config.services[i]);
    entry.insert(
        "service".into(),
        service.map_or(Value::Null, |s| named(&s.ident.id, s.ident.name.as_deref())),
    );
    entry.insert(
        "consumer".into(),
        consumer.map_or(Value::Null, |c| named(&c.id, c.username.as_deref())),
    );
}

/// The entry of a routed request whose client left before the answer began, as Kong logs one
/// (status 499): armed while the request is handled, and written if the handler is dropped
/// (hyper drops it when the client closes the connection) before it is disarmed. Plugins'
/// log hooks do not run for it: they ran with the request, which is gone.
pub(super) struct Abandoned {
    pub shared: Arc<Shared>,
    pub config: Arc<ProxyConfig>,
    pub route_index: usize,
    pub request_id: String,
    pub method: http::Method,
    pub raw_path: String,
    pub client: SocketAddr,
    pub started: Instant,
    /// Filled in once the access phase has identified the consumer.
    pub consumer: Option<ConsumerInfo>,
    pub armed: bool,
}

impl Drop for Abandoned {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let mut entry = base_entry(
            &self.request_id,
            self.method.as_str(),
            &self.raw_path,
            self.client,
            self.started,
            499,
        );
        add_matched(
            &mut entry,
            &self.config,
            self.route_index,
            self.consumer.as_ref(),
        );
        entry.insert(
            "latencies".into(),
            json!({"proxy": null, "upstream": null, "request": ms(self.started.elapsed())}),
        );
        entry.insert(
            "response_incomplete".into(),
            Value::from("client closed the connection before the answer"),
        );
        self.shared.access_log.write(&entry);
    }
}

fn named(id: &str, name: Option<&str>) -> Value {
    json!({"id": id, "name": name})
}

fn base_entry(
    request_id: &str,
    method: &str,
    raw_path: &str,
    client: SocketAddr,
    started: Instant,
    status: u16,
) -> Map<String, Value> {
    let started_at = SystemTime::now()
        .checked_sub(started.elapsed())
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_millis() as u64);
    let mut entry = Map::new();
    entry.insert("started_at".into(), Value::from(started_at));
    entry.insert("request_id".into(), Value::from(request_id));
    entry.insert("client_ip".into(), Value::from(client.ip().to_string()));
    entry.insert("method".into(), Value::from(method));
    entry.insert("path".into(), Value::from(raw_path));
    entry.insert("status".into(), Value::from(status));
    entry
}

/// The entry for a request answered before any route or plugin ran (404, 426).
pub(super) fn log_unrouted(
    log: &AccessLog,
    request_id: &str,
    parts: &http::request::Parts,
    raw_path: &str,
    client: SocketAddr,
    started: Instant,
    status: u16,
) {
    if !log.is_enabled() {
        return;
    }
    let mut entry = base_entry(
        request_id,
        parts.method.as_str(),
        raw_path,
        client,
        started,
        status,
    );
    entry.insert("route".into(), Value::Null);
    entry.insert("service".into(), Value::Null);
    entry.insert("consumer".into(), Value::Null);
    entry.insert(
        "latencies".into(),
        json!({"proxy": null, "upstream": null, "request": ms(started.elapsed())}),
    );
    log.write(&entry);
}
