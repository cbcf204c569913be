//! Puts an entity body in the one canonical form both sides are compared in.
//!
//! Both sides get the registry's defaults; then server-managed fields, nulls, fields the
//! registry does not know (a newer gateway's additions) and a parent's view of its children
//! (a certificate's `snis`) are dropped; sets are sorted; an empty list equals an absent one
//! when the field has no default; a foreign key keeps only its id. Two bodies are equal exactly
//! when their canonical forms are.

use serde_json::{Map, Value};

use crate::kinds::schema::{Field, FieldSchema, Type};
use crate::kinds::validate::{Options, UnknownSubschema, process_entity};
use crate::kinds::{Kind, registry};

/// The fields that apply to this entity (see [`crate::kinds::Registry::effective_fields`]).
pub fn effective_fields<'a>(kind: &'a Kind, body: &Map<String, Value>) -> Vec<&'a Field> {
    registry().effective_fields(kind, body)
}

/// Fills the registry's defaults without judging the body (the file was validated; what the
/// gateway holds is what it holds).
pub fn fill_defaults(kind: &Kind, body: &mut Map<String, Value>) {
    let options = Options {
        fill_defaults: true,
        fill_nulls: false,
        check_required: false,
        unknown_subschema: UnknownSubschema::Skip,
        ..Options::default()
    };
    let _ = process_entity(registry(), kind, body, options);
}

/// The canonical form of `body` (see the module comment).
pub fn canonical(kind: &Kind, body: &Map<String, Value>) -> Map<String, Value> {
    let mut body = body.clone();
    fill_defaults(kind, &mut body);
    canonical_filled(kind, &body)
}

/// Whether an entity must be defaulted before its natural key can be read: a shorthand is
/// present (`url`), or an identity field is normalised (a target's `host` → `host:port`).
pub fn needs_filling_for_identity(kind: &Kind, body: &Map<String, Value>) -> bool {
    kind.shorthands
        .iter()
        .any(|(key, _)| body.contains_key(*key))
        || kind
            .identity_fields()
            .iter()
            .any(|f| kind.schema.field(f).is_some_and(|s| s.normalize.is_some()))
}

/// The canonical form of a body whose defaults are already filled (a gateway that renders
/// every field, sharing the registry).
pub fn canonical_filled(kind: &Kind, body: &Map<String, Value>) -> Map<String, Value> {
    let fields = effective_fields(kind, body);
    let mut out = Map::new();
    for field in fields {
        let schema = &field.schema;
        if schema.server_managed || kind.children.iter().any(|n| n.key == field.name) {
            continue;
        }
        let Some(value) = body.get(field.name) else {
            continue;
        };
        if let Some(value) = canonical_value(schema, value) {
            out.insert(field.name.to_string(), value);
        }
    }
    out
}

/// The canonical form of one value, or None when it counts as absent.
fn canonical_value(schema: &FieldSchema, value: &Value) -> Option<Value> {
    match (schema.ty, value) {
        (_, Value::Null) => None,
        (Type::Foreign, Value::Object(map)) => match map.get("id") {
            Some(id) => Some(serde_json::json!({ "id": id })),
            None => Some(value.clone()),
        },
        (Type::Record, Value::Object(map)) if !schema.fields.is_empty() => {
            let mut out = Map::new();
            for field in &schema.fields {
                if let Some(v) = map
                    .get(field.name)
                    .and_then(|v| canonical_value(&field.schema, v))
                {
                    out.insert(field.name.to_string(), v);
                }
            }
            Some(Value::Object(out))
        }
        (Type::Array | Type::Set, Value::Array(items)) => {
            if items.is_empty() && schema.default.is_none() {
                return None;
            }
            let mut items: Vec<Value> = items
                .iter()
                .map(|item| match &schema.elements {
                    Some(el) => canonical_value(el, item).unwrap_or(Value::Null),
                    None => item.clone(),
                })
                .collect();
            if schema.ty == Type::Set {
                items.sort_by_key(|v| v.to_string());
                items.dedup();
            }
            Some(Value::Array(items))
        }
        (Type::Map, Value::Object(map)) => {
            let mut out = Map::new();
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for key in keys {
                let v = &map[key];
                let v = match &schema.values {
                    Some(values) => canonical_value(values, v),
                    None => Some(v.clone()),
                };
                if let Some(v) = v {
                    out.insert(key.clone(), v);
                }
            }
            Some(Value::Object(out))
        }
        (Type::Any, Value::Object(_)) => Some(sort_keys(value)),
        _ => Some(value.clone()),
    }
}

/// Free-form JSON compared with sorted keys (maps are unordered).
fn sort_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .filter(|k| !map[*k].is_null())
                    .map(|k| (k.clone(), sort_keys(&map[k])))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sort_keys).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn canon(kind: &str, v: Value) -> Value {
        let kind = registry().kind(kind).unwrap();
        Value::Object(canonical(kind, v.as_object().unwrap()))
    }

    #[test]
    fn gateway_rendering_equals_file_form() {
        let file = canon(
            "services",
            json!({"name": "s", "url": "https://api.openai.com", "tags": ["b", "a"]}),
        );
        let gateway = canon(
            "services",
            json!({"id": "9e8d3a55-34b8-4d4e-9b6c-1f2b3c4d5e6f", "created_at": 1, "updated_at": 2,
                   "name": "s", "protocol": "https", "host": "api.openai.com", "port": 443,
                   "path": null, "retries": 5, "connect_timeout": 60000, "write_timeout": 60000,
                   "read_timeout": 60000, "tags": ["a", "b"], "client_certificate": null,
                   "tls_verify": null, "tls_verify_depth": null, "ca_certificates": null,
                   "enabled": true, "some_new_kong_field": "x"}),
        );
        assert_eq!(file, gateway);
    }

    #[test]
    fn empty_lists_equal_absent_and_certificate_snis_are_ignored() {
        assert_eq!(
            canon("consumers", json!({"username": "a", "tags": []})),
            canon("consumers", json!({"username": "a", "tags": null}))
        );
        let pem = "-----BEGIN CERTIFICATE-----x";
        let key = "-----BEGIN PRIVATE KEY-----x";
        assert_eq!(
            canon(
                "certificates",
                json!({"cert": pem, "key": key, "snis": ["a.com"]})
            ),
            canon("certificates", json!({"cert": pem, "key": key}))
        );
    }

    #[test]
    fn plugin_config_defaults_fill_and_foreign_keys_keep_only_the_id() {
        let a = canon(
            "plugins",
            json!({"name": "rate-limiting", "config": {"minute": 5}, "route": {"id": "r", "name": "x"}}),
        );
        let b = canon(
            "plugins",
            json!({"name": "rate-limiting", "config": {"minute": 5, "policy": "local"},
                   "route": {"id": "r"}, "protocols": ["https", "http", "grpcs", "grpc"]}),
        );
        assert_eq!(a, b);
    }
}
