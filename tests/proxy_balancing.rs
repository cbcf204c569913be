//! Balancing algorithms other than round robin, end to end over echo upstreams that name
//! themselves: consistent hashing (stickiness, weights, fallback, cookies, URI captures,
//! unhealthy targets), least-connections and latency.

mod proxy_support;

use std::collections::HashMap;
use std::time::Duration;

use http::StatusCode;
use proxy_support::*;
use serde_json::{Value, json};

/// An upstream (`upstream` fields plus its name) with weighted `targets` behind service `s`,
/// reached by a route with `route` fields.
fn pool(upstream: Value, targets: &[(&Echo, u64)], route: Value) -> Entities {
    let mut fields = upstream.as_object().cloned().unwrap_or_default();
    fields.insert("name".into(), json!("pool.internal"));
    let mut e = Entities::new()
        .add("upstreams", Value::Object(fields))
        .add(
            "services",
            json!({
                "name": "s", "host": "pool.internal", "port": 80, "retries": 0,
                "read_timeout": 2000,
            }),
        )
        .route("r", "s", route);
    for (echo, weight) in targets {
        e = e.add(
            "targets",
            json!({"target": echo.target(), "weight": weight, "upstream": fk("pool.internal")}),
        );
    }
    e
}

fn hashing(fields: Value) -> Value {
    let mut fields = fields;
    fields["algorithm"] = json!("consistent-hashing");
    fields
}

/// Which upstream answered.
fn server(reply: &Reply) -> String {
    assert_eq!(reply.status, StatusCode::OK, "body: {}", reply.body);
    reply.header("x-upstream-name").unwrap().to_string()
}

async fn who(gw: &Gateway, path: &str, headers: &[(&str, &str)]) -> String {
    server(&send("GET", &gw.url(path), headers, "").await)
}

async fn three() -> (Echo, Echo, Echo) {
    (echo("a").await, echo("b").await, echo("c").await)
}

#[tokio::test]
async fn a_header_value_sticks_to_one_target_and_values_spread_by_weight() {
    let (a, b, c) = three().await;
    let upstream = hashing(json!({"hash_on": "header", "hash_on_header": "x-user"}));
    let gw = Gateway::start(&pool(
        upstream,
        &[(&a, 100), (&b, 300), (&c, 100)],
        json!({"paths": ["/"]}),
    ))
    .await;
    let mut owners = HashMap::new();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for user in 0..200 {
        let user = format!("user-{user}");
        let owner = who(&gw, "/", &[("x-user", &user)]).await;
        *counts.entry(owner.clone()).or_default() += 1;
        owners.insert(user, owner);
    }
    for (user, owner) in owners.iter().take(40) {
        for _ in 0..2 {
            assert_eq!(
                &who(&gw, "/other", &[("x-user", user)]).await,
                owner,
                "{user}"
            );
        }
    }
    // b weighs 60% of the total: about 120 of 200 values. The ring is not exact and its
    // points depend on the targets' (ephemeral) ports, hence the margins; with weights
    // ignored b would get about 67.
    let share = |name: &str| counts.get(name).copied().unwrap_or(0);
    assert!((85..=165).contains(&share("b")), "{counts:?}");
    assert!((10..=75).contains(&share("a")), "{counts:?}");
    assert!((10..=75).contains(&share("c")), "{counts:?}");
}

