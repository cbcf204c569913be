//! `id` and `created` for answers whose provider did not send them: strict OpenAI clients
//! (typed SDKs) refuse a `chat.completion` without them.

use std::time::{SystemTime, UNIX_EPOCH};

/// A fresh OpenAI-style id, e.g. `chatcmpl-3f2a…`.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
