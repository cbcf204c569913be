//! Loading the state files for diff/sync/apply through the state loader (`state::load`):
//! problems shown exactly as `gwctl validate` shows them, every one at once, each at
//! file:line:col.

use std::path::PathBuf;

use crate::cli::global::Format;
use crate::cli::validate::{failed, one_line, print_problems};
use crate::cli::{CliError, Global};
use crate::state::{LoadOptions, State, load};

pub struct Input {
    pub state: State,
    /// The loader's warnings not yet shown, one line each (`file:line:col: message`): in JSON
    /// mode, for the document; otherwise they have been printed already, as `validate` does.
    pub warnings: Vec<String>,
}

pub fn load_files(files: &[PathBuf], global: &Global) -> Result<Input, CliError> {
    let options = LoadOptions {
        select_tags: global.select_tags.clone(),
        // A real Kong may run plugins gwctl does not know; the target judges them.
        unknown_plugins_are_warnings: true,
        ..LoadOptions::default()
    };
    let loaded = load(files, &options).map_err(|failure| failed(&failure, global))?;
    let warnings = if global.format == Format::Json {
        loaded.warnings.iter().map(one_line).collect()
    } else {
        print_problems(&loaded.warnings, &loaded.sources, global);
        Vec::new()
    };
    Ok(Input {
        warnings,
        state: loaded.state,
    })
}
