//! The one validation engine: fills defaults and checks a JSON value against a [`FieldSchema`].
//!
//! The CLI (`validate`, state loading), the gateway's Admin API and the diff normaliser all call
//! this, so a body the CLI accepts is a body the gateway accepts.

use serde_json::{Map, Number, Value};

use super::check::join_values;
use super::schema::{Field, FieldSchema, Type};
use super::{Kind, Registry};

/// One step of a path into a document.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A path from an entity's root to a value inside it.
pub type Path = Vec<Seg>;

/// Renders a path as Kong prints field names in messages: `config.auth.header_name`, `paths.2`.
pub fn dotted(path: &[Seg]) -> String {
    path.iter()
        .map(|s| match s {
            Seg::Key(k) => k.clone(),
            Seg::Index(i) => (i + 1).to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Renders a path as an RFC 6901 JSON pointer (zero-based indexes).
pub fn pointer(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        out.push('/');
        match seg {
            Seg::Key(k) => out.push_str(&k.replace('~', "~0").replace('/', "~1")),
            Seg::Index(i) => out.push_str(&i.to_string()),
        }
    }
    out
}

/// One problem found in a value.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// Where the problem is, from the entity's root.
    pub path: Path,
    pub message: String,
    /// True for a rule about the record at `path` as a whole (Kong's `@entity`).
    pub entity_level: bool,
    /// For unknown fields: the closest known field name.
    pub suggestion: Option<String>,
}

/// Whether strings may stand in for numbers and booleans.
#[derive(Clone, Copy)]
pub enum Coerce<'a> {
    /// Types must match exactly (JSON bodies).
    Never,
    /// Form bodies: every value arrives as a string; single values may stand for arrays.
    Always,
    /// State files: only values the predicate selects (whole-scalar env substitutions).
    Where(&'a dyn Fn(&[Seg]) -> bool),
}

/// What to do with a plugin (or other subschema) name the registry does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownSubschema {
    /// A schema violation on the key field, as the gateway answers.
    Reject,
    /// Accept and leave the abstract field unchecked (offline validation warns instead).
    Skip,
}

#[derive(Clone, Copy)]
pub struct Options<'a> {
    /// Fill absent fields that have defaults (and required records with their defaults).
    pub fill_defaults: bool,
    /// Write JSON null for every absent schema field, as Kong renders entities.
    pub fill_nulls: bool,
    pub coerce: Coerce<'a>,
    pub unknown_subschema: UnknownSubschema,
    /// Report missing required fields (off for references and partial documents).
    pub check_required: bool,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            fill_defaults: true,
            fill_nulls: false,
            coerce: Coerce::Never,
            unknown_subschema: UnknownSubschema::Reject,
            check_required: true,
        }
    }
}

/// One step of the walker's current path. Field names are borrowed from the schema so that
/// walking a valid entity allocates nothing; a [`Path`] is built only when something is reported.
enum Part {
    Field(&'static str),
    Key(String),
    Index(usize),
}

struct Walker<'a> {
    options: Options<'a>,
    out: Vec<Violation>,
    path: Vec<Part>,
}

