//! `gwctl render`: the merged, substituted, defaulted state, as YAML (default) or JSON
//! (`--format json`). Secrets from the environment are shown as `[masked]` unless
//! `--show-secrets`.

use std::io::Write;

use super::validate::{failed, print_problems};
use super::{CliResult, Exit, Global, global::Format};
use crate::state::render::{Secrets, to_document};
use crate::state::{LoadOptions, load};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// State files or directories (`-` for stdin); default `kong.yaml`.
    pub files: Vec<std::path::PathBuf>,
    /// Print values taken from the environment instead of `[masked]`.
    #[arg(long)]
    pub show_secrets: bool,
}

pub fn run(args: Args, global: &Global) -> CliResult {
    let options = LoadOptions {
        select_tags: global.select_tags.clone(),
        ..LoadOptions::default()
    };
    let loaded = load(&args.files, &options).map_err(|failure| failed(&failure, global))?;
    print_problems(&loaded.warnings, &loaded.sources, global);
    let secrets = if args.show_secrets {
        Secrets::Show
    } else {
        Secrets::Mask
    };
    let document = to_document(&loaded.state, secrets);
    let text = match global.format {
        Format::Json => {
            serde_json::to_string_pretty(&document)
                .map_err(|e| miette::miette!("cannot write JSON: {e}"))?
                + "\n"
        }
        Format::Human | Format::Markdown => serde_saphyr::to_string(&document)
            .map_err(|e| miette::miette!("cannot write YAML: {e}"))?,
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .map_err(|e| miette::miette!("cannot write output: {e}"))?;
    Ok(Exit::Success)
}
