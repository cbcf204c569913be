//! WebSockets through the proxy: the handshake reaches the upstream with Kong's upgrade
//! headers after the route's plugins have run, a 101 joins client and upstream into a tunnel
//! carrying bytes both ways, and the tunnel closes when idle for the service's read_timeout.

mod proxy_support;

use std::time::Duration;

use http::StatusCode;
use proxy_support::*;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// A WebSocket-style upstream: answers a request carrying `Upgrade: websocket` with a 101,
/// then sends back every chunk it receives prefixed with `echo:`. The request heads it
/// receives go out on the channel. Anything else gets a plain 400.
async fn websocket_upstream() -> (String, mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (heads_tx, heads) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let heads_tx = heads_tx.clone();
            tokio::spawn(async move {
                let Some(head) = read_head(&mut stream).await else {
                    return;
                };
                let _ = heads_tx.send(head.clone());
                if !head
                    .to_ascii_lowercase()
                    .contains("\r\nupgrade: websocket\r\n")
                {
                    let _ = stream
                        .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                        .await;
                    return;
                }
                let _ = stream
                    .write_all(
                        b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\
                          connection: Upgrade\r\nsec-websocket-accept: test\r\n\r\n",
                    )
                    .await;
                let mut chunk = [0u8; 1024];
                while let Ok(n) = stream.read(&mut chunk).await {
                    if n == 0 {
                        return;
                    }
                    let mut answer = b"echo:".to_vec();
                    answer.extend_from_slice(&chunk[..n]);
                    if stream.write_all(&answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, heads)
}

/// Reads up to the end of an HTTP head (nothing after it is sent before it is answered).
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

const HANDSHAKE: &str = "GET /ws/chat HTTP/1.1\r\nHost: chat.test\r\nConnection: Upgrade\r\n\
    Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Sec-WebSocket-Version: 13\r\n";

/// Opens a connection to the gateway and sends the handshake with `extra` header lines;
/// returns the connection and the answer's head.
async fn handshake(gw: &Gateway, extra: &str) -> (TcpStream, String) {
    let mut stream = TcpStream::connect(gw.addr).await.unwrap();
    let request = format!("{HANDSHAKE}{extra}\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let head = tokio::time::timeout(Duration::from_secs(10), read_head(&mut stream))
        .await
        .expect("the gateway answers the handshake")
        .expect("an answer head");
    (stream, head)
}

async fn exchange(stream: &mut TcpStream, message: &str) -> String {
    stream.write_all(message.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 5 + message.len()];
    tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut answer))
        .await
        .expect("the echo comes back through the tunnel")
        .expect("the tunnel is open");
    String::from_utf8(answer).unwrap()
}

fn chat_service(url: &str, read_timeout_ms: u64) -> Entities {
    Entities::new()
        .add(
            "services",
            json!({"name": "chat", "url": url, "read_timeout": read_timeout_ms}),
        )
        .route("ws", "chat", json!({"paths": ["/ws"]}))
}

#[tokio::test]
async fn a_websocket_handshake_opens_a_tunnel_both_ways() {
    let (url, mut heads) = websocket_upstream().await;
    let mut gw = Gateway::start(&chat_service(&url, 60_000)).await;
    let (mut stream, head) = handshake(&gw, "").await;
    let lower = head.to_ascii_lowercase();
    assert!(lower.starts_with("http/1.1 101"), "{head}");
    assert!(lower.contains("\r\nupgrade: websocket\r\n"), "{head}");
    assert!(lower.contains("\r\nconnection: upgrade\r\n"), "{head}");
    assert!(
        lower.contains("\r\nsec-websocket-accept: test\r\n"),
        "{head}"
    );

    // The upstream was asked as Kong asks it, with the usual forwarding headers.
    let upstream_head = heads.recv().await.unwrap().to_ascii_lowercase();
    assert!(
        upstream_head.contains("\r\nconnection: keep-alive, upgrade\r\n"),
        "{upstream_head}"
    );
    assert!(
        upstream_head.contains("\r\nsec-websocket-key: "),
        "{upstream_head}"
    );
    assert!(
        upstream_head.contains("\r\nx-forwarded-for: 127.0.0.1\r\n"),
        "{upstream_head}"
    );

    assert_eq!(exchange(&mut stream, "hello").await, "echo:hello");
    assert_eq!(exchange(&mut stream, "again").await, "echo:again");
    let log = gw.next_log().await;
    assert_eq!(log["status"], 101, "{log}");
}

#[tokio::test]
async fn plugins_decide_before_the_tunnel_opens() {
    let (url, mut heads) = websocket_upstream().await;
    let entities = chat_service(&url, 60_000)
        .add("plugins", json!({"name": "key-auth", "route": fk("ws")}))
        .add("consumers", json!({"username": "alice"}))
        .add(
            "keyauth_credentials",
            json!({"key": "alice-key", "consumer": fk("alice")}),
        );
    let gw = Gateway::start(&entities).await;

    let (_, head) = handshake(&gw, "").await;
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
    assert!(heads.try_recv().is_err(), "the upstream saw nothing");

    let (mut stream, head) = handshake(&gw, "apikey: alice-key\r\n").await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let upstream_head = heads.recv().await.unwrap().to_ascii_lowercase();
    assert!(upstream_head.contains("\r\nx-consumer-username: alice\r\n"));
    assert_eq!(exchange(&mut stream, "hi").await, "echo:hi");
}

#[tokio::test]
async fn a_tunnel_stays_open_while_used_and_closes_after_read_timeout_idle() {
    let (url, _heads) = websocket_upstream().await;
    let gw = Gateway::start(&chat_service(&url, 400)).await;
    let (mut stream, head) = handshake(&gw, "").await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    // Used every 150 ms for three times the timeout: still open.
    for n in 0..8 {
        assert_eq!(
            exchange(&mut stream, &format!("m{n}")).await,
            format!("echo:m{n}")
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    // Then idle: the gateway closes both sides.
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the idle tunnel was not closed");
    assert!(rest.is_empty());
}

#[tokio::test]
async fn other_upgrades_reach_the_upstream_as_plain_requests() {
    let upstream = echo("up").await;
    let gw = Gateway::start(&Entities::new().service("s", &upstream.url()).route(
        "r",
        "s",
        json!({"paths": ["/"]}),
    ))
    .await;
    let reply = send(
        "GET",
        &gw.url("/x"),
        &[
            ("connection", "Upgrade, HTTP2-Settings"),
            ("upgrade", "h2c"),
        ],
        "",
    )
    .await;
    let seen = reply.echoed();
    assert!(seen["headers"].get("upgrade").is_none(), "{seen}");
    assert!(seen["headers"].get("http2-settings").is_none(), "{seen}");
}

#[tokio::test]
async fn an_upstream_that_refuses_the_websocket_answers_the_client_as_usual() {
    let (url, _heads) = websocket_upstream().await;
    let gw = Gateway::start(&chat_service(&url, 60_000)).await;
    // Without `Upgrade`, the upstream answers 400, and that answer reaches the client.
    let reply = gw.get("/ws/chat").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn shutting_down_closes_open_tunnels_at_once() {
    let (url, _heads) = websocket_upstream().await;
    let gw = Gateway::start(&chat_service(&url, 60_000)).await;
    let (mut stream, head) = handshake(&gw, "").await;
    assert!(
        head.to_ascii_lowercase().starts_with("http/1.1 101"),
        "{head}"
    );
    assert_eq!(exchange(&mut stream, "hi").await, "echo:hi");

    // Well within the tunnel's 60 s idle timeout: the shutdown does not wait for it.
    tokio::time::timeout(Duration::from_secs(10), gw.proxy.shutdown())
        .await
        .expect("the shutdown does not wait for the tunnel");
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the tunnel stayed open after the shutdown");
}