impl Walker<'_> {
    fn current_path(&self) -> Path {
        self.path
            .iter()
            .map(|part| match part {
                Part::Field(name) => Seg::Key((*name).to_string()),
                Part::Key(key) => Seg::Key(key.clone()),
                Part::Index(i) => Seg::Index(*i),
            })
            .collect()
    }

    fn report(&mut self, message: impl Into<String>) {
        self.out.push(Violation {
            path: self.current_path(),
            message: message.into(),
            entity_level: false,
            suggestion: None,
        });
    }

    fn coercible(&self) -> bool {
        match self.options.coerce {
            Coerce::Never => false,
            Coerce::Always => true,
            Coerce::Where(select) => select(&self.current_path()),
        }
    }

    /// Processes one record: unknown fields, each field, then the record's checks.
    fn record<'f>(
        &mut self,
        fields: impl Iterator<Item = &'f Field> + Clone,
        checks: &[super::check::EntityCheck],
        record: &mut Map<String, Value>,
    ) {
        // Count the record's keys that name a schema field; only when some key is left over is
        // it worth the quadratic search for which ones are unknown. Count too the fields this
        // walk will add (defaults, nulls).
        let (mut known_keys, mut adding) = (0, 0);
        for f in fields.clone() {
            if record.contains_key(f.name) {
                known_keys += 1;
            } else if self.fills(&f.schema) {
                adding += 1;
            }
        }
        if adding > 0 {
            // Room for them made once, at the size the record will have: added one at a time,
            // they would have the map grow by doubling, and a loaded state or the gateway keeps
            // every entity's map for as long as it lives (a route given its defaults would
            // hold 11 entries in room for 14).
            let mut sized = Map::with_capacity(record.len() + adding);
            sized.extend(std::mem::take(record));
            *record = sized;
        }
        if known_keys < record.len() {
            let unknown: Vec<String> = record
                .keys()
                .filter(|key| !fields.clone().any(|f| f.name == key.as_str()))
                .cloned()
                .collect();
            for key in unknown {
                let suggestion = closest(&key, fields.clone().map(|f| f.name));
                self.path.push(Part::Key(key));
                self.out.push(Violation {
                    path: self.current_path(),
                    message: "unknown field".into(),
                    entity_level: false,
                    suggestion,
                });
                self.path.pop();
            }
        }
        for f in fields {
            self.path.push(Part::Field(f.name));
            self.field(&f.schema, record, f.name);
            self.path.pop();
        }
        for check in checks {
            for (field, message) in check.run(record) {
                let mut path = self.current_path();
                if let Some(field) = field {
                    path.extend(field.split('.').map(|s| Seg::Key(s.to_string())));
                }
                self.out.push(Violation {
                    path,
                    message,
                    entity_level: field.is_none(),
                    suggestion: None,
                });
            }
        }
    }

    /// Whether [`Walker::field`] writes a value for this field when the record lacks it.
    fn fills(&self, schema: &FieldSchema) -> bool {
        self.options.fill_nulls
            || (self.options.fill_defaults
                && (schema.default.is_some() || (schema.ty == Type::Record && schema.required)))
    }

    fn field(&mut self, schema: &FieldSchema, record: &mut Map<String, Value>, name: &str) {
        if let Some(value) = record.get_mut(name).filter(|v| !v.is_null()) {
            return self.value(schema, value);
        }
        {
            if self.options.fill_defaults {
                if let Some(default) = default_of(schema, record) {
                    record.insert(name.to_string(), default);
                } else if schema.ty == Type::Record && schema.required {
                    record.insert(name.to_string(), Value::Object(Map::new()));
                }
            }
            if record.get(name).is_none_or(Value::is_null) {
                if self.options.check_required && schema.required {
                    self.report("required field missing");
                }
                if self.options.fill_nulls {
                    record.insert(name.to_string(), Value::Null);
                }
                return;
            }
        }
        let value = record.get_mut(name).expect("checked above");
        self.value(schema, value);
    }

    fn value(&mut self, schema: &FieldSchema, value: &mut Value) {
        if let Some(normalize) = schema.normalize {
            match normalize(value) {
                Ok(normalized) => *value = normalized,
                Err(message) => return self.report(message),
            }
        }
        if !self.type_ok(schema, value) {
            return;
        }
        self.constraints(schema, value);
        match schema.ty {
            Type::Array | Type::Set => {
                if let Value::Array(items) = value {
                    // A parsed list keeps room for four: give back what its entity never uses.
                    items.shrink_to_fit();
                    if let Some(elements) = &schema.elements {
                        for (i, item) in items.iter_mut().enumerate() {
                            self.path.push(Part::Index(i));
                            self.value(elements, item);
                            self.path.pop();
                        }
                    }
                }
            }
            Type::Map => {
                if let Value::Object(entries) = value {
                    for (key, item) in entries.iter_mut() {
                        self.path.push(Part::Key(key.clone()));
                        if let Some(keys) = &schema.keys {
                            let mut key_value = Value::String(key.clone());
                            self.value(keys, &mut key_value);
                        }
                        if let Some(values) = &schema.values {
                            self.value(values, item);
                        }
                        self.path.pop();
                    }
                }
            }
            Type::Record => {
                if let Value::Object(record) = value {
                    self.record(schema.fields.iter(), &schema.record_checks, record);
                }
            }
            _ => {}
        }
    }

    /// Checks (and where allowed, converts) the JSON type. Returns false if it is wrong.
    fn type_ok(&mut self, schema: &FieldSchema, value: &mut Value) -> bool {
        let mut ok = type_matches(schema.ty, value);
        // Only a mismatched string can be coerced; asking first keeps the common path cheap.
        if !ok && value.is_string() && self.coercible() {
            coerce(schema, value, matches!(self.options.coerce, Coerce::Always));
            ok = type_matches(schema.ty, value);
        }
        if !ok {
            let expected = match schema.ty {
                Type::String => "expected a string",
                Type::Integer => "expected an integer",
                Type::Number => "expected a number",
                Type::Boolean => "expected a boolean",
                Type::Array => "expected an array",
                Type::Set => "expected a set",
                Type::Map => "expected a map",
                Type::Record => "expected a record",
                Type::Foreign => "expected a reference: {\"id\": \"<uuid>\"} or a name",
                Type::Any => unreachable!("any type always matches"),
            };
            self.report(expected);
        }
        ok
    }

    fn constraints(&mut self, schema: &FieldSchema, value: &Value) {
        if !schema.one_of.is_empty() && !schema.one_of.contains(value) {
            return self.report(format!("expected one of: {}", join_values(&schema.one_of)));
        }
        if let Some(n) = value.as_f64() {
            if let Some((min, max)) = schema.between
                && (n < min || n > max)
            {
                return self.report(format!(
                    "value should be between {} and {}",
                    trim_float(min),
                    trim_float(max)
                ));
            }
            if let Some(min) = schema.gt
                && n <= min
            {
                return self.report(format!("value must be greater than {}", trim_float(min)));
            }
        }
        let length = match value {
            Value::String(s) => Some(s.chars().count()),
            Value::Array(a) => Some(a.len()),
            _ => None,
        };
        if let (Some(len), Some(min)) = (length, schema.len_min)
            && len < min
        {
            return self.report(format!("length must be at least {min}"));
        }
        if let (Some(len), Some(max)) = (length, schema.len_max)
            && len > max
        {
            return self.report(format!("length must be at most {max}"));
        }
        if let (Some(prefix), Value::String(s)) = (schema.starts_with, value)
            && !s.starts_with(prefix)
        {
            return self.report(format!("should start with: {prefix}"));
        }
        for (_, check) in &schema.checks {
            if let Err(message) = check(value) {
                return self.report(message);
            }
        }
    }
}

