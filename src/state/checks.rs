//! Checks across entities (references, duplicates) and the literal-secret lint. They work on
//! any [`State`], so the same rules apply to files and to what a gateway holds.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::index::{RefIndex, ref_key};
use super::model::{Entity, MASK, State};
use super::problem::Severity;
use crate::kinds::schema::{Field, FieldSchema, Type};
use crate::kinds::validate::{Path, Seg, closest, dotted};
use crate::kinds::{Identity, Kind, Registry};

/// A problem with one entity of a state.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub kind: &'static str,
    pub index: usize,
    /// Inside the entity's body.
    pub path: Path,
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    pub help: Option<String>,
    /// For duplicates: the entity first defined with the same key.
    pub first: Option<(&'static str, usize)>,
}

/// How messages name an entity: `service 'openai-service'`, never showing a secret value. An
/// entity whose identity cannot be shown (a certificate's PEM, a secret) is named by its id,
/// else its first SNI, else its place (`certificate at certificates[0]`); `index` is its
/// position among the state's entities of its kind, for entities that came from no file.
pub fn describe(state: &State, kind: &Kind, index: usize) -> String {
    let entity = &state.of_kind(kind.name)[index];
    let body = &entity.body;
    let shown = kind.shown_identity(body).next().map(|s| format!("'{s}'"));
    let event = kind.event_name;
    match (
        kind.subschema_key
            .and_then(|k| body.get(k))
            .and_then(Value::as_str),
        shown,
    ) {
        (Some(name), _) => format!("{event} '{name}'"),
        (None, Some(shown)) => format!("{event} {shown}"),
        (None, None) if kind.identity_fields().is_empty() => event.to_string(),
        (None, None) => {
            let sni = body
                .get("snis")
                .and_then(Value::as_array)
                .and_then(|snis| snis.iter().find_map(Value::as_str))
                .or_else(|| nested_sni(state, kind, entity));
            match (entity.id(), sni) {
                (Some(id), _) => format!("{event} with id {id}"),
                (None, Some(sni)) => format!("{event} for SNI '{sni}'"),
                (None, None) => format!("{event} at {}", place_of(kind, entity, index)),
            }
        }
    }
}

/// The name of the first SNI written nested under this entity (`certificates[0].snis`).
fn nested_sni<'a>(state: &'a State, kind: &Kind, entity: &Entity) -> Option<&'a str> {
    let origin = entity.origin.as_ref()?;
    let child = kind.children.iter().find(|c| c.kind == "snis")?;
    let under = format!("{}/{}/", origin.pointer, child.key);
    state.of_kind("snis").iter().find_map(|sni| {
        let at = sni.origin.as_ref()?;
        (at.file == origin.file && at.pointer.starts_with(&under))
            .then(|| sni.body.get("name")?.as_str())
            .flatten()
    })
}

/// Where an entity was written, `certificates[0]` (from its JSON pointer), or its position
/// in the state.
fn place_of(kind: &Kind, entity: &Entity, index: usize) -> String {
    let Some(origin) = entity.origin.as_ref().filter(|o| !o.pointer.is_empty()) else {
        return format!("{}[{index}]", kind.name);
    };
    let mut out = String::new();
    for seg in origin.pointer.split('/').skip(1) {
        if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg.replace("~1", "/").replace("~0", "~"));
        }
    }
    out
}

fn describe_reference(reference: &Value) -> String {
    match reference.as_object() {
        Some(m) if m.len() == 1 => {
            let (k, v) = m.iter().next().expect("one entry");
            match v {
                Value::String(s) if k == "id" => format!("with id {s}"),
                Value::String(s) => format!("'{s}'"),
                other => other.to_string(),
            }
        }
        _ => reference.to_string(),
    }
}

