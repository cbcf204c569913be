//! Starting and stopping the proxy: several listeners, a clear error for a port in use, and a
//! shutdown that stops accepting.

mod proxy_support;

use std::sync::Arc;
use std::time::Duration;

use gwctl::gateway::proxy::{self, AccessLog};
use http::StatusCode;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::{TokioExecutor, TokioIo};
use proxy_support::*;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

type Configuration = Arc<gwctl::gateway::snapshot::Snapshot>;

/// A configuration with one catch-all route to `up`.
fn one_route_to(up: &Echo) -> (watch::Sender<Configuration>, watch::Receiver<Configuration>) {
    let entities = Entities::new()
        .service("s", &up.url())
        .route("r", "s", json!({"paths": ["/"]}));
    watch::channel(Arc::new(entities.snapshot(1)))
}

#[tokio::test]
async fn several_listeners_serve_the_same_configuration() {
    let up = echo("a").await;
    let (_tx, rx) = one_route_to(&up);
    let any = "127.0.0.1:0".parse().unwrap();
    let running = proxy::start(vec![any, any], rx, AccessLog::disabled())
        .await
        .unwrap();
    let addrs = running.addrs().to_vec();
    assert_eq!(addrs.len(), 2);
    assert_ne!(addrs[0], addrs[1]);
    for addr in &addrs {
        let reply = send("GET", &format!("http://{addr}/x"), &[], "").await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(
            reply.echoed()["headers"]["x-forwarded-port"],
            addr.port().to_string()
        );
    }
    running.shutdown().await;
    for addr in &addrs {
        assert!(
            tokio::net::TcpStream::connect(addr).await.is_err(),
            "{addr} still accepts"
        );
    }
}

#[tokio::test]
async fn a_port_in_use_is_a_clear_error() {
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = taken.local_addr().unwrap();
    let (_tx, rx) = watch::channel(Arc::new(Entities::new().snapshot(1)));
    let err = proxy::start(vec![addr], rx, AccessLog::disabled())
        .await
        .err()
        .expect("binding a taken port fails");
    let message = err.to_string();
    assert!(message.contains(&addr.to_string()), "{message}");
    assert!(message.contains("in use"), "{message}");
}

/// Each worker listens on a socket of its own (SO_REUSEPORT), which would let a second
/// gateway share a running one's port and take some of its connections: it must be refused.
#[tokio::test]
async fn a_second_gateway_cannot_share_a_running_ones_port() {
    let (_tx, rx) = watch::channel(Arc::new(Entities::new().snapshot(1)));
    let first = proxy::start(
        vec!["127.0.0.1:0".parse().unwrap()],
        rx.clone(),
        AccessLog::disabled(),
    )
    .await
    .unwrap();
    let addr = first.addrs()[0];
    let err = proxy::start(vec![addr], rx, AccessLog::disabled())
        .await
        .err()
        .expect("a second gateway on the same port is refused");
    assert!(err.to_string().contains("in use"), "{err}");
    first.shutdown().await;
}

#[tokio::test]
async fn silent_and_idle_clients_are_disconnected_busy_ones_are_not() {
    let up = echo("a").await;
    let (_tx, rx) = one_route_to(&up);
    // Margins of several hundred milliseconds either way, for a loaded CI machine.
    let timeout = Duration::from_millis(1000);
    let running = start_with_client_timeout(rx, timeout).await;
    let addr = running.addrs()[0];

    // Never sends a request: closed once the timeout passes.
    let mut silent = tokio::net::TcpStream::connect(addr).await.unwrap();
    // Sends the start of HTTP/2's preface, then nothing: the gateway cannot yet tell HTTP/1
    // from HTTP/2, and must not wait for more forever.
    let mut half_preface = tokio::net::TcpStream::connect(addr).await.unwrap();
    half_preface.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap();

    // Sends a request every 100 ms, for longer than the timeout: stays open throughout.
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let request = || {
        http::Request::get("/x")
            .header("host", "gw")
            .body(Empty::<bytes::Bytes>::new())
            .unwrap()
    };
    for _ in 0..16 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let response = sender
            .send_request(request())
            .await
            .expect("a busy keep-alive connection stays open");
        assert_eq!(response.status(), StatusCode::OK);
        response.into_body().collect().await.unwrap();
    }

    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(5), silent.read(&mut buf))
        .await
        .expect("a silent client is disconnected");
    assert!(
        matches!(read, Ok(0) | Err(_)),
        "unexpected bytes for a silent client: {read:?}"
    );
    let read = tokio::time::timeout(Duration::from_secs(5), half_preface.read(&mut buf))
        .await
        .expect("a client that stalls mid-preface is disconnected");
    assert!(
        matches!(read, Ok(0) | Err(_)),
        "unexpected bytes for a stalled preface: {read:?}"
    );

    // The same busy connection, once idle past the timeout, is closed too.
    tokio::time::sleep(timeout * 3).await;
    assert!(
        sender.send_request(request()).await.is_err(),
        "an idle keep-alive connection outlived the timeout"
    );
    running.shutdown().await;
}

