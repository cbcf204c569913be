//! Kong's `GET /schemas/{kind}` and `/schemas/plugins/{name}` JSON shape, from the registry.
//!
//! `{"fields": [{"<name>": {"type": …, "required": …, "default": …, …}}, …],
//! "entity_checks": [{"at_least_one_of": [...]}, …]}`. go-kong reads defaults from this shape
//! (`fields[].<name>.default`, nested record `fields`, a plugin's `protocols.default` and
//! `config.fields`), so decK's defaults come straight from the registry.

use serde_json::{Map, Value, json};

use crate::kinds::check::{Condition, EntityCheck};
use crate::kinds::schema::{Auto, Field, FieldSchema, OnDelete, Type};
use crate::kinds::{Kind, PluginDef};

/// The schema of an entity kind.
pub fn entity_schema(kind: &Kind) -> Value {
    schema_json(&kind.schema.fields, &kind.schema.record_checks)
}

/// The schema of a plugin: the fields its subschema defines (`config`, `protocols`, …).
pub fn plugin_schema(plugin: &PluginDef) -> Value {
    schema_json(&plugin.schema.fields, &plugin.schema.checks)
}

fn schema_json(fields: &[Field], checks: &[EntityCheck]) -> Value {
    let mut out = Map::new();
    out.insert("fields".into(), fields_json(fields));
    if !checks.is_empty() {
        out.insert("entity_checks".into(), checks_json(checks));
    }
    Value::Object(out)
}

fn fields_json(fields: &[Field]) -> Value {
    Value::Array(
        fields
            .iter()
            .map(|f| json!({ f.name: field_json(&f.schema) }))
            .collect(),
    )
}

/// One field's attributes, only those that are set (as Kong emits them).
pub fn field_json(schema: &FieldSchema) -> Value {
    let mut out = Map::new();
    out.insert("type".into(), Value::from(schema.ty.kong_name()));
    if schema.required {
        out.insert("required".into(), Value::Bool(true));
    }
    if let Some(default) = &schema.default {
        out.insert("default".into(), default.clone());
    }
    if !schema.one_of.is_empty() {
        out.insert("one_of".into(), Value::from(schema.one_of.clone()));
    }
    if let Some((min, max)) = schema.between {
        out.insert("between".into(), json!([number(min), number(max)]));
    }
    if let Some(gt) = schema.gt {
        out.insert("gt".into(), number(gt));
    }
    if let Some(n) = schema.len_min {
        out.insert("len_min".into(), Value::from(n));
    }
    if let Some(n) = schema.len_max {
        out.insert("len_max".into(), Value::from(n));
    }
    if let Some(prefix) = schema.starts_with {
        out.insert("starts_with".into(), Value::from(prefix));
    }
    if schema.unique {
        out.insert("unique".into(), Value::Bool(true));
    }
    match schema.auto {
        Auto::None | Auto::PemDigest(_) => {}
        Auto::Uuid => {
            out.insert("uuid".into(), Value::Bool(true));
            out.insert("auto".into(), Value::Bool(true));
        }
        Auto::TimestampSeconds | Auto::TimestampMillis => {
            out.insert("timestamp".into(), Value::Bool(true));
            out.insert("auto".into(), Value::Bool(true));
        }
        Auto::RandomKey => {
            out.insert("auto".into(), Value::Bool(true));
        }
    }
    if schema.secret {
        out.insert("encrypted".into(), Value::Bool(true));
    }
    if let Some(text) = schema.description {
        out.insert("description".into(), Value::from(text));
    }
    if let Some(reference) = schema.reference {
        out.insert("reference".into(), Value::from(reference));
        if schema.on_delete == OnDelete::Cascade {
            out.insert("on_delete".into(), Value::from("cascade"));
        }
    }
    if let Some(elements) = &schema.elements {
        out.insert("elements".into(), field_json(elements));
    }
    if let Some(keys) = &schema.keys {
        out.insert("keys".into(), field_json(keys));
    }
    if let Some(values) = &schema.values {
        out.insert("values".into(), field_json(values));
    }
    if schema.ty == Type::Record {
        out.insert("fields".into(), fields_json(&schema.fields));
        if !schema.record_checks.is_empty() {
            out.insert("entity_checks".into(), checks_json(&schema.record_checks));
        }
    }
    Value::Object(out)
}

fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Value::from(n as i64)
    } else {
        json!(n)
    }
}

fn condition_json(condition: &Condition) -> Value {
    match condition {
        Condition::Required => json!({"required": true}),
        Condition::Null => json!({"eq": null}),
        Condition::OneOf(values) => json!({"one_of": values}),
    }
}

fn checks_json(checks: &[EntityCheck]) -> Value {
    Value::Array(
        checks
            .iter()
            .map(|check| match check {
                EntityCheck::AtLeastOneOf(f) => json!({"at_least_one_of": f}),
                EntityCheck::OnlyOneOf(f) => json!({"only_one_of": f}),
                EntityCheck::MutuallyRequired(f) => json!({"mutually_required": f}),
                EntityCheck::MutuallyExclusive(f) => json!({"mutually_exclusive": f}),
                EntityCheck::Conditional {
                    if_field,
                    if_value,
                    then_field,
                    then,
                } => json!({"conditional": {
                    "if_field": if_field,
                    "if_match": condition_json(if_value),
                    "then_field": then_field,
                    "then_match": condition_json(then),
                }}),
                EntityCheck::Custom { name, fields, .. } => {
                    json!({"custom_entity_check": {"name": name, "field_sources": fields}})
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::registry;

    fn field<'a>(schema: &'a Value, name: &str) -> &'a Value {
        schema["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find_map(|f| f.get(name))
            .unwrap_or_else(|| panic!("no field {name}"))
    }

    #[test]
    fn service_schema_has_kong_shape() {
        let schema = entity_schema(registry().kind("services").unwrap());
        assert_eq!(field(&schema, "port")["default"], 80);
        assert_eq!(field(&schema, "port")["between"], json!([0, 65535]));
        assert_eq!(field(&schema, "id")["uuid"], true);
        assert_eq!(
            field(&schema, "client_certificate")["reference"],
            "certificates"
        );
        assert_eq!(field(&schema, "protocol")["required"], true);
    }

    #[test]
    fn plugin_schema_exposes_protocols_and_config_fields() {
        let plugin = registry().plugin("key-auth").unwrap();
        let schema = plugin_schema(plugin);
        assert_eq!(
            field(&schema, "protocols")["default"],
            json!(["grpc", "grpcs", "http", "https"])
        );
        let config = field(&schema, "config");
        assert_eq!(config["type"], "record");
        assert_eq!(field(config, "key_names")["default"], json!(["apikey"]));
    }
}
