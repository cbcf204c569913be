//! What consistent hashing hashes: the value an upstream's `hash_on` names (a header, cookie,
//! query argument, …) in the request, else the one `hash_fallback` names, else nothing (the
//! empty string, so such requests all go to one target), as Kong's `get_value_to_hash`
//! (`kong/runloop/balancer/init.lua`) reads them.

use std::borrow::Cow;
use std::net::IpAddr;

use http::HeaderMap;
use http::header::{self, HeaderName, HeaderValue};
use serde_json::{Map, Value};

/// Where a value to hash comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashSource {
    None,
    /// The authenticated consumer's id.
    Consumer,
    /// The client's address (not `X-Forwarded-For`).
    Ip,
    Header(HeaderName),
    /// A cookie, made up and set on the response when the client has none.
    Cookie(String),
    /// The normalised request path.
    Path,
    QueryArg(String),
    /// A named group of the route's regex path.
    UriCapture(String),
}

/// An upstream's `hash_on` and `hash_fallback` with their fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashRule {
    on: HashSource,
    fallback: HashSource,
    /// `hash_on_cookie_path`: the `Path` of a cookie made up for a client.
    cookie_path: String,
}

impl Default for HashRule {
    fn default() -> HashRule {
        HashRule {
            on: HashSource::None,
            fallback: HashSource::None,
            cookie_path: "/".into(),
        }
    }
}

/// What the request offers to hash.
pub struct HashFacts<'a> {
    /// The id of the consumer a plugin authenticated.
    pub consumer: Option<&'a str>,
    pub client_ip: IpAddr,
    /// As plugins left them (Kong hashes in the balancer phase, after `access`).
    pub headers: &'a HeaderMap,
    /// Normalised, without the query (nginx's `$uri`, which Kong hashes).
    pub path: &'a str,
    pub query: Option<&'a str>,
    /// A named capture of the route's regex path.
    pub uri_capture: &'a (dyn Fn(&str) -> Option<&'a str> + Sync),
}

/// A request's value to hash, and the `Set-Cookie` to answer with when the value is a cookie
/// made up for it.
pub struct Hashed<'a> {
    pub value: Cow<'a, [u8]>,
    pub set_cookie: Option<HeaderValue>,
}

impl HashRule {
    /// Reads an upstream's hashing fields; errors name what cannot be used.
    pub fn from_upstream(u: &Map<String, Value>) -> Result<HashRule, String> {
        let text = |field: &str| u.get(field).and_then(Value::as_str);
        let source = |kind: Option<&str>, header: &str, query: &str, capture: &str| {
            let needed = |field: &str| {
                text(field)
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
                    .ok_or_else(|| format!("{field} is required"))
            };
            Ok(match kind.unwrap_or("none") {
                "none" => HashSource::None,
                "consumer" => HashSource::Consumer,
                "ip" => HashSource::Ip,
                "path" => HashSource::Path,
                "header" => {
                    let name = needed(header)?;
                    HashSource::Header(
                        HeaderName::from_bytes(name.as_bytes())
                            .map_err(|_| format!("{header} {name:?} is not a header name"))?,
                    )
                }
                "cookie" => {
                    let name = needed("hash_on_cookie")?;
                    if !name.bytes().all(is_cookie_name_byte) {
                        return Err(format!("hash_on_cookie {name:?} is not a cookie name"));
                    }
                    HashSource::Cookie(name)
                }
                "query_arg" => HashSource::QueryArg(needed(query)?),
                "uri_capture" => HashSource::UriCapture(needed(capture)?),
                other => return Err(format!("unknown hash_on value {other:?}")),
            })
        };
        let on = source(
            text("hash_on"),
            "hash_on_header",
            "hash_on_query_arg",
            "hash_on_uri_capture",
        )?;
        let fallback = source(
            text("hash_fallback"),
            "hash_fallback_header",
            "hash_fallback_query_arg",
            "hash_fallback_uri_capture",
        )?;
        let cookie_path = text("hash_on_cookie_path").unwrap_or("/");
        if HeaderValue::from_str(cookie_path).is_err() || cookie_path.contains(';') {
            return Err(format!(
                "hash_on_cookie_path {cookie_path:?} cannot be a cookie path"
            ));
        }
        Ok(HashRule {
            on,
            fallback,
            cookie_path: cookie_path.to_string(),
        })
    }

