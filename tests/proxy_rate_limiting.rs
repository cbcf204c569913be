//! rate-limiting end to end: Kong's headers, the 429 answer, identifiers, and exact counting
//! under concurrent requests.

mod proxy_support;

use std::sync::Arc;

use http::StatusCode;
use proxy_support::*;
use serde_json::json;

#[tokio::test]
async fn headers_count_down_then_429() {
    away_from_a_minute_boundary().await;
    let up = echo("a").await;
    let gw = Gateway::start(&one_route_with_plugin(
        &up.url(),
        "rate-limiting",
        json!({"minute": 3, "hour": 10}),
    ))
    .await;
    for remaining in [2, 1, 0] {
        let reply = gw.get("/").await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header("x-ratelimit-limit-minute"), Some("3"));
        assert_eq!(reply.header("x-ratelimit-limit-hour"), Some("10"));
        let remaining = remaining.to_string();
        assert_eq!(
            reply.header("x-ratelimit-remaining-minute"),
            Some(remaining.as_str())
        );
        assert_eq!(reply.header("ratelimit-limit"), Some("3"));
        assert_eq!(
            reply.header("ratelimit-remaining"),
            Some(remaining.as_str())
        );
        let reset: i64 = reply.header("ratelimit-reset").unwrap().parse().unwrap();
        assert!((1..=60).contains(&reset));
    }
    let reply = gw.get("/").await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(reply.json()["message"], "API rate limit exceeded");
    assert_eq!(reply.header("x-ratelimit-remaining-minute"), Some("0"));
    // The hour window still counted only the three requests that went through.
    assert_eq!(reply.header("x-ratelimit-remaining-hour"), Some("7"));
    let retry: i64 = reply.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(up.hits(), 3);
}

#[tokio::test]
async fn limits_by_header_and_custom_error() {
    away_from_a_minute_boundary().await;
    let up = echo("a").await;
    let gw = Gateway::start(&one_route_with_plugin(
        &up.url(),
        "rate-limiting",
        json!({"second": 1, "minute": 1, "limit_by": "header", "header_name": "x-tenant",
               "error_code": 403, "error_message": "slow down", "hide_client_headers": true}),
    ))
    .await;
    let tenant = |t: &'static str| {
        let url = gw.url("/");
        async move { send("GET", &url, &[("x-tenant", t)], "").await }
    };
    let reply = tenant("a").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.header("x-ratelimit-limit-minute").is_none());
    let reply = tenant("a").await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.json()["message"], "slow down");
    assert!(reply.header("retry-after").is_none());
    assert_eq!(tenant("b").await.status, StatusCode::OK);
}

#[tokio::test]
async fn limit_by_path_applies_to_that_path_only_else_ip() {
    away_from_a_minute_boundary().await;
    let up = echo("a").await;
    let gw = Gateway::start(&one_route_with_plugin(
        &up.url(),
        "rate-limiting",
        json!({"minute": 1, "limit_by": "path", "path": "/hot"}),
    ))
    .await;
    assert_eq!(gw.get("/hot").await.status, StatusCode::OK);
    assert_eq!(gw.get("/hot").await.status, StatusCode::TOO_MANY_REQUESTS);
    // Other paths fall back to the client IP, a separate counter.
    assert_eq!(gw.get("/cold").await.status, StatusCode::OK);
    assert_eq!(gw.get("/cold").await.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn concurrent_requests_are_counted_exactly() {
    away_from_a_minute_boundary().await;
    let up = echo("a").await;
    let gw = Arc::new(
        Gateway::start(&one_route_with_plugin(
            &up.url(),
            "rate-limiting",
            json!({"minute": 25}),
        ))
        .await,
    );
    let mut tasks = Vec::new();
    for _ in 0..60 {
        let url = gw.url("/");
        tasks.push(tokio::spawn(async move {
            send("GET", &url, &[], "").await.status
        }));
    }
    let mut ok = 0;
    let mut limited = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::OK => ok += 1,
            StatusCode::TOO_MANY_REQUESTS => limited += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((ok, limited), (25, 35));
    assert_eq!(up.hits(), 25);
}

#[tokio::test]
async fn counters_survive_a_configuration_change() {
    away_from_a_minute_boundary().await;
    let up = echo("a").await;
    let entities = one_route_with_plugin(&up.url(), "rate-limiting", json!({"minute": 2}));
    let mut gw = Gateway::start(&entities).await;
    assert_eq!(gw.get("/").await.status, StatusCode::OK);
    gw.update(
        &entities
            .clone()
            .route("other", "s", json!({"paths": ["/other"]})),
    )
    .await;
    assert_eq!(gw.get("/").await.status, StatusCode::OK);
    assert_eq!(gw.get("/").await.status, StatusCode::TOO_MANY_REQUESTS);
}
