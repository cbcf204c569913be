//! gwctl's extensions: the revision as ETag, If-Match, the batch endpoint, and the snapshot
//! the proxy consumes.

mod admin_api_support;

use std::time::Duration;

use admin_api_support::Api;
use serde_json::{Value, json};

#[tokio::test]
async fn every_response_carries_the_revision_and_writes_increment_it() {
    let api = Api::start().await;
    let root = api.get("/").await;
    assert_eq!(root.revision(), 0);
    assert_eq!(root.body["gwctl"]["batch"], "/batch");
    assert_eq!(root.body["gwctl"]["revision"], 0);
    let created = api.post("/consumers", json!({"username": "a"})).await;
    assert_eq!(created.revision(), 1);
    assert_eq!(
        api.get("/nowhere").await.revision(),
        1,
        "even errors carry it"
    );
    api.patch("/consumers/a", json!({"custom_id": "x"})).await;
    assert_eq!(api.get("/consumers").await.revision(), 2);
    let absent = api.delete("/consumers/nobody").await;
    assert_eq!(
        (absent.status, absent.revision()),
        (204, 2),
        "no change, no new revision"
    );
    let failed = api.post("/consumers", json!({"username": "a"})).await;
    assert_eq!((failed.status, failed.revision()), (409, 2));
}

#[tokio::test]
async fn if_match_makes_writes_conditional() {
    let api = Api::start().await;
    api.post("/consumers", json!({"username": "a"})).await;
    let stale = api
        .send(
            api.request(reqwest::Method::PATCH, "/consumers/a")
                .header("if-match", "\"0\"")
                .json(&json!({"custom_id": "x"})),
        )
        .await;
    assert_eq!(stale.status, 412, "{}", stale.text);
    assert_eq!(api.get("/consumers/a").await.body["custom_id"], Value::Null);
    let fresh = api
        .send(
            api.request(reqwest::Method::PATCH, "/consumers/a")
                .header("if-match", "\"1\"")
                .json(&json!({"custom_id": "x"})),
        )
        .await;
    assert_eq!((fresh.status, fresh.revision()), (200, 2));
    let garbage = api
        .send(
            api.request(reqwest::Method::DELETE, "/consumers/a")
                .header("if-match", "yesterday"),
        )
        .await;
    assert_eq!(garbage.status, 400);
}

#[tokio::test]
async fn a_batch_applies_everything_in_one_revision() {
    let api = Api::start().await;
    let svc = "0d5a6d9e-2222-4222-8222-222222222222";
    let reply = api
        .post(
            "/batch",
            json!({"operations": [
                {"op": "put", "kind": "services", "key": svc, "body": {"name": "s", "host": "h.test"}},
                {"op": "create", "kind": "routes", "body": {"name": "r", "paths": ["/"], "service": {"id": svc}}},
                {"op": "put", "kind": "consumers", "key": "bob", "body": {}},
                {"op": "create", "kind": "key-auths", "body": {"key": "secret-1", "consumer": {"username": "bob"}}},
                {"op": "patch", "kind": "services", "key": "s", "body": {"retries": 1}},
                {"op": "delete", "kind": "consumers", "key": "nobody"},
            ]}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["revision"], 1);
    assert_eq!(reply.revision(), 1);
    let results = reply.body["results"].as_array().unwrap();
    assert_eq!(results.len(), 6);
    assert_eq!(results[0]["status"], 200);
    assert_eq!(results[1]["status"], 201);
    assert_eq!(results[1]["entity"]["service"], json!({"id": svc}));
    assert_eq!(results[4]["entity"]["retries"], 1);
    assert_eq!(
        results[5],
        json!({"status": 204, "entity": null, "deleted": false})
    );
    assert_eq!(api.get("/key-auths/secret-1").await.status, 200);
}

#[tokio::test]
async fn a_failing_batch_changes_nothing_and_names_the_operation() {
    let api = Api::start().await;
    api.post("/consumers", json!({"username": "taken"})).await;
    let reply = api
        .post(
            "/batch",
            json!({"operations": [
                {"op": "create", "kind": "services", "body": {"name": "s", "host": "h.test"}},
                {"op": "delete", "kind": "consumers", "key": "taken"},
                {"op": "create", "kind": "consumers", "body": {"username": "x"}},
                {"op": "create", "kind": "consumers", "body": {"username": "x"}},
            ]}),
        )
        .await;
    assert_eq!(reply.status, 409, "{}", reply.text);
    assert_eq!(reply.body["failed_operation"]["index"], 3);
    assert_eq!(reply.body["failed_operation"]["error"]["code"], 5);
    assert_eq!(reply.body["revision"], 1);
    assert_eq!(api.get("/services").await.body["data"], json!([]));
    assert_eq!(
        api.get("/consumers/taken").await.status,
        200,
        "the delete was rolled back"
    );
    assert_eq!(api.get("/").await.revision(), 1);

    let bad_kind = api
        .post(
            "/batch",
            json!({"operations": [{"op": "create", "kind": "nope", "body": {}}]}),
        )
        .await;
    assert_eq!(bad_kind.status, 400);
    assert_eq!(bad_kind.body["failed_operation"]["index"], 0);

    let stale = api
        .post("/batch", json!({"if_revision": 0, "operations": [{"op": "delete", "kind": "consumers", "key": "taken"}]}))
        .await;
    assert_eq!(stale.status, 412);
    assert_eq!(api.get("/consumers/taken").await.status, 200);
}

#[tokio::test]
async fn committed_writes_reach_the_snapshot() {
    let api = Api::start().await;
    let mut snapshots = api.gateway.snapshots.clone();
    assert_eq!(snapshots.borrow().revision, 0);
    for i in 0..50 {
        api.post(
            "/services",
            json!({"name": format!("s{i}"), "host": "h.test"}),
        )
        .await;
    }
    let last = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let snapshot = snapshots.borrow_and_update().clone();
            if snapshot.revision == 50 {
                return snapshot;
            }
            snapshots.changed().await.unwrap();
        }
    })
    .await
    .expect("the snapshot catches up");
    let services: Vec<_> = last.of_kind("services").collect();
    assert_eq!(services.len(), 50);
    assert_eq!(services[0]["retries"], 5);
    assert!(
        services[0].contains_key("client_certificate"),
        "rendered with nulls"
    );
}