    /// The request's value to hash: from `hash_on`, else from `hash_fallback` (unless
    /// `hash_on` is `none`), else empty. A cookie source always yields a value: the client's
    /// cookie, or a new random one to set.
    pub fn value<'a>(&self, facts: &HashFacts<'a>) -> Hashed<'a> {
        // Kong: with `hash_on` at `none` the fallback is not looked at.
        let sources = match self.on {
            HashSource::None => [None, None],
            _ => [Some(&self.on), Some(&self.fallback)],
        };
        for source in sources.into_iter().flatten() {
            if let Some(value) = lookup(source, facts) {
                return Hashed {
                    value,
                    set_cookie: None,
                };
            }
            if let HashSource::Cookie(name) = source {
                let value = uuid::Uuid::new_v4().to_string();
                // Kong's attributes, `Same-Site` spelling included.
                let cookie = format!(
                    "{name}={value}; Path={}; Same-Site=Lax; HttpOnly",
                    self.cookie_path
                );
                return Hashed {
                    value: Cow::Owned(value.into_bytes()),
                    // Name and path were checked when the rule was read.
                    set_cookie: HeaderValue::try_from(cookie).ok(),
                };
            }
        }
        Hashed {
            value: Cow::Borrowed(b""),
            set_cookie: None,
        }
    }
}

/// Adds a cookie consistent hashing made up to the response, in place of the upstream's own
/// cookie of that name if it set one (Kong's `set_cookie`).
pub fn set_cookie(headers: &mut HeaderMap, cookie: &HeaderValue) {
    let bytes = cookie.as_bytes();
    let prefix = &bytes[..bytes.iter().position(|&b| b == b'=').map_or(0, |eq| eq + 1)];
    let ours = |v: &HeaderValue| v.as_bytes().starts_with(prefix);
    if !headers.get_all(header::SET_COOKIE).iter().any(ours) {
        headers.append(header::SET_COOKIE, cookie.clone());
        return;
    }
    let kept: Vec<HeaderValue> = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| if ours(v) { cookie.clone() } else { v.clone() })
        .collect();
    headers.remove(header::SET_COOKIE);
    for value in kept {
        headers.append(header::SET_COOKIE, value);
    }
}

fn lookup<'a>(source: &HashSource, facts: &HashFacts<'a>) -> Option<Cow<'a, [u8]>> {
    match source {
        HashSource::None => None,
        HashSource::Consumer => facts.consumer.map(|id| Cow::Borrowed(id.as_bytes())),
        HashSource::Ip => Some(Cow::Owned(facts.client_ip.to_string().into_bytes())),
        HashSource::Header(name) => header_value(facts.headers, name),
        HashSource::Cookie(name) => cookie(facts.headers, name).map(Cow::Borrowed),
        HashSource::Path => Some(Cow::Borrowed(facts.path.as_bytes())),
        HashSource::QueryArg(name) => query_arg(facts.query?, name).map(Cow::Owned),
        HashSource::UriCapture(name) => {
            (facts.uri_capture)(name).map(|v| Cow::Borrowed(v.as_bytes()))
        }
    }
}

/// A header's value; several headers of that name are joined with `, ` (nginx 1.23+).
fn header_value<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<Cow<'a, [u8]>> {
    let mut values = headers.get_all(name).iter();
    let first = values.next()?;
    let Some(second) = values.next() else {
        return Some(Cow::Borrowed(first.as_bytes()));
    };
    let mut joined = first.as_bytes().to_vec();
    for value in std::iter::once(second).chain(values) {
        joined.extend_from_slice(b", ");
        joined.extend_from_slice(value.as_bytes());
    }
    Some(Cow::Owned(joined))
}

/// The first cookie called `name` (compared without regard to case, as nginx's `$cookie_`).
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a [u8]> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .flat_map(|h| h.as_bytes().split(|&b| b == b';'))
        .find_map(|pair| {
            let pair = pair.trim_ascii();
            let eq = pair.iter().position(|&b| b == b'=')?;
            let (key, value) = (&pair[..eq], &pair[eq + 1..]);
            key.trim_ascii()
                .eq_ignore_ascii_case(name.as_bytes())
                .then_some(value)
        })
}

/// A query argument as Kong normalises it: decoded, `true` for an argument without `=`, and
/// several values sorted and joined with `,`.
fn query_arg(query: &str, name: &str) -> Option<Vec<u8>> {
    let mut values: Vec<String> = query
        .split('&')
        .filter_map(|pair| {
            let (key, value) = url::form_urlencoded::parse(pair.as_bytes()).next()?;
            if key != name {
                return None;
            }
            Some(match pair.contains('=') {
                true => value.into_owned(),
                false => "true".to_string(),
            })
        })
        .collect();
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    Some(values.join(",").into_bytes())
}

