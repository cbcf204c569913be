//! Plugin runtime behaviour: one trait with a hook per request phase (like pingora's), one
//! file per plugin. Schemas live in `kinds::plugins`; this is what the plugins *do*.
//!
//! For each request the proxy runs the matched plugins' `access` hooks in priority order
//! (highest first), forwards the request, then runs `response` hooks in the same order and
//! `log` hooks last.

pub mod acl;
pub mod ai_proxy;
pub mod cors;
pub mod jwt;
pub mod key_auth;
pub mod rate_limiting;
pub mod unbuildable;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use serde_json::{Map, Value};

use crate::gateway::proxy::directory::{ConsumerRecord, Directory};
use crate::gateway::proxy::error_body;
use crate::gateway::proxy::rate_counters::RateCounters;

/// Errors inside body streams.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A request or response body as the proxy streams it.
pub type Body = BoxBody<Bytes, BoxError>;

/// What an `access` hook decided.
pub enum Flow {
    /// Go on to the next plugin, then the upstream.
    Continue,
    /// Answer the client now with this response (401, 403, 429, a preflight answer…).
    Respond(Response<Body>),
}

/// The consumer a credential identified (key-auth, jwt), as Kong's `X-Consumer-*` headers
/// describe it.
#[derive(Debug, Clone, Default)]
pub struct ConsumerInfo {
    pub id: String,
    pub username: Option<String>,
    pub custom_id: Option<String>,
    /// The id of the credential that identified the consumer.
    pub credential_id: Option<String>,
    /// Set when the consumer is the plugin's `anonymous` fallback.
    pub anonymous: bool,
}

/// The route or service a request matched, as plugins see it: who it is, not its whole
/// configuration (the proxy keeps only what it compiled from entities, so 100,000 services do
/// not each keep a parsed copy alive).
#[derive(Debug, Clone, Default)]
pub struct EntityRef {
    pub id: Arc<str>,
    pub name: Option<Arc<str>>,
}

/// Where the proxy will send the request; plugins such as ai-proxy replace it.
#[derive(Debug, Clone)]
pub struct UpstreamTarget {
    /// `http` or `https`.
    pub scheme: &'static str,
    pub host: Arc<str>,
    pub port: u16,
    /// Path and query sent upstream.
    pub path_and_query: String,
    /// The `Host` header to send (None: derived from host and port).
    pub host_header: Option<String>,
}

/// Everything a plugin may read or change about one request.
pub struct Ctx {
    /// The client's request head; changes here are what the upstream receives.
    pub request: http::request::Parts,
    /// The request body. A plugin that needs it reads it whole with [`Ctx::read_body`].
    pub body: Option<Body>,
    /// The body once read, so several plugins can look at it.
    pub body_bytes: Option<Bytes>,
    pub client_addr: SocketAddr,
    pub route: EntityRef,
    pub service: Option<EntityRef>,
    pub consumer: Option<ConsumerInfo>,
    /// ACL groups of the identified consumer (filled by the proxy from the snapshot).
    pub consumer_groups: Vec<String>,
    /// Set by the proxy from the service (or upstream); plugins may override it.
    pub upstream: Option<UpstreamTarget>,
    /// Headers to add to the response the client gets (e.g. `RateLimit-*`).
    pub response_headers: HeaderMap,
    /// Extra fields for this request's access-log line (never secrets).
    pub log: Map<String, Value>,
    pub started: Instant,
    /// Consumers, credentials and ACL groups of the configuration this request runs on.
    pub directory: Arc<Directory>,
    /// Kong's request id (`X-Kong-Request-Id`, and `request_id` in error bodies).
    pub request_id: String,
    /// `http` or `https`: the protocol the client used (plugins' `protocols` filter on it).
    pub protocol: &'static str,
    /// Per-request state a plugin keeps between its hooks, e.g. an `Arc<Mutex<Usage>>` that its
    /// response-body wrapper fills while streaming and its `log` hook reads (the log phase runs
    /// once the response body has been sent).
    pub extensions: http::Extensions,
    /// The longest pause allowed between two parts of the request body while a plugin reads
    /// it (nginx's `client_body_timeout`, which Kong leaves at 60 s).
    pub body_timeout: Duration,
    /// Set when reading the body failed on the client's side (it went quiet for
    /// `body_timeout`, or broke off): the request ends with nginx's error of this status
    /// whatever the plugin that was reading made of the missing body.
    body_failure: Option<StatusCode>,
}

/// Kong's `client_body_timeout` (nginx's default, which Kong keeps).
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(60);

impl Ctx {
    /// A context for a request on `route` that arrived at `started`, answered with the
    /// configuration `directory` belongs to, with nothing else decided yet (no body, upstream
    /// or consumer). The proxy fills the rest.
    pub fn new(
        request: http::request::Parts,
        client_addr: SocketAddr,
        route: EntityRef,
        directory: Arc<Directory>,
        started: Instant,
    ) -> Ctx {
        Ctx {
            request,
            body: None,
            body_bytes: None,
            client_addr,
            route,
            service: None,
            consumer: None,
            consumer_groups: Vec::new(),
            upstream: None,
            response_headers: HeaderMap::new(),
            log: Map::new(),
            started,
            directory,
            request_id: String::new(),
            protocol: "http",
            extensions: http::Extensions::new(),
            body_timeout: DEFAULT_BODY_TIMEOUT,
            body_failure: None,
        }
    }

