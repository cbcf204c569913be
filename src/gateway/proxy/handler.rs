//! The request pipeline: route, run the plugins' `access` hooks, forward, run `response`
//! hooks, answer, and log once the answer's body has gone out.

use std::borrow::Cow;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use http::header::{self, HeaderName, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::{Body as _, Incoming};

use tokio::sync::watch;

use super::CATCH_UP_LIMIT;
use super::access_log::AccessLog;
use super::activity::Activity;
use super::balancer::{HashFacts, Session, set_cookie};
use super::body::{OnEndBody, ReadTimeoutBody, ReplaySlot};
use super::config::{Persistent, ProxyConfig, RouteEntry, ServiceEntry};
use super::error_body::{body_not_received, kong_error, nginx_error};
use super::forward::{self, ForwardError, Outgoing, Plan, RequestBody};
use super::headers::{Forwarded, SERVER_TOKENS, X_KONG_REQUEST_ID, millis, remove_hop_by_hop, via};
use super::log_phase::{self, Abandoned, LogJob, Outcome};
use super::path::{normalize, upstream_path_v0};
use super::plugin_set::{Instance, NONE, Slot};
use super::request_buffering::read_unsized_body;
use super::router::{RequestFacts, RouteMatch, Router};
use super::upstream_client::client_key;
use super::websocket;
use crate::gateway::plugins::{Body, Ctx, DEFAULT_BODY_TIMEOUT, Flow, UpstreamTarget};

/// Everything the request handlers share.
pub struct Shared {
    pub config: ArcSwap<ProxyConfig>,
    pub persistent: Persistent,
    pub access_log: AccessLog,
    consistency: Consistency,
}

/// What a request needs to see every write acknowledged before it arrived.
pub struct Consistency {
    /// The store's committed revision, when the proxy serves a store.
    pub committed: Option<watch::Receiver<u64>>,
    /// The revision of the configuration in use, updated after each swap.
    pub applied: watch::Receiver<u64>,
}

impl Shared {
    pub fn new(
        config: ProxyConfig,
        persistent: Persistent,
        access_log: AccessLog,
        consistency: Consistency,
    ) -> Shared {
        Shared {
            config: ArcSwap::from_pointee(config),
            persistent,
            access_log,
            consistency,
        }
    }

    /// The configuration to serve a request with: the one in use, once it holds every write
    /// committed before the request arrived. Writes are compiled into a new configuration in
    /// the background (tens of milliseconds for thousands of routes), so a request that comes
    /// right after one waits for it rather than being routed by the configuration before.
    async fn current_config(&self) -> Arc<ProxyConfig> {
        let config = self.config.load_full();
        let Some(committed) = &self.consistency.committed else {
            return config;
        };
        let wanted = *committed.borrow();
        if wanted <= config.revision {
            return config;
        }
        let mut applied = self.consistency.applied.clone();
        let caught_up = applied.wait_for(|revision| *revision >= wanted);
        if tokio::time::timeout(CATCH_UP_LIMIT, caught_up)
            .await
            .is_err()
        {
            tracing::warn!(
                wanted,
                in_use = self.config.load().revision,
                "the proxy configuration has not caught up with the store within {:?}; \
                 serving with the one in use",
                CATCH_UP_LIMIT
            );
        }
        self.config.load_full()
    }
}

/// A request id as Kong's (nginx's `$request_id`): 32 hex digits, all random, so that ids say
/// nothing of how many requests the gateway has served. From the thread's own generator
/// (ChaCha, reseeded from the OS): a counter shared by the workers would also have moved one
/// cache line between the cores on every request.
fn new_request_id() -> String {
    // uuid's encoder, because `format!` alone cost as much as routing the request.
    uuid::Uuid::from_u128(rand::random())
        .simple()
        .encode_lower(&mut uuid::Uuid::encode_buffer())
        .to_string()
}

/// The connection a request arrived on.
#[derive(Clone)]
pub struct Conn {
    pub client_addr: SocketAddr,
    /// The client's IP as `X-Forwarded-For` carries it, formatted once per connection.
    pub client_ip: HeaderValue,
    pub local_port: u16,
    /// `local_port` as `X-Forwarded-Port` carries it, formatted once per connection.
    pub local_port_value: HeaderValue,
    /// `https` on a TLS listener, else `http`.
    pub protocol: &'static str,
    /// Set on connections that may speak HTTP/2, which has no idle timer in hyper.
    pub activity: Option<Arc<Activity>>,
    /// The server name a TLS client asked for (lowercase), which routes' `snis` match.
    pub sni: Option<Arc<str>>,
    /// The longest pause allowed in a request body a plugin reads (`--proxy-client-timeout`,
    /// as Kong's `client_body_timeout`).
    pub body_timeout: Duration,
}

impl Conn {
    pub fn new(client_addr: SocketAddr, local_port: u16, tls: bool) -> Conn {
        let client_ip = HeaderValue::from_str(&client_addr.ip().to_string())
            .expect("an IP address is a valid header value");
        Conn {
            client_addr,
            client_ip,
            local_port,
            local_port_value: HeaderValue::from(local_port),
            protocol: if tls { "https" } else { "http" },
            activity: None,
            sni: None,
            body_timeout: DEFAULT_BODY_TIMEOUT,
        }
    }
}

const X_KONG_UPSTREAM_LATENCY: HeaderName = HeaderName::from_static("x-kong-upstream-latency");
const X_KONG_PROXY_LATENCY: HeaderName = HeaderName::from_static("x-kong-proxy-latency");
const X_KONG_RESPONSE_LATENCY: HeaderName = HeaderName::from_static("x-kong-response-latency");

pub(super) fn ms(d: Duration) -> u64 {
    d.as_millis() as u64
}

pub async fn handle(
    shared: Arc<Shared>,
    conn: Conn,
    request: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let started = Instant::now();
    let in_flight = conn.activity.as_ref().map(Activity::begin);
    let config = shared.current_config().await;
    let request_id = new_request_id();
    let (parts, body) = request.into_parts();

    let raw_path = parts.uri.path().to_string();
    let path = normalize(&raw_path);
    // Finishes the answers given before any plugin runs: two Hosts, no route, https only.
    let client_addr = conn.client_addr;
    let unrouted = |response| {
        finish_unrouted(
            &shared,
            &request_id,
            &parts,
            &raw_path,
            client_addr,
            started,
            response,
        )
    };
    let Some(client_host) = client_host(&parts) else {
        // nginx (and so Kong) refuses these before routing: which Host is meant is ambiguous,
        // and a proxy and its upstream could each take a different one.
        let response = nginx_error(StatusCode::BAD_REQUEST, &request_id, &parts);
        return Ok(unrouted(response));
    };
    let host = lowercase(host_without_port(&client_host));
    let found = config.router.find(&RequestFacts {
        path: &path,
        host: &host,
        port: conn.local_port,
        method: parts.method.as_str(),
        headers: &parts.headers,
        https: conn.protocol == "https",
        sni: conn.sni.as_deref(),
    });
    let Some(found) = found else {
        let response = kong_error(
            StatusCode::NOT_FOUND,
            "no Route matched with those values",
            &request_id,
            &parts,
        );
        return Ok(unrouted(response));
    };
    let route = &config.routes[found.route];
    if route.https_only && conn.protocol != "https" {
        let response = https_required(route, &host, &parts, &request_id);
        return Ok(unrouted(response));
    }
    let service = route.service.map(|i| &config.services[i]);
    let stripped = if route.strip_path {
        found.matched_len
    } else {
        None
    };
    let upstream = service.map(|s| {
        let mut path_and_query = upstream_path_v0(s.path.as_deref(), &path, stripped);
        if let Some(q) = parts.uri.query() {
            path_and_query.push('?');
            path_and_query.push_str(q);
        }
        UpstreamTarget {
            scheme: s.scheme,
            host: s.host.clone(),
            port: s.port,
            path_and_query,
            // An upstream's `host_header` takes the port of the target the balancer picks, so
            // it is set when forwarding.
            host_header: route.preserve_host.then(|| client_host.clone()),
        }
    });
    let prefix = stripped.map(|len| path[..len].to_string());

    let mut ctx = Ctx::new(
        parts,
        conn.client_addr,
        route.ident.clone(),
        config.directory.clone(),
        started,
    );
    ctx.protocol = conn.protocol;
    ctx.body_timeout = conn.body_timeout;
    ctx.body = Some(body.map_err(Into::into).boxed());
    ctx.service = service.map(|s| s.ident.clone());
    ctx.upstream = upstream;
    ctx.request_id = request_id;
    let mut abandoned = shared.access_log.is_enabled().then(|| Abandoned {
        shared: shared.clone(),
        config: config.clone(),
        route_index: found.route,
        request_id: ctx.request_id.clone(),
        method: ctx.request.method.clone(),
        raw_path: raw_path.clone(),
        client: client_addr,
        started,
        consumer: None,
        armed: true,
    });

    // Access phase, each plugin looked up with the consumer known when its turn comes.
    let route_slot = found.route as Slot;
    let service_slot = route.service.map_or(NONE, |i| i as Slot);
    let mut executed: Vec<Arc<Instance>> = Vec::new();
    let mut local_response = None;
    for pos in 0..config.plugins.positions() {
        let consumer_slot = ctx
            .consumer
            .as_ref()
            .map_or(NONE, |c| config.consumer_slot(&c.id));
        let Some(instance) = config
            .plugins
            .lookup(pos, route_slot, service_slot, consumer_slot)
        else {
            continue;
        };
        let serves_protocol = if ctx.protocol == "https" {
            instance.on_https
        } else {
            instance.on_http
        };
        if !serves_protocol {
            continue;
        }
        executed.push(instance.clone());
        let flow = instance.runtime.access(&mut ctx).await;
        // A body the client stopped sending ends the request, whatever the plugin reading it
        // made of the missing body (nginx answers before any plugin runs).
        if let Some(status) = ctx.take_body_failure() {
            local_response = Some(body_not_received(&ctx, status));
            break;
        }
        if let Flow::Respond(response) = flow {
            local_response = Some(response);
            break;
        }
    }

    if let Some(abandoned) = &mut abandoned {
        abandoned.consumer = ctx.consumer.clone();
    }

    let mut outcome = Outcome {
        status: 0,
        proxy_latency: None,
        upstream_latency: None,
        target: None,
        tries: 0,
        error: None,
        proxied: false,
    };
    if local_response.is_none() {
        local_response = read_unsized_body(&mut ctx, route.request_buffering).await;
    }
    let mut response = match local_response {
        Some(response) => response,
        None => {
            let routed = Routed {
                path: &path,
                router: &config.router,
                found,
            };
            proxy(
                &mut ctx,
                service,
                prefix.as_deref(),
                &raw_path,
                routed,
                &host,
                conn,
                &mut outcome,
            )
            .await
        }
    };

    for instance in &executed {
        response = instance.runtime.response(&mut ctx, response).await;
    }
    decorate(&mut response, &mut ctx, &outcome);
    outcome.status = response.status().as_u16();
    // Answered: from here the log phase (or nothing, without an access log) takes over.
    if let Some(abandoned) = &mut abandoned {
        abandoned.armed = false;
    }

    let response = match in_flight {
        // The request counts as in progress until its body has gone out.
        Some(in_flight) => response.map(|body| OnEndBody::new(body, in_flight).boxed()),
        None => response,
    };
    if !shared.access_log.is_enabled() {
        // The log phase only feeds the access log: without one, nothing waits for the body.
        return Ok(response);
    }
    let (head, body) = response.into_parts();
    let log = LogJob {
        shared: shared.clone(),
        config: config.clone(),
        route_index: found.route,
        ctx,
        executed,
        outcome,
        raw_path,
    };
    let body = OnEndBody::new(body, log).boxed();
    Ok(Response::from_parts(head, body))
}

/// The request's normalised path and the route it matched, which consistent hashing may
/// read (`hash_on` `path` or `uri_capture`).
struct Routed<'a> {
    path: &'a str,
    router: &'a Router,
    found: RouteMatch,
}

