//! The kinds registry: every entity kind and plugin described once, as data.
//!
//! Loading, validation, matching, diffing, ordering, the admin client, the gateway's Admin API
//! and its store are all generic over this table. Adding a kind is adding a row in
//! [`entities`], not a module.

pub mod check;
pub mod entities;
pub mod export;
pub mod plugins;
pub mod schema;
pub mod validate;

use std::collections::HashMap;
use std::sync::LazyLock;

use serde_json::{Map, Value};

use check::EntityCheck;
use schema::{Field, FieldSchema, OnDelete, Type};

/// Expands a write-only shorthand field (a service's `url`) into real fields.
pub type Shorthand = fn(&Value, &mut Map<String, Value>) -> Result<(), String>;

/// How entities of a kind are identified when matching files against a gateway.
#[derive(Debug, Clone)]
pub enum Identity {
    /// All these fields together (foreign fields compare by the identity they resolve to).
    Fields(Vec<&'static str>),
    /// The first of these fields that is set (consumers: username, then custom_id).
    FirstOf(Vec<&'static str>),
    /// Only an explicit id identifies the entity.
    IdOnly,
}

/// A child collection nested inside a parent in state files (`services[].routes`).
#[derive(Debug, Clone)]
pub struct Nesting {
    /// The key inside the parent's object: `routes`, `plugins`, `keyauth_credentials`, …
    pub key: &'static str,
    /// The child kind's name.
    pub kind: &'static str,
    /// The child's foreign field that points at the parent.
    pub foreign_field: &'static str,
}

/// A field that lists a value of each child referencing the entity, kept by the gateway
/// (Kong's certificate `snis`): writing it creates and deletes the children to match, and
/// writing a child updates it; lookups by one of its values find the parent.
#[derive(Debug, Clone)]
pub struct Mirror {
    /// The parent's field: `snis`.
    pub field: &'static str,
    /// The child kind: `snis`.
    pub child_kind: &'static str,
    /// The child's field listed: `name`.
    pub child_field: &'static str,
    /// The child's foreign field pointing at the parent: `certificate`.
    pub via: &'static str,
}

/// One entity kind.
#[derive(Debug, Clone)]
pub struct Kind {
    /// Kong's DAO name, used in `/schemas/{name}` and as the store's table name.
    pub name: &'static str,
    /// The top-level Admin API collection: `/services`, `/key-auths`.
    pub admin_path: &'static str,
    /// The collection's name when nested under its parent: `/consumers/{c}/key-auth`.
    pub nested_admin_path: &'static str,
    /// decK's event kind: `service`, `key-auth`, `acl-group`.
    pub event_name: &'static str,
    /// The key at the top of a state file (None when the kind only appears nested).
    pub file_key: Option<&'static str>,
    /// The entity's fields and entity checks.
    pub schema: FieldSchema,
    /// The field the Admin API accepts in place of an id in URLs (`/services/{name}`).
    pub endpoint_key: Option<&'static str>,
    /// Whether the endpoint key is only unique within the parent (targets within an upstream).
    pub endpoint_key_scoped: bool,
    pub identity: Identity,
    /// Composite uniqueness beyond single `unique` fields (Kong's cache keys).
    pub unique_together: Vec<Vec<&'static str>>,
    /// Dependency level: parents before children on create, the reverse on delete.
    pub level: u8,
    /// Children nested inside this kind in state files.
    pub children: Vec<Nesting>,
    pub shorthands: Vec<(&'static str, Shorthand)>,
    /// For plugins: the field naming the subschema (`name`) and the abstract field it fills.
    pub subschema_key: Option<&'static str>,
    pub subschema_field: Option<&'static str>,
    /// Whether the kind has created_at/updated_at (and in which unit).
    pub timestamps: Timestamps,
    /// Fields the gateway keeps in step with children (see [`Mirror`]).
    pub mirrors: Vec<Mirror>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timestamps {
    None,
    CreatedOnly,
    Seconds,
    Millis,
}

/// A subschema: fields that replace the base kind's fields of the same name, plus checks
/// (a plugin's `config`, `protocols` and `consumer` rules).
#[derive(Debug, Clone)]
pub struct Subschema {
    pub fields: Vec<Field>,
    pub checks: Vec<EntityCheck>,
}

/// A plugin known to gwctl: its schema, and its place in the request pipeline.
#[derive(Debug, Clone)]
pub struct PluginDef {
    pub name: &'static str,
    /// Kong's priority: higher runs first.
    pub priority: i64,
    pub version: &'static str,
    pub schema: Subschema,
}

impl PluginDef {
    /// The schema of this plugin's `config` record.
    pub fn config_schema(&self) -> Option<&FieldSchema> {
        self.schema
            .fields
            .iter()
            .find(|f| f.name == "config")
            .map(|f| &f.schema)
    }
}

/// All kinds and plugins.
#[derive(Debug)]
pub struct Registry {
    kinds: Vec<Kind>,
    plugins: Vec<PluginDef>,
    /// Other subschemas by (kind, key value), e.g. vaults by type name.
    other_subschemas: HashMap<(&'static str, &'static str), Subschema>,
}

static REGISTRY: LazyLock<Registry> = LazyLock::new(Registry::build);

/// The registry every part of gwctl shares.
pub fn registry() -> &'static Registry {
    &REGISTRY
}

impl Registry {
    fn build() -> Registry {
        Registry {
            kinds: entities::all(),
            plugins: plugins::all(),
            other_subschemas: entities::other_subschemas(),
        }
    }

    /// Every kind, in dependency order (parents first).
    pub fn kinds(&self) -> &[Kind] {
        &self.kinds
    }

    pub fn kind(&self, name: &str) -> Option<&Kind> {
        self.kinds.iter().find(|k| k.name == name)
    }

    /// Finds a kind by its top-level Admin API path segment (`key-auths`).
    pub fn kind_by_admin_path(&self, segment: &str) -> Option<&Kind> {
        self.kinds.iter().find(|k| k.admin_path == segment)
    }

    /// Finds a kind by the key it uses at the top of a state file.
    pub fn kind_by_file_key(&self, key: &str) -> Option<&Kind> {
        self.kinds.iter().find(|k| k.file_key == Some(key))
    }

    pub fn plugins(&self) -> &[PluginDef] {
        &self.plugins
    }

    pub fn plugin(&self, name: &str) -> Option<&PluginDef> {
        self.plugins.iter().find(|p| p.name == name)
    }

    /// The subschema that applies to an entity of `kind` whose subschema key is `value`.
    pub fn subschema(&self, kind: &str, value: &str) -> Option<&Subschema> {
        if kind == "plugins" {
            return self.plugin(value).map(|p| &p.schema);
        }
        self.other_subschemas
            .iter()
            .find(|((k, v), _)| *k == kind && *v == value)
            .map(|(_, s)| s)
    }

    /// The names a kind's subschema key may take: plugin names for plugins, vault types, ….
    pub fn subschema_names(&self, kind: &str) -> Vec<&'static str> {
        if kind == "plugins" {
            return self.plugins.iter().map(|p| p.name).collect();
        }
        let mut names: Vec<&'static str> = self
            .other_subschemas
            .keys()
            .filter(|(k, _)| *k == kind)
            .map(|(_, v)| *v)
            .collect();
        names.sort_unstable();
        names
    }

    /// The fields that apply to one entity: the kind's, with its subschema's (a plugin's
    /// `config`, `protocols`, `consumer`) in place of the base fields of the same name.
    pub fn effective_fields<'k>(
        &'k self,
        kind: &'k Kind,
        entity: &Map<String, Value>,
    ) -> Vec<&'k Field> {
        let sub = kind
            .subschema_key
            .and_then(|key| entity.get(key))
            .and_then(Value::as_str)
            .and_then(|name| self.subschema(kind.name, name));
        kind.schema
            .fields
            .iter()
            .map(|base| {
                sub.and_then(|s| s.fields.iter().find(|f| f.name == base.name))
                    .unwrap_or(base)
            })
            .collect()
    }

