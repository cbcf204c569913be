//! Field schemas: the data that describes every field of every kind and plugin config.
//!
//! One description serves validation, default filling, the gateway's `/schemas` endpoints and the
//! JSON Schema files in `schemas/`, so the four can never disagree.

use serde_json::{Map, Value};

use super::check::EntityCheck;

/// The JSON type a field holds (Kong's schema vocabulary).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    String,
    Integer,
    Number,
    Boolean,
    /// Ordered list; order is significant when comparing.
    Array,
    /// List whose order carries no meaning; compared sorted and de-duplicated.
    Set,
    Map,
    Record,
    /// A reference to another kind, written `{"id": …}` (or a natural key) in bodies.
    Foreign,
    /// Anything; used for free-form JSON we do not check.
    Any,
}

impl Type {
    /// Kong's name for the type, as shown by `GET /schemas/...`.
    pub fn kong_name(self) -> &'static str {
        match self {
            Type::String => "string",
            Type::Integer => "integer",
            Type::Number => "number",
            Type::Boolean => "boolean",
            Type::Array => "array",
            Type::Set => "set",
            Type::Map => "map",
            Type::Record => "record",
            Type::Foreign => "foreign",
            Type::Any => "json",
        }
    }
}

/// What the store generates when a field is absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auto {
    None,
    Uuid,
    TimestampSeconds,
    TimestampMillis,
    /// A random 32-character alphanumeric string (key-auth keys, jwt keys and secrets).
    RandomKey,
    /// The SHA-256 (lowercase hex) of the certificate in the named PEM field, computed on
    /// every write (`ca_certificates.cert_digest`; Kong's DAO computes it, the schema does not
    /// say so).
    PemDigest(&'static str),
}

/// What deleting the referenced entity does to entities that reference it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDelete {
    /// The referencing entities go too (plugins of a service, credentials of a consumer).
    Cascade,
    /// Deleting the referenced entity is refused (a service that still has routes).
    Restrict,
}

/// A value check beyond the type, returning Kong's message on failure.
pub type ValueCheck = fn(&Value) -> Result<(), String>;

/// A rewrite applied before validation (e.g. targets are normalised to `host:port`).
pub type Normalizer = fn(&Value) -> Result<Value, String>;

/// A default that depends on the record's other fields, which are already processed when it
/// is asked (Kong's subschema defaults: a gRPC route's `strip_path` is false). `None` falls back
/// to the field's plain default.
pub type ContextDefault = fn(&Map<String, Value>) -> Option<Value>;

/// The schema of one field (or of an element, key or value inside one).
#[derive(Debug, Clone)]
pub struct FieldSchema {
    pub ty: Type,
    pub required: bool,
    pub default: Option<Value>,
    /// Takes precedence over `default` where it gives a value (see [`ContextDefault`]).
    pub default_for: Option<ContextDefault>,
    pub one_of: Vec<Value>,
    pub between: Option<(f64, f64)>,
    pub gt: Option<f64>,
    pub len_min: Option<usize>,
    pub len_max: Option<usize>,
    pub starts_with: Option<&'static str>,
    pub checks: Vec<(&'static str, ValueCheck)>,
    pub normalize: Option<Normalizer>,
    pub auto: Auto,
    pub unique: bool,
    /// A secret value: masked in output and flagged when written literally in a state file.
    pub secret: bool,
    /// Set server-side only; ignored when comparing and never required in files.
    pub server_managed: bool,
    pub description: Option<&'static str>,
    /// Array and set elements.
    pub elements: Option<Box<FieldSchema>>,
    /// Map keys and values.
    pub keys: Option<Box<FieldSchema>>,
    pub values: Option<Box<FieldSchema>>,
    /// Record fields and the checks that span them.
    pub fields: Vec<Field>,
    pub record_checks: Vec<EntityCheck>,
    /// The kind a foreign field points at, and what happens when that entity is deleted.
    pub reference: Option<&'static str>,
    pub on_delete: OnDelete,
}

/// A named field of a record.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: &'static str,
    pub schema: FieldSchema,
}

