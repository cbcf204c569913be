//! Options every command accepts (DESIGN §1), with decK's spellings as aliases.

use std::time::Duration;

use clap::{Args, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Human,
    Json,
    Markdown,
}

#[derive(Debug, Clone, Args)]
pub struct Global {
    /// URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where
    /// `serve` listens: that is `--admin-listen`).
    #[arg(
        long,
        global = true,
        env = "GWCTL_ADDR",
        visible_alias = "kong-addr",
        default_value = "http://localhost:8001"
    )]
    pub addr: String,
    /// Extra request header, `Name: value` (repeatable).
    #[arg(
        long = "header",
        visible_alias = "headers",
        global = true,
        value_name = "NAME: VALUE"
    )]
    pub headers: Vec<String>,
    /// Request timeout in seconds.
    #[arg(long, global = true, default_value_t = 10)]
    pub timeout: u64,
    /// Do not verify the Admin API's TLS certificate.
    #[arg(long, global = true)]
    pub tls_skip_verify: bool,
    /// PEM file of a CA to trust for the Admin API.
    #[arg(long, global = true, value_name = "FILE")]
    pub ca_cert: Option<std::path::PathBuf>,
    /// Only manage entities carrying all these tags (repeatable).
    #[arg(long = "select-tag", global = true, value_name = "TAG")]
    pub select_tags: Vec<String>,
    /// Concurrent requests within one dependency level.
    #[arg(long, global = true, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..))]
    pub parallelism: u16,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// decK's spelling of `--format json`.
    #[arg(long, global = true, hide = true)]
    pub json_output: bool,
    /// Disable colours (also `NO_COLOR`).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// More detail on stderr (repeatable).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

impl Global {
    /// Applies aliases that clap cannot express: `--json-output` and `DECK_KONG_ADDR`.
    pub fn resolved(mut self) -> Global {
        if self.json_output {
            self.format = Format::Json;
        }
        let addr_from_env = std::env::var_os("GWCTL_ADDR").is_some();
        if !addr_from_env
            && self.addr == "http://localhost:8001"
            && let Ok(addr) = std::env::var("DECK_KONG_ADDR")
        {
            self.addr = addr;
        }
        if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            self.no_color = true;
        }
        self
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout)
    }
}