    /// The foreign fields of a kind: (field name, referenced kind, on_delete, required).
    pub fn foreign_fields(&self, kind: &Kind) -> Vec<ForeignField> {
        kind.schema
            .fields
            .iter()
            .filter(|f| f.schema.ty == Type::Foreign)
            .map(|f| ForeignField {
                field: f.name,
                kind: f.schema.reference.expect("foreign fields name their kind"),
                on_delete: f.schema.on_delete,
                required: f.schema.required,
            })
            .collect()
    }

    /// Kinds whose entities reference `kind`, with the referencing field.
    pub fn referencing(&self, kind: &str) -> Vec<(&Kind, ForeignField)> {
        self.kinds
            .iter()
            .flat_map(|k| {
                self.foreign_fields(k)
                    .into_iter()
                    .filter(|f| f.kind == kind)
                    .map(move |f| (k, f))
            })
            .collect()
    }
}

/// A foreign-key field of a kind.
#[derive(Debug, Clone, Copy)]
pub struct ForeignField {
    pub field: &'static str,
    pub kind: &'static str,
    pub on_delete: OnDelete,
    pub required: bool,
}

impl Kind {
    /// A kind with the common defaults: named `name` everywhere (Admin API paths, event name,
    /// state-file key), no endpoint key, children, shorthands or subschema, timestamps in
    /// seconds. The setters below state only what differs.
    pub fn new(name: &'static str, schema: FieldSchema, identity: Identity, level: u8) -> Kind {
        Kind {
            name,
            admin_path: name,
            nested_admin_path: name,
            event_name: name,
            file_key: Some(name),
            schema,
            endpoint_key: None,
            endpoint_key_scoped: false,
            identity,
            unique_together: Vec::new(),
            level,
            children: Vec::new(),
            shorthands: Vec::new(),
            subschema_key: None,
            subschema_field: None,
            timestamps: Timestamps::Seconds,
            mirrors: Vec::new(),
        }
    }

