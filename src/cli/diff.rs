//! `gwctl diff`: read the gateway and print what sync would do.

use std::path::PathBuf;

use super::output::{Report, print};
use super::sync::common::{ClientArgs, connect, error, remote_schemas, runtime, select_tags};
use super::sync::input;
use super::{CliResult, Exit, Global};
use crate::admin::info::state_plugins;
use crate::admin::{ReadOptions, read_gateway};
use crate::plan::saved::{fingerprint, save};
use crate::plan::{DiffOptions, plan};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// State files or directories (`-` for stdin); default `kong.yaml`.
    pub files: Vec<PathBuf>,
    /// Exit with 2 when there are changes (after printing everything).
    #[arg(long, visible_alias = "non-zero-exit-code")]
    pub exit_code: bool,
    /// Save the plan to FILE, for `gwctl sync --plan FILE` (holds env-var names, not values).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Show what `apply` would do: no deletes.
    #[arg(long)]
    pub no_deletes: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}

pub fn run(args: Args, global: &Global) -> CliResult {
    super::output::with_json_errors(global, || diff(args, global))
}

fn diff(args: Args, global: &Global) -> CliResult {
    let input = input::load_files(&args.files, global)?;
    let target = input.state;
    let tags = select_tags(global, Some(&target));
    let client = connect(global, &args.client)?;
    runtime()?.block_on(async {
        let snapshot = read_gateway(
            &client,
            &ReadOptions {
                select_tags: tags.clone(),
            },
        )
        .await
        .map_err(error)?;
        snapshot
            .info
            .check_plugins(client.addr(), state_plugins(&target))
            .map_err(error)?;
        let remote = remote_schemas(&client, &snapshot.info, &target).await;
        let plan = plan(
            &snapshot.state,
            &target,
            &DiffOptions {
                remote,
                current_complete: snapshot.info.bundled,
                no_deletes: args.no_deletes,
                select_tags: tags.clone(),
            },
        )
        .map_err(|e| error(target.mask_text(&e.to_string())))?;
        print(
            global,
            &Report {
                plan: &plan,
                outcome: None,
                warnings: &[input.warnings.clone(), snapshot.warnings.clone()].concat(),
                errors: &[],
                addr: client.addr(),
                changes: true,
            },
        );
        if let Some(path) = &args.out {
            let saved = save(
                &plan,
                client.addr(),
                &tags,
                snapshot.info.extensions.revision.clone(),
                fingerprint(&snapshot.state),
                args.no_deletes,
            );
            let text = serde_json::to_string_pretty(&saved).map_err(error)?;
            super::dump::write_private(path, &text)?;
        }
        Ok(if args.exit_code && !plan.is_empty() {
            Exit::Changes
        } else {
            Exit::Success
        })
    })
}
