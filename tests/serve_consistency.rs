//! A write the Admin API acknowledged applies to the proxy's very next request (Kong's
//! `worker_consistency = strict`): a CI job that syncs and then runs its smoke tests must not
//! meet the configuration from before the sync.

mod serve_support;

use serde_json::json;
use serve_support::{call, serve};

#[tokio::test]
async fn the_request_after_an_acknowledged_write_sees_it() {
    let served = serve(&[]);
    let admin = |path: &str| format!("{}{path}", served.admin);
    // The Admin API's own root is the upstream: it answers GET / with 200.
    let (status, body) = call(
        "POST",
        &admin("/services"),
        json!({"name": "self", "url": served.admin}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let proxied = format!("{}/race", served.proxy);
    for round in 0..5 {
        let (status, body) = call(
            "POST",
            &admin("/services/self/routes"),
            json!({"name": "race", "paths": ["/race"]}),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        let (status, body) = call("GET", &proxied, json!(null)).await;
        assert_eq!(
            status, 200,
            "round {round}: the new route was not used: {body}"
        );

        let (status, _) = call("DELETE", &admin("/routes/race"), json!(null)).await;
        assert_eq!(status, 204);
        let (status, body) = call("GET", &proxied, json!(null)).await;
        assert_eq!(
            status, 404,
            "round {round}: the deleted route still routed: {body}"
        );
    }
}
