//! The service's `write_timeout` and `read_timeout` while a request body streams upstream:
//! the pause between two parts of the body is bounded by `write_timeout`, and only once the
//! body is all sent does `read_timeout` bound the wait for the answer.

mod proxy_support;

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::StatusCode;
use proxy_support::*;
use serde_json::{Value, json};
use tokio::net::TcpListener;

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

fn streamed_body(chunks: usize, chunk: Bytes, pause: Duration) -> reqwest::Body {
    let stream = futures_util::stream::unfold(0, move |sent| {
        let chunk = chunk.clone();
        async move {
            if sent == chunks {
                return None;
            }
            tokio::time::sleep(pause).await;
            Some((Ok::<_, std::io::Error>(chunk), sent + 1))
        }
    });
    reqwest::Body::wrap_stream(stream)
}

#[tokio::test]
async fn a_steady_upload_longer_than_read_timeout_is_not_cut_off() {
    let echo = echo("a").await;
    let gw = Gateway::start(
        &Entities::new()
            .add(
                "services",
                json!({"name": "s", "url": echo.url(), "read_timeout": 300, "write_timeout": 2000}),
            )
            .route("r", "s", json!({"paths": ["/"]})),
    )
    .await;
    // Six parts 120 ms apart: 720 ms of sending, over twice the read_timeout.
    let reply = client()
        .post(gw.url("/upload"))
        .body(streamed_body(
            6,
            Bytes::from_static(b"part;"),
            Duration::from_millis(120),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    let echoed: Value = reply.json().await.unwrap();
    assert_eq!(echoed["body"], "part;".repeat(6));
}

#[tokio::test]
async fn an_upstream_that_stops_taking_the_body_is_504_after_write_timeout() {
    // Accepts connections and never reads from them.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let gw = Gateway::start(
        &Entities::new()
            .add(
                "services",
                json!({"name": "s", "url": format!("http://{addr}"),
                       "read_timeout": 60000, "write_timeout": 400}),
            )
            .route("r", "s", json!({"paths": ["/"]})),
    )
    .await;
    let started = Instant::now();
    // Far more than the socket buffers between the gateway and the upstream can hold.
    let megabyte = Bytes::from(vec![b'x'; 1 << 20]);
    let reply = client()
        .post(gw.url("/upload"))
        .body(streamed_body(512, megabyte, Duration::ZERO))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::GATEWAY_TIMEOUT);
    let body: Value = reply.json().await.unwrap();
    assert_eq!(body["message"], "The upstream server is timing out");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "answered after {:?}, long before read_timeout",
        started.elapsed()
    );
}
