//! Loading the state files for diff/sync/apply through the state loader (`state::load`):
//! every problem at once, each at file:line:col; warnings returned for stderr.

use std::path::PathBuf;

use crate::cli::CliError;
use crate::state::{LoadOptions, Problem, State, load};

pub struct Input {
    pub state: State,
    /// The loader's warnings, one line each (`file:line:col: message`).
    pub warnings: Vec<String>,
}

pub fn load_files(files: &[PathBuf], select_tags: &[String]) -> Result<Input, CliError> {
    let options = LoadOptions {
        select_tags: select_tags.to_vec(),
        // A real Kong may run plugins gwctl does not know; the target judges them.
        unknown_plugins_are_warnings: true,
        ..LoadOptions::default()
    };
    let loaded = load(files, &options).map_err(|failure| CliError(failure.into()))?;
    Ok(Input {
        warnings: loaded.warnings.iter().map(line).collect(),
        state: loaded.state,
    })
}

fn line(problem: &Problem) -> String {
    match (&problem.file, problem.line, problem.column) {
        (Some(file), Some(l), Some(c)) => format!("{file}:{l}:{c}: {}", problem.message),
        (Some(file), _, _) => format!("{file}: {}", problem.message),
        _ => problem.message.clone(),
    }
}
