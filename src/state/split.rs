//! Parsing a large state file on several cores.
//!
//! A state file is a block mapping whose big sections (`services:`, `consumers:`) are lists.
//! When a file is plainly written — no anchors, aliases, tags or document markers, top-level
//! keys at column 0 — its sections, and the items of a long list, are independent YAML
//! documents. They are parsed in parallel and put back together in order. Anything unusual,
//! and any piece that fails to parse, falls back to parsing the whole text at once, so results
//! and error messages are always those of the plain parse.

use serde_json::{Map, Value};

use super::yaml::{Limits, parse_value};

/// Below this size one parse is fast enough.
const MIN_BYTES: usize = 256 * 1024;

/// One independently parsable piece: a whole `key: value` section, or a run of items of the
/// list under `key`.
struct Piece<'a> {
    key: &'a str,
    text: &'a str,
    items: bool,
}

/// Parses `text` like [`parse_value`], on up to `threads` cores when it can be split safely.
pub fn parse_value_split(
    text: &str,
    limits: Limits,
    threads: usize,
) -> Result<Value, serde_saphyr::Error> {
    if threads < 2 || text.len() < MIN_BYTES {
        return parse_value(text, limits);
    }
    let Some(pieces) = pieces(text, threads) else {
        return parse_value(text, limits);
    };
    let parsed: Vec<Option<Value>> = std::thread::scope(|scope| {
        let per_thread = pieces.len().div_ceil(threads);
        let handles: Vec<_> = pieces
            .chunks(per_thread)
            .map(|group| {
                scope.spawn(move || {
                    group
                        .iter()
                        .map(|p| parse_value(p.text, limits).ok())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    assemble(&pieces, parsed).map_or_else(|| parse_value(text, limits), Ok)
}

/// Puts the parsed pieces back into one mapping; None if anything is not as expected
/// (a piece failed, a key repeats, a piece is not the shape it should be).
fn assemble(pieces: &[Piece<'_>], parsed: Vec<Option<Value>>) -> Option<Value> {
    let mut root = Map::new();
    let mut open_list: Option<&str> = None;
    for (piece, value) in pieces.iter().zip(parsed) {
        let value = value?;
        if piece.items {
            let Value::Array(items) = value else {
                return None;
            };
            if open_list == Some(piece.key) {
                root.get_mut(piece.key)?.as_array_mut()?.extend(items);
            } else {
                if root.contains_key(piece.key) {
                    return None;
                }
                root.insert(piece.key.to_string(), Value::Array(items));
                open_list = Some(piece.key);
            }
        } else {
            let Value::Object(map) = value else {
                return None;
            };
            open_list = None;
            for (k, v) in map {
                if k != piece.key || root.contains_key(&k) {
                    return None;
                }
                root.insert(k, v);
            }
        }
    }
    Some(Value::Object(root))
}

/// Characters that make a file unsafe to split: anchors, aliases, tags, directives.
fn plainly_written(text: &str) -> bool {
    !text.contains(['&', '*', '!', '%', '\t'])
        && !text.starts_with("---")
        && !text.contains("\n---")
        && !text.contains("\n...")
}

/// A top-level `key:` line: a plain key at column 0. Returns the key and whether a value
/// follows on the same line.
fn top_level_key(line: &str) -> Option<(&str, bool)> {
    let first = line.chars().next()?;
    if !(first.is_ascii_alphabetic() || first == '_') {
        return None;
    }
    let colon = line.find(':')?;
    let key = &line[..colon];
    if !key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return None;
    }
    let rest = &line[colon + 1..];
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    let inline = !rest.trim().is_empty() && !rest.trim_start().starts_with('#');
    Some((key, inline))
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim_start();
    t.is_empty() || t.starts_with('#')
}

/// Splits the text into pieces of roughly equal size, or None if it is not plainly a block
/// mapping of simple sections.
fn pieces(text: &str, threads: usize) -> Option<Vec<Piece<'_>>> {
    if !plainly_written(text) {
        return None;
    }
    // Byte offsets of line starts, with the line text.
    let mut lines = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        lines.push((offset, line.trim_end_matches(['\n', '\r'])));
        offset += line.len();
    }
    // Sections: (key, first line, end line (exclusive), value inline).
    let mut sections: Vec<(&str, usize, usize, bool)> = Vec::new();
    for (i, (_, line)) in lines.iter().enumerate() {
        if is_blank_or_comment(line) || line.starts_with(' ') || line.starts_with('-') {
            if line.starts_with('-') && sections.is_empty() {
                return None;
            }
            continue;
        }
        let (key, inline) = top_level_key(line)?;
        if let Some(last) = sections.last_mut() {
            last.2 = i;
        }
        sections.push((key, i, lines.len(), inline));
    }
    let target = text.len() / (threads * 2) + 1;
    let slice = |from: usize, to: usize| {
        let start = lines[from].0;
        let end = lines.get(to).map_or(text.len(), |(o, _)| *o);
        &text[start..end]
    };
    let mut out = Vec::new();
    for (key, first, end, inline) in sections {
        let whole = slice(first, end);
        if inline || whole.len() < target {
            out.push(Piece {
                key,
                text: whole,
                items: false,
            });
            continue;
        }
        // The list's items start at one indentation, marked `- `.
        let body = first + 1..end;
        let indent = body
            .clone()
            .map(|i| lines[i].1)
            .find(|l| !is_blank_or_comment(l))
            .and_then(|l| {
                let spaces = l.len() - l.trim_start_matches(' ').len();
                l[spaces..].starts_with("- ").then_some(spaces)
            });
        let Some(indent) = indent else {
            out.push(Piece {
                key,
                text: whole,
                items: false,
            });
            continue;
        };
        let marker = format!("{}- ", " ".repeat(indent));
        let mut piece_start = first + 1;
        for i in body.clone() {
            let line = lines[i].1;
            let spaces = line.len() - line.trim_start_matches(' ').len();
            if !is_blank_or_comment(line) && spaces < indent {
                return None;
            }
            let starts_item = line.starts_with(&marker) || line == marker.trim_end();
            if starts_item && i > piece_start && lines[i].0 - lines[piece_start].0 >= target {
                out.push(Piece {
                    key,
                    text: slice(piece_start, i),
                    items: true,
                });
                piece_start = i;
            }
        }
        out.push(Piece {
            key,
            text: slice(piece_start, end),
            items: true,
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn big_file(n: usize) -> String {
        let mut text = String::from(
            "# generated\n_format_version: \"3.0\"\n_info:\n  select_tags: [a]\nservices:\n",
        );
        for i in 0..n {
            text.push_str(&format!(
                "  - name: svc-{i}\n    url: http://h-{i}:80\n    routes:\n      - name: r-{i}\n        paths: [/p-{i}]\n        # a comment\n\n"
            ));
        }
        text.push_str("consumers:\n");
        for i in 0..n {
            text.push_str(&format!(
                "- username: u-{i}\n  keyauth_credentials:\n  - key: $K-{i}\n"
            ));
        }
        text
    }

    #[test]
    fn split_parse_equals_plain_parse() {
        let text = big_file(1700);
        assert!(text.len() > MIN_BYTES);
        let pieces = pieces(&text, 2).unwrap();
        assert!(pieces.len() > 3, "{}", pieces.len());
        let plain = parse_value(&text, Limits::default()).unwrap();
        let split = parse_value_split(&text, Limits::default(), 2).unwrap();
        assert_eq!(plain, split);
    }

    #[test]
    fn unusual_files_are_not_split() {
        for text in [
            "a: &x 1\nb: *x\n",
            "--- \na: 1\n",
            "a: !!str 1\n",
            "- 1\n- 2\n",
            "\"quoted\": 1\n",
        ] {
            assert!(pieces(text, 2).is_none(), "{text}");
        }
    }

    #[test]
    fn errors_are_those_of_the_plain_parse() {
        let mut text = big_file(1700);
        text.push_str("services: []\n");
        let plain = parse_value(&text, Limits::default())
            .unwrap_err()
            .to_string();
        let split = parse_value_split(&text, Limits::default(), 2)
            .unwrap_err()
            .to_string();
        assert_eq!(plain, split);
        let mut text = big_file(1700);
        text.insert_str(text.len() / 2, "  - name: \"unterminated\n");
        assert!(parse_value_split(&text, Limits::default(), 2).is_err());
    }
}
