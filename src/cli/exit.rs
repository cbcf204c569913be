//! The one place where outcomes become exit codes.
//!
//! 0: success. 1: an error, or problems found (validate), or a usage error. 2: `diff
//! --exit-code` found changes (as Terraform's `-detailed-exitcode`), and nothing else.

use std::process::ExitCode;

/// A successful outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Success,
    /// `validate` found problems; they have been printed.
    Problems,
    /// `diff --exit-code` found changes; the output has been printed.
    Changes,
}

/// A failure: printed as a miette report to stderr, exit code 1.
#[derive(Debug)]
pub struct CliError(pub miette::Report);

impl<E> From<E> for CliError
where
    E: Into<miette::Report>,
{
    fn from(error: E) -> Self {
        CliError(error.into())
    }
}

impl CliError {
    /// An error already printed in full (state-file problems, shown as `validate` shows
    /// them): exit code 1 with nothing more on stderr. `errors` are its problems one line
    /// each, for the `errors` of a JSON document.
    pub fn reported(summary: String, errors: Vec<String>) -> Self {
        CliError(miette::Report::new(Reported { summary, errors }))
    }

    /// The one-line errors of an error already printed ([`CliError::reported`]).
    pub fn reported_errors(&self) -> Option<&[String]> {
        self.0
            .downcast_ref::<Reported>()
            .map(|r| r.errors.as_slice())
    }
}

/// See [`CliError::reported`].
#[derive(Debug)]
struct Reported {
    summary: String,
    errors: Vec<String>,
}

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.summary)
    }
}

impl std::error::Error for Reported {}

impl miette::Diagnostic for Reported {}

pub type CliResult = Result<Exit, CliError>;

/// Prints an error (if any) and returns the process exit code.
pub fn finish(result: CliResult) -> ExitCode {
    match result {
        Ok(Exit::Success) => ExitCode::SUCCESS,
        Ok(Exit::Problems) => ExitCode::from(1),
        Ok(Exit::Changes) => ExitCode::from(2),
        Err(error) => {
            if error.reported_errors().is_none() {
                super::output::to_stderr(format_args!("{:?}\n", error.0));
            }
            ExitCode::from(1)
        }
    }
}

/// Prints a command-line parsing outcome: `--help` and `--version` exit 0, usage errors 1
/// (clap's own 2 would read as "changes" after `diff --exit-code`).
pub fn usage(error: &clap::Error) -> ExitCode {
    // A closed stdout or stderr is no reason to panic.
    let _ = error.print();
    if error.use_stderr() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