#[tokio::test]
async fn a_missing_header_falls_back_to_the_query_argument() {
    let (a, b, c) = three().await;
    let upstream = hashing(json!({
        "hash_on": "header", "hash_on_header": "x-user",
        "hash_fallback": "query_arg", "hash_fallback_query_arg": "user",
    }));
    let gw = Gateway::start(&pool(
        upstream,
        &[(&a, 100), (&b, 100), (&c, 100)],
        json!({"paths": ["/"]}),
    ))
    .await;
    let mut seen = std::collections::HashSet::new();
    for user in 0..30 {
        let user = format!("u{user}");
        let by_header = who(&gw, "/?user=ignored", &[("x-user", &user)]).await;
        // The same value hashed from the fallback lands on the same target.
        let by_query = who(&gw, &format!("/?user={user}"), &[]).await;
        assert_eq!(by_header, by_query, "{user}");
        seen.insert(by_query);
    }
    assert_eq!(seen.len(), 3, "values spread over every target: {seen:?}");
    // Neither: the empty value, so always the same target.
    let nothing = who(&gw, "/", &[]).await;
    for _ in 0..5 {
        assert_eq!(who(&gw, "/", &[]).await, nothing);
    }
}

#[tokio::test]
async fn a_client_without_the_cookie_gets_one_and_then_sticks() {
    let (a, b, c) = three().await;
    let upstream = hashing(json!({
        "hash_on": "cookie", "hash_on_cookie": "sticky", "hash_on_cookie_path": "/app",
    }));
    let gw = Gateway::start(&pool(
        upstream,
        &[(&a, 100), (&b, 100), (&c, 100)],
        json!({"paths": ["/"]}),
    ))
    .await;
    let mut first_targets = std::collections::HashSet::new();
    for _ in 0..12 {
        let first = send("GET", &gw.url("/app"), &[], "").await;
        let set = first.header("set-cookie").expect("a cookie is set");
        let (pair, attributes) = set.split_once("; ").unwrap();
        assert_eq!(attributes, "Path=/app; Same-Site=Lax; HttpOnly");
        let owner = server(&first);
        first_targets.insert(owner.clone());
        let cookie = format!("other=1; {pair}");
        for _ in 0..3 {
            let again = send("GET", &gw.url("/app"), &[("cookie", &cookie)], "").await;
            assert_eq!(server(&again), owner, "{cookie}");
            assert!(
                again.header("set-cookie").is_none(),
                "the client has its cookie"
            );
        }
    }
    assert!(
        first_targets.len() >= 2,
        "new clients spread: {first_targets:?}"
    );
}

