//! Header rules for proxying: hop-by-hop headers stay on their hop, and the upstream learns
//! where the request came from through `X-Forwarded-*`.

use http::header::{self, HeaderMap, HeaderName, HeaderValue};

/// Headers the proxy never passes on. The first [`HOP_BY_HOP`] describe one connection (RFC
/// 9110 §7.6.1, plus the legacy `Proxy-Connection`) and stay on their hop both ways; the last
/// two are end-to-end request headers Kong does not send upstream: `Proxy` (httpoxy,
/// CVE-2016-5385: an upstream CGI would take it as `HTTP_PROXY`; Kong clears it in its access
/// phase) and `Expect` (nginx's proxy module sends it empty: the gateway answers
/// `100 Continue` itself). A `static`, not a `const`: a `const` array is built and dropped
/// again at every use.
static NOT_FORWARDED: [HeaderName; 11] = [
    header::CONNECTION, // first: `remove_listed` reads its values
    HeaderName::from_static("keep-alive"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
    HeaderName::from_static("proxy-connection"),
    HeaderName::from_static("proxy"),
    header::EXPECT,
];

/// How many of [`NOT_FORWARDED`] are hop-by-hop.
const HOP_BY_HOP: usize = 9;

/// Removes hop-by-hop headers, including any the `Connection` header names (a response).
pub fn remove_hop_by_hop(headers: &mut HeaderMap) {
    remove_listed(headers, &NOT_FORWARDED[..HOP_BY_HOP]);
}

/// Removes what a request must not carry upstream: hop-by-hop headers, those `Connection`
/// names, `Proxy` and `Expect`.
pub fn remove_for_upstream(headers: &mut HeaderMap) {
    remove_listed(headers, &NOT_FORWARDED);
}

/// Where `name` is in [`NOT_FORWARDED`]. One `match` on the name's text (which the compiler
/// splits by length first) rather than eleven `HeaderName` comparisons: for every header of
/// every request and response, that search was 3.6% of a proxied request's instructions.
fn not_forwarded_index(name: &HeaderName) -> Option<usize> {
    Some(match name.as_str() {
        "connection" => 0,
        "keep-alive" => 1,
        "proxy-authenticate" => 2,
        "proxy-authorization" => 3,
        "te" => 4,
        "trailer" => 5,
        "transfer-encoding" => 6,
        "upgrade" => 7,
        "proxy-connection" => 8,
        "proxy" => 9,
        "expect" => 10,
        _ => return None,
    })
}

fn remove_listed(headers: &mut HeaderMap, listed: &[HeaderName]) {
    // One pass over the names finds which are there: most requests carry none, most responses
    // only `Connection: keep-alive`, and each removal hashes its name (this runs twice per
    // proxied request).
    let mut present = [false; NOT_FORWARDED.len()];
    for name in headers.keys() {
        if let Some(i) = not_forwarded_index(name).filter(|&i| i < listed.len()) {
            present[i] = true;
        }
    }
    if present[0] {
        // `listed[0]` is `Connection`: the headers it names go too. Its values are taken
        // out first (usually one, so the rest collects nothing and allocates nothing).
        let mut values = headers.get_all(header::CONNECTION).iter();
        let first = values.next().cloned();
        let rest: Vec<HeaderValue> = values.cloned().collect();
        for value in first.iter().chain(&rest) {
            let Ok(value) = value.to_str() else { continue };
            for name in value.split(',').map(str::trim) {
                // `close`, and the listed names (removed below when present), are the usual
                // tokens: skipping them spares a header-name parse and a lookup each.
                let known = name.eq_ignore_ascii_case("close")
                    || listed.iter().any(|h| name.eq_ignore_ascii_case(h.as_str()));
                if !known {
                    headers.remove(name);
                }
            }
        }
    }
    for (name, _) in listed.iter().zip(present).filter(|(_, there)| *there) {
        headers.remove(name);
    }
}

/// The `Server` of answers the gateway makes (and of proxied ones whose upstream sent none), as
/// Kong's `server_tokens` (`kong/<version>`) with gwctl's name.
pub const SERVER_TOKENS: HeaderValue =
    HeaderValue::from_static(concat!("gwctl/", env!("CARGO_PKG_VERSION")));

/// The `Via` the proxy adds going up and coming back, as Kong does with its own name: the
/// client's protocol version as Lua prints it (`1`, `1.1`, `2`), then the proxy's name.
pub fn via(version: http::Version) -> HeaderValue {
    const VIA_1_0: HeaderValue =
        HeaderValue::from_static(concat!("1 gwctl/", env!("CARGO_PKG_VERSION")));
    const VIA_1_1: HeaderValue =
        HeaderValue::from_static(concat!("1.1 gwctl/", env!("CARGO_PKG_VERSION")));
    const VIA_2: HeaderValue =
        HeaderValue::from_static(concat!("2 gwctl/", env!("CARGO_PKG_VERSION")));
    match version {
        http::Version::HTTP_10 | http::Version::HTTP_09 => VIA_1_0,
        http::Version::HTTP_2 | http::Version::HTTP_3 => VIA_2,
        _ => VIA_1_1,
    }
}

/// Sets the upstream request's `Via` as Kong does: the client's own `Via` (all its values)
/// followed by the proxy's.
pub fn set_via(headers: &mut HeaderMap, version: http::Version) {
    append_to_list(headers, header::VIA, via(version));
}

/// Appends `own` to the comma-separated list the client sent under `name` (all its lines
/// joined into one), or sets `own` alone when the client sent none, the usual case, which
/// joins and allocates nothing.
fn append_to_list(headers: &mut HeaderMap, name: HeaderName, own: HeaderValue) {
    let mut values = headers.get_all(&name).iter();
    let Some(first) = values.next() else {
        headers.insert(name, own);
        return;
    };
    let mut chain = first.as_bytes().to_vec();
    for value in values {
        chain.extend_from_slice(b", ");
        chain.extend_from_slice(value.as_bytes());
    }
    chain.extend_from_slice(b", ");
    chain.extend_from_slice(own.as_bytes());
    let joined = HeaderValue::from_bytes(&chain).unwrap_or(own);
    headers.insert(name, joined);
}

/// "10" to "99", two bytes each, for `millis`.
const TWO_DIGITS: [u8; 180] = {
    let mut out = [0; 180];
    let mut i = 0;
    while i < 90 {
        out[2 * i] = b'0' + ((i + 10) / 10) as u8;
        out[2 * i + 1] = b'0' + ((i + 10) % 10) as u8;
        i += 1;
    }
    out
};
static TWO_DIGITS_TEXT: &str = match std::str::from_utf8(&TWO_DIGITS) {
    Ok(text) => text,
    Err(_) => panic!("digits are ASCII"),
};

/// A latency in milliseconds as a header value. Below 100 ms (what the proxy itself takes, and
/// a near upstream) the text is static, where formatting would allocate every time.
pub fn millis(ms: u64) -> HeaderValue {
    match ms {
        0..=9 => {
            let i = ms as usize;
            HeaderValue::from_static(&"0123456789"[i..i + 1])
        }
        10..=99 => {
            let i = 2 * (ms as usize - 10);
            HeaderValue::from_static(&TWO_DIGITS_TEXT[i..i + 2])
        }
        _ => HeaderValue::from(ms),
    }
}

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_FORWARDED_PORT: HeaderName = HeaderName::from_static("x-forwarded-port");
const X_FORWARDED_PATH: HeaderName = HeaderName::from_static("x-forwarded-path");
const X_FORWARDED_PREFIX: HeaderName = HeaderName::from_static("x-forwarded-prefix");
const X_REAL_IP: HeaderName = HeaderName::from_static("x-real-ip");
pub const X_KONG_REQUEST_ID: HeaderName = HeaderName::from_static("x-kong-request-id");

/// What the proxy tells the upstream about the original request.
pub struct Forwarded<'a> {
    /// The client's address, formatted once per connection.
    pub client_ip: &'a HeaderValue,
    pub proto: &'static str,
    /// The client's Host without the port, lowercase (as nginx's `$host`, and as routing
    /// compared it).
    pub host: &'a str,
    /// The port of the listener the request came in on.
    pub port: &'a HeaderValue,
    /// The request path as the client sent it (without the query).
    pub path: &'a str,
    /// The path prefix the route stripped, if any.
    pub prefix: Option<&'a str>,
}

