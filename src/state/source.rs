//! Reading the inputs: files, directories (recursively, sorted) and stdin, with size, binary
//! and encoding checks, so the parser only ever sees bounded, valid UTF-8 text.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::problem::Problem;

/// One input's text, named as the user named it.
#[derive(Debug, Clone)]
pub struct Input {
    pub name: Arc<str>,
    pub text: Arc<str>,
}

/// Extensions of state files, compared case-insensitively.
const EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

fn is_state_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// Reads every input; each unreadable one becomes a problem naming it.
pub fn read_inputs(inputs: &[PathBuf], max_bytes: u64) -> (Vec<Input>, Vec<Problem>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let default = [PathBuf::from("kong.yaml")];
    let (inputs, defaulted) = if inputs.is_empty() {
        (&default[..], true)
    } else {
        (inputs, false)
    };
    for input in inputs {
        let name: Arc<str> = Arc::from(input.to_string_lossy().as_ref());
        if input.as_os_str() == "-" {
            push(&mut out, &mut problems, name, read_stdin(max_bytes));
            continue;
        }
        match std::fs::metadata(input) {
            Err(e) if defaulted && e.kind() == std::io::ErrorKind::NotFound => problems.push(
                Problem::error(
                    "input",
                    "no state file given and ./kong.yaml does not exist",
                )
                .help("name the state files or directories to read: gwctl validate FILE…"),
            ),
            Err(e) => problems.push(
                Problem::error("input", format!("cannot read {}: {}", name, io_reason(&e)))
                    .in_file(&name),
            ),
            Ok(meta) if meta.is_dir() => {
                let mut files = Vec::new();
                if let Err(e) = walk(input, &mut files) {
                    problems.push(
                        Problem::error("input", format!("cannot read directory {name}: {e}"))
                            .in_file(&name),
                    );
                    continue;
                }
                if files.is_empty() {
                    problems.push(
                        Problem::error(
                            "input",
                            format!("directory {name} holds no .yaml, .yml or .json files"),
                        )
                        .in_file(&name),
                    );
                }
                files.sort();
                for file in files {
                    let name: Arc<str> = Arc::from(file.to_string_lossy().as_ref());
                    push(&mut out, &mut problems, name, read_file(&file, max_bytes));
                }
            }
            Ok(_) => push(&mut out, &mut problems, name, read_file(input, max_bytes)),
        }
    }
    (out, problems)
}

fn push(
    out: &mut Vec<Input>,
    problems: &mut Vec<Problem>,
    name: Arc<str>,
    read: Result<Vec<u8>, String>,
) {
    match read.and_then(decode) {
        Ok(text) => out.push(Input {
            name,
            text: Arc::from(text),
        }),
        Err(message) => problems.push(Problem::error("input", message).in_file(&name)),
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&path, files)?;
        } else if is_state_file(&path) {
            files.push(path);
        }
    }
    Ok(())
}

fn too_big(max: u64) -> String {
    format!(
        "file is larger than {} MiB; state files this large are not supported (split it into several files)",
        max / (1024 * 1024)
    )
}

fn read_file(path: &Path, max: u64) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read: {}", io_reason(&e)))?;
    // Refuse a large file before reading any of it; the bounded read below still guards
    // against files that grow, and against special files whose size is unknown.
    if file.metadata().is_ok_and(|m| m.is_file() && m.len() > max) {
        return Err(too_big(max));
    }
    read_bounded(file, max)
}

fn read_stdin(max: u64) -> Result<Vec<u8>, String> {
    read_bounded(std::io::stdin().lock(), max)
}

/// Reads at most `max` bytes; one byte more means the input is too large (never buffers more).
fn read_bounded(reader: impl Read, max: u64) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    reader
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {}", io_reason(&e)))?;
    if bytes.len() as u64 > max {
        return Err(too_big(max));
    }
    Ok(bytes)
}

/// Checks the bytes are text: no NUL bytes (a binary file), valid UTF-8, not empty.
pub fn decode(bytes: Vec<u8>) -> Result<String, String> {
    if bytes.contains(&0) {
        return Err("this is a binary file, not a YAML or JSON state file".into());
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let bad = e.utf8_error().valid_up_to();
            let before = &e.as_bytes()[..bad];
            let line = before.iter().filter(|b| **b == b'\n').count() as u64 + 1;
            let line_start = before
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |p| p + 1);
            let column = String::from_utf8_lossy(&before[line_start..])
                .chars()
                .count() as u64
                + 1;
            return Err(format!(
                "not UTF-8: invalid byte at line {line}, column {column}; save the file as UTF-8"
            ));
        }
    };
    let text = text
        .strip_prefix('\u{feff}')
        .map(str::to_string)
        .unwrap_or(text);
    let blank = text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'));
    if blank {
        return Err("file is empty: a state file needs at least `_format_version: \"3.0\"`".into());
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_rejects_binary_non_utf8_and_empty() {
        assert!(decode(b"a\0b".to_vec()).unwrap_err().contains("binary"));
        let e = decode(b"a: 1\nb: \xff\n".to_vec()).unwrap_err();
        assert!(e.contains("line 2, column 4"), "{e}");
        assert!(
            decode(b"# only a comment\n\n".to_vec())
                .unwrap_err()
                .contains("empty")
        );
        assert_eq!(decode("\u{feff}a: 1".as_bytes().to_vec()).unwrap(), "a: 1");
    }

    #[test]
    fn bounded_reads_stop_early() {
        let data = [b'a'; 100];
        assert!(
            read_bounded(&data[..], 99)
                .unwrap_err()
                .contains("larger than")
        );
        assert_eq!(read_bounded(&data[..], 100).unwrap().len(), 100);
    }
}
