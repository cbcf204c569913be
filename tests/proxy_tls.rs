//! TLS to https upstreams: a local TLS echo server with a self-signed certificate is reached
//! when the service turns verification off, and refused (502) when it verifies; the TLS name
//! (SNI) is the `Host` sent upstream, as in Kong.

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

/// Routes `/plain` (service at `https://localhost`), `/kept` (the same with
/// `preserve_host`), `/ip` (at `https://127.0.0.1`) and `/pooled` (an upstream with a
/// `host_header`), all to the TLS upstream on `port` without certificate checks.
fn tls_name_entities(port: u16) -> Entities {
    let unverified =
        |name: &str, url: String| json!({"name": name, "url": url, "tls_verify": false});
    Entities::new()
        .add(
            "services",
            unverified("plain", format!("https://localhost:{port}")),
        )
        .add(
            "services",
            unverified("ip", format!("https://127.0.0.1:{port}")),
        )
        .add(
            "upstreams",
            json!({"name": "pool.internal", "host_header": "api.example.test"}),
        )
        .add(
            "targets",
            json!({"target": format!("127.0.0.1:{port}"), "upstream": fk("pool.internal")}),
        )
        .add(
            "services",
            unverified("pooled", "https://pool.internal".into()),
        )
        .route("plain", "plain", json!({"paths": ["/plain"]}))
        .route(
            "kept",
            "plain",
            json!({"paths": ["/kept"], "preserve_host": true}),
        )
        .route("ip", "ip", json!({"paths": ["/ip"]}))
        .route("pooled", "pooled", json!({"paths": ["/pooled"]}))
}

#[tokio::test]
async fn the_tls_name_is_the_host_sent_upstream() {
    // Kong: `proxy_ssl_server_name on; proxy_ssl_name $upstream_host;`, nginx dropping the
    // port and sending no SNI for an IP address.
    let upstream = tls_echo(CERT, KEY).await;
    let port = upstream.addr.port();
    let gw = Gateway::start(&tls_name_entities(port)).await;
    let seen = |sni: Option<&str>, host: String| TlsSeen {
        sni: sni.map(str::to_string),
        host: Some(host),
    };

    let plain = gw.get("/plain").await.tls_seen();
    assert_eq!(plain, seen(Some("localhost"), format!("localhost:{port}")));

    let client_host = [("host", "client.example.test:8443")];
    let kept = send("GET", &gw.url("/kept"), &client_host, "")
        .await
        .tls_seen();
    assert_eq!(
        kept,
        seen(
            Some("client.example.test"),
            "client.example.test:8443".into()
        )
    );

    let pooled = gw.get("/pooled").await.tls_seen();
    assert_eq!(
        pooled,
        seen(Some("api.example.test"), format!("api.example.test:{port}"))
    );

    let ip = gw.get("/ip").await.tls_seen();
    assert_eq!(ip, seen(None, format!("127.0.0.1:{port}")));
}

#[tokio::test]
async fn a_connection_made_for_one_tls_name_carries_no_request_for_another() {
    let upstream = tls_echo(CERT, KEY).await;
    let gw = Gateway::start(&tls_name_entities(upstream.addr.port())).await;
    for round in 0..3 {
        for name in ["a.example.test", "b.example.test"] {
            let reply = send("GET", &gw.url("/kept"), &[("host", name)], "").await;
            let seen = reply.tls_seen();
            assert_eq!(seen.host.as_deref(), Some(name), "round {round}");
            assert_eq!(seen.sni.as_deref(), Some(name), "round {round}");
        }
    }
    let handshakes = upstream.handshakes();
    for name in ["a.example.test", "b.example.test"] {
        assert!(handshakes.contains(&Some(name.into())), "{handshakes:?}");
    }
}
