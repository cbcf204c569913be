//! State files: loading, merging, env substitution, source spans, and the flat state.
//!
//! [`load`] turns files, directories and stdin into one flat, defaulted, checked [`State`];
//! every problem it finds points at file:line:col. [`assign_ids`] prepares a state for a store
//! that keys entities by id.

pub mod checks;
pub mod convert;
pub mod document;
pub mod envsubst;
pub mod ids;
pub mod index;
mod load;
pub mod locate;
pub mod model;
pub mod problem;
pub mod render;
pub mod source;
pub mod split;
pub mod yaml;

use std::collections::HashMap;
use std::path::PathBuf;

pub use ids::assign_ids;
pub use model::{Entity, MASK, Origin, State};
pub use problem::{LoadFailure, Problem, Severity, Sources};

/// Where `$NAME` references are looked up.
#[derive(Debug, Clone, Default)]
pub enum Env {
    /// The process environment.
    #[default]
    Process,
    /// A fixed map (tests, or a caller that has its own source of variables).
    Map(HashMap<String, String>),
}

/// How to load state files.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub env: Env,
    /// Unknown plugin names are warnings (offline validation: their config cannot be checked)
    /// rather than errors (a gateway that would have to run them).
    pub unknown_plugins_are_warnings: bool,
    /// Files larger than this are refused before parsing (bounded memory).
    pub max_file_bytes: u64,
    /// Nesting depth, node count and alias-expansion limits for the YAML parser.
    pub limits: yaml::Limits,
    /// Select tags from the command line; a file whose `_info.select_tags` differ is an error.
    pub select_tags: Vec<String>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            env: Env::Process,
            unknown_plugins_are_warnings: true,
            max_file_bytes: 32 * 1024 * 1024,
            limits: yaml::Limits::default(),
            select_tags: Vec::new(),
        }
    }
}

/// A successfully loaded state, with the warnings found on the way.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub state: State,
    /// Problems that do not stop loading (unknown plugins, literal secrets, ignored keys).
    pub warnings: Vec<Problem>,
    /// The files' texts, to show warnings with their source lines.
    pub sources: Sources,
}

/// Loads state files, directories (recursively, sorted; `.yaml`, `.yml`, `.json`) and `-`
/// (stdin), merged in order. No inputs means `kong.yaml` in the current directory.
///
/// Env vars are substituted, `_info.defaults` and schema defaults filled, references written
/// as objects, and everything checked: schema, plugin configs, entity checks, references,
/// duplicates. On any error, every problem found is returned at once.
pub fn load(inputs: &[PathBuf], options: &LoadOptions) -> Result<Loaded, LoadFailure> {
    load::load(inputs, options)
}