#[allow(clippy::too_many_arguments)]
async fn proxy(
    ctx: &mut Ctx,
    service: Option<&ServiceEntry>,
    prefix: Option<&str>,
    raw_path: &str,
    routed: Routed<'_>,
    host: &str,
    conn: Conn,
    outcome: &mut Outcome,
) -> Response<Body> {
    let Some(target) = ctx.upstream.as_ref() else {
        return ctx.error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "no Service found with those values",
        );
    };
    let websocket = websocket::requested(&mut ctx.request);
    let body = match (ctx.body_bytes.clone(), ctx.body.take()) {
        (Some(bytes), _) => {
            let headers = &mut ctx.request.headers;
            headers.remove(header::TRANSFER_ENCODING);
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
            RequestBody::Bytes(bytes)
        }
        (None, Some(stream)) if !stream.is_end_stream() => {
            RequestBody::Stream(ReplaySlot::new(stream))
        }
        _ => RequestBody::Empty,
    };
    // The service's balancer applies unless a plugin sent the request elsewhere.
    let unchanged = service.is_some_and(|s| {
        s.scheme == target.scheme && s.host == target.host && s.port == target.port
    });
    let request_id = HeaderValue::from_str(&ctx.request_id).ok();
    let balancer = service
        .filter(|_| unchanged)
        .and_then(|s| s.balancer.as_deref());
    let session = match balancer {
        Some(b) => b.session(&HashFacts {
            consumer: ctx.consumer.as_ref().map(|c| c.id.as_str()),
            client_ip: ctx.client_addr.ip(),
            headers: &ctx.request.headers,
            path: routed.path,
            query: ctx.request.uri.query(),
            uri_capture: &|name| routed.router.uri_capture(&routed.found, routed.path, name),
        }),
        None => Session::default(),
    };
    // Routes without a service (a plugin chose the upstream) get Kong's default timeouts.
    let plan = Plan {
        client: service.map_or(client_key(Duration::from_secs(60), true), |s| s.client),
        target,
        balancer,
        session: &session,
        address: service.filter(|_| unchanged).map(|s| &s.address),
        read_timeout: service.map_or(Duration::from_secs(60), |s| s.read_timeout),
        write_timeout: service.map_or(Duration::from_secs(60), |s| s.write_timeout),
        retries: service.map_or(5, |s| s.retries),
        // Set on the upstream request's own headers: plugins' later phases see the client's.
        outgoing: Outgoing {
            forwarded: Forwarded {
                client_ip: &conn.client_ip,
                proto: ctx.protocol,
                host,
                port: &conn.local_port_value,
                path: raw_path,
                prefix,
            },
            request_id: request_id.as_ref(),
            websocket: websocket.is_some(),
        },
    };
    outcome.proxy_latency = Some(ctx.started.elapsed());
    let response = match forward::send(&plan, &ctx.request, body).await {
        Ok(mut up) => {
            outcome.upstream_latency = Some(up.latency);
            outcome.tries = up.tries;
            outcome.proxied = true;
            let switched = websocket::accepted(up.response.status())
                .then(|| hyper::upgrade::on(&mut up.response));
            let (mut head, body) = up.response.into_parts();
            remove_hop_by_hop(&mut head.headers);
            // The upstream's HTTP version belongs to its own hop: as nginx, the client is
            // answered in its protocol (an HTTP/1.0 upstream must not turn a kept-alive
            // HTTP/1.1 client connection into an HTTP/1.0 one that closes).
            head.version = http::Version::default();
            match (websocket, switched) {
                (Some(client), Some(upstream)) => {
                    websocket::answer_client(&mut head.headers);
                    let lease = session.take_lease();
                    websocket::tunnel(
                        client,
                        upstream,
                        plan.read_timeout,
                        up.target.clone(),
                        lease,
                    );
                }
                (None, Some(_)) => {
                    outcome.target = Some(up.target);
                    outcome.error = Some("the upstream switched protocols unasked".into());
                    let response =
                        nginx_error(StatusCode::BAD_GATEWAY, &ctx.request_id, &ctx.request);
                    return with_hash_cookie(response, &session);
                }
                _ => {}
            }
            outcome.target = Some(up.target);
            let body = ReadTimeoutBody::new(body, plan.read_timeout).boxed();
            // The target counts the request in flight until its answer has been read.
            let body = match session.take_lease() {
                Some(lease) => OnEndBody::new(body, lease).boxed(),
                None => body,
            };
            Response::from_parts(head, body)
        }
        Err(e) => {
            // Tries that went out and failed end in nginx's own 502/504 (Kong's error handler,
            // on a request that counts as proxied); the balancer refusing before any try is
            // `kong.response.error` with its message, in Kong's access phase.
            let (status, balancer_message, target, reason, tries) = match e {
                ForwardError::Failed {
                    target,
                    reason,
                    tries,
                } => (StatusCode::BAD_GATEWAY, None, Some(target), reason, tries),
                ForwardError::TimedOut {
                    target,
                    reason,
                    tries,
                } => (
                    StatusCode::GATEWAY_TIMEOUT,
                    None,
                    Some(target),
                    reason,
                    tries,
                ),
                ForwardError::NoTarget => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    Some("failure to get a peer from the ring-balancer"),
                    None,
                    "the upstream has no healthy target with a weight above 0".to_string(),
                    0,
                ),
                // Kong's balancer (`kong/runloop/balancer/init.lua`) answers so when the
                // service's host is not found, before any try.
                ForwardError::NameNotResolved { target, reason } => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    Some("name resolution failed"),
                    Some(target),
                    reason,
                    0,
                ),
            };
            outcome.target = target;
            outcome.tries = tries;
            outcome.error = Some(reason);
            match balancer_message {
                Some(message) => ctx.error_response(status, message),
                None => {
                    outcome.proxied = true;
                    nginx_error(status, &ctx.request_id, &ctx.request)
                }
            }
        }
    };
    with_hash_cookie(response, &session)
}

