//! The flat, keyed state every command works on: entities per kind, defaults filled,
//! references to parents written as the parent's identity.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::kinds::validate::Path;

/// Where an entity (or one of its values) was written, for diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file as the user named it (`-` for stdin).
    pub file: Arc<str>,
    /// JSON pointer of the entity inside that file.
    pub pointer: String,
}

/// One entity as Kong's Admin API would take it.
///
/// Foreign fields hold an object: `{"id": "…"}` when the id is known, otherwise the parent's
/// identity fields (`{"name": "openai-service"}`, `{"username": "alice"}`).
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    pub body: Map<String, Value>,
    pub origin: Option<Origin>,
    /// Paths inside `body` whose values came from the environment: secrets, masked on output
    /// together with whatever the gateway holds at the same path.
    pub secret_paths: Vec<Path>,
}

impl Entity {
    pub fn new(body: Map<String, Value>) -> Self {
        Entity {
            body,
            origin: None,
            secret_paths: Vec::new(),
        }
    }

    pub fn id(&self) -> Option<&str> {
        self.body.get("id").and_then(Value::as_str)
    }
}

/// The whole configuration: what the files say, or what a gateway holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct State {
    /// Entities per kind (`Kind::name`), in file order.
    pub entities: BTreeMap<&'static str, Vec<Entity>>,
    /// `_info.select_tags`: only entities carrying all of these are managed.
    pub select_tags: Vec<String>,
    /// Every value substituted from the environment, for masking free text (error messages).
    pub secret_values: Vec<String>,
}

impl State {
    pub fn of_kind(&self, kind: &str) -> &[Entity] {
        self.entities.get(kind).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn push(&mut self, kind: &'static str, entity: Entity) {
        self.entities.entry(kind).or_default().push(entity);
    }

    pub fn len(&self) -> usize {
        self.entities.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Replaces every secret value inside free text with `[masked]`, longest first so a
    /// secret that contains another is masked whole.
    pub fn mask_text(&self, text: &str) -> String {
        mask_text(&self.secret_values, text)
    }
}

/// The marker shown wherever a secret would be.
pub const MASK: &str = "[masked]";

/// Masks secret values inside free text. Values shorter than 4 characters are skipped: masking
/// them would corrupt unrelated text (decK issue #2140) and they carry little secrecy.
pub fn mask_text(secrets: &[String], text: &str) -> String {
    let mut sorted: Vec<&String> = secrets.iter().filter(|s| s.len() >= 4).collect();
    sorted.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut out = text.to_string();
    for secret in sorted {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), MASK);
        }
    }
    out
}