    /// The Admin API collection names: top-level and nested under the parent.
    pub fn admin_paths(mut self, top: &'static str, nested: &'static str) -> Kind {
        self.admin_path = top;
        self.nested_admin_path = nested;
        self
    }

    /// decK's event kind (`service`, `key-auth`, `acl-group`).
    pub fn event(mut self, name: &'static str) -> Kind {
        self.event_name = name;
        self
    }

    /// The kind appears only nested inside its parent in state files.
    pub fn nested_only(mut self) -> Kind {
        self.file_key = None;
        self
    }

    pub fn endpoint_key(mut self, field: &'static str) -> Kind {
        self.endpoint_key = Some(field);
        self
    }

    /// The endpoint key is unique only within the parent (targets within an upstream).
    pub fn scoped_endpoint_key(mut self, field: &'static str) -> Kind {
        self.endpoint_key = Some(field);
        self.endpoint_key_scoped = true;
        self
    }

    pub fn unique_together(mut self, fields: Vec<&'static str>) -> Kind {
        self.unique_together.push(fields);
        self
    }

    /// `field` lists the `child_field` of every `child_kind` entity whose `via` points here.
    pub fn mirror(
        mut self,
        field: &'static str,
        child_kind: &'static str,
        child_field: &'static str,
        via: &'static str,
    ) -> Kind {
        self.mirrors.push(Mirror {
            field,
            child_kind,
            child_field,
            via,
        });
        self
    }

    /// A child collection nested in this kind's objects in state files.
    pub fn child(
        mut self,
        key: &'static str,
        kind: &'static str,
        foreign_field: &'static str,
    ) -> Kind {
        self.children.push(Nesting {
            key,
            kind,
            foreign_field,
        });
        self
    }

    pub fn shorthand(mut self, name: &'static str, expand: Shorthand) -> Kind {
        self.shorthands.push((name, expand));
        self
    }

    /// Entities pick a subschema by the value of `key`, which fills the abstract `field`.
    pub fn subschema(mut self, key: &'static str, field: &'static str) -> Kind {
        self.subschema_key = Some(key);
        self.subschema_field = Some(field);
        self
    }

    pub fn timestamps(mut self, timestamps: Timestamps) -> Kind {
        self.timestamps = timestamps;
        self
    }

    /// Fields whose values are secrets (masked in output, linted in files).
    pub fn secret_fields(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.schema
            .fields
            .iter()
            .filter(|f| f.schema.secret)
            .map(|f| f.name)
    }

    /// The fields that identify an entity of this kind, if any.
    pub fn identity_fields(&self) -> &[&'static str] {
        match &self.identity {
            Identity::Fields(f) | Identity::FirstOf(f) => f,
            Identity::IdOnly => &[],
        }
    }

