//! Request-path normalisation before matching, and the upstream path Kong's `path_handling`
//! `v0` builds from the service path and what the route stripped.

use std::borrow::Cow;

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
    decode_escapes(path, true).unwrap_or_else(|| {
        // Some escapes make bytes that are not UTF-8: those (>= 0x80) stay escaped.
        decode_escapes(path, false).unwrap_or_else(|| path.to_string())
    })
}

/// Decodes every escape but those of reserved characters (uppercased), and those of bytes
/// >= 0x80 unless `high`; None when the result is not UTF-8.
fn decode_escapes(path: &str, high: bool) -> Option<String> {
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
                if is_reserved(v) || (!high && v >= 0x80) {
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
    String::from_utf8(out).ok()
}

/// Bytes Kong's `kong.tools.uri.escape` leaves as they are in the upstream path.
fn is_escape_exempt(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$&'()*+,/:;=?@[]-_.~%".contains(&b)
}

/// Percent-encodes (uppercase hex) every byte Kong's `escape` would, e.g. a space or a
/// non-ASCII character the normalisation decoded.
fn escape(path: String) -> String {
    if path.bytes().all(is_escape_exempt) {
        return path;
    }
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(path.len() + 16);
    for b in path.bytes() {
        if is_escape_exempt(b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
    out
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
}
