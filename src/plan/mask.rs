//! Masking: every secret shown as `[masked]` — values that came from the environment (at
//! their paths, and anywhere inside free text), the gateway's old value at the same paths, and
//! every field the schema marks secret (credential keys, passwords, certificate keys).

use serde_json::{Map, Value};

use super::normalise::effective_fields;
use crate::kinds::schema::{FieldSchema, Type};
use crate::kinds::validate::Seg;
use crate::kinds::{Kind, registry};
use crate::state::MASK;
use crate::state::model::mask_text;

/// Masks secret values inside free text; the secrets are sorted once (longest first) for the
/// many names and messages of a plan.
#[derive(Debug, Clone)]
pub struct Masker {
    sorted: Vec<String>,
}

impl Masker {
    pub fn new(secrets: &[String]) -> Self {
        // Values shorter than 4 characters are skipped, as `state::model::mask_text` does.
        let mut sorted: Vec<String> = secrets.iter().filter(|s| s.len() >= 4).cloned().collect();
        sorted.sort_by_key(|s| std::cmp::Reverse(s.len()));
        sorted.dedup();
        Masker { sorted }
    }

    pub fn mask(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.sorted {
            if out.len() >= secret.len() && out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), MASK);
            }
        }
        out
    }
}

/// A copy of `body` safe to print.
pub fn masked_body(
    kind_name: &str,
    body: &Map<String, Value>,
    secret_paths: &[Vec<Seg>],
    secret_values: &[String],
) -> Map<String, Value> {
    let mut out = body.clone();
    for path in secret_paths {
        mask_at(&mut out, path);
    }
    if let Some(kind) = registry().kind(kind_name) {
        mask_schema_secrets(kind, &mut out);
    }
    let mut value = Value::Object(out);
    mask_strings(&mut value, secret_values);
    match value {
        Value::Object(map) => map,
        _ => unreachable!("an object stays an object"),
    }
}

fn mask_at(body: &mut Map<String, Value>, path: &[Seg]) {
    let Some((Seg::Key(first), rest)) = path.split_first() else {
        return;
    };
    let Some(mut value) = body.get_mut(first) else {
        return;
    };
    for seg in rest {
        let next = match seg {
            Seg::Key(k) => value.get_mut(k),
            Seg::Index(i) => value.get_mut(*i),
        };
        match next {
            Some(v) => value = v,
            None => return,
        }
    }
    if !value.is_null() {
        *value = Value::String(MASK.into());
    }
}

fn mask_schema_secrets(kind: &Kind, body: &mut Map<String, Value>) {
    let fields: Vec<(&'static str, FieldSchema)> = effective_fields(kind, body)
        .into_iter()
        .map(|f| (f.name, f.schema.clone()))
        .collect();
    for (name, schema) in fields {
        if let Some(value) = body.get_mut(name) {
            mask_value(&schema, value);
        }
    }
}

fn mask_value(schema: &FieldSchema, value: &mut Value) {
    if value.is_null() {
        return;
    }
    if schema.secret {
        *value = Value::String(MASK.into());
        return;
    }
    match (schema.ty, value) {
        (Type::Record, Value::Object(map)) => {
            for field in &schema.fields {
                if let Some(v) = map.get_mut(field.name) {
                    mask_value(&field.schema, v);
                }
            }
        }
        (Type::Array | Type::Set, Value::Array(items)) => {
            if let Some(el) = &schema.elements {
                items.iter_mut().for_each(|v| mask_value(el, v));
            }
        }
        (Type::Map, Value::Object(map)) => {
            if let Some(values) = &schema.values {
                map.values_mut().for_each(|v| mask_value(values, v));
            }
        }
        _ => {}
    }
}

/// Env-derived values inside any string (a header `Bearer sk-…` built from `$KEY`).
pub fn mask_strings(value: &mut Value, secret_values: &[String]) {
    if secret_values.is_empty() {
        return;
    }
    match value {
        Value::String(s) => {
            let masked = mask_text(secret_values, s);
            if masked != *s {
                *s = masked;
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| mask_strings(v, secret_values)),
        Value::Object(map) => map
            .values_mut()
            .for_each(|v| mask_strings(v, secret_values)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn env_paths_schema_secrets_and_free_text_are_masked() {
        let body = json!({"name": "ai-proxy", "config": {"auth": {"header_name": "Authorization",
            "header_value": "Bearer sk-old"}, "model": {"provider": "openai"}}});
        let path = vec![
            Seg::Key("config".into()),
            Seg::Key("auth".into()),
            Seg::Key("header_value".into()),
        ];
        let out = masked_body("plugins", body.as_object().unwrap(), &[path], &[]);
        assert_eq!(out["config"]["auth"]["header_value"], MASK);
        assert_eq!(out["config"]["auth"]["header_name"], "Authorization");

        let cred = json!({"key": "abc123secret", "consumer": {"id": "c"}});
        let out = masked_body("keyauth_credentials", cred.as_object().unwrap(), &[], &[]);
        assert_eq!(out["key"], MASK);

        let tagged =
            json!({"name": "s", "host": "internal.example", "tags": ["at internal.example"]});
        let out = masked_body(
            "services",
            tagged.as_object().unwrap(),
            &[],
            &["internal.example".into()],
        );
        assert_eq!(out["host"], MASK);
        assert_eq!(out["tags"][0], "at [masked]");
    }
}
