//! One parsed state file: its header (`_format_version`, `_info`) and its entities, nested or
//! flat, collected into one list where every nested child carries a reference to its parent.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::convert::{Substitution, substitute};
use super::envsubst::Lookup;
use super::problem::Problem;
use crate::kinds::validate::{Path, Seg, closest};
use crate::kinds::{Identity, Kind, Registry};

/// An entity as written (env vars substituted), before defaults and checks.
#[derive(Debug)]
pub struct RawEntity {
    pub kind: &'static Kind,
    pub body: Map<String, Value>,
    /// Index of the file in the loader's list.
    pub file: usize,
    /// Path of the entity inside its file.
    pub path: Path,
    pub secret_paths: Vec<Path>,
    pub whole_paths: Vec<Path>,
    /// Paths whose env substitution failed (already reported; not checked again).
    pub failed_paths: Vec<Path>,
}

/// What a file's `_info` says.
#[derive(Debug, Default)]
pub struct Info {
    pub select_tags: Option<Vec<String>>,
    /// `_info.defaults` by kind event name (`service`, `route`, `upstream`, `target`).
    pub defaults: Map<String, Value>,
}

/// Keys of `_info.defaults` and the fields each may not set.
const DEFAULTS: [(&str, &[&str]); 4] = [
    ("service", &["id", "name"]),
    ("route", &["id", "name"]),
    ("upstream", &["id", "name"]),
    ("target", &["id", "target"]),
];

/// Top-level keys that are not entities.
const META_KEYS: [&str; 7] = [
    "_format_version",
    "_info",
    "_transform",
    "_workspace",
    "_konnect",
    "_plugin_configs",
    "_comment",
];

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn did_you_mean(suggestion: Option<String>) -> Option<String> {
    suggestion.map(|s| format!("did you mean '{s}'?"))
}

pub struct Reader<'a> {
    pub registry: &'static Registry,
    pub env: &'a dyn Lookup,
    pub file: &'a Arc<str>,
    pub file_index: usize,
    pub problems: &'a mut Vec<Problem>,
    pub secret_values: &'a mut Vec<String>,
    pub entities: &'a mut Vec<RawEntity>,
}

