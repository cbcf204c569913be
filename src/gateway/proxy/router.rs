//! Route matching with Kong's `traditional_compatible` rules (reference §4.1–4.2).
//!
//! Each (route, path) pair becomes one matcher with Kong's priority; matchers are sorted once,
//! best first, and indexed so a request only looks at the few that can match it: prefix paths
//! by their text (one hash lookup per distinct prefix length), path-less routes by plain host,
//! and the rest (regex paths, wildcard hosts, header-only routes) in one short list. The first
//! matcher in priority order whose every field matches wins.

use std::collections::HashMap;

use http::{HeaderMap, HeaderName};
use regex::Regex;
use serde_json::{Map, Value};

use super::path::normalize;

/// What the router needs to know about one route (the rest stays in the proxy's route table).
pub struct RouteSpec<'a> {
    pub route: &'a Map<String, Value>,
    /// Index of the route in the proxy's route table.
    pub index: usize,
}

enum PathMatch {
    Any,
    Prefix(String),
    Regex(Regex),
}

enum HostMatch {
    Exact(String),
    /// `*.example.com`: the stored text is `.example.com`.
    Suffix(String),
    /// `example.*`: the stored text is `example.`.
    Prefix(String),
}

struct HostRule {
    host: HostMatch,
    port: Option<u16>,
}

enum ValueMatch {
    /// Compared case-insensitively; stored lowercase.
    Exact(String),
    Regex(Regex),
}

struct Matcher {
    route: usize,
    path: PathMatch,
    hosts: Vec<HostRule>,
    methods: Vec<String>,
    headers: Vec<(HeaderName, Vec<ValueMatch>)>,
    /// The route's `snis`; they only apply to https requests, as in Kong.
    snis: Vec<HostMatch>,
}

/// The request fields routing looks at.
pub struct RequestFacts<'a> {
    /// Normalised path, without the query.
    pub path: &'a str,
    /// Lowercased host without port (empty when the request has none).
    pub host: &'a str,
    /// The port of the listener the request came in on.
    pub port: u16,
    pub method: &'a str,
    pub headers: &'a HeaderMap,
    /// Whether the request came in over TLS, and the server name the client asked for there.
    pub https: bool,
    pub sni: Option<&'a str>,
}

/// A successful match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteMatch {
    /// Index into the proxy's route table.
    pub route: usize,
    /// How many bytes of the request path the route's path matched (None without a path).
    pub matched_len: Option<usize>,
    /// Which of the route's paths matched, for [`Router::uri_capture`].
    matcher: u32,
}

/// The indexes are hashed with foldhash rather than SipHash: their keys come from the
/// configuration, so a client choosing what is looked up cannot make them collide, and every
/// request hashes a prefix of its path once per prefix length configured.
type Index = HashMap<String, Vec<u32>, foldhash::fast::RandomState>;

#[derive(Default)]
pub struct Router {
    matchers: Vec<Matcher>,
    by_prefix: Index,
    prefix_lengths: Vec<usize>,
    by_host: Index,
    others: Vec<u32>,
}

/// Kong's priority (`transform.get_priority`), as a tuple compared field by field in the same
/// order as the bits of Kong's 64-bit value.
type Priority = (u8, bool, usize, bool, i64, usize);

/// Compiles routes one at a time, so a caller can parse, add and drop each route in turn
/// instead of holding every parsed route at once (25,000 parsed routes weigh over 100 MB).
#[derive(Default)]
pub struct RouterBuilder {
    ranked: Vec<(Priority, i64, Box<str>, Matcher)>,
    problems: Vec<String>,
}

impl RouterBuilder {
    /// Compiles one route; a route that cannot be compiled is recorded as a problem.
    pub fn add(&mut self, spec: &RouteSpec<'_>) {
        match compile(spec) {
            Ok(matchers) => {
                let created = spec
                    .route
                    .get("created_at")
                    .and_then(Value::as_i64)
                    .unwrap_or(0);
                let id: Box<str> = spec
                    .route
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .into();
                self.ranked.extend(
                    matchers
                        .into_iter()
                        .map(|(p, m)| (p, created, id.clone(), m)),
                );
            }
            Err(e) => self
                .problems
                .push(format!("route {}: {e}", describe(spec.route))),
        }
    }

