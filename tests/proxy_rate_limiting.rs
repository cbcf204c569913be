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

/// Kong's schema takes any `error_code` above 0, but `kong.response.error` raises for one
/// outside 400–599: the request over the limit gets a 500, the ones under it go through. The
/// plugin must not be left out of the proxy (unlimited traffic).
#[tokio::test]
async fn an_error_code_kong_cannot_send_still_limits() {
    away_from_a_minute_boundary().await;
    for code in [1000, 200, 399] {
        let up = echo("a").await;
        let gw = Gateway::start(&one_route_with_plugin(
            &up.url(),
            "rate-limiting",
            json!({"minute": 1, "error_code": code}),
        ))
        .await;
        assert_eq!(gw.get("/").await.status, StatusCode::OK, "{code}");
        let reply = gw.get("/").await;
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR, "{code}");
        // nginx's own 500 (Kong's error handler): plain text for a request with no `Accept`.
        assert_eq!(
            reply.body.lines().next(),
            Some("An unexpected error occurred"),
            "{code}"
        );
        assert_eq!(
            reply.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(reply.header("x-ratelimit-remaining-minute"), Some("0"));
        assert_eq!(up.hits(), 1, "{code}");
    }
}

/// Identifiers come from clients (`limit_by: header` takes any value a client sends), so the
/// counters are bounded as Kong's shared dictionary is: past `CAPACITY` identifiers the
/// least recently used are forgotten, and an identifier of any length takes the same room.
#[test]
fn the_counters_are_bounded_and_forget_the_least_recently_used() {
    use gwctl::gateway::proxy::rate_counters::{CAPACITY, RateCounters, Window};
    let counters = RateCounters::new();
    let limits = [(Window::Hour, 1_000_000)];
    let now = 1_800_000_000;
    let huge = "x".repeat(20_000);
    let identifier = |i: usize| match i % 1000 {
        1 => format!("{i}{huge}"),
        _ => i.to_string(),
    };
    for i in 0..CAPACITY + CAPACITY / 4 {
        counters.hit("p", &identifier(i), &limits, now);
        if i % 1000 == 0 {
            // A client that keeps coming stays counted through the flood.
            counters.hit("p", "regular", &limits, now);
            assert!(counters.len() <= CAPACITY);
        }
    }
    assert!(counters.len() <= CAPACITY);
    let used_before = |id: &str| counters.hit("p", id, &limits, now).1[0].used_before;
    let regular = (CAPACITY + CAPACITY / 4).div_ceil(1000) as u64;
    assert_eq!(used_before("regular"), regular);
    let last = CAPACITY + CAPACITY / 4 - 1;
    assert_eq!(used_before(&identifier(last)), 1);
    assert_eq!(
        used_before(&identifier(1)),
        0,
        "the oldest identifiers were forgotten"
    );
    assert_eq!(used_before(&identifier(2)), 0);
}
