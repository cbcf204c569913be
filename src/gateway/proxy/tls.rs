//! TLS termination for `ssl` listeners: the certificate for each handshake is chosen by the
//! client's SNI from the stored certificates and SNIs, as Kong does, and follows
//! configuration changes like everything else (it is part of [`super::config::ProxyConfig`]).
//!
//! Lookup order for a server name: the exact SNI; the name with its first label replaced by
//! `*` (`*.example.com`); the name with its last label replaced by `*` (`example.*`). With no
//! match, or no name sent, the client gets the default certificate: the one `serve` was given
//! (`--proxy-tls-cert`), else a self-signed one made at start, as Kong makes one, so clients
//! that skip verification (`curl -k`) still connect.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use rustls::crypto::ring::sign::any_supported_type;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use serde_json::{Map, Value};

use super::handler::Shared;
use super::upstream_client::provider;
use crate::gateway::snapshot::{Snapshot, foreign_id};

/// Certificates parsed by earlier rebuilds, by id, with the entity text each came from.
/// Every Admin API write rebuilds the configuration; with this, a rebuild parses only the
/// certificates that changed instead of every certificate and key again.
#[derive(Default)]
pub struct CertificateCache {
    parsed: Mutex<HashMap<Arc<str>, Parsed>>,
}

struct Parsed {
    /// The entity's text, shared with the snapshot it was read from (not a copy of it).
    text: Arc<str>,
    pair: Result<Arc<KeyPair>, String>,
}

/// A certificate with its key, and the alternate pair Kong allows (`cert_alt`/`key_alt`,
/// typically ECDSA beside RSA) for clients that cannot use the first.
struct KeyPair {
    main: Arc<CertifiedKey>,
    alternate: Option<Arc<CertifiedKey>>,
}

/// Server certificates by SNI.
#[derive(Default)]
pub struct Certificates {
    by_name: HashMap<String, Arc<KeyPair>>,
}

impl Certificates {
    /// Reads the snapshot's certificates and SNIs; a certificate that cannot be used is left
    /// out with a problem that names it (never its key). Certificates whose entity is the
    /// same as at the last build come from `cache`.
    pub fn build(
        snapshot: &Snapshot,
        cache: &CertificateCache,
        problems: &mut Vec<String>,
    ) -> Certificates {
        let texts = snapshot
            .entities
            .get("certificates")
            .map_or(&[][..], Vec::as_slice);
        let mut cached = cache.parsed.lock().unwrap_or_else(PoisonError::into_inner);
        let mut pairs = HashMap::with_capacity(texts.len());
        for (id, text) in texts {
            let parsed = match cached.remove(id) {
                // Unchanged entities share their text with the last snapshot: a pointer
                // comparison, and a text comparison only after a reload.
                Some(p) if Arc::ptr_eq(&p.text, text) || p.text == *text => p,
                _ => Parsed {
                    text: text.clone(),
                    pair: parse_certificate(text).map(Arc::new),
                },
            };
            if let Err(why) = &parsed.pair {
                problems.push(format!("certificate {id} is not served: {why}"));
            }
            pairs.insert(id.clone(), parsed);
        }
        // Certificates no longer in the snapshot leave the cache here.
        *cached = pairs;

        let mut by_name = HashMap::new();
        for sni in snapshot.of_kind("snis") {
            let (Some(name), Some(cert)) = (
                sni.get("name").and_then(Value::as_str),
                foreign_id(&sni, "certificate"),
            ) else {
                continue;
            };
            if let Some(Ok(pair)) = cached.get(cert).map(|p| &p.pair) {
                by_name.insert(name.to_ascii_lowercase(), pair.clone());
            }
        }
        Certificates { by_name }
    }

    fn find(&self, server_name: &str) -> Option<&KeyPair> {
        let name = server_name.to_ascii_lowercase();
        let first_label_wild = name.split_once('.').map(|(_, rest)| format!("*.{rest}"));
        let last_label_wild = name.rsplit_once('.').map(|(rest, _)| format!("{rest}.*"));
        std::iter::once(Some(name))
            .chain([first_label_wild, last_label_wild])
            .flatten()
            .find_map(|candidate| self.by_name.get(&candidate))
            .map(|pair| &**pair)
    }

