//! `gwctl sync` and `gwctl apply`.

use super::{CliResult, Global};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// State files or directories (`-` for stdin); default `kong.yaml`.
    pub files: Vec<std::path::PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// State files or directories (`-` for stdin); default `kong.yaml`.
    pub files: Vec<std::path::PathBuf>,
}

pub fn run(_args: Args, _global: &Global) -> CliResult {
    Err(miette::miette!("`gwctl sync` is not built yet").into())
}

pub fn run_apply(_args: ApplyArgs, _global: &Global) -> CliResult {
    Err(miette::miette!("`gwctl apply` is not built yet").into())
}
