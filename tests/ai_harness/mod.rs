//! Drives a plugin through the `PluginRuntime` trait the way the proxy does (access, forward
//! to `ctx.upstream` over a real socket, response, log), for testing ai-proxy before and
//! independently of the real proxy.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use gwctl::gateway::plugins::{Body, Ctx, Flow, PluginRuntime, UpstreamTarget};
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{Map, Value};

pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

/// The config as the gateway stores it: checked against Kong's schema from the registry,
/// defaults filled and unset fields `null`.
pub fn stored_config(config: Value) -> Value {
    use gwctl::kinds::validate::{Options, process_record};
    let Value::Object(mut record) = config else {
        panic!("config must be an object")
    };
    let definition = gwctl::kinds::registry().plugin("ai-proxy").unwrap();
    let options = Options {
        fill_nulls: true,
        ..Options::default()
    };
    let violations = process_record(definition.config_schema().unwrap(), &mut record, options);
    assert!(
        violations.is_empty(),
        "config rejected by the schema: {violations:?}"
    );
    Value::Object(record)
}

/// The plugin built from a (schema-checked) config, panicking if it is refused.
pub fn plugin(config: Value) -> Arc<dyn PluginRuntime> {
    gwctl::gateway::plugins::ai_proxy::new(&stored_config(config))
        .unwrap_or_else(|e| panic!("config refused: {e}"))
}

/// A client request to the route.
pub fn post(path: &str, body: Value) -> Request<Bytes> {
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Bytes::from(body.to_string()))
        .unwrap()
}

/// Runs one request through the plugin and a real upstream; returns the client's response
/// and the request context (for the log hook, once the body is read).
pub async fn exchange(
    plugin: &dyn PluginRuntime,
    request: Request<Bytes>,
) -> (Response<Body>, Ctx) {
    let (parts, body) = request.into_parts();
    let mut ctx = Ctx::new(
        parts,
        SocketAddr::from(([127, 0, 0, 1], 50000)),
        Default::default(),
        Default::default(),
        Instant::now(),
    );
    ctx.body = Some(full(body));
    // The route's placeholder service; ai-proxy must replace it.
    ctx.upstream = Some(UpstreamTarget {
        scheme: "http",
        host: "placeholder.invalid".into(),
        port: 80,
        path_and_query: "/".into(),
        host_header: None,
    });
    ctx.request_id = "test-request".into();
    let response = match plugin.access(&mut ctx).await {
        Flow::Respond(response) => response,
        Flow::Continue => forward(&mut ctx).await,
    };
    let response = plugin.response(&mut ctx, response).await;
    (response, ctx)
}

async fn forward(ctx: &mut Ctx) -> Response<Body> {
    let target = ctx.upstream.clone().expect("an upstream target");
    let uri = format!(
        "{}://{}:{}{}",
        target.scheme, target.host, target.port, target.path_and_query
    );
    let body = match ctx.body_bytes.clone() {
        Some(bytes) => full(bytes),
        None => ctx.body.take().unwrap_or_else(|| full(Bytes::new())),
    };
    let mut request = Request::builder()
        .method(ctx.request.method.clone())
        .uri(uri)
        .body(body)
        .unwrap();
    *request.headers_mut() = ctx.request.headers.clone();
    if let Some(host) = &target.host_header {
        request
            .headers_mut()
            .insert(header::HOST, HeaderValue::from_str(host).unwrap());
    }
    let client = Client::builder(TokioExecutor::new()).build_http::<Body>();
    match client.request(request).await {
        Ok(response) => response.map(|b| b.map_err(Into::into).boxed()),
        // What the proxy answers when the upstream cannot be reached (nginx's 502).
        Err(_) => gwctl::gateway::proxy::error_body::nginx_error(
            StatusCode::BAD_GATEWAY,
            &ctx.request_id,
            &ctx.request,
        ),
    }
}

/// The access-log fields the plugin adds.
pub fn log_entry(plugin: &dyn PluginRuntime, ctx: &Ctx) -> Map<String, Value> {
    let mut entry = Map::new();
    plugin.log(ctx, &mut entry);
    entry
}

pub async fn body_bytes(response: Response<Body>) -> Bytes {
    response.into_body().collect().await.unwrap().to_bytes()
}

pub async fn body_json(response: Response<Body>) -> Value {
    let bytes = body_bytes(response).await;
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)))
}

/// The `data:` payloads of an SSE body, with the time each network frame arrived.
pub async fn sse_frames(response: Response<Body>) -> Vec<(Instant, String)> {
    let mut body = response.into_body();
    let mut out = Vec::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.unwrap().into_data() {
            out.push((Instant::now(), String::from_utf8(data.to_vec()).unwrap()));
        }
    }
    out
}

/// The `data:` payloads of a whole SSE text.
pub fn sse_data(text: &str) -> Vec<String> {
    text.split("\n\n")
        .filter_map(|event| event.strip_prefix("data: "))
        .map(str::to_string)
        .collect()
}
