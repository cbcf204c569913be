//! Upstreams end to end: weighted round robin over targets, retries, timeouts (504), refused
//! upstreams (502) and upstreams without targets (503).

mod proxy_support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use http::StatusCode;
use proxy_support::*;
use serde_json::json;

fn upstream_entities(targets: &[(String, u64)]) -> Entities {
    let mut e = Entities::new()
        .add("upstreams", json!({"name": "pool.internal"}))
        .add(
            "services",
            json!({"name": "s", "host": "pool.internal", "port": 80, "retries": 2}),
        )
        .route("r", "s", json!({"paths": ["/"]}));
    for (target, weight) in targets {
        e = e.add(
            "targets",
            json!({"target": target, "weight": weight, "upstream": fk("pool.internal")}),
        );
    }
    e
}

#[tokio::test]
async fn weighted_round_robin_skips_disabled_targets() {
    let a = echo("a").await;
    let b = echo("b").await;
    let off = echo("off").await;
    let gw = Gateway::start(&upstream_entities(&[
        (a.target(), 300),
        (b.target(), 100),
        (off.target(), 0),
    ]))
    .await;
    let mut counts: HashMap<String, usize> = HashMap::new();
    for _ in 0..40 {
        let reply = gw.get("/lb").await;
        let server = reply.echoed()["server"].as_str().unwrap().to_string();
        *counts.entry(server).or_default() += 1;
    }
    assert_eq!(counts.get("a"), Some(&30), "{counts:?}");
    assert_eq!(counts.get("b"), Some(&10), "{counts:?}");
    assert_eq!(off.hits(), 0);
}

#[tokio::test]
async fn host_header_is_the_target_or_the_upstreams_host_header() {
    let a = echo("a").await;
    let gw = Gateway::start(&upstream_entities(&[(a.target(), 100)])).await;
    assert_eq!(gw.get("/").await.echoed()["headers"]["host"], a.target());

    let mut gw2 = gw;
    let e = Entities::new()
        .add(
            "upstreams",
            json!({"name": "pool.internal", "host_header": "api.internal"}),
        )
        .add(
            "services",
            json!({"name": "s", "host": "pool.internal", "port": 80}),
        )
        .route("r", "s", json!({"paths": ["/"]}))
        .add(
            "targets",
            json!({"target": a.target(), "upstream": fk("pool.internal")}),
        );
    gw2.update(&e).await;
    // With the port of the target picked, as Kong's balancer sets it (the target is not on
    // port 80, the default the service's scheme would leave out).
    let port = a.target().rsplit_once(':').unwrap().1.to_string();
    assert_eq!(
        gw2.get("/").await.echoed()["headers"]["host"],
        format!("api.internal:{port}")
    );
}

#[tokio::test]
async fn a_refused_target_is_retried_on_the_next_one() {
    let a = echo("a").await;
    let dead = closed_port().await;
    let mut gw = Gateway::start(&upstream_entities(&[
        (dead.to_string(), 100),
        (a.target(), 100),
    ]))
    .await;
    let mut retried = 0;
    for _ in 0..6 {
        let reply = send("POST", &gw.url("/x"), &[], "body survives the retry").await;
        let seen = reply.echoed();
        assert_eq!(seen["server"], "a");
        assert_eq!(seen["body"], "body survives the retry");
        if gw.next_log().await["tries"] == 2 {
            retried += 1;
        }
    }
    // Round robin goes dead, a, dead, a…: each request's first try takes the dead target and
    // its retry the live one (no passive health checks, as Kong's defaults).
    assert_eq!(retried, 6);
    assert_eq!(a.hits(), 6);
}

#[tokio::test]
async fn refused_upstream_is_502_with_a_clear_message() {
    let dead = closed_port().await;
    let mut gw = Gateway::start(
        &Entities::new()
            .add(
                "services",
                json!({"name": "s", "url": format!("http://{dead}"), "retries": 1}),
            )
            .route("r", "s", json!({"paths": ["/"]})),
    )
    .await;
    let reply = gw.get("/").await;
    assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
    assert_eq!(
        reply.json()["message"],
        "An invalid response was received from the upstream server"
    );
    let log = gw.next_log().await;
    assert_eq!(log["status"], 502);
    // The first try and one retry (`retries: 1`).
    assert_eq!(log["tries"], 2);
    assert_eq!(log["upstream"], dead.to_string());
    let error = log["error"].as_str().unwrap();
    assert!(error.contains("onnect"), "{error}");
}

#[tokio::test]
async fn slow_upstream_is_504_after_read_timeout() {
    let a = echo("a").await;
    let gw = Gateway::start(
        &Entities::new()
            .add(
                "services",
                json!({"name": "s", "url": a.url(), "read_timeout": 300}),
            )
            .route("r", "s", json!({"paths": ["/"]})),
    )
    .await;
    let started = Instant::now();
    let reply = send("GET", &gw.url("/"), &[("x-echo-delay-ms", "3000")], "").await;
    assert_eq!(reply.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(reply.json()["message"], "The upstream server is timed out");
    assert!(started.elapsed() < Duration::from_secs(2));
    // Fast answers are unaffected.
    let reply = send("GET", &gw.url("/"), &[("x-echo-delay-ms", "10")], "").await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn upstream_without_usable_targets_is_503() {
    let a = echo("a").await;
    let gw = Gateway::start(&upstream_entities(&[(a.target(), 0)])).await;
    let reply = gw.get("/").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        reply.json()["message"],
        "failure to get a peer from the ring-balancer"
    );
}

#[tokio::test]
async fn upstream_error_statuses_pass_through() {
    let a = echo("a").await;
    let gw = Gateway::start(&Entities::new().service("s", &a.url()).route(
        "r",
        "s",
        json!({"paths": ["/"]}),
    ))
    .await;
    let reply = send("GET", &gw.url("/"), &[("x-echo-status", "418")], "").await;
    assert_eq!(reply.status.as_u16(), 418);
    assert_eq!(reply.json()["server"], "a");
}

#[test]
fn every_balancing_algorithm_is_built_and_an_unusable_hash_is_reported() {
    use gwctl::gateway::proxy::config::{Persistent, ProxyConfig};
    let with = |upstream: serde_json::Value| {
        let mut fields = upstream.as_object().unwrap().clone();
        fields.insert("name".into(), json!("pool.internal"));
        Entities::new()
            .add("upstreams", serde_json::Value::Object(fields))
            .snapshot(1)
    };
    for algorithm in [
        "round-robin",
        "consistent-hashing",
        "least-connections",
        "latency",
    ] {
        let snapshot = with(json!({"algorithm": algorithm}));
        let problems = ProxyConfig::build(&snapshot, &Persistent::default()).problems;
        assert!(problems.is_empty(), "{algorithm}: {problems:?}");
    }
    let unusable = with(json!({
        "algorithm": "consistent-hashing", "hash_on": "header", "hash_on_header": "bad header",
    }));
    let problems = ProxyConfig::build(&unusable, &Persistent::default()).problems;
    assert!(
        problems.iter().any(|p| p.contains("pool.internal")
            && p.contains("hash_on_header")
            && p.contains("round robin")),
        "{problems:?}"
    );
}
