//! An upstream address (a service's own, or a balancer target's) with what every request to it
//! needs, computed once when the configuration is built rather than for each request.

use std::sync::Arc;

use http::HeaderValue;

/// `host:port`, with brackets around an IPv6 host. Built without `format!`: formatting
/// machinery was a tenth of the proxy's own work per request.
pub fn authority(host: &str, port: u16) -> String {
    let mut digits = itoa::Buffer::new();
    let port = digits.format(port);
    if host.contains(':') {
        ["[", host, "]:", port].concat()
    } else {
        [host, ":", port].concat()
    }
}

/// The port a scheme implies, which a `Host` header leaves out.
pub fn default_port(scheme: &str) -> u16 {
    if scheme == "https" { 443 } else { 80 }
}

#[derive(Debug, Clone)]
pub struct Address {
    pub port: u16,
    /// `host:port`: the connection pool's key, and the target the access log names.
    pub authority: Arc<str>,
    /// The `Host` header without the port (IPv6 in brackets); `None` when the host cannot be
    /// a header value (the request then fails with that reason).
    host_alone: Option<HeaderValue>,
    /// The `Host` header with the port.
    host_and_port: Option<HeaderValue>,
}

impl Address {
    pub fn new(host: &str, port: u16) -> Address {
        let authority = authority(host, port);
        let bracketed = if host.contains(':') {
            ["[", host, "]"].concat()
        } else {
            host.to_string()
        };
        Address {
            port,
            host_alone: HeaderValue::from_str(&bracketed).ok(),
            host_and_port: HeaderValue::from_str(&authority).ok(),
            authority: authority.into(),
        }
    }

    /// The `Host` header for a request over `scheme`: the port only when it is not the
    /// scheme's default.
    pub fn host_header(&self, scheme: &str) -> Result<HeaderValue, String> {
        let value = if self.port == default_port(scheme) {
            &self.host_alone
        } else {
            &self.host_and_port
        };
        value
            .clone()
            .ok_or_else(|| format!("invalid Host header for {:?}", self.authority))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_header_leaves_out_the_schemes_default_port() {
        let plain = Address::new("api.test", 80);
        assert_eq!(&*plain.authority, "api.test:80");
        assert_eq!(plain.host_header("http").unwrap(), "api.test");
        assert_eq!(plain.host_header("https").unwrap(), "api.test:80");
        let v6 = Address::new("::1", 443);
        assert_eq!(&*v6.authority, "[::1]:443");
        assert_eq!(v6.host_header("https").unwrap(), "[::1]");
        assert_eq!(v6.host_header("http").unwrap(), "[::1]:443");
    }

    #[test]
    fn a_host_that_cannot_be_a_header_fails_when_used() {
        let bad = Address::new("bad\nhost", 8080);
        let err = bad.host_header("http").unwrap_err();
        assert!(err.contains("invalid Host header"), "{err}");
    }
}
