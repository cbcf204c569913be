//! Saved plans: `gwctl diff --out plan.json` writes the plan with the target's revision (or a
//! fingerprint of what was read, for targets without revisions); `gwctl sync --plan` applies
//! exactly that plan, refusing when the gateway changed since.
//!
//! A plan file holds env-var names, never their values: every string in a body that contains a
//! value taken from the environment is saved as a template (`Bearer ${OPENAI_API_KEY}`) and
//! expanded again from the environment when the plan is applied. Old bodies are saved masked.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::mask::masked_body;
use super::model::Plan;
use crate::kinds::validate::{Seg, pointer};
use crate::state::State;

pub const FORMAT: &str = "gwctl-plan/1";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedPlan {
    pub format: String,
    /// The Admin API the plan was made against.
    pub addr: String,
    pub select_tags: Vec<String>,
    /// The target's config revision when it has one.
    pub revision: Option<String>,
    /// SHA-256 of everything read from the gateway.
    pub fingerprint: String,
    /// Made for `apply` (no deletes).
    pub no_deletes: bool,
    /// Environment variables the plan needs when applied.
    pub env: Vec<String>,
    /// (change index, JSON pointer into its new body) of each templated string.
    pub templates: Vec<(usize, String)>,
    pub plan: Plan,
}

#[derive(Debug, thiserror::Error)]
pub enum SavedPlanError {
    #[error("not a gwctl plan file (format '{0}', expected '{FORMAT}')")]
    Format(String),
    #[error("environment variable {0} is not set; the plan needs it")]
    MissingEnv(String),
}

/// A fingerprint of a gateway's state: equal exactly when every entity read is equal.
pub fn fingerprint(state: &State) -> String {
    let mut hasher = Sha256::new();
    for (kind, entities) in &state.entities {
        let mut bodies: Vec<String> = entities
            .iter()
            .map(|e| serde_json::to_string(&e.body).unwrap_or_default())
            .collect();
        bodies.sort();
        hasher.update(kind.as_bytes());
        for body in bodies {
            hasher.update(body.as_bytes());
            hasher.update([0]);
        }
    }
    format!("{:x}", hasher.finalize())
}

/// Turns a plan into its saved form, replacing env-derived values by `${NAME}` templates.
pub fn save(
    plan: &Plan,
    addr: &str,
    select_tags: &[String],
    revision: Option<String>,
    fingerprint: String,
    no_deletes: bool,
) -> SavedPlan {
    let env: Vec<(String, String)> = std::env::vars().collect();
    let mut secrets: Vec<(String, String)> = plan
        .secret_values
        .iter()
        .filter(|v| !v.is_empty())
        .filter_map(|v| {
            env.iter()
                .filter(|(_, value)| value == v)
                .map(|(name, _)| name.clone())
                .min()
                .map(|name| (v.clone(), name))
        })
        .collect();
    secrets.sort_by_key(|(v, _)| std::cmp::Reverse(v.len()));
    secrets.dedup();
    let mut saved = plan.clone();
    let mut templates = Vec::new();
    let mut used = Vec::new();
    for (i, change) in saved.changes.iter_mut().enumerate() {
        if let Some(new) = change.new.as_mut() {
            let mut path = Vec::new();
            for (key, value) in new.iter_mut() {
                path.push(Seg::Key(key.clone()));
                templatise(value, &mut path, &secrets, &mut |p, names| {
                    templates.push((i, pointer(p)));
                    used.extend(names);
                });
                path.pop();
            }
        }
        if let Some(old) = change.old.as_ref() {
            change.old = Some(masked_body(
                &change.kind,
                old,
                &change.secret_paths,
                &plan.secret_values,
            ));
        }
    }
    used.sort();
    used.dedup();
    SavedPlan {
        format: FORMAT.into(),
        addr: addr.into(),
        select_tags: select_tags.to_vec(),
        revision,
        fingerprint,
        no_deletes,
        env: used,
        templates,
        plan: saved,
    }
}

