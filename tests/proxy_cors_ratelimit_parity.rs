//! cors and rate-limiting where they used to differ from Kong 3.x (`kong/plugins/cors/handler.lua`,
//! `kong/plugins/rate-limiting/handler.lua` and their schemas): each test here failed before
//! the fix it names.

mod proxy_support;

use std::convert::Infallible;

use bytes::Bytes;
use gwctl::kinds::{self, validate};
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use proxy_support::*;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// An upstream answering every request with 200 and these headers (the echo upstream cannot
/// send CORS headers of its own).
async fn upstream_with_headers(headers: &'static [(&'static str, &'static str)]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let service = service_fn(move |_req: Request<Incoming>| async move {
                    let mut response = Response::builder().status(200);
                    for (name, value) in headers {
                        response = response.header(*name, *value);
                    }
                    let body = Full::new(Bytes::from_static(b"{}"));
                    Ok::<_, Infallible>(response.body(body).unwrap())
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    format!("http://{addr}")
}

/// The Admin API's validation of a plugin entity: Kong's error text, or None when valid.
fn plugin_errors(name: &str, config: Value) -> Option<String> {
    let registry = kinds::registry();
    let kind = registry.kind("plugins").expect("plugins kind");
    let mut entity = json!({"name": name, "config": config})
        .as_object()
        .cloned()
        .unwrap();
    let options = validate::Options {
        fill_nulls: true,
        ..validate::Options::default()
    };
    let violations = validate::process_entity(registry, kind, &mut entity, options);
    (!violations.is_empty()).then(|| validate::kong_message(&violations))
}

fn preflight_headers(origin: &'static str) -> [(&'static str, &'static str); 2] {
    [("origin", origin), ("access-control-request-method", "GET")]
}

// ---- cors ----

/// Kong sends a single plain origin as configured, whatever the request's origin (or none).
#[tokio::test]
async fn cors_single_plain_origin_is_always_sent() {
    let up = echo("a").await;
    let gw = Gateway::start(&one_route_with_plugin(
        &up.url(),
        "cors",
        json!({"origins": ["https://app.test"]}),
    ))
    .await;
    let reply = send("GET", &gw.url("/"), &[("origin", "https://other.test")], "").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://app.test")
    );
    assert_eq!(reply.header("vary"), Some("Origin"));
    let reply = gw.get("/").await;
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://app.test")
    );
    let reply = send(
        "OPTIONS",
        &gw.url("/"),
        &preflight_headers("https://other.test"),
        "",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://app.test")
    );
}

/// `*` among other entries allows every request that has an origin (and credentials then echo
/// it); the plugin used to fail to build, leaving the route with no CORS at all.
#[tokio::test]
async fn cors_star_among_origins_allows_all() {
    let up = echo("a").await;
    let gw = Gateway::start(&one_route_with_plugin(
        &up.url(),
        "cors",
        json!({"origins": ["https://app.test", "*"]}),
    ))
    .await;
    let reply = send("GET", &gw.url("/"), &[("origin", "https://x.test")], "").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));

    let up = echo("b").await;
    let gw = Gateway::start(&one_route_with_plugin(
        &up.url(),
        "cors",
        json!({"origins": ["https://app.test", "*"], "credentials": true}),
    ))
    .await;
    let reply = send(
        "OPTIONS",
        &gw.url("/"),
        &preflight_headers("https://x.test"),
        "",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://x.test")
    );
    assert_eq!(
        reply.header("access-control-allow-credentials"),
        Some("true")
    );
}

/// A regex without `:` is matched against the origin's host, as Kong does.
#[tokio::test]
async fn cors_regex_without_colon_matches_the_host() {
    let up = echo("a").await;
    let gw = Gateway::start(&one_route_with_plugin(
        &up.url(),
        "cors",
        json!({"origins": ["[a-z]+\\.example\\.com", "https://fixed.test"]}),
    ))
    .await;
    let reply = send(
        "GET",
        &gw.url("/"),
        &[("origin", "https://api.example.com")],
        "",
    )
    .await;
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://api.example.com")
    );
    // Still anchored at both ends.
    let reply = send(
        "GET",
        &gw.url("/"),
        &[("origin", "https://api.example.com.evil.test")],
        "",
    )
    .await;
    assert!(reply.header("access-control-allow-origin").is_none());
    // The allowed origin is sent normalised, without the scheme's default port.
    let reply = send(
        "GET",
        &gw.url("/"),
        &[("origin", "https://api.example.com:443")],
        "",
    )
    .await;
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://api.example.com")
    );
}

/// An origin not on the list must not get the upstream's own `Access-Control-Allow-Origin`
/// through: Kong clears it.
#[tokio::test]
async fn cors_unlisted_origin_clears_the_upstreams_allow_origin() {
    let upstream = upstream_with_headers(&[("access-control-allow-origin", "*")]).await;
    let gw = Gateway::start(&one_route_with_plugin(
        &upstream,
        "cors",
        json!({"origins": ["https://a.test", "https://b.test"]}),
    ))
    .await;
    let reply = send("GET", &gw.url("/"), &[("origin", "https://evil.test")], "").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply.header("access-control-allow-origin").is_none(),
        "{:?}",
        reply.headers
    );
    assert_eq!(reply.header("vary"), Some("Origin"));
    // No Origin at all: the same.
    let reply = gw.get("/").await;
    assert!(reply.header("access-control-allow-origin").is_none());
    // A listed one replaces the upstream's value.
    let reply = send("GET", &gw.url("/"), &[("origin", "https://b.test")], "").await;
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://b.test")
    );
}

