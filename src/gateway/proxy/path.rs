//! Request-path normalisation before matching, and the upstream path Kong's `path_handling`
//! `v0` builds from the service path and what the route stripped.

use std::borrow::Cow;

/// Normalises a request path as Kong does before routing (`kong.tools.uri.normalize(p, true)`):
/// percent-escapes of unreserved characters are decoded (others get uppercase hex), dot
/// segments are removed and repeated slashes merged.
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

fn decode_unreserved(path: &str) -> String {
    let b = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && b[i + 1].is_ascii_hexdigit()
            && b[i + 2].is_ascii_hexdigit()
        {
            let hex = &path[i + 1..i + 3];
            if let Ok(v) = u8::from_str_radix(hex, 16) {
                if v.is_ascii_alphanumeric() || matches!(v, b'-' | b'.' | b'_' | b'~') {
                    out.push(v as char);
                } else {
                    out.push('%');
                    out.push_str(&hex.to_ascii_uppercase());
                }
                i += 3;
                continue;
            }
        }
        // Push the whole UTF-8 character starting here.
        let ch = path[i..].chars().next().unwrap_or('\u{fffd}');
        out.push(ch);
        i += ch.len_utf8().max(1);
    }
    out
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
pub fn upstream_path_v0(service_path: Option<&str>, req: &str, stripped: Option<usize>) -> String {
    let base = service_path.unwrap_or("/");
    let base_trimmed = base.strip_suffix('/').unwrap_or(base);
    match stripped {
        Some(prefix_len) => {
            let postfix = req.get(prefix_len..).unwrap_or("");
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
