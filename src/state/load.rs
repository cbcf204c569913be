//! The loading pipeline: read → parse → collect entities → substitute → default and check
//! each entity → check across entities → one flat [`State`] or every problem found.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;

use super::checks::{self, Finding};
use super::document::{Info, RawEntity, Reader};
use super::envsubst::Lookup;
use super::index::RefIndex;
use super::locate::{place, place_at};
use super::model::{Entity, Origin, State, mask_text};
use super::problem::{LoadFailure, Problem, Severity, Sources};
use super::source::read_inputs;
use super::yaml::{self, Node};
use super::{Env, LoadOptions, Loaded};
use crate::kinds::entities::typedefs::is_uuid;
use crate::kinds::validate::{
    Coerce, Options, Path, Seg, UnknownSubschema, Violation, closest, dotted, pointer,
    process_entity,
};
use crate::kinds::{Kind, Registry, registry};

struct File {
    name: Arc<str>,
    root: Option<Node>,
}

/// Where each entity of the state was written, parallel to `State::entities`.
type Places = HashMap<&'static str, Vec<(usize, Path)>>;

pub fn load(inputs: &[PathBuf], options: &LoadOptions) -> Result<Loaded, LoadFailure> {
    let registry = registry();
    let (texts, mut problems) = read_inputs(inputs, options.max_file_bytes);
    let mut sources = Sources::default();
    let mut files = Vec::with_capacity(texts.len());
    for input in &texts {
        sources.add(input.name.clone(), input.text.clone());
        let root = match yaml::parse(&input.text, options.limits) {
            Ok(root) => Some(root),
            Err(e) => {
                problems.push(parse_problem(&e, &input.name));
                None
            }
        };
        files.push(File {
            name: input.name.clone(),
            root,
        });
    }
    let env = EnvLookup(&options.env);
    let mut secret_values = Vec::new();
    let mut raw = Vec::new();
    let mut infos = Vec::with_capacity(files.len());
    for (i, file) in files.iter().enumerate() {
        let Some(root) = &file.root else {
            infos.push(Info::default());
            continue;
        };
        let mut reader = Reader {
            registry,
            env: &env,
            file: &file.name,
            file_index: i,
            problems: &mut problems,
            secret_values: &mut secret_values,
            entities: &mut raw,
        };
        infos.push(reader.read(root));
    }
    let select_tags = select_tags(&files, &infos, options, &mut problems);

    let mut state = State {
        select_tags: select_tags.clone(),
        ..State::default()
    };
    let mut places: Places = HashMap::new();
    for entity in raw {
        let file = &files[entity.file];
        let root = file.root.as_ref().expect("entities come from parsed files");
        let file_index = entity.file;
        let (kind, path, mut entity, found) =
            process(registry, entity, &infos, &select_tags, options);
        for problem in found {
            problems.push(locate(problem, &file.name, root, path.clone()));
        }
        entity.origin = Some(Origin {
            file: file.name.clone(),
            pointer: pointer(&path),
        });
        places.entry(kind).or_default().push((file_index, path));
        state.push(kind, entity);
    }

    let index = RefIndex::build(registry, &state);
    let mut findings = checks::references(registry, &state, &index);
    findings.extend(checks::duplicates(registry, &state, &index));
    let secrets = checks::literal_secrets(registry, &state);
    for finding in &secrets {
        // Blank the literal out of the text diagnostics show, so no output repeats it.
        let (file, path) = &places[finding.kind][finding.index];
        if let Some(root) = &files[*file].root {
            let mut full = path.clone();
            full.extend(finding.path.iter().cloned());
            if let Some(p) = place_at(root, &full, false) {
                sources.blank(&files[*file].name, &[(p.offset, p.len)]);
            }
        }
    }
    findings.extend(secrets);
    for finding in findings {
        problems.push(finding_problem(finding, &files, &places));
    }

    state.secret_values = secret_values;
    state.secret_values.sort();
    state.secret_values.dedup();
    for problem in &mut problems {
        problem.message = mask_text(&state.secret_values, &problem.message);
        if let Some(help) = &problem.help {
            problem.help = Some(mask_text(&state.secret_values, help));
        }
    }
    let order: HashMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (&*f.name, i))
        .collect();
    problems.sort_by_key(|p| {
        (
            p.file.as_deref().and_then(|f| order.get(f)).copied(),
            p.line,
            p.column,
        )
    });
    if problems.iter().any(|p| p.severity == Severity::Error) {
        return Err(LoadFailure::new(problems, sources));
    }
    Ok(Loaded {
        state,
        warnings: problems,
        sources,
    })
}

