//! Request-path normalisation before matching, and the upstream path Kong's `path_handling`
//! `v0` builds from the service path and what the route stripped.

use std::borrow::Cow;

use percent_encoding::{AsciiSet, CONTROLS, NON_ALPHANUMERIC, percent_encode, utf8_percent_encode};

/// Normalises a request path as Kong does before routing (`kong.tools.uri.normalize(p, true)`):
/// percent-escapes are decoded except those of reserved characters (`/`, `?`, `%`, ...), which
/// get uppercase hex, dot segments are removed and repeated slashes merged. (Escapes whose bytes
/// do not decode to UTF-8 stay escaped; the upstream path is escaped again by
/// [`upstream_path_v0`], as Kong's `kong.tools.uri.escape` does.)
pub fn normalize(path: &str) -> Cow<'_, str> {
    if !needs_normalizing(path) {
        return Cow::Borrowed(path);
    }
    let decoded = decode_unreserved(path);
    let merged = merge_slashes(&decoded);
    Cow::Owned(remove_dot_segments(&merged))
}

/// The fast path: most request paths are already normal.
fn needs_normalizing(path: &str) -> bool {
    let b = path.as_bytes();
    if b.contains(&b'%') {
        return true;
    }
    b.windows(2).any(|w| w == b"//" || w == b"/.") || path.ends_with("/.")
}

/// Kong's reserved characters: their escapes are kept (`kong/tools/uri.lua`).
fn is_reserved(b: u8) -> bool {
    b"!*'();:@&=+$,/?%#[]".contains(&b)
}

fn decode_unreserved(path: &str) -> String {
    match String::from_utf8(decode_escapes(path)) {
        Ok(decoded) => decoded,
        // Some escapes make bytes that are not UTF-8: those stay escaped (uppercase hex),
        // while the escapes around them that do make UTF-8 are still decoded.
        Err(e) => {
            let mut out = String::with_capacity(e.as_bytes().len() + 8);
            for chunk in e.as_bytes().utf8_chunks() {
                out.push_str(chunk.valid());
                out.extend(percent_encode(chunk.invalid(), NON_ALPHANUMERIC));
            }
            out
        }
    }
}

