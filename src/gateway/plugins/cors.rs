//! cors: answers preflight requests and adds CORS headers to responses (Kong priority 2000).

use async_trait::async_trait;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::{Method, Response, StatusCode};
use regex::Regex;
use serde::Deserialize;
use serde_json::Value;

use super::{Body, Ctx, Flow, PluginRuntime, full_body, parse_config};

#[derive(Debug, Deserialize)]
struct Config {
    origins: Option<Vec<String>>,
    headers: Option<Vec<String>>,
    exposed_headers: Option<Vec<String>>,
    methods: Option<Vec<String>>,
    max_age: Option<f64>,
    #[serde(default)]
    credentials: bool,
    #[serde(default)]
    private_network: bool,
    #[serde(default)]
    preflight_continue: bool,
}

/// The `origins` setting, in the three shapes Kong's handler distinguishes.
enum Origins {
    /// No list, or just `*`: `Access-Control-Allow-Origin: *` on every answer.
    Any,
    /// One plain origin: Kong sends it as it is written, whatever the request's origin (the
    /// browser does the comparing).
    Single(HeaderValue),
    /// Several entries, or one regex: the request's origin is looked up.
    List(Vec<Origin>),
}

enum Origin {
    /// `*` among other entries: every request that has an origin is allowed.
    Any,
    /// A plain origin, normalised; compared with the request's normalised origin.
    Exact(String),
    /// Anchored at both ends. Kong matches a regex without `:` against the origin's host only
    /// (`.*\.example\.com`), one with `:` against the whole normalised origin.
    Pattern { regex: Regex, by_host: bool },
}

impl Origin {
    fn parse(entry: &str) -> Result<Origin, String> {
        if entry == "*" {
            return Ok(Origin::Any);
        }
        if !looks_like_regex(entry) {
            return Ok(Origin::Exact(RequestOrigin::parse(entry).domain));
        }
        // Wrapped rather than stripped of the user's own `^`/`$`: redundant anchors are
        // harmless, while stripping a `$` could break an escaped `\$`.
        Regex::new(&format!("^(?:{entry})$"))
            .map(|regex| Origin::Pattern {
                regex,
                by_host: !entry.contains(':'),
            })
            .map_err(|e| format!("cors: origin {entry:?} is not a valid regex: {e}"))
    }

    fn allows(&self, request: &RequestOrigin) -> bool {
        match self {
            Origin::Any => true,
            Origin::Exact(domain) => domain.eq_ignore_ascii_case(&request.domain),
            Origin::Pattern { regex, by_host } => regex.is_match(if *by_host {
                &request.host
            } else {
                &request.domain
            }),
        }
    }
}

/// Kong treats an entry with characters outside `[A-Za-z0-9.:/-]` as a regex.
fn looks_like_regex(entry: &str) -> bool {
    entry
        .chars()
        .any(|c| !(c.is_ascii_alphanumeric() || ".:/-".contains(c)))
}

/// An origin split as Kong's `normalize_origin` does.
#[derive(Debug, PartialEq)]
struct RequestOrigin {
    /// `scheme://host[:port]`, without the scheme's default port (the whole value when it
    /// has no `scheme://`, such as `null`).
    domain: String,
    /// The host alone (IPv6 without brackets), or the whole value as for `domain`.
    host: String,
}

impl RequestOrigin {
    fn parse(origin: &str) -> RequestOrigin {
        let whole = || RequestOrigin {
            domain: origin.to_string(),
            host: origin.to_string(),
        };
        let Some((scheme, rest)) = origin.split_once("://") else {
            return whole();
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !port.contains(']') => (host, Some(port)),
            _ => (authority, None),
        };
        if host.is_empty() {
            return whole();
        }
        let default_port = (scheme.eq_ignore_ascii_case("http") && port == Some("80"))
            || (scheme.eq_ignore_ascii_case("https") && port == Some("443"));
        let port = port.filter(|_| !default_port);
        let bare = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        RequestOrigin {
            domain: match port {
                Some(port) => format!("{scheme}://{host}:{port}"),
                None => format!("{scheme}://{host}"),
            },
            host: bare.to_string(),
        }
    }
}

pub struct Cors {
    origins: Origins,
    headers: Option<String>,
    exposed_headers: Option<String>,
    methods: String,
    max_age: Option<String>,
    credentials: bool,
    private_network: bool,
    preflight_continue: bool,
}

/// Marks a request whose preflight this plugin handled (or delegated): no CORS headers then.
#[derive(Clone)]
struct SkipResponseHeaders;