    /// The router over every route added, and the problems met compiling them.
    pub fn finish(self) -> (Router, Vec<String>) {
        let RouterBuilder {
            mut ranked,
            problems,
        } = self;
        // Best first; ties go to the oldest route, as Kong's traditional router does.
        ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let mut router = Router::default();
        for (i, (_, _, _, m)) in ranked.into_iter().enumerate() {
            let i = i as u32;
            match &m.path {
                PathMatch::Prefix(p) => router.by_prefix.entry(p.clone()).or_default().push(i),
                PathMatch::Any if plain_hosts_only(&m.hosts) => {
                    for h in &m.hosts {
                        if let HostMatch::Exact(name) = &h.host {
                            router.by_host.entry(name.clone()).or_default().push(i);
                        }
                    }
                }
                _ => router.others.push(i),
            }
            router.matchers.push(m);
        }
        let mut lengths: Vec<usize> = router.by_prefix.keys().map(String::len).collect();
        lengths.sort_unstable();
        lengths.dedup();
        router.prefix_lengths = lengths;
        (router, problems)
    }
}

impl Router {
    pub fn len(&self) -> usize {
        self.matchers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.matchers.is_empty()
    }

    /// The best route for this request, if any.
    pub fn find(&self, req: &RequestFacts<'_>) -> Option<RouteMatch> {
        let mut best: Option<(u32, Option<usize>)> = None;
        for &len in &self.prefix_lengths {
            if len > req.path.len() {
                break;
            }
            if !req.path.is_char_boundary(len) {
                continue;
            }
            if let Some(list) = self.by_prefix.get(&req.path[..len]) {
                self.scan(list, req, &mut best);
            }
        }
        if let Some(list) = self.by_host.get(req.host) {
            self.scan(list, req, &mut best);
        }
        self.scan(&self.others, req, &mut best);
        best.map(|(i, matched_len)| RouteMatch {
            route: self.matchers[i as usize].route,
            matched_len,
            matcher: i,
        })
    }

    /// A named group of the regex path that matched `path` (Kong's `uri_captures[name]`).
    /// Kong's numbered captures are Lua integer keys, which a capture name (a string) never
    /// reaches, so names alone are looked up. The regex runs again here, rather than on every
    /// request while routing, as only hashing on `uri_capture` asks for it.
    pub fn uri_capture<'p>(
        &self,
        found: &RouteMatch,
        path: &'p str,
        name: &str,
    ) -> Option<&'p str> {
        match &self.matchers.get(found.matcher as usize)?.path {
            PathMatch::Regex(r) => Some(r.captures(path)?.name(name)?.as_str()),
            _ => None,
        }
    }

    /// Walks a sorted candidate list until the first match better than `best`.
    fn scan(&self, list: &[u32], req: &RequestFacts<'_>, best: &mut Option<(u32, Option<usize>)>) {
        for &i in list {
            if best.is_some_and(|(b, _)| b <= i) {
                return;
            }
            if let Some(matched_len) = self.matchers[i as usize].matches(req) {
                *best = Some((i, matched_len));
                return;
            }
        }
    }
}

impl Matcher {
    /// `Some(matched path length)` when every set field matches.
    fn matches(&self, req: &RequestFacts<'_>) -> Option<Option<usize>> {
        if !self.methods.is_empty() && !self.methods.iter().any(|m| m == req.method) {
            return None;
        }
        if !self.hosts.is_empty() && !self.hosts.iter().any(|h| h.matches(req)) {
            return None;
        }
        // Kong: `(net.protocol != "https" || tls.sni == …)`; plain HTTP ignores `snis`.
        if !self.snis.is_empty()
            && req.https
            && !req
                .sni
                .is_some_and(|sni| self.snis.iter().any(|m| m.matches(sni)))
        {
            return None;
        }
        for (name, values) in &self.headers {
            let any = req.headers.get_all(name).iter().any(|v| {
                let Ok(v) = v.to_str() else { return false };
                values.iter().any(|want| match want {
                    ValueMatch::Exact(w) => v.eq_ignore_ascii_case(w),
                    ValueMatch::Regex(r) => r.is_match(v),
                })
            });
            if !any {
                return None;
            }
        }
        match &self.path {
            PathMatch::Any => Some(None),
            PathMatch::Prefix(p) => req.path.starts_with(p.as_str()).then_some(Some(p.len())),
            PathMatch::Regex(r) => r.find(req.path).map(|m| Some(m.end())),
        }
    }
}