    /// The identity values of `body` that a message may show: never a secret field's value,
    /// nor a PEM block or other multi-line text (a certificate's `cert`, a key).
    pub fn shown_identity<'a>(
        &self,
        body: &'a Map<String, Value>,
    ) -> impl Iterator<Item = &'a str> {
        self.identity_fields()
            .iter()
            .filter(|f| !self.schema.field(f).is_some_and(|s| s.secret))
            .filter_map(|f| body.get(*f).and_then(Value::as_str))
            .filter(|v| !v.contains("-----BEGIN") && !v.contains('\n'))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::validate::{Options, kong_fields, kong_message, process_entity};
    use super::*;

    fn check(kind: &str, body: serde_json::Value) -> (Map<String, Value>, Vec<String>) {
        let registry = registry();
        let kind = registry.kind(kind).unwrap();
        let mut map = body.as_object().unwrap().clone();
        let violations = process_entity(registry, kind, &mut map, Options::default());
        let messages = violations
            .iter()
            .map(|v| format!("{}: {}", validate::dotted(&v.path), v.message))
            .collect();
        (map, messages)
    }

    #[test]
    fn service_url_shorthand_expands_and_defaults_fill() {
        let (svc, errors) = check(
            "services",
            json!({"name": "s", "url": "https://api.openai.com"}),
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(svc["protocol"], "https");
        assert_eq!(svc["host"], "api.openai.com");
        assert_eq!(svc["port"], 443);
        assert_eq!(svc["path"], Value::Null);
        assert_eq!(svc["connect_timeout"], 60000);
        assert_eq!(svc["enabled"], true);
    }

    #[test]
    fn unknown_fields_get_a_suggestion_and_kong_messages() {
        let registry = registry();
        let kind = registry.kind("services").unwrap();
        let mut map = json!({"name": "s", "host": "h", "prot": 3, "port": "x"})
            .as_object()
            .unwrap()
            .clone();
        let v = process_entity(registry, kind, &mut map, Options::default());
        let unknown = v.iter().find(|v| v.message == "unknown field").unwrap();
        assert_eq!(unknown.suggestion.as_deref(), Some("port"));
        assert_eq!(
            kong_message(&v),
            "2 schema violations (port: expected an integer; prot: unknown field)"
        );
        assert_eq!(
            kong_fields(&v),
            json!({"prot": "unknown field", "port": "expected an integer"})
        );
    }

    #[test]
    fn plugin_config_is_checked_by_its_own_schema() {
        let (plugin, errors) = check(
            "plugins",
            json!({"name": "ai-proxy", "config": {
                "route_type": "llm/v1/chat",
                "auth": {"header_name": "x-api-key"},
                "model": {"provider": "anthropic", "name": "claude"}
            }}),
        );
        assert_eq!(
            errors,
            vec![
                "config: all or none of these fields must be set: 'auth.header_name', 'auth.header_value'",
                "config.model.options.anthropic_version: must be set for the 'anthropic' provider",
            ]
        );
        assert_eq!(plugin["config"]["logging"]["log_statistics"], false);
        assert_eq!(plugin["config"]["max_request_body_size"], 8192);
    }

    #[test]
    fn rate_limiting_windows_must_grow() {
        let (_, errors) = check(
            "plugins",
            json!({"name": "rate-limiting", "config": {"minute": 10, "hour": 5}}),
        );
        assert_eq!(
            errors,
            vec!["config: The limit for hour(5.0) cannot be lower than the limit for minute(10.0)"]
        );
        let (_, errors) = check("plugins", json!({"name": "rate-limiting", "config": {}}));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("at least one of"));
    }

    #[test]
    fn unknown_plugin_is_rejected_by_default() {
        let (_, errors) = check("plugins", json!({"name": "nope", "config": {}}));
        // Kong names its `plugins` configuration property; gwctl's gateway has none, so the
        // message lists the plugins it has.
        assert_eq!(
            errors,
            vec![
                "name: plugin 'nope' not enabled; this gateway's plugins are: acl, ai-proxy, \
                 cors, jwt, key-auth, rate-limiting"
            ]
        );
    }

    #[test]
    fn a_grpc_route_defaults_strip_path_to_false_and_refuses_true() {
        let route = |extra: Value| {
            let mut body = json!({"protocols": ["grpc"], "paths": ["/pkg.Svc"]});
            body.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            check("routes", body)
        };
        let (r, errors) = route(json!({}));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(r["strip_path"], false);
        let (r, errors) = route(json!({"protocols": ["grpcs"]}));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(r["strip_path"], false);
        let (_, errors) = route(json!({"strip_path": false}));
        assert!(errors.is_empty(), "{errors:?}");
        let (_, errors) = route(json!({"strip_path": true}));
        assert_eq!(
            errors,
            vec!["strip_path: cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'"]
        );
        // Other routes keep Kong's base default.
        let (r, errors) = check("routes", json!({"paths": ["/a"]}));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(r["strip_path"], true);
    }

    #[test]
    fn targets_are_normalised() {
        let (target, errors) = check(
            "targets",
            json!({"target": "10.0.0.1", "upstream": {"id": "x"}}),
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(target["target"], "10.0.0.1:8000");
        assert_eq!(target["weight"], 100);
    }

    #[test]
    fn every_kind_is_consistent() {
        let registry = registry();
        for kind in registry.kinds() {
            for nesting in &kind.children {
                let child = registry.kind(nesting.kind).expect("child kind exists");
                assert!(child.schema.field(nesting.foreign_field).is_some());
            }
            for f in registry.foreign_fields(kind) {
                assert!(
                    registry.kind(f.kind).is_some(),
                    "{} -> {}",
                    kind.name,
                    f.kind
                );
            }
            for field in kind.identity_fields() {
                assert!(kind.schema.field(field).is_some(), "{}.{field}", kind.name);
            }
        }
    }
}
