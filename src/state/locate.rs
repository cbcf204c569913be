//! From a path inside a parsed file to the place it was written.

use serde_saphyr::Location;

use super::problem::Place;
use super::yaml::{Node, Tree, known};
use crate::kinds::validate::Seg;

/// The place of a parsed location, when the parser recorded one.
pub fn place(location: Location) -> Option<Place> {
    let location = known(location)?;
    let span = location.span();
    Some(Place {
        line: location.line(),
        column: location.column(),
        offset: span.byte_offset().unwrap_or(0) as usize,
        len: span.byte_len().unwrap_or(0) as usize,
    })
}

/// What a path resolves to inside a tree: the deepest node that exists on the way, the key
/// that named it (for "unknown field" pointing at the key), and whether the whole path exists.
pub struct Found<'a> {
    pub node: &'a Node,
    pub key: Option<Location>,
    pub complete: bool,
}

pub fn find<'a>(root: &'a Node, path: &[Seg]) -> Found<'a> {
    let mut node = root;
    let mut key = None;
    for (depth, seg) in path.iter().enumerate() {
        let next = match (&node.value, seg) {
            (Tree::Map(entries), Seg::Key(k)) => entries
                .iter()
                .find(|(name, _)| &name.value == k)
                .map(|(name, value)| (Some(name.referenced), value)),
            (Tree::Seq(items), Seg::Index(i)) => items.get(*i).map(|v| (None, v)),
            _ => None,
        };
        match next {
            Some((k, child)) => {
                key = k;
                node = child;
            }
            None => {
                return Found {
                    node,
                    key: if depth == 0 { None } else { key },
                    complete: false,
                };
            }
        }
    }
    Found {
        node,
        key,
        complete: true,
    }
}

/// Where to point for a problem at `path`: the value if it exists, else its nearest parent.
pub fn place_at(root: &Node, path: &[Seg], prefer_key: bool) -> Option<Place> {
    let found = find(root, path);
    if prefer_key
        && found.complete
        && let Some(key) = found.key
    {
        return place(key);
    }
    place(found.node.referenced)
}

/// An RFC 6901 JSON pointer for a path, escaping only keys that need it (this runs for every
/// entity, so it avoids allocating per segment).
pub fn pointer(path: &[Seg]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(path.len() * 8);
    for seg in path {
        out.push('/');
        match seg {
            Seg::Key(k) if k.contains(['~', '/']) => {
                out.push_str(&k.replace('~', "~0").replace('/', "~1"));
            }
            Seg::Key(k) => out.push_str(k),
            Seg::Index(i) => {
                let _ = write!(out, "{i}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_escape_like_rfc_6901() {
        let path = vec![
            Seg::Key("services".into()),
            Seg::Index(3),
            Seg::Key("a/b~c".into()),
        ];
        assert_eq!(pointer(&path), "/services/3/a~1b~0c");
        assert_eq!(pointer(&path), crate::kinds::validate::pointer(&path));
    }
}
