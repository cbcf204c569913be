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

enum Origin {
    /// Compared with the request's normalised origin.
    Exact(String),
    /// Anchored at both ends.
    Pattern(Regex),
}

pub struct Cors {
    /// None: every origin is allowed (`*`).
    origins: Option<Vec<Origin>>,
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
            None | Some([]) => None,
            Some([one]) if one == "*" => None,
            Some(list) => Some(
                list.iter()
                    .map(|o| {
                        // Kong treats an entry with characters outside [A-Za-z0-9.:/-] as a regex.
                        let is_regex = o
                            .chars()
                            .any(|c| !(c.is_ascii_alphanumeric() || ".:/-".contains(c)));
                        if is_regex {
                            let body = o.trim_start_matches('^').trim_end_matches('$');
                            Regex::new(&format!("^(?:{body})$"))
                                .map(Origin::Pattern)
                                .map_err(|e| {
                                    format!("cors: origin {o:?} is not a valid regex: {e}")
                                })
                        } else {
                            Ok(Origin::Exact(normalize_origin(o)))
                        }
                    })
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
    fn configure_origin(&self, request: &HeaderMap, out: &mut HeaderMap) -> bool {
        let Some(origins) = &self.origins else {
            out.insert(ALLOW_ORIGIN, HeaderValue::from_static("*"));
            return true;
        };
        out.append(http::header::VARY, HeaderValue::from_static("Origin"));
        let Some(origin) = request
            .get(http::header::ORIGIN)
            .and_then(|o| o.to_str().ok())
        else {
            return false;
        };
        let normalized = normalize_origin(origin);
        let allowed = origins.iter().any(|o| match o {
            Origin::Exact(e) => *e == normalized,
            Origin::Pattern(r) => r.is_match(origin) || r.is_match(&normalized),
        });
        if allowed && let Ok(v) = HeaderValue::from_str(origin) {
            out.insert(ALLOW_ORIGIN, v);
        }
        false
    }

    fn configure_credentials(&self, allow_all: bool, request: &HeaderMap, out: &mut HeaderMap) {
        if !self.credentials {
            return;
        }
        if !allow_all {
            out.insert(ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
            return;
        }
        // `*` cannot go with credentials: echo the origin instead, as Kong does.
        if let Some(origin) = request.get(http::header::ORIGIN) {
            out.insert(ALLOW_ORIGIN, origin.clone());
            out.append(http::header::VARY, HeaderValue::from_static("Origin"));
            out.insert(ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
        }
    }

    fn preflight(&self, request: &HeaderMap) -> Response<Body> {
        let mut response = Response::new(full_body(""));
        *response.status_mut() = StatusCode::OK;
        let out = response.headers_mut();
        let allow_all = self.configure_origin(request, out);
        self.configure_credentials(allow_all, request, out);
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

/// `scheme://host[:port]`, lowercased, without the scheme's default port.
fn normalize_origin(origin: &str) -> String {
    let lower = origin.trim_end_matches('/').to_ascii_lowercase();
    for (scheme, port) in [("http://", ":80"), ("https://", ":443")] {
        if lower.starts_with(scheme) && lower.ends_with(port) {
            return lower[..lower.len() - port.len()].to_string();
        }
    }
    lower
}

#[async_trait]
impl PluginRuntime for Cors {
    async fn access(&self, ctx: &mut Ctx) -> Flow {
        let headers = &ctx.request.headers;
        let is_preflight = ctx.request.method == Method::OPTIONS
            && headers.contains_key(http::header::ORIGIN)
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
        let allow_all = self.configure_origin(&ctx.request.headers, out);
        self.configure_credentials(allow_all, &ctx.request.headers, out);
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

    #[test]
    fn origins_normalise() {
        assert_eq!(
            normalize_origin("HTTPS://Example.com:443"),
            "https://example.com"
        );
        assert_eq!(normalize_origin("http://a.b:8080"), "http://a.b:8080");
    }
}
