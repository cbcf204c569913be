//! cors end to end: preflight answers and the headers added to ordinary responses.

mod proxy_support;

use http::StatusCode;
use proxy_support::*;
use serde_json::json;

#[tokio::test]
async fn preflight_is_answered_by_the_gateway() {
    let up = echo("a").await;
    let gw = Gateway::start(&one_route_with_plugin(
        &up.url(),
        "cors",
        json!({"origins": ["https://app.example.com", "https://.*\\.trusted\\.org"],
               "methods": ["GET", "POST"], "max_age": 3600, "credentials": true,
               "exposed_headers": ["x-total"]}),
    ))
    .await;
    let reply = send(
        "OPTIONS",
        &gw.url("/any"),
        &[
            ("origin", "https://app.example.com"),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "x-custom, content-type"),
        ],
        "",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    assert_eq!(
        reply.header("access-control-allow-methods"),
        Some("GET,POST")
    );
    assert_eq!(
        reply.header("access-control-allow-headers"),
        Some("x-custom, content-type")
    );
    assert_eq!(reply.header("access-control-max-age"), Some("3600"));
    assert_eq!(
        reply.header("access-control-allow-credentials"),
        Some("true")
    );
    assert_eq!(reply.header("vary"), Some("Origin"));
    assert_eq!(up.hits(), 0);

    // A regex origin, on an ordinary request: the upstream answers, CORS headers are added.
    let reply = send(
        "GET",
        &gw.url("/"),
        &[("origin", "https://api.trusted.org")],
        "",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://api.trusted.org")
    );
    assert_eq!(
        reply.header("access-control-expose-headers"),
        Some("x-total")
    );

    // An origin not on the list gets no Allow-Origin.
    let reply = send("GET", &gw.url("/"), &[("origin", "https://evil.test")], "").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.header("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn default_config_allows_every_origin() {
    let up = echo("a").await;
    let gw = Gateway::start(&one_route_with_plugin(&up.url(), "cors", json!({}))).await;
    let reply = send(
        "OPTIONS",
        &gw.url("/"),
        &[
            ("origin", "https://x.test"),
            ("access-control-request-method", "GET"),
        ],
        "",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        reply.header("access-control-allow-methods"),
        Some("GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT")
    );
    // A plain OPTIONS (not a preflight) goes upstream.
    let reply = send("OPTIONS", &gw.url("/"), &[], "").await;
    assert_eq!(reply.echoed()["method"], "OPTIONS");
}

#[tokio::test]
async fn preflight_continue_delegates_to_the_upstream() {
    let up = echo("a").await;
    let gw = Gateway::start(&one_route_with_plugin(
        &up.url(),
        "cors",
        json!({"preflight_continue": true}),
    ))
    .await;
    let reply = send(
        "OPTIONS",
        &gw.url("/"),
        &[
            ("origin", "https://x.test"),
            ("access-control-request-method", "GET"),
        ],
        "",
    )
    .await;
    assert_eq!(reply.echoed()["method"], "OPTIONS");
    assert!(reply.header("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn cors_headers_reach_auth_errors_too() {
    let up = echo("a").await;
    let gw = Gateway::start(
        &one_route_with_plugin(&up.url(), "cors", json!({"origins": ["https://app.test"]}))
            .plugin("key-auth", json!({"run_on_preflight": false})),
    )
    .await;
    // The browser can read the 401, because cors (priority 2000) ran before key-auth.
    let reply = send("GET", &gw.url("/"), &[("origin", "https://app.test")], "").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://app.test")
    );
    let reply = send(
        "OPTIONS",
        &gw.url("/"),
        &[
            ("origin", "https://app.test"),
            ("access-control-request-method", "GET"),
        ],
        "",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
}