    /// The certificate for a handshake: the pair for the client's SNI, its alternate when the
    /// client supports none of the main key's signature schemes.
    fn choose(&self, hello: &ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let pair = self.find(hello.server_name()?)?;
        let schemes = hello.signature_schemes();
        match &pair.alternate {
            Some(alternate) if pair.main.key.choose_scheme(schemes).is_none() => {
                Some(alternate.clone())
            }
            _ => Some(pair.main.clone()),
        }
    }
}

fn parse_certificate(text: &str) -> Result<KeyPair, String> {
    let entity = serde_json::from_str::<Map<String, Value>>(text)
        .map_err(|_| "its stored entity cannot be read".to_string())?;
    key_pair(&entity)
}

fn key_pair(cert: &Map<String, Value>) -> Result<KeyPair, String> {
    let text = |field: &str| cert.get(field).and_then(Value::as_str);
    let main = certified_key(text("cert"), text("key"))?.ok_or("it has no certificate or key")?;
    let alternate = certified_key(text("cert_alt"), text("key_alt"))
        .map_err(|why| format!("cert_alt/key_alt: {why}"))?;
    Ok(KeyPair {
        main: Arc::new(main),
        alternate: alternate.map(Arc::new),
    })
}

fn certified_key(cert: Option<&str>, key: Option<&str>) -> Result<Option<CertifiedKey>, String> {
    let (Some(cert), Some(key)) = (cert, key) else {
        return Ok(None);
    };
    let chain = CertificateDer::pem_slice_iter(cert.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("its certificate cannot be read ({e})"))?;
    if chain.is_empty() {
        return Err("its certificate holds no PEM certificate".into());
    }
    // The error says what kind of problem, never any part of the key.
    let key = PrivateKeyDer::from_pem_slice(key.as_bytes())
        .map_err(|_| "its key is not a PEM private key".to_string())?;
    let signer = any_supported_type(&key)
        .map_err(|_| "its key type is not supported (RSA, ECDSA or Ed25519)".to_string())?;
    let certified = CertifiedKey::new(chain, signer);
    certified
        .keys_match()
        .map_err(|_| "its key does not belong to its certificate".to_string())?;
    Ok(Some(certified))
}

/// Picks certificates from the configuration in use at each handshake.
struct SniResolver {
    shared: Arc<Shared>,
    /// For names no SNI matches; `None` only if generating it failed.
    default: Option<Arc<CertifiedKey>>,
}

impl std::fmt::Debug for SniResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SniResolver")
    }
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let chosen = self.shared.config.load().certificates.choose(&hello);
        if chosen.is_none() {
            tracing::debug!(
                sni = hello.server_name().unwrap_or(""),
                "no certificate for this name: the default one answers"
            );
        }
        chosen.or_else(|| self.default.clone())
    }
}

/// A self-signed certificate for `localhost`, `127.0.0.1` and `::1` with a new key, as Kong
/// generates its default certificate.
fn self_signed_certificate() -> Result<CertifiedKey, String> {
    let made =
        rcgen::generate_simple_self_signed(["localhost", "127.0.0.1", "::1"].map(String::from))
            .map_err(|e| e.to_string())?;
    let key = PrivateKeyDer::Pkcs8(made.signing_key.serialize_der().into());
    let signer = any_supported_type(&key).map_err(|e| e.to_string())?;
    Ok(CertifiedKey::new(vec![made.cert.der().clone()], signer))
}

/// A default certificate from PEM text (Kong's `ssl_cert` and `ssl_cert_key`).
pub fn default_certificate(cert: &str, key: &str) -> Result<Arc<CertifiedKey>, String> {
    certified_key(Some(cert), Some(key))?
        .map(Arc::new)
        .ok_or_else(|| "no certificate or key".to_string())
}

