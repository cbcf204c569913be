//! The gateway's own error answers, in the format the client asked for, as Kong builds them.
//!
//! Kong answers errors by two paths, which pick the format differently:
//!
//! - [`kong_error`]: `kong.response.error` (`kong/pdk/response.lua`), used by the router (404),
//!   the balancer (503), the https redirect (426) and plugins (key-auth 401, acl 403,
//!   rate-limiting 429…). A gRPC request (HTTP/2 with a `Content-Type` starting with
//!   `application/grpc`) gets `grpc-status`/`grpc-message` headers and no body; any other gets
//!   the format its `Accept` headers (all of them, in order) ask for, JSON when they ask for
//!   none Kong knows.
//! - [`nginx_error`]: the errors nginx raises itself, which `kong/error_handlers.lua` words by
//!   status: a bad request head (400), a request body that stalls (408), an upstream that
//!   fails (502) or times out (504). The format comes from the first `Accept` header, else the
//!   request's `Content-Type`, else Kong's `error_default_type`, `text/plain`.
//!
//! The formats and their negotiation are Kong's `get_response_type`, `get_mime_type` and error
//! templates (`kong/tools/http.lua`): each `Accept` entry must look like `type/subtype` (names of
//! two characters or more, or `*`) with optional `;q=` and other parameters; the first entry with
//! the strictly highest quality (1 when not given; `q=0` never wins) decides, and one Kong has no
//! template for (`image/png`, or `TEXT/HTML`: its table is case-sensitive) means JSON. `text/*`
//! is plain text, any other wildcard JSON. Unlike Kong's templates, the message is escaped for
//! the format (Kong pastes it in as is, so a `"` in a rate-limiting `error_message` would make
//! its JSON invalid); Kong's fixed messages come out byte for byte the same.
//!
//! Nothing here runs unless an error is answered.

use std::borrow::Cow;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::request::Parts;
use http::{Response, StatusCode, Version};

use crate::gateway::plugins::{Body, Ctx, full_body};

/// What the gateway said in an error it answered itself, kept in the response's extensions:
/// a plugin whose `response` hook rewrites gateway errors (ai-proxy, into OpenAI's shape) reads
/// it here rather than parsing a body whose format the client chose.
#[derive(Debug, Clone, PartialEq)]
pub struct GatewayError {
    pub message: String,
    pub request_id: String,
}

/// `kong.response.error(status, message)`: `message` in the format the request asks for.
pub fn kong_error(
    status: StatusCode,
    message: &str,
    request_id: &str,
    request: &Parts,
) -> Response<Body> {
    let answer = if is_grpc_request(request) {
        Answer::Grpc(Cow::Borrowed(grpc_name(grpc_status(status))))
    } else {
        let accept = request.headers.get_all(header::ACCEPT);
        Answer::Template(negotiate(accept.iter().map(HeaderValue::as_bytes)))
    };
    respond(status, answer, message, request_id)
}

/// nginx's own error with this status, worded and formatted as `kong/error_handlers.lua` does.
pub fn nginx_error(status: StatusCode, request_id: &str, request: &Parts) -> Response<Body> {
    let message = nginx_message(status);
    let asked = first(&request.headers, header::ACCEPT)
        .or_else(|| first(&request.headers, header::CONTENT_TYPE));
    let answer = match asked {
        // Kong hands `{message = …}` to `kong.response.exit`: for a gRPC request the message goes
        // in `grpc-message`, for any other the table is sent as JSON.
        Some(asked) if asked.starts_with(b"application/grpc") => {
            if is_grpc_request(request) {
                Answer::GrpcExit
            } else {
                Answer::BareJson
            }
        }
        Some(asked) => Answer::Template(negotiate(std::iter::once(asked))),
        // `error_default_type`, whose default is `text/plain`.
        None => Answer::Template(Format::Plain),
    };
    respond(status, answer, &message, request_id)
}

