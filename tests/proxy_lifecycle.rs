//! Starting and stopping the proxy: several listeners, a clear error for a port in use, and a
//! shutdown that stops accepting.

mod proxy_support;

use std::sync::Arc;

use gwctl::gateway::proxy::{self, AccessLog};
use http::StatusCode;
use proxy_support::*;
use serde_json::json;
use tokio::sync::watch;

#[tokio::test]
async fn several_listeners_serve_the_same_configuration() {
    let up = echo("a").await;
    let entities = Entities::new()
        .service("s", &up.url())
        .route("r", "s", json!({"paths": ["/"]}));
    let (_tx, rx) = watch::channel(Arc::new(entities.snapshot(1)));
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
