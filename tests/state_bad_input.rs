//! Bad input: each gets a clear error naming the file (and the place), bounded memory, no panic.

use std::path::{Path, PathBuf};

use gwctl::state::{Env, LoadFailure, LoadOptions, Problem, load};

fn options() -> LoadOptions {
    LoadOptions {
        env: Env::Map(Default::default()),
        ..LoadOptions::default()
    }
}

fn fail(paths: &[PathBuf]) -> LoadFailure {
    match load(paths, &options()) {
        Ok(_) => panic!("{paths:?} should not load"),
        Err(failure) => failure,
    }
}

fn only_error(paths: &[PathBuf]) -> Problem {
    let failure = fail(paths);
    let errors: Vec<&Problem> = failure.errors().collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    errors[0].clone()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn name(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

#[test]
fn malformed_yaml_points_at_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "bad.yaml",
        b"_format_version: \"3.0\"\nservices:\n  - name: a\n    host: [unclosed\n",
    );
    let p = only_error(std::slice::from_ref(&file));
    assert_eq!(p.code, "yaml");
    assert_eq!(p.file.as_deref(), Some(name(&file).as_str()));
    assert!(p.line.is_some() && p.column.is_some(), "{p:?}");
    assert!(p.message.starts_with("invalid YAML"), "{}", p.message);
}

#[test]
fn duplicate_keys_are_an_error_at_the_second_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "dup.yaml",
        b"_format_version: \"3.0\"\nservices:\n  - name: a\n    host: h\n    host: g\n",
    );
    let p = only_error(&[file]);
    assert_eq!(
        p.message, "duplicate key 'host' in this mapping: keep one",
        "the parser's option names stay out of the message"
    );
    assert_eq!(p.line, Some(5));
}

/// The snippet under a syntax error is at the error's line and column, not at the start of the
/// file: the scanner's positions carry no byte offset of their own.
#[test]
fn syntax_error_snippets_are_at_the_errors_position() {
    let dir = tempfile::tempdir().unwrap();
    for (n, text, line, column) in [
        (
            "quote.yaml",
            "_format_version: \"3.0\"\nservices:\n  - name: a\n    host: x\n  - name: \"b\n    host: y\n",
            5,
            11,
        ),
        (
            "indent.yaml",
            "_format_version: \"3.0\"\nservices:\n  - name: a\n     host: x\n",
            4,
            10,
        ),
        (
            "colon.yaml",
            "_format_version: \"3.0\"\nservices:\n  - name: \"é\"\n    host: x: y\n",
            4,
            12,
        ),
        (
            "tab.yaml",
            "_format_version: \"3.0\"\nservices:\n  - name: a\n\thost: x\n",
            3,
            11,
        ),
    ] {
        let file = write(dir.path(), n, text.as_bytes());
        let p = only_error(&[file]);
        assert_eq!(p.code, "yaml", "{n}");
        assert_eq!((p.line, p.column), (Some(line), Some(column)), "{n}: {p:?}");
        let place = p.place.unwrap_or_else(|| panic!("{n}: no place"));
        let before = &text[..place.offset];
        let at_line = before.matches('\n').count() as u64 + 1;
        let at_column = before.rsplit('\n').next().unwrap().chars().count() as u64 + 1;
        assert_eq!((at_line, at_column), (line, column), "{n}: {place:?}");
    }
}

#[test]
fn binary_file_is_named_as_binary() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "logo.yaml", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    let p = only_error(std::slice::from_ref(&file));
    assert!(p.message.contains("binary file"), "{}", p.message);
    assert_eq!(p.file.as_deref(), Some(name(&file).as_str()));
}

#[test]
fn empty_file_says_what_it_needs() {
    let dir = tempfile::tempdir().unwrap();
    for (n, text) in [
        ("empty.yaml", ""),
        ("blank.yaml", "\n  \n# just a comment\n"),
    ] {
        let file = write(dir.path(), n, text.as_bytes());
        let p = only_error(&[file]);
        assert!(p.message.contains("file is empty"), "{}", p.message);
        assert!(p.message.contains("_format_version"), "{}", p.message);
    }
}

#[test]
fn fifty_megabyte_file_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.yaml");
    let file = std::fs::File::create(&path).unwrap();
    // A sparse file: 50 MB long without writing 50 MB.
    file.set_len(50 * 1024 * 1024).unwrap();
    let p = only_error(std::slice::from_ref(&path));
    assert!(p.message.contains("larger than 32 MiB"), "{}", p.message);
    assert_eq!(p.file.as_deref(), Some(name(&path).as_str()));
}

