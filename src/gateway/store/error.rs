//! Why a write was refused, in terms that map one-to-one onto Kong's error bodies.

use serde_json::{Map, Value, json};

use crate::kinds::validate::{Violation, kong_fields, kong_message};

/// Why one operation failed.
#[derive(Debug, Clone)]
pub enum EntityError {
    /// Code 2: the body does not satisfy the schema.
    Schema(Vec<Violation>),
    /// Code 3: an entity with this id already exists (POST with an explicit id).
    PrimaryKey { id: String },
    /// Code 4: a reference to a missing entity, or a delete refused by a restricting reference.
    ForeignKey { message: String, fields: Value },
    /// Code 13: a reference by unique fields (`"service": {"name": "x"}`) that finds nothing
    /// (Kong's `resolve_foreign`; only a reference by id that finds nothing is code 4).
    Unresolved {
        field: String,
        target: String,
        /// Boxed: the map would make every write error larger than it needs to be.
        reference: Box<Map<String, Value>>,
    },
    /// Code 5: a unique field (or field combination) is already taken.
    Unique { key: String, fields: Value },
    /// Code 6 / plain 404: the entity to update does not exist.
    NotFound { key: String },
    /// A 400 with a plain message (a request that makes no sense, e.g. a bad batch operation).
    BadRequest(String),
}

impl EntityError {
    pub fn status(&self) -> u16 {
        match self {
            EntityError::Unique { .. } => 409,
            EntityError::NotFound { .. } => 404,
            _ => 400,
        }
    }

    /// Kong's error body for this failure.
    pub fn body(&self) -> Value {
        match self {
            EntityError::Schema(violations) => json!({
                "code": 2,
                "name": "schema violation",
                "message": kong_message(violations),
                "fields": kong_fields(violations),
            }),
            EntityError::PrimaryKey { id } => json!({
                "code": 3,
                "name": "primary key violation",
                "message": format!("primary key violation on key '{{id=\"{id}\"}}'"),
                "fields": {"id": id},
            }),
            EntityError::ForeignKey { message, fields } => json!({
                "code": 4,
                "name": "foreign key violation",
                "message": message,
                "fields": fields,
            }),
            EntityError::Unresolved {
                field,
                target,
                reference,
            } => unresolved_body(field, target, reference),
            EntityError::Unique { key, fields } => json!({
                "code": 5,
                "name": "unique constraint violation",
                "message": format!("UNIQUE violation detected on '{key}'"),
                "fields": fields,
            }),
            EntityError::NotFound { key } => json!({
                "code": 6,
                "name": "not found",
                "message": format!("could not find the entity with {key}"),
            }),
            EntityError::BadRequest(message) => json!({ "message": message }),
        }
    }

    /// The one-line message (used when a batch reports which operation failed).
    pub fn message(&self) -> String {
        self.body()["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

/// Kong's `foreign_keys_unresolved` body: one entry per key of the reference, sorted.
fn unresolved_body(field: &str, target: &str, reference: &Map<String, Value>) -> Value {
    let mut keys: Vec<&String> = reference.keys().collect();
    keys.sort();
    let mut out_fields = Map::new();
    let mut parts = Vec::new();
    for key in keys {
        let value = match &reference[key] {
            Value::String(text) => format!("\"{text}\""),
            other => other.to_string(),
        };
        let text = format!(
            "the foreign key cannot be resolved with '{{{key}={value}}}' for an existing '{target}' entity"
        );
        parts.push(format!("{field}.{key}: {text}"));
        out_fields.insert(key.clone(), Value::from(text));
    }
    let message = if parts.len() == 1 {
        format!("foreign key unresolved ({})", parts[0])
    } else {
        format!(
            "{} foreign keys unresolved ({})",
            parts.len(),
            parts.join("; ")
        )
    };
    json!({
        "code": 13,
        "name": "foreign keys unresolved",
        "message": message,
        "fields": { field: out_fields },
    })
}

/// Why a write (one request or one batch) was refused; nothing was changed.
#[derive(Debug, Clone)]
pub enum WriteError {
    /// Operation `index` failed; the whole transaction was rolled back.
    Op { index: usize, error: EntityError },
    /// The write was conditional on a revision that is no longer current.
    RevisionMismatch { expected: u64, current: u64 },
    /// The database failed (disk full, I/O error). Reported as 500 without details.
    Storage(String),
}

/// Renders a value the way Kong prints keys in messages: `"x"`, `null`, `{id="…"}`.
pub fn lua_repr(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::String(s) => format!("\"{s}\""),
        Value::Object(map) => {
            let mut parts: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}={}", lua_repr(v)))
                .collect();
            parts.sort();
            format!("{{{}}}", parts.join(","))
        }
        other => other.to_string(),
    }
}
