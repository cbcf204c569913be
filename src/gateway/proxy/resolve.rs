//! Host name resolution for upstream connections: the system resolver (`getaddrinfo`, as
//! hyper's own), with its failures marked so that the proxy can answer them as Kong does
//! (503, "name resolution failed") instead of as a failed connection (502).
//!
//! Names under the reserved `.invalid` top-level domain fail at once, without a lookup:
//! RFC 6761 (section 6.4) asks resolvers to answer them negatively themselves, and a system
//! resolver without a reachable DNS server could otherwise keep a request waiting for its
//! timeouts.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper_util::client::legacy::connect::dns::{GaiResolver, Name};
use tower_service::Service;

/// A host name that resolved to no address (no such name, no records, or no answer).
#[derive(Debug, thiserror::Error)]
#[error("name resolution failed for {host:?}: {why}")]
pub struct NameNotResolved {
    host: Box<str>,
    why: String,
}

impl NameNotResolved {
    fn new(host: &str, why: impl Into<String>) -> NameNotResolved {
        NameNotResolved {
            host: host.into(),
            why: why.into(),
        }
    }
}

/// The resolver behind upstream connectors (and health probes).
#[derive(Clone)]
pub struct Resolver(GaiResolver);

impl Default for Resolver {
    fn default() -> Self {
        Resolver(GaiResolver::new())
    }
}

type Lookup = Pin<Box<dyn Future<Output = Result<Addrs, NameNotResolved>> + Send>>;
type Addrs = std::vec::IntoIter<SocketAddr>;

impl Service<Name> for Resolver {
    type Response = Addrs;
    type Error = NameNotResolved;
    type Future = Lookup;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        if is_reserved_invalid(name.as_str()) {
            let failed = NameNotResolved::new(name.as_str(), "the .invalid domain never resolves");
            return Box::pin(std::future::ready(Err(failed)));
        }
        let lookup = self.0.call(name.clone());
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = lookup
                .await
                .map_err(|e| NameNotResolved::new(name.as_str(), e.to_string()))?
                .collect();
            if addrs.is_empty() {
                return Err(NameNotResolved::new(name.as_str(), "no addresses"));
            }
            Ok(addrs.into_iter())
        })
    }
}

/// Whether `host` is `invalid` or under it (case and a final dot aside).
fn is_reserved_invalid(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    let tld = host.rsplit('.').next().unwrap_or(host);
    tld.eq_ignore_ascii_case("invalid")
}

/// Whether `error` or one of its causes is a failed name resolution.
pub fn is_name_not_resolved(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(error);
    while let Some(e) = source {
        // An `io::Error` reports its inner error's source, not the inner error itself.
        let inner = e
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref);
        if e.is::<NameNotResolved>() || inner.is_some_and(|i| i.is::<NameNotResolved>()) {
            return true;
        }
        source = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_under_the_invalid_tld_are_reserved() {
        for host in ["invalid", "x.invalid", "a.b.INVALID", "x.invalid."] {
            assert!(is_reserved_invalid(host), "{host}");
        }
        for host in ["invalid.example", "example.com", "invalidx", "localhost"] {
            assert!(!is_reserved_invalid(host), "{host}");
        }
    }

    #[tokio::test]
    async fn an_invalid_name_fails_at_once_and_is_recognised_behind_its_wrappers() {
        let name: Name = "upstream.invalid".parse().unwrap();
        let started = std::time::Instant::now();
        let error = Resolver::default().call(name).await.unwrap_err();
        assert!(started.elapsed() < std::time::Duration::from_millis(100));
        assert!(error.to_string().contains("upstream.invalid"), "{error}");
        let wrapped = std::io::Error::other(error);
        assert!(is_name_not_resolved(&wrapped));
        assert!(!is_name_not_resolved(&std::io::Error::other("refused")));
    }
}
