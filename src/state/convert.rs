//! Environment-variable substitution over a parsed document: string scalars only, in place,
//! remembering which values came from the environment.

use serde_json::Value;

use super::envsubst::{self, Lookup};
use crate::kinds::validate::{Path, Seg};

/// What substitution found besides the new values.
#[derive(Debug, Default)]
pub struct Substitution {
    /// Paths (relative to the substituted value) whose value came from the environment.
    pub secret_paths: Vec<Path>,
    /// Paths that were one whole-scalar reference (`$PORT`, `${RETRIES:-3}`), which the
    /// schema may convert to a number or boolean.
    pub whole_paths: Vec<Path>,
    /// The substituted values.
    pub secret_values: Vec<String>,
    pub errors: Vec<SubstProblem>,
    /// Paths of the scalars whose substitution failed.
    pub failed_paths: Vec<Path>,
}

/// A reference that could not be substituted.
#[derive(Debug)]
pub struct SubstProblem {
    pub path: Path,
    pub message: String,
    pub help: String,
    /// The reference's byte range inside the scalar.
    pub within: (usize, usize),
}

/// A path being walked, borrowing keys from the document (owned only when something is found).
#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn owned(trail: &[Step<'_>]) -> Path {
    trail
        .iter()
        .map(|s| match s {
            Step::Key(k) => Seg::Key(k.to_string()),
            Step::Index(i) => Seg::Index(*i),
        })
        .collect()
}

/// Substitutes every string scalar inside `value`, skipping the object keys in `skip` at the
/// top (nested children, substituted with their own entity).
pub fn substitute(value: &mut Value, env: &dyn Lookup, skip: &[&str], out: &mut Substitution) {
    let mut trail = Vec::new();
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if skip.contains(&key.as_str()) {
                    continue;
                }
                trail.push(Step::Key(key));
                walk(item, env, &mut trail, out);
                trail.pop();
            }
        }
        other => walk(other, env, &mut trail, out),
    }
}

fn walk<'a>(
    value: &'a mut Value,
    env: &dyn Lookup,
    trail: &mut Vec<Step<'a>>,
    out: &mut Substitution,
) {
    match value {
        Value::String(text) if envsubst::has_reference(text) => scalar(text, env, trail, out),
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                trail.push(Step::Index(i));
                walk(item, env, trail, out);
                trail.pop();
            }
        }
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                trail.push(Step::Key(key));
                walk(item, env, trail, out);
                trail.pop();
            }
        }
        _ => {}
    }
}

fn scalar(text: &mut String, env: &dyn Lookup, trail: &[Step<'_>], out: &mut Substitution) {
    match envsubst::substitute(text, env) {
        Ok(sub) => {
            if sub.whole {
                out.whole_paths.push(owned(trail));
            }
            if !sub.secrets.is_empty() {
                out.secret_paths.push(owned(trail));
                out.secret_values.extend(sub.secrets);
            }
            *text = sub.text;
        }
        Err(e) => {
            out.errors.push(SubstProblem {
                path: owned(trail),
                message: e.message,
                help: e.help,
                within: (e.offset, e.len),
            });
            text.clear();
        }
    }
}
