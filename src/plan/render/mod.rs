//! Output: decK-style human lines, decK's JSON document, and markdown for pull requests.
//! Everything printed goes through [`shown_bodies`], so nothing unmasked can reach a renderer.

pub mod field_diff;
pub mod human;
pub mod json;
pub mod markdown;

use serde_json::{Map, Value};

use super::mask::masked_body;
use super::model::{Change, Plan};

/// A change's (old, new) bodies.
pub type Bodies = (Option<Map<String, Value>>, Option<Map<String, Value>>);

/// The old and new bodies of a change as they may be printed: secrets masked with the
/// target's secret paths applied to both sides (the gateway's old secret is masked too).
pub fn shown_bodies(change: &Change, plan: &Plan) -> Bodies {
    let mask = |body: &Map<String, Value>| {
        masked_body(
            &change.kind,
            body,
            &change.secret_paths,
            &plan.secret_values,
        )
    };
    (change.old.as_ref().map(mask), change.new.as_ref().map(mask))
}

/// The kind's decK event name (`service`, `key-auth`).
pub fn event_name(kind: &str) -> &'static str {
    crate::kinds::registry()
        .kind(kind)
        .map(|k| k.event_name)
        .unwrap_or("entity")
}