    /// The answer a request gets because its body could not be read (see `body_failure`),
    /// taken once.
    pub fn take_body_failure(&mut self) -> Option<StatusCode> {
        self.body_failure.take()
    }

    /// Reads the whole request body (at most `limit` bytes) and keeps it for later hooks and
    /// for forwarding. Returns `Err` with a message when the body is larger than `limit`.
    pub async fn read_body(&mut self, limit: usize) -> Result<Bytes, String> {
        if let Some(bytes) = &self.body_bytes {
            return if bytes.len() > limit {
                Err(format!("request body is larger than {limit} bytes"))
            } else {
                Ok(bytes.clone())
            };
        }
        let Some(body) = self.body.take() else {
            let empty = Bytes::new();
            self.body_bytes = Some(empty.clone());
            return Ok(empty);
        };
        // A frame loop rather than `Limited::collect`, whose boxed error type makes the future
        // fail the `Send` check inside `#[async_trait]` hooks.
        let mut body = body;
        let mut buf = bytes::BytesMut::new();
        loop {
            // A client that sends part of a body and goes quiet must not hold the request
            // (and what was read so far) forever: nginx answers 408 after
            // `client_body_timeout` without a byte.
            let Ok(frame) = tokio::time::timeout(self.body_timeout, body.frame()).await else {
                self.body_failure = Some(StatusCode::REQUEST_TIMEOUT);
                return Err(format!(
                    "the client sent no more of the request body for {:?}",
                    self.body_timeout
                ));
            };
            let Some(frame) = frame else { break };
            let frame = frame.map_err(|e| {
                self.body_failure = Some(StatusCode::BAD_REQUEST);
                format!("reading the request body failed: {e}")
            })?;
            if let Ok(data) = frame.into_data() {
                if buf.len() + data.len() > limit {
                    // Put back what was read, so the body can still be forwarded whole.
                    buf.extend_from_slice(&data);
                    self.body = Some(prepend(buf.freeze(), body));
                    return Err(format!("request body is larger than {limit} bytes"));
                }
                buf.extend_from_slice(&data);
            }
        }
        let bytes = buf.freeze();
        self.body_bytes = Some(bytes.clone());
        Ok(bytes)
    }

    /// Replaces the body that will be forwarded.
    pub fn set_body(&mut self, bytes: Bytes) {
        self.body = None;
        self.body_bytes = Some(bytes);
    }

    /// Kong's `kong.response.error`: `message` and the request id in the format the client's
    /// `Accept` asks for (JSON by default; see [`error_body`]).
    pub fn error_response(&self, status: StatusCode, message: &str) -> Response<Body> {
        error_body::kong_error(status, message, &self.request_id, &self.request)
    }

    /// Records the consumer a credential (or the `anonymous` setting) identified and sets Kong's
    /// `X-Consumer-*`, `X-Credential-Identifier` and `X-Anonymous-Consumer` upstream headers.
    /// `credential` is (credential id, identifier sent upstream).
    pub fn authenticate(
        &mut self,
        consumer: &ConsumerRecord,
        credential: Option<(&str, &str)>,
        anonymous: bool,
    ) {
        let headers = &mut self.request.headers;
        set_or_clear(headers, "x-consumer-id", Some(&consumer.id));
        set_or_clear(
            headers,
            "x-consumer-custom-id",
            consumer.custom_id.as_deref(),
        );
        set_or_clear(headers, "x-consumer-username", consumer.username.as_deref());
        set_or_clear(
            headers,
            "x-credential-identifier",
            credential.map(|(_, identifier)| identifier),
        );
        set_or_clear(headers, "x-anonymous-consumer", anonymous.then_some("true"));
        self.consumer_groups = self.directory.groups(&consumer.id).to_vec();
        self.consumer = Some(ConsumerInfo {
            id: consumer.id.clone(),
            username: consumer.username.clone(),
            custom_id: consumer.custom_id.clone(),
            credential_id: credential.map(|(id, _)| id.to_string()),
            anonymous,
        });
    }

    /// Whether a real credential (not the anonymous fallback) already identified the consumer;
    /// auth plugins configured with `anonymous` then step aside (Kong's "logical OR").
    pub fn has_credential(&self) -> bool {
        self.consumer
            .as_ref()
            .is_some_and(|c| !c.anonymous && c.credential_id.is_some())
    }

    /// The client's IP as Kong's `kong.client.get_forwarded_ip` gives it with no trusted IPs.
    pub fn client_ip(&self) -> String {
        self.client_addr.ip().to_string()
    }
}

