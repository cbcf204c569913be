//! Throws many random requests, valid and malformed, at a real server: none may answer 500
//! (or drop the connection), and afterwards the store must be intact — every reference points
//! at an existing entity, and reopening the database gives back exactly the same entities.

mod admin_api_support;

use std::path::Path;

use admin_api_support::Api;
use gwctl::gateway::admin_api::routes::templates;
use gwctl::gateway::server::ServeOptions;
use gwctl::gateway::store::{Durability, SqliteStore, Store};
use gwctl::kinds::registry;
use gwctl::kinds::schema::Type;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

fn random_value(rng: &mut StdRng, depth: u32) -> Value {
    match rng.random_range(0..10) {
        0 => Value::Null,
        1 => Value::Bool(rng.random()),
        2 => json!(rng.random_range(-5i64..70000)),
        3 => json!(rng.random::<f64>() * 1e12),
        4 if depth < 3 => Value::Array(
            (0..rng.random_range(0..4))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
        5 if depth < 3 => {
            let mut map = Map::new();
            for _ in 0..rng.random_range(0..4) {
                map.insert(random_word(rng), random_value(rng, depth + 1));
            }
            Value::Object(map)
        }
        6 => json!(uuid::Uuid::new_v4().to_string()),
        _ => Value::from(random_word(rng)),
    }
}

fn random_word(rng: &mut StdRng) -> String {
    const WORDS: [&str; 14] = [
        "a",
        "svc",
        "h.test",
        "/p",
        "http",
        "https",
        "key-auth",
        "cors",
        "rate-limiting",
        "ai-proxy",
        "ünï",
        "x y",
        "%",
        "10.0.0.1:80",
    ];
    if rng.random_bool(0.8) {
        WORDS[rng.random_range(0..WORDS.len())].to_string()
    } else {
        (0..rng.random_range(0..12))
            .map(|_| rng.random_range(' '..'~'))
            .collect()
    }
}

/// A body shaped like the kind: real field names with values of random (often right) types.
fn entity_body(rng: &mut StdRng, kind: &gwctl::kinds::Kind, known: &[(String, String)]) -> Value {
    let mut body = Map::new();
    for field in &kind.schema.fields {
        if !rng.random_bool(0.5) {
            continue;
        }
        let value = match field.schema.ty {
            Type::Foreign if !known.is_empty() && rng.random_bool(0.7) => {
                json!({"id": known[rng.random_range(0..known.len())].1})
            }
            Type::String => Value::from(random_word(rng)),
            Type::Integer => json!(rng.random_range(0..100)),
            Type::Set | Type::Array => json!([random_word(rng)]),
            _ => random_value(rng, 1),
        };
        body.insert(field.name.to_string(), value);
    }
    if kind.name == "plugins" {
        let names = ["cors", "key-auth", "rate-limiting", "acl", "nope"];
        body.insert(
            "name".into(),
            json!(names[rng.random_range(0..names.len())]),
        );
    }
    Value::Object(body)
}

#[tokio::test]
async fn random_requests_never_break_the_server_or_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fuzz.db");
    let api = Api::start_with(ServeOptions {
        db: db.clone(),
        body_limit: 64 * 1024,
        ..ServeOptions::ephemeral()
    })
    .await;
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("FUZZ_SEED={seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut known: Vec<(String, String)> = Vec::new();
    let routes = templates();
    let kinds = registry().kinds();
    for i in 0..3000 {
        let template = &routes[rng.random_range(0..routes.len())];
        let mut path: String = template
            .path
            .split('/')
            .map(|s| {
                if !s.starts_with('{') {
                    return s.to_string();
                }
                match rng.random_range(0..4) {
                    0 if !known.is_empty() => known[rng.random_range(0..known.len())].1.clone(),
                    1 => uuid::Uuid::new_v4().to_string(),
                    2 => ["%ff", "%00", "..", "a%2Fb", "%"][rng.random_range(0..5)].to_string(),
                    _ => url::form_urlencoded::byte_serialize(random_word(&mut rng).as_bytes())
                        .collect(),
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        if path.is_empty() {
            path = "/".into();
        }
        if rng.random_bool(0.2) {
            let queries = [
                "size=2",
                "size=0",
                "size=x",
                "offset=zz",
                "offset=YQ",
                "tags=a,b",
                "tags=a/b",
                "tags=",
                "custom_id=",
            ];
            path.push('?');
            path.push_str(queries[rng.random_range(0..queries.len())]);
        }
        let method = METHODS[rng.random_range(0..METHODS.len())];
        let mut request = api.request(method.parse().unwrap(), &path);
        let kind = &kinds[rng.random_range(0..kinds.len())];
        request = match rng.random_range(0..8) {
            0 => request
                .header("content-type", "application/json")
                .body("{\"name\": "),
            1 => request
                .header("content-type", "application/x-www-form-urlencoded")
                .body("name=a&config.minute=x&paths[]=/a&port=99999999999999999999"),
            2 => request.header("content-type", "text/yaml").body("a: b"),
            3 => request.json(&random_value(&mut rng, 0)),
            4 => request
                .header(
                    "if-match",
                    ["\"0\"", "*", "junk", "\"99999999999999999999999\""][rng.random_range(0..4)],
                )
                .json(&entity_body(&mut rng, kind, &known)),
            5 => {
                let op = ["put", "patch", "delete", "zap"][rng.random_range(0..4)];
                let (first, key, body) = (
                    entity_body(&mut rng, kind, &known),
                    random_word(&mut rng),
                    random_value(&mut rng, 1),
                );
                request.json(&json!({"operations": [
                    {"op": "create", "kind": kind.name, "body": first},
                    {"op": op, "kind": kind.name, "key": key, "body": body},
                ]}))
            }
            _ => request.json(&entity_body(&mut rng, kind, &known)),
        };
        let reply = api.send(request).await;
        assert!(
            reply.status < 500,
            "request {i}: {method} {path} answered {}: {} (FUZZ_SEED={seed})",
            reply.status,
            reply.text
        );
        if reply.status == 201
            && let (Some(id), Some(kind)) =
                (reply.body["id"].as_str(), template.path.split('/').nth(1))
        {
            known.push((kind.to_string(), id.to_string()));
        }
        // Feed the generator real parents now and then.
        if i % 100 == 0 {
            for (path, body) in [
                (
                    "/services",
                    json!({"name": format!("svc{i}"), "host": "h.test"}),
                ),
                ("/consumers", json!({"username": format!("user{i}")})),
                ("/upstreams", json!({"name": format!("up{i}.test")})),
            ] {
                let created = api.post(path, body).await;
                assert_eq!(created.status, 201, "{}", created.text);
                known.push((
                    path.to_string(),
                    created.body["id"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    assert_store_intact(&api).await;
    let before = api.gateway.store.dump();
    api.gateway.shutdown().await;
    let reopened = reopen(&db);
    assert_eq!(
        reopened.dump(),
        before,
        "the database holds exactly what was served"
    );
}

async fn assert_store_intact(api: &Api) {
    let (_, kinds) = api.gateway.store.dump();
    let registry = registry();
    let mut total = 0;
    for (kind_name, items) in &kinds {
        let kind = registry.kind(kind_name).unwrap();
        for (_, item) in items {
            total += 1;
            let entity: Map<String, Value> = serde_json::from_str(item).unwrap();
            for f in registry.foreign_fields(kind) {
                if let Some(id) = entity[f.field].get("id").and_then(Value::as_str) {
                    assert!(
                        kinds.iter().any(|(k, all)| *k == f.kind
                            && all.iter().any(|(existing, _)| &**existing == id)),
                        "{kind_name}.{} points at a missing {} {id}",
                        f.field,
                        f.kind
                    );
                }
            }
        }
    }
    assert!(total >= 10, "the run created entities ({total})");
}

fn reopen(db: &Path) -> SqliteStore {
    SqliteStore::open(db, Durability::Normal).expect("the database reopens")
}
