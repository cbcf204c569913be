//! The loading pipeline: read → parse → collect entities and substitute env vars → default and
//! check each entity → check across entities → one flat [`State`] or every problem found.
//! Line and column are looked up at the end, and only for files that have problems.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::checks::{self, Finding};
use super::document::{Info, RawEntity, Reader};
use super::envsubst::Lookup;
use super::index::RefIndex;
use super::locate::{place, place_at, pointer};
use super::model::{Entity, Origin, State, mask_text};
use super::problem::{LoadFailure, Place, Problem, Severity, Sources};
use super::source::read_inputs;
use super::split::parse_value_split;
use super::yaml;
use super::{Env, LoadOptions, Loaded};
use crate::kinds::entities::typedefs::is_uuid;
use crate::kinds::validate::{
    Coerce, Options, Path, Seg, UnknownSubschema, Violation, closest, dotted, process_entity,
};
use crate::kinds::{Identity, Kind, Registry, registry};

/// Where each entity of the state was written (file index, path), parallel to
/// `State::entities`.
type Places = HashMap<&'static str, Vec<(usize, Path)>>;

/// Phase timings on stderr when `GWCTL_TIMINGS` is set (for the benchmark and profiling).
struct Stopwatch(Option<std::time::Instant>);

impl Stopwatch {
    fn start() -> Self {
        Stopwatch(std::env::var_os("GWCTL_TIMINGS").map(|_| std::time::Instant::now()))
    }

    fn lap(&mut self, phase: &str) {
        if let Some(start) = &mut self.0 {
            // Not `eprintln!`, which panics when stderr is a closed pipe.
            let _ = writeln!(
                std::io::stderr().lock(),
                "gwctl timing: {phase:<10} {:>8.2} ms",
                start.elapsed().as_secs_f64() * 1e3
            );
            *start = std::time::Instant::now();
        }
    }
}

