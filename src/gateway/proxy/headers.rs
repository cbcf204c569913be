//! Header rules for proxying: hop-by-hop headers stay on their hop, and the upstream learns
//! where the request came from through `X-Forwarded-*`.

use http::header::{self, HeaderMap, HeaderName, HeaderValue};

/// Headers that describe one connection (RFC 9110 §7.6.1, plus the legacy
/// `Proxy-Connection`), never forwarded.
const HOP_BY_HOP: [HeaderName; 9] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
    HeaderName::from_static("proxy-connection"),
];

/// Removes hop-by-hop headers, including any the `Connection` header names.
pub fn remove_hop_by_hop(headers: &mut HeaderMap) {
    // Most messages carry none: one pass over the names costs less than nine removals, each
    // hashing its name (this runs twice per proxied request).
    if !headers.keys().any(|name| HOP_BY_HOP.contains(name)) {
        return;
    }
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in &HOP_BY_HOP {
        headers.remove(name);
    }
}

/// What the proxy tells the upstream about the original request.
pub struct Forwarded<'a> {
    pub client_ip: &'a str,
    pub proto: &'static str,
    /// The client's Host without the port.
    pub host: &'a str,
    pub port: u16,
    /// The request path as the client sent it (without the query).
    pub path: &'a str,
    /// The path prefix the route stripped, if any.
    pub prefix: Option<&'a str>,
}

/// Sets `X-Forwarded-*` as Kong does with no trusted IPs: the client's own values are replaced,
/// except `X-Forwarded-For`, to which the client address is appended.
pub fn set_forwarded(headers: &mut HeaderMap, f: &Forwarded<'_>) {
    let xff = HeaderName::from_static("x-forwarded-for");
    let previous: Vec<&str> = headers
        .get_all(&xff)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let value = if previous.is_empty() {
        f.client_ip.to_string()
    } else {
        format!("{}, {}", previous.join(", "), f.client_ip)
    };
    put(headers, xff, &value);
    put(
        headers,
        HeaderName::from_static("x-forwarded-proto"),
        f.proto,
    );
    put(headers, HeaderName::from_static("x-forwarded-host"), f.host);
    put(
        headers,
        HeaderName::from_static("x-forwarded-port"),
        &f.port.to_string(),
    );
    put(headers, HeaderName::from_static("x-forwarded-path"), f.path);
    let prefix = HeaderName::from_static("x-forwarded-prefix");
    match f.prefix {
        Some(p) => put(headers, prefix, p),
        None => {
            headers.remove(prefix);
        }
    }
}

fn put(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    match HeaderValue::from_str(value) {
        Ok(v) => {
            headers.insert(name, v);
        }
        Err(_) => {
            headers.remove(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_and_connection_named_headers_go() {
        let mut h = HeaderMap::new();
        h.insert("connection", "keep-alive, x-private".parse().unwrap());
        h.insert("x-private", "1".parse().unwrap());
        h.insert("keep-alive", "timeout=5".parse().unwrap());
        h.insert("te", "trailers".parse().unwrap());
        h.insert("x-kept", "1".parse().unwrap());
        remove_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1);
        assert!(h.contains_key("x-kept"));
    }
}
