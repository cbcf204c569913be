//! JSON Schema (draft 2020-12) of state files and plugin configs, generated from the registry.
//!
//! Editors use these through yaml-language-server (`# yaml-language-server: $schema=…`). The
//! state schema is self-contained: every plugin's config schema is embedded in `$defs` (and
//! also written on its own under `schemas/plugins/`). What JSON Schema cannot say (Kong's
//! custom entity checks, references, duplicates) is left to `gwctl validate`.

use serde_json::{Map, Value, json};

use crate::kinds::schema::{Field, FieldSchema, Type};
use crate::kinds::{Kind, PluginDef, Registry};

const DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";

/// An env reference (`$NAME`, `${NAME}`, `${{ env "NAME" }}`) stands for any scalar; it is
/// substituted before the real checks run.
fn env_reference() -> Value {
    json!({"type": "string", "pattern": "^\\$", "description": "substituted from the environment"})
}

/// The schema of one field's value.
pub fn field_schema(schema: &FieldSchema) -> Value {
    let mut out = Map::new();
    match schema.ty {
        Type::String => {
            out.insert("type".into(), json!("string"));
            if let Some(n) = schema.len_min {
                out.insert("minLength".into(), json!(n));
            }
            if let Some(n) = schema.len_max {
                out.insert("maxLength".into(), json!(n));
            }
            if let Some(prefix) = schema.starts_with {
                out.insert(
                    "pattern".into(),
                    json!(format!("^{}", regex::escape(prefix))),
                );
            }
        }
        Type::Integer | Type::Number => {
            let ty = if schema.ty == Type::Integer {
                "integer"
            } else {
                "number"
            };
            out.insert("type".into(), json!(ty));
            if let Some((min, max)) = schema.between {
                out.insert("minimum".into(), number(min));
                out.insert("maximum".into(), number(max));
            }
            if let Some(min) = schema.gt {
                out.insert("exclusiveMinimum".into(), number(min));
            }
        }
        Type::Boolean => {
            out.insert("type".into(), json!("boolean"));
        }
        Type::Array | Type::Set => {
            out.insert("type".into(), json!("array"));
            if let Some(elements) = &schema.elements {
                out.insert("items".into(), field_schema(elements));
            }
            if schema.ty == Type::Set {
                out.insert("uniqueItems".into(), json!(true));
            }
            if let Some(n) = schema.len_min {
                out.insert("minItems".into(), json!(n));
            }
            if let Some(n) = schema.len_max {
                out.insert("maxItems".into(), json!(n));
            }
        }
        Type::Map => {
            out.insert("type".into(), json!("object"));
            if let Some(values) = &schema.values {
                out.insert("additionalProperties".into(), field_schema(values));
            }
        }
        Type::Record => {
            let record = record_schema(schema.fields.iter(), &[]);
            out.extend(record);
        }
        Type::Foreign => {
            let kind = schema.reference.unwrap_or("entity");
            return json!({
                "description": format!("a reference to one of {kind}: its name (or other natural key) or id"),
                "anyOf": [
                    {"type": "string", "minLength": 1},
                    {"type": "object", "minProperties": 1}
                ]
            });
        }
        Type::Any => {}
    }
    if !schema.one_of.is_empty() {
        out.insert("enum".into(), Value::Array(schema.one_of.clone()));
    }
    if let Some(default) = &schema.default {
        out.insert("default".into(), default.clone());
    }
    if let Some(description) = schema.description {
        out.insert("description".into(), json!(description));
    }
    if matches!(schema.ty, Type::Integer | Type::Number | Type::Boolean) {
        return json!({"anyOf": [Value::Object(out), env_reference()]});
    }
    Value::Object(out)
}

fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        json!(n as i64)
    } else {
        json!(n)
    }
}

/// Whether a file must spell a field out: required, with no default to fill it, not a
/// reference (nesting sets those), and not a record whose own fields all fill themselves.
fn must_be_written(schema: &FieldSchema) -> bool {
    let fills_itself = schema.ty == Type::Record
        && schema
            .fields
            .iter()
            .all(|c| !c.schema.required || c.schema.default.is_some());
    schema.required && schema.default.is_none() && schema.ty != Type::Foreign && !fills_itself
}

/// A closed object with the given fields; `extra` adds properties (nested children, shorthands).
fn record_schema<'a>(
    fields: impl Iterator<Item = &'a Field>,
    extra: &[(String, Value)],
) -> Map<String, Value> {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for f in fields {
        if f.schema.server_managed && f.name != "id" {
            continue;
        }
        properties.insert(f.name.to_string(), field_schema(&f.schema));
        if must_be_written(&f.schema) {
            required.push(json!(f.name));
        }
    }
    for (name, schema) in extra {
        properties.insert(name.clone(), schema.clone());
    }
    let mut out = Map::new();
    out.insert("type".into(), json!("object"));
    out.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        out.insert("required".into(), Value::Array(required));
    }
    out.insert("additionalProperties".into(), json!(false));
    out
}