impl FieldSchema {
    pub fn new(ty: Type) -> Self {
        FieldSchema {
            ty,
            required: false,
            default: None,
            default_for: None,
            one_of: Vec::new(),
            between: None,
            gt: None,
            len_min: None,
            len_max: None,
            starts_with: None,
            checks: Vec::new(),
            normalize: None,
            auto: Auto::None,
            unique: false,
            secret: false,
            server_managed: false,
            description: None,
            elements: None,
            keys: None,
            values: None,
            fields: Vec::new(),
            record_checks: Vec::new(),
            reference: None,
            on_delete: OnDelete::Restrict,
        }
    }

    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub fn default(mut self, value: impl Into<Value>) -> Self {
        self.default = Some(value.into());
        self
    }
    pub fn default_for(mut self, f: ContextDefault) -> Self {
        self.default_for = Some(f);
        self
    }
    pub fn one_of<V: Into<Value>>(mut self, values: impl IntoIterator<Item = V>) -> Self {
        self.one_of = values.into_iter().map(Into::into).collect();
        self
    }
    pub fn between(mut self, min: f64, max: f64) -> Self {
        self.between = Some((min, max));
        self
    }
    pub fn gt(mut self, min: f64) -> Self {
        self.gt = Some(min);
        self
    }
    pub fn len_min(mut self, n: usize) -> Self {
        self.len_min = Some(n);
        self
    }
    pub fn len_max(mut self, n: usize) -> Self {
        self.len_max = Some(n);
        self
    }
    pub fn starts_with(mut self, prefix: &'static str) -> Self {
        self.starts_with = Some(prefix);
        self
    }
    /// Adds a named custom check; the name documents it in schema exports.
    pub fn check(mut self, name: &'static str, f: ValueCheck) -> Self {
        self.checks.push((name, f));
        self
    }
    pub fn normalize(mut self, f: Normalizer) -> Self {
        self.normalize = Some(f);
        self
    }
    pub fn auto(mut self, auto: Auto) -> Self {
        self.auto = auto;
        self
    }
    pub fn unique(mut self) -> Self {
        self.unique = true;
        self
    }
    pub fn secret(mut self) -> Self {
        self.secret = true;
        self
    }
    pub fn server_managed(mut self) -> Self {
        self.server_managed = true;
        self
    }
    pub fn describe(mut self, text: &'static str) -> Self {
        self.description = Some(text);
        self
    }
    pub fn on_delete(mut self, on_delete: OnDelete) -> Self {
        self.on_delete = on_delete;
        self
    }
    pub fn with_checks(mut self, checks: Vec<EntityCheck>) -> Self {
        self.record_checks = checks;
        self
    }

    /// Looks up a direct child field of a record.
    pub fn field(&self, name: &str) -> Option<&FieldSchema> {
        self.fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| &f.schema)
    }

    /// Looks up a field by dotted path (`auth.header_name`) through nested records.
    pub fn field_at(&self, dotted: &str) -> Option<&FieldSchema> {
        dotted
            .split('.')
            .try_fold(self, |schema, segment| schema.field(segment))
    }
}

// Constructors, so registry rows read like Kong's schema files.

pub fn string() -> FieldSchema {
    FieldSchema::new(Type::String)
}
pub fn integer() -> FieldSchema {
    FieldSchema::new(Type::Integer)
}
pub fn number() -> FieldSchema {
    FieldSchema::new(Type::Number)
}
pub fn boolean() -> FieldSchema {
    FieldSchema::new(Type::Boolean)
}
pub fn any() -> FieldSchema {
    FieldSchema::new(Type::Any)
}
pub fn array(elements: FieldSchema) -> FieldSchema {
    let mut schema = FieldSchema::new(Type::Array);
    schema.elements = Some(Box::new(elements));
    schema
}
pub fn set(elements: FieldSchema) -> FieldSchema {
    let mut schema = FieldSchema::new(Type::Set);
    schema.elements = Some(Box::new(elements));
    schema
}
pub fn map(keys: FieldSchema, values: FieldSchema) -> FieldSchema {
    let mut schema = FieldSchema::new(Type::Map);
    schema.keys = Some(Box::new(keys));
    schema.values = Some(Box::new(values));
    schema
}
pub fn record(fields: Vec<Field>) -> FieldSchema {
    let mut schema = FieldSchema::new(Type::Record);
    schema.fields = fields;
    schema
}
pub fn foreign(kind: &'static str) -> FieldSchema {
    let mut schema = FieldSchema::new(Type::Foreign);
    schema.reference = Some(kind);
    schema
}
pub fn field(name: &'static str, schema: FieldSchema) -> Field {
    Field { name, schema }
}

/// The reason a regex does not compile, on one line: the regex crate's message spells out the
/// pattern with a caret over several lines, and its last line says what is wrong.
pub fn regex_error_reason(error: &regex::Error) -> String {
    let text = error.to_string();
    text.lines().last().unwrap_or(&text).trim().to_string()
}