#[test]
fn deep_nesting_hits_the_depth_limit() {
    let dir = tempfile::tempdir().unwrap();
    let depth = 100_000;
    let text = format!(
        "_format_version: \"3.0\"\nservices: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let file = write(dir.path(), "deep.yaml", text.as_bytes());
    let p = only_error(&[file]);
    assert_eq!(p.code, "yaml");
    assert_eq!(p.message, "nesting deeper than 64 levels");
    assert!(p.help.unwrap().contains("64 levels"));
    // Just past the limit the parser's budget stops it: the same message, not its internals.
    let text = format!(
        "_format_version: \"3.0\"\nservices: {}{}\n",
        "[".repeat(70),
        "]".repeat(70)
    );
    let file = write(dir.path(), "deep70.yaml", text.as_bytes());
    let p = only_error(&[file]);
    assert_eq!(p.message, "nesting deeper than 64 levels");
    assert_eq!(p.line, Some(2));
}

#[test]
fn alias_bomb_is_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("_format_version: \"3.0\"\na: &a [x, x, x, x, x, x, x, x, x, x]\n");
    let mut previous = 'a';
    for level in ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] {
        let refs = vec![format!("*{previous}"); 10].join(", ");
        text.push_str(&format!("{level}: &{level} [{refs}]\n"));
        previous = level;
    }
    let file = write(dir.path(), "bomb.yaml", text.as_bytes());
    let started = std::time::Instant::now();
    let p = only_error(&[file]);
    assert_eq!(p.code, "yaml");
    eprintln!("{}", p.message);
    assert!(
        p.help.unwrap().contains("too many aliases"),
        "{}",
        p.message
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn directory_without_state_files() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "notes.txt", b"hello");
    let p = only_error(&[dir.path().to_path_buf()]);
    assert!(
        p.message.contains("holds no .yaml, .yml or .json files"),
        "{}",
        p.message
    );
    assert_eq!(p.file.as_deref(), Some(name(dir.path()).as_str()));
}

#[test]
fn non_utf8_file_names_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "latin1.yaml",
        b"_format_version: \"3.0\"\nservices:\n  - name: caf\xe9\n",
    );
    let p = only_error(&[file]);
    assert!(p.message.contains("not UTF-8"), "{}", p.message);
    assert!(p.message.contains("line 3, column 14"), "{}", p.message);
}

#[test]
fn missing_file_and_missing_default() {
    let p = only_error(&[PathBuf::from("/nonexistent/kong.yaml")]);
    assert!(p.message.contains("no such file"), "{}", p.message);
}

#[test]
fn a_top_level_list_is_not_a_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "list.yaml", b"- a\n- b\n");
    let p = only_error(&[file]);
    assert!(p.message.contains("mapping"), "{}", p.message);
}

#[test]
fn format_version_1_1_says_how_to_convert() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "old.yaml", b"_format_version: \"1.1\"\n");
    let p = only_error(&[file]);
    assert!(p.message.contains("Kong 2.x"), "{}", p.message);
    assert!(p.help.as_deref().unwrap().contains("deck file convert"));
    assert_eq!((p.line, p.column), (Some(1), Some(18)));
}

#[test]
fn a_load_failure_renders_every_problem_with_its_source_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "two.yaml",
        b"_format_version: \"3.0\"\nservices:\n  - name: s\n    host: h\n    port: eighty\n    retries: -1\n",
    );
    let failure = fail(&[file]);
    assert_eq!(failure.errors().count(), 2);
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor());
    let mut out = String::new();
    handler.render_report(&mut out, &failure).unwrap();
    assert!(out.contains("2 errors in the state files"), "{out}");
    assert!(out.contains("two.yaml:5:11"), "{out}");
    assert!(out.contains("port: eighty"), "the source line: {out}");
    assert!(out.contains("two.yaml:6:14"), "{out}");
    assert!(out.contains("value should be between 0 and 32767"), "{out}");
}

#[test]
fn several_documents_in_one_file_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "multi.yaml",
        b"---\n_format_version: \"3.0\"\n---\nservices: []\n",
    );
    let p = only_error(&[file]);
    assert!(p.message.contains("several"), "{}", p.message);
    assert_eq!(p.line, Some(3));
}
