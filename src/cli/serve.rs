//! `gwctl serve`: run the bundled gateway, its Admin API and its proxy.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::ValueEnum;
use rustls::sign::CertifiedKey;

use super::output::{to_stderr, to_stdout};
use super::{CliError, CliResult, Exit, Global, validate};
use crate::gateway::admin_api::DEFAULT_BODY_LIMIT;
use crate::gateway::proxy::{self, AccessLog, ClientSettings, tls};
use crate::gateway::server::{self, ServeOptions};
use crate::gateway::store::Durability;
use crate::state::{LoadOptions, State, assign_ids, load};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SyncMode {
    /// Durable against a killed process; fast (SQLite synchronous=NORMAL in WAL mode).
    Normal,
    /// Also durable against power loss; slower (synchronous=FULL).
    Full,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address of the Admin API (loopback by default; anything else needs care: set a token).
    #[arg(
        long,
        env = "GWCTL_ADMIN_LISTEN",
        default_value = "127.0.0.1:8001",
        value_name = "ADDR"
    )]
    pub admin_listen: String,
    /// SQLite database file (`:memory:` keeps everything in memory).
    #[arg(long, default_value = "gwctl.db", value_name = "PATH")]
    pub db: PathBuf,
    /// A state file to load at start; it replaces the stored configuration in one transaction.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Require this token in the `Kong-Admin-Token` header of every Admin API request.
    #[arg(
        long,
        env = "GWCTL_ADMIN_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub admin_token: Option<String>,
    /// SQLite durability: `normal` survives a killed process, `full` also power loss.
    #[arg(long, value_enum, default_value = "normal")]
    pub sync: SyncMode,
    /// Largest accepted request body, in bytes (larger ones get 413).
    #[arg(long, default_value_t = DEFAULT_BODY_LIMIT, value_name = "BYTES")]
    pub admin_body_limit: usize,
    /// Address of the proxy (repeatable: `--proxy-listen 127.0.0.1:8000 --proxy-listen :8080`).
    #[arg(
        long,
        env = "GWCTL_PROXY_LISTEN",
        value_delimiter = ',',
        default_value = "127.0.0.1:8000",
        value_name = "ADDR"
    )]
    pub proxy_listen: Vec<String>,
    /// Write the access log (one JSON line per request) to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub access_log: Option<PathBuf>,
    /// Do not write an access log at all.
    #[arg(long, conflicts_with = "access_log")]
    pub no_access_log: bool,
    /// Close a proxy client connection that sends no complete request head for this many
    /// seconds, idle keep-alive time included (Kong's client_header_timeout and keepalive_timeout);
    /// HTTP/2 connections close after as long without a request, and silent HTTP/2 clients
    /// are pinged and dropped if they do not answer. Also the longest pause in a request body
    /// a plugin reads (Kong's client_body_timeout; then 408).
    #[arg(
        long,
        default_value_t = proxy::DEFAULT_CLIENT_TIMEOUT.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..=86_400),
        value_name = "SECONDS"
    )]
    pub proxy_client_timeout: u64,
    /// PEM certificate (chain) that `ssl` proxy listeners present for names no SNI matches,
    /// instead of a self-signed one made at start (Kong's ssl_cert).
    #[arg(long, value_name = "FILE", requires = "proxy_tls_key")]
    pub proxy_tls_cert: Option<PathBuf>,
    /// PEM private key of --proxy-tls-cert (Kong's ssl_cert_key).
    #[arg(long, value_name = "FILE", requires = "proxy_tls_cert")]
    pub proxy_tls_key: Option<PathBuf>,
}

/// Parses a listen address with the proxy's one rule set (`HOST:PORT`, `localhost:PORT`,
/// `:PORT` for every interface), naming the flag in the error.
fn listen_addr(flag: &str, text: &str) -> Result<SocketAddr, String> {
    proxy::parse_listen(text).map_err(|e| format!("{flag}: {e}"))
}

