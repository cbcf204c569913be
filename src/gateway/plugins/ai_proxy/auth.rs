//! Puts the provider key on the upstream request. The key is configured in the gateway; a key
//! the client sends is ignored (overwritten) unless `auth.allow_override` is set.

use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Map, Value};

use super::config::{Auth, ParamLocation};
use super::upstream::{query_value, set_query_param};

/// The auth settings, parsed once when the plugin is built.
#[derive(Debug, Clone, Default)]
pub struct AuthInjector {
    header: Option<(HeaderName, HeaderValue)>,
    param: Option<(String, String, ParamLocation)>,
    allow_override: bool,
}

impl AuthInjector {
    pub fn new(auth: &Auth) -> Result<AuthInjector, String> {
        let header = match (&auth.header_name, &auth.header_value) {
            (Some(name), Some(value)) => {
                let name = HeaderName::try_from(name.as_str()).map_err(|_| {
                    format!("ai-proxy: auth.header_name '{name}' is not a valid header name")
                })?;
                // Never echo the value: it is the provider key.
                let mut value = HeaderValue::try_from(value.as_str()).map_err(|_| {
                    "ai-proxy: auth.header_value is not a valid header value (control characters?)"
                        .to_string()
                })?;
                value.set_sensitive(true);
                Some((name, value))
            }
            _ => None,
        };
        let param = match (&auth.param_name, &auth.param_value, auth.param_location) {
            (Some(name), Some(value), Some(location)) => {
                Some((name.clone(), value.clone(), location))
            }
            _ => None,
        };
        Ok(AuthInjector {
            header,
            param,
            allow_override: auth.allow_override,
        })
    }

    /// Sets the auth header unless the client sent one and overriding is allowed.
    pub fn apply_header(&self, headers: &mut HeaderMap) {
        if let Some((name, value)) = &self.header
            && !(self.allow_override && headers.contains_key(name))
        {
            headers.insert(name.clone(), value.clone());
        }
    }

    /// Sets the auth query parameter on the upstream path and query, which already carries the
    /// client's parameters. As in Kong's drivers, the gateway's value replaces every value the
    /// client sent under that name, unless `allow_override` is set and the client sent one:
    /// then the client's query goes through untouched.
    pub fn apply_query(&self, path_and_query: &mut String, client_query: Option<&str>) {
        let Some((name, value, ParamLocation::Query)) = &self.param else {
            return;
        };
        let client_sent = client_query.is_some_and(|q| query_value(q, name).is_some());
        if self.allow_override && client_sent {
            return;
        }
        *path_and_query = set_query_param(path_and_query, name, value);
    }

    /// Sets the auth parameter in the JSON body sent upstream.
    pub fn apply_body(&self, body: &mut Map<String, Value>) {
        let Some((name, value, ParamLocation::Body)) = &self.param else {
            return;
        };
        if self.allow_override && body.contains_key(name) {
            return;
        }
        body.insert(name.clone(), Value::String(value.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(allow_override: bool) -> Auth {
        Auth {
            header_name: Some("x-api-key".into()),
            header_value: Some("sk-gateway".into()),
            param_name: Some("key".into()),
            param_value: Some("sk-param".into()),
            param_location: Some(ParamLocation::Query),
            allow_override,
        }
    }

    #[test]
    fn client_keys_are_replaced_unless_override_is_allowed() {
        let strict = AuthInjector::new(&auth(false)).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", HeaderValue::from_static("sk-client"));
        strict.apply_header(&mut headers);
        assert_eq!(headers["x-api-key"], "sk-gateway");
        assert_eq!(headers.get_all("x-api-key").iter().count(), 1);

        let lenient = AuthInjector::new(&auth(true)).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", HeaderValue::from_static("sk-client"));
        lenient.apply_header(&mut headers);
        assert_eq!(headers["x-api-key"], "sk-client");
        let mut empty = HeaderMap::new();
        lenient.apply_header(&mut empty);
        assert_eq!(empty["x-api-key"], "sk-gateway");
    }

    #[test]
    fn query_and_body_params() {
        let strict = AuthInjector::new(&auth(false)).unwrap();
        let mut path = "/v1/chat?key=sk-client&a=1".to_string();
        strict.apply_query(&mut path, Some("key=sk-client&a=1"));
        assert_eq!(path, "/v1/chat?a=1&key=sk-param");
        let lenient = AuthInjector::new(&auth(true)).unwrap();
        let mut path = "/v1/chat?a=1&key=sk-client".to_string();
        lenient.apply_query(&mut path, Some("a=1&key=sk-client"));
        assert_eq!(path, "/v1/chat?a=1&key=sk-client");
        let mut path = "/v1/chat?a=1".to_string();
        lenient.apply_query(&mut path, Some("a=1"));
        assert_eq!(path, "/v1/chat?a=1&key=sk-param");

        let mut in_body = auth(false);
        in_body.param_location = Some(ParamLocation::Body);
        let body_auth = AuthInjector::new(&in_body).unwrap();
        let mut body = Map::new();
        body.insert("key".into(), Value::from("sk-client"));
        body_auth.apply_body(&mut body);
        assert_eq!(body["key"], "sk-param");
    }

    #[test]
    fn invalid_header_value_error_does_not_echo_it() {
        let mut bad = auth(false);
        bad.header_value = Some("sk-secret\nvalue".into());
        let err = AuthInjector::new(&bad).unwrap_err();
        assert!(!err.contains("sk-secret"), "{err}");
    }
}
