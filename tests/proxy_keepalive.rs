//! Keep-alive connections to upstreams: reused across requests, never reused while an answer
//! is unfinished, and replaced without an error when the upstream closed them.

mod proxy_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioExecutor;
use proxy_support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

#[tokio::test]
async fn sequential_requests_share_pooled_upstream_connections() {
    let upstream = echo("a").await;
    let gw = Gateway::start(&one_route(&upstream.url())).await;
    for _ in 0..20 {
        assert_eq!(gw.get("/").await.status, StatusCode::OK);
    }
    assert_eq!(upstream.hits(), 20);
    // Each proxy worker thread has its own pool: at most one connection per worker.
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert!(
        upstream.connections() <= workers,
        "{} upstream connections for 20 sequential requests",
        upstream.connections()
    );
}

#[tokio::test]
async fn an_upstream_connection_is_closed_after_1000_requests_as_in_kong() {
    let upstream = raw_upstream(AfterAnswer::KeepOpen).await;
    let gw = Gateway::start(&one_route(&upstream.url)).await;
    // Sequential requests reuse their worker's one connection, and some worker takes more
    // than 1000 of these.
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let requests = 1000 * workers + 100;
    for n in 0..requests {
        let reply = gw.get("/").await;
        assert_eq!(reply.status, StatusCode::OK, "request {n}: {}", reply.body);
    }
    let most = upstream.most_on_one_connection.load(Ordering::SeqCst);
    assert!(
        most <= 1000,
        "one upstream connection carried {most} requests"
    );
    assert!(most > 1, "connections were not reused at all");
}

/// What the raw upstream does after answering a request.
#[derive(Clone, Copy)]
enum AfterAnswer {
    /// Closes the connection without saying so in the answer (as idle timeouts do).
    Close,
    /// Keeps it open, but closes it without answering when the next request arrives (an
    /// idle timeout firing just as the gateway reuses the connection).
    CloseOnNextRequest,
    /// Keeps it open.
    KeepOpen,
}

/// A hand-rolled HTTP/1.1 upstream, to control exactly when connections close. `/slow`
/// answers with a chunked body whose end never comes, `/http10` in HTTP/1.0 with a body that
/// ends with the connection; anything else with `ok`. Reports each
/// connection's end (EOF from the gateway) on the channel.
struct RawUpstream {
    url: String,
    connections: Arc<AtomicUsize>,
    /// The most requests any one connection has carried.
    most_on_one_connection: Arc<AtomicUsize>,
    closed: mpsc::UnboundedReceiver<()>,
}

async fn raw_upstream(after: AfterAnswer) -> RawUpstream {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let accepted = connections.clone();
    let most_on_one_connection = Arc::new(AtomicUsize::new(0));
    let most = most_on_one_connection.clone();
    let (closed_tx, closed) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            accepted.fetch_add(1, Ordering::SeqCst);
            let closed_tx = closed_tx.clone();
            let most = most.clone();
            tokio::spawn(async move {
                serve_raw(stream, after, &most).await;
                let _ = closed_tx.send(());
            });
        }
    });
    RawUpstream {
        url,
        connections,
        most_on_one_connection,
        closed,
    }
}

async fn serve_raw(mut stream: TcpStream, after: AfterAnswer, most: &AtomicUsize) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let mut answered = 0;
    loop {
        let head_end = loop {
            if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
        buffer.drain(..head_end);
        if answered > 0
            && let AfterAnswer::CloseOnNextRequest = after
        {
            return;
        }
        answered += 1;
        most.fetch_max(answered, Ordering::SeqCst);
        if head.starts_with("GET /http10") {
            // As `python3 -m http.server` answers: HTTP/1.0, the body ends with the connection.
            let _ = stream.write_all(b"HTTP/1.0 200 OK\r\n\r\nold").await;
            return;
        }
        if head.starts_with("GET /slow") {
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nfirst\r\n")
                .await;
            // The rest never comes; wait for the gateway to give up on this connection.
            while let Ok(n) = stream.read(&mut chunk).await {
                if n == 0 {
                    return;
                }
            }
            return;
        }
        if stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
            .await
            .is_err()
        {
            return;
        }
        if let AfterAnswer::Close = after {
            return;
        }
    }
}

#[tokio::test]
async fn a_pooled_connection_the_upstream_closed_is_replaced_without_an_error() {
    let upstream = raw_upstream(AfterAnswer::Close).await;
    let gw = Gateway::start(&one_route(&upstream.url)).await;
    for n in 0..8 {
        let reply = gw.get("/").await;
        assert_eq!(reply.status, StatusCode::OK, "request {n}: {}", reply.body);
        assert_eq!(reply.body, "ok");
        // Half the requests race the close, half come after it has surely arrived.
        if n % 2 == 1 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert_eq!(upstream.connections.load(Ordering::SeqCst), 8);
}

#[tokio::test]
async fn a_connection_whose_answer_was_abandoned_is_closed_not_pooled() {
    let mut upstream = raw_upstream(AfterAnswer::KeepOpen).await;
    let gw = Gateway::start(&one_route(&upstream.url)).await;

    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .build_http::<Empty<Bytes>>();
    let response = client
        .get(gw.url("/slow").parse().unwrap())
        .await
        .expect("the head arrives");
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();
    let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert_eq!(&first[..], b"first");
    // The client gives up halfway: the gateway must close its upstream connection, since the
    // rest of that answer would otherwise be read as the answer to the next request.
    drop(body);
    drop(client);
    tokio::time::timeout(Duration::from_secs(10), upstream.closed.recv())
        .await
        .expect("the upstream connection is closed once the client leaves")
        .unwrap();

    let reply = gw.get("/").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, "ok");
    assert_eq!(upstream.connections.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_idempotent_request_on_a_connection_closed_as_it_was_reused_goes_out_again() {
    let upstream = raw_upstream(AfterAnswer::CloseOnNextRequest).await;
    let gw = Gateway::start(&one_route(&upstream.url)).await;
    for n in 0..6 {
        let reply = gw.get("/").await;
        assert_eq!(reply.status, StatusCode::OK, "request {n}: {}", reply.body);
        assert_eq!(reply.body, "ok");
    }
    // A POST may have had effects upstream: it is not sent twice, the client gets the 502.
    // Each worker thread pools its own connections: with more POSTs than twice the workers,
    // one worker gets two, and its second reuses the connection its first left.
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut statuses = Vec::new();
    for _ in 0..=2 * workers {
        statuses.push(send("POST", &gw.url("/"), &[], "once").await.status);
    }
    assert!(
        statuses.contains(&StatusCode::BAD_GATEWAY),
        "no POST met a closed reused connection: {statuses:?}"
    );
}

#[tokio::test]
async fn an_http_1_0_upstream_does_not_downgrade_the_client_connection() {
    let upstream = raw_upstream(AfterAnswer::KeepOpen).await;
    let gw = Gateway::start(&one_route(&upstream.url)).await;
    let stream = TcpStream::connect(gw.addr).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(connection);
    // nginx answers in the client's protocol and keeps its connection: both requests go over
    // the one client connection.
    for n in 0..2 {
        sender
            .ready()
            .await
            .expect("the client connection stays open");
        let request = http::Request::get("/http10")
            .header("host", "gw.test")
            .body(Empty::<Bytes>::new())
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "request {n}");
        assert_eq!(response.version(), http::Version::HTTP_11, "request {n}");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, "old", "request {n}");
    }
}
