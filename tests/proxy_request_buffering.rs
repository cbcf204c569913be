//! Kong's `request_buffering`: a body the client sends without a length (chunked) reaches the
//! upstream whole, with a `Content-Length`, unless the route turns buffering off.

mod proxy_support;

use std::sync::Arc;
use std::time::Duration;

use proxy_support::*;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::watch;

/// POSTs `chunks` as a chunked body on a connection of its own and returns the answer's
/// status line and, parsed, the echo upstream's report of what it received.
async fn send_chunked(addr: std::net::SocketAddr, chunks: &[&[u8]]) -> (String, Value) {
    let mut request =
        b"POST /x HTTP/1.1\r\nhost: gw\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
            .to_vec();
    for chunk in chunks {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let answer = raw_exchange(addr, &request).await;
    let (head, body) = answer.split_once("\r\n\r\n").expect("a whole answer");
    let status = head.lines().next().unwrap().to_string();
    (
        status,
        serde_json::from_str(body).expect("the echo's report"),
    )
}

#[tokio::test]
async fn a_chunked_body_reaches_the_upstream_with_a_content_length() {
    let up = echo("a").await;
    let gw = Gateway::start(&one_route(&up.url())).await;
    let (status, seen) = send_chunked(gw.addr, &[b"hello", b" world"]).await;
    assert!(status.contains(" 200 "), "{status}");
    assert_eq!(seen["body"], "hello world");
    assert_eq!(seen["headers"]["content-length"], "11", "{seen}");
    assert!(seen["headers"]["transfer-encoding"].is_null(), "{seen}");
}

#[tokio::test]
async fn without_request_buffering_a_chunked_body_is_streamed() {
    let up = echo("a").await;
    let gw = Gateway::start(&Entities::new().service("s", &up.url()).route(
        "r",
        "s",
        json!({"paths": ["/"], "request_buffering": false}),
    ))
    .await;
    let (status, seen) = send_chunked(gw.addr, &[b"hello", b" world"]).await;
    assert!(status.contains(" 200 "), "{status}");
    assert_eq!(seen["body"], "hello world");
    assert_eq!(seen["headers"]["transfer-encoding"], "chunked", "{seen}");
    assert!(seen["headers"]["content-length"].is_null(), "{seen}");
}

#[tokio::test]
async fn a_chunked_body_longer_than_the_limit_is_streamed_whole() {
    let up = echo("a").await;
    let gw = Gateway::start(&one_route(&up.url())).await;
    // 1.5 MiB in 64 KiB chunks: past the 1 MiB read whole, the rest streams after it.
    let chunk = [b'x'; 64 * 1024];
    let chunks: Vec<&[u8]> = (0..24).map(|_| &chunk[..]).collect();
    let (status, seen) = send_chunked(gw.addr, &chunks).await;
    assert!(status.contains(" 200 "), "{status}");
    assert_eq!(seen["body"].as_str().map(str::len), Some(24 * 64 * 1024));
    assert_eq!(seen["headers"]["transfer-encoding"], "chunked", "{seen}");
}

#[tokio::test]
async fn a_chunked_body_that_stalls_gets_408_and_nothing_goes_upstream() {
    let up = echo("a").await;
    let (_tx, rx) = watch::channel(Arc::new(one_route(&up.url()).snapshot(1)));
    let running = start_with_client_timeout(rx, Duration::from_millis(1000)).await;
    let mut stalled = TcpStream::connect(running.addrs()[0]).await.unwrap();
    stalled
        .write_all(b"POST /x HTTP/1.1\r\nhost: gw\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhel")
        .await
        .unwrap();
    let answer = read_until_closed(&mut stalled).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert_eq!(up.hits(), 0, "nothing went upstream");
    running.shutdown().await;
}
