//! The non-entity endpoints: `/`, `/status`, `/schemas/...`, validation, `/plugins/enabled`.

mod admin_api_support;

use admin_api_support::Api;
use serde_json::json;

#[tokio::test]
async fn root_looks_like_kong_and_advertises_the_extensions() {
    let api = Api::start().await;
    api.post("/plugins", json!({"name": "cors"})).await;
    let root = api.get("/").await.body;
    assert_eq!(
        root["version"], "3.9.1",
        "decK parses this as a Kong 3.x version"
    );
    assert!(root["tagline"].as_str().unwrap().contains("kong"));
    assert_eq!(root["plugins"]["enabled_in_cluster"], json!(["cors"]));
    assert!(root["plugins"]["available_on_server"]["ai-proxy"]["priority"].is_number());
    assert_eq!(root["configuration"]["database"], "sqlite");
    assert_eq!(root["gwctl"]["etag"], true);
    assert_eq!(root["gwctl"]["if_match"], true);
    let status = api.get("/status").await.body;
    assert_eq!(status["database"]["reachable"], true);
    assert!(status["server"]["total_requests"].as_u64().unwrap() >= 2);
}

#[tokio::test]
async fn schemas_come_from_the_registry_in_kong_shape() {
    let api = Api::start().await;
    let services = api.get("/schemas/services").await;
    assert_eq!(services.status, 200);
    let port = services.body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|f| f.get("port"))
        .unwrap();
    assert_eq!(port["default"], 80);
    let plugin = api.get("/schemas/plugins/rate-limiting").await.body;
    let fields = plugin["fields"].as_array().unwrap();
    assert!(
        fields
            .iter()
            .any(|f| f.get("protocols").is_some_and(|p| p["default"].is_array()))
    );
    assert!(
        fields
            .iter()
            .any(|f| f.get("config").is_some_and(|c| c["fields"].is_array()))
    );
    assert_eq!(
        api.get("/schemas/nope").await.body,
        json!({"message": "No entity named 'nope'"})
    );
    assert_eq!(
        api.get("/schemas/plugins/nope").await.body,
        json!({"message": "No plugin named 'nope'"})
    );
    assert_eq!(api.get("/schemas/keyauth_credentials").await.status, 200);
}

#[tokio::test]
async fn validate_checks_without_storing() {
    let api = Api::start().await;
    let ok = api
        .post("/schemas/services/validate", json!({"host": "h.test"}))
        .await;
    assert_eq!(ok.body, json!({"message": "schema validation successful"}));
    let bad = api
        .post("/schemas/services/validate", json!({"port": 70000}))
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["code"], 2);
    assert_eq!(
        bad.body["fields"]["port"],
        "value should be between 0 and 65535"
    );
    let plugin = api
        .post(
            "/schemas/plugins/validate",
            json!({"name": "rate-limiting", "config": {"minute": "x"}}),
        )
        .await;
    assert_eq!(plugin.status, 400);
    assert_eq!(
        plugin.body["fields"]["config"]["minute"],
        "expected a number"
    );
    assert_eq!(api.get("/services").await.body["data"], json!([]));
    assert_eq!(
        api.post("/schemas/nope/validate", json!({})).await.status,
        404
    );
}

#[tokio::test]
async fn the_db_less_config_endpoint_is_refused_as_kong_refuses_it_with_a_database() {
    let api = Api::start().await;
    let get = api.get("/config").await;
    assert_eq!(get.status, 400);
    let message = get.body["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "this endpoint is only available when Kong is configured to not use a database"
        ),
        "{message}"
    );
    assert!(
        message.contains("gwctl sync"),
        "says what to do instead: {message}"
    );
    // Whatever the body (Kong's /config also takes YAML), the answer is the same.
    let post = api
        .post_as("/config", "application/yaml", "_format_version: '3.0'\n")
        .await;
    assert_eq!(
        (post.status, post.body["message"].as_str()),
        (400, Some(message))
    );
}

#[tokio::test]
async fn enabled_plugins_and_endpoints_are_listed() {
    let api = Api::start().await;
    let enabled = api.get("/plugins/enabled").await.body;
    let names = enabled["enabled_plugins"].as_array().unwrap();
    assert!(names.contains(&json!("ai-proxy")) && names.contains(&json!("key-auth")));
    let endpoints = api.get("/endpoints").await.body;
    assert!(
        endpoints["data"]
            .as_array()
            .unwrap()
            .contains(&json!("/services/{services}/routes"))
    );
}
