//! The access log: one JSON line per request with route, service, consumer, status and
//! latencies, and never a credential.

mod proxy_support;

use http::StatusCode;
use proxy_support::*;
use serde_json::json;

/// Service `svc` and route `rt` to `up`, behind key-auth, with consumer carol's key
/// `super-secret-key`.
fn carol_behind_key_auth(up: &Echo) -> Entities {
    Entities::new()
        .service("svc", &up.url())
        .route("rt", "svc", json!({"paths": ["/"]}))
        .add("consumers", json!({"username": "carol"}))
        .add(
            "keyauth_credentials",
            json!({"key": "super-secret-key", "consumer": fk("carol")}),
        )
        .plugin("key-auth", json!({}))
}

#[tokio::test]
async fn one_line_per_request_with_the_essentials() {
    let up = echo("a").await;
    let mut gw = Gateway::start(&carol_behind_key_auth(&up)).await;
    let reply = send(
        "POST",
        &gw.url("/path?apikey=super-secret-key"),
        &[("authorization", "Bearer also-secret")],
        "body",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let log = gw.next_log().await;
    assert_eq!(log["method"], "POST");
    assert_eq!(log["path"], "/path");
    assert_eq!(log["status"], 200);
    assert_eq!(log["route"]["name"], "rt");
    assert_eq!(log["service"]["name"], "svc");
    assert_eq!(log["consumer"]["name"], "carol");
    assert_eq!(log["upstream"], up.target());
    assert_eq!(log["client_ip"], "127.0.0.1");
    let request_id = reply.header("x-kong-request-id").unwrap();
    assert_eq!(log["request_id"], request_id);
    // Kong's form: 32 lowercase hex digits.
    assert_eq!(request_id.len(), 32, "{request_id}");
    assert!(
        request_id
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)),
        "{request_id}"
    );
    assert!(log["latencies"]["proxy"].is_u64());
    assert!(log["latencies"]["upstream"].is_u64());
    assert!(log["latencies"]["request"].is_u64());
    let line = log.to_string();
    assert!(!line.contains("super-secret-key"), "{line}");
    assert!(!line.contains("also-secret"), "{line}");

    let reply = gw.get("/").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    // All random, as Kong's: the next request's id shares no run of leading digits with
    // this one (a counter behind a fixed prefix would share 16), so ids do not tell a client
    // how many requests the gateway served. Two random ids share 8 digits once in 4 billion.
    let next_id = reply.header("x-kong-request-id").unwrap();
    assert_ne!(
        next_id[..8],
        request_id[..8],
        "{next_id} after {request_id}"
    );
    let log = gw.next_log().await;
    assert_eq!(log["status"], 401);
    assert!(log["consumer"].is_null());
    assert!(log["latencies"]["upstream"].is_null());
}

/// A client that leaves before the answer begins still gets its line, with Kong's 499, the
/// route and the consumer the request had been identified as.
#[tokio::test]
async fn a_client_that_leaves_before_the_answer_is_logged_as_499() {
    use tokio::io::AsyncWriteExt;
    let up = echo("a").await;
    let mut gw = Gateway::start(&carol_behind_key_auth(&up)).await;
    let mut client = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    client
        .write_all(
            b"GET /slow HTTP/1.1\r\nhost: gw\r\napikey: super-secret-key\r\nx-echo-delay-ms: 3000\r\n\r\n",
        )
        .await
        .unwrap();
    // Gone while the upstream is still thinking.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    drop(client);
    let log = gw.next_log().await;
    assert_eq!(log["status"], 499, "{log}");
    assert_eq!(log["path"], "/slow");
    assert_eq!(log["route"]["name"], "rt");
    assert_eq!(log["service"]["name"], "svc");
    assert_eq!(log["consumer"]["name"], "carol");
    assert!(log["response_incomplete"].is_string(), "{log}");
    assert!(!log.to_string().contains("super-secret-key"), "{log}");
}