/// Kong sets a cookie consistent hashing made up on whatever the response is.
fn with_hash_cookie(mut response: Response<Body>, session: &Session) -> Response<Body> {
    if let Some(cookie) = &session.set_cookie {
        set_cookie(response.headers_mut(), cookie);
    }
    response
}

/// Adds plugin response headers and Kong's latency, request-id, `Via` and `Server` headers
/// (`kong/runloop/handler.lua`'s `header_filter`, with Kong's default `headers`): a proxied
/// request's answer gets the upstream and proxy latencies, `Via`, and `Server: gwctl/…` unless
/// the upstream sent its own; an answer the gateway made gets the response latency and
/// `Server: gwctl/…` in place of any other, and no `Via`.
fn decorate(response: &mut Response<Body>, ctx: &mut Ctx, outcome: &Outcome) {
    let headers = response.headers_mut();
    let mut last: Option<HeaderName> = None;
    for (name, value) in std::mem::take(&mut ctx.response_headers) {
        // `HeaderMap`'s iterator yields the name only on the first of several values.
        let name = match name {
            Some(name) => {
                headers.remove(&name);
                last = Some(name.clone());
                name
            }
            None => match &last {
                Some(name) => name.clone(),
                None => continue,
            },
        };
        headers.append(name, value);
    }
    if outcome.proxied {
        let proxy = outcome.proxy_latency.unwrap_or_default();
        // Tries that all failed: the wait from forwarding to the error (Kong's waiting time).
        let upstream = outcome
            .upstream_latency
            .unwrap_or_else(|| ctx.started.elapsed().saturating_sub(proxy));
        headers.insert(X_KONG_UPSTREAM_LATENCY, millis(ms(upstream)));
        headers.insert(X_KONG_PROXY_LATENCY, millis(ms(proxy)));
        headers.append(header::VIA, via(ctx.request.version));
        if !headers.contains_key(header::SERVER) {
            headers.insert(header::SERVER, SERVER_TOKENS);
        }
    } else {
        headers.insert(X_KONG_RESPONSE_LATENCY, millis(ms(ctx.started.elapsed())));
        headers.insert(header::SERVER, SERVER_TOKENS);
    }
    if let Ok(id) = HeaderValue::from_str(&ctx.request_id) {
        headers.insert(X_KONG_REQUEST_ID, id);
    }
}

