//! The OpenAPI 3 description of the Admin API, generated from the route table and the
//! registry. `schemas/admin-api.openapi.yaml` is this document; a test keeps the two equal and
//! proves every listed path is served and every served path listed.

use serde_json::{Map, Value, json};

use super::routes::{Target, Template, templates};
use crate::kinds::schema::{FieldSchema, Type};
use crate::kinds::{Kind, registry};

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for template in templates() {
        paths.insert(template.path.clone(), path_item(template));
    }
    let mut schemas = Map::new();
    for kind in registry().kinds() {
        schemas.insert(kind.name.to_string(), entity_schema(kind));
    }
    schemas.insert("Error".into(), json!({
        "type": "object",
        "description": "Kong's error body. `fields` nests like the entity; `code` 2 schema violation, 3 primary key, 4 foreign key, 5 unique, 6 not found, 7 offset, 9 size, 11 options.",
        "properties": {
            "code": {"type": "integer"},
            "name": {"type": "string"},
            "message": {"type": "string"},
            "fields": {"type": "object"},
            "options": {"type": "object"},
        },
        "required": ["message"],
    }));
    schemas.insert(
        "List".into(),
        json!({
            "type": "object",
            "properties": {
                "data": {"type": "array", "items": {"type": "object"}},
                "next": {"type": "string", "nullable": true},
                "offset": {"type": "string"},
            },
            "required": ["data", "next"],
        }),
    );
    schemas.insert(
        "Batch".into(),
        json!({
            "type": "object",
            "properties": {
                "if_revision": {"type": "integer", "minimum": 0},
                "operations": {"type": "array", "items": {
                    "type": "object",
                    "properties": {
                        "op": {"type": "string", "enum": ["create", "put", "patch", "delete"]},
                        "kind": {"type": "string"},
                        "key": {"type": "string"},
                        "body": {"type": "object"},
                    },
                    "required": ["op", "kind"],
                }},
            },
            "required": ["operations"],
        }),
    );
    schemas.insert(
        "BatchResult".into(),
        json!({
            "type": "object",
            "properties": {
                "revision": {"type": "integer"},
                "results": {"type": "array", "items": {
                    "type": "object",
                    "properties": {
                        "status": {"type": "integer"},
                        "entity": {"type": "object", "nullable": true},
                        "deleted": {"type": "boolean"},
                    },
                }},
            },
        }),
    );
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "gwctl Admin API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Kong 3.x compatible Admin API of the gateway bundled with gwctl (`gwctl serve`), plus gwctl's extensions: the config revision as ETag, If-Match conditional writes, and POST /batch. Every path also answers HEAD and OPTIONS. Generated from the kinds registry.",
        },
        "servers": [{"url": "http://127.0.0.1:8001"}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {"adminToken": {"type": "apiKey", "in": "header", "name": "Kong-Admin-Token"}},
            "responses": {
                "Error": {"description": "Kong error body", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            },
        },
        "security": [{}, {"adminToken": []}],
        "paths": paths,
    })
}

fn path_item(template: &Template) -> Value {
    let mut item = Map::new();
    let params: Vec<Value> = template
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| {
            json!({
                "name": name,
                "in": "path",
                "required": true,
                "schema": {"type": "string"},
                "description": "An id (UUID) or the kind's endpoint key",
            })
        })
        .collect();
    if !params.is_empty() {
        item.insert("parameters".into(), Value::Array(params));
    }
    for method in template.methods {
        let name = method.as_str().to_ascii_lowercase();
        item.insert(name.clone(), operation(template, &name));
    }
    Value::Object(item)
}

fn reference(kind: &Kind) -> Value {
    json!({"$ref": format!("#/components/schemas/{}", kind.name)})
}

fn content(schema: Value) -> Value {
    json!({"application/json": {"schema": schema}})
}

