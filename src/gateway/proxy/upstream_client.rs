//! Connectors to upstreams, plain or TLS (rustls with ring), and the pooled clients that
//! active health probes use.
//!
//! A connector has one connect timeout, so there is one connector per distinct
//! (`connect_timeout`, verify-certificates) pair. Each proxy worker thread keeps its own (a
//! thread-local cache that outlives configurations); the connections they make are pooled per
//! thread by `upstream_pool`.
//!
//! The proxy's TLS name (SNI, and the name a verified certificate must carry) is given with
//! each connection rather than taken from the address connected to: as in Kong, it is the
//! `Host` the request sends upstream.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use hyper_rustls::{FixedServerNameResolver, HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::net::TcpStream;
use tower_service::Service;

use super::resolve::Resolver;
use crate::gateway::plugins::{Body, BoxError};

type Tcp = HttpConnector<Resolver>;
pub type HttpClient = Client<HttpsConnector<Tcp>, Body>;
/// A connection to an upstream, over TLS or not.
pub type Stream = MaybeHttpsStream<TokioIo<TcpStream>>;

/// Which connector a service uses: its connect timeout in ms, and whether to verify
/// certificates.
pub type ClientKey = (u64, bool);

pub fn client_key(connect_timeout: Duration, verify: bool) -> ClientKey {
    (connect_timeout.as_millis() as u64, verify)
}

/// Opens connections to upstreams with one connect timeout and one certificate policy.
#[derive(Clone)]
pub struct Connector {
    tcp: Tcp,
    tls: Arc<ClientConfig>,
    connect_timeout: Duration,
}

impl Connector {
    fn new(connect_timeout: Duration, verify: bool) -> Connector {
        Connector {
            tcp: tcp_connector(connect_timeout),
            tls: Arc::new(tls_config(verify)),
            connect_timeout,
        }
    }

    /// Connects to `authority` (`host:port`), then, given a `tls_name`, makes a TLS session
    /// for that name. The handshake, like the TCP connect, must finish within the connect
    /// timeout (nginx's `proxy_connect_timeout` covers both).
    pub async fn connect(
        &self,
        authority: &str,
        tls_name: Option<ServerName<'static>>,
    ) -> Result<Stream, BoxError> {
        let uri = http::Uri::try_from(["http://", authority, "/"].concat())?;
        let tcp = self.tcp.clone().call(uri).await?;
        let Some(name) = tls_name else {
            return Ok(MaybeHttpsStream::Http(tcp));
        };
        let handshake =
            tokio_rustls::TlsConnector::from(self.tls.clone()).connect(name, TokioIo::new(tcp));
        let tls = tokio::time::timeout(self.connect_timeout, handshake)
            .await
            .map_err(|_| {
                io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "TLS handshake not done within connect_timeout ({} ms)",
                        self.connect_timeout.as_millis()
                    ),
                )
            })??;
        Ok(MaybeHttpsStream::from(tls))
    }
}

thread_local! {
    static CONNECTORS: RefCell<HashMap<ClientKey, Connector>> = RefCell::new(HashMap::new());
}

/// This thread's connector for `key`; `verify` checks upstream certificates against the
/// system's roots (services with `tls_verify: false` skip that).
pub fn connector(key: ClientKey) -> Connector {
    CONNECTORS.with(|connectors| {
        connectors
            .borrow_mut()
            .entry(key)
            .or_insert_with(|| Connector::new(Duration::from_millis(key.0), key.1))
            .clone()
    })
}

/// A pooled client (for health probes); `server_name` fixes the TLS name (SNI and the name
/// verified) instead of taking it from each request's host.
pub(super) fn build_client(
    connect_timeout: Duration,
    verify: bool,
    server_name: Option<ServerName<'static>>,
) -> HttpClient {
    let builder = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls_config(verify))
        .https_or_http();
    let builder = match server_name {
        Some(name) => builder.with_server_name_resolver(FixedServerNameResolver::new(name)),
        None => builder,
    };
    let connector = builder
        .enable_http1()
        .wrap_connector(tcp_connector(connect_timeout));
    Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(Duration::from_secs(60))
        .build(connector)
}