/// Whether `value` has the JSON type `ty`; an integral float becomes an integer on the way.
fn type_matches(ty: Type, value: &mut Value) -> bool {
    match ty {
        Type::String => value.is_string(),
        Type::Integer => {
            if let Some(f) = value
                .as_f64()
                .filter(|f| f.fract() == 0.0 && !value.is_i64())
                && f.abs() < 9.0e15
            {
                *value = Value::Number(Number::from(f as i64));
            }
            value.is_i64() || value.is_u64()
        }
        Type::Number => value.is_number(),
        Type::Boolean => value.is_boolean(),
        Type::Array | Type::Set => value.is_array(),
        Type::Map | Type::Record => value.is_object(),
        Type::Foreign => foreign_ok(value),
        Type::Any => true,
    }
}

fn trim_float(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

fn foreign_ok(value: &Value) -> bool {
    match value {
        Value::String(s) => !s.is_empty(),
        Value::Object(map) => !map.is_empty(),
        _ => false,
    }
}

/// Converts strings to the schema's scalar type when they parse; with `arrays`, a lone scalar
/// becomes a one-element array (form bodies send `paths=/a` for `paths: ["/a"]`).
fn coerce(schema: &FieldSchema, value: &mut Value, arrays: bool) {
    if let Value::String(text) = value {
        let converted = match schema.ty {
            Type::Integer => text.trim().parse::<i64>().ok().map(Value::from),
            Type::Number => text
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map(|n| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                        .map(|f| Value::from(f as i64))
                        .unwrap_or(Value::Number(n))
                }),
            Type::Boolean => match text.trim() {
                "true" => Some(Value::Bool(true)),
                "false" => Some(Value::Bool(false)),
                _ => None,
            },
            Type::Array | Type::Set if arrays => Some(Value::Array(vec![value.clone()])),
            _ => None,
        };
        if let Some(converted) = converted {
            *value = converted;
        }
    }
}

/// The closest of `candidates` to `name`, if it is close enough to be a plausible typo.
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    candidates
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.to_string())
}

/// Kong's message for a plugin it does not have names its `plugins` configuration property;
/// gwctl's gateway has no such property, so it names the plugins it has instead.
fn not_enabled(registry: &Registry, name: &str) -> String {
    let mut names: Vec<&str> = registry.plugins().iter().map(|p| p.name).collect();
    names.sort_unstable();
    format!(
        "plugin '{name}' not enabled; this gateway's plugins are: {}",
        names.join(", ")
    )
}

/// The default of an absent field: its context default when that applies, else its plain one.
fn default_of(schema: &FieldSchema, record: &Map<String, Value>) -> Option<Value> {
    schema
        .default_for
        .and_then(|f| f(record))
        .or_else(|| schema.default.clone())
}