pub fn load(inputs: &[PathBuf], options: &LoadOptions) -> Result<Loaded, LoadFailure> {
    let mut stopwatch = Stopwatch::start();
    let registry = registry();
    let (texts, mut problems) = read_inputs(inputs, options.max_file_bytes);
    let mut sources = Sources::default();
    let env = EnvLookup(&options.env);
    let mut secret_values = Vec::new();
    let mut raw = Vec::new();
    let mut infos = Vec::with_capacity(texts.len());
    for (i, input) in texts.iter().enumerate() {
        sources.add(input.name.clone(), input.text.clone());
        stopwatch.lap("read");
        let root = match parse_value_split(&input.text, options.limits, threads()) {
            Ok(root) => root,
            Err(e) => {
                problems.push(parse_problem(&e, &input.name, &input.text, options.limits));
                infos.push(Info::default());
                continue;
            }
        };
        let mut reader = Reader {
            registry,
            env: &env,
            file: &input.name,
            file_index: i,
            problems: &mut problems,
            secret_values: &mut secret_values,
            entities: &mut raw,
        };
        stopwatch.lap("parse");
        infos.push(reader.read(root));
        stopwatch.lap("collect");
    }
    let names: Vec<Arc<str>> = texts.iter().map(|t| t.name.clone()).collect();
    let select_tags = select_tags(&names, &infos, options, &mut problems);

    let mut state = State {
        select_tags: select_tags.clone(),
        ..State::default()
    };
    let mut places: Places = HashMap::new();
    let processed = process_all(registry, raw, &infos, &select_tags, options);
    // Each kind's lists sized once: grown by doubling while the processed list is still held,
    // they would take up to twice the room at the moment loading peaks.
    let mut counts: HashMap<&'static str, usize> = HashMap::new();
    for (_, (kind, ..)) in processed.iter().flatten() {
        *counts.entry(*kind).or_default() += 1;
    }
    for (kind, count) in counts {
        state.entities.entry(kind).or_default().reserve_exact(count);
        places.entry(kind).or_default().reserve_exact(count);
    }
    // Each thread's list is freed as soon as it is taken in.
    for (file, (kind, path, mut entity, found)) in processed.into_iter().flatten() {
        for local in found {
            problems.push(local.into_problem(&names[file], &path));
        }
        entity.origin = Some(Origin {
            file: names[file].clone(),
            pointer: pointer(&path),
        });
        places.entry(kind).or_default().push((file, path));
        state.push(kind, entity);
    }

    stopwatch.lap("entities");
    let index = RefIndex::build(registry, &state);
    // The checks only read the state, so they run side by side.
    let findings = std::thread::scope(|scope| {
        let duplicates = scope.spawn(|| checks::duplicates(registry, &state, &index));
        let secrets = scope.spawn(|| checks::literal_secrets(registry, &state));
        let mut findings = checks::references(registry, &state, &index);
        findings.extend(
            duplicates
                .join()
                .expect("the duplicate check does not panic"),
        );
        findings.extend(secrets.join().expect("the secret lint does not panic"));
        findings
    });
    stopwatch.lap("checks");
    let mut first_places = Vec::new();
    for finding in findings {
        let (file, path) = &places[finding.kind][finding.index];
        let first = finding.first.map(|(kind, i)| places[kind][i].clone());
        let secret = finding.code == "secret";
        let mut problem = finding_problem(finding, &names[*file], path);
        if secret && let Some(anchor) = &mut problem.anchor {
            anchor.blank = true;
        }
        if let Some(first) = first {
            first_places.push((problems.len(), first));
        }
        problems.push(problem);
    }

    state.secret_values = secret_values;
    state.secret_values.sort();
    state.secret_values.dedup();
    resolve_places(
        &mut problems,
        &first_places,
        &texts,
        &names,
        &mut sources,
        options,
    );
    for problem in &mut problems {
        problem.message = mask_text(&state.secret_values, &problem.message);
        if let Some(help) = &problem.help {
            problem.help = Some(mask_text(&state.secret_values, help));
        }
    }
    let order: HashMap<&str, usize> = names.iter().enumerate().map(|(i, f)| (&**f, i)).collect();
    problems.sort_by_key(|p| {
        (
            p.file.as_deref().and_then(|f| order.get(f)).copied(),
            p.line,
            p.column,
        )
    });
    stopwatch.lap("report");
    if problems.iter().any(Problem::is_error) {
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

fn parse_problem(
    e: &serde_saphyr::Error,
    file: &Arc<str>,
    text: &str,
    limits: yaml::Limits,
) -> Problem {
    let at = error_place(e, text);
    let (message, help) = match user_message(e, limits) {
        Some(known) => known,
        None => {
            let message = e.without_snippet().to_string();
            // The parser appends " at line L column C"; the position is shown separately.
            let message = match message.find(" at line ") {
                Some(i) => message[..i].to_string(),
                None => message,
            };
            if message.to_lowercase().contains("documents") {
                return Problem::error(
                    "yaml",
                    "a state file holds one YAML document, but this one has several (`---`)",
                )
                .in_file(file)
                .at(at)
                .label("a second document starts here")
                .help("put each document in its own file; gwctl merges the files it is given");
            }
            (format!("invalid YAML: {message}"), None)
        }
    };
    let mut p = Problem::error("yaml", message)
        .in_file(file)
        .at(at)
        .label("here");
    p.help = help;
    p
}

/// The message (and help) for the parser errors whose own wording names its internals
/// (option and type names), in the user's terms; None for the rest.
fn user_message(e: &serde_saphyr::Error, limits: yaml::Limits) -> Option<(String, Option<String>)> {
    use serde_saphyr::Error as E;
    use serde_saphyr::budget::BudgetBreach as B;
    let mut inner = e;
    while let E::AliasError { error, .. } | E::WithSnippet { error, .. } = inner {
        inner = error;
    }
    let nesting = || {
        (
            format!("nesting deeper than {} levels", limits.max_depth),
            Some(format!(
                "state files may nest at most {} levels deep",
                limits.max_depth
            )),
        )
    };
    let too_big = |message: String| {
        (
            message,
            Some(
                "the file expands too many aliases or nodes; write the values out, or split the file"
                    .to_string(),
            ),
        )
    };
    Some(match inner {
        E::DuplicateMappingKey { key: Some(key), .. } => (
            format!("duplicate key '{key}' in this mapping: keep one"),
            None,
        ),
        E::DuplicateMappingKey { key: None, .. } => {
            ("duplicate key in this mapping: keep one".to_string(), None)
        }
        E::Budget {
            breach: B::Depth { .. },
            ..
        } => nesting(),
        // Several documents: told apart by the caller.
        E::Budget {
            breach: B::Documents { .. },
            ..
        } => return None,
        E::Budget {
            breach: B::Nodes { .. } | B::Events { .. },
            ..
        } => too_big(format!(
            "the file has more than {} YAML nodes (aliases expanded)",
            limits.max_nodes
        )),
        E::Budget { .. } => too_big("the file is too large or complex to read".into()),
        E::AliasReplayLimitExceeded { .. } => too_big(format!(
            "aliases expand to more than {} nodes",
            limits.max_alias_events
        )),
        E::AliasExpansionLimitExceeded { .. } => {
            too_big("an anchor is used through aliases too many times".into())
        }
        E::AliasReplayStackDepthExceeded { .. } => {
            too_big("aliases nest inside each other too deeply".into())
        }
        other if other.to_string().contains("recursion limit") => nesting(),
        _ => return None,
    })
}

/// Where a parse error is. Errors the scanner raises carry a line and column but no byte
/// offset; the offset is then found from the line and column, so the snippet shows the
/// same place as the heading.
fn error_place(e: &serde_saphyr::Error, text: &str) -> Option<Place> {
    let location = e.location()?;
    let mut at = place(location)?;
    if location.span().byte_offset().is_none() {
        at.offset = offset_of(text, at.line, at.column);
        // One character, unless the place is the end of a line or of the file.
        at.len = text[at.offset..]
            .chars()
            .next()
            .filter(|c| *c != '\n' && *c != '\r')
            .map_or(0, char::len_utf8);
    }
    Some(at)
}

/// The byte offset of a 1-based line and column (in characters), clamped to the text.
fn offset_of(text: &str, line: u64, column: u64) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    text[start..end]
        .char_indices()
        .nth(column.saturating_sub(1) as usize)
        .map_or(end, |(i, _)| start + i)
}

/// Looks up line and column for every anchored problem, parsing (with positions) only the
/// files that have some; blanks literal secrets out of the texts diagnostics show.
fn resolve_places(
    problems: &mut [Problem],
    first_places: &[(usize, (usize, Path))],
    texts: &[super::source::Input],
    names: &[Arc<str>],
    sources: &mut Sources,
    options: &LoadOptions,
) {
    let file_index = |name: &str| names.iter().position(|n| &**n == name);
    let mut needed: Vec<usize> = problems
        .iter()
        .filter(|p| p.anchor.is_some())
        .filter_map(|p| p.file.as_deref().and_then(file_index))
        .chain(first_places.iter().map(|(_, (file, _))| *file))
        .collect();
    needed.sort_unstable();
    needed.dedup();
    let trees: HashMap<usize, yaml::Node> = needed
        .into_iter()
        .filter_map(|i| Some((i, yaml::parse(&texts[i].text, options.limits).ok()?)))
        .collect();
    let tree = |i: usize| trees.get(&i);
    let mut blanks: HashMap<usize, Vec<(usize, usize)>> = HashMap::new();
    for problem in problems.iter_mut() {
        let (Some(anchor), Some(i)) = (
            &problem.anchor,
            problem.file.as_deref().and_then(file_index),
        ) else {
            continue;
        };
        let Some(root) = tree(i) else { continue };
        let mut at = place_at(root, &anchor.path, anchor.on_key);
        match (anchor.blank, anchor.within, at) {
            (true, _, Some(p)) => blanks.entry(i).or_default().push((p.offset, p.len)),
            (false, Some((offset, len)), Some(p)) => {
                at = Some(narrow(p, &texts[i].text, offset, len));
            }
            _ => {}
        }
        problem.set_place(at);
    }
    for (problem, (file, path)) in first_places {
        if let Some(root) = tree(*file)
            && let Some(p) = place_at(root, path, false)
        {
            let at = format!("{}:{}:{}", names[*file], p.line, p.column);
            let help = problems[*problem].help.take().unwrap_or_default();
            problems[*problem].help = Some(format!("the first is at {at}; {help}"));
        }
    }
    for (i, ranges) in blanks {
        sources.blank(&names[i], &ranges);
    }
}

/// Narrows a scalar's place to a byte range of its value, when the scalar is written plainly
/// (its source text is its value) so the range is the same in the file.
fn narrow(p: Place, text: &str, offset: usize, len: usize) -> Place {
    let written = text.get(p.offset..p.offset + p.len).unwrap_or("");
    // A quoted scalar's value starts one byte in.
    let quoted = written.len() >= 2 && (written.starts_with('"') || written.starts_with('\''));
    let start = offset + usize::from(quoted);
    let reference = written.get(start..start + len).unwrap_or("");
    if !reference.starts_with('$') {
        return p;
    }
    Place {
        column: p.column + written[..start].chars().count() as u64,
        offset: p.offset + start,
        len,
        ..p
    }
}

/// The select tags in force: the command line's, or the files' (which must agree).
/// The select tags in force. Every file must declare the same `_info.select_tags` (as a set), or
/// none may; `--select-tag` applies to all files, and a file declaring different tags is an
/// error (decK #561).
fn select_tags(
    names: &[Arc<str>],
    infos: &[Info],
    options: &LoadOptions,
    problems: &mut Vec<Problem>,
) -> Vec<String> {
    let set = |tags: &[String]| {
        let mut tags = tags.to_vec();
        tags.sort();
        tags.dedup();
        tags
    };
    let shown = |tags: &[String]| format!("[{}]", tags.join(", "));
    let anchor = [Seg::Key("_info".into()), Seg::Key("select_tags".into())];
    let declared: Vec<(&Arc<str>, Vec<String>)> = names
        .iter()
        .zip(infos)
        .filter_map(|(name, info)| Some((name, set(info.select_tags.as_deref()?))))
        .filter(|(_, tags)| !tags.is_empty())
        .collect();
    if let Some((first, theirs)) = declared.first() {
        for (name, tags) in &declared[1..] {
            if tags != theirs {
                problems.push(
                    Problem::error(
                        "format",
                        format!(
                            "_info.select_tags differ from those in {first}: {} here, {} there; all files must declare the same",
                            shown(tags),
                            shown(theirs)
                        ),
                    )
                    .in_file(name)
                    .anchored(&anchor, false),
                );
            }
        }
        for (name, info) in names.iter().zip(infos) {
            let unparsed = problems
                .iter()
                .any(|p| p.code == "yaml" && p.file.as_ref() == Some(name));
            if !unparsed && info.select_tags.as_deref().is_none_or(<[String]>::is_empty) {
                problems.push(
                    Problem::error(
                        "format",
                        format!(
                            "this file has no _info.select_tags, but {first} declares {}: files given together must all declare the same select_tags",
                            shown(theirs)
                        ),
                    )
                    .in_file(name)
                    .help(format!(
                        "add `select_tags: {}` under `_info` in {name}, or give the files separately",
                        shown(theirs)
                    )),
                );
            }
        }
    }
    if options.select_tags.is_empty() {
        // The first declaring file's tags, in its order.
        return infos
            .iter()
            .filter_map(|info| info.select_tags.clone())
            .find(|tags| !tags.is_empty())
            .unwrap_or_default();
    }
    let flag = set(&options.select_tags);
    for (name, tags) in &declared {
        if *tags != flag {
            problems.push(
                Problem::error(
                    "format",
                    format!(
                        "--select-tag {} differs from this file's _info.select_tags {}",
                        shown(&flag),
                        shown(tags)
                    ),
                )
                .in_file(name)
                .anchored(&anchor, false)
                .help(format!(
                    "drop --select-tag (the file's tags apply), or set _info.select_tags in {name} to {}",
                    shown(&flag)
                )),
            );
        }
    }
    options.select_tags.clone()
}

/// How many cores to use for parsing and checking large states.
fn threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8)
}

