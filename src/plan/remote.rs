//! Defaults from the target's own `/schemas` (for gateways other than gwctl's): a newer Kong's
//! extra defaults, or the config defaults of a plugin the registry does not know, are filled
//! into the files' side so they do not show as changes (decK does the same, deck.md §4.6).

use std::collections::HashMap;

use serde_json::{Map, Value};

/// Kong schema documents (`GET /schemas/{kind}`, `GET /schemas/plugins/{name}`) by
/// (kind, plugin name).
#[derive(Debug, Clone, Default)]
pub struct RemoteSchemas {
    schemas: HashMap<(String, Option<String>), Value>,
}

impl RemoteSchemas {
    pub fn insert(&mut self, kind: &str, plugin: Option<&str>, schema: Value) {
        self.schemas
            .insert((kind.to_string(), plugin.map(str::to_string)), schema);
    }

    pub fn is_empty(&self) -> bool {
        self.schemas.is_empty()
    }

    /// Fills absent fields of `body` with the target's defaults: the entity schema first, then
    /// the plugin's (its `config` record).
    pub fn fill(&self, kind: &str, subschema: Option<&str>, body: &mut Map<String, Value>) {
        if let Some(schema) = self.schemas.get(&(kind.to_string(), None)) {
            fill_record(schema, body);
        }
        if let Some(name) = subschema
            && let Some(schema) = self
                .schemas
                .get(&(kind.to_string(), Some(name.to_string())))
        {
            fill_record(schema, body);
        }
    }
}

/// Kong's record shape: `{"fields": [{"name": {type, default, fields…}}, …]}`.
fn fill_record(schema: &Value, record: &mut Map<String, Value>) {
    let Some(fields) = schema.get("fields").and_then(Value::as_array) else {
        return;
    };
    for entry in fields {
        let Some((name, field)) = entry.as_object().and_then(|o| o.iter().next()) else {
            continue;
        };
        let is_record = field.get("type").and_then(Value::as_str) == Some("record");
        let absent = record.get(name).is_none_or(Value::is_null);
        if absent {
            if let Some(default) = field.get("default").filter(|d| !d.is_null()) {
                record.insert(name.clone(), default.clone());
            } else if is_record && field.get("required").and_then(Value::as_bool) == Some(true) {
                record.insert(name.clone(), Value::Object(Map::new()));
            }
        }
        if is_record && let Some(Value::Object(inner)) = record.get_mut(name) {
            fill_record(field, inner);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn nested_defaults_fill_only_what_is_absent() {
        let mut remote = RemoteSchemas::default();
        remote.insert(
            "plugins",
            Some("x-custom"),
            json!({"fields": [
                {"protocols": {"type": "set", "default": ["http", "https"]}},
                {"config": {"type": "record", "required": true, "fields": [
                    {"limit": {"type": "integer", "default": 10}},
                    {"mode": {"type": "string", "default": "fast"}},
                    {"nested": {"type": "record", "required": true, "fields": [
                        {"depth": {"type": "integer", "default": 3}}]}}]}}]}),
        );
        let mut body = json!({"name": "x-custom", "config": {"limit": 5}})
            .as_object()
            .unwrap()
            .clone();
        remote.fill("plugins", Some("x-custom"), &mut body);
        assert_eq!(
            Value::Object(body),
            json!({"name": "x-custom", "protocols": ["http", "https"],
                   "config": {"limit": 5, "mode": "fast", "nested": {"depth": 3}}})
        );
    }
}