/// One plugin's `config`, as a standalone schema document.
pub fn plugin_config_schema(plugin: &PluginDef) -> Value {
    let mut schema = match plugin.config_schema() {
        Some(config) => field_schema(config),
        None => json!({"type": "object"}),
    };
    if let Value::Object(map) = &mut schema {
        map.insert("$schema".into(), json!(DRAFT));
        map.insert(
            "title".into(),
            json!(format!("{} plugin config", plugin.name)),
        );
    }
    schema
}

fn def_ref(name: &str) -> Value {
    json!({"$ref": format!("#/$defs/{name}")})
}

fn plugin_def_name(name: &str) -> String {
    format!("plugin-config-{name}")
}

/// One entity kind as it is written in a state file (with its nested children).
fn kind_schema(registry: &Registry, kind: &Kind) -> Value {
    let mut extra: Vec<(String, Value)> = kind
        .children
        .iter()
        .map(|n| {
            (
                n.key.to_string(),
                json!({"type": "array", "items": def_ref(n.kind)}),
            )
        })
        .collect();
    for (name, _) in &kind.shorthands {
        extra.push((
            name.to_string(),
            json!({"type": "string", "description": "shorthand: protocol, host, port and path in one URL"}),
        ));
    }
    let mut schema = record_schema(kind.schema.fields.iter(), &extra);
    if !kind.shorthands.is_empty()
        && let Some(required) = schema.remove("required")
    {
        // A shorthand (a service's `url`) fills required fields in: either is enough.
        let mut alternatives = vec![json!({ "required": required })];
        alternatives.extend(
            kind.shorthands
                .iter()
                .map(|(name, _)| json!({"required": [name]})),
        );
        schema.insert("anyOf".into(), Value::Array(alternatives));
    }
    if kind.name == "plugins" {
        // Each known plugin's config is checked by its own schema; unknown plugins are
        // allowed (gwctl validate warns about them).
        let conditions: Vec<Value> = registry
            .plugins()
            .iter()
            .map(|p| {
                json!({
                    "if": {"properties": {"name": {"const": p.name}}, "required": ["name"]},
                    "then": {"properties": {"config": def_ref(&plugin_def_name(p.name))}}
                })
            })
            .collect();
        let names: Vec<&str> = registry.plugins().iter().map(|p| p.name).collect();
        if let Some(Value::Object(props)) = schema.get_mut("properties") {
            props.insert(
                "name".into(),
                json!({"type": "string", "examples": names, "description": "the plugin's name"}),
            );
            props.insert("config".into(), json!({"type": "object"}));
        }
        schema.insert("allOf".into(), Value::Array(conditions));
    }
    if let Some(subschema_field) = kind.subschema_field.filter(|_| kind.name != "plugins")
        && let Some(Value::Object(props)) = schema.get_mut("properties")
    {
        props.insert(subschema_field.into(), json!({"type": "object"}));
    }
    Value::Object(schema)
}

/// The schema of a whole state file.
pub fn state_schema(registry: &Registry) -> Value {
    let mut defs = Map::new();
    for kind in registry.kinds() {
        defs.insert(kind.name.to_string(), kind_schema(registry, kind));
    }
    for plugin in registry.plugins() {
        let mut config = plugin_config_schema(plugin);
        if let Value::Object(map) = &mut config {
            map.remove("$schema");
        }
        defs.insert(plugin_def_name(plugin.name), config);
    }
    let mut properties = Map::new();
    properties.insert(
        "_format_version".into(),
        json!({"description": "decK's state-file format version", "enum": ["3.0"]}),
    );
    properties.insert(
        "_info".into(),
        json!({
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "select_tags": {"type": "array", "items": {"type": "string"}, "description": "only entities with all these tags are managed; added to every entity"},
                "defaults": {
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                        "service": {"type": "object"},
                        "route": {"type": "object"},
                        "upstream": {"type": "object"},
                        "target": {"type": "object"}
                    }
                }
            }
        }),
    );
    properties.insert("_transform".into(), json!({"const": true}));
    properties.insert("_workspace".into(), json!({"type": "string"}));
    properties.insert("_comment".into(), json!({}));
    for kind in registry.kinds() {
        if let Some(key) = kind.file_key {
            properties.insert(
                key.into(),
                json!({"type": "array", "items": def_ref(kind.name)}),
            );
        }
    }
    json!({
        "$schema": DRAFT,
        "title": "gwctl / decK state file (_format_version 3.0)",
        "type": "object",
        "required": ["_format_version"],
        "properties": properties,
        "additionalProperties": false,
        "$defs": defs
    })
}

/// Every schema file gwctl ships, as (path under `schemas/`, pretty JSON text).
pub fn files(registry: &Registry) -> Vec<(String, String)> {
    let pretty = |v: &Value| serde_json::to_string_pretty(v).expect("schemas serialise") + "\n";
    let mut out = vec![(
        "state.schema.json".to_string(),
        pretty(&state_schema(registry)),
    )];
    for plugin in registry.plugins() {
        out.push((
            format!("plugins/{}.json", plugin.name),
            pretty(&plugin_config_schema(plugin)),
        ));
    }
    out
}
