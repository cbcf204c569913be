//! key-auth: identifies the consumer by an API key in a header, the query string or the body
//! (Kong priority 1250).

use async_trait::async_trait;
use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode};
use serde::Deserialize;
use serde_json::Value;

use super::{Ctx, Flow, PluginRuntime, parse_config};

#[derive(Debug, Deserialize)]
struct Config {
    key_names: Vec<String>,
    #[serde(default)]
    hide_credentials: bool,
    anonymous: Option<String>,
    #[serde(default = "yes")]
    key_in_header: bool,
    #[serde(default = "yes")]
    key_in_query: bool,
    #[serde(default)]
    key_in_body: bool,
    #[serde(default = "yes")]
    run_on_preflight: bool,
    realm: Option<String>,
}

fn yes() -> bool {
    true
}

pub struct KeyAuth {
    c: Config,
    www_authenticate: HeaderValue,
}

/// Bodies larger than this are not searched for a key.
const BODY_LIMIT: usize = 1 << 20;

enum Found {
    None,
    One(String),
    Duplicate,
}

impl KeyAuth {
    pub fn new(config: &Value) -> Result<KeyAuth, String> {
        let c: Config = parse_config("key-auth", config)?;
        let www = match &c.realm {
            Some(realm) => format!("Key realm=\"{realm}\""),
            None => "Key".to_string(),
        };
        Ok(KeyAuth {
            www_authenticate: HeaderValue::from_str(&www)
                .map_err(|_| format!("key-auth: realm {:?} cannot go in a header", c.realm))?,
            c,
        })
    }

    fn unauthorized(&self, ctx: &Ctx, message: &str) -> Flow {
        let mut response = ctx.error_response(StatusCode::UNAUTHORIZED, message);
        response.headers_mut().insert(
            http::header::WWW_AUTHENTICATE,
            self.www_authenticate.clone(),
        );
        Flow::Respond(response)
    }

    /// Finds the key, removing it from where it was when `hide_credentials` is set.
    async fn find_key(&self, ctx: &mut Ctx) -> Found {
        for name in &self.c.key_names {
            if self.c.key_in_header {
                let values: Vec<&HeaderValue> =
                    ctx.request.headers.get_all(name.as_str()).iter().collect();
                match values.as_slice() {
                    [] => {}
                    [one] => {
                        let key = String::from_utf8_lossy(one.as_bytes()).into_owned();
                        if self.c.hide_credentials {
                            ctx.request.headers.remove(name.as_str());
                        }
                        return Found::One(key);
                    }
                    _ => return Found::Duplicate,
                }
            }
            if self.c.key_in_query
                && let Some(query) = ctx.request.uri.query()
            {
                let values: Vec<String> = url::form_urlencoded::parse(query.as_bytes())
                    .filter(|(k, _)| k == name)
                    .map(|(_, v)| v.into_owned())
                    .collect();
                match values.len() {
                    0 => {}
                    1 => {
                        if self.c.hide_credentials {
                            hide_query_param(ctx, name);
                        }
                        return Found::One(values.into_iter().next().unwrap_or_default());
                    }
                    _ => return Found::Duplicate,
                }
            }
            if self.c.key_in_body
                && let Some(found) = self.key_in_body(ctx, name).await
            {
                return found;
            }
        }
        Found::None
    }

    async fn key_in_body(&self, ctx: &mut Ctx, name: &str) -> Option<Found> {
        let content_type = ctx
            .request
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let body = ctx.read_body(BODY_LIMIT).await.ok()?;
        if content_type.starts_with("application/json") {
            let mut doc: Value = serde_json::from_slice(&body).ok()?;
            let key = match doc.get(name)? {
                Value::String(s) => Found::One(s.clone()),
                Value::Array(_) => Found::Duplicate,
                other => Found::One(other.to_string()),
            };
            if self.c.hide_credentials
                && let Some(map) = doc.as_object_mut()
            {
                map.remove(name);
                ctx.set_body(Bytes::from(doc.to_string()));
            }
            Some(key)
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let values: Vec<&String> = pairs
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v)
                .collect();
            let found = match values.as_slice() {
                [] => return None,
                [one] => Found::One((*one).clone()),
                _ => Found::Duplicate,
            };
            if self.c.hide_credentials {
                let kept = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(pairs.iter().filter(|(k, _)| k != name))
                    .finish();
                ctx.set_body(Bytes::from(kept));
            }
            Some(found)
        } else {
            None
        }
    }
}

/// Removes a query parameter from what goes upstream.
fn hide_query_param(ctx: &mut Ctx, name: &str) {
    let Some(upstream) = ctx.upstream.as_mut() else {
        return;
    };
    let Some((path, query)) = upstream.path_and_query.split_once('?') else {
        return;
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let key = pair.split('=').next().unwrap_or("");
            url::form_urlencoded::parse(key.as_bytes())
                .next()
                .is_none_or(|(k, _)| k != name)
        })
        .collect();
    upstream.path_and_query = if kept.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", kept.join("&"))
    };
}

#[async_trait]
impl PluginRuntime for KeyAuth {
    async fn access(&self, ctx: &mut Ctx) -> Flow {
        if !self.c.run_on_preflight && ctx.request.method == Method::OPTIONS {
            return Flow::Continue;
        }
        if self.c.anonymous.is_some() && ctx.has_credential() {
            return Flow::Continue;
        }
        let message = match self.find_key(ctx).await {
            Found::Duplicate => "Duplicate API key found",
            Found::None => "No API key found in request",
            Found::One(key) => {
                let directory = ctx.directory.clone();
                if let Some(credential) = directory.key_credential(&key)
                    && let Some(consumer) = directory.consumer(&credential.consumer_id)
                {
                    ctx.authenticate(consumer, Some((&credential.id, &credential.id)), false);
                    return Flow::Continue;
                }
                "Unauthorized"
            }
        };
        match &self.c.anonymous {
            Some(anonymous) => anonymous_or_error(ctx, anonymous),
            None => self.unauthorized(ctx, message),
        }
    }
}

/// Identifies the configured anonymous consumer (shared by the auth plugins).
pub(crate) fn anonymous_or_error(ctx: &mut Ctx, anonymous: &str) -> Flow {
    let directory = ctx.directory.clone();
    match directory.find_consumer(anonymous) {
        Some(consumer) => {
            ctx.authenticate(consumer, None, true);
            Flow::Continue
        }
        None => Flow::Respond(ctx.error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("anonymous consumer {anonymous} is configured but doesn't exist"),
        )),
    }
}