/// The TLS settings of `ssl` listeners: HTTP/2 and HTTP/1.1 offered by ALPN; `default` answers
/// names no SNI matches (a self-signed certificate is made when it is `None`).
pub fn server_config(
    shared: Arc<Shared>,
    default: Option<Arc<CertifiedKey>>,
) -> Arc<rustls::ServerConfig> {
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(SniResolver {
            shared,
            default: default.or_else(|| match self_signed_certificate() {
                Ok(certificate) => Some(Arc::new(certificate)),
                Err(e) => {
                    tracing::warn!("no default TLS certificate ({e}): names without an SNI fail");
                    None
                }
            }),
        }));
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Arc::new(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const A_CERT: &str = include_str!("../../../tests/proxy_support/sni_a_cert.pem");
    const A_KEY: &str = include_str!("../../../tests/proxy_support/sni_a_key.pem");
    const WILD_KEY: &str = include_str!("../../../tests/proxy_support/sni_wild_key.pem");

    fn entity(body: Value) -> Map<String, Value> {
        body.as_object().unwrap().clone()
    }

    fn build(certificates: Vec<Value>, snis: Vec<Value>) -> (Certificates, Vec<String>) {
        let snapshot = Snapshot::from_entities(
            1,
            [
                (
                    "certificates",
                    certificates.into_iter().map(entity).collect(),
                ),
                ("snis", snis.into_iter().map(entity).collect()),
            ],
        );
        let mut problems = Vec::new();
        let cache = CertificateCache::default();
        (
            Certificates::build(&snapshot, &cache, &mut problems),
            problems,
        )
    }

    #[test]
    fn unusable_certificates_are_named_without_their_keys() {
        let (certificates, problems) = build(
            vec![
                json!({"id": "good", "cert": A_CERT, "key": A_KEY}),
                json!({"id": "mismatched", "cert": A_CERT, "key": WILD_KEY}),
                json!({"id": "garbage", "cert": A_CERT, "key": "not a key"}),
            ],
            vec![
                json!({"name": "Good.Test", "certificate": {"id": "good"}}),
                json!({"name": "bad.test", "certificate": {"id": "mismatched"}}),
            ],
        );
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("mismatched") && problems[0].contains("does not belong"));
        assert!(problems[1].contains("garbage") && problems[1].contains("not a PEM private key"));
        let key_body = WILD_KEY.lines().nth(1).unwrap();
        assert!(problems.iter().all(|p| !p.contains(key_body)));
        assert!(
            certificates.find("good.test").is_some(),
            "names match without case"
        );
        assert!(certificates.find("bad.test").is_none());
    }

    #[test]
    fn wildcards_replace_one_label_at_either_end() {
        let (certificates, _) = build(
            vec![json!({"id": "c", "cert": A_CERT, "key": A_KEY})],
            vec![
                json!({"name": "*.example.com", "certificate": {"id": "c"}}),
                json!({"name": "internal.*", "certificate": {"id": "c"}}),
            ],
        );
        assert!(certificates.find("api.example.com").is_some());
        assert!(certificates.find("internal.corp").is_some());
        assert!(certificates.find("example.com").is_none());
        assert!(certificates.find("a.b.example.com").is_none());
        assert!(certificates.find("internal.corp.net").is_none());
    }

    #[test]
    fn a_rebuild_parses_only_the_certificates_that_changed() {
        let a = json!({"id": "a", "cert": A_CERT, "key": A_KEY});
        let broken = json!({"id": "broken", "cert": A_CERT, "key": WILD_KEY});
        let snis = vec![entity(
            json!({"name": "a.test", "certificate": {"id": "a"}}),
        )];
        let snapshot = |certificates: Vec<&Value>| {
            let certificates = certificates.into_iter().map(|c| entity(c.clone()));
            Snapshot::from_entities(
                1,
                [
                    ("certificates", certificates.collect()),
                    ("snis", snis.clone()),
                ],
            )
        };
        let cache = CertificateCache::default();
        let built = |snapshot: &Snapshot| {
            let mut problems = Vec::new();
            let certificates = Certificates::build(snapshot, &cache, &mut problems);
            (certificates.by_name["a.test"].clone(), problems)
        };

        let first = snapshot(vec![&a, &broken]);
        let (pair, problems) = built(&first);
        assert_eq!(problems.len(), 1, "{problems:?}");
        // The same entities again: the same parsed pair, and the same problem.
        let (again, problems) = built(&first);
        assert!(Arc::ptr_eq(&pair, &again));
        assert_eq!(problems.len(), 1, "{problems:?}");
        // Equal text in a new snapshot (as after a reload) is recognised too.
        let (reloaded, _) = built(&snapshot(vec![&a, &broken]));
        assert!(Arc::ptr_eq(&pair, &reloaded));

        // A changed certificate is parsed again; a removed one leaves the cache.
        let mut changed = a.clone();
        changed["tags"] = json!(["renewed"]);
        let (renewed, problems) = built(&snapshot(vec![&changed]));
        assert!(!Arc::ptr_eq(&pair, &renewed));
        assert!(problems.is_empty(), "{problems:?}");
        let held = cache.parsed.lock().unwrap();
        assert_eq!(held.keys().map(|k| &**k).collect::<Vec<_>>(), ["a"]);
    }
}
