//! What every online command shares: the client options, the connection, select tags and the
//! async runtime.

use std::sync::Arc;

use crate::admin::schemas::fetch_schemas;
use crate::admin::{AdminClient, ClientConfig, GatewayInfo};
use crate::cli::{CliError, Global};
use crate::plan::remote::RemoteSchemas;
use crate::state::State;

/// Client options beyond the global ones.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ClientArgs {
    /// Cap on Admin API requests per second (default: no cap).
    #[arg(long, value_name = "N", value_parser = parse_rps)]
    pub rps: Option<f64>,
}

fn parse_rps(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(n) if n > 0.0 && n.is_finite() => Ok(n),
        _ => Err("expected a positive number of requests per second".into()),
    }
}

pub fn error(message: impl std::fmt::Display) -> CliError {
    CliError(miette::miette!("{message}"))
}

/// Error reports without line wrapping: "cannot reach the Admin API …" stays one line in
/// logs whatever the terminal width. (A hook can only be set once; a second call is a no-op.)
fn unwrapped_reports() {
    let _ = miette::set_hook(Box::new(|_| {
        Box::new(miette::MietteHandlerOpts::new().wrap_lines(false).build())
    }));
}

pub fn connect(global: &Global, args: &ClientArgs) -> Result<AdminClient, CliError> {
    unwrapped_reports();
    let mut config = ClientConfig::new(global.addr.clone());
    config.headers = global.headers.clone();
    config.timeout = global.timeout();
    config.tls_skip_verify = global.tls_skip_verify;
    config.ca_cert = global.ca_cert.clone();
    config.rps = args.rps;
    config.verbose = global.verbose > 0;
    AdminClient::new(config).map_err(error)
}

pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| error(format!("cannot start the async runtime: {e}")))
}

/// The select tags in force, sorted: the loaded files' (the loader has already refused a
/// `--select-tag` that differs from them, decK #561, and applied the flag to files without
/// any), else `--select-tag` (dump and reset load no files).
pub fn select_tags(global: &Global, state: Option<&State>) -> Vec<String> {
    let mut tags = state.map_or_else(|| global.select_tags.clone(), |s| s.select_tags.clone());
    tags.sort();
    tags.dedup();
    tags
}

/// For a gateway other than gwctl's, its own schema defaults for what the files hold; gwctl's
/// gateway shares the registry, so nothing needs fetching.
pub async fn remote_schemas(
    client: &AdminClient,
    info: &GatewayInfo,
    target: &State,
) -> Option<Arc<RemoteSchemas>> {
    if info.bundled {
        return None;
    }
    let schemas = fetch_schemas(client, target).await;
    (!schemas.is_empty()).then(|| Arc::new(schemas))
}