/// Decodes every escape but those of reserved characters (kept, uppercased). The bytes made
/// may not be UTF-8; the path's own characters are.
fn decode_escapes(path: &str) -> Vec<u8> {
    let b = path.as_bytes();
    let mut out = Vec::with_capacity(path.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && b[i + 1].is_ascii_hexdigit()
            && b[i + 2].is_ascii_hexdigit()
        {
            let hex = &path[i + 1..i + 3];
            if let Ok(v) = u8::from_str_radix(hex, 16) {
                if is_reserved(v) {
                    out.push(b'%');
                    out.extend_from_slice(hex.to_ascii_uppercase().as_bytes());
                } else {
                    out.push(v);
                }
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// What Kong's `kong.tools.uri.escape` encodes in the upstream path: every byte but
/// alphanumerics and `!#$&'()*+,/:;=?@[]-_.~%`, so controls, a space, the double quote, angle
/// brackets, backslash, caret, backtick, braces, the bar and every non-ASCII byte.
const KONG_ESCAPE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Percent-encodes what Kong's `escape` would, e.g. a space or a non-ASCII character the
/// normalisation decoded; a path with nothing to encode is returned as it is.
fn escape(path: String) -> String {
    match Cow::from(utf8_percent_encode(&path, KONG_ESCAPE)) {
        Cow::Borrowed(_) => path,
        Cow::Owned(escaped) => escaped,
    }
}

/// Kong's `sanitize_uri_postfix`: what is left after the stripped prefix never starts with a
/// dot segment (`/api../x` on route `/api` must not send `<service path>/../x` upstream).
fn sanitize_postfix(postfix: &str) -> &str {
    if postfix == "." || postfix == ".." {
        ""
    } else if let Some(rest) = postfix.strip_prefix("./") {
        rest
    } else if let Some(rest) = postfix.strip_prefix("../") {
        rest
    } else {
        postfix
    }
}

fn merge_slashes(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut prev_slash = false;
    for ch in path.chars() {
        if ch == '/' && prev_slash {
            continue;
        }
        prev_slash = ch == '/';
        out.push(ch);
    }
    out
}

/// RFC 3986 §5.2.4 on an absolute path.
fn remove_dot_segments(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    let parts: Vec<&str> = path.split('/').skip(1).collect();
    let last = parts.len().saturating_sub(1);
    let mut trailing_slash = false;
    for (i, seg) in parts.iter().enumerate() {
        match *seg {
            "." => trailing_slash = i == last,
            ".." => {
                segments.pop();
                trailing_slash = i == last;
            }
            s => {
                segments.push(s);
                trailing_slash = false;
            }
        }
    }
    let mut out = String::with_capacity(path.len());
    for seg in &segments {
        out.push('/');
        out.push_str(seg);
    }
    if trailing_slash || out.is_empty() {
        out.push('/');
    }
    out
}

/// The upstream path under `path_handling` v0 (Kong's `get_upstream_uri_v0`), for a request
/// path `req` whose first `stripped` bytes the route matched (None when nothing is stripped).
/// The result is escaped as Kong escapes it (`kong.tools.uri.escape`).
pub fn upstream_path_v0(service_path: Option<&str>, req: &str, stripped: Option<usize>) -> String {
    escape(build_v0(service_path, req, stripped))
}

fn build_v0(service_path: Option<&str>, req: &str, stripped: Option<usize>) -> String {
    let base = service_path.unwrap_or("/");
    let base_trimmed = base.strip_suffix('/').unwrap_or(base);
    match stripped {
        Some(prefix_len) => {
            let postfix = sanitize_postfix(req.get(prefix_len..).unwrap_or(""));
            if base.ends_with('/') {
                if postfix.is_empty() {
                    if base == "/" {
                        "/".to_string()
                    } else if req.ends_with('/') {
                        base.to_string()
                    } else {
                        base_trimmed.to_string()
                    }
                } else if postfix.starts_with('/') {
                    [base_trimmed, postfix].concat()
                } else {
                    [base, postfix].concat()
                }
            } else if postfix.is_empty() {
                if req.len() > 1 && req.ends_with('/') {
                    [base, "/"].concat()
                } else {
                    base.to_string()
                }
            } else if postfix.starts_with('/') {
                [base, postfix].concat()
            } else {
                [base, "/", postfix].concat()
            }
        }
        None => {
            if base.ends_with('/') {
                [base, req.get(1..).unwrap_or("")].concat()
            } else if req == "/" {
                base.to_string()
            } else {
                [base, req].concat()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_corpus::corpus;

    #[test]
    fn normalises_like_kong() {
        assert_eq!(normalize("/a/b"), "/a/b");
        assert_eq!(normalize("/a//b///c"), "/a/b/c");
        assert_eq!(normalize("/a/./b/../c"), "/a/c");
        assert_eq!(normalize("/a/b/.."), "/a/");
        assert_eq!(normalize("/%7Euser/%2f/%41"), "/~user/%2F/A");
        assert_eq!(normalize("/../x"), "/x");
        assert_eq!(normalize("/%"), "/%");
        // Kong decodes every escape but those of reserved characters.
        assert_eq!(normalize("/caf%c3%a9/a%20b%3a"), "/café/a b%3A");
        assert_eq!(normalize("/x%E9/%41"), "/x%E9/A");
    }

    #[test]
    fn upstream_paths_are_escaped_and_postfixes_sanitised() {
        assert_eq!(
            upstream_path_v0(None, "/café/a b", None),
            "/caf%C3%A9/a%20b"
        );
        assert_eq!(upstream_path_v0(None, "/a%2F:@", None), "/a%2F:@");
        assert_eq!(upstream_path_v0(Some("/s"), "/r../x", Some(2)), "/s/x");
        assert_eq!(upstream_path_v0(Some("/s/"), "/r./x", Some(2)), "/s/x");
        assert_eq!(upstream_path_v0(Some("/s"), "/r..", Some(2)), "/s");
    }

    /// The reference table (service.path `/s`, route `/r`) and Kong's path-handling matrix.
    #[test]
    fn upstream_paths_v0() {
        let strip = |base: Option<&str>, req: &str, prefix: &str| {
            assert!(req.starts_with(prefix));
            upstream_path_v0(base, req, Some(prefix.len()))
        };
        let keep = |base: Option<&str>, req: &str| upstream_path_v0(base, req, None);
        assert_eq!(strip(Some("/s"), "/r/x", "/r"), "/s/x");
        assert_eq!(keep(Some("/s"), "/r/x"), "/s/r/x");
        assert_eq!(strip(Some("/s"), "/r", "/r"), "/s");
        assert_eq!(strip(Some("/s"), "/r/", "/r"), "/s/");
        assert_eq!(strip(Some("/s"), "/rx", "/r"), "/s/x");
        assert_eq!(strip(Some("/s/"), "/r", "/r"), "/s");
        assert_eq!(strip(Some("/s/"), "/r/", "/r"), "/s/");
        assert_eq!(strip(Some("/s/"), "/r/x", "/r"), "/s/x");
        assert_eq!(strip(Some("/s/"), "/rx", "/r"), "/s/x");
        assert_eq!(keep(Some("/s/"), "/r/x"), "/s/r/x");
        assert_eq!(keep(Some("/s"), "/"), "/s");
        assert_eq!(strip(None, "/r", "/r"), "/");
        assert_eq!(strip(None, "/r/x", "/r"), "/x");
        assert_eq!(keep(None, "/r/x"), "/r/x");
        assert_eq!(strip(Some("/"), "/r/", "/r"), "/");
    }

    fn has_dot_segment(path: &str) -> bool {
        path.split('/').skip(1).any(|seg| seg == "." || seg == "..")
    }

    /// Invariants over generated and hand-picked paths: no panic, the result starts with `/`,
    /// has no dot segment and no `//`, normalising again changes nothing, and every upstream
    /// path built from it is a whole `http::Uri` path without dot segments.
    #[test]
    fn normalize_and_upstream_invariants() {
        let mut inputs: Vec<String> = corpus(&["/", ".", "%", "2", "e", "E", "F", "a", "é"], 4)
            .into_iter()
            .map(|s| format!("/{s}"))
            .collect();
        inputs.extend(
            corpus(&["%", "C", "3", "A", "9", "F", "/"], 4)
                .iter()
                .map(|s| format!("/{s}")),
        );
        inputs.extend(
            [
                "/%",
                "/%4",
                "/%00",
                "/%2e%2e",
                "/%2E%2E/x",
                "/a/%2e%2e/%2e/b",
                "/%2F",
                "/%2f%2F",
                "/%C3",
                "/%FF",
                "/%C3%A9",
                "/%c3%a9%ff",
                "/%E2%82",
                "/%E2%82%AC",
                "/%F0%9F%98",
                "/%25",
                "/%252e%252e/",
                "/x/%2e%2e%2f..",
                "/./.././/..",
                "/a/b/../../../c/",
                "/%7e/%41%42",
                "/é/../%C3%A9/.",
                "/\u{0}/\u{7f}",
                "/a b/%20",
                "/ok\u{1F600}%F0",
            ]
            .map(String::from),
        );
        let services = [None, Some("/s"), Some("/s/")];
        for input in &inputs {
            let n = normalize(input);
            assert!(n.starts_with('/'), "{input:?} -> {n:?}");
            assert!(!n.contains("//"), "{input:?} -> {n:?}");
            assert!(!has_dot_segment(&n), "{input:?} -> {n:?}");
            assert_eq!(normalize(&n), n, "not idempotent on {input:?}");
            for service in services {
                let cuts = (0..=n.len()).filter(|&k| n.is_char_boundary(k));
                for stripped in std::iter::once(None).chain(cuts.map(Some)) {
                    let up = upstream_path_v0(service, &n, stripped);
                    let uri = http::Uri::try_from(up.as_str())
                        .unwrap_or_else(|e| panic!("{up:?} from {n:?}: {e}"));
                    assert_eq!(uri.path(), up, "{n:?} {service:?} {stripped:?}");
                    assert!(up.starts_with('/'), "{up:?}");
                    assert!(!has_dot_segment(&up), "{up:?} from {n:?} {stripped:?}");
                }
            }
        }
    }

    /// An escape that is not UTF-8 (`%FF`) no longer keeps the other escapes encoded: they are
    /// decoded as Kong decodes them, so `/café` routes match.
    #[test]
    fn only_escapes_that_are_not_utf8_stay_escaped() {
        assert_eq!(normalize("/caf%C3%A9/%FF"), "/café/%FF");
        assert_eq!(normalize("/%c3%a9%c3"), "/é%C3");
        assert_eq!(normalize("/%E2%82%41%E2%82%AC"), "/%E2%82A€");
        assert_eq!(normalize("/%FFé%41"), "/%FFéA");
        assert_eq!(
            upstream_path_v0(Some("/s"), &normalize("/caf%C3%A9/%FF"), None),
            "/s/caf%C3%A9/%FF"
        );
    }

    /// Kong decodes once (`gsub` over `%XX`), so a `%` followed by escaped hex digits becomes a
    /// new escape that a second normalisation would decode: kept as Kong has it.
    #[test]
    fn decoding_is_single_pass_as_in_kong() {
        assert_eq!(normalize("/%%34%31"), "/%41");
        assert_eq!(normalize("/%%32%65%%32%65/x"), "/%2e%2e/x");
    }
}