/// RFC 6265's token characters, which a cookie name is made of.
fn is_cookie_name_byte(b: u8) -> bool {
    b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rule(fields: Value) -> Result<HashRule, String> {
        HashRule::from_upstream(fields.as_object().unwrap())
    }

    fn value_of(rule: &HashRule, headers: &[(&str, &str)], query: Option<&str>) -> String {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        let facts = HashFacts {
            consumer: Some("c-1"),
            client_ip: "10.0.0.9".parse().unwrap(),
            headers: &map,
            path: "/a/b",
            query,
            uri_capture: &|name| (name == "id").then_some("42"),
        };
        String::from_utf8(rule.value(&facts).value.into_owned()).unwrap()
    }

    #[test]
    fn each_source_reads_its_value() {
        let r = |on: &str, extra: Value| {
            let mut fields = json!({"hash_on": on});
            fields
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            rule(fields).unwrap()
        };
        assert_eq!(value_of(&r("consumer", json!({})), &[], None), "c-1");
        assert_eq!(value_of(&r("ip", json!({})), &[], None), "10.0.0.9");
        assert_eq!(value_of(&r("path", json!({})), &[], None), "/a/b");
        let header = r("header", json!({"hash_on_header": "X-User"}));
        assert_eq!(
            value_of(&header, &[("x-user", "u1"), ("x-user", "u2")], None),
            "u1, u2"
        );
        let cookie = r("cookie", json!({"hash_on_cookie": "sticky"}));
        let cookies = [("cookie", "a=1; STICKY=s-9"), ("cookie", "sticky=later")];
        assert_eq!(value_of(&cookie, &cookies, None), "s-9");
        let arg = r("query_arg", json!({"hash_on_query_arg": "k y"}));
        assert_eq!(
            value_of(&arg, &[], Some("k+y=b&x=1&k%20y=a&k+y")),
            "a,b,true"
        );
        let capture = r("uri_capture", json!({"hash_on_uri_capture": "id"}));
        assert_eq!(value_of(&capture, &[], None), "42");
    }

    #[test]
    fn the_fallback_serves_when_the_value_is_missing_and_none_hashes_nothing() {
        let r = rule(json!({
            "hash_on": "header", "hash_on_header": "x-user",
            "hash_fallback": "query_arg", "hash_fallback_query_arg": "u",
        }))
        .unwrap();
        assert_eq!(value_of(&r, &[("x-user", "h")], Some("u=q")), "h");
        assert_eq!(value_of(&r, &[], Some("u=q")), "q");
        assert_eq!(value_of(&r, &[], None), "");
        let none = rule(json!({"hash_on": "none", "hash_fallback": "ip"})).unwrap();
        assert_eq!(value_of(&none, &[], None), "");
    }

    #[test]
    fn a_missing_cookie_is_made_up_and_set() {
        let r = rule(json!({
            "hash_on": "cookie", "hash_on_cookie": "sticky", "hash_on_cookie_path": "/shop",
        }))
        .unwrap();
        let map = HeaderMap::new();
        let facts = HashFacts {
            consumer: None,
            client_ip: "::1".parse().unwrap(),
            headers: &map,
            path: "/",
            query: None,
            uri_capture: &|_| None,
        };
        let hashed = r.value(&facts);
        let value = String::from_utf8(hashed.value.into_owned()).unwrap();
        assert_eq!(value.len(), 36, "a UUID: {value}");
        assert_eq!(
            hashed.set_cookie.unwrap(),
            format!("sticky={value}; Path=/shop; Same-Site=Lax; HttpOnly").as_str()
        );
        assert_ne!(
            r.value(&facts).value,
            value.as_bytes(),
            "each client gets its own"
        );
    }

    #[test]
    fn the_cookie_replaces_the_upstreams_of_the_same_name() {
        let ours = HeaderValue::from_static("sticky=new; Path=/");
        let mut headers = HeaderMap::new();
        set_cookie(&mut headers, &ours);
        assert_eq!(headers.get_all(header::SET_COOKIE).iter().count(), 1);
        let mut headers = HeaderMap::new();
        headers.append(header::SET_COOKIE, HeaderValue::from_static("a=1"));
        headers.append(header::SET_COOKIE, HeaderValue::from_static("sticky=old"));
        headers.append(header::SET_COOKIE, HeaderValue::from_static("stickyx=2"));
        set_cookie(&mut headers, &ours);
        let all: Vec<_> = headers.get_all(header::SET_COOKIE).iter().collect();
        assert_eq!(all, ["a=1", "sticky=new; Path=/", "stickyx=2"]);
    }

    #[test]
    fn unusable_fields_are_refused_with_their_name() {
        let err = rule(json!({"hash_on": "header"})).unwrap_err();
        assert!(err.contains("hash_on_header"), "{err}");
        let err = rule(json!({"hash_on": "header", "hash_on_header": "bad header"})).unwrap_err();
        assert!(err.contains("not a header name"), "{err}");
        let err = rule(json!({"hash_on": "cookie", "hash_on_cookie": "a;b"})).unwrap_err();
        assert!(err.contains("cookie name"), "{err}");
        let err = rule(json!({"hash_on": "sometimes"})).unwrap_err();
        assert!(err.contains("sometimes"), "{err}");
        assert_eq!(rule(json!({})).unwrap(), HashRule::default());
    }
}