#[tokio::test]
async fn http2_clients_that_stop_answering_or_stay_idle_are_disconnected() {
    let up = echo("a").await;
    let (_tx, rx) = one_route_to(&up);
    let timeout = Duration::from_millis(800);
    let running = start_with_client_timeout(rx, timeout).await;
    let stream = tokio::net::TcpStream::connect(running.addrs()[0])
        .await
        .unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    let connection = tokio::spawn(connection);
    let mut get = |delay_ms: u64| {
        let request = http::Request::get("http://gw/x")
            .header("x-echo-delay-ms", delay_ms.to_string())
            .body(Empty::<bytes::Bytes>::new())
            .unwrap();
        let response = sender.send_request(request);
        async move {
            let response = response.await.expect("a busy HTTP/2 connection stays open");
            assert_eq!(response.status(), StatusCode::OK);
            response.into_body().collect().await.unwrap();
        }
    };
    // Busy for more than twice the timeout: stays open.
    for _ in 0..6 {
        get(0).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // A request that lasts longer than the timeout keeps the connection busy: the next one,
    // right after it, still goes through.
    get(2 * timeout.as_millis() as u64).await;
    get(0).await;
    // Left idle, the connection is closed (a GOAWAY, then the end): the client's connection
    // task finishes.
    tokio::time::timeout(Duration::from_secs(8), connection)
        .await
        .expect("an idle HTTP/2 connection is closed")
        .unwrap()
        .expect("closed cleanly");

    // The HTTP/2 preface and an empty SETTINGS frame, then nothing: this client reads what
    // the gateway sends but never acknowledges its settings or answers its pings.
    let mut client = tokio::net::TcpStream::connect(running.addrs()[0])
        .await
        .unwrap();
    client
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .await
        .unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(8), async {
        let mut buf = [0u8; 1024];
        loop {
            match client.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "a silent HTTP/2 client kept its connection");
    running.shutdown().await;
}

#[tokio::test]
async fn an_http1_request_whose_first_packet_could_begin_http2_is_still_http1() {
    let up = echo("a").await;
    let (_tx, rx) = one_route_to(&up);
    let running = start_with_client_timeout(rx, Duration::from_secs(10)).await;
    // "P" alone could be the start of HTTP/2's preface ("PRI * HTTP/2.0…") or of a POST:
    // the gateway must wait for more before choosing.
    let mut stream = tokio::net::TcpStream::connect(running.addrs()[0])
        .await
        .unwrap();
    stream.set_nodelay(true).unwrap();
    stream.write_all(b"P").await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    stream
        .write_all(
            b"OST /x HTTP/1.1\r\nhost: gw\r\ncontent-length: 2\r\nconnection: close\r\n\r\nhi",
        )
        .await
        .unwrap();
    let answer = read_until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.contains(r#""body":"hi""#), "{answer}");
}

#[tokio::test]
async fn a_client_that_stops_sending_a_body_a_plugin_reads_gets_408() {
    let up = echo("a").await;
    // key-auth with `key_in_body` reads the whole body before anything goes upstream.
    let entities = Entities::new()
        .service("s", &up.url())
        .route("r", "s", json!({"paths": ["/"]}))
        .plugin("key-auth", json!({"key_in_body": true}));
    let (_tx, rx) = watch::channel(Arc::new(entities.snapshot(1)));
    let timeout = Duration::from_millis(1000);
    let running = start_with_client_timeout(rx, timeout).await;
    let mut stalled = tokio::net::TcpStream::connect(running.addrs()[0])
        .await
        .unwrap();
    stalled
        .write_all(
            b"POST /x HTTP/1.1\r\nhost: gw\r\ncontent-type: application/x-www-form-urlencoded\r\n\
              content-length: 100\r\n\r\napikey=bo",
        )
        .await
        .unwrap();
    let answer = read_until_closed(&mut stalled).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("Request timeout"), "{answer}");
    assert_eq!(up.hits(), 0, "nothing went upstream");
    running.shutdown().await;
}
