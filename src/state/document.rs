//! One parsed state file: its header (`_format_version`, `_info`) and its entities, nested or
//! flat, collected into one list where every nested child carries a reference to its parent.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::convert::{Converted, Converter};
use super::envsubst::Lookup;
use super::locate::{place, place_at};
use super::problem::Problem;
use super::yaml::{Node, Tree};
use crate::kinds::validate::{Path, Seg, closest, pointer};
use crate::kinds::{Identity, Kind, Registry};

/// An entity as written, before defaults and checks.
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
    /// The foreign field filled in from nesting, if any.
    pub nested_under: Option<&'static str>,
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
    fn error_at(
        &mut self,
        node: &Node,
        path: &[Seg],
        code: &'static str,
        message: String,
    ) -> &mut Problem {
        self.problems.push(
            Problem::error(code, message)
                .in_file(self.file)
                .at(place(node.referenced))
                .pointer(pointer(path)),
        );
        self.problems.last_mut().expect("just pushed")
    }

    fn convert(&mut self, node: &Node, base: &[Seg], skip: &[&str]) -> (Value, Converted) {
        let converter = Converter {
            env: self.env,
            file: self.file,
            base,
        };
        let mut out = Converted::default();
        let value = converter.convert(node, skip, &mut out);
        self.problems.append(&mut out.problems);
        self.secret_values.extend(out.secret_values.iter().cloned());
        (value, out)
    }

    /// Reads one file's root node. Returns its `_info`.
    pub fn read(&mut self, root: &Node) -> Info {
        let mut info = Info::default();
        let Tree::Map(entries) = &root.value else {
            self.error_at(
                root,
                &[],
                "format",
                format!(
                    "a state file is a mapping of keys, found {}",
                    root.value.type_name()
                ),
            )
            .help = Some("start the file with `_format_version: \"3.0\"`".into());
            return info;
        };
        self.format_version(root);
        for (key, value) in entries {
            let path = vec![Seg::Key(key.value.clone())];
            match key.value.as_str() {
                "_format_version" | "_comment" => {}
                "_info" => info = self.info(value, &path),
                "_transform" => {
                    if value.value != Tree::Bool(true) {
                        self.error_at(
                            value,
                            &path,
                            "format",
                            "_transform: false is not supported".into(),
                        );
                    }
                }
                "_workspace" | "_konnect" => {
                    let p = Problem::warning(
                        "format",
                        format!(
                            "{} is ignored: gwctl manages one gateway without workspaces",
                            key.value
                        ),
                    )
                    .in_file(self.file)
                    .at(place(key.referenced))
                    .pointer(pointer(&path));
                    self.problems.push(p);
                }
                "_plugin_configs" => {
                    self.error_at(
                        value,
                        &path,
                        "format",
                        "_plugin_configs is not supported yet: write each plugin's config in full"
                            .into(),
                    );
                }
                name => match self.registry.kind_by_file_key(name) {
                    Some(kind) => self.collection(kind, value, path, None),
                    None => {
                        let known = self
                            .registry
                            .kinds()
                            .iter()
                            .filter_map(|k| k.file_key)
                            .chain(META_KEYS);
                        let suggestion = closest(name, known);
                        let p = Problem::error("schema", format!("unknown top-level key '{name}'"))
                            .in_file(self.file)
                            .at(place(key.referenced))
                            .pointer(pointer(&path))
                            .label("unknown key");
                        self.problems.push(match suggestion {
                            Some(s) => p.help(format!("did you mean '{s}'?")),
                            None => p,
                        });
                    }
                },
            }
        }
        info
    }

    fn format_version(&mut self, root: &Node) {
        let help = "gwctl reads decK's 3.0 format: add `_format_version: \"3.0\"` at the top";
        let Some(node) = root.value.get("_format_version") else {
            self.error_at(root, &[], "format", "missing _format_version".into())
                .help = Some(help.into());
            return;
        };
        let path = [Seg::Key("_format_version".into())];
        let version = match &node.value {
            Tree::String(s) => s.clone(),
            Tree::Float(f) => format!("{f:.1}"),
            Tree::Int(i) => i.to_string(),
            other => other.type_name().to_string(),
        };
        match version.as_str() {
            "3.0" => {}
            "1.1" | "1.0" => {
                self.error_at(node, &path, "format", format!("_format_version \"{version}\" is the Kong 2.x format")).help = Some(
                    "convert it with `deck file convert --from kong-gateway-2.x --to kong-gateway-3.x` (regex paths gain a `~` prefix), then set `_format_version: \"3.0\"`".into(),
                );
            }
            other => {
                self.error_at(
                    node,
                    &path,
                    "format",
                    format!("unsupported _format_version \"{other}\""),
                )
                .help = Some(help.into());
            }
        }
    }

    fn info(&mut self, node: &Node, path: &[Seg]) -> Info {
        let mut info = Info::default();
        let (value, _) = self.convert(node, path, &[]);
        let Value::Object(map) = value else {
            self.error_at(node, path, "schema", "_info must be a mapping".into());
            return info;
        };
        for (key, value) in map {
            let mut sub = path.to_vec();
            sub.push(Seg::Key(key.clone()));
            let at = super::locate::find(node, &sub[path.len()..]).node;
            match key.as_str() {
                "select_tags" => match serde_json::from_value::<Vec<String>>(value) {
                    Ok(tags) => info.select_tags = Some(tags),
                    Err(_) => {
                        self.error_at(
                            at,
                            &sub,
                            "schema",
                            "_info.select_tags must be a list of strings".into(),
                        );
                    }
                },
                "defaults" => self.defaults(node, value, &sub, &mut info),
                "default_lookup_tags" => {
                    self.error_at(
                        at,
                        &sub,
                        "schema",
                        "_info.default_lookup_tags is not supported for offline validation".into(),
                    );
                }
                other => {
                    let known = ["select_tags", "defaults", "default_lookup_tags"];
                    let message = format!("unknown field '_info.{other}'");
                    let suggestion = closest(other, known.into_iter());
                    let p = self.error_at(at, &sub, "schema", message);
                    p.help = suggestion.map(|s| format!("did you mean '{s}'?"));
                }
            }
        }
        info
    }

    fn defaults(&mut self, info_node: &Node, value: Value, path: &[Seg], info: &mut Info) {
        let at = |sub: &[Seg]| super::locate::find(info_node, &sub[path.len() - 1..]).node;
        let Value::Object(map) = value else {
            let node = at(path);
            self.error_at(
                node,
                path,
                "schema",
                "_info.defaults must be a mapping".into(),
            );
            return;
        };
        for (key, value) in map {
            let mut sub = path.to_vec();
            sub.push(Seg::Key(key.clone()));
            let node = at(&sub);
            let Some((_, restricted)) = DEFAULTS.iter().find(|(k, _)| *k == key) else {
                let suggestion = closest(&key, DEFAULTS.iter().map(|(k, _)| *k));
                let p = self.error_at(
                    node,
                    &sub,
                    "schema",
                    format!("unknown field '_info.defaults.{key}'"),
                );
                p.help = suggestion.map(|s| format!("did you mean '{s}'?"));
                continue;
            };
            let Value::Object(fields) = value else {
                self.error_at(
                    node,
                    &sub,
                    "schema",
                    format!("_info.defaults.{key} must be a mapping"),
                );
                continue;
            };
            for field in restricted.iter().filter(|f| fields.contains_key(**f)) {
                self.error_at(
                    node,
                    &sub,
                    "schema",
                    format!("_info.defaults.{key} may not set '{field}'"),
                );
            }
            info.defaults.insert(key, Value::Object(fields));
        }
    }

    /// A list of entities of one kind, at the top level or nested under a parent.
    fn collection(
        &mut self,
        kind: &'static Kind,
        node: &Node,
        path: Path,
        parent: Option<(&'static str, Value)>,
    ) {
        let Tree::Seq(items) = &node.value else {
            if node.value == Tree::Null {
                return;
            }
            self.error_at(
                node,
                &path,
                "schema",
                format!(
                    "{} must be a list, found {}",
                    kind.name,
                    node.value.type_name()
                ),
            );
            return;
        };
        for (i, item) in items.iter().enumerate() {
            let mut item_path = path.clone();
            item_path.push(Seg::Index(i));
            self.entity(kind, item, item_path, parent.clone());
        }
    }

    fn entity(
        &mut self,
        kind: &'static Kind,
        node: &Node,
        path: Path,
        parent: Option<(&'static str, Value)>,
    ) {
        if !matches!(node.value, Tree::Map(_)) {
            self.error_at(
                node,
                &path,
                "schema",
                format!(
                    "expected a mapping for an entity of {}, found {}",
                    kind.name,
                    node.value.type_name()
                ),
            );
            return;
        }
        let child_keys: Vec<&str> = kind.children.iter().map(|c| c.key).collect();
        let (value, converted) = self.convert(node, &path, &child_keys);
        let Value::Object(mut body) = value else {
            unreachable!("a mapping converts to an object")
        };
        let nested_under = match parent {
            Some((field, reference)) => {
                if body.get(field).is_some_and(|v| !v.is_null()) {
                    let mut at = path.clone();
                    at.push(Seg::Key(field.to_string()));
                    let here = place_at(node, &at[path.len()..], true);
                    self.problems.push(
                        Problem::error(
                            "schema",
                            format!("'{field}' is set on an entity nested under its {field}"),
                        )
                        .in_file(self.file)
                        .at(here)
                        .pointer(pointer(&at))
                        .help(format!("remove '{field}' here: nesting already sets it")),
                    );
                }
                body.insert(field.to_string(), reference);
                Some(field)
            }
            None => None,
        };
        let children: Vec<_> = kind
            .children
            .iter()
            .filter_map(|c| node.value.get(c.key).map(|n| (c, n)))
            .collect();
        if !children.is_empty() && parent_reference(kind, &body).is_none() {
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
            secret_paths: converted.secret_paths,
            whole_paths: converted.whole_paths,
            nested_under,
        });
        for (nesting, child) in children {
            let Some(child_kind) = self.registry.kind(nesting.kind) else {
                continue;
            };
            let mut child_path = path.clone();
            child_path.push(Seg::Key(nesting.key.to_string()));
            let reference = reference.clone().expect("an id was given above");
            self.collection(
                child_kind,
                child,
                child_path,
                Some((nesting.foreign_field, reference)),
            );
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