pub fn run(args: Args, global: &Global) -> CliResult {
    init_logging(global);
    let admin_listen =
        listen_addr("--admin-listen", &args.admin_listen).map_err(|e| miette::miette!("{e}"))?;
    let proxy_listen = args
        .proxy_listen
        .iter()
        .map(|text| proxy::parse_proxy_listen(text).map_err(|e| format!("--proxy-listen: {e}")))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| miette::miette!("{e}"))?;
    let default_certificate = match (&args.proxy_tls_cert, &args.proxy_tls_key) {
        (Some(cert), Some(key)) => Some(load_default_certificate(cert, key)?),
        _ => None,
    };
    let initial_state = match &args.config {
        Some(file) => Some(load_config(file, global)?),
        None => None,
    };
    if !admin_listen.ip().is_loopback() && args.admin_token.is_none() {
        to_stderr(format_args!(
            "warning: the Admin API listens on {admin_listen}, beyond this machine, without --admin-token\n"
        ));
    }
    let options = ServeOptions {
        admin_listen,
        db: args.db.clone(),
        durability: match args.sync {
            SyncMode::Normal => Durability::Normal,
            SyncMode::Full => Durability::Full,
        },
        admin_token: args.admin_token.filter(|t| !t.is_empty()),
        body_limit: args.admin_body_limit,
        initial_state,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| miette::miette!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        let gateway = server::start(options)
            .await
            .map_err(|e| miette::miette!("{e}"))?;
        let access_log = match (&args.access_log, args.no_access_log) {
            (_, true) => AccessLog::disabled(),
            // The error names the file already.
            (Some(path), false) => AccessLog::file(path).map_err(|e| miette::miette!("{e}"))?,
            (None, false) => AccessLog::stdout()
                .map_err(|e| miette::miette!("cannot start the access log: {e}"))?,
        };
        let snapshots = gateway.snapshots.clone();
        let health = gateway.health.clone();
        let proxy = match proxy::start_with_health(
            proxy_listen,
            snapshots,
            access_log,
            health,
            ClientSettings {
                timeout: Duration::from_secs(args.proxy_client_timeout),
                default_certificate,
                committed: Some(gateway.store.revisions()),
            },
        )
        .await
        {
            Ok(proxy) => proxy,
            Err(e) => {
                gateway.shutdown().await;
                return Err(miette::miette!("{e}"));
            }
        };
        let proxy_addrs: Vec<String> = proxy
            .listens()
            .iter()
            .map(|l| format!("{}://{}", if l.tls { "https" } else { "http" }, l.addr))
            .collect();
        to_stdout(format_args!(
            "gwctl admin API listening on http://{} (database {}, revision {}); proxy listening on {}\n",
            gateway.admin_addr,
            args.db.display(),
            gateway.store.revision(),
            proxy_addrs.join(", ")
        ));
        let _ = std::io::stdout().flush();
        wait_for_signal().await;
        to_stderr("shutting down\n");
        proxy.shutdown().await;
        gateway.shutdown().await;
        Ok::<_, miette::Report>(())
    })?;
    Ok(Exit::Success)
}

/// Reads `--proxy-tls-cert` and `--proxy-tls-key`; the error names the file or says what is
/// wrong with the pair, never any part of the key.
fn load_default_certificate(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<Arc<CertifiedKey>, CliError> {
    let read = |flag: &str, path: &std::path::Path| {
        std::fs::read_to_string(path)
            .map_err(|e| miette::miette!("{flag}: cannot read {}: {e}", path.display()))
    };
    let (cert_pem, key_pem) = (
        read("--proxy-tls-cert", cert)?,
        read("--proxy-tls-key", key)?,
    );
    Ok(
        tls::default_certificate(&cert_pem, &key_pem).map_err(|why| {
            miette::miette!(
                "--proxy-tls-cert {} with --proxy-tls-key {}: {why}",
                cert.display(),
                key.display()
            )
        })?,
    )
}

/// Loads `--config` with the same loader and diagnostics as `gwctl validate`; unknown plugins
/// are errors here, since the gateway would have to run them.
fn load_config(file: &std::path::Path, global: &Global) -> Result<State, CliError> {
    let options = LoadOptions {
        unknown_plugins_are_warnings: false,
        select_tags: global.select_tags.clone(),
        ..LoadOptions::default()
    };
    match load(&[file.to_path_buf()], &options) {
        Ok(loaded) => {
            if !global.quiet {
                for warning in &loaded.warnings {
                    to_stderr(validate::render(warning, &loaded.sources, global.no_color));
                }
            }
            let mut state = loaded.state;
            assign_ids(&mut state);
            // Only the state is left of loading; what parsing and checking took goes back now.
            crate::memory::release();
            Ok(state)
        }
        Err(failure) => {
            for problem in &failure.problems {
                to_stderr(validate::render(problem, &failure.sources, global.no_color));
            }
            Err(miette::miette!(
                "{}: the configuration is invalid; the gateway was not started",
                file.display()
            )
            .into())
        }
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn init_logging(global: &Global) {
    let level = match (global.quiet, global.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("gwctl={level}")));
    // Colours only on a terminal, never with --no-color (`NO_COLOR` sets it too): a log file
    // or a journal gets plain lines.
    let ansi = !global.no_color && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .try_init();
}
