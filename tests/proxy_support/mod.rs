//! Shared helpers for the proxy's end-to-end tests: snapshots built from a few JSON entities,
//! a gateway started on an ephemeral port, an echo upstream, and a small HTTP client.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use gwctl::gateway::proxy::{self, AccessLog, RunningProxy};
use gwctl::gateway::snapshot::Snapshot;
use gwctl::kinds::{self, validate};
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

pub const RSA_PRIVATE: &str = include_str!("rsa_private.pem");
pub const RSA_PUBLIC: &str = include_str!("rsa_public.pem");

/// A stable UUID-shaped id for a short test name, so entities can reference each other.
pub fn id(name: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    format!("00000000-0000-4000-8000-{:012x}", h & 0xffff_ffff_ffff)
}

/// `{"id": id(name)}`, a foreign key as the Admin API renders it.
pub fn fk(name: &str) -> Value {
    json!({ "id": id(name) })
}

/// Entities per kind, rendered as the Admin API would (defaults and nulls filled).
#[derive(Default, Clone)]
pub struct Entities {
    kinds: BTreeMap<&'static str, Vec<Map<String, Value>>>,
    created: i64,
}

impl Entities {
    pub fn new() -> Entities {
        Entities::default()
    }

    /// Adds an entity of `kind`, with an id when it has none.
    pub fn add(mut self, kind: &'static str, body: Value) -> Entities {
        let registry = kinds::registry();
        let k = registry
            .kind(kind)
            .unwrap_or_else(|| panic!("unknown kind {kind}"));
        let mut map = body.as_object().expect("entity is an object").clone();
        if !map.contains_key("id") {
            // Entities with unique names get an id from it, so tests can use `fk(name)`.
            let unique_name = ["services", "routes", "upstreams", "consumers"].contains(&kind);
            let seed = ["name", "username"]
                .iter()
                .filter(|_| unique_name)
                .find_map(|f| map.get(*f).and_then(Value::as_str))
                .map(str::to_string)
                .unwrap_or_else(|| format!("{kind}-{}", self.created));
            map.insert("id".into(), Value::from(id(&seed)));
        }
        self.created += 1;
        map.entry("created_at").or_insert(Value::from(self.created));
        let options = validate::Options {
            fill_nulls: true,
            ..validate::Options::default()
        };
        let violations = validate::process_entity(registry, k, &mut map, options);
        assert!(
            violations.is_empty(),
            "test entity {kind} {map:?} is invalid: {}",
            validate::kong_message(&violations)
        );
        self.kinds.entry(kind).or_default().push(map);
        self
    }

    pub fn service(self, name: &str, url: &str) -> Entities {
        self.add("services", json!({"name": name, "url": url}))
    }

    pub fn route(self, name: &str, service: &str, body: Value) -> Entities {
        let mut body = body.as_object().cloned().unwrap_or_default();
        body.insert("name".into(), Value::from(name));
        body.insert("service".into(), fk(service));
        self.add("routes", Value::Object(body))
    }

    pub fn plugin(self, name: &str, config: Value) -> Entities {
        self.add("plugins", json!({"name": name, "config": config}))
    }

    /// Replaces the config of the plugin added last, unchecked: a configuration the schema
    /// refuses, for tests of what the proxy does with one that got past it.
    pub fn with_unchecked_plugin_config(mut self, config: Value) -> Entities {
        let plugin = self
            .kinds
            .get_mut("plugins")
            .and_then(|plugins| plugins.last_mut())
            .expect("a plugin was added");
        plugin.insert("config".into(), config);
        self
    }

    pub fn snapshot(&self, revision: u64) -> Snapshot {
        Snapshot::from_entities(revision, self.kinds.clone())
    }
}

/// Service `s` at `upstream` with route `r` on `/`: the setup most proxy tests start from.
pub fn one_route(upstream: &str) -> Entities {
    Entities::new()
        .service("s", upstream)
        .route("r", "s", json!({"paths": ["/"]}))
}

/// [`one_route`] with one global plugin.
pub fn one_route_with_plugin(upstream: &str, plugin: &str, config: Value) -> Entities {
    one_route(upstream).plugin(plugin, config)
}

/// Waits out the last seconds of a minute: rate-limiting's minute windows restart at :00, and
/// a test that straddled one would see its counts reset.
pub async fn away_from_a_minute_boundary() {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let into_minute = secs % 60.0;
    if into_minute > 55.0 {
        tokio::time::sleep(Duration::from_secs_f64(60.5 - into_minute)).await;
    }
}

/// A proxy on 127.0.0.1:0 fed through a watch channel.
pub struct Gateway {
    pub proxy: RunningProxy,
    pub addr: SocketAddr,
    tx: watch::Sender<Arc<Snapshot>>,
    revision: u64,
    pub log: mpsc::UnboundedReceiver<String>,
}