impl HostRule {
    fn matches(&self, req: &RequestFacts<'_>) -> bool {
        if self.port.is_some_and(|p| p != destination_port(req)) {
            return false;
        }
        self.host.matches(req.host)
    }
}

impl HostMatch {
    fn matches(&self, host: &str) -> bool {
        match self {
            HostMatch::Exact(h) => h == host,
            HostMatch::Suffix(s) => host.len() > s.len() && host.ends_with(s.as_str()),
            HostMatch::Prefix(p) => host.len() > p.len() && host.starts_with(p.as_str()),
        }
    }

    fn clone_match(&self) -> HostMatch {
        match self {
            HostMatch::Exact(s) => HostMatch::Exact(s.clone()),
            HostMatch::Suffix(s) => HostMatch::Suffix(s.clone()),
            HostMatch::Prefix(s) => HostMatch::Prefix(s.clone()),
        }
    }
}

/// A route's `snis` entry as Kong's router reads it: `*.example.com` matches by suffix,
/// `example.*` by prefix, and a trailing dot (an FQDN's root) is not part of the name.
fn sni_rule(text: &str) -> HostMatch {
    let lower = text.to_ascii_lowercase();
    if let Some(rest) = lower.strip_suffix('*') {
        return HostMatch::Prefix(rest.to_string());
    }
    let name = match lower.strip_suffix('.') {
        Some(name) if !name.is_empty() => name,
        _ => lower.as_str(),
    };
    match name.strip_prefix('*') {
        Some(rest) => HostMatch::Suffix(rest.to_string()),
        None => HostMatch::Exact(name.to_string()),
    }
}

/// The port a `host:port` rule compares with: as in Kong (`net.dst.port`, `fields.lua`), the
/// port written in the request's Host header, else the port of the listener.
fn destination_port(req: &RequestFacts<'_>) -> u16 {
    req.headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| {
            let (name, port) = h.rsplit_once(':')?;
            if name.contains(':') && !name.ends_with(']') {
                return None;
            }
            port.parse().ok()
        })
        .unwrap_or(req.port)
}

fn plain_hosts_only(hosts: &[HostRule]) -> bool {
    !hosts.is_empty()
        && hosts
            .iter()
            .all(|h| h.port.is_none() && matches!(h.host, HostMatch::Exact(_)))
}

fn describe(route: &Map<String, Value>) -> String {
    route
        .get("name")
        .and_then(Value::as_str)
        .or_else(|| route.get("id").and_then(Value::as_str))
        .unwrap_or("(unnamed)")
        .to_string()
}

fn strings<'a>(route: &'a Map<String, Value>, field: &str) -> Vec<&'a str> {
    route
        .get(field)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// One matcher per path (Kong splits routes by path length; one per path is the same order).
fn compile(spec: &RouteSpec<'_>) -> Result<Vec<(Priority, Matcher)>, String> {
    let route = spec.route;
    let methods: Vec<String> = strings(route, "methods")
        .into_iter()
        .map(str::to_ascii_uppercase)
        .collect();
    let hosts = strings(route, "hosts")
        .into_iter()
        .map(host_rule)
        .collect::<Result<Vec<_>, _>>()?;
    let mut headers = Vec::new();
    if let Some(map) = route.get("headers").and_then(Value::as_object) {
        for (name, values) in map {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("invalid header name {name:?}"))?;
            let values = values
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>())
                .unwrap_or_default()
                .into_iter()
                .map(|v| match v.strip_prefix("~*") {
                    Some(re) => Regex::new(&format!("(?i){re}"))
                        .map(ValueMatch::Regex)
                        .map_err(|e| format!("header {name} regex {re:?}: {e}")),
                    None => Ok(ValueMatch::Exact(v.to_ascii_lowercase())),
                })
                .collect::<Result<Vec<_>, _>>()?;
            headers.push((name, values));
        }
    }
    let snis: Vec<HostMatch> = strings(route, "snis").into_iter().map(sni_rule).collect();
    let paths = strings(route, "paths");
    let weight = [
        !methods.is_empty(),
        !hosts.is_empty(),
        !headers.is_empty(),
        !snis.is_empty(),
    ]
    .iter()
    .filter(|b| **b)
    .count() as u8
        + u8::from(!paths.is_empty());
    let plain_host_only =
        !hosts.is_empty() && hosts.iter().all(|h| matches!(h.host, HostMatch::Exact(_)));
    let regex_priority = route
        .get("regex_priority")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let header_count = headers.len();
    let base = |path: PathMatch| Matcher {
        route: spec.index,
        path,
        hosts: hosts.iter().map(HostRule::clone_rule).collect(),
        methods: methods.clone(),
        headers: headers
            .iter()
            .map(|(n, v)| (n.clone(), v.iter().map(ValueMatch::clone_match).collect()))
            .collect(),
        snis: snis.iter().map(HostMatch::clone_match).collect(),
    };
    if paths.is_empty() {
        let priority = (weight, plain_host_only, header_count, false, 0, 0);
        return Ok(vec![(priority, base(PathMatch::Any))]);
    }
    let mut out = Vec::with_capacity(paths.len());
    for path in paths {
        let (priority, matcher) = match path.strip_prefix('~') {
            Some(re) => {
                let regex = Regex::new(&format!("^(?:{re})"))
                    .map_err(|e| format!("path regex {re:?}: {e}"))?;
                (
                    (
                        weight,
                        plain_host_only,
                        header_count,
                        true,
                        regex_priority,
                        0,
                    ),
                    PathMatch::Regex(regex),
                )
            }
            // Requests are matched by their normalised path (percent-escapes decoded), so a
            // prefix written with escapes (which Kong would refuse as non-normalized) is
            // normalised the same way (the priority still counts the path as written).
            None => (
                (weight, plain_host_only, header_count, false, 0, path.len()),
                PathMatch::Prefix(normalize(path).into_owned()),
            ),
        };
        out.push((priority, base(matcher)));
    }
    Ok(out)
}

