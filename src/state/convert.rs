//! A located YAML tree to JSON, substituting environment variables in string scalars and
//! remembering which values came from the environment.

use std::sync::Arc;

use serde_json::{Map, Number, Value};

use super::envsubst::{self, Lookup};
use super::locate::place;
use super::problem::{Place, Problem};
use super::yaml::{Node, Tree};
use crate::kinds::validate::{Path, Seg, pointer};

/// What one conversion found besides the value.
#[derive(Debug, Default)]
pub struct Converted {
    /// Paths (relative to the converted node) whose value came from the environment.
    pub secret_paths: Vec<Path>,
    /// The subset of `secret_paths` that were a whole-scalar reference (`$PORT`), which the
    /// schema may convert to a number or boolean.
    pub whole_paths: Vec<Path>,
    /// The substituted values.
    pub secret_values: Vec<String>,
    pub problems: Vec<Problem>,
}

pub struct Converter<'a> {
    pub env: &'a dyn Lookup,
    pub file: &'a Arc<str>,
    /// The file-level path of the converted node, for problems' JSON pointers.
    pub base: &'a [Seg],
}

impl Converter<'_> {
    /// Converts a node, leaving out the top-level keys in `skip` (nested children).
    pub fn convert(&self, node: &Node, skip: &[&str], out: &mut Converted) -> Value {
        let mut path = Vec::new();
        match &node.value {
            Tree::Map(entries) => {
                let mut map = Map::with_capacity(entries.len());
                for (key, value) in entries {
                    if skip.contains(&key.value.as_str()) {
                        continue;
                    }
                    path.push(Seg::Key(key.value.clone()));
                    let v = self.value(value, &mut path, out);
                    path.pop();
                    map.insert(key.value.clone(), v);
                }
                Value::Object(map)
            }
            _ => self.value(node, &mut path, out),
        }
    }

    fn value(&self, node: &Node, path: &mut Path, out: &mut Converted) -> Value {
        match &node.value {
            Tree::Null => Value::Null,
            Tree::Bool(b) => Value::Bool(*b),
            Tree::Int(i) => Value::from(*i),
            Tree::UInt(u) => Value::from(*u),
            Tree::Float(f) => match Number::from_f64(*f) {
                Some(n) => Value::Number(n),
                None => {
                    out.problems.push(self.problem(
                        node,
                        path,
                        "schema",
                        "not a finite number (.nan and .inf are not allowed)".into(),
                        None,
                    ));
                    Value::Null
                }
            },
            Tree::String(s) => self.string(node, s, path, out),
            Tree::Seq(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        path.push(Seg::Index(i));
                        let v = self.value(item, path, out);
                        path.pop();
                        v
                    })
                    .collect(),
            ),
            Tree::Map(entries) => {
                let mut map = Map::with_capacity(entries.len());
                for (key, value) in entries {
                    path.push(Seg::Key(key.value.clone()));
                    let v = self.value(value, path, out);
                    path.pop();
                    map.insert(key.value.clone(), v);
                }
                Value::Object(map)
            }
        }
    }

    fn string(&self, node: &Node, text: &str, path: &Path, out: &mut Converted) -> Value {
        if !envsubst::has_reference(text) {
            return Value::String(text.to_string());
        }
        match envsubst::substitute(text, self.env) {
            Ok(sub) => {
                if !sub.secrets.is_empty() {
                    out.secret_paths.push(path.clone());
                    if sub.whole {
                        out.whole_paths.push(path.clone());
                    }
                    out.secret_values.extend(sub.secrets);
                }
                Value::String(sub.text)
            }
            Err(e) => {
                // Point at the reference inside the scalar when the scalar is written plainly
                // (its source length equals its text's); otherwise at the scalar.
                let narrowed = place(node.referenced).map(|p| {
                    if p.len == text.len() {
                        Place {
                            column: p.column + text[..e.offset].chars().count() as u64,
                            offset: p.offset + e.offset,
                            len: e.len,
                            ..p
                        }
                    } else {
                        p
                    }
                });
                let mut problem = self.problem(node, path, "env", e.message, Some(e.help));
                problem = problem.at(narrowed);
                out.problems.push(problem.label("referenced here"));
                Value::String(String::new())
            }
        }
    }

    fn problem(
        &self,
        node: &Node,
        path: &Path,
        code: &'static str,
        message: String,
        help: Option<String>,
    ) -> Problem {
        let mut full = self.base.to_vec();
        full.extend(path.iter().cloned());
        let mut p = Problem::error(code, message)
            .in_file(self.file)
            .at(place(node.referenced))
            .pointer(pointer(&full));
        p.help = help;
        p
    }
}