/// A body made of `first` followed by the rest of `body`.
fn prepend(first: Bytes, body: Body) -> Body {
    use futures_util::StreamExt;
    let head = futures_util::stream::iter([Ok(hyper::body::Frame::data(first))]);
    let stream = head.chain(http_body_util::BodyStream::new(body));
    BodyExt::boxed(http_body_util::StreamBody::new(stream))
}

fn set_or_clear(headers: &mut HeaderMap, name: &'static str, value: Option<&str>) {
    match value.and_then(|v| HeaderValue::from_str(v).ok()) {
        Some(value) => {
            headers.insert(name, value);
        }
        None => {
            headers.remove(name);
        }
    }
}

/// A header value for text from the configuration, as OpenResty sets one (`ngx.header`,
/// `kong.response.exit`'s headers): control characters other than tab, which cannot go in a
/// header, are sent percent-escaped (`%0A`) rather than refused, so a plugin whose realm holds
/// one still answers (left out, an auth plugin would let every request through).
pub fn escaped_header_value(text: &str) -> HeaderValue {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_control() && c != '\t' {
            escaped.push_str(&format!("%{:02X}", c as u32));
        } else {
            escaped.push(c);
        }
    }
    HeaderValue::from_str(&escaped).expect("control characters are escaped")
}

/// A body holding these bytes.
pub fn full_body(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

/// A JSON answer with this status.
pub fn json_response(status: StatusCode, value: &Value) -> Response<Body> {
    let mut response = Response::new(full_body(value.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// One configured plugin instance's behaviour. Every hook has a default that does nothing.
#[async_trait]
pub trait PluginRuntime: Send + Sync {
    /// Before forwarding: authenticate, limit, rewrite the request, or answer directly.
    async fn access(&self, _ctx: &mut Ctx) -> Flow {
        Flow::Continue
    }

    /// After the upstream answered (or a plugin did): may rewrite the head and wrap the body
    /// stream (ai-proxy translates provider answers and SSE events here).
    async fn response(&self, _ctx: &mut Ctx, response: Response<Body>) -> Response<Body> {
        response
    }

    /// Adds fields to the access-log entry.
    fn log(&self, _ctx: &Ctx, _entry: &mut Map<String, Value>) {}
}

/// What a plugin instance may need besides its config when it is built.
pub struct BuildEnv<'a> {
    /// The plugin entity's id (keys state that outlives a configuration, e.g. counters).
    pub instance_id: &'a str,
    /// Rate-limiting counters shared by every configuration the proxy runs.
    pub counters: &'a Arc<RateCounters>,
}

/// Builds the runtime of a plugin from its (validated, defaulted) `config`.
/// `None` when gwctl has no runtime for that plugin name; `Err` says why the config is unusable.
pub fn build(
    name: &str,
    config: &Value,
    env: &BuildEnv<'_>,
) -> Option<Result<Arc<dyn PluginRuntime>, String>> {
    let built: Result<Arc<dyn PluginRuntime>, String> = match name {
        "key-auth" => key_auth::KeyAuth::new(config).map(|p| Arc::new(p) as _),
        "jwt" => jwt::Jwt::new(config).map(|p| Arc::new(p) as _),
        "acl" => acl::Acl::new(config).map(|p| Arc::new(p) as _),
        "rate-limiting" => rate_limiting::RateLimiting::new(config, env.instance_id, env.counters)
            .map(|p| Arc::new(p) as _),
        "cors" => cors::Cors::new(config).map(|p| Arc::new(p) as _),
        "ai-proxy" => ai_proxy::new(config),
        _ => return None,
    };
    Some(built)
}

/// Reads a plugin config with serde, naming the plugin in the error.
pub(crate) fn parse_config<T: serde::de::DeserializeOwned>(
    plugin: &str,
    config: &Value,
) -> Result<T, String> {
    serde_json::from_value(config.clone()).map_err(|e| format!("{plugin}: invalid config: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_build(name: &str, config: Value) -> Option<Result<Arc<dyn PluginRuntime>, String>> {
        let counters = Arc::new(RateCounters::new());
        build(
            name,
            &config,
            &BuildEnv {
                instance_id: "p1",
                counters: &counters,
            },
        )
    }

    #[test]
    fn build_knows_its_plugins_and_explains_bad_configs() {
        assert!(env_build("prometheus", serde_json::json!({})).is_none());
        assert!(matches!(
            env_build("key-auth", serde_json::json!({"key_names": ["apikey"]})),
            Some(Ok(_))
        ));
        let err = env_build("acl", serde_json::json!({"allow": ["a"], "deny": ["b"]}))
            .unwrap()
            .err()
            .unwrap();
        assert!(err.contains("exactly one of"), "{err}");
        let err = env_build("rate-limiting", serde_json::json!({"limit_by": "ip"}))
            .unwrap()
            .err()
            .unwrap();
        assert!(err.contains("at least one of"), "{err}");
        let err = env_build("cors", serde_json::json!({"origins": ["(unclosed"]}))
            .unwrap()
            .err()
            .unwrap();
        assert!(err.contains("not a valid regex"), "{err}");
    }
}