#[tokio::test]
async fn a_uri_capture_keeps_a_resource_on_one_target() {
    let (a, b, c) = three().await;
    let upstream = hashing(json!({"hash_on": "uri_capture", "hash_on_uri_capture": "uid"}));
    let gw = Gateway::start(&pool(
        upstream,
        &[(&a, 100), (&b, 100), (&c, 100)],
        json!({"paths": [r"~/users/(?<uid>\d+)"], "strip_path": false}),
    ))
    .await;
    let mut seen = std::collections::HashSet::new();
    for uid in 0..30 {
        let owner = who(&gw, &format!("/users/{uid}/profile"), &[]).await;
        assert_eq!(
            who(&gw, &format!("/users/{uid}/orders?x=1"), &[]).await,
            owner
        );
        seen.insert(owner);
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
}

#[tokio::test]
async fn an_unhealthy_target_hands_over_only_its_own_values() {
    let (a, b, c) = three().await;
    let upstream = hashing(json!({
        "hash_on": "header", "hash_on_header": "x-user",
        "healthchecks": {"passive": {"unhealthy": {"http_failures": 1, "http_statuses": [500]}}},
    }));
    let gw = Gateway::start(&pool(
        upstream,
        &[(&a, 100), (&b, 100), (&c, 100)],
        json!({"paths": ["/"]}),
    ))
    .await;
    let users: Vec<String> = (0..60).map(|u| format!("user-{u}")).collect();
    let mut before = Vec::new();
    for user in &users {
        before.push(who(&gw, "/", &[("x-user", user)]).await);
    }
    // One failure takes b out (passive checks).
    let on_b = users[before.iter().position(|o| o == "b").unwrap()].as_str();
    let failed = send(
        "GET",
        &gw.url("/"),
        &[("x-user", on_b), ("x-echo-status", "500")],
        "",
    )
    .await;
    assert_eq!(failed.status.as_u16(), 500);
    let mut moved_to = std::collections::HashSet::new();
    for (user, was) in users.iter().zip(&before) {
        let now = who(&gw, "/", &[("x-user", user)]).await;
        if was == "b" {
            assert_ne!(now, "b", "{user} still reaches the unhealthy target");
            moved_to.insert(now);
        } else {
            assert_eq!(&now, was, "{user} moved though its target is healthy");
        }
    }
    assert_eq!(moved_to.len(), 2, "b's values spread over a and c");
}

/// Waits until `ready` holds.
async fn until(ready: impl Fn() -> bool) {
    tokio::time::timeout(Duration::from_secs(5), async {
        while !ready() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the request reached the upstream");
}

/// Sends `n` quick requests one after the other; returns who answered, in order.
async fn quick(gw: &Gateway, n: usize) -> String {
    let mut order = String::new();
    for _ in 0..n {
        order += &who(gw, "/", &[]).await;
    }
    order
}

/// Starts a request the upstream answers after `delay_ms`.
fn slow_request(gw: &Gateway, delay_ms: u64) -> tokio::task::JoinHandle<Reply> {
    let url = gw.url("/");
    tokio::spawn(async move {
        let delay = delay_ms.to_string();
        send("GET", &url, &[("x-echo-delay-ms", &delay)], "").await
    })
}

#[tokio::test]
async fn least_connections_avoids_the_target_busy_with_a_slow_request() {
    let (a, b) = (echo("a").await, echo("b").await);
    let gw = Gateway::start(&pool(
        json!({"algorithm": "least-connections"}),
        &[(&a, 100), (&b, 100)],
        json!({"paths": ["/"]}),
    ))
    .await;
    // Idle targets tie and take turns.
    let idle = quick(&gw, 4).await;
    assert!(idle == "abab" || idle == "baba", "{idle}");

    let slow = slow_request(&gw, 3000);
    until(|| a.hits() + b.hits() == 5).await;
    let (busy, free) = if a.hits() == 3 {
        ("a", "b")
    } else {
        ("b", "a")
    };
    assert_eq!(
        quick(&gw, 6).await,
        free.repeat(6),
        "{busy} holds a request"
    );
    // read_timeout ends the slow request with a 504, and its count with it.
    assert_eq!(slow.await.unwrap().status, StatusCode::GATEWAY_TIMEOUT);
    let after = quick(&gw, 4).await;
    assert!(after.contains('a') && after.contains('b'), "{after}");

    // A client that goes away releases its target too, long before read_timeout.
    let seen = a.hits() + b.hits();
    let a_before = a.hits();
    let started = std::time::Instant::now();
    let gone = slow_request(&gw, 5000);
    until(|| a.hits() + b.hits() > seen).await;
    let (held, other) = if a.hits() > a_before {
        ("a", "b")
    } else {
        ("b", "a")
    };
    assert_eq!(quick(&gw, 2).await, other.repeat(2));
    gone.abort();
    loop {
        if quick(&gw, 2).await.contains(held) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_millis(1500),
            "{held} is still counted busy after its client left"
        );
    }
}

#[tokio::test]
async fn latency_sends_requests_to_the_faster_target() {
    let (a, b) = (echo("a").await, echo("b").await);
    let gw = Gateway::start(&pool(
        json!({"algorithm": "latency"}),
        &[(&a, 100), (&b, 100)],
        json!({"paths": ["/"]}),
    ))
    .await;
    // The first request, slow, goes to one target; the second, while the first is still
    // unmeasured, to the other.
    let slow = slow_request(&gw, 300);
    until(|| a.hits() + b.hits() == 1).await;
    let fast = who(&gw, "/", &[]).await;
    let slow = server(&slow.await.unwrap());
    assert_ne!(fast, slow);
    assert_eq!(quick(&gw, 8).await, fast.repeat(8));
}
