//! `gwctl sync` and `gwctl apply`: make the gateway match the files (apply never deletes).
//! The shared plumbing of every online command lives in [`common`]; loading files in [`input`].

pub mod common;
pub mod input;

use std::path::PathBuf;

use common::{ClientArgs, connect, error, remote_schemas, runtime, select_tags};

use super::output::{Report, print};
use super::{CliResult, Exit, Global};
use crate::admin::info::{plan_plugins, state_plugins};
use crate::admin::{AdminClient, GatewayInfo, ReadOptions, read_gateway};
use crate::apply::{ApplyOptions, apply};
use crate::plan::model::Outcome;
use crate::plan::saved::{SavedPlan, fingerprint, restore};
use crate::plan::{DiffOptions, Plan, plan};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// State files or directories (`-` for stdin); default `kong.yaml`.
    pub files: Vec<PathBuf>,
    /// Apply a plan saved by `gwctl diff --out FILE` instead of reading state files.
    #[arg(long, value_name = "FILE", conflicts_with = "files")]
    pub plan: Option<PathBuf>,
    /// Allow an empty state to delete everything on the gateway.
    #[arg(long)]
    pub allow_empty: bool,
    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// State files or directories (`-` for stdin); default `kong.yaml`.
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub write: WriteArgs,
}

/// Options of the commands that write.
#[derive(Debug, Clone, clap::Args)]
pub struct WriteArgs {
    /// Write entity by entity even when the gateway offers an atomic batch.
    #[arg(long)]
    pub no_atomic: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}

pub fn run(args: Args, global: &Global) -> CliResult {
    super::output::with_json_errors(global, || match &args.plan {
        Some(path) => run_saved(path, &args.write, global),
        None => reconcile(&args.files, &args.write, args.allow_empty, false, global),
    })
}

pub fn run_apply(args: ApplyArgs, global: &Global) -> CliResult {
    super::output::with_json_errors(global, || {
        reconcile(&args.files, &args.write, true, true, global)
    })
}

fn reconcile(
    files: &[PathBuf],
    write: &WriteArgs,
    allow_empty: bool,
    no_deletes: bool,
    global: &Global,
) -> CliResult {
    let input = input::load_files(files, global)?;
    let target = input.state;
    let tags = select_tags(global, Some(&target));
    let client = connect(global, &write.client)?;
    runtime()?.block_on(async {
        let snapshot = read_gateway(
            &client,
            &ReadOptions {
                select_tags: tags.clone(),
            },
        )
        .await
        .map_err(error)?;
        // Before anything is written: a plugin the target lacks would fail mid-sync.
        snapshot
            .info
            .check_plugins(client.addr(), state_plugins(&target))
            .map_err(error)?;
        if target.is_empty() && !snapshot.state.is_empty() && !allow_empty && !no_deletes {
            return Err(error(format!(
                "the state files hold no entities but the gateway has {}; syncing would delete \
                 all of them. Pass --allow-empty if that is intended (or use `gwctl reset`)",
                snapshot.state.len()
            )));
        }
        let remote = remote_schemas(&client, &snapshot.info, &target).await;
        let plan = plan(
            &snapshot.state,
            &target,
            &DiffOptions {
                remote,
                current_complete: snapshot.info.bundled,
                no_deletes,
                select_tags: tags,
            },
        )
        .map_err(|e| error(target.mask_text(&e.to_string())))?;
        let warnings = [input.warnings.clone(), snapshot.warnings.clone()].concat();
        let revision = snapshot.info.extensions.revision.clone();
        let outcome = apply_and_report(
            &client,
            &snapshot.info,
            &plan,
            write,
            revision,
            &warnings,
            global,
        )
        .await;
        if outcome.is_success() {
            Ok(Exit::Success)
        } else {
            Err(error(format!(
                "{} change(s) failed and {} were skipped{}",
                outcome.failed(),
                outcome.skipped(),
                if outcome.atomic {
                    "; the batch was rolled back, the gateway is unchanged"
                } else {
                    ""
                }
            )))
        }
    })
}

fn run_saved(path: &PathBuf, write: &WriteArgs, global: &Global) -> CliResult {
    let text = std::fs::read_to_string(path)
        .map_err(|e| error(format!("cannot read plan {}: {e}", path.display())))?;
    let saved: SavedPlan = serde_json::from_str(&text)
        .map_err(|e| error(format!("{} is not a gwctl plan: {e}", path.display())))?;
    let plan = restore(&saved).map_err(error)?;
    let client = connect(global, &write.client)?;
    runtime()?.block_on(async {
        let snapshot = read_gateway(
            &client,
            &ReadOptions {
                select_tags: saved.select_tags.clone(),
            },
        )
        .await
        .map_err(error)?;
        snapshot
            .info
            .check_plugins(client.addr(), plan_plugins(&plan))
            .map_err(error)?;
        let now_revision = snapshot.info.extensions.revision.clone();
        let changed = match (&saved.revision, &now_revision) {
            (Some(then), Some(now)) => then != now,
            _ => saved.fingerprint != fingerprint(&snapshot.state),
        };
        if changed {
            return Err(error(format!(
                "the gateway at {} changed since the plan was made{}; run `gwctl diff --out {}` again",
                client.addr(),
                match (&saved.revision, &now_revision) {
                    (Some(then), Some(now)) => format!(" (revision {then}, now {now})"),
                    _ => String::new(),
                },
                path.display()
            )));
        }
        let revision = saved.revision.clone();
        let outcome = apply_and_report(&client, &snapshot.info, &plan, write, revision, &snapshot.warnings, global).await;
        if outcome.is_success() {
            Ok(Exit::Success)
        } else {
            Err(error(format!(
                "{} change(s) failed and {} were skipped",
                outcome.failed(),
                outcome.skipped()
            )))
        }
    })
}

/// Applies a plan with the write options every writing command shares, and prints the report
/// (applied, failed, skipped) in the chosen format. `expected_revision` makes an atomic batch
/// conditional on the gateway not having changed since it was read.
pub(super) async fn apply_and_report(
    client: &AdminClient,
    info: &GatewayInfo,
    plan: &Plan,
    write: &WriteArgs,
    expected_revision: Option<String>,
    warnings: &[String],
    global: &Global,
) -> Outcome {
    let options = ApplyOptions {
        parallelism: global.parallelism as usize,
        atomic: !write.no_atomic,
        progress: !global.quiet,
        expected_revision,
    };
    let outcome = apply(client, info, plan, &options).await;
    print(
        global,
        &Report {
            plan,
            outcome: Some(&outcome),
            warnings,
            errors: &[],
            addr: client.addr(),
            changes: true,
        },
    );
    outcome
}
