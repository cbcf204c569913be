//! YAML (and JSON) parsed into a tree that remembers where every node was written.
//!
//! serde-saphyr does the parsing (duplicate keys rejected, merge keys expanded, alias and size
//! budgets enforced); wrapping each node in [`serde_saphyr::Spanned`] keeps its line and column,
//! so a problem found later at a JSON pointer can be shown at file:line:col.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Spanned};

/// A node of the document, with where it was written.
pub type Node = Spanned<Tree>;

/// The shape of a YAML node. Maps keep their keys' locations so "unknown field" can point at
/// the key itself.
#[derive(Debug, Clone, PartialEq)]
pub enum Tree {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    String(String),
    Seq(Vec<Node>),
    Map(Vec<(Spanned<String>, Node)>),
}

impl Tree {
    pub fn type_name(&self) -> &'static str {
        match self {
            Tree::Null => "null",
            Tree::Bool(_) => "a boolean",
            Tree::Int(_) | Tree::UInt(_) | Tree::Float(_) => "a number",
            Tree::String(_) => "a string",
            Tree::Seq(_) => "a list",
            Tree::Map(_) => "a mapping",
        }
    }

    pub fn as_map(&self) -> Option<&[(Spanned<String>, Node)]> {
        match self {
            Tree::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The value under `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.value == key)
            .map(|(_, v)| v)
    }
}

impl<'de> Deserialize<'de> for Tree {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TreeVisitor)
    }
}

struct TreeVisitor;

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = Tree;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Tree, E> {
        Ok(Tree::Null)
    }
    fn visit_none<E>(self) -> Result<Tree, E> {
        Ok(Tree::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Tree, D::Error> {
        Tree::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Tree, E> {
        Ok(Tree::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Tree, E> {
        Ok(Tree::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Tree, E> {
        Ok(i64::try_from(v).map(Tree::Int).unwrap_or(Tree::UInt(v)))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Tree, E> {
        i64::try_from(v)
            .map(Tree::Int)
            .map_err(|_| E::custom("integer out of range"))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Tree, E> {
        u64::try_from(v)
            .map(Tree::UInt)
            .map_err(|_| E::custom("integer out of range"))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Tree, E> {
        Ok(Tree::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Tree, E> {
        Ok(Tree::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Tree, E> {
        Ok(Tree::String(v))
    }
    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Tree, E> {
        Err(E::custom("binary values are not supported in state files"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tree, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Tree::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tree, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(1024));
        while let Some(key) = map.next_key::<Spanned<Key>>()? {
            let value = map.next_value::<Node>()?;
            let key = Spanned::new(key.value.0, key.referenced, key.defined);
            entries.push((key, value));
        }
        Ok(Tree::Map(entries))
    }
}

/// A mapping key: any scalar, kept as its text (`1: x` has the key "1", as in JSON).
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_string(KeyVisitor)
    }
}

struct KeyVisitor;

impl Visitor<'_> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a scalar mapping key (string, number or boolean)")
    }
    fn visit_str<E>(self, v: &str) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Key, E> {
        Ok(Key(v))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }
}

/// Limits that keep a hostile or mistaken file from exhausting memory or the stack.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest nesting of lists and mappings.
    pub max_depth: usize,
    /// Total YAML nodes (scalars, lists, mappings) in one file, aliases expanded.
    pub max_nodes: usize,
    /// Total nodes replayed from aliases in one file (the alias-bomb guard).
    pub max_alias_events: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 64,
            max_nodes: 4_000_000,
            max_alias_events: 100_000,
        }
    }
}

/// Parses one document (YAML or JSON text) into a located tree (slower; used to point at
/// problems once some are found).
pub fn parse(text: &str, limits: Limits) -> Result<Node, serde_saphyr::Error> {
    parse_as(text, limits)
}

/// Parses one document straight into JSON values (the fast path every load takes).
pub fn parse_value(text: &str, limits: Limits) -> Result<serde_json::Value, serde_saphyr::Error> {
    parse_as(text, limits)
}

fn parse_as<T: serde::de::DeserializeOwned>(
    text: &str,
    limits: Limits,
) -> Result<T, serde_saphyr::Error> {
    let budget = serde_saphyr::budget! {
        max_depth: limits.max_depth,
        max_nodes: limits.max_nodes,
        max_events: limits.max_nodes.saturating_mul(2),
        max_documents: 1,
    };
    let mut alias_limits = serde_saphyr::options::AliasLimits::default();
    alias_limits.max_total_replayed_events = limits.max_alias_events;
    let options = serde_saphyr::options! {
        budget: budget,
        alias_limits: alias_limits,
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
        merge_keys: serde_saphyr::MergeKeyPolicy::Merge,
        // YAML 1.2 scalars, as decK's parser reads them: `yes`, `on`, `0755` stay strings.
        strict_booleans: true,
        leading_zero_numbers_as_strings: true,
        underscored_numbers_as_strings: true,
        null_as_string: true,
    };
    serde_saphyr::from_str_with_options::<T>(text, options)
}

/// A location that is `Location::UNKNOWN` carries no position.
pub fn known(location: Location) -> Option<Location> {
    (location != Location::UNKNOWN && location.line() > 0).then_some(location)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Node {
        parse(text, Limits::default()).expect("parses")
    }

    #[test]
    fn every_node_has_its_position() {
        let root = parse_ok("a: 1\nb:\n  - x\n  - {c: true}\n");
        let b = root.value.get("b").unwrap();
        assert_eq!((b.referenced.line(), b.referenced.column()), (3, 3));
        let Tree::Seq(items) = &b.value else {
            panic!("a list")
        };
        assert_eq!(items[1].value.get("c").unwrap().value, Tree::Bool(true));
        assert_eq!(items[1].value.get("c").unwrap().referenced.line(), 4);
        let (key, _) = &root.value.as_map().unwrap()[1];
        assert_eq!((key.referenced.line(), key.referenced.column()), (2, 1));
    }

    #[test]
    fn merge_keys_and_aliases_expand() {
        let root = parse_ok("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n");
        let other = root.value.get("other").unwrap();
        assert_eq!(other.value.get("x").unwrap().value, Tree::Int(1));
        assert_eq!(other.value.get("y").unwrap().value, Tree::Int(3));
        let root = parse_ok("on: yes\n1: 0755\n");
        assert_eq!(
            root.value.get("on").unwrap().value,
            Tree::String("yes".into())
        );
        assert_eq!(
            root.value.get("1").unwrap().value,
            Tree::String("0755".into())
        );
    }

    #[test]
    fn both_parses_agree_on_values() {
        let text = "a: &x {b: [1, 2.5, yes, ~]}\nc:\n  <<: *x\n  d: \"$E\"\n7: true\n";
        let value = parse_value(text, Limits::default()).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"a": {"b": [1, 2.5, "yes", null]}, "c": {"b": [1, 2.5, "yes", null], "d": "$E"}, "7": true})
        );
        assert!(parse(text, Limits::default()).is_ok());
    }

    #[test]
    fn duplicate_keys_are_rejected() {
        let err = parse("a: 1\na: 2\n", Limits::default()).unwrap_err();
        assert!(err.to_string().contains("duplicate"), "{err}");
    }
}
