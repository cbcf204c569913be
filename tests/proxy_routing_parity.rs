//! Routing details where the proxy must behave as Kong's `traditional_compatible` router does:
//! the upstream path after `strip_path`, `host:port` rules, and percent-decoding before
//! matching (with the path escaped again on its way upstream).

mod proxy_support;

use http::StatusCode;
use proxy_support::*;
use serde_json::json;

/// Kong's `sanitize_uri_postfix`: what follows the stripped prefix loses a leading `./` or
/// `../`, so a request cannot climb out of the service path.
#[tokio::test]
async fn stripped_postfix_never_starts_with_a_dot_segment() {
    let up = echo("a").await;
    let base = up.url();
    let gw = Gateway::start(
        &Entities::new()
            .service("s", &format!("{base}/s"))
            .service("slash", &format!("{base}/t/"))
            .route("api", "s", json!({"paths": ["/api"]}))
            .route("v", "slash", json!({"paths": ["/v"]})),
    )
    .await;
    for (request, upstream) in [
        ("/api../x", "/s/x"),
        ("/api./x", "/s/x"),
        ("/api..", "/s"),
        ("/api.", "/s"),
        ("/api../x?q=1", "/s/x?q=1"),
        ("/v../y", "/t/y"),
        ("/v./y", "/t/y"),
        ("/v..", "/t"),
        // Not dot segments: kept.
        ("/api.x", "/s/.x"),
        ("/api...", "/s/..."),
    ] {
        let reply = gw.get(request).await;
        assert_eq!(reply.echoed()["uri"], upstream, "request {request}");
    }
}

/// A `host:port` rule compares with the port in the request's Host header (Kong's
/// `net.dst.port` takes it from there), and with the listener's port only when the Host has
/// none.
#[tokio::test]
async fn host_port_rules_use_the_host_headers_port() {
    let up = echo("a").await;
    let entities = Entities::new().service("s", &up.url()).route(
        "one",
        "s",
        json!({"hosts": ["port.test:1"]}),
    );
    let mut gw = Gateway::start(&entities).await;
    // The listener's port is known once the gateway runs.
    let port = gw.addr.port();
    gw.update(&entities.route(
        "listener",
        "s",
        json!({"hosts": [format!("listener.test:{port}")]}),
    ))
    .await;
    let listener_host = format!("listener.test:{port}");
    for (host, status) in [
        ("port.test:1", StatusCode::OK),
        ("PORT.test:1", StatusCode::OK),
        ("port.test", StatusCode::NOT_FOUND),
        ("port.test:2", StatusCode::NOT_FOUND),
        ("listener.test", StatusCode::OK),
        (listener_host.as_str(), StatusCode::OK),
        ("listener.test:2", StatusCode::NOT_FOUND),
    ] {
        let reply = send("GET", &gw.url("/"), &[("host", host)], "").await;
        assert_eq!(reply.status, status, "Host: {host}");
    }
}

/// Kong decodes every percent-escape but those of reserved characters before matching
/// (`kong.tools.uri.normalize`), and escapes the upstream path again (`kong.tools.uri.escape`).
#[tokio::test]
async fn escapes_are_decoded_for_matching_and_encoded_again_upstream() {
    let up = echo("a").await;
    let gw = Gateway::start(
        &Entities::new()
            .service("s", &up.url())
            .route(
                "cafe",
                "s",
                json!({"paths": ["/café"], "strip_path": false}),
            )
            .route(
                "space",
                "s",
                json!({"paths": ["~/hello world$"], "strip_path": false}),
            )
            .route("escaped", "s", json!({"paths": ["/x%20y"]})),
    )
    .await;
    for (request, upstream) in [
        ("/caf%C3%A9/x", "/caf%C3%A9/x"),
        ("/caf%c3%a9/x?q=%20", "/caf%C3%A9/x?q=%20"),
        ("/caf%C3%A9/a%2fb", "/caf%C3%A9/a%2Fb"),
        ("/caf%C3%A9/%22q%22", "/caf%C3%A9/%22q%22"),
        ("/hello%20world", "/hello%20world"),
        // A prefix written with an escape matches the decoded request, and strips it.
        ("/x%20y/z", "/z"),
    ] {
        let reply = gw.get(request).await;
        assert_eq!(reply.echoed()["uri"], upstream, "request {request}");
    }
    // Bytes that do not decode to UTF-8 stay escaped, and route nowhere here.
    assert_eq!(gw.get("/caf%E9").await.status, StatusCode::NOT_FOUND);
}
