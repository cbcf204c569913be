//! TLS termination on `ssl` listeners: the certificate follows the client's SNI (exact, then
//! wildcard, else a self-signed default), changes with the configuration, and https requests get
//! `X-Forwarded-Proto: https`, reach https-only routes and run https-only plugins.

mod proxy_support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use gwctl::gateway::proxy::{self, AccessLog, Listen, RunningProxy};
use gwctl::gateway::snapshot::Snapshot;
use http::StatusCode;
use proxy_support::*;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde_json::{Value, json};
use tokio::sync::watch;

const A_CERT: &str = include_str!("proxy_support/sni_a_cert.pem");
const A_KEY: &str = include_str!("proxy_support/sni_a_key.pem");
const WILD_CERT: &str = include_str!("proxy_support/sni_wild_cert.pem");
const WILD_KEY: &str = include_str!("proxy_support/sni_wild_key.pem");

fn der(pem: &str) -> Vec<u8> {
    CertificateDer::from_pem_slice(pem.as_bytes())
        .unwrap()
        .to_vec()
}

struct Tls {
    proxy: RunningProxy,
    plain: SocketAddr,
    tls: SocketAddr,
    tx: watch::Sender<Arc<Snapshot>>,
}

impl Tls {
    async fn start(entities: &Entities) -> Tls {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let (tx, rx) = watch::channel(Arc::new(entities.snapshot(1)));
        let listens: Vec<Listen> = vec![
            "127.0.0.1:0".parse().unwrap(),
            "127.0.0.1:0 ssl".parse().unwrap(),
        ];
        let proxy = proxy::start_with_health(
            listens,
            rx,
            AccessLog::disabled(),
            Arc::default(),
            proxy::ClientSettings::default(),
        )
        .await
        .unwrap();
        let (plain, tls) = (proxy.listens()[0], proxy.listens()[1]);
        assert!(!plain.tls && tls.tls);
        Tls {
            proxy,
            plain: plain.addr,
            tls: tls.addr,
            tx,
        }
    }

    /// GET `https://{name}:{port}{path}` on the TLS listener (whatever the name, it connects
    /// to the gateway, and sends the name as SNI), returning the status, the body as JSON
    /// when it is JSON, and the certificate the gateway presented.
    async fn https(&self, name: &str, path: &str) -> Result<(StatusCode, Value, Vec<u8>), String> {
        let client = reqwest::Client::builder()
            .resolve(name, self.tls)
            .danger_accept_invalid_certs(true)
            .tls_info(true)
            .build()
            .unwrap();
        let url = format!("https://{name}:{}{path}", self.tls.port());
        let response = client
            .get(&url)
            .send()
            .await
            .map_err(|e| format!("{e:?}"))?;
        let status = response.status();
        let cert = response
            .extensions()
            .get::<reqwest::tls::TlsInfo>()
            .and_then(|i| i.peer_certificate())
            .expect("the TLS info is recorded")
            .to_vec();
        let body = response.text().await.unwrap();
        let body = serde_json::from_str(&body).unwrap_or(Value::String(body));
        Ok((StatusCode::from_u16(status.as_u16()).unwrap(), body, cert))
    }

    async fn update(&self, entities: &Entities, revision: u64) {
        self.tx.send_replace(Arc::new(entities.snapshot(revision)));
        tokio::time::timeout(
            Duration::from_secs(10),
            self.proxy.wait_for_revision(revision),
        )
        .await
        .expect("the proxy applies the new configuration");
    }
}

fn entities(upstream: &str) -> Entities {
    entities_with_cert_a(upstream, A_CERT, A_KEY)
}

/// The test configuration, with `cert` and `key` in the certificate entity `cert-a`.
fn entities_with_cert_a(upstream: &str, cert: &str, key: &str) -> Entities {
    Entities::new()
        .service("s", upstream)
        .route("open", "s", json!({"paths": ["/open"]}))
        .route(
            "secure",
            "s",
            json!({"paths": ["/secure"], "protocols": ["https"]}),
        )
        .route("keyed", "s", json!({"paths": ["/keyed"]}))
        .add(
            "plugins",
            json!({"name": "key-auth", "route": fk("keyed"), "protocols": ["https"]}),
        )
        .add(
            "certificates",
            json!({"id": id("cert-a"), "cert": cert, "key": key}),
        )
        .add(
            "certificates",
            json!({"id": id("cert-wild"), "cert": WILD_CERT, "key": WILD_KEY}),
        )
        .add(
            "snis",
            json!({"name": "a.test", "certificate": fk("cert-a")}),
        )
        .add(
            "snis",
            json!({"name": "*.wild.test", "certificate": fk("cert-wild")}),
        )
}

