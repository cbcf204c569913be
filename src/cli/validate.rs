//! `gwctl validate`: check state files offline and report every problem at once.

use std::io::Write;

use super::output::to_stdout;
use super::{CliResult, Exit, Global, global::Format};
use crate::state::problem::{Problem, ProblemDiagnostic, Severity, Sources};
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
            let mut stderr = std::io::stderr().lock();
            if !global.quiet || errors > 0 {
                for problem in &problems {
                    if global.quiet && problem.severity == Severity::Warning {
                        continue;
                    }
                    let _ = write!(stderr, "{}", render(problem, &sources, global.no_color));
                }
            }
            let summary = summary(errors, warnings, args.strict);
            match entities {
                Some(n) if !failed => {
                    if !global.quiet {
                        to_stdout(format_args!("valid: {n} entities{summary}\n"));
                    }
                }
                _ => {
                    let _ = writeln!(stderr, "invalid:{}", summary.trim_start_matches(','));
                }
            }
        }
    }
    Ok(if failed {
        Exit::Problems
    } else {
        Exit::Success
    })
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
