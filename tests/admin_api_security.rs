//! The admin token, body limits, and where the API listens by default.

mod admin_api_support;

use admin_api_support::Api;
use gwctl::gateway::server::ServeOptions;
use serde_json::json;

#[tokio::test]
async fn a_token_is_required_on_every_request_when_set() {
    let api = Api::start_with(ServeOptions {
        admin_token: Some("s3cret-token".into()),
        ..ServeOptions::ephemeral()
    })
    .await;
    assert_eq!(
        api.get("/services").await.status,
        200,
        "the helper sends the token"
    );
    let client = reqwest::Client::new();
    for (header, expected) in [
        (None, 401),
        (Some("wrong"), 401),
        (Some("s3cret-tokenx"), 401),
        (Some("s3cret-token"), 200),
    ] {
        let mut request = client.get(format!("{}/services", api.base));
        if let Some(value) = header {
            request = request.header("Kong-Admin-Token", value);
        }
        let reply = request.send().await.unwrap();
        assert_eq!(reply.status().as_u16(), expected, "{header:?}");
    }
    let denied = client
        .delete(format!("{}/services/x", api.base))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status().as_u16(), 401);
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    let api = Api::start_with(ServeOptions {
        body_limit: 1024,
        ..ServeOptions::ephemeral()
    })
    .await;
    let big = "x".repeat(4096);
    let reply = api
        .post("/services", json!({"name": "s", "host": big}))
        .await;
    assert_eq!(reply.status, 413);
    assert_eq!(api.get("/services").await.body["data"], json!([]));
    assert_eq!(
        api.post("/services", json!({"name": "s", "host": "h.test"}))
            .await
            .status,
        201
    );
}

#[test]
fn the_default_listen_address_is_loopback() {
    let options = ServeOptions::default();
    assert!(options.admin_listen.ip().is_loopback());
    assert_eq!(options.admin_listen.port(), 8001);
}
