//! Upstream health checks end to end: passive checks take a failing target out of the
//! rotation, active probes take it out and bring it back, health survives configuration
//! changes, and an upstream without a healthy target answers 503 as Kong does.

mod proxy_support;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use proxy_support::*;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// An upstream answering every request with a status that the test can change; it counts the
/// requests that are not health probes (`/health`).
struct Switchable {
    addr: SocketAddr,
    status: Arc<AtomicU16>,
    traffic: Arc<AtomicUsize>,
    /// The `Host` of the last health probe.
    probe_host: Arc<std::sync::Mutex<String>>,
}

impl Switchable {
    async fn start(status: u16) -> Switchable {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (status, traffic) = (
            Arc::new(AtomicU16::new(status)),
            Arc::new(AtomicUsize::new(0)),
        );
        let probe_host = Arc::new(std::sync::Mutex::new(String::new()));
        let (s, t, h) = (status.clone(), traffic.clone(), probe_host.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (s, t, h) = (s.clone(), t.clone(), h.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<Incoming>| {
                        if req.uri().path() != "/health" {
                            t.fetch_add(1, Ordering::SeqCst);
                        } else if let Some(host) = req.headers().get("host") {
                            *h.lock().unwrap() = host.to_str().unwrap_or_default().to_string();
                        }
                        let status = s.load(Ordering::SeqCst);
                        async move {
                            Ok::<_, Infallible>(
                                Response::builder()
                                    .status(status)
                                    .header("x-upstream-name", "switchable")
                                    .body(Full::new(Bytes::from_static(b"{}")))
                                    .unwrap(),
                            )
                        }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Switchable {
            addr,
            status,
            traffic,
            probe_host,
        }
    }

    fn target(&self) -> String {
        self.addr.to_string()
    }

    fn set(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    fn traffic(&self) -> usize {
        self.traffic.load(Ordering::SeqCst)
    }
}

fn pool(healthchecks: Value, targets: &[String]) -> Entities {
    pool_and(healthchecks, targets, Entities::new())
}

/// `others`, plus an upstream with `targets` behind service `s` and route `/`.
fn pool_and(healthchecks: Value, targets: &[String], others: Entities) -> Entities {
    let upstream = json!({"name": "pool.internal", "healthchecks": healthchecks});
    pool_of(upstream, targets, others)
}

fn pool_of(upstream: Value, targets: &[String], others: Entities) -> Entities {
    let mut e = others
        .add("upstreams", upstream)
        .add(
            "services",
            json!({"name": "s", "host": "pool.internal", "port": 80, "retries": 0}),
        )
        .route("r", "s", json!({"paths": ["/"]}));
    for target in targets {
        e = e.add(
            "targets",
            json!({"target": target, "weight": 100, "upstream": fk("pool.internal")}),
        );
    }
    e
}

fn passive(http_failures: u32) -> Value {
    json!({"passive": {"unhealthy": {"http_failures": http_failures, "http_statuses": [500]}}})
}

#[tokio::test]
async fn passive_checks_take_a_failing_target_out_of_the_rotation() {
    let good = echo("good").await;
    let bad = Switchable::start(500).await;
    let gw = Gateway::start(&pool(passive(2), &[good.target(), bad.target()])).await;
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(gw.get("/x").await.status.as_u16());
    }
    assert_eq!(
        bad.traffic(),
        2,
        "two failures reach the threshold: {statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 500).count(), 2);
    assert!(
        statuses[4..].iter().all(|s| *s == 200),
        "after that only the healthy target answers: {statuses:?}"
    );
}

#[tokio::test]
async fn with_no_healthy_target_left_the_answer_is_kongs_503() {
    let bad = Switchable::start(500).await;
    let gw = Gateway::start(&pool(passive(1), &[bad.target()])).await;
    assert_eq!(gw.get("/x").await.status, StatusCode::INTERNAL_SERVER_ERROR);
    let reply = gw.get("/x").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        reply.json()["message"],
        "failure to get a peer from the ring-balancer"
    );
    assert_eq!(bad.traffic(), 1);
}

#[tokio::test]
async fn health_survives_a_configuration_change_but_not_a_change_of_checks() {
    let good = echo("good").await;
    let bad = Switchable::start(500).await;
    let entities = pool(passive(1), &[good.target(), bad.target()]);
    let mut gw = Gateway::start(&entities).await;
    for _ in 0..4 {
        gw.get("/x").await;
    }
    assert_eq!(bad.traffic(), 1);
    // An unrelated write rebuilds the configuration; the target stays out.
    let more = Entities::new().service("other", &good.url());
    gw.update(&pool_and(passive(1), &[good.target(), bad.target()], more))
        .await;
    for _ in 0..4 {
        assert_eq!(gw.get("/x").await.status, StatusCode::OK);
    }
    assert_eq!(bad.traffic(), 1);
    // New checks start every target over as healthy.
    gw.update(&pool(passive(3), &[good.target(), bad.target()]))
        .await;
    for _ in 0..4 {
        gw.get("/x").await;
    }
    assert_eq!(
        bad.traffic(),
        3,
        "back in the rotation once the checks changed"
    );
}

#[tokio::test]
async fn active_probes_take_a_target_out_and_bring_it_back() {
    let good = echo("good").await;
    let flaky = Switchable::start(200).await;
    let active = json!({"active": {
        "http_path": "/health",
        "timeout": 1,
        "healthy": {"interval": 0.1, "successes": 1},
        "unhealthy": {"interval": 0.1, "http_failures": 1},
    }});
    let gw = Gateway::start(&pool(active, &[good.target(), flaky.target()])).await;
    for _ in 0..4 {
        assert_eq!(gw.get("/x").await.status, StatusCode::OK);
    }
    assert_eq!(flaky.traffic(), 2, "healthy: it takes its share");

    // Its health endpoint fails: the next probe takes it out; traffic goes to the other.
    flaky.set(500);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = flaky.traffic();
    for _ in 0..6 {
        assert_eq!(gw.get("/x").await.status, StatusCode::OK);
    }
    assert_eq!(
        flaky.traffic(),
        before,
        "an unhealthy target gets no traffic"
    );

    // It recovers: a probe brings it back.
    flaky.set(200);
    let deadline = Instant::now() + Duration::from_secs(10);
    while flaky.traffic() == before {
        assert!(
            Instant::now() < deadline,
            "the recovered target never took traffic again"
        );
        assert_eq!(gw.get("/x").await.status, StatusCode::OK);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `gwctl serve` in-process: the Admin API and a proxy sharing target health.
struct Served {
    admin: String,
    proxy: String,
    client: reqwest::Client,
    _gateway: gwctl::gateway::server::RunningGateway,
    _proxy: gwctl::gateway::proxy::RunningProxy,
}

impl Served {
    async fn start() -> Served {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let options = gwctl::gateway::server::ServeOptions::ephemeral();
        let gateway = gwctl::gateway::server::start(options).await.unwrap();
        let proxy = gwctl::gateway::proxy::start_with_health(
            vec!["127.0.0.1:0".parse().unwrap()],
            gateway.snapshots.clone(),
            gwctl::gateway::proxy::AccessLog::disabled(),
            gateway.health.clone(),
            gwctl::gateway::proxy::ClientSettings::default(),
        )
        .await
        .unwrap();
        Served {
            admin: format!("http://{}", gateway.admin_addr),
            proxy: format!("http://{}", proxy.addrs()[0]),
            client: reqwest::Client::new(),
            _gateway: gateway,
            _proxy: proxy,
        }
    }

    async fn admin(&self, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
        let reply = self
            .client
            .request(method, format!("{}{path}", self.admin))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = reply.status().as_u16();
        (status, reply.json().await.unwrap_or(Value::Null))
    }

    /// Each target's `health`, by target address.
    async fn health(&self, upstream: &str) -> Vec<(String, String)> {
        let path = format!("/upstreams/{upstream}/health");
        let (status, body) = self.admin(reqwest::Method::GET, &path, Value::Null).await;
        assert_eq!(status, 200, "{body}");
        let mut out: Vec<_> = body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                let text = |f: &str| t[f].as_str().unwrap_or_default().to_string();
                (text("target"), text("health"))
            })
            .collect();
        out.sort();
        out
    }
}

#[tokio::test]
async fn the_admin_api_reports_health_and_sets_it_by_hand() {
    let served = Served::start().await;
    let good = echo("good").await;
    let bad = Switchable::start(500).await;
    use reqwest::Method;
    let checks = passive(1);
    let (status, _) = served
        .admin(
            Method::PUT,
            "/upstreams/pool",
            json!({"healthchecks": checks}),
        )
        .await;
    assert_eq!(status, 200);
    served
        .admin(Method::PUT, "/upstreams/plain", json!({}))
        .await;
    served
        .admin(
            Method::POST,
            "/upstreams/plain/targets",
            json!({"target": good.target()}),
        )
        .await;
    let service = json!({"host": "pool", "port": 80, "retries": 0});
    served.admin(Method::PUT, "/services/s", service).await;
    let route = json!({"paths": ["/"]});
    let (status, reply) = served
        .admin(Method::PUT, "/services/s/routes/r", route)
        .await;
    assert_eq!(status, 200, "{reply}");
    // The pool's targets come last: once the proxy reports them, its configuration holds the
    // route too (the proxy builds from the latest snapshot, a moment after each write).
    for target in [good.target(), bad.target()] {
        let body = json!({"target": target});
        let (status, reply) = served
            .admin(Method::POST, "/upstreams/pool/targets", body)
            .await;
        assert_eq!(status, 201, "{reply}");
    }

    let healthy = |t: &str, h: &str| (t.to_string(), h.to_string());
    let mut both = vec![
        healthy(&good.target(), "HEALTHY"),
        healthy(&bad.target(), "HEALTHY"),
    ];
    both.sort();
    let deadline = Instant::now() + Duration::from_secs(10);
    while served.health("pool").await != both {
        assert!(
            Instant::now() < deadline,
            "the proxy never took the upstream up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        served.health("plain").await,
        [healthy(&good.target(), "HEALTHCHECKS_OFF")]
    );

    // Two requests: one reaches the failing target, which passive checks take out.
    let mut statuses = Vec::new();
    for _ in 0..2 {
        let url = format!("{}/x", served.proxy);
        let reply = served.client.get(url).send().await.unwrap();
        statuses.push(reply.status().as_u16());
    }
    statuses.sort();
    assert_eq!(statuses, [200, 500], "one request per target");
    let reported = served.health("pool").await;
    assert!(
        reported.contains(&healthy(&bad.target(), "UNHEALTHY")),
        "{reported:?}"
    );

    // By hand: healthy again.
    let path = format!("/upstreams/pool/targets/{}/healthy", bad.target());
    let (status, _) = served.admin(Method::PUT, &path, Value::Null).await;
    assert_eq!(status, 204);
    assert_eq!(served.health("pool").await, both);
    let path = "/upstreams/pool/targets/10.9.9.9:1/unhealthy";
    assert_eq!(served.admin(Method::PUT, path, Value::Null).await.0, 404);
    assert_eq!(
        served
            .admin(Method::GET, "/upstreams/none/health", Value::Null)
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn active_tcp_checks_take_a_dead_target_out() {
    let good = echo("good").await;
    let dead = closed_port().await;
    let active = json!({"active": {
        "type": "tcp",
        "healthy": {"interval": 0.1, "successes": 1},
        "unhealthy": {"interval": 0.1, "tcp_failures": 1},
    }});
    // `retries: 0`: a request sent to the dead target would fail with a 502.
    let gw = Gateway::start(&pool(active, &[good.target(), dead.to_string()])).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut statuses = Vec::new();
        for _ in 0..6 {
            statuses.push(gw.get("/x").await.status.as_u16());
        }
        if statuses.iter().all(|s| *s == 200) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the dead target still gets traffic: {statuses:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(good.hits() >= 6);
}

#[tokio::test]
async fn active_probes_send_the_upstreams_host_header() {
    let target = Switchable::start(200).await;
    let upstream = json!({"name": "pool.internal", "host_header": "app.example", "healthchecks":
        {"active": {"http_path": "/health", "healthy": {"interval": 0.1, "successes": 1}}}});
    let _gw = Gateway::start(&pool_of(upstream, &[target.target()], Entities::new())).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while target.probe_host.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "no probe arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(*target.probe_host.lock().unwrap(), "app.example");
}

/// An https upstream (the `a.test` test certificate) that records the SNI of each handshake.
async fn sni_recording_upstream() -> (SocketAddr, Arc<std::sync::Mutex<Vec<Option<String>>>>) {
    let upstream = tls_echo(
        include_str!("proxy_support/sni_a_cert.pem"),
        include_str!("proxy_support/sni_a_key.pem"),
    )
    .await;
    (upstream.addr, upstream.handshakes)
}

#[tokio::test]
async fn https_probes_send_the_configured_sni() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (addr, seen) = sni_recording_upstream().await;
    let upstream = json!({"name": "pool.internal", "healthchecks": {"active": {
        "type": "https",
        "https_sni": "probe.test",
        "https_verify_certificate": false,
        "http_path": "/health",
        "healthy": {"interval": 0.1, "successes": 1},
    }}});
    let _gw = Gateway::start(&pool_of(upstream, &[addr.to_string()], Entities::new())).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while seen.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "no probe arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(seen.lock().unwrap()[0].as_deref(), Some("probe.test"));
}

#[tokio::test]
async fn https_probes_without_https_sni_use_the_upstreams_host_header_as_tls_name() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (addr, seen) = sni_recording_upstream().await;
    let upstream = json!({
        "name": "pool.internal",
        "host_header": "api.example.test",
        "healthchecks": {"active": {
            "type": "https",
            "https_verify_certificate": false,
            "healthy": {"interval": 0.1, "successes": 1},
        }},
    });
    let _gw = Gateway::start(
        &Entities::new()
            .add("upstreams", upstream)
            .add(
                "services",
                json!({"name": "s", "host": "pool.internal", "port": 80}),
            )
            .route("r", "s", json!({"paths": ["/"]}))
            .add(
                "targets",
                json!({"target": addr.to_string(), "upstream": fk("pool.internal")}),
            ),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while seen.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "no probe arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(seen.lock().unwrap()[0].as_deref(), Some("api.example.test"));
}
