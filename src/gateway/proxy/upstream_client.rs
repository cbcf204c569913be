//! Connectors to upstreams, plain or TLS (rustls with ring), and the pooled clients that
//! active health probes use.
//!
//! A hyper connector has one connect timeout, so there is one connector per distinct
//! (`connect_timeout`, verify-certificates) pair. Each proxy worker thread keeps its own (a
//! thread-local cache that outlives configurations); the connections they make are pooled per
//! thread by `upstream_pool`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use hyper_rustls::{FixedServerNameResolver, HttpsConnector};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::gateway::plugins::Body;

pub type Connector = HttpsConnector<HttpConnector>;
pub type HttpClient = Client<Connector, Body>;

/// Which connector a service uses: its connect timeout in ms, and whether to verify
/// certificates.
pub type ClientKey = (u64, bool);

pub fn client_key(connect_timeout: Duration, verify: bool) -> ClientKey {
    (connect_timeout.as_millis() as u64, verify)
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
            .or_insert_with(|| build_connector(Duration::from_millis(key.0), key.1, None))
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
    Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(Duration::from_secs(60))
        .build(build_connector(connect_timeout, verify, server_name))
}

fn build_connector(
    connect_timeout: Duration,
    verify: bool,
    server_name: Option<ServerName<'static>>,
) -> Connector {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(connect_timeout));
    http.set_keepalive(Some(Duration::from_secs(60)));
    let tls = if verify {
        verifying_config()
    } else {
        non_verifying_config()
    };
    let builder = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http();
    let builder = match server_name {
        Some(name) => builder.with_server_name_resolver(FixedServerNameResolver::new(name)),
        None => builder,
    };
    builder.enable_http1().wrap_connector(http)
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

fn verifying_config() -> ClientConfig {
    ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_root_certificates(native_roots())
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
