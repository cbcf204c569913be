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

/// Substitutes every string scalar inside `value`, skipping the object keys in `skip` at the
/// top (nested children, substituted with their own entity).
pub fn substitute(value: &mut Value, env: &dyn Lookup, skip: &[&str], out: &mut Substitution) {
    let mut path = Vec::new();
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if skip.contains(&key.as_str()) {
                    continue;
                }
                path.push(Seg::Key(key.clone()));
                walk(item, env, &mut path, out);
                path.pop();
            }
        }
        other => walk(other, env, &mut path, out),
    }
}

fn walk(value: &mut Value, env: &dyn Lookup, path: &mut Path, out: &mut Substitution) {
    match value {
        Value::String(text) if envsubst::has_reference(text) => {
            match envsubst::substitute(text, env) {
                Ok(sub) => {
                    if sub.whole {
                        out.whole_paths.push(path.clone());
                    }
                    if !sub.secrets.is_empty() {
                        out.secret_paths.push(path.clone());
                        out.secret_values.extend(sub.secrets);
                    }
                    *text = sub.text;
                }
                Err(e) => {
                    out.errors.push(SubstProblem {
                        path: path.clone(),
                        message: e.message,
                        help: e.help,
                        within: (e.offset, e.len),
                    });
                    text.clear();
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                path.push(Seg::Index(i));
                walk(item, env, path, out);
                path.pop();
            }
        }
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                path.push(Seg::Key(key.clone()));
                walk(item, env, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}
