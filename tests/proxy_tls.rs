//! TLS to https upstreams: a local TLS echo server with a self-signed certificate is reached
//! when the service turns verification off, and refused (502) when it verifies.

mod proxy_support;

use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use proxy_support::*;
use serde_json::json;
use tokio::net::TcpListener;

const CERT: &str = include_str!("proxy_support/tls_cert.pem");
const KEY: &str = include_str!("proxy_support/tls_key.pem");

/// An https server on 127.0.0.1 that answers every request with its path.
async fn tls_upstream() -> u16 {
    let acceptor = tls_acceptor(CERT, KEY);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let service = service_fn(|req: Request<Incoming>| async move {
                    let body = format!("tls saw {}", req.uri().path());
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(body))))
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    port
}

#[tokio::test]
async fn https_upstreams_are_reached_over_tls() {
    let port = tls_upstream().await;
    let gw = Gateway::start(
        &Entities::new()
            .add(
                "services",
                json!({"name": "insecure", "url": format!("https://localhost:{port}/base"), "tls_verify": false}),
            )
            .add(
                "services",
                json!({"name": "verified", "url": format!("https://localhost:{port}")}),
            )
            .route("insecure", "insecure", json!({"paths": ["/insecure"]}))
            .route("verified", "verified", json!({"paths": ["/verified"]})),
    )
    .await;
    let reply = gw.get("/insecure/x").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body, "tls saw /base/x");
    // The self-signed certificate is not trusted when verifying.
    let reply = gw.get("/verified").await;
    assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
}
