//! `gwctl validate`: check state files offline and report every problem at once.

use std::io::Write;

use super::output::to_stdout;
use super::{CliError, CliResult, Exit, Global, global::Format};
use crate::state::problem::{LoadFailure, Problem, ProblemDiagnostic, Severity, Sources};
use crate::state::{LoadOptions, load};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// State files or directories (`-` for stdin); default `kong.yaml`.
    pub files: Vec<std::path::PathBuf>,
    /// Fail on warnings too (unknown plugins, literal secrets).
    #[arg(long)]
    pub strict: bool,
}

pub fn run(args: Args, global: &Global) -> CliResult {
    let options = LoadOptions {
        select_tags: global.select_tags.clone(),
        ..LoadOptions::default()
    };
    let (problems, sources, entities) = match load(&args.files, &options) {
        Ok(loaded) => {
            let entities = loaded.state.len();
            // The process ends right after this; freeing a large state entity by entity
            // would only cost time (a pre-commit hook runs this on every commit).
            std::mem::forget(loaded.state);
            (loaded.warnings, loaded.sources, Some(entities))
        }
        Err(failure) => (failure.problems, failure.sources, None),
    };
    let errors = problems.iter().filter(|p| p.is_error()).count();
    let warnings = problems.len() - errors;
    let failed = errors > 0 || (args.strict && warnings > 0);
    match global.format {
        Format::Json => {
            let mut stdout = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut stdout, &problems)
                .map_err(|e| miette::miette!("cannot write JSON: {e}"))?;
            let _ = writeln!(stdout);
        }
        Format::Human | Format::Markdown => {
            print_problems(&problems, &sources, global);
            let summary = summary(errors, warnings, args.strict);
            match entities {
                Some(n) if !failed => {
                    if !global.quiet {
                        to_stdout(format_args!("valid: {n} entities{summary}\n"));
                    }
                }
                _ => print_invalid(&summary),
            }
        }
    }
    Ok(if failed {
        Exit::Problems
    } else {
        Exit::Success
    })
}

/// Prints problems to stderr, each as a compiler-style diagnostic; with `--quiet`, only the
/// errors.
pub fn print_problems(problems: &[Problem], sources: &Sources, global: &Global) {
    let errors = problems.iter().any(Problem::is_error);
    if global.quiet && !errors {
        return;
    }
    let mut stderr = std::io::stderr().lock();
    for problem in problems {
        if global.quiet && problem.severity == Severity::Warning {
            continue;
        }
        let _ = write!(stderr, "{}", render(problem, sources, global.no_color));
    }
}

fn print_invalid(summary: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "invalid:{}", summary.trim_start_matches(','));
}

/// State files that did not load, shown exactly as `validate` shows them (every problem,
/// then `invalid: N errors`), for the commands that read state files (diff, sync, apply,
/// render): the error they return has been printed and exits 1.
pub fn failed(failure: &LoadFailure, global: &Global) -> CliError {
    print_problems(&failure.problems, &failure.sources, global);
    let errors = failure.errors().count();
    print_invalid(&summary(errors, failure.problems.len() - errors, false));
    CliError::reported(
        failure.to_string(),
        failure.errors().map(one_line).collect(),
    )
}

/// A problem on one line: `file:line:col: message` (as far as the place is known).
pub fn one_line(problem: &Problem) -> String {
    match (&problem.file, problem.line, problem.column) {
        (Some(file), Some(l), Some(c)) => format!("{file}:{l}:{c}: {}", problem.message),
        (Some(file), _, _) => format!("{file}: {}", problem.message),
        _ => problem.message.clone(),
    }
}

fn summary(errors: usize, warnings: usize, strict: bool) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut parts = Vec::new();
    if errors > 0 {
        parts.push(plural(errors, "error"));
    }
    if warnings > 0 {
        let mut w = plural(warnings, "warning");
        if strict {
            w.push_str(" (--strict)");
        }
        parts.push(w);
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(", {}", parts.join(", "))
    }
}

/// One problem as a compiler-style diagnostic: file:line:col, the source line, a label.
pub fn render(problem: &Problem, sources: &Sources, no_color: bool) -> String {
    render_diagnostic(&problem.diagnostic(sources), no_color)
}

pub fn render_diagnostic(diagnostic: &ProblemDiagnostic, no_color: bool) -> String {
    use miette::{GraphicalReportHandler, GraphicalTheme};
    let colors = !no_color
        && std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let theme = if colors {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let mut out = String::new();
    let handler = GraphicalReportHandler::new_themed(theme);
    if handler.render_report(&mut out, diagnostic).is_err() {
        out = format!("{diagnostic}\n");
    }
    out
}
