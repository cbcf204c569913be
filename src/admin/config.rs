//! How to reach an Admin API: address, headers, timeouts, TLS, retries and rate cap.

use std::path::PathBuf;
use std::time::Duration;

/// Everything the client needs; built from the global command-line options.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Base address, e.g. `http://localhost:8001`.
    pub addr: String,
    /// Extra headers, each `Name: value` (decK's `key:value` accepted too).
    pub headers: Vec<String>,
    pub timeout: Duration,
    pub tls_skip_verify: bool,
    pub ca_cert: Option<PathBuf>,
    /// Maximum requests per second (None: unlimited).
    pub rps: Option<f64>,
    /// How many times a 429 or 5xx answer is retried before giving up.
    pub max_retries: u32,
    /// Print each request and its status to stderr (`-v`).
    pub verbose: bool,
}

impl ClientConfig {
    pub fn new(addr: impl Into<String>) -> Self {
        ClientConfig {
            addr: addr.into(),
            headers: Vec::new(),
            timeout: Duration::from_secs(10),
            tls_skip_verify: false,
            ca_cert: None,
            rps: None,
            max_retries: 4,
            verbose: false,
        }
    }
}