#[tokio::test]
async fn the_certificate_follows_the_sni() {
    let up = echo("up").await;
    let gw = Tls::start(&entities(&up.url())).await;

    let (status, body, cert) = gw.https("a.test", "/open").await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cert, der(A_CERT));
    assert_eq!(body["headers"]["x-forwarded-proto"], "https");
    assert_eq!(
        body["headers"]["x-forwarded-port"],
        gw.tls.port().to_string()
    );

    let (status, _, cert) = gw.https("api.wild.test", "/open").await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cert, der(WILD_CERT));

    // A wildcard covers one label only; other names, and clients sending no SNI (an IP
    // address), get the self-signed default certificate.
    let (status, _, default) = gw.https("nope.test", "/open").await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(default != der(A_CERT) && default != der(WILD_CERT));
    let (_, _, cert) = gw.https("deep.api.wild.test", "/open").await.unwrap();
    assert_eq!(cert, default);
    let (status, _, cert) = gw.https("127.0.0.1", "/open").await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cert, default);

    // The plain listener still serves plain HTTP.
    let reply = send("GET", &format!("http://{}/open", gw.plain), &[], "").await;
    assert_eq!(reply.echoed()["headers"]["x-forwarded-proto"], "http");
}

#[tokio::test]
async fn https_routes_and_plugins_apply_on_the_tls_listener_only() {
    let up = echo("up").await;
    let gw = Tls::start(&entities(&up.url())).await;

    let reply = send("GET", &format!("http://{}/secure", gw.plain), &[], "").await;
    assert_eq!(reply.status, StatusCode::UPGRADE_REQUIRED);
    let (status, _, _) = gw.https("a.test", "/secure").await.unwrap();
    assert_eq!(status, StatusCode::OK);

    // key-auth runs for https only.
    let reply = send("GET", &format!("http://{}/keyed", gw.plain), &[], "").await;
    assert_eq!(reply.status, StatusCode::OK);
    let (status, _, _) = gw.https("a.test", "/keyed").await.unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn certificates_change_with_the_configuration() {
    let up = echo("up").await;
    let first = entities(&up.url());
    let gw = Tls::start(&first).await;
    let (_, _, default) = gw.https("new.test", "/open").await.unwrap();
    assert_ne!(default, der(WILD_CERT));

    // A new SNI is served as soon as the configuration that holds it is in use.
    let second = first.add(
        "snis",
        json!({"name": "new.test", "certificate": fk("cert-wild")}),
    );
    gw.update(&second, 2).await;
    let (status, _, cert) = gw.https("new.test", "/open").await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cert, der(WILD_CERT));
    let (_, _, cert) = gw.https("a.test", "/open").await.unwrap();
    assert_eq!(cert, der(A_CERT));
}

#[tokio::test]
async fn a_renewed_certificate_is_served_from_the_next_configuration() {
    let up = echo("up").await;
    let gw = Tls::start(&entities(&up.url())).await;
    let (_, _, cert) = gw.https("a.test", "/open").await.unwrap();
    assert_eq!(cert, der(A_CERT));

    // The same entity (same id) now holds another certificate and key, as a renewal through
    // the Admin API stores it; rebuilds reuse parsed certificates only while unchanged.
    let renewed = entities_with_cert_a(&up.url(), WILD_CERT, WILD_KEY);
    gw.update(&renewed, 2).await;
    let (status, _, cert) = gw.https("a.test", "/open").await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cert, der(WILD_CERT));
}