impl Gateway {
    pub async fn start(entities: &Entities) -> Gateway {
        let (tx, rx) = watch::channel(Arc::new(entities.snapshot(1)));
        let (access_log, log) = AccessLog::channel();
        let proxy = proxy::start(vec!["127.0.0.1:0".parse().unwrap()], rx, access_log)
            .await
            .expect("proxy starts");
        let addr = proxy.addrs()[0];
        Gateway {
            proxy,
            addr,
            tx,
            revision: 1,
            log,
        }
    }

    /// Publishes a new configuration and waits until the proxy uses it.
    pub async fn update(&mut self, entities: &Entities) {
        self.revision += 1;
        self.tx
            .send_replace(Arc::new(entities.snapshot(self.revision)));
        tokio::time::timeout(
            Duration::from_secs(10),
            self.proxy.wait_for_revision(self.revision),
        )
        .await
        .expect("proxy applies the new configuration");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> Reply {
        send("GET", &self.url(path), &[], "").await
    }

    /// The next access-log line as JSON.
    pub async fn next_log(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(5), self.log.recv())
            .await
            .expect("an access-log line arrives")
            .expect("log channel open");
        serde_json::from_str(&line).expect("log lines are JSON")
    }
}

/// What a client received.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// For answers from the echo upstream: what it received.
    pub fn echoed(&self) -> Value {
        assert_eq!(self.status, StatusCode::OK, "body: {}", self.body);
        self.json()
    }
}

