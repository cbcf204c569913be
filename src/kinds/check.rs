//! Checks that span several fields of one record (Kong's `entity_checks`).

use serde_json::{Map, Value};

/// A condition on one field's value, used by conditional checks.
#[derive(Debug, Clone)]
pub enum Condition {
    /// The field must be present and not null.
    Required,
    /// The field must be absent or null.
    Null,
    /// The field's value must be one of these.
    OneOf(Vec<Value>),
}

/// A custom multi-field rule: returns Kong-style messages keyed by the dotted field they concern
/// (`None` for an entity-level message).
pub type RecordRule = fn(&Map<String, Value>) -> Vec<(Option<&'static str>, String)>;

/// One multi-field rule. Field names are dotted paths relative to the record it is attached to.
#[derive(Debug, Clone)]
pub enum EntityCheck {
    /// At least one of these must be non-null.
    AtLeastOneOf(Vec<&'static str>),
    /// Exactly one of these must be non-null.
    OnlyOneOf(Vec<&'static str>),
    /// All or none of these must be set.
    MutuallyRequired(Vec<&'static str>),
    /// At most one of these may be set.
    MutuallyExclusive(Vec<&'static str>),
    /// When `if_field` matches `if_value`, `then_field` must satisfy `then`.
    Conditional {
        if_field: &'static str,
        if_value: Condition,
        then_field: &'static str,
        then: Condition,
    },
    /// A rule that data alone cannot express; `fields` names what it reads (for `/schemas`).
    Custom {
        name: &'static str,
        fields: Vec<&'static str>,
        rule: RecordRule,
    },
}

/// Reads a dotted path inside a record; absent and JSON null are both `None`.
pub fn lookup<'a>(record: &'a Map<String, Value>, dotted: &str) -> Option<&'a Value> {
    let mut segments = dotted.split('.');
    let first = segments.next()?;
    let mut current = record.get(first)?;
    for segment in segments {
        current = current.as_object()?.get(segment)?;
    }
    (!current.is_null()).then_some(current)
}

/// Whether a value counts as set for `at_least_one_of` and friends (Kong treats empty arrays
/// and empty strings as unset there).
pub fn is_set(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Array(items)) => !items.is_empty(),
        Some(Value::String(text)) => !text.is_empty(),
        Some(Value::Object(map)) => !map.is_empty(),
        Some(_) => true,
    }
}

impl Condition {
    pub fn holds(&self, value: Option<&Value>) -> bool {
        match self {
            Condition::Required => value.is_some(),
            Condition::Null => value.is_none(),
            Condition::OneOf(options) => value.is_some_and(|v| options.contains(v)),
        }
    }

    fn describe(&self) -> String {
        match self {
            Condition::Required => "required field missing".to_string(),
            Condition::Null => "value must be null".to_string(),
            Condition::OneOf(options) => format!("expected one of: {}", join_values(options)),
        }
    }
}

pub fn join_values(values: &[Value]) -> String {
    values
        .iter()
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn quoted(fields: &[&str]) -> String {
    fields
        .iter()
        .map(|f| format!("'{f}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl EntityCheck {
    /// Runs the check; each failure is `(field it belongs to, message)`, `None` = entity level.
    pub fn run(&self, record: &Map<String, Value>) -> Vec<(Option<&'static str>, String)> {
        match self {
            EntityCheck::AtLeastOneOf(fields) => {
                if fields.iter().any(|f| is_set(lookup(record, f))) {
                    vec![]
                } else {
                    vec![(
                        None,
                        format!(
                            "at least one of these fields must be non-empty: {}",
                            quoted(fields)
                        ),
                    )]
                }
            }
            EntityCheck::OnlyOneOf(fields) => {
                let count = fields.iter().filter(|f| is_set(lookup(record, f))).count();
                if count == 1 {
                    vec![]
                } else {
                    vec![(
                        None,
                        format!(
                            "exactly one of these fields must be non-empty: {}",
                            quoted(fields)
                        ),
                    )]
                }
            }
            EntityCheck::MutuallyRequired(fields) => {
                let count = fields
                    .iter()
                    .filter(|f| lookup(record, f).is_some())
                    .count();
                if count == 0 || count == fields.len() {
                    vec![]
                } else {
                    vec![(
                        None,
                        format!(
                            "all or none of these fields must be set: {}",
                            quoted(fields)
                        ),
                    )]
                }
            }
            EntityCheck::MutuallyExclusive(fields) => {
                let count = fields.iter().filter(|f| is_set(lookup(record, f))).count();
                if count <= 1 {
                    vec![]
                } else {
                    vec![(
                        None,
                        format!(
                            "only one or none of these fields must be set: {}",
                            quoted(fields)
                        ),
                    )]
                }
            }
            EntityCheck::Conditional {
                if_field,
                if_value,
                then_field,
                then,
            } => {
                if if_value.holds(lookup(record, if_field))
                    && !then.holds(lookup(record, then_field))
                {
                    vec![(Some(*then_field), then.describe())]
                } else {
                    vec![]
                }
            }
            EntityCheck::Custom { rule, .. } => rule(record),
        }
    }
}
