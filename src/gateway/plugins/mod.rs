//! Plugin runtime behaviour: one trait with a hook per request phase (like pingora's), one
//! file per plugin. Schemas live in `kinds::plugins`; this is what the plugins *do*.
//!
//! For each request the proxy runs the matched plugins' `access` hooks in priority order
//! (highest first), forwards the request, then runs `response` hooks in the same order and
//! `log` hooks last.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use bytes::Bytes;
use http::{HeaderMap, Response};
use http_body_util::combinators::BoxBody;
use serde_json::{Map, Value};

pub mod ai_proxy;

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

/// Where the proxy will send the request; plugins such as ai-proxy replace it.
#[derive(Debug, Clone)]
pub struct UpstreamTarget {
    /// `http` or `https`.
    pub scheme: String,
    pub host: String,
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
    pub route: Arc<Map<String, Value>>,
    pub service: Option<Arc<Map<String, Value>>>,
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
}

impl Ctx {
    /// Reads the whole request body (at most `limit` bytes) and keeps it for later hooks and
    /// for forwarding. Returns `Err` with a message when the body is larger than `limit`.
    pub async fn read_body(&mut self, limit: usize) -> Result<Bytes, String> {
        use http_body_util::BodyExt;
        let too_large = || format!("request body is larger than {limit} bytes");
        if let Some(bytes) = &self.body_bytes {
            return if bytes.len() > limit {
                Err(too_large())
            } else {
                Ok(bytes.clone())
            };
        }
        let Some(mut body) = self.body.take() else {
            let empty = Bytes::new();
            self.body_bytes = Some(empty.clone());
            return Ok(empty);
        };
        // A hand loop rather than `Limited` + `collect`: those make the future fail the
        // higher-ranked `Send` check inside `#[async_trait]` hooks that call this.
        let mut out = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| format!("request body could not be read: {e}"))?;
            if let Ok(data) = frame.into_data() {
                if out.len() + data.len() > limit {
                    return Err(too_large());
                }
                out.extend_from_slice(&data);
            }
        }
        let bytes = Bytes::from(out);
        self.body_bytes = Some(bytes.clone());
        Ok(bytes)
    }

    /// Replaces the body that will be forwarded.
    pub fn set_body(&mut self, bytes: Bytes) {
        self.body = None;
        self.body_bytes = Some(bytes);
    }
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

/// Builds the runtime of a plugin from its (validated, defaulted) `config`.
/// `None` when gwctl has no runtime for that plugin name.
pub fn build(name: &str, config: &Value) -> Option<Result<Arc<dyn PluginRuntime>, String>> {
    match name {
        "ai-proxy" => Some(ai_proxy::new(config)),
        _ => None,
    }
}
