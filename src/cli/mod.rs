//! The command line: clap definitions (one file per command), output, and exit codes.

pub mod completions;
pub mod diff;
pub mod dump;
pub mod exit;
pub mod global;
pub mod output;
pub mod ping;
pub mod render;
pub mod reset;
pub mod serve;
pub mod sync;
pub mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use exit::{CliError, CliResult, Exit};
pub use global::Global;

/// Configuration as code for API gateways: validate, diff and sync Kong-style state files.
#[derive(Debug, Parser)]
#[command(name = "gwctl", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check state files offline: schema, references, secrets; every problem at once.
    Validate(validate::Args),
    /// Show how the gateway differs from the state files (what sync would do).
    Diff(diff::Args),
    /// Make the gateway match the state files: create, update and delete.
    Sync(sync::Args),
    /// Like sync, but never delete anything.
    Apply(sync::ApplyArgs),
    /// Write the gateway's configuration as a state file.
    Dump(dump::Args),
    /// Delete every entity from the gateway.
    Reset(reset::Args),
    /// Check that the Admin API is reachable; print the gateway's version.
    Ping(ping::Args),
    /// Print the merged, substituted, defaulted state (secrets masked).
    Render(render::Args),
    /// Run the bundled gateway: Admin API and proxy.
    Serve(serve::Args),
    /// Print a shell completion script.
    Completions(completions::Args),
}

/// Parses the arguments, runs the command and maps the outcome to an exit code.
pub fn main() -> ExitCode {
    match Cli::try_parse() {
        Ok(cli) => exit::finish(run(cli)),
        Err(e) => exit::usage(&e),
    }
}

pub fn run(cli: Cli) -> CliResult {
    let global = cli.global.resolved();
    match cli.command {
        Command::Validate(args) => validate::run(args, &global),
        Command::Diff(args) => diff::run(args, &global),
        Command::Sync(args) => sync::run(args, &global),
        Command::Apply(args) => sync::run_apply(args, &global),
        Command::Dump(args) => dump::run(args, &global),
        Command::Reset(args) => reset::run(args, &global),
        Command::Ping(args) => ping::run(args, &global),
        Command::Render(args) => render::run(args, &global),
        Command::Serve(args) => serve::run(args, &global),
        Command::Completions(args) => completions::run(args),
    }
}