fn host_rule(text: &str) -> Result<HostRule, String> {
    let lower = text.to_ascii_lowercase();
    let (name, port) = match lower.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') || name.ends_with(']') => {
            let port = port
                .parse::<u16>()
                .map_err(|_| format!("host {text:?}: invalid port"))?;
            (name.to_string(), Some(port))
        }
        _ => (lower, None),
    };
    let host = if let Some(rest) = name.strip_prefix('*') {
        HostMatch::Suffix(rest.to_string())
    } else if let Some(rest) = name.strip_suffix('*') {
        HostMatch::Prefix(rest.to_string())
    } else {
        HostMatch::Exact(name)
    };
    Ok(HostRule { host, port })
}

impl HostRule {
    fn clone_rule(&self) -> HostRule {
        HostRule {
            host: self.host.clone_match(),
            port: self.port,
        }
    }
}

impl ValueMatch {
    fn clone_match(&self) -> ValueMatch {
        match self {
            ValueMatch::Exact(s) => ValueMatch::Exact(s.clone()),
            ValueMatch::Regex(r) => ValueMatch::Regex(r.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::test_corpus::corpus;

    /// Every spec added to one builder.
    fn build(routes: &[RouteSpec<'_>]) -> (Router, Vec<String>) {
        let mut builder = RouterBuilder::default();
        for spec in routes {
            builder.add(spec);
        }
        builder.finish()
    }

    fn router(routes: &[Value]) -> Router {
        let maps: Vec<Map<String, Value>> = routes
            .iter()
            .map(|r| r.as_object().unwrap().clone())
            .collect();
        let specs: Vec<RouteSpec<'_>> = maps
            .iter()
            .enumerate()
            .map(|(index, route)| RouteSpec { route, index })
            .collect();
        let (router, problems) = build(&specs);
        assert!(problems.is_empty(), "{problems:?}");
        router
    }

    fn find(
        r: &Router,
        method: &str,
        host: &str,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Option<usize> {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        r.find(&RequestFacts {
            path,
            host,
            port: 8000,
            method,
            headers: &map,
            https: false,
            sni: None,
        })
        .map(|m| m.route)
    }

    #[test]
    fn longest_prefix_then_regex_then_more_fields() {
        let r = router(&[
            json!({"id": "a", "paths": ["/"]}),
            json!({"id": "b", "paths": ["/api"]}),
            json!({"id": "c", "paths": ["/api/v1"]}),
            json!({"id": "d", "paths": ["~/api/v1/(?<id>\\d+)$"]}),
            json!({"id": "e", "paths": ["/api"], "methods": ["POST"]}),
        ]);
        assert_eq!(find(&r, "GET", "x", "/other", &[]), Some(0));
        assert_eq!(find(&r, "GET", "x", "/apix", &[]), Some(1));
        assert_eq!(find(&r, "GET", "x", "/api/v1/abc", &[]), Some(2));
        assert_eq!(find(&r, "GET", "x", "/api/v1/42", &[]), Some(3));
        assert_eq!(find(&r, "POST", "x", "/api/v1/42", &[]), Some(4));
    }

    #[test]
    fn hosts_headers_and_ties() {
        let r = router(&[
            json!({"id": "w", "hosts": ["*.example.com"]}),
            json!({"id": "p", "hosts": ["api.example.com"]}),
            json!({"id": "s", "hosts": ["example.*"]}),
            json!({"id": "h", "hosts": ["*.example.com"], "headers": {"x-v": ["Two", "~*^th"]}}),
            json!({"id": "port", "hosts": ["port.test:9999"]}),
            json!({"id": "old", "paths": ["/t"], "created_at": 1}),
            json!({"id": "new", "paths": ["/t"], "created_at": 2}),
        ]);
        assert_eq!(find(&r, "GET", "api.example.com", "/", &[]), Some(1));
        assert_eq!(find(&r, "GET", "www.example.com", "/", &[]), Some(0));
        assert_eq!(find(&r, "GET", "example.com", "/", &[]), Some(2));
        assert_eq!(find(&r, "GET", "other.com", "/", &[]), None);
        assert_eq!(find(&r, "GET", "example.org", "/", &[]), Some(2));
        assert_eq!(
            find(&r, "GET", "www.example.com", "/", &[("x-v", "two")]),
            Some(3)
        );
        assert_eq!(
            find(&r, "GET", "www.example.com", "/", &[("x-v", "THREE")]),
            Some(3)
        );
        assert_eq!(
            find(&r, "GET", "www.example.com", "/", &[("x-v", "one")]),
            Some(0)
        );
        assert_eq!(find(&r, "GET", "port.test", "/", &[]), None);
        assert_eq!(find(&r, "GET", "x", "/t", &[]), Some(5));
    }

    #[test]
    fn regex_priority_orders_regex_routes() {
        let r = router(&[
            json!({"id": "low", "paths": ["~/r"], "regex_priority": 1}),
            json!({"id": "high", "paths": ["~/r"], "regex_priority": 5}),
            json!({"id": "prefix", "paths": ["/r/long/prefix/path"]}),
        ]);
        assert_eq!(find(&r, "GET", "x", "/r/long/prefix/path", &[]), Some(1));
    }

    fn port_for(host: &[u8]) -> u16 {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::HOST,
            http::HeaderValue::from_bytes(host).unwrap(),
        );
        destination_port(&RequestFacts {
            path: "/",
            host: "",
            port: 7,
            method: "GET",
            headers: &headers,
            https: false,
            sni: None,
        })
    }

    /// Host headers of every shape: the port written after the host, else the listener's.
    #[test]
    fn destination_ports_of_odd_hosts() {
        assert_eq!(port_for(b"[::1]:80"), 80);
        assert_eq!(port_for(b"[::1]"), 7);
        assert_eq!(port_for(b"::1"), 7);
        assert_eq!(port_for(b"a:"), 7);
        assert_eq!(port_for(b"a:99999"), 7);
        assert_eq!(port_for(b"a:65535"), 65535);
        assert_eq!(port_for(b":80"), 80);
        assert_eq!(port_for(b"a:b:80"), 7);
        assert_eq!(port_for("é:80".as_bytes()), 7);
        for host in corpus(&["[", "]", ":", "1", "8", "a", "é", "+"], 5) {
            let port = port_for(host.as_bytes());
            if port != 7 {
                let (_, written) = host.rsplit_once(':').unwrap();
                assert_eq!(written.parse::<u16>(), Ok(port), "{host:?}");
            }
        }
    }

    /// `snis` entries of every shape compile; a plain name matches itself.
    #[test]
    fn sni_rules_of_odd_names() {
        for text in corpus(&["*", ".", "a", "A", "é", ":"], 4) {
            let rule = sni_rule(&text);
            let lower = text.to_ascii_lowercase();
            if !lower.contains('*') {
                let name = lower.strip_suffix('.').filter(|n| !n.is_empty());
                assert!(rule.matches(name.unwrap_or(&lower)), "{text:?}");
            }
        }
        assert!(sni_rule("*.Example.com.").matches("a.example.com"));
        assert!(sni_rule("example.*").matches("example.org"));
        assert!(!sni_rule("*").matches(""));
    }
}
