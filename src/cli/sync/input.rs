//! Loading the state files for diff/sync/apply.
//!
//! INTERIM: the real loader (`state::load`: file:line:col diagnostics, `$NAME` forms, checks)
//! is being built on the `state` branch. Until it is merged this minimal reader flattens
//! decK-format files through the registry's nesting table, substitutes `$NAME`/`${NAME}`, and
//! records secret paths and values the same way, so the rest of the pipeline is exercised.

use std::path::{Path as FsPath, PathBuf};

use serde_json::{Map, Value};

use crate::kinds::validate::{Options, Path, Seg, UnknownSubschema, kong_message, process_entity};
use crate::kinds::{Identity, Kind, registry};
use crate::state::{Entity, State};

pub fn load_files(files: &[PathBuf], select_tags: &[String]) -> Result<State, String> {
    let mut inputs: Vec<PathBuf> = if files.is_empty() {
        vec![PathBuf::from("kong.yaml")]
    } else {
        Vec::new()
    };
    for f in files {
        collect(f, &mut inputs)?;
    }
    let mut state = State::default();
    for input in &inputs {
        let text = if input.as_os_str() == "-" {
            std::io::read_to_string(std::io::stdin()).map_err(|e| format!("stdin: {e}"))?
        } else {
            std::fs::read_to_string(input)
                .map_err(|e| format!("cannot read {}: {e}", input.display()))?
        };
        let doc: Value = serde_saphyr::from_str(&text)
            .map_err(|e| format!("{}: invalid YAML: {e}", input.display()))?;
        read_document(&doc, &mut state).map_err(|e| format!("{}: {e}", input.display()))?;
    }
    if !select_tags.is_empty() {
        state.select_tags = select_tags.to_vec();
    }
    Ok(state)
}

fn collect(path: &FsPath, out: &mut Vec<PathBuf>) -> Result<(), String> {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for entry in entries {
            let ext = entry.extension().and_then(|e| e.to_str()).unwrap_or("");
            if entry.is_dir() || matches!(ext, "yaml" | "yml" | "json") {
                collect(&entry, out)?;
            }
        }
    } else {
        out.push(path.to_path_buf());
    }
    Ok(())
}

fn read_document(doc: &Value, state: &mut State) -> Result<(), String> {
    let Some(root) = doc.as_object() else {
        return Err("the document must be a mapping".into());
    };
    if let Some(tags) = root
        .get("_info")
        .and_then(|i| i.get("select_tags"))
        .and_then(Value::as_array)
    {
        state.select_tags = tags
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
    }
    for kind in registry().kinds() {
        let Some(key) = kind.file_key else { continue };
        if let Some(items) = root.get(key).and_then(Value::as_array) {
            for item in items {
                add(kind, item, None, state)?;
            }
        }
    }
    Ok(())
}

fn add(
    kind: &'static Kind,
    item: &Value,
    parent: Option<(&str, Value)>,
    state: &mut State,
) -> Result<(), String> {
    let mut body = item
        .as_object()
        .cloned()
        .ok_or_else(|| format!("{} entries must be mappings", kind.name))?;
    let mut nested = Vec::new();
    for nesting in &kind.children {
        if let Some(children) = body.remove(nesting.key) {
            nested.push((nesting, children));
        }
    }
    if let Some((field, reference)) = parent {
        body.insert(field.to_string(), reference);
    }
    for foreign in registry().foreign_fields(kind) {
        if let Some(Value::String(name)) = body.get(foreign.field).cloned() {
            body.insert(
                foreign.field.to_string(),
                reference_by_text(foreign.kind, &name),
            );
        }
    }
    let mut secret_paths = Vec::new();
    let mut path = Vec::new();
    substitute(
        &mut body,
        &mut path,
        &mut secret_paths,
        &mut state.secret_values,
    )?;
    let options = Options {
        check_required: true,
        // Unknown plugins are the target's business (a real Kong may have them).
        unknown_subschema: UnknownSubschema::Skip,
        ..Options::default()
    };
    let violations = process_entity(registry(), kind, &mut body, options);
    if !violations.is_empty() {
        return Err(format!(
            "{}: {}",
            kind.event_name,
            kong_message(&violations)
        ));
    }
    let reference = self_reference(kind, &body);
    for (nesting, children) in nested {
        let child_kind = registry().kind(nesting.kind).expect("registry child");
        for child in children.as_array().into_iter().flatten() {
            add(
                child_kind,
                child,
                Some((nesting.foreign_field, reference.clone())),
                state,
            )?;
        }
    }
    let mut entity = Entity::new(body);
    entity.secret_paths = secret_paths;
    state.push(kind.name, entity);
    Ok(())
}

