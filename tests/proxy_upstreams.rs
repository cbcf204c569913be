//! Upstreams end to end: weighted round robin over targets, retries, timeouts (504), refused
//! upstreams (502), upstreams without targets (503) and host names that do not resolve (503).

mod proxy_support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use http::StatusCode;
use proxy_support::*;
use serde_json::{Value, json};

fn upstream_entities(targets: &[(String, u64)]) -> Entities {
    balanced(
        json!({"name": "pool.internal"}),
        json!({"retries": 2}),
        targets,
    )
}

/// Upstream `upstream` with `targets` behind service `s` (`pool.internal` with `service`'s
/// fields added) and route `/`.
fn balanced(upstream: Value, service: Value, targets: &[(String, u64)]) -> Entities {
    let mut fields = json!({"name": "s", "host": "pool.internal", "port": 80});
    for (name, value) in service.as_object().unwrap() {
        fields[name] = value.clone();
    }
    let mut e = Entities::new()
        .add("upstreams", upstream)
        .add("services", fields)
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
    // nginx's error, in Kong's default text/plain (the request says no format).
    assert_eq!(
        reply.body.lines().next(),
        Some("An invalid response was received from the upstream server")
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
                // No retries: each would wait for the read_timeout again.
                json!({"name": "s", "url": a.url(), "read_timeout": 300, "retries": 0}),
            )
            .route("r", "s", json!({"paths": ["/"]})),
    )
    .await;
    let started = Instant::now();
    let reply = send("GET", &gw.url("/"), &[("x-echo-delay-ms", "3000")], "").await;
    assert_eq!(reply.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(
        reply.body.lines().next(),
        Some("The upstream server is timing out")
    );
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

/// Service `s` at `url` with `retries` and a read_timeout of 300 ms, behind route `/`.
fn impatient_service(url: &str, retries: u32) -> Entities {
    Entities::new()
        .add(
            "services",
            json!({"name": "s", "url": url, "retries": retries, "read_timeout": 300}),
        )
        .route("r", "s", json!({"paths": ["/"]}))
}

#[tokio::test]
async fn a_request_that_timed_out_goes_out_again_unless_it_is_post_patch_or_lock() {
    // nginx's `proxy_next_upstream error timeout` passes any method on to the next try
    // except POST, PATCH and LOCK once they were sent.
    for (method, sent_again) in [
        ("GET", true),
        ("HEAD", true),
        ("PUT", true),
        ("DELETE", true),
        ("POST", false),
        ("PATCH", false),
        ("LOCK", false),
    ] {
        // The first connection takes the request and never answers; the second answers.
        let upstream = flaky_upstream("second", 1).await;
        let mut gw = Gateway::start(&impatient_service(&upstream.url(), 3)).await;
        let started = Instant::now();
        let reply = send(method, &gw.url("/"), &[], "").await;
        let log = gw.next_log().await;
        assert_eq!(upstream.unanswered(), 1, "{method}");
        if sent_again {
            assert_eq!(reply.status, StatusCode::OK, "{method}");
            assert_eq!(reply.header("x-upstream-name"), Some("second"), "{method}");
            assert_eq!(log["tries"], 2, "{method}");
            assert_eq!(upstream.answered(), 1, "{method}");
        } else {
            assert_eq!(reply.status, StatusCode::GATEWAY_TIMEOUT, "{method}");
            assert_eq!(
                reply.body.lines().next(),
                Some("The upstream server is timing out")
            );
            assert_eq!(log["tries"], 1, "{method}");
            assert_eq!(upstream.connections(), 1, "{method} was not sent again");
        }
        assert!(started.elapsed() < Duration::from_secs(3), "{method}");
    }
}

#[tokio::test]
async fn a_streamed_body_that_went_out_is_not_sent_again() {
    // The gateway streams request bodies instead of buffering them as nginx does, so once
    // one went out there is nothing left to send to a next try.
    let upstream = flaky_upstream("second", 1).await;
    let mut gw = Gateway::start(&impatient_service(&upstream.url(), 3)).await;
    let started = Instant::now();
    let reply = send("PUT", &gw.url("/"), &[], "the body").await;
    assert_eq!(reply.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(gw.next_log().await["tries"], 1);
    assert_eq!(upstream.connections(), 1);
    // The answer's deadline is read_timeout (300 ms) once the body is sent, not the
    // write_timeout (60 s) that bounds each pause while it is being sent.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_silent_target_is_left_for_the_next_one_by_a_get_but_not_by_a_post() {
    let silent = silent_upstream().await;
    let good = echo("good").await;
    let mut gw = Gateway::start(&balanced(
        json!({"name": "pool.internal"}),
        json!({"retries": 2, "read_timeout": 300}),
        &[(silent.target(), 100), (good.target(), 100)],
    ))
    .await;

    let mut retried = 0;
    for _ in 0..4 {
        assert_eq!(gw.get("/").await.echoed()["server"], "good");
        if gw.next_log().await["tries"] == 2 {
            retried += 1;
        }
    }
    assert_eq!(good.hits(), 4);
    assert_eq!(
        silent.unanswered(),
        retried,
        "each retry followed a silent try"
    );
    assert!(retried > 0, "round robin offered the silent target");

    let mut timed_out = 0;
    for _ in 0..4 {
        let reply = send("POST", &gw.url("/"), &[], "").await;
        let log = gw.next_log().await;
        assert_eq!(log["tries"], 1, "a POST is never sent twice");
        if reply.status == StatusCode::GATEWAY_TIMEOUT {
            timed_out += 1;
        } else {
            assert_eq!(reply.echoed()["server"], "good");
        }
    }
    assert!(timed_out > 0, "round robin offered the silent target");
    assert_eq!(silent.unanswered(), retried + timed_out);
    assert_eq!(good.hits(), 4 + 4 - timed_out);
}

#[tokio::test]
async fn every_failed_try_counts_for_passive_health() {
    let silent = silent_upstream().await;
    let mut gw = Gateway::start(&balanced(
        json!({"name": "pool.internal",
               "healthchecks": {"passive": {"unhealthy": {"timeouts": 3}}}}),
        json!({"retries": 2, "read_timeout": 200}),
        &[(silent.target(), 100)],
    ))
    .await;
    let reply = gw.get("/").await;
    assert_eq!(reply.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(gw.next_log().await["tries"], 3);
    assert_eq!(silent.unanswered(), 3);
    // The three timeouts of that one request made the only target unhealthy.
    let reply = gw.get("/").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        reply.json()["message"],
        "failure to get a peer from the ring-balancer"
    );
    assert_eq!(silent.unanswered(), 3);
}

#[tokio::test]
async fn an_unresolvable_service_host_is_kongs_503_without_tries() {
    // `.invalid` never resolves (RFC 6761): no DNS server is asked, so this is quick offline.
    let mut gw = Gateway::start(&impatient_service("http://nowhere.invalid:8080", 5)).await;
    let started = Instant::now();
    let reply = gw.get("/").await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.json()["message"], "name resolution failed");
    let log = gw.next_log().await;
    assert_eq!(log["status"], 503);
    assert_eq!(log["tries"], 0);
    let error = log["error"].as_str().unwrap();
    assert!(error.contains("nowhere.invalid"), "{error}");
}

#[tokio::test]
async fn a_target_whose_name_does_not_resolve_is_passed_over() {
    // Kong's balancer holds no address for such a target, so requests go to the others
    // without a failed try, even with no retries, whatever the algorithm (consistent hashing
    // included, whose value may fall on that target: it moves on along the ring).
    let good = echo("good").await;
    let no_retries = json!({"retries": 0});
    for algorithm in [
        "round-robin",
        "consistent-hashing",
        "least-connections",
        "latency",
    ] {
        let upstream = json!({"name": "pool.internal", "algorithm": algorithm,
                              "hash_on": "header", "hash_on_header": "x-user"});
        let mut gw = Gateway::start(&balanced(
            upstream.clone(),
            no_retries.clone(),
            &[("nowhere.invalid:80".into(), 100), (good.target(), 100)],
        ))
        .await;
        for user in 0..8 {
            let user = user.to_string();
            let reply = send("GET", &gw.url("/"), &[("x-user", &user)], "").await;
            assert_eq!(reply.echoed()["server"], "good", "{algorithm}, user {user}");
            assert_eq!(gw.next_log().await["tries"], 1, "{algorithm}");
        }
        // With no other target, Kong's answer for a balancer without a peer.
        gw.update(&balanced(
            upstream,
            no_retries.clone(),
            &[("nowhere.invalid:80".into(), 100)],
        ))
        .await;
        let started = Instant::now();
        let reply = gw.get("/").await;
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{algorithm}: {:?}",
            started.elapsed()
        );
        assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{algorithm}");
        assert_eq!(
            reply.json()["message"],
            "failure to get a peer from the ring-balancer"
        );
    }
}