struct EnvLookup<'a>(&'a Env);

impl Lookup for EnvLookup<'_> {
    fn get(&self, name: &str) -> Option<String> {
        match self.0 {
            Env::Process => std::env::var(name).ok(),
            Env::Map(map) => map.get(name).cloned(),
        }
    }
}

fn parse_problem(e: &serde_saphyr::Error, file: &Arc<str>) -> Problem {
    let location = e.location();
    let message = e.without_snippet().to_string();
    // The parser appends " at line L column C"; the position is shown separately.
    let message = match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message,
    };
    Problem::error("yaml", format!("invalid YAML: {message}"))
        .in_file(file)
        .at(location.and_then(place))
        .label("here")
}

/// The select tags in force: the command line's, or the files' (which must agree).
fn select_tags(
    files: &[File],
    infos: &[Info],
    options: &LoadOptions,
    problems: &mut Vec<Problem>,
) -> Vec<String> {
    if !options.select_tags.is_empty() {
        return options.select_tags.clone();
    }
    let mut chosen: Option<(&Arc<str>, &Vec<String>)> = None;
    for (file, info) in files.iter().zip(infos) {
        let Some(tags) = &info.select_tags else {
            continue;
        };
        match chosen {
            None => chosen = Some((&file.name, tags)),
            Some((first, theirs)) if theirs != tags => problems.push(
                Problem::error(
                    "format",
                    format!("_info.select_tags differ from those in {first}: all files must declare the same"),
                )
                .in_file(&file.name)
                .pointer("/_info/select_tags"),
            ),
            Some(_) => {}
        }
    }
    chosen.map(|(_, t)| t.clone()).unwrap_or_default()
}