/// Every foreign field must name an entity that is in the state.
pub fn references(registry: &Registry, state: &State, index: &RefIndex) -> Vec<Finding> {
    let mut out = Vec::new();
    for kind in registry.kinds() {
        let foreign = registry.foreign_fields(kind);
        for (i, entity) in state.of_kind(kind.name).iter().enumerate() {
            for ff in &foreign {
                let Some(reference) = entity.body.get(ff.field).filter(|v| v.is_object()) else {
                    continue;
                };
                if index.resolve(registry, ff.kind, reference).is_some() {
                    continue;
                }
                let target = registry.kind(ff.kind).expect("foreign kinds exist");
                let names = state.of_kind(ff.kind).iter().filter_map(|e| {
                    target
                        .identity_fields()
                        .first()
                        .and_then(|f| e.body.get(*f))
                        .and_then(Value::as_str)
                });
                let wanted = reference
                    .as_object()
                    .and_then(|m| m.values().next())
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let help = closest(wanted, names)
                    .map(|s| format!("did you mean '{s}'?"))
                    .or_else(|| {
                        Some(format!(
                            "define the {} in the state files, or fix the name",
                            target.event_name
                        ))
                    });
                out.push(Finding {
                    kind: kind.name,
                    index: i,
                    path: vec![Seg::Key(ff.field.to_string())],
                    severity: Severity::Error,
                    code: "reference",
                    message: format!(
                        "{} refers to {} {}, which is not in the state files",
                        describe(state, kind, i),
                        target.event_name,
                        describe_reference(reference)
                    ),
                    help,
                    first: None,
                });
            }
        }
    }
    out
}

/// Two entities of a kind with the same id, unique field or natural key.
pub fn duplicates(registry: &Registry, state: &State, index: &RefIndex) -> Vec<Finding> {
    let mut out = Vec::new();
    for kind in registry.kinds() {
        let mut keys: Vec<Vec<&'static str>> = vec![vec!["id"]];
        keys.extend(
            kind.schema
                .fields
                .iter()
                .filter(|f| f.schema.unique)
                .map(|f| vec![f.name]),
        );
        if let Identity::Fields(fields) = &kind.identity {
            keys.push(fields.clone());
        }
        keys.extend(kind.unique_together.iter().cloned());
        keys.sort_by_key(|k| {
            let mut k = k.clone();
            k.sort();
            k
        });
        keys.dedup_by(|a, b| {
            let (mut a, mut b) = (a.clone(), b.clone());
            a.sort();
            b.sort();
            a == b
        });
        for fields in keys {
            let mut seen: HashMap<DupKey<'_>, usize> = HashMap::new();
            for (i, entity) in state.of_kind(kind.name).iter().enumerate() {
                let Some(key) = tuple_key(registry, kind, &entity.body, &fields, index) else {
                    continue;
                };
                if let Some(&first) = seen.get(&key) {
                    let what = if fields.len() == 1 {
                        format!("the same {}", fields[0])
                    } else {
                        format!("the same {}", fields.join(", "))
                    };
                    out.push(Finding {
                        kind: kind.name,
                        index: i,
                        path: if fields.len() == 1 {
                            vec![Seg::Key(fields[0].to_string())]
                        } else {
                            vec![]
                        },
                        severity: Severity::Error,
                        code: "duplicate",
                        message: format!(
                            "duplicate {}: another {} has {what}",
                            describe(state, kind, i),
                            kind.event_name
                        ),
                        help: Some("each entity must be defined once; remove or rename one".into()),
                        first: Some((kind.name, first)),
                    });
                } else {
                    seen.insert(key, i);
                }
            }
        }
    }
    out
}

/// A value compared for duplicates: borrowed for the common case of one string field.
#[derive(Debug, PartialEq, Eq, Hash)]
enum DupKey<'a> {
    Text(&'a str),
    Owned(String),
}

/// The identity of an entity over `fields`, with references resolved so `{"id": x}` and
/// `{"name": "svc"}` naming the same service compare equal. None if a single field is unset.
fn tuple_key<'a>(
    registry: &Registry,
    kind: &Kind,
    body: &'a Map<String, Value>,
    fields: &[&str],
    index: &RefIndex,
) -> Option<DupKey<'a>> {
    if let [field] = fields {
        let value = body.get(*field).filter(|v| !v.is_null())?;
        if kind.schema.field(field).and_then(|s| s.reference).is_none() {
            return Some(match value {
                Value::String(s) => DupKey::Text(s),
                other => DupKey::Owned(other.to_string()),
            });
        }
    }
    let mut out = String::new();
    for f in fields {
        let value = body.get(*f).filter(|v| !v.is_null());
        if fields.len() == 1 {
            value?;
        }
        let part = match (value, kind.schema.field(f).and_then(|s| s.reference)) {
            (None, _) => "null".to_string(),
            (Some(v), Some(target)) => match index.resolve(registry, target, v) {
                Some(i) => format!("#{i}"),
                None => v.as_object().map(ref_key).unwrap_or_else(|| v.to_string()),
            },
            (Some(v), None) => v.to_string(),
        };
        out.push_str(&part);
        out.push('\u{1}');
    }
    Some(DupKey::Owned(out))
}

