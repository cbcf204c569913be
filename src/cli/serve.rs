//! `gwctl serve`: run the bundled gateway (Admin API now; the proxy is started beside it).

use std::io::Write;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;

use clap::ValueEnum;
use tokio::sync::watch;

use super::{CliResult, Exit, Global};
use crate::gateway::admin_api::DEFAULT_BODY_LIMIT;
use crate::gateway::server::{self, ServeOptions};
use crate::gateway::snapshot::Snapshot;
use crate::gateway::store::Durability;

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
    /// A state file to load at start (created or replaced by id, in one transaction).
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
}

fn listen_addr(text: &str) -> Result<SocketAddr, String> {
    text.to_socket_addrs()
        .map_err(|e| format!("--admin-listen {text}: {e}"))?
        .next()
        .ok_or_else(|| format!("--admin-listen {text}: no address"))
}

pub fn run(args: Args, global: &Global) -> CliResult {
    init_logging(global);
    let admin_listen = listen_addr(&args.admin_listen).map_err(|e| miette::miette!("{e}"))?;
    if args.config.is_some() {
        return Err(miette::miette!(
            help = "start without --config and sync the file: `gwctl sync FILE`",
            "--config needs the state loader, which this build does not have yet"
        )
        .into());
    }
    if !admin_listen.ip().is_loopback() && args.admin_token.is_none() {
        eprintln!(
            "warning: the Admin API listens on {admin_listen}, beyond this machine, without --admin-token"
        );
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
        initial_state: None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| miette::miette!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        let gateway = server::start(options)
            .await
            .map_err(|e| miette::miette!("{e}"))?;
        let proxy = start_proxy(gateway.snapshots.clone());
        println!(
            "gwctl admin API listening on http://{} (database {}, revision {})",
            gateway.admin_addr,
            args.db.display(),
            gateway.store.revision()
        );
        let _ = std::io::stdout().flush();
        wait_for_signal().await;
        eprintln!("shutting down");
        if let Some(proxy) = proxy {
            proxy.abort();
        }
        gateway.shutdown().await;
        Ok::<_, miette::Report>(())
    })?;
    Ok(Exit::Success)
}

/// Where the proxy starts: it gets every new configuration snapshot from this receiver.
/// The proxy lives in `gateway::proxy`; until it is wired in, nothing listens on 8000.
fn start_proxy(_snapshots: watch::Receiver<Arc<Snapshot>>) -> Option<tokio::task::JoinHandle<()>> {
    None
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
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
