//! key-auth: identifies the consumer by an API key in a header, the query string or the body
//! (Kong priority 1250).

use async_trait::async_trait;
use bytes::{BufMut, Bytes, BytesMut};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{Ctx, Flow, PluginRuntime, escaped_header_value, parse_config};

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
    /// Nothing under that name here: the next place is searched.
    None,
    One(String),
    Duplicate,
    /// A value that is no key (a bare `?apikey`, Kong's `true`; a JSON number): the search
    /// goes on with the next key name, without looking further under this one.
    NotAKey,
}

impl KeyAuth {
    pub fn new(config: &Value) -> Result<KeyAuth, String> {
        let c: Config = parse_config("key-auth", config)?;
        let www = match &c.realm {
            Some(realm) => format!("Key realm=\"{realm}\""),
            None => "Key".to_string(),
        };
        Ok(KeyAuth {
            www_authenticate: escaped_header_value(&www),
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

    /// Finds the key and the key name it was found under. Kong looks, for each name in
    /// turn, in the headers, then the query string, then the body, and stops at the first
    /// place that has anything under it: a key (even empty) or several end the search, any
    /// other value moves it on to the next name. The body, when it was looked at, is handed
    /// back parsed.
    async fn find_key(&self, ctx: &mut Ctx) -> (Found, &str, Option<RequestBody>) {
        // Parsed once, at the first name that gets as far as the body.
        let mut body = None;
        for name in &self.c.key_names {
            let mut found = Found::None;
            if self.c.key_in_header {
                let values: Vec<&HeaderValue> =
                    ctx.request.headers.get_all(name.as_str()).iter().collect();
                found = match values.as_slice() {
                    [] => Found::None,
                    [one] => Found::One(String::from_utf8_lossy(one.as_bytes()).into_owned()),
                    _ => Found::Duplicate,
                };
            }
            if matches!(found, Found::None)
                && self.c.key_in_query
                && let Some(query) = ctx.request.uri.query()
            {
                found = found_in_args(arg_values(query.as_bytes(), name));
            }
            if matches!(found, Found::None) && self.c.key_in_body {
                if body.is_none() {
                    body = Some(read_body(ctx).await);
                }
                found = body.as_ref().map_or(Found::None, |b| b.lookup(name));
            }
            match found {
                Found::None | Found::NotAKey => {}
                found => return (found, name, body),
            }
        }
        (Found::None, "", body)
    }

    /// `hide_credentials`: Kong clears the key name from every place a key may come from,
    /// not only the one it was found in, so a second copy cannot reach the upstream either.
    /// `body` is the body as `find_key` parsed it, if it got that far.
    async fn hide_key(&self, ctx: &mut Ctx, name: &str, body: Option<RequestBody>) {
        ctx.request.headers.remove(name);
        hide_query_param(ctx, name);
        if self.c.key_in_body {
            let body = match body {
                Some(body) => body,
                None => read_body(ctx).await,
            };
            match body {
                RequestBody::Json(mut map) => {
                    if map.remove(name).is_some() {
                        ctx.set_body(Bytes::from(Value::Object(map).to_string()));
                    }
                }
                RequestBody::Form(form) => {
                    if arg_values(&form, name).next().is_some() {
                        // The other fields go on byte for byte.
                        let kept: Vec<&[u8]> = form
                            .split(|&b| b == b'&')
                            .filter(|piece| arg_name(piece).is_none_or(|k| k != name))
                            .collect();
                        ctx.set_body(Bytes::from(kept.join(&b'&')));
                    }
                }
                RequestBody::Multipart(form) => {
                    if form.parts_named(name).next().is_some() {
                        ctx.set_body(form.encode_without(name));
                    }
                }
                RequestBody::Other => {}
            }
        }
    }
}

/// A request body as key-auth searches it.
enum RequestBody {
    Json(Map<String, Value>),
    /// `application/x-www-form-urlencoded`, as sent.
    Form(Bytes),
    Multipart(MultipartForm),
    /// Another type, not an object, unreadable or too large: it holds no key.
    Other,
}

/// A `multipart/form-data` body, part by part, so it can be written out again without one
/// field.
struct MultipartForm {
    boundary: String,
    parts: Vec<FormPart>,
}

/// One part: its field name, its headers (`Content-Disposition`, maybe `Content-Type`) and
/// its content.
struct FormPart {
    name: Option<String>,
    headers: HeaderMap,
    data: Bytes,
}

impl MultipartForm {
    /// Parses `body` with the boundary of `content_type`; `None` when it is not a well-formed
    /// multipart body (Kong then finds no key in it either).
    async fn parse(content_type: &str, body: Bytes) -> Option<MultipartForm> {
        let boundary = multer::parse_boundary(content_type).ok()?;
        let whole =
            futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
        let mut multipart = multer::Multipart::new(whole, boundary.as_str());
        let mut parts = Vec::new();
        while let Some(field) = multipart.next_field().await.ok()? {
            let name = field.name().map(str::to_string);
            let headers = field.headers().clone();
            let data = field.bytes().await.ok()?;
            parts.push(FormPart {
                name,
                headers,
                data,
            });
        }
        Some(MultipartForm { boundary, parts })
    }

    fn parts_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a FormPart> {
        self.parts
            .iter()
            .filter(move |part| part.name.as_deref() == Some(name))
    }

    /// The body without the parts named `name`. Kong rebuilds the whole form from its decoded
    /// values (each part a bare field, sorted by name, losing file names and content types);
    /// here every other part is written back with its own headers and bytes, under the same
    /// boundary (which the parts were already free of), so the request's `Content-Type` still
    /// holds and the upstream gets the form as sent, less the key.
    fn encode_without(&self, name: &str) -> Bytes {
        let mut out = BytesMut::new();
        for part in self
            .parts
            .iter()
            .filter(|p| p.name.as_deref() != Some(name))
        {
            out.put_slice(b"--");
            out.put_slice(self.boundary.as_bytes());
            out.put_slice(b"\r\n");
            for (header, value) in &part.headers {
                out.put_slice(header.as_str().as_bytes());
                out.put_slice(b": ");
                out.put_slice(value.as_bytes());
                out.put_slice(b"\r\n");
            }
            out.put_slice(b"\r\n");
            out.put_slice(&part.data);
            out.put_slice(b"\r\n");
        }
        out.put_slice(b"--");
        out.put_slice(self.boundary.as_bytes());
        out.put_slice(b"--\r\n");
        out.freeze()
    }
}

impl RequestBody {
    /// The key under `name`, as Kong reads a decoded body: a string is a key, a list (or an
    /// object: a Lua table too) means several keys, and other JSON values are not keys, so
    /// the search goes on with the next name.
    fn lookup(&self, name: &str) -> Found {
        match self {
            RequestBody::Json(map) => match map.get(name) {
                Some(Value::String(s)) => Found::One(s.clone()),
                Some(Value::Array(_) | Value::Object(_)) => Found::Duplicate,
                Some(_) => Found::NotAKey,
                None => Found::None,
            },
            RequestBody::Form(form) => found_in_args(arg_values(form, name)),
            RequestBody::Multipart(form) => {
                // A file part's content counts as its value, as in Kong's multipart reader.
                let mut values = form.parts_named(name);
                match (values.next(), values.next()) {
                    (None, _) => Found::None,
                    (Some(part), None) => {
                        Found::One(String::from_utf8_lossy(&part.data).into_owned())
                    }
                    (Some(_), Some(_)) => Found::Duplicate,
                }
            }
            RequestBody::Other => Found::None,
        }
    }
}

/// Reads and decodes the body by its `Content-Type` (JSON, a URL-encoded form or a multipart
/// form: what Kong's `kong.request.get_body()` reads).
async fn read_body(ctx: &mut Ctx) -> RequestBody {
    // The boundary is case-sensitive: only the type is compared without case.
    let header = ctx
        .request
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let content_type = header.to_ascii_lowercase();
    let Ok(body) = ctx.read_body(BODY_LIMIT).await else {
        return RequestBody::Other;
    };
    if content_type.starts_with("multipart/form-data") {
        MultipartForm::parse(&header, body)
            .await
            .map_or(RequestBody::Other, RequestBody::Multipart)
    } else if content_type.starts_with("application/json") {
        match serde_json::from_slice(&body) {
            Ok(Value::Object(map)) => RequestBody::Json(map),
            _ => RequestBody::Other,
        }
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        RequestBody::Form(body)
    } else {
        RequestBody::Other
    }
}

/// The values of the arguments named `name` in a query string or URL-encoded form, decoded,
/// as nginx's argument parser hands them to Kong (`kong.request.get_query()`, `get_body()`):
/// `Some(value)` for `name=value` (`name=` gives an empty string), `None` for a bare `name`,
/// which Kong sees as `true`.
pub(crate) fn arg_values<'a>(
    input: &'a [u8],
    name: &'a str,
) -> impl Iterator<Item = Option<String>> + 'a {
    input.split(|&b| b == b'&').filter_map(move |piece| {
        let (key, value) = url::form_urlencoded::parse(piece).next()?;
        (key == name).then(|| piece.contains(&b'=').then(|| value.into_owned()))
    })
}

/// The decoded name of one `name[=value]` argument (`None` for an empty piece).
fn arg_name(piece: &[u8]) -> Option<std::borrow::Cow<'_, str>> {
    url::form_urlencoded::parse(piece).next().map(|(k, _)| k)
}