fn templatise(
    value: &mut Value,
    path: &mut Vec<Seg>,
    secrets: &[(String, String)],
    found: &mut dyn FnMut(&[Seg], Vec<String>),
) {
    match value {
        Value::String(text) => {
            let hits: Vec<&(String, String)> = secrets
                .iter()
                .filter(|(v, _)| text.contains(v.as_str()))
                .collect();
            if hits.is_empty() {
                return;
            }
            let mut out = text.replace('$', "$$");
            let mut names = Vec::new();
            for (secret, name) in hits {
                let escaped = secret.replace('$', "$$");
                if out.contains(&escaped) {
                    out = out.replace(&escaped, &format!("${{{name}}}"));
                    names.push(name.clone());
                }
            }
            *text = out;
            found(path, names);
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                path.push(Seg::Index(i));
                templatise(item, path, secrets, found);
                path.pop();
            }
        }
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                path.push(Seg::Key(key.clone()));
                templatise(item, path, secrets, found);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Restores a saved plan: templates expanded from the environment (those values become the
/// plan's secrets again, masked in all output).
pub fn restore(saved: &SavedPlan) -> Result<Plan, SavedPlanError> {
    if saved.format != FORMAT {
        return Err(SavedPlanError::Format(saved.format.clone()));
    }
    let mut plan = saved.plan.clone();
    let mut secret_values = Vec::new();
    for (i, ptr) in &saved.templates {
        let Some(text) = plan
            .changes
            .get_mut(*i)
            .and_then(|c| c.new.as_mut())
            .and_then(|b| pointer_mut(b, ptr))
        else {
            continue;
        };
        if let Value::String(s) = text {
            let (expanded, values) = expand(s)?;
            *s = expanded;
            secret_values.extend(values);
        }
    }
    plan.secret_values = secret_values;
    Ok(plan)
}

fn pointer_mut<'a>(
    body: &'a mut serde_json::Map<String, Value>,
    ptr: &str,
) -> Option<&'a mut Value> {
    let mut parts = ptr.split('/').skip(1);
    let first = parts.next()?.replace("~1", "/").replace("~0", "~");
    let mut value = body.get_mut(&first)?;
    for part in parts {
        let key = part.replace("~1", "/").replace("~0", "~");
        value = match value {
            Value::Array(items) => items.get_mut(key.parse::<usize>().ok()?)?,
            Value::Object(map) => map.get_mut(&key)?,
            _ => return None,
        };
    }
    Some(value)
}

/// Expands the templates [`save`] writes: `${NAME}` and `$$`.
fn expand(text: &str) -> Result<(String, Vec<String>), SavedPlanError> {
    let mut out = String::new();
    let mut values = Vec::new();
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('{')
            && let Some(end) = inner.find('}')
        {
            let name = &inner[..end];
            let value =
                std::env::var(name).map_err(|_| SavedPlanError::MissingEnv(name.to_string()))?;
            out.push_str(&value);
            values.push(value);
            rest = &inner[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok((out, values))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::model::{Change, Op, Phase};

    #[test]
    fn env_values_are_saved_as_names_and_restored() {
        // SAFETY: the variable name is unique to this test.
        unsafe { std::env::set_var("GWCTL_TEST_SAVED_KEY", "sk-test-12345") };
        let plan = Plan {
            changes: vec![Change {
                op: Op::Create,
                kind: "plugins".into(),
                id: "p1".into(),
                name: "ai-proxy (global)".into(),
                old: None,
                new: json!({"name": "ai-proxy", "config": {"auth": {"header_value": "Bearer sk-test-12345 $x"}}})
                    .as_object()
                    .cloned(),
                secret_paths: vec![],
                phase: Phase::Write,
                level: 4,
                recreate: false,
                depends_on: vec![],
            }],
            warnings: vec![],
            secret_values: vec!["sk-test-12345".into()],
        };
        let saved = save(&plan, "http://x", &[], None, "f".into(), false);
        let text = serde_json::to_string(&saved).unwrap();
        assert!(!text.contains("sk-test-12345"), "{text}");
        assert!(text.contains("${GWCTL_TEST_SAVED_KEY}"), "{text}");
        let restored = restore(&serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(restored.changes[0].new, plan.changes[0].new);
        assert_eq!(restored.secret_values, vec!["sk-test-12345".to_string()]);
    }
}