/// Validates a record value against a record schema (used for plugin configs and tests).
pub fn process_record(
    schema: &FieldSchema,
    record: &mut Map<String, Value>,
    options: Options<'_>,
) -> Vec<Violation> {
    let mut walker = Walker {
        options,
        out: Vec::new(),
        path: Vec::new(),
    };
    walker.record(schema.fields.iter(), &schema.record_checks, record);
    walker.out
}

/// Applies a kind's shorthands (e.g. a service's `url`), fills defaults and validates an entity.
///
/// For kinds with a subschema (plugins by `name`), the subschema's fields replace the base
/// fields of the same name, and its checks run too.
pub fn process_entity(
    registry: &Registry,
    kind: &Kind,
    entity: &mut Map<String, Value>,
    options: Options<'_>,
) -> Vec<Violation> {
    let mut out = Vec::new();
    for (name, expand) in &kind.shorthands {
        if let Some(value) = entity.remove(*name)
            && !value.is_null()
            && let Err(message) = expand(&value, entity)
        {
            out.push(Violation {
                path: vec![Seg::Key(name.to_string())],
                message,
                entity_level: false,
                suggestion: None,
            });
        }
    }
    let subschema = match kind.subschema_key {
        Some(key) => match entity.get(key).and_then(Value::as_str) {
            Some(name) => match registry.subschema(kind.name, name) {
                Some(sub) => Some(sub),
                None => {
                    if options.unknown_subschema == UnknownSubschema::Reject {
                        out.push(Violation {
                            path: vec![Seg::Key(key.to_string())],
                            message: not_enabled(registry, name),
                            entity_level: false,
                            suggestion: None,
                        });
                    }
                    None
                }
            },
            None => None,
        },
        None => None,
    };
    let mut walker = Walker {
        options,
        out,
        path: Vec::new(),
    };
    match subschema {
        Some(sub) => {
            let fields = kind.schema.fields.iter().map(|base| {
                sub.fields
                    .iter()
                    .find(|over| over.name == base.name)
                    .unwrap_or(base)
            });
            let mut checks = kind.schema.record_checks.clone();
            checks.extend(sub.checks.iter().cloned());
            walker.record(fields, &checks, entity);
        }
        None => {
            // Unknown subschema in skip mode: leave the abstract field (config) unchecked.
            let skip = kind.subschema_key.and(kind.subschema_field);
            let config = skip.and_then(|f| entity.remove(f));
            walker.record(
                kind.schema.fields.iter(),
                &kind.schema.record_checks,
                entity,
            );
            if let (Some(f), Some(config)) = (skip, config) {
                entity.insert(f.to_string(), config);
                walker
                    .out
                    .retain(|v| v.path.first() != Some(&Seg::Key(f.to_string())));
            }
        }
    }
    walker.out
}

/// Kong's summary message: `schema violation (f: msg)` or `N schema violations (a: x; b.c: y)`.
pub fn kong_message(violations: &[Violation]) -> String {
    let mut parts: Vec<String> = violations
        .iter()
        .map(|v| {
            if v.entity_level && v.path.is_empty() {
                v.message.clone()
            } else {
                format!("{}: {}", dotted(&v.path), v.message)
            }
        })
        .collect();
    parts.sort();
    match parts.len() {
        1 => format!("schema violation ({})", parts[0]),
        n => format!("{n} schema violations ({})", parts.join("; ")),
    }
}

/// Kong's nested `fields` object: errors nest like the entity; record-level ones go under
/// `@entity`.
pub fn kong_fields(violations: &[Violation]) -> Value {
    let mut root = Map::new();
    for v in violations {
        let mut node = &mut root;
        let (last, parents) = match (v.entity_level, v.path.split_last()) {
            (true, _) | (false, None) => (None, &v.path[..]),
            (false, Some((last, parents))) => (Some(last), parents),
        };
        for seg in parents {
            let key = seg_key(seg);
            let entry = node.entry(key).or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            node = entry.as_object_mut().expect("made an object above");
        }
        match last {
            Some(seg) => {
                node.entry(seg_key(seg))
                    .or_insert_with(|| Value::String(v.message.clone()));
            }
            None => {
                let list = node
                    .entry("@entity")
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(items) = list {
                    items.push(Value::String(v.message.clone()));
                }
            }
        }
    }
    Value::Object(root)
}

fn seg_key(seg: &Seg) -> String {
    match seg {
        Seg::Key(k) => k.clone(),
        Seg::Index(i) => (i + 1).to_string(),
    }
}
