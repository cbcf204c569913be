//! `gwctl reset`: delete every entity (within `--select-tag`), child-first.

use std::io::{IsTerminal, Write};

use super::output::to_stderr;
use super::sync::common::{connect, error, runtime, select_tags};
use super::sync::{WriteArgs, apply_and_report};
use super::{CliResult, Exit, Global};
use crate::admin::{ReadOptions, read_gateway};
use crate::plan::{DiffOptions, plan};
use crate::state::State;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(short = 'y', long, visible_alias = "force")]
    pub yes: bool,
    #[command(flatten)]
    pub write: WriteArgs,
}

pub fn run(args: Args, global: &Global) -> CliResult {
    let tags = select_tags(global, None);
    let client = connect(global, &args.write.client)?;
    let rt = runtime()?;
    let snapshot = rt
        .block_on(read_gateway(
            &client,
            &ReadOptions {
                select_tags: tags.clone(),
            },
        ))
        .map_err(error)?;
    let empty = State::default();
    let plan = plan(
        &snapshot.state,
        &empty,
        &DiffOptions {
            no_deletes: false,
            select_tags: tags.clone(),
            remote: None,
            current_complete: snapshot.info.bundled,
        },
    )
    .map_err(error)?;
    if plan.is_empty() {
        to_stderr(format_args!("nothing to delete at {}\n", client.addr()));
        return Ok(Exit::Success);
    }
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            return Err(error(
                "reset deletes everything and stdin is not a terminal to confirm; pass --yes",
            ));
        }
        let scope = if tags.is_empty() {
            String::new()
        } else {
            format!(" tagged {}", tags.join(","))
        };
        to_stderr(format_args!(
            "This deletes {} entities{scope} from {}. Continue? [y/N] ",
            plan.changes.len(),
            client.addr()
        ));
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().read_line(&mut answer);
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            return Err(error("reset cancelled; nothing was deleted"));
        }
    }
    let revision = snapshot.info.extensions.revision.clone();
    let outcome = rt.block_on(apply_and_report(
        &client,
        &snapshot.info,
        &plan,
        &args.write,
        revision,
        &snapshot.warnings,
        global,
    ));
    if outcome.is_success() {
        Ok(Exit::Success)
    } else {
        Err(error(format!("{} deletion(s) failed", outcome.failed())))
    }
}