/// Sends one request on a fresh connection.
pub async fn send(method: &str, url: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let mut request = Request::builder().method(method).uri(url);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let request = request
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("valid request");
    let response = tokio::time::timeout(Duration::from_secs(20), client.request(request))
        .await
        .expect("the gateway answers in time")
        .expect("the request succeeds");
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("body reads").to_bytes();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// An upstream that answers with what it received, as JSON:
/// `{"server", "method", "uri", "headers": {name: value}, "body"}`.
/// Request headers `x-echo-delay-ms` and `x-echo-status` make it wait or change the status.
pub struct Echo {
    pub addr: SocketAddr,
    pub hits: Arc<AtomicUsize>,
    /// TCP connections accepted.
    pub connections: Arc<AtomicUsize>,
}

impl Echo {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn target(&self) -> String {
        self.addr.to_string()
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

pub async fn echo(name: &str) -> Echo {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let name = name.to_string();
    let counter = hits.clone();
    let connections = Arc::new(AtomicUsize::new(0));
    let accepted = connections.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            accepted.fetch_add(1, Ordering::SeqCst);
            let name = name.clone();
            let counter = counter.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let name = name.clone();
                    counter.fetch_add(1, Ordering::SeqCst);
                    async move { Ok::<_, Infallible>(reflect(&name, req).await) }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Echo {
        addr,
        hits,
        connections,
    }
}

async fn reflect(name: &str, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let header = |n: &str| parts.headers.get(n).and_then(|v| v.to_str().ok());
    if let Some(ms) = header("x-echo-delay-ms").and_then(|v| v.parse().ok()) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let status = header("x-echo-status")
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let mut headers = Map::new();
    for name in parts.headers.keys() {
        let values: Vec<&str> = parts
            .headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        headers.insert(name.as_str().to_string(), Value::from(values.join(", ")));
    }
    let reply = json!({
        "server": name,
        "method": parts.method.as_str(),
        "uri": parts.uri.to_string(),
        "headers": headers,
        "body": String::from_utf8_lossy(&body),
    });
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-upstream-name", name)
        .body(Full::new(Bytes::from(reply.to_string())))
        .unwrap()
}

/// An address nothing listens on (bound, then released).
pub async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    addr
}

/// A TLS acceptor presenting one PEM certificate and key (ring, the gateway's provider).
pub fn tls_acceptor(cert: &str, key: &str) -> tokio_rustls::TlsAcceptor {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from_pem_slice(cert.as_bytes()).expect("a PEM certificate")],
            PrivateKeyDer::from_pem_slice(key.as_bytes()).expect("a PEM key"),
        )
        .expect("the key matches the certificate");
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// An upstream whose first `silent` connections take the request and never answer it (they
/// stay open, as a hung server's would); later connections are served as by [`echo`].
pub struct Flaky {
    pub addr: SocketAddr,
    /// TCP connections accepted.
    pub connections: Arc<AtomicUsize>,
    /// Request heads received on the silent connections.
    pub unanswered: Arc<AtomicUsize>,
    /// Requests answered.
    pub answered: Arc<AtomicUsize>,
}

impl Flaky {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn target(&self) -> String {
        self.addr.to_string()
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    pub fn unanswered(&self) -> usize {
        self.unanswered.load(Ordering::SeqCst)
    }

    pub fn answered(&self) -> usize {
        self.answered.load(Ordering::SeqCst)
    }
}

/// A [`Flaky`] upstream that never answers at all.
pub async fn silent_upstream() -> Flaky {
    flaky_upstream("silent", usize::MAX).await
}

pub async fn flaky_upstream(name: &str, silent: usize) -> Flaky {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let flaky = Flaky {
        addr: listener.local_addr().unwrap(),
        connections: Arc::default(),
        unanswered: Arc::default(),
        answered: Arc::default(),
    };
    let (connections, unanswered, answered) = (
        flaky.connections.clone(),
        flaky.unanswered.clone(),
        flaky.answered.clone(),
    );
    let name = name.to_string();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let index = connections.fetch_add(1, Ordering::SeqCst);
            if index < silent {
                tokio::spawn(hold_unanswered(stream, unanswered.clone()));
                continue;
            }
            let (name, answered) = (name.clone(), answered.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    answered.fetch_add(1, Ordering::SeqCst);
                    let name = name.clone();
                    async move { Ok::<_, Infallible>(reflect(&name, req).await) }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    flaky
}

/// Reads a connection until its peer closes it, counting request heads, and answers nothing.
async fn hold_unanswered(mut stream: tokio::net::TcpStream, heads: Arc<AtomicUsize>) {
    use tokio::io::AsyncReadExt;
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = stream.read(&mut buf).await {
        if n == 0 {
            return;
        }
        let had_head = seen.windows(4).any(|w| w == b"\r\n\r\n");
        seen.extend_from_slice(&buf[..n]);
        if !had_head && seen.windows(4).any(|w| w == b"\r\n\r\n") {
            heads.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// What a [`tls_echo`] upstream saw of one request: the SNI of the TLS session it came on
/// (`None` when the client sent none) and its `Host` header.
#[derive(Debug, Clone, PartialEq)]
pub struct TlsSeen {
    pub sni: Option<String>,
    pub host: Option<String>,
}

/// An https upstream presenting `cert` that records, per handshake, the SNI the client sent
/// (`handshakes`), and answers every request with JSON `{"sni", "host"}`: the SNI of its
/// connection and its `Host` header.
pub struct TlsEcho {
    pub addr: SocketAddr,
    pub handshakes: Arc<std::sync::Mutex<Vec<Option<String>>>>,
}

impl TlsEcho {
    pub fn handshakes(&self) -> Vec<Option<String>> {
        self.handshakes.lock().unwrap().clone()
    }
}

pub async fn tls_echo(cert: &str, key: &str) -> TlsEcho {
    let acceptor = tls_acceptor(cert, key);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handshakes = Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = handshakes.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (acceptor, record) = (acceptor.clone(), record.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let sni = tls.get_ref().1.server_name().map(str::to_string);
                record.lock().unwrap().push(sni.clone());
                let service = service_fn(move |req: Request<Incoming>| {
                    let host = req
                        .headers()
                        .get("host")
                        .and_then(|h| h.to_str().ok())
                        .map(str::to_string);
                    let reply = json!({"sni": sni, "host": host}).to_string();
                    async move { Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(reply)))) }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    TlsEcho { addr, handshakes }
}

impl Reply {
    /// For answers from a [`tls_echo`] upstream: what it saw.
    pub fn tls_seen(&self) -> TlsSeen {
        let seen = self.echoed();
        let text = |field: &str| seen[field].as_str().map(str::to_string);
        TlsSeen {
            sni: text("sni"),
            host: text("host"),
        }
    }
}

/// Writes `request` (raw bytes, as a client would) on a new connection to `addr` and returns
/// everything the gateway sent until it closed the connection.
pub async fn raw_exchange(addr: SocketAddr, request: &[u8]) -> String {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    read_until_closed(&mut stream).await
}

/// Everything `stream` still delivers until the gateway closes it (at most 20 s).
pub async fn read_until_closed(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer))
        .await
        .expect("the gateway answers and closes the connection")
        .unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

/// A proxy on one random port, following `configuration`, that closes silent clients and
/// stalled request bodies after `timeout` (`--proxy-client-timeout`).
pub async fn start_with_client_timeout(
    configuration: watch::Receiver<Arc<Snapshot>>,
    timeout: Duration,
) -> RunningProxy {
    proxy::start_with_health(
        vec!["127.0.0.1:0".parse().unwrap()],
        configuration,
        AccessLog::disabled(),
        Arc::default(),
        proxy::ClientSettings {
            timeout,
            ..Default::default()
        },
    )
    .await
    .unwrap()
}
