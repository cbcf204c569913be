//! Running `gwctl serve` as a child process and reading its start-up banner.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub struct Served {
    pub child: Child,
    pub base: String,
}

/// Starts `gwctl serve` on an ephemeral port and waits for the banner.
pub fn serve(db: &Path, extra: &[&str]) -> Result<Served, String> {
    serve_with_env(db, extra, &[])
}

/// Like [`serve`], with extra environment variables.
pub fn serve_with_env(db: &Path, extra: &[&str], env: &[(&str, &str)]) -> Result<Served, String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gwctl"))
        .envs(env.iter().copied())
        .args([
            "serve",
            "--admin-listen",
            "127.0.0.1:0",
            "--proxy-listen",
            "127.0.0.1:0",
            "--db",
        ])
        .arg(db)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let stdout = child.stdout.take().expect("piped");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let Some(addr) = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
    else {
        let output = child.wait_with_output().map_err(|e| e.to_string())?;
        return Err(format!(
            "no banner: {line:?}; stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    };
    Ok(Served {
        base: format!("http://{addr}"),
        child,
    })
}

impl Served {
    /// `GET {base}{path}` and the JSON body it answers.
    #[allow(dead_code)] // not every test binary that includes this module reads JSON
    pub async fn get_json(&self, client: &reqwest::Client, path: &str) -> serde_json::Value {
        client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}
