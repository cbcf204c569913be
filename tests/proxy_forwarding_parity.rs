//! How the proxy forwards a request compared with Kong 3.x: the headers the upstream gets
//! (`X-Real-IP`, `X-Forwarded-Host`, `X-Forwarded-Prefix`, `Via`; `kong/runloop/handler.lua`
//! and `kong/templates/nginx_kong.lua`), the request id, and passive health counting
//! (lua-resty-healthcheck's `incr_counter`, which ignores a report whose threshold is 0). The
//! TLS name of active https probes is tested in `proxy_health.rs`.

mod proxy_support;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioExecutor;
use proxy_support::*;
use serde_json::{Value, json};

const OWN_VIA: &str = concat!("1.1 gwctl/", env!("CARGO_PKG_VERSION"));

async fn gateway_to(echo: &Echo, route: Value) -> Gateway {
    Gateway::start(
        &Entities::new()
            .service("s", &echo.url())
            .route("r", "s", route),
    )
    .await
}

#[tokio::test]
async fn x_real_ip_is_the_client_address_whatever_the_client_sent() {
    let a = echo("a").await;
    let gw = gateway_to(&a, json!({"paths": ["/"]})).await;
    let seen = send("GET", &gw.url("/x"), &[("x-real-ip", "203.0.113.9")], "")
        .await
        .echoed();
    assert_eq!(seen["headers"]["x-real-ip"], "127.0.0.1", "{seen}");
    // Without one from the client, it is set too.
    let seen = gw.get("/x").await.echoed();
    assert_eq!(seen["headers"]["x-real-ip"], "127.0.0.1", "{seen}");
}

#[tokio::test]
async fn a_stripped_root_prefix_is_not_announced_as_x_forwarded_prefix() {
    let a = echo("a").await;
    // `strip_path` defaults to true: the route strips `/`, which Kong does not announce.
    let gw = gateway_to(&a, json!({"paths": ["/"]})).await;
    let seen = send(
        "GET",
        &gw.url("/x"),
        &[("x-forwarded-prefix", "/spoof")],
        "",
    )
    .await
    .echoed();
    assert!(
        seen["headers"].get("x-forwarded-prefix").is_none(),
        "{seen}"
    );
    // A longer stripped prefix still is.
    let gw = gateway_to(&a, json!({"paths": ["/api"]})).await;
    let seen = gw.get("/api/x").await.echoed();
    assert_eq!(seen["headers"]["x-forwarded-prefix"], "/api", "{seen}");
}

#[tokio::test]
async fn x_forwarded_host_is_lowercase_as_nginx_host() {
    let a = echo("a").await;
    let gw = gateway_to(&a, json!({"paths": ["/"]})).await;
    let seen = send(
        "GET",
        &gw.url("/x"),
        &[("host", "API.Example.TEST:8123")],
        "",
    )
    .await
    .echoed();
    assert_eq!(
        seen["headers"]["x-forwarded-host"], "api.example.test",
        "{seen}"
    );
}

#[tokio::test]
async fn via_is_appended_to_the_clients_via() {
    let a = echo("a").await;
    let gw = gateway_to(&a, json!({"paths": ["/"]})).await;
    let seen = send("GET", &gw.url("/x"), &[("via", "1.0 corp-proxy")], "")
        .await
        .echoed();
    assert_eq!(
        seen["headers"]["via"],
        format!("1.0 corp-proxy, {OWN_VIA}"),
        "{seen}"
    );
    let seen = gw.get("/x").await.echoed();
    assert_eq!(seen["headers"]["via"], OWN_VIA, "{seen}");
}

/// Kong writes the client's protocol version as Lua prints it: `1` for HTTP/1.0, both in the
/// `Via` going up and in the one coming back.
#[tokio::test]
async fn via_names_http_1_0_as_kong_prints_it() {
    let a = echo("a").await;
    let gw = gateway_to(&a, json!({"paths": ["/"]})).await;
    let answer = raw_exchange(gw.addr, b"GET /x HTTP/1.0\r\nhost: a.test\r\n\r\n").await;
    let own = concat!("1 gwctl/", env!("CARGO_PKG_VERSION"));
    let (head, body) = answer.split_once("\r\n\r\n").expect("a whole answer");
    assert!(
        head.lines()
            .any(|line| line.eq_ignore_ascii_case(&format!("via: {own}"))),
        "{head}"
    );
    let seen: Value = serde_json::from_str(body).unwrap();
    assert_eq!(seen["headers"]["via"], own, "{seen}");
}

#[tokio::test]
async fn via_names_http2_for_a_request_that_came_in_over_http2() {
    let a = echo("a").await;
    let gw = gateway_to(&a, json!({"paths": ["/"]})).await;
    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http::<Full<Bytes>>();
    let request = Request::get(gw.url("/x"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = client.request(request).await.expect("h2c request succeeds");
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let seen: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        seen["headers"]["via"],
        concat!("2 gwctl/", env!("CARGO_PKG_VERSION")),
        "{seen}"
    );
}

#[tokio::test]
async fn without_a_success_threshold_successes_do_not_forgive_passive_failures() {
    let a = echo("a").await;
    // Kong's default `healthy.successes` is 0: only failures count.
    let upstream = json!({
        "name": "pool.internal",
        "healthchecks": {"passive": {"unhealthy": {"http_failures": 2}}},
    });
    let gw = Gateway::start(
        &Entities::new()
            .add("upstreams", upstream)
            .add(
                "services",
                json!({"name": "s", "host": "pool.internal", "port": 80, "retries": 0}),
            )
            .route("r", "s", json!({"paths": ["/"]}))
            .add(
                "targets",
                json!({"target": a.target(), "upstream": fk("pool.internal")}),
            ),
    )
    .await;
    let url = gw.url("/x");
    let fail = || send("GET", &url, &[("x-echo-status", "500")], "");
    assert_eq!(fail().await.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(gw.get("/x").await.status, StatusCode::OK);
    assert_eq!(fail().await.status, StatusCode::INTERNAL_SERVER_ERROR);
    // The second failure reached `http_failures` despite the success in between.
    let reply = gw.get("/x").await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.body
    );
    assert_eq!(
        reply.json()["message"],
        "failure to get a peer from the ring-balancer"
    );
}

#[tokio::test]
async fn the_upstream_gets_the_requests_x_kong_request_id() {
    let a = echo("a").await;
    let gw = gateway_to(&a, json!({"paths": ["/"]})).await;
    // Kong 3.5+ sends its request id upstream by default (`headers_upstream`); a client's own
    // is replaced, so the upstream can trust it to join its logs with the gateway's.
    let reply = send(
        "GET",
        &gw.url("/x"),
        &[("x-kong-request-id", "spoofed")],
        "",
    )
    .await;
    let answered = reply.header("x-kong-request-id").map(str::to_string);
    let seen = reply.echoed();
    let upstream = seen["headers"]["x-kong-request-id"].as_str();
    assert!(upstream.is_some_and(|id| id.len() == 32), "{seen}");
    assert_eq!(upstream, answered.as_deref(), "{seen}");
}