/// nginx's answer to a request whose body did not arrive whole (408 when the client went
/// quiet, 400 when the body broke off), on a connection then closed.
pub fn body_not_received(ctx: &Ctx, status: StatusCode) -> Response<Body> {
    let mut response = nginx_error(status, &ctx.request_id, &ctx.request);
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// The message `kong/error_handlers.lua` gives nginx's errors.
pub fn nginx_message(status: StatusCode) -> Cow<'static, str> {
    Cow::Borrowed(match status.as_u16() {
        400 => "Bad request",
        404 => "Not found",
        405 => "Method not allowed",
        408 => "Request timeout",
        411 => "Length required",
        412 => "Precondition failed",
        413 => "Payload too large",
        414 => "URI too long",
        417 => "Expectation failed",
        494 => "Request header or cookie too large",
        500 => "An unexpected error occurred",
        502 => "An invalid response was received from the upstream server",
        503 => "The upstream server is currently unavailable",
        504 => "The upstream server is timing out",
        other => return Cow::Owned(format!("The upstream server responded with {other}")),
    })
}

/// The formats Kong has templates for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Html,
    Xml,
    Plain,
    /// What Kong's table gives `Accept: application/grpc` on a request that is not gRPC: an
    /// empty template and an empty `Content-Type` (which nginx leaves out).
    Empty,
}

