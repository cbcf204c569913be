//! `gwctl ping`: reach the Admin API and print the gateway's address, version and round trip.

use std::time::Instant;

use super::global::Format;
use super::output::to_stdout;
use super::sync::common::{ClientArgs, connect, error, runtime};
use super::{CliResult, Exit, Global};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub client: ClientArgs,
}

pub fn run(args: Args, global: &Global) -> CliResult {
    let client = connect(global, &args.client)?;
    let started = Instant::now();
    let info = runtime()?.block_on(client.info()).map_err(error)?;
    let rtt = started.elapsed();
    let ms = rtt.as_secs_f64() * 1000.0;
    match global.format {
        Format::Json => to_stdout(format_args!(
            "{}\n",
            serde_json::to_string_pretty(&serde_json::json!({
                "addr": client.addr(),
                "version": info.version,
                "edition": info.edition,
                "bundled": info.bundled,
                "revision": info.extensions.revision,
                "batch": info.extensions.batch.is_some(),
                "rtt_ms": (ms * 10.0).round() / 10.0,
            }))
            .map_err(error)?
        )),
        _ => {
            let what = if info.bundled {
                "gwctl gateway"
            } else {
                "Kong"
            };
            let edition = info
                .edition
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default();
            to_stdout(format_args!(
                "Reached {what} {}{edition} at {} in {ms:.1} ms\n",
                info.version,
                client.addr()
            ));
        }
    }
    Ok(Exit::Success)
}