/// Header names whose values are credentials.
const SECRET_HEADERS: [&str; 4] = [
    "authorization",
    "x-api-key",
    "apikey",
    "proxy-authorization",
];

fn is_secret_header(name: &str) -> bool {
    // Runs on every key of every entity: compare lengths before bytes.
    (6..=19).contains(&name.len()) && SECRET_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// A value that names where a secret lives rather than being one (Kong vault references).
fn is_reference(text: &str) -> bool {
    text.trim().is_empty() || text.contains("{vault://")
}

/// Secrets written in the file instead of taken from the environment: fields the schema marks
/// secret, and values of credential headers (`Authorization`, `x-api-key`, `apikey`).
pub fn literal_secrets(registry: &Registry, state: &State) -> Vec<Finding> {
    let mut out = Vec::new();
    // Where each kind (and each plugin's config) keeps secret fields, worked out once.
    let mut spots_by_schema: HashMap<(&str, Option<&str>), Vec<Spot>> = HashMap::new();
    for kind in registry.kinds() {
        for (i, entity) in state.of_kind(kind.name).iter().enumerate() {
            let mut paths = Vec::new();
            let sub = kind
                .subschema_key
                .and_then(|k| entity.body.get(k))
                .and_then(Value::as_str);
            let spots = spots_by_schema.entry((kind.name, sub)).or_insert_with(|| {
                let mut spots = Vec::new();
                let fields = registry.effective_fields(kind, &entity.body);
                secret_spots(fields.iter().copied(), &mut Vec::new(), &mut spots);
                spots
            });
            for spot in spots.iter() {
                find_spot(&entity.body, spot, &mut Vec::new(), &mut paths);
            }
            header_secrets_in(&entity.body, &mut Vec::new(), &mut paths);
            paths.sort();
            paths.dedup();
            for path in paths {
                if entity.secret_paths.iter().any(|s| path.starts_with(s)) {
                    continue;
                }
                if is_mask_placeholder(&entity.body, &path) {
                    out.push(Finding {
                        kind: kind.name,
                        index: i,
                        severity: Severity::Error,
                        code: "masked",
                        message: format!(
                            "{} of {} is \"{MASK}\": a placeholder left by render/dump masking, not a secret; syncing it would send the placeholder as the value",
                            dotted(&path),
                            describe(state, kind, i)
                        ),
                        help: Some(
                            "use an environment variable: write $NAME (or ${NAME}) here and set NAME to the real value".into(),
                        ),
                        path,
                        first: None,
                    });
                    continue;
                }
                out.push(Finding {
                    kind: kind.name,
                    index: i,
                    severity: Severity::Warning,
                    code: "secret",
                    message: format!(
                        "literal secret in {} of {}: secrets belong in the environment, not in the file",
                        dotted(&path),
                        describe(state, kind, i)
                    ),
                    help: Some(
                        "write it as $NAME or ${NAME} (e.g. \"Bearer $OPENAI_API_KEY\") and set NAME in the environment".into(),
                    ),
                    path,
                    first: None,
                });
            }
        }
    }
    out
}

/// Whether the secret at `path` is render's and dump's `[masked]` placeholder (in a header
/// list, `Authorization: [masked]`): a file written from masked output, about to send the
/// placeholder as the secret.
fn is_mask_placeholder(body: &Map<String, Value>, path: &[Seg]) -> bool {
    let mut value = None;
    for seg in path {
        value = match (seg, value) {
            (Seg::Key(k), None) => body.get(k),
            (Seg::Key(k), Some(v)) => v.get(k),
            (Seg::Index(i), Some(v)) => v.get(*i),
            (Seg::Index(_), None) => None,
        };
        if value.is_none() {
            return false;
        }
    }
    let Some(Value::String(text)) = value else {
        return false;
    };
    let text = text.trim();
    text == MASK
        || text
            .split_once(':')
            .is_some_and(|(name, rest)| is_secret_header(name.trim()) && rest.trim() == MASK)
}

/// A path being walked, borrowing keys from the value (owned only when a secret is found).
#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn owned(trail: &[Step<'_>]) -> Path {
    trail
        .iter()
        .map(|s| match s {
            Step::Key(k) => Seg::Key(k.to_string()),
            Step::Index(i) => Seg::Index(*i),
        })
        .collect()
}

/// A path of field names to a secret field; `None` steps into every item of an array.
type Spot = Vec<Option<&'static str>>;

fn secret_spots<'a>(
    fields: impl Iterator<Item = &'a Field>,
    prefix: &mut Spot,
    out: &mut Vec<Spot>,
) {
    for field in fields {
        prefix.push(Some(field.name));
        schema_spots(&field.schema, prefix, out);
        prefix.pop();
    }
}