/// An empty `Origin` is no origin (Kong's `is_origin_provided`): not a preflight.
#[tokio::test]
async fn cors_empty_origin_is_not_a_preflight() {
    let up = echo("a").await;
    let gw = Gateway::start(&one_route_with_plugin(&up.url(), "cors", json!({}))).await;
    let reply = send("OPTIONS", &gw.url("/"), &preflight_headers(""), "").await;
    assert_eq!(reply.echoed()["method"], "OPTIONS");
    assert_eq!(up.hits(), 1);
}

/// The preflight answer's shape (already right; kept as a guard): 200, empty body with
/// `Content-Length: 0`, requested headers echoed, private network allowed when asked.
#[tokio::test]
async fn cors_preflight_answer_shape() {
    let up = echo("a").await;
    let gw = Gateway::start(&one_route_with_plugin(
        &up.url(),
        "cors",
        json!({"private_network": true, "max_age": 600, "exposed_headers": ["x-a"]}),
    ))
    .await;
    let reply = send(
        "OPTIONS",
        &gw.url("/"),
        &[
            ("origin", "https://x.test"),
            ("access-control-request-method", "PUT"),
            ("access-control-request-headers", "x-one,x-two"),
            ("access-control-request-private-network", "true"),
        ],
        "",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, "");
    assert_eq!(reply.header("content-length"), Some("0"));
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        reply.header("access-control-allow-headers"),
        Some("x-one,x-two")
    );
    assert_eq!(reply.header("access-control-max-age"), Some("600"));
    assert_eq!(
        reply.header("access-control-allow-private-network"),
        Some("true")
    );
    // Exposed headers go on ordinary answers only.
    assert!(reply.header("access-control-expose-headers").is_none());
    assert!(reply.header("vary").is_none());
    assert_eq!(up.hits(), 0);
}

/// Kong refuses an origin that is neither `*` nor a valid regex when it is written; the proxy
/// would otherwise drop the plugin.
#[test]
fn cors_schema_rejects_invalid_origin_regexes() {
    let error = plugin_errors("cors", json!({"origins": ["*.example.com"]}));
    assert!(
        error
            .as_deref()
            .is_some_and(|e| e.contains("'*.example.com' is not a valid regex")),
        "{error:?}"
    );
    assert_eq!(
        plugin_errors(
            "cors",
            json!({"origins": ["*", "https://a.test", "https://.*\\.b\\.test"]})
        ),
        None
    );
}

// ---- rate-limiting ----

/// `limit_by: path` compares the normalised path, so spelling the path differently does not
/// move a request from the path's shared counter to a fresh per-IP one.
#[tokio::test]
async fn rate_limit_by_path_uses_the_normalised_path() {
    away_from_a_minute_boundary().await;
    let up = echo("a").await;
    let gw = Gateway::start(&one_route_with_plugin(
        &up.url(),
        "rate-limiting",
        json!({"minute": 1, "limit_by": "path", "path": "/hot"}),
    ))
    .await;
    assert_eq!(gw.get("/hot").await.status, StatusCode::OK);
    for spelling in ["//hot", "/h%6Ft", "/x/../hot"] {
        let reply = gw.get(spelling).await;
        assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS, "{spelling}");
    }
    assert_eq!(up.hits(), 1);
}

/// Kong admits requests while `limit - used > 0`: a limit of 0.5 lets one through, 1.5 two.
#[tokio::test]
async fn rate_limit_fractional_limits_round_up() {
    away_from_a_minute_boundary().await;
    let up = echo("a").await;
    let gw = Gateway::start(&one_route_with_plugin(
        &up.url(),
        "rate-limiting",
        json!({"minute": 0.5, "hour": 1.5, "limit_by": "ip"}),
    ))
    .await;
    assert_eq!(gw.get("/").await.status, StatusCode::OK);
    let reply = gw.get("/").await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(reply.json()["message"], "API rate limit exceeded");
}

/// The schema refuses what Kong's does, instead of accepting a config the proxy then drops
/// (an unusable `header_name`: no limit at all) or silently ignores (`sync_rate`).
#[test]
fn rate_limit_schema_matches_kong() {
    let error = |config: Value| plugin_errors("rate-limiting", config).unwrap_or_default();
    assert!(
        error(json!({"minute": 1, "limit_by": "header", "header_name": "x tenant"}))
            .contains("bad header name 'x tenant'")
    );
    assert!(
        error(json!({"minute": 1, "limit_by": "path", "path": "/a//b"})).contains("empty segments")
    );
    assert!(
        error(json!({"minute": 1, "sync_rate": 1}))
            .contains("sync_rate can only be used with the redis policy")
    );
    assert!(
        error(json!({"minute": 1, "policy": "redis", "redis": {"host": "r"}, "sync_rate": 0.01}))
            .contains("sync_rate must be greater than 0.02, or -1 to disable")
    );
    assert_eq!(
        plugin_errors(
            "rate-limiting",
            json!({"minute": 1, "policy": "redis", "redis": {"host": "r"}, "sync_rate": 1})
        ),
        None
    );
    // Kong compares each window with every larger one and names the first pair it meets.
    let e = error(json!({"second": 10, "minute": 20, "hour": 5}));
    assert!(
        e.contains("The limit for hour(5.0) cannot be lower than the limit for second(10.0)"),
        "{e}"
    );
}
