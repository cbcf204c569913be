//! Paging (size, opaque offset, next), tag filters and `/tags`.

mod admin_api_support;

use std::collections::HashSet;

use admin_api_support::Api;
use serde_json::{Value, json};

#[tokio::test]
async fn pages_cover_every_entity_once() {
    let api = Api::start().await;
    for i in 0..25 {
        api.post("/consumers", json!({"username": format!("u{i}")}))
            .await;
    }
    let mut seen = HashSet::new();
    let mut path = "/consumers?size=10".to_string();
    let mut pages = 0;
    loop {
        let page = api.get(&path).await;
        assert_eq!(page.status, 200, "{}", page.text);
        pages += 1;
        for c in page.body["data"].as_array().unwrap() {
            assert!(seen.insert(c["id"].as_str().unwrap().to_string()));
        }
        match &page.body["next"] {
            Value::String(next) => {
                assert!(next.contains("size=10"), "{next}");
                assert_eq!(
                    page.body["offset"].as_str().map(|o| next.contains(o)),
                    Some(true)
                );
                path = next.clone();
            }
            Value::Null => {
                assert!(page.body.get("offset").is_none());
                break;
            }
            other => panic!("next: {other}"),
        }
    }
    assert_eq!((pages, seen.len()), (3, 25));
    let default = api.get("/consumers").await;
    assert_eq!(default.body["data"].as_array().unwrap().len(), 25);
    assert_eq!(default.body["next"], Value::Null);
}

#[tokio::test]
async fn tag_filters_match_all_or_any() {
    let api = Api::start().await;
    api.post(
        "/services",
        json!({"name": "ab", "host": "h.test", "tags": ["a", "b"]}),
    )
    .await;
    api.post(
        "/services",
        json!({"name": "a", "host": "h.test", "tags": ["a"]}),
    )
    .await;
    api.post(
        "/services",
        json!({"name": "c", "host": "h.test", "tags": ["c"]}),
    )
    .await;
    let names = |v: &Value| {
        let mut n: Vec<String> = v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_string())
            .collect();
        n.sort();
        n
    };
    assert_eq!(names(&api.get("/services?tags=a,b").await.body), ["ab"]);
    assert_eq!(names(&api.get("/services?tags=a").await.body), ["a", "ab"]);
    assert_eq!(
        names(&api.get("/services?tags=b/c").await.body),
        ["ab", "c"]
    );

    let tags = api.get("/tags").await.body;
    assert_eq!(tags["data"].as_array().unwrap().len(), 4);
    assert_eq!(tags["data"][0]["tag"], "a");
    assert_eq!(tags["data"][0]["entity_name"], "services");
    let only_c = api.get("/tags/c").await.body;
    assert_eq!(only_c["data"].as_array().unwrap().len(), 1);
    let paged = api.get("/tags?size=3").await.body;
    assert_eq!(paged["data"].as_array().unwrap().len(), 3);
    let rest = api.get(paged["next"].as_str().unwrap()).await.body;
    assert_eq!(rest["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn nested_lists_page_and_ignore_tags() {
    let api = Api::start().await;
    api.post("/upstreams", json!({"name": "up"})).await;
    for i in 1..=5 {
        let t = api
            .post(
                "/upstreams/up/targets",
                json!({"target": format!("10.0.0.{i}:80"), "tags": ["x"]}),
            )
            .await;
        assert_eq!(t.status, 201, "{}", t.text);
    }
    let first = api.get("/upstreams/up/targets?size=2&tags=nope").await.body;
    assert_eq!(
        first["data"].as_array().unwrap().len(),
        2,
        "tags are ignored on nested lists"
    );
    let next = first["next"].as_str().unwrap();
    assert!(next.starts_with("/upstreams/up/targets?offset="), "{next}");
    let created = first["data"][0]["created_at"].as_f64().unwrap();
    assert!(
        created > 1.6e9,
        "target timestamps are seconds with a fraction"
    );
}