fn tcp_connector(connect_timeout: Duration) -> Tcp {
    let mut http = HttpConnector::new_with_resolver(Resolver::default());
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(connect_timeout));
    http.set_keepalive(Some(Duration::from_secs(60)));
    http
}

/// HTTP/1.1 only, so no ALPN is offered (as nginx's proxy module offers none).
fn tls_config(verify: bool) -> ClientConfig {
    if verify {
        verifying_config(native_roots())
    } else {
        non_verifying_config()
    }
}

/// The one crypto provider of the proxy's TLS, client and server side.
pub(super) fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The system's trust anchors, loaded once. Missing roots leave the store empty: https
/// upstreams then fail with a 502 and a logged reason instead of the process refusing to start.
fn native_roots() -> Arc<RootCertStore> {
    static ROOTS: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let mut roots = RootCertStore::empty();
            let loaded = rustls_native_certs::load_native_certs();
            for cert in loaded.certs {
                let _ = roots.add(cert);
            }
            if roots.is_empty() {
                tracing::warn!("no system root certificates found; https upstreams will fail");
            }
            Arc::new(roots)
        })
        .clone()
}

fn verifying_config(roots: Arc<RootCertStore>) -> ClientConfig {
    ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

fn non_verifying_config() -> ClientConfig {
    let provider = provider();
    ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
        .with_no_client_auth()
}

/// For services configured with `tls_verify: false`: signatures are still checked, the chain
/// and name are not.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::PrivateKeyDer;
    use tokio::io::AsyncReadExt;

    /// A TLS server on 127.0.0.1 whose certificate names `a.test` only: its address, and the
    /// certificate to trust.
    async fn server_for_a_test() -> (String, CertificateDer<'static>) {
        let made = rcgen::generate_simple_self_signed(vec!["a.test".to_string()]).unwrap();
        let cert = made.cert.der().clone();
        let key = PrivateKeyDer::Pkcs8(made.signing_key.serialize_der().into());
        let config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.clone()], key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    if let Ok(mut tls) = acceptor.accept(stream).await {
                        let _ = tls.read(&mut [0; 16]).await;
                    }
                });
            }
        });
        (addr, cert)
    }

    #[tokio::test]
    async fn a_verified_certificate_must_carry_the_tls_name_asked_for() {
        let (addr, cert) = server_for_a_test().await;
        let mut roots = RootCertStore::empty();
        roots.add(cert).unwrap();
        let timeout = Duration::from_secs(5);
        let connector = Connector {
            tcp: tcp_connector(timeout),
            tls: Arc::new(verifying_config(Arc::new(roots))),
            connect_timeout: timeout,
        };
        let name = |n: &str| Some(ServerName::try_from(n.to_string()).unwrap());
        // The address is 127.0.0.1 either way: only the name asked for decides.
        let connected = connector.connect(&addr, name("a.test")).await;
        assert!(connected.is_ok(), "{:?}", connected.err());
        let refused = connector.connect(&addr, name("b.test")).await.unwrap_err();
        assert!(
            refused.to_string().contains("not valid for name"),
            "{refused}"
        );
    }

    #[tokio::test]
    async fn a_tls_handshake_that_never_ends_is_a_connect_timeout() {
        // Accepts TCP connections and never answers the client's hello.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                held.push(stream);
            }
        });
        let connector = Connector::new(Duration::from_millis(200), false);
        let name = ServerName::try_from("a.test").unwrap();
        let started = std::time::Instant::now();
        let error = connector.connect(&addr, Some(name)).await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(2));
        let io = error.downcast_ref::<io::Error>().expect("an I/O error");
        assert_eq!(io.kind(), io::ErrorKind::TimedOut, "{error}");
    }
}
