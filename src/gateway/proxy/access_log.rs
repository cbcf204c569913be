//! The access log: one JSON line per request, written by a background thread so a slow disk
//! never holds up a request.
//!
//! Requests append their line to a shared buffer and never wake the writer: the writer wakes
//! on its own every [`FLUSH_EVERY`] and writes whatever has gathered in one call. (Waking a
//! writer per line cost two context switches per request, a quarter of the proxy's
//! throughput.) Lines therefore reach the file within about that interval, and the last ones
//! are written when the log is dropped at shutdown.
//!
//! Entries are built from fields the proxy chooses (never headers, query strings or bodies),
//! plus what plugins add in their `log` hook; that keeps credentials and API keys out.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::mpsc;

/// How often the writer writes what has gathered.
const FLUSH_EVERY: Duration = Duration::from_millis(50);

/// How much may wait unwritten before new lines are dropped (counted and reported) rather
/// than letting a stuck disk grow the gateway's memory without bound.
const MAX_PENDING: usize = 16 << 20;

#[derive(Clone, Debug)]
pub struct AccessLog {
    sink: Sink,
}

#[derive(Clone, Debug)]
enum Sink {
    Off,
    Channel(mpsc::UnboundedSender<String>),
    Buffered(Arc<LineBuffer>),
}

/// Lines waiting for the writer thread, shared between every clone of one log.
#[derive(Debug)]
struct LineBuffer {
    shared: Arc<Pending>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

#[derive(Debug, Default)]
struct Pending {
    bytes: Mutex<Vec<u8>>,
    dropped: AtomicU64,
    closed: AtomicBool,
}

impl AccessLog {
    /// No access log.
    pub fn disabled() -> AccessLog {
        AccessLog { sink: Sink::Off }
    }

    /// Lines to standard output.
    pub fn stdout() -> std::io::Result<AccessLog> {
        AccessLog::to_writer(std::io::stdout())
    }

    /// Lines appended to `path` (created if missing).
    pub fn file(path: &Path) -> std::io::Result<AccessLog> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!("cannot open access log {}: {e}", path.display()),
                )
            })?;
        AccessLog::to_writer(file)
    }

    /// Lines delivered to a channel (for embedding and tests).
    pub fn channel() -> (AccessLog, mpsc::UnboundedReceiver<String>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let log = AccessLog {
            sink: Sink::Channel(tx),
        };
        (log, rx)
    }

    fn to_writer<W: Write + Send + 'static>(out: W) -> std::io::Result<AccessLog> {
        let shared = Arc::new(Pending::default());
        let theirs = shared.clone();
        let writer = std::thread::Builder::new()
            .name("gwctl-access-log".into())
            .spawn(move || write_until_closed(&theirs, out))?;
        let buffer = LineBuffer {
            shared,
            writer: Mutex::new(Some(writer)),
        };
        Ok(AccessLog {
            sink: Sink::Buffered(Arc::new(buffer)),
        })
    }

    pub fn is_enabled(&self) -> bool {
        !matches!(self.sink, Sink::Off)
    }

    /// Queues one entry (a JSON object) as a line.
    pub fn write(&self, entry: &Map<String, Value>) {
        if !self.is_enabled() {
            return;
        }
        let mut line = serde_json::to_vec(entry).unwrap_or_default();
        line.push(b'\n');
        match &self.sink {
            Sink::Off => {}
            Sink::Channel(tx) => {
                let _ = tx.send(String::from_utf8_lossy(&line).into_owned());
            }
            Sink::Buffered(buffer) => {
                let pending = &buffer.shared;
                let mut bytes = pending.bytes.lock().unwrap_or_else(PoisonError::into_inner);
                if bytes.len() + line.len() > MAX_PENDING {
                    pending.dropped.fetch_add(1, Ordering::Relaxed);
                } else {
                    bytes.extend_from_slice(&line);
                }
            }
        }
    }
}

impl Drop for LineBuffer {
    /// The last clone of the log is gone: let the writer write what is left, and wait for it.
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Release);
        let writer = self
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(writer) = writer {
            writer.thread().unpark();
            let _ = writer.join();
        }
    }
}

fn write_until_closed(pending: &Pending, mut out: impl Write) {
    let mut batch = Vec::new();
    // Warn when writing starts failing, not on every flush while it keeps failing.
    let mut failing = false;
    loop {
        std::thread::park_timeout(FLUSH_EVERY);
        let closed = pending.closed.load(Ordering::Acquire);
        std::mem::swap(
            &mut batch,
            &mut pending.bytes.lock().unwrap_or_else(PoisonError::into_inner),
        );
        if !batch.is_empty() {
            match out.write_all(&batch).and_then(|()| out.flush()) {
                Err(error) if !failing => {
                    tracing::warn!("access log write failed ({error}); lines are being lost");
                    failing = true;
                }
                Err(_) => {}
                Ok(()) => failing = false,
            }
        }
        batch.clear();
        let dropped = pending.dropped.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            tracing::warn!("access log cannot keep up: {dropped} lines dropped");
        }
        if closed {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_reach_the_file_and_the_last_ones_are_written_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access.log");
        let log = AccessLog::file(&path).unwrap();
        let copy = log.clone();
        for n in 0..3 {
            let mut entry = Map::new();
            entry.insert("n".into(), Value::from(n));
            copy.write(&entry);
        }
        drop(copy);
        drop(log);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n");
    }

    #[test]
    fn a_file_that_cannot_be_opened_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing-dir").join("access.log");
        let error = AccessLog::file(&path).unwrap_err();
        assert!(error.to_string().contains("missing-dir"), "{error}");
    }
}
