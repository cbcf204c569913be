//! `gwctl dump`.

use super::{CliResult, Global};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// State files or directories (`-` for stdin); default `kong.yaml`.
    pub files: Vec<std::path::PathBuf>,
}

pub fn run(_args: Args, _global: &Global) -> CliResult {
    Err(miette::miette!("`gwctl dump` is not built yet").into())
}