/// What Kong makes of the arguments under one name: none, one string (a key), one `true`
/// (no key), or several (a Lua table: duplicate keys).
fn found_in_args(mut values: impl Iterator<Item = Option<String>>) -> Found {
    match (values.next(), values.next()) {
        (None, _) => Found::None,
        (Some(Some(key)), None) => Found::One(key),
        (Some(None), None) => Found::NotAKey,
        (Some(_), Some(_)) => Found::Duplicate,
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
        .filter(|pair| arg_name(pair.as_bytes()).is_none_or(|k| k != name))
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
        let (found, name, body) = self.find_key(ctx).await;
        let message = match found {
            Found::Duplicate => "Duplicate API key found",
            Found::None | Found::NotAKey => "No API key found in request",
            Found::One(key) => {
                if self.c.hide_credentials {
                    self.hide_key(ctx, name, body).await;
                }
                // Kong stops at the first name present, even with an empty value, and
                // then reports the key as missing rather than wrong.
                if key.is_empty() {
                    "No API key found in request"
                } else {
                    let directory = ctx.directory.clone();
                    if let Some(credential) = directory.key_credential(&key)
                        && let Some(consumer) = directory.consumer(&credential.consumer_id)
                    {
                        ctx.authenticate(consumer, Some((&credential.id, &credential.id)), false);
                        return Flow::Continue;
                    }
                    "Unauthorized"
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    const TYPE: &str = "multipart/form-data; boundary=b0";

    async fn parse(content_type: &str, body: &'static str) -> Option<MultipartForm> {
        MultipartForm::parse(content_type, Bytes::from_static(body.as_bytes())).await
    }

    /// Malformed forms hold no key (and do not panic).
    #[tokio::test]
    async fn malformed_multipart_bodies_are_no_form() {
        let truncated = "--b0\r\ncontent-disposition: form-data; name=\"apikey\"\r\n\r\nk";
        assert!(parse(TYPE, truncated).await.is_none());
        assert!(parse("multipart/form-data", "--b0--\r\n").await.is_none());
        assert!(parse(TYPE, "no boundary at all").await.is_none());
        let empty = parse(TYPE, "--b0--\r\n").await.unwrap();
        assert!(empty.parts.is_empty());
    }

    #[tokio::test]
    async fn a_form_without_the_key_reads_back_the_same() {
        let body = "--b0\r\ncontent-disposition: form-data; name=\"a\"\r\n\r\n1\r\n\
                    --b0\r\ncontent-disposition: form-data; name=\"apikey\"\r\n\r\nk\r\n--b0--\r\n";
        let form = parse(TYPE, body).await.unwrap();
        let kept = form.encode_without("apikey");
        assert_eq!(
            kept,
            "--b0\r\ncontent-disposition: form-data; name=\"a\"\r\n\r\n1\r\n--b0--\r\n"
        );
        let again = MultipartForm::parse(TYPE, kept).await.unwrap();
        assert_eq!(again.parts.len(), 1);
        assert_eq!(again.parts[0].data, "1");
    }
}