fn schema_spots(schema: &FieldSchema, prefix: &mut Spot, out: &mut Vec<Spot>) {
    if schema.secret {
        out.push(prefix.clone());
    }
    match schema.ty {
        Type::Record => secret_spots(schema.fields.iter(), prefix, out),
        Type::Array | Type::Set => {
            if let Some(elements) = &schema.elements {
                prefix.push(None);
                schema_spots(elements, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

/// The literal (non-reference) strings at a spot inside a body.
fn find_spot<'a>(
    map: &'a Map<String, Value>,
    spot: &[Option<&'static str>],
    trail: &mut Vec<Step<'a>>,
    out: &mut Vec<Path>,
) {
    let Some((Some(name), rest)) = spot.split_first() else {
        return;
    };
    let Some((key, value)) = map.get_key_value(*name) else {
        return;
    };
    trail.push(Step::Key(key));
    find_in_value(value, rest, trail, out);
    trail.pop();
}

fn find_in_value<'a>(
    value: &'a Value,
    spot: &[Option<&'static str>],
    trail: &mut Vec<Step<'a>>,
    out: &mut Vec<Path>,
) {
    match (spot.first(), value) {
        (None, Value::String(s)) if !is_reference(s) => out.push(owned(trail)),
        (Some(Some(_)), Value::Object(map)) => find_spot(map, spot, trail, out),
        (Some(None), Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                trail.push(Step::Index(i));
                find_in_value(item, &spot[1..], trail, out);
                trail.pop();
            }
        }
        _ => {}
    }
}

fn header_secrets<'a>(value: &'a Value, trail: &mut Vec<Step<'a>>, out: &mut Vec<Path>) {
    match value {
        Value::Object(map) => header_secrets_in(map, trail, out),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                trail.push(Step::Index(i));
                match item {
                    // `Authorization: Bearer sk-…` in a header list (request-transformer style).
                    Value::String(s) => {
                        if let Some((name, rest)) = s.split_once(':')
                            && is_secret_header(name.trim())
                            && !is_reference(rest)
                        {
                            out.push(owned(trail));
                        }
                    }
                    other => header_secrets(other, trail, out),
                }
                trail.pop();
            }
        }
        _ => {}
    }
}

fn header_secrets_in<'a>(
    map: &'a Map<String, Value>,
    trail: &mut Vec<Step<'a>>,
    out: &mut Vec<Path>,
) {
    let named = map
        .get("header_name")
        .and_then(Value::as_str)
        .is_some_and(is_secret_header);
    let literal = |v: &Value| v.as_str().is_some_and(|s| !is_reference(s));
    for (key, item) in map {
        trail.push(Step::Key(key));
        let secret_key = is_secret_header(key);
        if (secret_key || (named && key == "header_value")) && literal(item) {
            out.push(owned(trail));
        } else if secret_key && let Value::Array(items) = item {
            for (i, v) in items.iter().enumerate() {
                if literal(v) {
                    trail.push(Step::Index(i));
                    out.push(owned(trail));
                    trail.pop();
                }
            }
        } else {
            header_secrets(item, trail, out);
        }
        trail.pop();
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::kinds::registry;

    /// A gateway's certificates (no file behind them) list their SNIs in `snis`.
    #[test]
    fn certificates_are_described_by_id_sni_or_position_never_pem() {
        let kind = registry().kind("certificates").unwrap();
        let pem = "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n";
        let mut state = State::default();
        for body in [
            json!({"cert": pem}),
            json!({"cert": pem, "snis": ["a.example.com", "b.example.com"]}),
            json!({"cert": pem, "id": "6f0b6d4e-0f1b-4b7e-9a53-7f3c2b0e9d11", "snis": ["c"]}),
        ] {
            state.push(
                "certificates",
                Entity::new(body.as_object().unwrap().clone()),
            );
        }
        let described: Vec<String> = (0..3).map(|i| describe(&state, kind, i)).collect();
        assert_eq!(
            described,
            [
                "certificate at certificates[0]",
                "certificate for SNI 'a.example.com'",
                "certificate with id 6f0b6d4e-0f1b-4b7e-9a53-7f3c2b0e9d11",
            ]
        );
        let services = registry().kind("services").unwrap();
        state.push(
            "services",
            Entity::new(json!({"name": "s"}).as_object().unwrap().clone()),
        );
        assert_eq!(describe(&state, services, 0), "service 's'");
    }
}