impl Reader<'_> {
    /// A problem with the file's format (`_format_version`, `_transform`, …).
    fn error(&mut self, path: &[Seg], on_key: bool, message: String, help: Option<String>) {
        self.push("format", path, on_key, message, help);
    }

    /// A value that does not fit the state file's schema.
    fn schema_error(&mut self, path: &[Seg], on_key: bool, message: String, help: Option<String>) {
        self.push("schema", path, on_key, message, help);
    }

    fn push(
        &mut self,
        code: &'static str,
        path: &[Seg],
        on_key: bool,
        message: String,
        help: Option<String>,
    ) {
        let mut p = Problem::error(code, message)
            .in_file(self.file)
            .anchored(path, on_key);
        p.help = help;
        self.problems.push(p);
    }

    /// Substitutes env vars in `value` (a node at `base`), reporting unset variables.
    fn substitute(&mut self, value: &mut Value, base: &[Seg], skip: &[&str]) -> Substitution {
        let mut out = Substitution::default();
        substitute(value, self.env, skip, &mut out);
        for e in out.errors.drain(..) {
            out.failed_paths.push(e.path.clone());
            let mut path = base.to_vec();
            path.extend(e.path);
            let mut p = Problem::error("env", e.message)
                .in_file(self.file)
                .anchored(&path, false)
                .help(e.help)
                .label("referenced here");
            if let Some(anchor) = &mut p.anchor {
                anchor.within = Some(e.within);
            }
            self.problems.push(p);
        }
        self.secret_values.append(&mut out.secret_values);
        out
    }

    /// Reads one file's root value. Returns its `_info`.
    pub fn read(&mut self, root: Value) -> Info {
        let mut info = Info::default();
        let Value::Object(entries) = root else {
            self.error(
                &[],
                false,
                format!(
                    "a state file is a mapping of keys, found {}",
                    type_name(&root)
                ),
                Some("start the file with `_format_version: \"3.0\"`".into()),
            );
            return info;
        };
        self.format_version(&entries);
        for (key, value) in entries {
            let path = vec![Seg::Key(key.clone())];
            match key.as_str() {
                "_format_version" | "_comment" => {}
                "_info" => info = self.info(value, &path),
                "_transform" => {
                    if value != Value::Bool(true) {
                        self.error(
                            &path,
                            false,
                            "_transform: false is not supported".into(),
                            None,
                        );
                    }
                }
                "_workspace" | "_konnect" => self.problems.push(
                    Problem::warning(
                        "format",
                        format!("{key} is ignored: gwctl manages one gateway without workspaces"),
                    )
                    .in_file(self.file)
                    .anchored(&path, true),
                ),
                "_plugin_configs" => self.error(
                    &path,
                    true,
                    "_plugin_configs is not supported yet".into(),
                    Some("write each plugin's config in full".into()),
                ),
                name => match self.registry.kind_by_file_key(name) {
                    Some(kind) => self.collection(kind, value, path, None),
                    None => {
                        let known = self
                            .registry
                            .kinds()
                            .iter()
                            .filter_map(|k| k.file_key)
                            .chain(META_KEYS);
                        let help = did_you_mean(closest(name, known));
                        self.schema_error(
                            &path,
                            true,
                            format!("unknown top-level key '{name}'"),
                            help,
                        );
                    }
                },
            }
        }
        info
    }

    fn format_version(&mut self, root: &Map<String, Value>) {
        let help = "gwctl reads decK's 3.0 format: put `_format_version: \"3.0\"` at the top";
        let Some(node) = root.get("_format_version") else {
            self.error(
                &[],
                false,
                "missing _format_version".into(),
                Some(help.into()),
            );
            return;
        };
        let path = [Seg::Key("_format_version".into())];
        let version = match node {
            Value::String(s) => s.clone(),
            Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => {
                format!("{:.1}", n.as_f64().unwrap_or_default())
            }
            other => other.to_string(),
        };
        match version.as_str() {
            "3.0" => {}
            "1.1" | "1.0" => self.error(
                &path,
                false,
                format!("_format_version \"{version}\" is the Kong 2.x format"),
                Some("convert it with `deck file convert --from kong-gateway-2.x --to kong-gateway-3.x` (regex paths gain a `~` prefix), then set `_format_version: \"3.0\"`".into()),
            ),
            other => self.error(
                &path,
                false,
                format!("unsupported _format_version \"{other}\""),
                Some(help.into()),
            ),
        }
    }

    fn info(&mut self, mut value: Value, path: &[Seg]) -> Info {
        let mut info = Info::default();
        self.substitute(&mut value, path, &[]);
        let Value::Object(map) = value else {
            self.schema_error(path, false, "_info must be a mapping".into(), None);
            return info;
        };
        for (key, value) in map {
            let mut sub = path.to_vec();
            sub.push(Seg::Key(key.clone()));
            match key.as_str() {
                "select_tags" => match serde_json::from_value::<Vec<String>>(value) {
                    Ok(tags) => info.select_tags = Some(tags),
                    Err(_) => self.schema_error(
                        &sub,
                        false,
                        "_info.select_tags must be a list of strings".into(),
                        None,
                    ),
                },
                "defaults" => self.defaults(value, &sub, &mut info),
                "default_lookup_tags" => self.schema_error(
                    &sub,
                    true,
                    "_info.default_lookup_tags is not supported for offline validation".into(),
                    None,
                ),
                other => {
                    let known = ["select_tags", "defaults", "default_lookup_tags"];
                    let help = did_you_mean(closest(other, known.into_iter()));
                    self.schema_error(&sub, true, format!("unknown field '_info.{other}'"), help);
                }
            }
        }
        info
    }

    fn defaults(&mut self, value: Value, path: &[Seg], info: &mut Info) {
        let Value::Object(map) = value else {
            self.schema_error(path, false, "_info.defaults must be a mapping".into(), None);
            return;
        };
        for (key, value) in map {
            let mut sub = path.to_vec();
            sub.push(Seg::Key(key.clone()));
            let Some((_, restricted)) = DEFAULTS.iter().find(|(k, _)| *k == key) else {
                let help = did_you_mean(closest(&key, DEFAULTS.iter().map(|(k, _)| *k)));
                self.schema_error(
                    &sub,
                    true,
                    format!("unknown field '_info.defaults.{key}'"),
                    help,
                );
                continue;
            };
            let Value::Object(fields) = value else {
                self.schema_error(
                    &sub,
                    false,
                    format!("_info.defaults.{key} must be a mapping"),
                    None,
                );
                continue;
            };
            for field in restricted.iter().filter(|f| fields.contains_key(**f)) {
                let mut at = sub.clone();
                at.push(Seg::Key(field.to_string()));
                self.schema_error(
                    &at,
                    true,
                    format!("_info.defaults.{key} may not set '{field}'"),
                    Some(
                        "defaults apply to many entities; identity fields cannot be shared".into(),
                    ),
                );
            }
            info.defaults.insert(key, Value::Object(fields));
        }
    }

    /// A list of entities of one kind, at the top level or nested under a parent.
    fn collection(
        &mut self,
        kind: &'static Kind,
        value: Value,
        path: Path,
        parent: Option<(&'static str, &Value)>,
    ) {
        let items = match value {
            Value::Array(items) => items,
            Value::Null => return,
            other => {
                let message = format!("{} must be a list, found {}", kind.name, type_name(&other));
                self.schema_error(&path, false, message, None);
                return;
            }
        };
        for (i, item) in items.into_iter().enumerate() {
            let mut item_path = path.clone();
            item_path.push(Seg::Index(i));
            self.entity(kind, item, item_path, parent);
        }
    }

    fn entity(
        &mut self,
        kind: &'static Kind,
        mut value: Value,
        path: Path,
        parent: Option<(&'static str, &Value)>,
    ) {
        if !value.is_object() {
            let message = format!(
                "expected a mapping for an entity of {}, found {}",
                kind.name,
                type_name(&value)
            );
            self.schema_error(&path, false, message, None);
            return;
        }
        let child_keys: Vec<&str> = kind.children.iter().map(|c| c.key).collect();
        let substitution = self.substitute(&mut value, &path, &child_keys);
        let Value::Object(mut body) = value else {
            unreachable!("checked above")
        };
        let children: Vec<(&'static str, &'static str, &'static str, Value)> = kind
            .children
            .iter()
            .filter_map(|c| {
                body.shift_remove(c.key)
                    .map(|v| (c.key, c.kind, c.foreign_field, v))
            })
            .collect();
        if let Some((field, reference)) = parent {
            if body.get(field).is_some_and(|v| !v.is_null()) {
                let mut at = path.clone();
                at.push(Seg::Key(field.to_string()));
                self.schema_error(
                    &at,
                    true,
                    format!("'{field}' is set on an entity nested under its {field}"),
                    Some(format!("remove '{field}' here: nesting already sets it")),
                );
            }
            body.insert(field.to_string(), reference.clone());
        }
        if !children.is_empty()
            && !body.contains_key("id")
            && parent_reference(kind, &body).is_none()
        {
            // A parent known by neither id nor natural key: give it an id so children can
            // point at it (decK does the same).
            body.insert("id".into(), Value::String(uuid::Uuid::new_v4().to_string()));
        }
        let reference = parent_reference(kind, &body);
        self.entities.push(RawEntity {
            kind,
            body,
            file: self.file_index,
            path: path.clone(),
            secret_paths: substitution.secret_paths,
            whole_paths: substitution.whole_paths,
            failed_paths: substitution.failed_paths,
        });
        let Some(reference) = reference else {
            return;
        };
        for (key, child_kind, field, child) in children {
            let Some(child_kind) = self.registry.kind(child_kind) else {
                continue;
            };
            let mut child_path = path.clone();
            child_path.push(Seg::Key(key.to_string()));
            self.collection(child_kind, child, child_path, Some((field, &reference)));
        }
    }
}

/// How children refer to an entity: `{"id": …}` when it has a UUID id, else its natural key.
pub fn parent_reference(kind: &Kind, body: &Map<String, Value>) -> Option<Value> {
    if let Some(id) = body.get("id").and_then(Value::as_str)
        && uuid::Uuid::parse_str(id).is_ok()
    {
        return Some(serde_json::json!({ "id": id }));
    }
    let set = |f: &str| body.get(f).is_some_and(|v| !v.is_null());
    match &kind.identity {
        Identity::FirstOf(fields) => fields.iter().find(|f| set(f)).map(|f| {
            let mut m = Map::new();
            m.insert(f.to_string(), body[*f].clone());
            Value::Object(m)
        }),
        Identity::Fields(fields) if fields.iter().all(|f| set(f)) => {
            let m = fields
                .iter()
                .map(|f| (f.to_string(), body[*f].clone()))
                .collect();
            Some(Value::Object(m))
        }
        _ => None,
    }
}