/// Below this many entities, threads cost more than they save.
const PARALLEL_THRESHOLD: usize = 2_000;

/// Processes every entity, on all cores for large states, keeping file order. Returns each
/// entity with the index of its file, in one list per thread (in order): put together into one
/// list, they would be held twice at the moment loading peaks.
fn process_all(
    registry: &'static Registry,
    raw: Vec<RawEntity>,
    infos: &[Info],
    select_tags: &[String],
    options: &LoadOptions,
) -> Vec<Vec<(usize, Processed)>> {
    let one = |entity: RawEntity| {
        (
            entity.file,
            process(registry, entity, infos, select_tags, options),
        )
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads < 2 || raw.len() < PARALLEL_THRESHOLD {
        return vec![raw.into_iter().map(one).collect()];
    }
    let chunk = raw.len().div_ceil(threads);
    let mut chunks: Vec<Vec<RawEntity>> = Vec::with_capacity(threads);
    let mut rest = raw.into_iter();
    loop {
        let part: Vec<RawEntity> = rest.by_ref().take(chunk).collect();
        if part.is_empty() {
            break;
        }
        chunks.push(part);
    }
    // The emptied list's buffer is freed now rather than after processing.
    drop(rest);
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|part| {
                scope.spawn(move || {
                    let done = part.into_iter().map(one).collect::<Vec<_>>();
                    // What the thread freed on the way (the parsed maps each entity's map was
                    // rebuilt from) goes back to the system now, not a second after the thread
                    // is gone.
                    crate::memory::release();
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("entity processing does not panic"))
            .collect()
    })
}

/// A problem found in one entity, its path relative to the entity.
struct Local {
    path: Path,
    severity: Severity,
    code: &'static str,
    message: String,
    help: Option<String>,
    on_key: bool,
}

impl Local {
    fn into_problem(self, file: &Arc<str>, entity_path: &[Seg]) -> Problem {
        let mut full = entity_path.to_vec();
        full.extend(self.path);
        let mut p = match self.severity {
            Severity::Error => Problem::error(self.code, self.message),
            Severity::Warning => Problem::warning(self.code, self.message),
        }
        .in_file(file)
        .anchored(&full, self.on_key);
        p.help = self.help;
        p
    }
}

/// An entity checked and defaulted: its kind, its path in its file, and what was found.
type Processed = (&'static str, Path, Entity, Vec<Local>);

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
        failed_paths,
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
        merge_tags(&mut body, select_tags);
    }
    if let Some(unknown) = unknown_plugin(registry, kind, &body, options) {
        found.push(unknown);
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
    found.extend(
        violations
            .into_iter()
            .filter(|v| !failed_paths.iter().any(|f| v.path.starts_with(f)))
            .map(|v| violation(kind, v)),
    );
    let entity = Entity {
        body,
        origin: None,
        secret_paths,
    };
    (kind.name, path, entity, found)
}

/// decK's select-tag semantics: every entity of the file carries the select tags.
fn merge_tags(body: &mut Map<String, Value>, select_tags: &[String]) {
    let tags = body
        .entry("tags")
        .or_insert_with(|| Value::Array(Vec::new()));
    if tags.is_null() {
        *tags = Value::Array(Vec::new());
    }
    if let Value::Array(list) = tags {
        for tag in select_tags {
            if !list.iter().any(|t| t.as_str() == Some(tag)) {
                list.push(Value::String(tag.clone()));
            }
        }
    }
}

fn unknown_plugin(
    registry: &Registry,
    kind: &Kind,
    body: &Map<String, Value>,
    options: &LoadOptions,
) -> Option<Local> {
    let key = kind.subschema_key?;
    let name = body.get(key)?.as_str()?;
    if registry.subschema(kind.name, name).is_some() {
        return None;
    }
    let known = registry.subschema_names(kind.name);
    let suggestion = closest(name, known.iter().copied());
    let (code, what) = if kind.name == "plugins" {
        ("plugin", "plugin".to_string())
    } else {
        ("schema", format!("{} type", kind.event_name))
    };
    Some(Local {
        path: vec![Seg::Key(key.to_string())],
        severity: if options.unknown_plugins_are_warnings {
            Severity::Warning
        } else {
            Severity::Error
        },
        code,
        message: format!("unknown {what} '{name}': its config cannot be checked offline"),
        help: Some(match suggestion {
            Some(s) => format!("did you mean '{s}'?"),
            None => format!("gwctl knows: {}", known.join(", ")),
        }),
        on_key: false,
    })
}

fn violation(kind: &Kind, mut v: Violation) -> Local {
    let unknown = v.message == "unknown field";
    if unknown && let [Seg::Key(name)] = &v.path[..] {
        // At an entity's top level, nested collections (`routes`, `plugins`) and shorthands
        // (`url`) are names a typo may have meant too.
        let fields = kind.schema.fields.iter().map(|f| f.name);
        let children = kind.children.iter().map(|c| c.key);
        let shorthands = kind.shorthands.iter().map(|(n, _)| *n);
        v.suggestion = closest(name, fields.chain(children).chain(shorthands));
    }
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
    body: &mut Map<String, Value>,
    found: &mut Vec<Local>,
) {
    let foreign = kind
        .schema
        .fields
        .iter()
        .filter_map(|f| Some((f.name, f.schema.reference?)));
    for (field, target) in foreign {
        let Some(Value::String(text)) = body.get(field) else {
            continue;
        };
        let text = text.clone();
        if is_uuid(&text) {
            body.insert(field.into(), serde_json::json!({ "id": text }));
            continue;
        }
        let target = registry.kind(target).expect("foreign kinds exist");
        match (target.identity_fields(), &target.identity) {
            ([key], _) | ([key, ..], Identity::FirstOf(_)) => {
                body.insert(field.into(), serde_json::json!({ *key: text }));
            }
            _ => found.push(Local {
                path: vec![Seg::Key(field.to_string())],
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

fn finding_problem(finding: Finding, file: &Arc<str>, entity_path: &[Seg]) -> Problem {
    Local {
        path: finding.path,
        severity: finding.severity,
        code: finding.code,
        message: finding.message,
        help: finding.help,
        on_key: false,
    }
    .into_problem(file, entity_path)
}
