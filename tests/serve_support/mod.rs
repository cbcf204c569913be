//! `gwctl serve` run as a user runs it: a process of its own on ephemeral ports, and a small
//! HTTP client for its Admin API and proxy.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// A running `gwctl serve`, stopped when dropped.
pub struct Served {
    child: Child,
    /// The Admin API's base URL.
    pub admin: String,
    /// The proxy's base URL.
    pub proxy: String,
    /// The first TLS proxy listener's base URL, when `extra` asked for one
    /// (`--proxy-listen 'ADDR ssl'`).
    #[allow(dead_code)] // Not every test binary including this module asks for one.
    pub tls_proxy: Option<String>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `gwctl serve --db :memory:` on ephemeral ports, with `extra` arguments, and reads
/// both addresses from its banner.
pub fn serve(extra: &[&std::ffi::OsStr]) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gwctl"))
        .args(["serve", "--db", ":memory:"])
        .args([
            "--admin-listen",
            "127.0.0.1:0",
            "--proxy-listen",
            "127.0.0.1:0",
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("gwctl starts");
    let mut banner = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut banner)
        .unwrap();
    let urls: Vec<&str> = banner
        .split_whitespace()
        .filter(|w| w.starts_with("http://"))
        .collect();
    assert!(urls.len() >= 2, "unexpected banner: {banner}");
    let tls_proxy = banner
        .split_whitespace()
        .find(|w| w.starts_with("https://"))
        .map(|w| w.trim_end_matches(',').to_string());
    Served {
        admin: urls[0].to_string(),
        proxy: urls.last().unwrap().trim_end_matches(',').to_string(),
        tls_proxy,
        child,
    }
}

/// Sends `body` as JSON and returns the status and the answer (as JSON when it is).
pub async fn call(method: &str, url: &str, body: Value) -> (u16, Value) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = Request::builder()
        .method(method)
        .uri(url)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let response = tokio::time::timeout(Duration::from_secs(20), client.request(request))
        .await
        .expect("answer in time")
        .expect("request succeeds");
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}