/// Sets `X-Forwarded-*` as Kong does with no trusted IPs: the client's own values are replaced,
/// except `X-Forwarded-For`, to which the client address is appended. `X-Real-IP` is the
/// client address whatever the client sent (Kong's `proxy_set_header X-Real-IP
/// $remote_addr`), `X-Forwarded-Host` is the lowercase host routing used, and a stripped
/// prefix of just `/` is not announced (Kong sets `X-Forwarded-Prefix` only for a prefix other
/// than `/`).
pub fn set_forwarded(headers: &mut HeaderMap, f: &Forwarded<'_>) {
    append_to_list(headers, X_FORWARDED_FOR, f.client_ip.clone());
    headers.insert(X_REAL_IP, f.client_ip.clone());
    headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static(f.proto));
    put(headers, X_FORWARDED_HOST, f.host);
    headers.insert(X_FORWARDED_PORT, f.port.clone());
    put(headers, X_FORWARDED_PATH, f.path);
    match f.prefix {
        Some(p) if p != "/" => put(headers, X_FORWARDED_PREFIX, p),
        _ => {
            headers.remove(X_FORWARDED_PREFIX);
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
    fn the_index_lookup_agrees_with_the_list() {
        for (i, name) in NOT_FORWARDED.iter().enumerate() {
            assert_eq!(not_forwarded_index(name), Some(i), "{name}");
        }
        for name in ["host", "x-forwarded-for", "content-length", "proxyx", "t"] {
            assert_eq!(not_forwarded_index(&HeaderName::from_static(name)), None);
        }
    }

    #[test]
    fn millis_reads_as_the_number_it_was_given() {
        for ms in (0..200).chain([1234, u64::MAX]) {
            assert_eq!(millis(ms).to_str().unwrap(), ms.to_string());
        }
    }

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

    #[test]
    fn every_connection_value_counts_and_odd_tokens_are_harmless() {
        let mut h = HeaderMap::new();
        h.append("connection", "X-One,, ".parse().unwrap());
        h.append("connection", "x-two, not a name".parse().unwrap());
        h.insert("x-one", "1".parse().unwrap());
        h.insert("x-two", "2".parse().unwrap());
        h.insert("proxy-connection", "keep-alive".parse().unwrap());
        h.insert("x-kept", "1".parse().unwrap());
        remove_hop_by_hop(&mut h);
        assert_eq!(h.keys().collect::<Vec<_>>(), ["x-kept"]);
    }

    #[test]
    fn proxy_and_expect_stay_with_the_gateway() {
        let mut h = HeaderMap::new();
        h.insert("proxy", "http://evil:8080".parse().unwrap());
        h.insert("expect", "100-continue".parse().unwrap());
        h.insert("x-kept", "1".parse().unwrap());
        remove_for_upstream(&mut h);
        assert_eq!(h.keys().collect::<Vec<_>>(), ["x-kept"]);
    }

    #[test]
    fn without_hop_by_hop_headers_nothing_changes() {
        let mut h = HeaderMap::new();
        h.insert("x-a", "1".parse().unwrap());
        h.append("x-a", "2".parse().unwrap());
        let before = h.clone();
        remove_hop_by_hop(&mut h);
        assert_eq!(h, before);
    }
}
