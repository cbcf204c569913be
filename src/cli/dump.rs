//! `gwctl dump`: the gateway's configuration as a state file (`dump` then `sync` is a no-op).

mod nest;

use std::io::Write;
use std::path::{Path, PathBuf};

pub use nest::{Options, document};

use super::global::Format;
use super::sync::common::{ClientArgs, connect, error, runtime, select_tags};
use super::{CliError, CliResult, Exit, Global};
use crate::admin::{ReadOptions, read_gateway};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write to FILE (mode 0600) instead of stdout.
    #[arg(short = 'o', long = "output-file", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Keep every entity's id, even where a natural key identifies it.
    #[arg(long)]
    pub with_id: bool,
    /// Replace every secret (credential keys and passwords, certificate keys, plugin secrets
    /// such as ai-proxy's header_value) with `[masked]`, for sharing; such a dump cannot be
    /// synced back.
    #[arg(long)]
    pub sanitize: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}

pub fn run(args: Args, global: &Global) -> CliResult {
    let tags = select_tags(global, None);
    let client = connect(global, &args.client)?;
    let snapshot = runtime()?
        .block_on(read_gateway(
            &client,
            &ReadOptions {
                select_tags: tags.clone(),
            },
        ))
        .map_err(error)?;
    let doc = document(
        &snapshot.state,
        Options {
            with_id: args.with_id,
            sanitize: args.sanitize,
            select_tags: &tags,
        },
    );
    let json = match global.format {
        Format::Json => true,
        Format::Human => args
            .output
            .as_ref()
            .and_then(|p| p.extension())
            .is_some_and(|e| e == "json"),
        Format::Markdown => {
            return Err(error(
                "dump writes YAML or JSON; --format markdown is for diff and sync",
            ));
        }
    };
    let text = if json {
        let mut t = serde_json::to_string_pretty(&doc).map_err(error)?;
        t.push('\n');
        t
    } else {
        serde_saphyr::to_string(&doc).map_err(error)?
    };
    match &args.output {
        Some(path) => write_private(path, &text)?,
        None => {
            let _ = std::io::stdout().write_all(text.as_bytes());
        }
    }
    super::output::print_warnings(global, &snapshot.warnings);
    Ok(Exit::Success)
}

/// Writes a file only its owner can read: dumps and plans can hold credentials.
pub fn write_private(path: &Path, text: &str) -> Result<(), CliError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| error(format!("cannot write {}: {e}", path.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // An existing file keeps its mode on open; tighten it.
        let _ = file.set_permissions(std::fs::Permissions::from_mode(0o600));
    }
    file.write_all(text.as_bytes())
        .map_err(|e| error(format!("cannot write {}: {e}", path.display())))
}
