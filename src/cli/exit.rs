//! The one place where outcomes become exit codes.
//!
//! 0: success. 1: an error, or problems found (validate). 2: `diff --exit-code` found changes.

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

pub type CliResult = Result<Exit, CliError>;

/// Prints an error (if any) and returns the process exit code.
pub fn finish(result: CliResult) -> ExitCode {
    match result {
        Ok(Exit::Success) => ExitCode::SUCCESS,
        Ok(Exit::Problems) => ExitCode::from(1),
        Ok(Exit::Changes) => ExitCode::from(2),
        Err(CliError(report)) => {
            super::output::to_stderr(format_args!("{report:?}\n"));
            ExitCode::from(1)
        }
    }
}
