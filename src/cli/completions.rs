//! `gwctl completions SHELL`: completion scripts generated from the one clap definition.

use clap::CommandFactory;
use clap_complete::Shell;

use super::{Cli, CliResult, Exit};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to generate a completion script for.
    pub shell: Shell,
}

pub fn run(args: Args) -> CliResult {
    let mut stdout = std::io::stdout();
    write(args.shell, &mut stdout);
    Ok(Exit::Success)
}

/// Writes the completion script for `shell` (the committed `completions/` files come from this).
pub fn write(shell: Shell, out: &mut dyn std::io::Write) {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "gwctl", out);
}