/// How one error is answered.
enum Answer {
    /// One of Kong's templates.
    Template(Format),
    /// `kong.response.error` to a gRPC request: `Content-Type: application/grpc`, no body, the
    /// status's gRPC name as `grpc-message` (the message itself is dropped, as in Kong).
    Grpc(Cow<'static, str>),
    /// `kong.response.exit(status, {message = …})` to a gRPC request: no body, no
    /// `Content-Type`, the message as `grpc-message`.
    GrpcExit,
    /// `kong.response.exit(status, {message = …})` to anything else: `{"message":…}`.
    BareJson,
}

const JSON: HeaderValue = HeaderValue::from_static("application/json; charset=utf-8");
const GRPC: HeaderValue = HeaderValue::from_static("application/grpc");
const GRPC_STATUS: HeaderName = HeaderName::from_static("grpc-status");
const GRPC_MESSAGE: HeaderName = HeaderName::from_static("grpc-message");

fn respond(status: StatusCode, answer: Answer, message: &str, request_id: &str) -> Response<Body> {
    let (content_type, body, grpc) = match answer {
        Answer::Template(format) => (
            format.content_type(),
            render(format, message, request_id),
            None,
        ),
        Answer::Grpc(name) => (Some(GRPC), String::new(), Some(name)),
        Answer::GrpcExit => (None, String::new(), Some(Cow::Owned(message.to_string()))),
        Answer::BareJson => (
            Some(JSON),
            serde_json::json!({ "message": message }).to_string(),
            None,
        ),
    };
    let mut response = Response::new(full_body(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Some(content_type) = content_type {
        headers.insert(header::CONTENT_TYPE, content_type);
    }
    if let Some(grpc_message) = grpc {
        headers.insert(
            GRPC_STATUS,
            HeaderValue::from(u16::from(grpc_status(status))),
        );
        if let Ok(value) = HeaderValue::from_str(&grpc_message) {
            headers.insert(GRPC_MESSAGE, value);
        }
    }
    response.extensions_mut().insert(GatewayError {
        message: message.to_string(),
        request_id: request_id.to_string(),
    });
    response
}

impl Format {
    /// The `Content-Type` Kong sends with this format.
    fn content_type(self) -> Option<HeaderValue> {
        Some(match self {
            Format::Json => JSON,
            Format::Html => HeaderValue::from_static("text/html; charset=utf-8"),
            Format::Xml => HeaderValue::from_static("application/xml; charset=utf-8"),
            Format::Plain => HeaderValue::from_static("text/plain; charset=utf-8"),
            Format::Empty => return None,
        })
    }
}

/// Kong's error templates (`kong/tools/http.lua`), filled in.
fn render(format: Format, message: &str, request_id: &str) -> String {
    match format {
        Format::Json => format!(
            "{{\n  \"message\":{},\n  \"request_id\":{}\n}}",
            json_string(message),
            json_string(request_id)
        ),
        Format::Html => format!(
            "<!doctype html>\n<html>\n  <head>\n    <meta charset=\"utf-8\">\n    \
             <title>Error</title>\n  </head>\n  <body>\n    <h1>Error</h1>\n    <p>{}.</p>\n    \
             <p>request_id: {}</p>\n  </body>\n</html>\n",
            markup(message),
            markup(request_id)
        ),
        Format::Xml => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<error>\n  <message>{}</message>\n  \
             <requestid>{}</requestid>\n</error>\n",
            markup(message),
            markup(request_id)
        ),
        Format::Plain => format!("{message}\nrequest_id: {request_id}\n"),
        Format::Empty => String::new(),
    }
}

fn json_string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// Text escaped for HTML and XML content.
fn markup(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Kong's `is_grpc_request`: HTTP/2 with a `Content-Type` starting with `application/grpc`.
fn is_grpc_request(request: &Parts) -> bool {
    request.version == Version::HTTP_2
        && first(&request.headers, header::CONTENT_TYPE)
            .is_some_and(|v| v.starts_with(b"application/grpc"))
}

fn first(headers: &HeaderMap, name: HeaderName) -> Option<&[u8]> {
    headers.get(name).map(HeaderValue::as_bytes)
}

/// Kong's `HTTP_TO_GRPC_STATUS`, with its fallbacks by class (its 200, 400 and 500 entries
/// are their class's codes).
fn grpc_status(status: StatusCode) -> u8 {
    match status.as_u16() {
        401 => 16,
        403 => 7,
        404 => 5,
        409 => 6,
        429 => 8,
        499 => 1,
        501 => 12,
        503 => 14,
        504 => 4,
        500..=599 => 13,
        400..=499 => 3,
        200..=299 => 0,
        _ => 2,
    }
}

/// The names Kong sends as `grpc-message` for gRPC status codes.
fn grpc_name(code: u8) -> &'static str {
    match code {
        0 => "OK",
        1 => "Canceled",
        3 => "InvalidArgument",
        4 => "DeadlineExceeded",
        5 => "NotFound",
        6 => "AlreadyExists",
        7 => "PermissionDenied",
        8 => "ResourceExhausted",
        9 => "FailedPrecondition",
        10 => "Aborted",
        11 => "OutOfRange",
        12 => "Unimplemented",
        13 => "Internal",
        14 => "Unavailable",
        15 => "DataLoss",
        16 => "Unauthenticated",
        _ => "Unknown",
    }
}

/// Kong's `get_response_type` over the comma-separated entries of these header values.
fn negotiate<'a>(values: impl Iterator<Item = &'a [u8]>) -> Format {
    let mut format = Format::Json;
    let mut best = 0;
    for value in values {
        for entry in value.split(|&b| b == b',') {
            let Some((media, quality)) = parse_entry(strip(entry)) else {
                continue;
            };
            if quality > best {
                best = quality;
                format = media_format(media);
            }
        }
    }
    format
}

/// Kong's `get_mime_type`: the format for a media range (compared case-sensitively, as Kong's
/// table lookup does).
fn media_format(media: &[u8]) -> Format {
    let (kind, subtype) = match media.iter().position(|&b| b == b'/') {
        Some(i) => (&media[..i], &media[i + 1..]),
        None => return Format::Json,
    };
    if subtype == b"*" {
        return if kind == b"text" {
            Format::Plain
        } else {
            Format::Json
        };
    }
    match media {
        b"text/html" => Format::Html,
        b"text/plain" => Format::Plain,
        b"application/xml" => Format::Xml,
        b"application/grpc" => Format::Empty,
        _ => Format::Json,
    }
}

/// Kong's `strip`: spaces and `\t`…`\r` off both ends.
fn strip(text: &[u8]) -> &[u8] {
    let blank = |b: &u8| *b == b' ' || (b'\t'..=b'\r').contains(b);
    let start = text.iter().position(|b| !blank(b)).unwrap_or(text.len());
    let end = text
        .iter()
        .rposition(|b| !blank(b))
        .map_or(start, |i| i + 1);
    &text[start..end]
}

/// One `Accept` entry as Kong's pattern reads it (anchored at the start only, case-insensitive):
/// the media range and its quality in thousandths, or `None` when the entry does not match.
/// Parameters are read while they look like `;q=…` or `;name[=value]`; the rest is ignored.
fn parse_entry(entry: &[u8]) -> Option<(&[u8], u16)> {
    let kind = range_part(entry)?;
    if entry.get(kind) != Some(&b'/') {
        return None;
    }
    let end = kind + 1 + range_part(&entry[kind + 1..])?;
    let mut quality = 1000;
    let mut rest = &entry[end..];
    while let Some(after) = skip_blanks(rest).strip_prefix(b";") {
        let after = skip_blanks(after);
        if let Some((q, len)) = q_param(after) {
            quality = q;
            rest = &after[len..];
            continue;
        }
        let name = token(after);
        if name == 0 {
            break;
        }
        rest = &after[name..];
        if rest.first() == Some(&b'=') {
            let value_end = rest.iter().position(|&b| b == b';').unwrap_or(rest.len());
            rest = &rest[value_end..];
        }
    }
    Some((&entry[..end], quality))
}

/// `\s*` of the pattern.
fn skip_blanks(text: &[u8]) -> &[u8] {
    let n = text
        .iter()
        .take_while(|b| b.is_ascii_whitespace() || **b == 0x0b)
        .count();
    &text[n..]
}

/// A type or subtype: a token, or `*`. Its length.
fn range_part(text: &[u8]) -> Option<usize> {
    match token(text) {
        0 if text.first() == Some(&b'*') => Some(1),
        0 => None,
        n => Some(n),
    }
}

/// `[a-z0-9][a-z0-9-!#$&^_+.]+` (case-insensitive): its length, 0 when there is none.
fn token(text: &[u8]) -> usize {
    if !text.first().is_some_and(u8::is_ascii_alphanumeric) {
        return 0;
    }
    let rest = text[1..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || b"-!#$&^_+.".contains(b))
        .count();
    if rest == 0 { 0 } else { 1 + rest }
}

/// `q=` followed by `1`, `1.`, `1.0`…`1.000` or `0`, `0.`…`0.ddd`: the quality in thousandths
/// and the length read.
fn q_param(text: &[u8]) -> Option<(u16, usize)> {
    if text.len() < 3 || !text[0].eq_ignore_ascii_case(&b'q') || text[1] != b'=' {
        return None;
    }
    let one = match text[2] {
        b'1' => true,
        b'0' => false,
        _ => return None,
    };
    let mut quality = if one { 1000 } else { 0 };
    let mut len = 3;
    if text.get(3) == Some(&b'.') {
        len += 1;
        let mut scale = 100;
        for &digit in text[4..].iter().take(3) {
            let allowed = if one {
                digit == b'0'
            } else {
                digit.is_ascii_digit()
            };
            if !allowed {
                break;
            }
            quality += u16::from(digit - b'0') * scale;
            scale /= 10;
            len += 1;
        }
    }
    Some((quality, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(accept: &str) -> Format {
        negotiate(std::iter::once(accept.as_bytes()))
    }

    #[test]
    fn the_first_entry_with_the_highest_quality_decides() {
        assert_eq!(pick("text/html"), Format::Html);
        assert_eq!(pick("application/xml"), Format::Xml);
        assert_eq!(pick("text/plain"), Format::Plain);
        assert_eq!(pick("application/json"), Format::Json);
        // Kong's PDK test 5: `text/html;level=1` has q=1.
        assert_eq!(
            pick(
                "text/plain;q=0.3, text/html;q=0.7, text/html;level=1, text/html;level=2;q=0.4, */*;q=0.5"
            ),
            Format::Html
        );
        // error_default_type_spec: "defaults to 1 when q-value is not specified".
        assert_eq!(
            pick("application/json;q=0.9,text/html,text/plain;q=0.9"),
            Format::Html
        );
        assert_eq!(
            pick("text/plain;q=0.7,application/json;q=0.8,text/html;q=0.5"),
            Format::Json
        );
        // Equal qualities: the first wins.
        assert_eq!(pick("text/plain, text/html"), Format::Plain);
        // q=0 never wins.
        assert_eq!(pick("text/html;q=0"), Format::Json);
        assert_eq!(pick("text/html;Q=0.5 ; charset=x"), Format::Html);
    }

    #[test]
    fn several_accept_headers_count_as_one_list() {
        // Kong's PDK test 15.
        let values = [
            "text/plain;q=0.2, text/*;q=0.1",
            "text/css;q=0.7, text/html;q=0.9, */*;q=0.5",
            "application/xml;q=0.2, application/json;q=0.3",
        ];
        assert_eq!(negotiate(values.iter().map(|v| v.as_bytes())), Format::Html);
    }

    #[test]
    fn unknown_types_and_wildcards() {
        assert_eq!(pick("*/*"), Format::Json);
        assert_eq!(pick("text/*"), Format::Plain);
        assert_eq!(pick("application/*"), Format::Json);
        assert_eq!(pick("image/*"), Format::Json);
        // A better entry Kong has no template for means JSON.
        assert_eq!(pick("text/html;q=0.5, image/png"), Format::Json);
        assert_eq!(pick("text/html, image/png"), Format::Html);
        // Kong's PDK test 3: not a media range at all.
        assert_eq!(pick("json"), Format::Json);
        assert_eq!(pick(""), Format::Json);
        // One-letter names do not match Kong's pattern; upper case matches it but not its table.
        assert_eq!(pick("a/b, text/html;q=0.1"), Format::Html);
        assert_eq!(pick("TEXT/HTML"), Format::Json);
        assert_eq!(pick("application/grpc"), Format::Empty);
    }

    #[test]
    fn quality_values_read_as_kong_reads_them() {
        assert_eq!(
            parse_entry(b"text/html;q=0.5"),
            Some((&b"text/html"[..], 500))
        );
        assert_eq!(
            parse_entry(b"text/html; q=0.125"),
            Some((&b"text/html"[..], 125))
        );
        assert_eq!(
            parse_entry(b"text/html;q=0.1239"),
            Some((&b"text/html"[..], 123))
        );
        assert_eq!(
            parse_entry(b"text/html;q=1.000"),
            Some((&b"text/html"[..], 1000))
        );
        assert_eq!(parse_entry(b"text/html;q=0."), Some((&b"text/html"[..], 0)));
        // Not a quality Kong's pattern reads: the parameters stop there, q stays 1.
        assert_eq!(
            parse_entry(b"text/html;q=2"),
            Some((&b"text/html"[..], 1000))
        );
        assert_eq!(
            parse_entry(b"text/html;q = 0.5"),
            Some((&b"text/html"[..], 1000))
        );
        assert_eq!(
            parse_entry(b"text/html;level=1;q=0.2"),
            Some((&b"text/html"[..], 200))
        );
        assert_eq!(parse_entry(b"*/html"), Some((&b"*/html"[..], 1000)));
        assert_eq!(parse_entry(b"html"), None);
        assert_eq!(parse_entry(b"*x/html"), None);
    }

    #[test]
    fn templates_are_kongs() {
        assert_eq!(
            render(Format::Json, "no Route matched with those values", "abc"),
            "{\n  \"message\":\"no Route matched with those values\",\n  \"request_id\":\"abc\"\n}"
        );
        assert_eq!(
            render(Format::Plain, "Not found", "abc"),
            "Not found\nrequest_id: abc\n"
        );
        assert_eq!(
            render(Format::Xml, "m", "abc"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<error>\n  <message>m</message>\n  \
             <requestid>abc</requestid>\n</error>\n"
        );
        assert!(render(Format::Html, "m", "abc").contains("<p>m.</p>\n    <p>request_id: abc</p>"));
        // Escaped, unlike Kong's.
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&render(Format::Json, "a \"b\"", "x"))
                .unwrap()["message"],
            "a \"b\""
        );
        assert!(render(Format::Xml, "a<b&c", "x").contains("<message>a&lt;b&amp;c</message>"));
    }

    fn request(version: Version, headers: &[(&str, &str)]) -> Parts {
        let mut builder = http::Request::builder().version(version);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn nginx_errors_fall_back_to_content_type_then_plain_text() {
        let type_of = |r: &Response<Body>| {
            r.headers()
                .get(header::CONTENT_TYPE)
                .map(|v| v.to_str().unwrap().to_string())
        };
        let none = request(Version::HTTP_11, &[]);
        let r = nginx_error(StatusCode::GATEWAY_TIMEOUT, "id", &none);
        assert_eq!(type_of(&r).as_deref(), Some("text/plain; charset=utf-8"));
        let posted = request(Version::HTTP_11, &[("content-type", "application/json")]);
        let r = nginx_error(StatusCode::GATEWAY_TIMEOUT, "id", &posted);
        assert_eq!(
            type_of(&r).as_deref(),
            Some("application/json; charset=utf-8")
        );
        // `kong.response.error` defaults to JSON and ignores Content-Type.
        let r = kong_error(StatusCode::NOT_FOUND, "m", "id", &none);
        assert_eq!(
            type_of(&r).as_deref(),
            Some("application/json; charset=utf-8")
        );
        let html = request(
            Version::HTTP_11,
            &[("content-type", "text/html"), ("accept", "application/xml")],
        );
        let r = kong_error(StatusCode::NOT_FOUND, "m", "id", &html);
        assert_eq!(
            type_of(&r).as_deref(),
            Some("application/xml; charset=utf-8")
        );
        assert_eq!(
            r.extensions().get::<GatewayError>(),
            Some(&GatewayError {
                message: "m".into(),
                request_id: "id".into()
            })
        );
        assert_eq!(
            nginx_message(StatusCode::GATEWAY_TIMEOUT),
            "The upstream server is timing out"
        );
        assert_eq!(
            nginx_message(StatusCode::IM_A_TEAPOT),
            "The upstream server responded with 418"
        );
    }

    #[test]
    fn grpc_requests_get_grpc_status_headers() {
        let grpc = request(
            Version::HTTP_2,
            &[("content-type", "application/grpc+proto")],
        );
        let r = kong_error(
            StatusCode::UNAUTHORIZED,
            "No API key found in request",
            "id",
            &grpc,
        );
        assert_eq!(r.headers()["content-type"], "application/grpc");
        assert_eq!(r.headers()["grpc-status"], "16");
        assert_eq!(r.headers()["grpc-message"], "Unauthenticated");
        let r = nginx_error(StatusCode::BAD_GATEWAY, "id", &grpc);
        assert!(r.headers().get("content-type").is_none());
        assert_eq!(r.headers()["grpc-status"], "13");
        assert_eq!(
            r.headers()["grpc-message"],
            "An invalid response was received from the upstream server"
        );
        // Over HTTP/1.1 it is not gRPC.
        let h1 = request(Version::HTTP_11, &[("content-type", "application/grpc")]);
        let r = kong_error(StatusCode::NOT_FOUND, "m", "id", &h1);
        assert_eq!(
            r.headers()["content-type"],
            "application/json; charset=utf-8"
        );
        let r = nginx_error(StatusCode::BAD_GATEWAY, "id", &h1);
        assert_eq!(
            r.headers()["content-type"],
            "application/json; charset=utf-8"
        );
        assert!(r.headers().get("grpc-status").is_none());
        assert_eq!(grpc_status(StatusCode::IM_A_TEAPOT), 3);
        assert_eq!(grpc_status(StatusCode::from_u16(302).unwrap()), 2);
    }
}