#[tokio::test]
async fn a_default_certificate_of_your_own_replaces_the_generated_one() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let up = echo("up").await;
    let (_tx, rx) = watch::channel(Arc::new(entities(&up.url()).snapshot(1)));
    let proxy = proxy::start_with_health(
        vec!["127.0.0.1:0 ssl".parse().unwrap()],
        rx,
        AccessLog::disabled(),
        Arc::default(),
        proxy::ClientSettings {
            default_certificate: Some(proxy::tls::default_certificate(A_CERT, A_KEY).unwrap()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let addr = proxy.addrs()[0];
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .tls_info(true)
        .build()
        .unwrap();
    let response = client
        .get(format!("https://{addr}/open"))
        .send()
        .await
        .unwrap();
    let cert = response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|i| i.peer_certificate())
        .unwrap()
        .to_vec();
    assert_eq!(
        cert,
        der(A_CERT),
        "a client sending no SNI gets the given default"
    );
}

#[test]
fn serve_refuses_a_default_certificate_whose_key_does_not_match() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/proxy_support");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_gwctl"))
        .args(["serve", "--db", ":memory:", "--proxy-tls-cert"])
        .arg(dir.join("sni_a_cert.pem"))
        .arg("--proxy-tls-key")
        .arg(dir.join("sni_wild_key.pem"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("does not belong"), "{stderr}");
    assert!(stderr.contains("sni_wild_key.pem"), "{stderr}");
    let key_line = WILD_KEY.lines().nth(1).unwrap();
    assert!(!stderr.contains(key_line), "{stderr}");
}

/// Accepts any server certificate, records it, and offers only ECDSA P-256 signatures, as a
/// client that cannot use RSA keys would.
#[derive(Debug)]
struct EcdsaOnly(std::sync::Mutex<Vec<u8>>);

impl rustls::client::danger::ServerCertVerifier for EcdsaOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        *self.0.lock().unwrap() = end_entity.to_vec();
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        vec![rustls::SignatureScheme::ECDSA_NISTP256_SHA256]
    }
}

#[tokio::test]
async fn clients_that_cannot_use_the_main_key_get_the_alternate_certificate() {
    let up = echo("up").await;
    // a.test's certificate is RSA; its alternate is the ECDSA one.
    let both = Entities::new()
        .service("s", &up.url())
        .route("open", "s", json!({"paths": ["/open"]}))
        .add(
            "certificates",
            json!({"id": id("cert-a"), "cert": A_CERT, "key": A_KEY,
                   "cert_alt": WILD_CERT, "key_alt": WILD_KEY}),
        )
        .add(
            "snis",
            json!({"name": "a.test", "certificate": fk("cert-a")}),
        );
    let gw = Tls::start(&both).await;
    let (_, _, cert) = gw.https("a.test", "/open").await.unwrap();
    assert_eq!(
        cert,
        der(A_CERT),
        "clients that take RSA get the main certificate"
    );

    let verifier = Arc::new(EcdsaOnly(Default::default()));
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .dangerous()
    .with_custom_certificate_verifier(verifier.clone())
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(gw.tls).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("a.test").unwrap();
    connector
        .connect(name, tcp)
        .await
        .expect("the handshake succeeds with the ECDSA certificate");
    assert_eq!(*verifier.0.lock().unwrap(), der(WILD_CERT));
}

#[tokio::test]
async fn routes_with_snis_take_only_https_requests_for_those_names() {
    let (sni_up, other_up) = (echo("by-sni").await, echo("other").await);
    let gw = Tls::start(
        &entities(&other_up.url())
            .service("sni-service", &sni_up.url())
            .route("other", "s", json!({"paths": ["/shared"]}))
            .route(
                "by-sni",
                "sni-service",
                json!({"paths": ["/shared"], "snis": ["a.test", "*.wild.test"]}),
            ),
    )
    .await;
    let server = |body: &Value| body["server"].as_str().unwrap_or_default().to_string();

    // Over TLS, the route with `snis` takes the names it lists (exact and wildcard), and
    // outranks the route without them, as its extra field counts in Kong's priority.
    let (status, body, _) = gw.https("a.test", "/shared").await.unwrap();
    assert_eq!((status, server(&body)), (StatusCode::OK, "by-sni".into()));
    let (_, body, _) = gw.https("api.wild.test", "/shared").await.unwrap();
    assert_eq!(server(&body), "by-sni");
    // Other names, and a client sending no SNI, fall to the other route.
    let (_, body, _) = gw.https("nope.test", "/shared").await.unwrap();
    assert_eq!(server(&body), "other");
    let (_, body, _) = gw.https("127.0.0.1", "/shared").await.unwrap();
    assert_eq!(server(&body), "other");

    // Plain HTTP has no SNI and Kong does not consider `snis` for it.
    let reply = send("GET", &format!("http://{}/shared", gw.plain), &[], "").await;
    assert_eq!(reply.echoed()["server"], "by-sni");
}
