//! `schemas/admin-api.openapi.yaml` is generated from the route table: it is current, every
//! path it lists is served, and every served path is listed.

mod admin_api_support;

use std::collections::BTreeSet;

use admin_api_support::Api;
use gwctl::gateway::admin_api::openapi;
use serde_json::Value;

const FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/schemas/admin-api.openapi.yaml"
);

#[test]
fn the_committed_document_is_current() {
    let generated = openapi::yaml();
    if std::env::var_os("GWCTL_UPDATE_OPENAPI").is_some() {
        std::fs::write(FILE, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(FILE).unwrap_or_default();
    assert!(
        committed == generated,
        "schemas/admin-api.openapi.yaml is stale; run GWCTL_UPDATE_OPENAPI=1 cargo test --test admin_api_openapi"
    );
}

#[tokio::test]
async fn listed_paths_and_served_paths_are_the_same() {
    let text = std::fs::read_to_string(FILE).unwrap();
    let document: Value = serde_saphyr::from_str(&text).expect("the document is YAML");
    assert_eq!(document["openapi"], "3.0.3");
    let paths = document["paths"].as_object().unwrap();
    let listed: BTreeSet<String> = paths.keys().cloned().collect();

    let api = Api::start().await;
    let served: BTreeSet<String> = api.get("/endpoints").await.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, served);

    for (path, item) in paths {
        let concrete: String = path
            .split('/')
            .map(|s| if s.starts_with('{') { "x" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let reply = api.call(reqwest::Method::OPTIONS, &concrete, None).await;
        assert_eq!(reply.status, 204, "{path} is not served");
        let allow = reply.headers["allow"].to_str().unwrap().to_string();
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                assert!(
                    allow.contains(&method.to_uppercase()),
                    "{path}: {method} listed but not allowed ({allow})"
                );
            }
        }
    }
}
