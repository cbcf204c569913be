//! Problems found in state files, each pointing at file:line:col, rendered as miette
//! diagnostics (human output) or serialised as `{file, line, column, path, severity, code,
//! message}` (`--format json`).

use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};
use serde::Serialize;

use super::locate::pointer;
use crate::kinds::validate::{Path, Seg};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// Where in a source text a problem is: 1-based line and column, and the byte range to
/// underline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub line: u64,
    pub column: u64,
    pub offset: usize,
    pub len: usize,
}

/// Where a problem sits before its line and column are known: a path inside its file. Places
/// are looked up only when there are problems to show, so valid files parse once, fast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub path: Path,
    /// Point at the key rather than the value (unknown fields).
    pub on_key: bool,
    /// A byte range inside the string scalar (an env reference), when it can be narrowed.
    pub within: Option<(usize, usize)>,
    /// The value is a literal secret: blank it out of the source text diagnostics show.
    pub blank: bool,
}

/// One problem in the state files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file as the user named it (`-` for stdin); None when no file is involved.
    #[serde(serialize_with = "file_name")]
    pub file: Option<Arc<str>>,
    pub line: Option<u64>,
    pub column: Option<u64>,
    /// JSON pointer inside the file (`/services/0/routes/0/paths/0`); empty for the whole file.
    pub path: String,
    pub severity: Severity,
    /// A stable identifier (`schema`, `reference`, `duplicate`, `env`, `secret`, …).
    pub code: &'static str,
    pub message: String,
    /// What to do about it (shown in human output only).
    #[serde(skip)]
    pub help: Option<String>,
    #[serde(skip)]
    pub place: Option<Place>,
    /// The short text under the underlined span.
    #[serde(skip)]
    pub label: Option<String>,
    #[serde(skip)]
    pub anchor: Option<Anchor>,
}

fn file_name<S: serde::Serializer>(file: &Option<Arc<str>>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_some(&file.as_deref())
}

impl Problem {
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Problem {
            file: None,
            line: None,
            column: None,
            path: String::new(),
            severity: Severity::Error,
            code,
            message: message.into(),
            help: None,
            place: None,
            label: None,
            anchor: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Warning,
            ..Problem::error(code, message)
        }
    }

    pub fn in_file(mut self, file: &Arc<str>) -> Self {
        self.file = Some(file.clone());
        self
    }

    pub fn at(mut self, place: Option<Place>) -> Self {
        self.set_place(place);
        self
    }

    pub fn set_place(&mut self, place: Option<Place>) {
        if let Some(place) = place {
            self.line = Some(place.line);
            self.column = Some(place.column);
        }
        self.place = place;
    }

    pub fn pointer(mut self, pointer: impl Into<String>) -> Self {
        self.path = pointer.into();
        self
    }

    /// Sets the JSON pointer and remembers the path, to find line and column later.
    pub fn anchored(mut self, path: &[Seg], on_key: bool) -> Self {
        self.path = pointer(path);
        self.anchor = Some(Anchor {
            path: path.to_vec(),
            on_key,
            within: None,
            blank: false,
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:col`, as far as it is known.
    pub fn position(&self) -> String {
        let mut out = self.file.as_deref().unwrap_or("<input>").to_string();
        if let (Some(line), Some(column)) = (self.line, self.column) {
            out.push_str(&format!(":{line}:{column}"));
        }
        out
    }

    /// Pairs the problem with its file's text so miette can show the source line.
    pub fn diagnostic(&self, sources: &Sources) -> ProblemDiagnostic {
        let source = self
            .file
            .as_ref()
            .and_then(|f| sources.text(f))
            .map(|text| NamedSource::new(self.file.as_deref().unwrap_or("-"), text));
        ProblemDiagnostic {
            problem: self.clone(),
            source,
        }
    }
}

/// The texts of the loaded files, for showing source lines. Literal secrets are already
/// blanked out of these copies, so a diagnostic never prints one.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<(Arc<str>, Arc<str>)>,
}

impl Sources {
    pub fn add(&mut self, name: Arc<str>, text: Arc<str>) {
        self.files.push((name, text));
    }

    pub fn text(&self, name: &str) -> Option<Arc<str>> {
        self.files
            .iter()
            .find(|(n, _)| &**n == name)
            .map(|(_, t)| t.clone())
    }

    /// Overwrites byte ranges of a file's display copy with `*` (literal secrets).
    pub fn blank(&mut self, name: &str, ranges: &[(usize, usize)]) {
        if ranges.is_empty() {
            return;
        }
        if let Some((_, text)) = self.files.iter_mut().find(|(n, _)| &**n == name) {
            let mut bytes = text.as_bytes().to_vec();
            for &(offset, len) in ranges {
                let end = (offset + len).min(bytes.len());
                for b in &mut bytes[offset.min(end)..end] {
                    *b = b'*';
                }
            }
            // Whole multi-byte characters are covered by value spans, so this stays UTF-8;
            // fall back to a lossy copy rather than ever failing to print.
            let masked = String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
            *text = Arc::from(masked);
        }
    }
}

/// A problem with its source text: what miette renders.
#[derive(Debug)]
pub struct ProblemDiagnostic {
    problem: Problem,
    source: Option<NamedSource<Arc<str>>>,
}

impl fmt::Display for ProblemDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.problem;
        write!(f, "{}: {}", p.position(), p.message)
    }
}

impl std::error::Error for ProblemDiagnostic {}

impl Diagnostic for ProblemDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(format!("gwctl::{}", self.problem.code)))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.problem.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.problem
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.problem.place?;
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let place = self.problem.place?;
        self.source.as_ref()?;
        let label = self
            .problem
            .label
            .clone()
            .unwrap_or_else(|| "here".to_string());
        Some(Box::new(std::iter::once(LabeledSpan::new(
            Some(label),
            place.offset,
            place.len,
        ))))
    }
}

/// Loading failed: every problem found (errors and warnings), with the texts to show them.
#[derive(Debug)]
pub struct LoadFailure {
    pub problems: Vec<Problem>,
    pub sources: Sources,
    diagnostics: Vec<ProblemDiagnostic>,
}

impl LoadFailure {
    pub fn new(problems: Vec<Problem>, sources: Sources) -> Self {
        let diagnostics = problems.iter().map(|p| p.diagnostic(&sources)).collect();
        LoadFailure {
            problems,
            sources,
            diagnostics,
        }
    }

    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| p.is_error())
    }

    /// One miette diagnostic per problem, in order.
    pub fn diagnostics(&self) -> &[ProblemDiagnostic] {
        &self.diagnostics
    }
}

impl fmt::Display for LoadFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errors().count() {
            1 => write!(f, "1 error in the state files"),
            n => write!(f, "{n} errors in the state files"),
        }
    }
}

impl std::error::Error for LoadFailure {}

impl Diagnostic for LoadFailure {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("gwctl::state"))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(
            self.diagnostics.iter().map(|d| d as &dyn Diagnostic),
        ))
    }
}
