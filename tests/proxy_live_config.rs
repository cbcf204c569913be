//! Live configuration: new snapshots take effect for the next request, while requests already
//! in flight finish on the configuration they started with.

mod proxy_support;

use std::time::Duration;

use http::StatusCode;
use proxy_support::*;
use serde_json::json;

#[tokio::test]
async fn changes_apply_without_restart_and_in_flight_requests_finish() {
    let a = echo("a").await;
    let b = echo("b").await;
    let v1 = Entities::new()
        .service("s", &a.url())
        .route("r", "s", json!({"paths": ["/api"]}))
        .plugin("cors", json!({"origins": ["https://v1.test"]}));
    let mut gw = Gateway::start(&v1).await;
    assert_eq!(gw.get("/api").await.echoed()["server"], "a");
    assert_eq!(gw.get("/new").await.status, StatusCode::NOT_FOUND);

    // Start slow requests on v1, then switch the service to b and drop /api.
    let url = gw.url("/api/slow");
    let in_flight: Vec<_> = (0..5)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move {
                let headers = [("x-echo-delay-ms", "600"), ("origin", "https://v1.test")];
                send("GET", &url, &headers, "").await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(150)).await;
    let v2 = Entities::new()
        .service("s", &b.url())
        .route("new", "s", json!({"paths": ["/new"]}))
        .plugin("cors", json!({"origins": ["https://v2.test"]}));
    gw.update(&v2).await;

    assert_eq!(gw.get("/api").await.status, StatusCode::NOT_FOUND);
    assert_eq!(gw.get("/new").await.echoed()["server"], "b");
    for request in in_flight {
        let reply = request.await.unwrap();
        assert_eq!(reply.echoed()["server"], "a", "in-flight request kept v1");
        // Its response phase ran v1's plugins too.
        assert_eq!(
            reply.header("access-control-allow-origin"),
            Some("https://v1.test")
        );
    }
}

#[tokio::test]
async fn plugins_added_and_removed_live() {
    let a = echo("a").await;
    let open = Entities::new()
        .service("s", &a.url())
        .route("r", "s", json!({"paths": ["/"]}));
    let mut gw = Gateway::start(&open).await;
    assert_eq!(gw.get("/").await.status, StatusCode::OK);
    gw.update(&open.clone().plugin("key-auth", json!({}))).await;
    assert_eq!(gw.get("/").await.status, StatusCode::UNAUTHORIZED);
    gw.update(&open).await;
    assert_eq!(gw.get("/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn many_requests_during_many_swaps_never_fail() {
    let a = echo("a").await;
    let base = Entities::new()
        .service("s", &a.url())
        .route("r", "s", json!({"paths": ["/"]}));
    let mut gw = Gateway::start(&base).await;
    let url = gw.url("/steady");
    let load = tokio::spawn(async move {
        let mut statuses = Vec::new();
        for _ in 0..150 {
            statuses.push(send("GET", &url, &[], "").await.status);
        }
        statuses
    });
    for i in 0..30 {
        let next = base.clone().route(
            &format!("extra-{i}"),
            "s",
            json!({"paths": [format!("/extra/{i}")]}),
        );
        gw.update(&next).await;
    }
    let statuses = load.await.unwrap();
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
}