fn reference_by_text(kind: &str, text: &str) -> Value {
    if crate::kinds::entities::typedefs::is_uuid(text) {
        return serde_json::json!({ "id": text });
    }
    let field = registry()
        .kind(kind)
        .and_then(|k| k.identity_fields().first().copied())
        .unwrap_or("name");
    serde_json::json!({ field: text })
}

/// How children refer to this entity: its id, else its natural key's own fields.
fn self_reference(kind: &Kind, body: &Map<String, Value>) -> Value {
    if let Some(id) = body.get("id") {
        return serde_json::json!({ "id": id });
    }
    let mut out = Map::new();
    let fields: Vec<&str> = match &kind.identity {
        Identity::FirstOf(f) => f
            .iter()
            .copied()
            .filter(|f| body.get(*f).is_some_and(|v| !v.is_null()))
            .take(1)
            .collect(),
        _ => kind.identity_fields().to_vec(),
    };
    for f in fields {
        if let Some(v) = body.get(f) {
            out.insert(f.to_string(), v.clone());
        }
    }
    Value::Object(out)
}

fn substitute(
    map: &mut Map<String, Value>,
    path: &mut Path,
    secret_paths: &mut Vec<Path>,
    secret_values: &mut Vec<String>,
) -> Result<(), String> {
    for (key, value) in map.iter_mut() {
        path.push(Seg::Key(key.clone()));
        substitute_value(value, path, secret_paths, secret_values)?;
        path.pop();
    }
    Ok(())
}

fn substitute_value(
    value: &mut Value,
    path: &mut Path,
    secret_paths: &mut Vec<Path>,
    secret_values: &mut Vec<String>,
) -> Result<(), String> {
    match value {
        Value::String(text) if text.contains('$') => {
            let (out, used) = expand(text)?;
            if !used.is_empty() {
                secret_paths.push(path.clone());
                secret_values.extend(used);
            }
            *text = out;
        }
        Value::Object(map) => substitute(map, path, secret_paths, secret_values)?,
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                path.push(Seg::Index(i));
                substitute_value(item, path, secret_paths, secret_values)?;
                path.pop();
            }
        }
        _ => {}
    }
    Ok(())
}

/// `$NAME`, `${NAME}`, `$$`.
pub fn expand(text: &str) -> Result<(String, Vec<String>), String> {
    let mut out = String::new();
    let mut used = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '$' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        if chars.get(i + 1) == Some(&'$') {
            out.push('$');
            i += 2;
            continue;
        }
        let braced = chars.get(i + 1) == Some(&'{');
        let start = if braced { i + 2 } else { i + 1 };
        let mut end = start;
        while end < chars.len() && (chars[end].is_ascii_alphanumeric() || chars[end] == '_') {
            end += 1;
        }
        if end == start || (braced && chars.get(end) != Some(&'}')) {
            out.push('$');
            i += 1;
            continue;
        }
        let name: String = chars[start..end].iter().collect();
        let value =
            std::env::var(&name).map_err(|_| format!("environment variable {name} is not set"))?;
        out.push_str(&value);
        used.push(value);
        i = if braced { end + 1 } else { end };
    }
    Ok((out, used))
}