/// Answers requests that matched no route (or were refused before any plugin ran).
fn finish_unrouted(
    shared: &Shared,
    request_id: &str,
    parts: &http::request::Parts,
    raw_path: &str,
    client_addr: SocketAddr,
    started: Instant,
    mut response: Response<Body>,
) -> Response<Body> {
    let headers = response.headers_mut();
    headers.insert(X_KONG_RESPONSE_LATENCY, millis(ms(started.elapsed())));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert(X_KONG_REQUEST_ID, id);
    }
    // Not proxied: Kong's own name, and no `Via`.
    headers.insert(header::SERVER, SERVER_TOKENS);
    log_phase::log_unrouted(
        &shared.access_log,
        request_id,
        parts,
        raw_path,
        client_addr,
        started,
        response.status().as_u16(),
    );
    response
}

/// Kong's answer on a plain-http request to an https-only route. A redirect goes to `host`
/// (lowercase, without its port: nginx's `$host`, which Kong's `Location` is built from).
fn https_required(
    route: &RouteEntry,
    host: &str,
    parts: &http::request::Parts,
    request_id: &str,
) -> Response<Body> {
    let code = route.https_redirect_status_code;
    if code == 426 {
        let mut response = kong_error(
            StatusCode::UPGRADE_REQUIRED,
            "Please use HTTPS protocol",
            request_id,
            parts,
        );
        let headers = response.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
        headers.insert(
            header::UPGRADE,
            HeaderValue::from_static("TLS/1.2, HTTP/1.1"),
        );
        return response;
    }
    let location = format!(
        "https://{host}{}",
        parts.uri.path_and_query().map_or("/", |p| p.as_str())
    );
    let mut response = Response::new(crate::gateway::plugins::full_body(""));
    *response.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::MOVED_PERMANENTLY);
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

/// The Host the client asked for (HTTP/1 `Host`, or the HTTP/2 authority), port included;
/// `None` when the request carries more than one `Host` header, or is an HTTP/1.1 request
/// without one (RFC 9112 §3.2 requires it; nginx answers 400 "client sent HTTP/1.1 request
/// without Host header"). An HTTP/1.0 request may go without.
fn client_host(parts: &http::request::Parts) -> Option<String> {
    let mut hosts = parts.headers.get_all(header::HOST).iter();
    let first = hosts.next();
    if hosts.next().is_some() {
        return None;
    }
    let host = first
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()));
    match host {
        Some(host) => Some(host.to_string()),
        None if parts.version == http::Version::HTTP_11 && first.is_none() => None,
        None => Some(String::new()),
    }
}

/// Hosts compare case-insensitively; most arrive in lowercase already.
fn lowercase(host: &str) -> Cow<'_, str> {
    if host.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(host.to_ascii_lowercase())
    } else {
        Cow::Borrowed(host)
    }
}

fn host_without_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host
            .split(']')
            .next()
            .map_or(host, |h| &host[..h.len() + 1]);
    }
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}