impl Cors {
    pub fn new(config: &Value) -> Result<Cors, String> {
        let c: Config = parse_config("cors", config)?;
        let origins = match c.origins.as_deref() {
            None | Some([]) => Origins::Any,
            Some([one]) if one == "*" => Origins::Any,
            Some([one]) if !one.is_empty() && !looks_like_regex(one) => {
                match HeaderValue::from_str(one) {
                    Ok(value) => Origins::Single(value),
                    Err(_) => {
                        return Err(format!("cors: origin {one:?} is not a valid header value"));
                    }
                }
            }
            Some(list) => Origins::List(
                list.iter()
                    .map(|o| Origin::parse(o))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        let join = |v: Option<Vec<String>>| v.filter(|v| !v.is_empty()).map(|v| v.join(","));
        Ok(Cors {
            origins,
            headers: join(c.headers),
            exposed_headers: join(c.exposed_headers),
            methods: c
                .methods
                .unwrap_or_else(|| {
                    [
                        "GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS", "TRACE",
                        "CONNECT",
                    ]
                    .map(String::from)
                    .to_vec()
                })
                .join(","),
            max_age: c.max_age.map(|m| format!("{m}")),
            credentials: c.credentials,
            private_network: c.private_network,
            preflight_continue: c.preflight_continue,
        })
    }

    /// Sets `Access-Control-Allow-Origin`; returns whether every origin is allowed.
    fn configure_origin(&self, origin: Option<&str>, out: &mut HeaderMap) -> bool {
        let list = match &self.origins {
            Origins::Any => {
                out.insert(ALLOW_ORIGIN, HeaderValue::from_static("*"));
                return true;
            }
            Origins::Single(value) => {
                out.append(http::header::VARY, HeaderValue::from_static("Origin"));
                out.insert(ALLOW_ORIGIN, value.clone());
                return false;
            }
            Origins::List(list) => list,
        };
        out.append(http::header::VARY, HeaderValue::from_static("Origin"));
        if let Some(origin) = origin {
            if list.iter().any(|o| matches!(o, Origin::Any)) {
                out.insert(ALLOW_ORIGIN, HeaderValue::from_static("*"));
                return true;
            }
            let request = RequestOrigin::parse(origin);
            if list.iter().any(|o| o.allows(&request))
                && let Ok(v) = HeaderValue::from_str(&request.domain)
            {
                out.insert(ALLOW_ORIGIN, v);
                return false;
            }
        }
        // Removed, not just left unset: an upstream's own `*` must not widen the list.
        out.remove(ALLOW_ORIGIN);
        false
    }

    fn configure_credentials(&self, allow_all: bool, origin: Option<&str>, out: &mut HeaderMap) {
        if !self.credentials {
            return;
        }
        if !allow_all {
            out.insert(ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
            return;
        }
        // `*` cannot go with credentials: echo the origin instead, as Kong does.
        if let Some(origin) = origin.and_then(|o| HeaderValue::from_str(o).ok()) {
            out.insert(ALLOW_ORIGIN, origin);
            out.append(http::header::VARY, HeaderValue::from_static("Origin"));
            out.insert(ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
        }
    }

    fn preflight(&self, request: &HeaderMap) -> Response<Body> {
        let mut response = Response::new(full_body(""));
        *response.status_mut() = StatusCode::OK;
        let out = response.headers_mut();
        let origin = request_origin(request);
        let allow_all = self.configure_origin(origin, out);
        self.configure_credentials(allow_all, origin, out);
        let allow_headers = self.headers.clone().or_else(|| {
            request
                .get("access-control-request-headers")
                .and_then(|h| h.to_str().ok())
                .map(str::to_string)
        });
        if let Some(h) = allow_headers.and_then(|h| HeaderValue::from_str(&h).ok()) {
            out.insert("access-control-allow-headers", h);
        }
        if let Ok(v) = HeaderValue::from_str(&self.methods) {
            out.insert("access-control-allow-methods", v);
        }
        if let Some(v) = self
            .max_age
            .as_deref()
            .and_then(|m| HeaderValue::from_str(m).ok())
        {
            out.insert("access-control-max-age", v);
        }
        if self.private_network
            && request
                .get("access-control-request-private-network")
                .is_some_and(|v| v == "true")
        {
            out.insert(
                "access-control-allow-private-network",
                HeaderValue::from_static("true"),
            );
        }
        response
    }
}

const ALLOW_ORIGIN: HeaderName = HeaderName::from_static("access-control-allow-origin");
const ALLOW_CREDENTIALS: HeaderName = HeaderName::from_static("access-control-allow-credentials");

/// The request's `Origin`; an empty one counts as absent, as in Kong.
fn request_origin(request: &HeaderMap) -> Option<&str> {
    request
        .get(http::header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .filter(|o| !o.is_empty())
}

#[async_trait]
impl PluginRuntime for Cors {
    async fn access(&self, ctx: &mut Ctx) -> Flow {
        let headers = &ctx.request.headers;
        let is_preflight = ctx.request.method == Method::OPTIONS
            && request_origin(headers).is_some()
            && headers.contains_key("access-control-request-method");
        if !is_preflight {
            return Flow::Continue;
        }
        ctx.extensions.insert(SkipResponseHeaders);
        if self.preflight_continue {
            return Flow::Continue;
        }
        Flow::Respond(self.preflight(&ctx.request.headers))
    }

    async fn response(&self, ctx: &mut Ctx, mut response: Response<Body>) -> Response<Body> {
        if ctx.extensions.get::<SkipResponseHeaders>().is_some() {
            return response;
        }
        let out = response.headers_mut();
        let origin = request_origin(&ctx.request.headers);
        let allow_all = self.configure_origin(origin, out);
        self.configure_credentials(allow_all, origin, out);
        if let Some(v) = self
            .exposed_headers
            .as_deref()
            .and_then(|h| HeaderValue::from_str(h).ok())
        {
            out.insert("access-control-expose-headers", v);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_corpus::corpus;

    fn parsed(origin: &str) -> (String, String) {
        let o = RequestOrigin::parse(origin);
        (o.domain, o.host)
    }

    #[test]
    fn origins_normalise_as_kong_does() {
        let pair = |d: &str, h: &str| (d.to_string(), h.to_string());
        assert_eq!(
            parsed("https://example.com:443"),
            pair("https://example.com", "example.com")
        );
        assert_eq!(parsed("http://a.b:8080"), pair("http://a.b:8080", "a.b"));
        assert_eq!(parsed("http://[::1]:80"), pair("http://[::1]", "::1"));
        assert_eq!(parsed("null"), pair("null", "null"));
        assert_eq!(parsed("https://"), pair("https://", "https://"));
    }

    #[test]
    fn regexes_without_a_colon_match_the_host() {
        let host_only = Origin::parse("[a-z]+\\.example\\.com").unwrap();
        assert!(host_only.allows(&RequestOrigin::parse("https://api.example.com")));
        assert!(!host_only.allows(&RequestOrigin::parse("https://api.example.com.evil")));
        let whole = Origin::parse("https://[a-z]+\\.example\\.com").unwrap();
        assert!(whole.allows(&RequestOrigin::parse("https://api.example.com:443")));
        assert!(!whole.allows(&RequestOrigin::parse("http://api.example.com")));
        // An escaped `$` stays escaped.
        assert!(Origin::parse("https://a\\$").is_ok());
    }

    /// Odd origins neither panic nor lose their scheme, and an exact entry allows itself.
    #[test]
    fn odd_origins_parse() {
        let long = format!("https://{}:8443", "a".repeat(100_000));
        let mut origins: Vec<String> = [
            "null",
            "https://",
            "http://",
            "://",
            "://x",
            "http://[::1",
            "http://[::1]",
            "http://[::1]:",
            "http://a:",
            "http://a:b:c",
            "http://a@b@c",
            "http://@",
            "http://:80",
            "http://a/b?c#d",
            "HTTP://A:80",
            "https://ü.example:443",
            "ü://é",
            "*",
            "",
            long.as_str(),
        ]
        .map(String::from)
        .to_vec();
        for s in corpus(&["a", ":", "/", "[", "]", "1", "@", "é", "."], 4) {
            origins.push(format!("http://{s}"));
            origins.push(format!("https://{s}:443"));
            origins.push(s);
        }
        let hand_picked = 20;
        for (i, origin) in origins.iter().enumerate() {
            let parsed = RequestOrigin::parse(origin);
            match origin.split_once("://") {
                Some((scheme, _)) => {
                    assert!(
                        parsed.domain.starts_with(&format!("{scheme}://")),
                        "{origin:?}"
                    )
                }
                None => assert_eq!((&*parsed.domain, &*parsed.host), (&**origin, &**origin)),
            }
            assert!(
                parsed.domain.len() <= origin.len(),
                "{origin:?} -> {parsed:?}"
            );
            // Compiling a regex per generated entry would take seconds: those are hand-picked.
            if i >= hand_picked && looks_like_regex(origin) {
                continue;
            }
            match Origin::parse(origin) {
                Ok(entry @ Origin::Exact(_)) => assert!(entry.allows(&parsed), "{origin:?}"),
                Ok(entry) => {
                    entry.allows(&parsed);
                }
                Err(_) => assert!(looks_like_regex(origin), "{origin:?}"),
            }
        }
        assert_eq!(parsed("http://[::1"), ("http://[::1".into(), "[:".into()));
        assert_eq!(
            parsed("http://a:b:c"),
            ("http://a:b:c".into(), "a:b".into())
        );
    }
}