/// An entity checked and defaulted: its kind, its path in its file, and what was found.
type Processed = (&'static str, Path, Entity, Vec<Local>);

/// A problem found in one entity, before it is located in the source.
struct Local {
    path: Path,
    severity: Severity,
    code: &'static str,
    message: String,
    help: Option<String>,
    on_key: bool,
}

fn process(
    registry: &'static Registry,
    raw: RawEntity,
    infos: &[Info],
    select_tags: &[String],
    options: &LoadOptions,
) -> Processed {
    let RawEntity {
        kind,
        mut body,
        file,
        path,
        secret_paths,
        whole_paths,
        nested_under: _,
    } = raw;
    let mut found = Vec::new();
    if let Some(Value::Object(defaults)) = infos[file].defaults.get(kind.event_name) {
        for (k, v) in defaults {
            if body.get(k).is_none_or(Value::is_null) {
                body.insert(k.clone(), v.clone());
            }
        }
    }
    normalize_references(registry, kind, &mut body, &mut found);
    if !select_tags.is_empty() && kind.schema.field("tags").is_some() {
        let tags = body
            .entry("tags")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = tags {
            for tag in select_tags {
                if !list.iter().any(|t| t.as_str() == Some(tag)) {
                    list.push(Value::String(tag.clone()));
                }
            }
        }
    }
    if let Some(key) = kind.subschema_key
        && let Some(name) = body.get(key).and_then(Value::as_str)
        && registry.subschema(kind.name, name).is_none()
    {
        let names = registry.plugins().iter().map(|p| p.name);
        let suggestion = closest(name, names);
        found.push(Local {
            path: vec![Seg::Key(key.to_string())],
            severity: if options.unknown_plugins_are_warnings {
                Severity::Warning
            } else {
                Severity::Error
            },
            code: "plugin",
            message: format!("unknown plugin '{name}': its config cannot be checked offline"),
            help: Some(match suggestion {
                Some(s) => format!("did you mean '{s}'?"),
                None => "check the name; gwctl knows ai-proxy, key-auth, jwt, acl, rate-limiting and cors".into(),
            }),
            on_key: false,
        });
    }
    let whole = |p: &[Seg]| whole_paths.iter().any(|w| w == p);
    let violations = process_entity(
        registry,
        kind,
        &mut body,
        Options {
            fill_defaults: true,
            fill_nulls: false,
            coerce: Coerce::Where(&whole),
            unknown_subschema: UnknownSubschema::Skip,
            check_required: true,
        },
    );
    found.extend(violations.into_iter().map(violation));
    let entity = Entity {
        body,
        origin: None,
        secret_paths,
    };
    (kind.name, path, entity, found)
}

fn violation(v: Violation) -> Local {
    let unknown = v.message == "unknown field";
    let message = if unknown {
        format!("unknown field '{}'", last_key(&v.path))
    } else if v.path.is_empty() {
        v.message.clone()
    } else {
        format!("{}: {}", dotted(&v.path), v.message)
    };
    Local {
        on_key: unknown,
        help: v.suggestion.map(|s| format!("did you mean '{s}'?")),
        path: v.path,
        severity: Severity::Error,
        code: "schema",
        message,
    }
}

fn last_key(path: &[Seg]) -> String {
    match path.last() {
        Some(Seg::Key(k)) => k.clone(),
        Some(Seg::Index(i)) => i.to_string(),
        None => String::new(),
    }
}

/// Foreign fields written as a string become objects: `{"id": …}` for a UUID, else the
/// referenced kind's natural key (`service: openai-service` → `{"name": "openai-service"}`).
fn normalize_references(
    registry: &Registry,
    kind: &Kind,
    body: &mut serde_json::Map<String, Value>,
    found: &mut Vec<Local>,
) {
    for ff in registry.foreign_fields(kind) {
        let Some(Value::String(text)) = body.get(ff.field) else {
            continue;
        };
        let text = text.clone();
        if is_uuid(&text) {
            body.insert(ff.field.into(), serde_json::json!({ "id": text }));
            continue;
        }
        let target = registry.kind(ff.kind).expect("foreign kinds exist");
        match target.identity_fields() {
            [field] => {
                body.insert(ff.field.into(), serde_json::json!({ *field: text }));
            }
            [first, ..] if matches!(target.identity, crate::kinds::Identity::FirstOf(_)) => {
                body.insert(ff.field.into(), serde_json::json!({ *first: text }));
            }
            _ => found.push(Local {
                path: vec![Seg::Key(ff.field.to_string())],
                severity: Severity::Error,
                code: "reference",
                message: format!("a {} can only be referred to by its id", target.event_name),
                help: Some(format!(
                    "give the {} an `id` and use it here",
                    target.event_name
                )),
                on_key: false,
            }),
        }
    }
}

fn locate(local: Local, file: &Arc<str>, root: &Node, entity_path: Path) -> Problem {
    let mut full = entity_path;
    full.extend(local.path.iter().cloned());
    let place = place_at(root, &full, local.on_key);
    let mut p = match local.severity {
        Severity::Error => Problem::error(local.code, local.message),
        Severity::Warning => Problem::warning(local.code, local.message),
    }
    .in_file(file)
    .at(place)
    .pointer(pointer(&full));
    p.help = local.help;
    p
}

fn finding_problem(finding: Finding, files: &[File], places: &Places) -> Problem {
    let (file, path) = &places[finding.kind][finding.index];
    let file = &files[*file];
    let root = file.root.as_ref().expect("entities come from parsed files");
    let mut help = finding.help.clone();
    if let Some((kind, first)) = finding.first {
        let (f, p) = &places[kind][first];
        let at = files[*f]
            .root
            .as_ref()
            .and_then(|r| place_at(r, p, false))
            .map(|pl| format!("{}:{}:{}", files[*f].name, pl.line, pl.column))
            .unwrap_or_else(|| files[*f].name.to_string());
        help = Some(format!(
            "the first is at {at}; {}",
            help.unwrap_or_default()
        ));
    }
    let local = Local {
        path: finding.path,
        severity: finding.severity,
        code: finding.code,
        message: finding.message,
        help,
        on_key: false,
    };
    locate(local, &file.name, root, path.clone())
}
