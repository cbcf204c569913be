//! Printing results: the plan and outcome in the chosen format on stdout, warnings and problems
//! on stderr. Colours only on a terminal, never with `--no-color` or `NO_COLOR`.

use std::io::{IsTerminal, Write};

use super::global::Format;
use super::{CliResult, Global};
use crate::plan::model::{Outcome, Plan};
use crate::plan::render::{human, json, markdown};

/// Writes to stderr, ignoring failure: when stderr is a closed pipe (`gwctl … 2>&1 | head`),
/// `eprint!` would panic instead of letting gwctl finish with its own exit code.
pub fn to_stderr(text: impl std::fmt::Display) {
    let _ = write!(std::io::stderr().lock(), "{text}");
}

/// Writes to stdout, ignoring failure, for the same reason (`gwctl … | head`).
pub fn to_stdout(text: impl std::fmt::Display) {
    let _ = write!(std::io::stdout().lock(), "{text}");
}

pub fn style(global: &Global) -> human::Style {
    human::Style {
        color: !global.no_color && std::io::stdout().is_terminal(),
    }
}

/// What to print about a plan (and, after applying, its outcome).
pub struct Report<'a> {
    pub plan: &'a Plan,
    pub outcome: Option<&'a Outcome>,
    pub warnings: &'a [String],
    pub errors: &'a [String],
    pub addr: &'a str,
    /// Print the event lines (diff; sync before the summary).
    pub changes: bool,
}

thread_local! {
    /// Whether a report was printed during this command (see [`with_json_errors`]).
    static PRINTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

pub fn print(global: &Global, report: &Report) {
    PRINTED.with(|p| p.set(true));
    let mut stdout = std::io::stdout().lock();
    let style = style(global);
    match global.format {
        Format::Human => {
            let mut text = String::new();
            if report.changes {
                text.push_str(&human::render_changes(report.plan, style));
            }
            text.push_str(&human::render_summary(report.plan, report.outcome, style));
            let _ = stdout.write_all(text.as_bytes());
            if let Some(outcome) = report.outcome {
                to_stderr(human::render_problems(report.plan, outcome));
            }
            print_warnings(global, report.warnings);
        }
        Format::Json => {
            let doc = json::document(report.plan, report.outcome, report.warnings, report.errors);
            let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
            let _ = writeln!(stdout, "{text}");
            // Warnings go to stderr so the document stays parseable (decK #1588).
            print_warnings(global, report.warnings);
        }
        Format::Markdown => {
            let mut text = markdown::document(report.plan, report.addr);
            if let Some(outcome) = report.outcome {
                text.push_str(&format!(
                    "\nApplied {}, failed {}, skipped {}.\n",
                    outcome.applied(),
                    outcome.failed(),
                    outcome.skipped()
                ));
                to_stderr(human::render_problems(report.plan, outcome));
            }
            let _ = stdout.write_all(text.as_bytes());
            print_warnings(global, report.warnings);
        }
    }
}

pub fn print_warnings(global: &Global, warnings: &[String]) {
    if global.quiet {
        return;
    }
    for w in warnings {
        to_stderr(format_args!("warning: {w}\n"));
    }
}

/// Runs a command; in JSON mode, an error before any report was printed still yields one
/// document on stdout (no changes, the error under `errors`), so CI parsers always get JSON.
pub fn with_json_errors(global: &Global, command: impl FnOnce() -> CliResult) -> CliResult {
    PRINTED.with(|p| p.set(false));
    let result = command();
    if let Err(error) = &result
        && global.format == Format::Json
        && !PRINTED.with(|p| p.get())
    {
        let errors = match error.reported_errors() {
            Some(errors) => errors.to_vec(),
            None => vec![format!("{}", error.0)],
        };
        let doc = json::document(&Plan::default(), None, &[], &errors);
        to_stdout(format_args!(
            "{}\n",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        ));
    }
    result
}
