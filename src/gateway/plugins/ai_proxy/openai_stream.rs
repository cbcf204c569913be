//! Streams from OpenAI-format providers pass through event by event; the gateway only reads
//! usage and model, drops the usage-only chunk it asked for itself (for the access log) when
//! the client did not ask for it, and guarantees the final `[DONE]`.

use serde_json::Value;

use super::sse::SseEvent;
use super::stream::{Emit, EventTranslator};
use super::usage::Usage;

#[derive(Debug, Default)]
pub struct OpenAiEvents {
    usage: Option<Usage>,
    model: Option<String>,
    /// Drop chunks with empty `choices` that only carry usage.
    strip_usage_chunk: bool,
    /// Parse every chunk (needed when it must be reshaped, e.g. into text completions).
    reshape: bool,
}

impl OpenAiEvents {
    pub fn new(strip_usage_chunk: bool, reshape: bool) -> OpenAiEvents {
        OpenAiEvents {
            strip_usage_chunk,
            reshape,
            ..OpenAiEvents::default()
        }
    }
}

impl EventTranslator for OpenAiEvents {
    fn event(&mut self, event: SseEvent, out: &mut Vec<Emit>) {
        if event.data.trim() == "[DONE]" {
            out.push(Emit::Done);
            return;
        }
        let inspect = self.reshape || self.model.is_none() || event.data.contains("\"usage\"");
        if !inspect {
            out.push(Emit::Verbatim(event.data));
            return;
        }
        let Ok(chunk) = serde_json::from_str::<Value>(&event.data) else {
            out.push(Emit::Verbatim(event.data));
            return;
        };
        if self.model.is_none() {
            self.model = chunk
                .get("model")
                .and_then(Value::as_str)
                .map(str::to_string);
        }
        let usage = chunk.get("usage").and_then(Usage::from_openai);
        if usage.is_some() {
            self.usage = usage;
        }
        let usage_only = usage.is_some()
            && chunk
                .get("choices")
                .and_then(Value::as_array)
                .is_some_and(Vec::is_empty);
        if usage_only && self.strip_usage_chunk {
            return;
        }
        if self.reshape {
            out.push(Emit::Chunk(chunk));
        } else {
            out.push(Emit::Verbatim(event.data));
        }
    }

    fn usage(&self) -> Option<Usage> {
        self.usage
    }

    fn model(&self) -> Option<&str> {
        self.model.as_deref()
    }
}
