//! The access log: one JSON line per request, written by a background task so a slow disk
//! never holds up a request.
//!
//! Entries are built from fields the proxy chooses (never headers, query strings or bodies),
//! plus what plugins add in their `log` hook; that keeps credentials and API keys out.

use std::path::Path;

use serde_json::{Map, Value};
use tokio::io::{AsyncWrite, AsyncWriteExt, BufWriter};
use tokio::sync::mpsc;

#[derive(Clone, Debug)]
pub struct AccessLog {
    sink: Option<mpsc::UnboundedSender<String>>,
}

impl AccessLog {
    /// No access log.
    pub fn disabled() -> AccessLog {
        AccessLog { sink: None }
    }

    /// Lines to standard output. Needs a Tokio runtime.
    pub fn stdout() -> AccessLog {
        AccessLog::to_writer(tokio::io::stdout())
    }

    /// Lines appended to `path` (created if missing). Needs a Tokio runtime.
    pub async fn file(path: &Path) -> std::io::Result<AccessLog> {
        let file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .await
            .map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!("cannot open access log {}: {e}", path.display()),
                )
            })?;
        Ok(AccessLog::to_writer(file))
    }

    /// Lines delivered to a channel (for embedding and tests).
    pub fn channel() -> (AccessLog, mpsc::UnboundedReceiver<String>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (AccessLog { sink: Some(tx) }, rx)
    }

    fn to_writer<W: AsyncWrite + Unpin + Send + 'static>(writer: W) -> AccessLog {
        let (tx, mut rx) = mpsc::unbounded_channel::<String>();
        tokio::spawn(async move {
            let mut out = BufWriter::new(writer);
            while let Some(line) = rx.recv().await {
                let mut ok = out.write_all(line.as_bytes()).await.is_ok();
                // Batch whatever is already queued, then flush once.
                while let Ok(line) = rx.try_recv() {
                    ok &= out.write_all(line.as_bytes()).await.is_ok();
                }
                ok &= out.flush().await.is_ok();
                if !ok {
                    tracing::warn!("access log write failed; later lines may be lost");
                }
            }
        });
        AccessLog { sink: Some(tx) }
    }

    pub fn is_enabled(&self) -> bool {
        self.sink.is_some()
    }

    /// Queues one entry (a JSON object) as a line.
    pub fn write(&self, entry: &Map<String, Value>) {
        if let Some(sink) = &self.sink {
            let mut line = serde_json::to_string(entry).unwrap_or_default();
            line.push('\n');
            let _ = sink.send(line);
        }
    }
}