fn operation(template: &Template, method: &str) -> Value {
    let id: String = format!("{method}{}", template.path)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let error = json!({"$ref": "#/components/responses/Error"});
    let mut responses = Map::new();
    let mut op = Map::new();
    op.insert("operationId".into(), Value::from(id));
    let entity_kind = match template.target {
        Target::Collection { kind, .. } | Target::Entity { kind, .. } => Some(kind),
        Target::Referenced { target, .. } => Some(target),
        _ => None,
    };
    match (template.target, method) {
        (Target::Collection { .. }, "get") | (Target::Tags | Target::Tag, _) => {
            op.insert("parameters".into(), json!([
                {"name": "size", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
                {"name": "offset", "in": "query", "schema": {"type": "string"}},
                {"name": "tags", "in": "query", "schema": {"type": "string"}, "description": "a,b: all of; a/b: any of"},
            ]));
            responses.insert("200".into(), json!({"description": "a page", "content": content(json!({"$ref": "#/components/schemas/List"}))}));
        }
        (Target::Config, _) => {
            responses.insert("400".into(), error.clone());
        }
        (Target::SetTargetHealth { .. }, _) => {
            responses.insert(
                "204".into(),
                json!({"description": "the target's health is set"}),
            );
            responses.insert("404".into(), error.clone());
        }
        (Target::Batch, _) => {
            op.insert("requestBody".into(), json!({"required": true, "content": content(json!({"$ref": "#/components/schemas/Batch"}))}));
            responses.insert("200".into(), json!({"description": "all operations applied", "content": content(json!({"$ref": "#/components/schemas/BatchResult"}))}));
            responses.insert("412".into(), error.clone());
        }
        (_, "delete") => {
            responses.insert(
                "204".into(),
                json!({"description": "deleted, or there was nothing to delete"}),
            );
        }
        (_, "post" | "put" | "patch") => {
            let schema = entity_kind
                .map(reference)
                .unwrap_or(json!({"type": "object"}));
            op.insert(
                "requestBody".into(),
                json!({"content": {
                    "application/json": {"schema": {"type": "object"}},
                    "application/x-www-form-urlencoded": {"schema": {"type": "object"}},
                    "multipart/form-data": {"schema": {"type": "object"}},
                }}),
            );
            let status = if method == "post" && matches!(template.target, Target::Collection { .. })
            {
                "201"
            } else {
                "200"
            };
            responses.insert(
                status.into(),
                json!({"description": "ok", "content": content(schema)}),
            );
            responses.insert("412".into(), error.clone());
        }
        _ => {
            let schema = entity_kind
                .map(reference)
                .unwrap_or(json!({"type": "object"}));
            responses.insert(
                "200".into(),
                json!({"description": "ok", "content": content(schema)}),
            );
        }
    }
    responses.insert("400".into(), error.clone());
    responses.insert("401".into(), error.clone());
    responses.insert("404".into(), error.clone());
    if method != "get" {
        responses.insert("409".into(), error.clone());
        responses.insert("413".into(), error);
    }
    op.insert("responses".into(), Value::Object(responses));
    Value::Object(op)
}

fn entity_schema(kind: &Kind) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for field in &kind.schema.fields {
        if field.schema.required && field.schema.default.is_none() {
            required.push(field.name);
        }
        properties.insert(field.name.to_string(), field_schema(&field.schema));
    }
    let mut out = json!({"type": "object", "properties": properties});
    if !required.is_empty() {
        out["required"] = json!(required);
    }
    out
}

fn field_schema(schema: &FieldSchema) -> Value {
    let mut out = match schema.ty {
        Type::String => json!({"type": "string"}),
        Type::Integer => json!({"type": "integer"}),
        Type::Number => json!({"type": "number"}),
        Type::Boolean => json!({"type": "boolean"}),
        Type::Array | Type::Set => {
            let items = schema
                .elements
                .as_deref()
                .map(field_schema)
                .unwrap_or(json!({}));
            json!({"type": "array", "items": items})
        }
        Type::Map => {
            let values = schema
                .values
                .as_deref()
                .map(field_schema)
                .unwrap_or(json!({}));
            json!({"type": "object", "additionalProperties": values})
        }
        Type::Record => {
            let properties: Map<String, Value> = schema
                .fields
                .iter()
                .map(|f| (f.name.to_string(), field_schema(&f.schema)))
                .collect();
            json!({"type": "object", "properties": properties})
        }
        Type::Foreign => {
            json!({"type": "object", "properties": {"id": {"type": "string", "format": "uuid"}}})
        }
        Type::Any => json!({}),
    };
    if !schema.required && schema.ty != Type::Any {
        out["nullable"] = Value::Bool(true);
    }
    if !schema.one_of.is_empty() {
        out["enum"] = Value::from(schema.one_of.clone());
    }
    if let Some(default) = &schema.default {
        out["default"] = default.clone();
    }
    if let Some(text) = schema.description {
        out["description"] = Value::from(text);
    }
    out
}

/// The document as YAML, exactly as committed in `schemas/admin-api.openapi.yaml`.
pub fn yaml() -> String {
    let body = serde_saphyr::to_string(&document()).unwrap_or_default();
    format!(
        "# Generated from the kinds registry by gwctl; do not edit.\n# Regenerate: GWCTL_UPDATE_OPENAPI=1 cargo test --test admin_api_openapi\n{body}"
    )
}
