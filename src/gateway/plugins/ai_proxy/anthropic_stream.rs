//! Anthropic's streaming events → OpenAI `chat.completion.chunk`s, one event at a time.
//!
//! `message_start` opens the assistant turn, text and tool-input deltas become `delta.content`
//! and `delta.tool_calls`, `message_delta` carries the mapped `finish_reason` (Kong only keeps
//! its usage), `message_stop` ends with `[DONE]`, and an `error` event becomes OpenAI's error
//! shape. Every chunk has `id`, `created` and `model`.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::anthropic_response::{finish_reason, usage_from_anthropic};
use super::ids::{new_id, now_secs};
use super::sse::SseEvent;
use super::stream::{Emit, EventTranslator};
use super::usage::Usage;

pub struct AnthropicEvents {
    /// Text deltas may be written straight as OpenAI chat chunks (not when the chunks are to
    /// be reshaped into text completions afterwards).
    fast_text: bool,
    id: String,
    model: String,
    created: u64,
    /// (Anthropic content-block index, OpenAI tool-call index) of each tool_use block.
    tools: Vec<(u64, u64)>,
    usage: Option<Usage>,
    /// Send a final usage chunk (the client set `stream_options.include_usage`).
    include_usage: bool,
    stopped: bool,
}

impl AnthropicEvents {
    pub fn new(model: &str, include_usage: bool) -> AnthropicEvents {
        AnthropicEvents {
            fast_text: true,
            id: new_id("chatcmpl"),
            model: model.to_string(),
            created: now_secs(),
            tools: Vec::new(),
            usage: None,
            include_usage,
            stopped: false,
        }
    }

    /// Chunks go through the generic (slower) path so they can be reshaped later.
    pub fn without_fast_text(mut self) -> AnthropicEvents {
        self.fast_text = false;
        self
    }

    /// The hot path: a text delta, read and written with typed serde (no `Value` trees).
    /// `None` when the event is anything else.
    fn fast_text_delta(&self, data: &str) -> Option<String> {
        let event: TextDeltaEvent<'_> = serde_json::from_str(data).ok()?;
        if event.kind != "content_block_delta" {
            return None;
        }
        let delta = event.delta?;
        if delta.kind.as_deref() != Some("text_delta") {
            return None;
        }
        let chunk = TextChunk {
            id: &self.id,
            object: "chat.completion.chunk",
            created: self.created,
            model: &self.model,
            system_fingerprint: None,
            choices: [TextChoice {
                index: 0,
                delta: TextDelta {
                    content: delta.text.as_deref().unwrap_or(""),
                },
                logprobs: None,
                finish_reason: None,
            }],
        };
        serde_json::to_string(&chunk).ok()
    }

    fn chunk(&self, delta: Value, finish: Option<&str>) -> Emit {
        Emit::Chunk(json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": null,
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
        }))
    }

    fn tool_index(&self, block: u64) -> Option<u64> {
        self.tools
            .iter()
            .find(|(b, _)| *b == block)
            .map(|(_, t)| *t)
    }

    fn message_start(&mut self, data: &Value, out: &mut Vec<Emit>) {
        let message = data.get("message").unwrap_or(&Value::Null);
        if let Some(id) = message.get("id").and_then(Value::as_str) {
            self.id = id.to_string();
        }
        if let Some(model) = message.get("model").and_then(Value::as_str) {
            self.model = model.to_string();
        }
        if let Some(usage) = message.get("usage").and_then(usage_from_anthropic) {
            self.usage = Some(usage);
        }
        out.push(self.chunk(json!({"role": "assistant", "content": ""}), None));
    }

    fn block_start(&mut self, data: &Value, out: &mut Vec<Emit>) {
        let index = data.get("index").and_then(Value::as_u64).unwrap_or(0);
        let block = data.get("content_block").unwrap_or(&Value::Null);
        match block.get("type").and_then(Value::as_str) {
            Some("tool_use") => {
                let tool = self.tools.len() as u64;
                self.tools.push((index, tool));
                out.push(self.chunk(
                    json!({"tool_calls": [{
                        "index": tool,
                        "id": block.get("id").cloned().unwrap_or(Value::Null),
                        "type": "function",
                        "function": {"name": block.get("name").cloned().unwrap_or(Value::Null),
                                     "arguments": ""},
                    }]}),
                    None,
                ));
            }
            Some("text") => {
                if let Some(text) = block.get("text").and_then(Value::as_str)
                    && !text.is_empty()
                {
                    out.push(self.chunk(json!({"content": text}), None));
                }
            }
            _ => {} // thinking and other blocks have no OpenAI counterpart
        }
    }

    fn block_delta(&mut self, data: &Value, out: &mut Vec<Emit>) {
        let index = data.get("index").and_then(Value::as_u64).unwrap_or(0);
        let delta = data.get("delta").unwrap_or(&Value::Null);
        match delta.get("type").and_then(Value::as_str) {
            Some("text_delta") => {
                let text = delta.get("text").and_then(Value::as_str).unwrap_or("");
                out.push(self.chunk(json!({"content": text}), None));
            }
            Some("input_json_delta") => {
                let Some(tool) = self.tool_index(index) else {
                    return;
                };
                let partial = delta
                    .get("partial_json")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                out.push(self.chunk(
                    json!({"tool_calls": [{"index": tool, "function": {"arguments": partial}}]}),
                    None,
                ));
            }
            _ => {}
        }
    }

    fn message_delta(&mut self, data: &Value, out: &mut Vec<Emit>) {
        if let Some(usage) = data.get("usage") {
            // `output_tokens` here is the running total; newer APIs may repeat input counts.
            let mut current = self.usage.unwrap_or_default();
            if let Some(output) = usage.get("output_tokens").and_then(Value::as_u64) {
                current.completion_tokens = output;
            }
            if let Some(full) = usage_from_anthropic(usage)
                && full.prompt_tokens > 0
            {
                current.prompt_tokens = full.prompt_tokens;
            }
            self.usage = Some(current);
        }
        let finish = data
            .pointer("/delta/stop_reason")
            .and_then(Value::as_str)
            .map(finish_reason);
        if let Some(finish) = finish {
            out.push(self.chunk(json!({}), Some(finish)));
        }
    }

    fn message_stop(&mut self, out: &mut Vec<Emit>) {
        self.stopped = true;
        if self.include_usage
            && let Some(usage) = self.usage
        {
            out.push(Emit::Chunk(json!({
                "id": self.id,
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": self.model,
                "choices": [],
                "usage": usage.to_openai(),
            })));
        }
        out.push(Emit::Done);
    }
}

impl EventTranslator for AnthropicEvents {
    fn event(&mut self, event: SseEvent, out: &mut Vec<Emit>) {
        if self.fast_text
            && let Some(chunk) = self.fast_text_delta(&event.data)
        {
            out.push(Emit::Verbatim(chunk));
            return;
        }
        let Ok(data) = serde_json::from_str::<Value>(&event.data) else {
            return; // not JSON: nothing a client could use
        };
        let kind = data
            .get("type")
            .and_then(Value::as_str)
            .or(event.event.as_deref())
            .unwrap_or("");
        match kind {
            "message_start" => self.message_start(&data, out),
            "content_block_start" => self.block_start(&data, out),
            "content_block_delta" => self.block_delta(&data, out),
            "message_delta" => self.message_delta(&data, out),
            "message_stop" => self.message_stop(out),
            "error" => {
                let error = data.get("error").unwrap_or(&Value::Null);
                let message = error
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("the provider reported an error");
                let kind = error
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("upstream_error");
                let payload = json!({"error": {"message": message, "type": kind}});
                out.push(Emit::Verbatim(payload.to_string()));
                self.stopped = true;
                out.push(Emit::Done);
            }
            _ => {} // ping, content_block_stop
        }
    }

    fn finish(&mut self, out: &mut Vec<Emit>) {
        if !self.stopped {
            let payload = json!({"error": {
                "message": "the provider's stream ended before the answer was complete",
                "type": "upstream_error"}});
            out.push(Emit::Verbatim(payload.to_string()));
        }
    }

    fn usage(&self) -> Option<Usage> {
        self.usage
    }

    fn model(&self) -> Option<&str> {
        Some(&self.model)
    }
}

/// The fields of a `content_block_delta` event the hot path needs.
#[derive(Deserialize)]
struct TextDeltaEvent<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    delta: Option<TextDeltaIn<'a>>,
}

#[derive(Deserialize)]
struct TextDeltaIn<'a> {
    #[serde(rename = "type", default, borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    text: Option<Cow<'a, str>>,
}

/// A chat chunk carrying text, field for field what [`AnthropicEvents::chunk`] writes.
#[derive(Serialize)]
struct TextChunk<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    system_fingerprint: Option<()>,
    choices: [TextChoice<'a>; 1],
}

#[derive(Serialize)]
struct TextChoice<'a> {
    index: u32,
    delta: TextDelta<'a>,
    logprobs: Option<()>,
    finish_reason: Option<&'a str>,
}

#[derive(Serialize)]
struct TextDelta<'a> {
    content: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::plugins::ai_proxy::stream::SseTranslator;

    fn sse(events: &[(&str, Value)]) -> String {
        events
            .iter()
            .map(|(name, data)| format!("event: {name}\ndata: {data}\n\n"))
            .collect()
    }

    fn chunks(output: &[u8]) -> Vec<Value> {
        let text = std::str::from_utf8(output).unwrap();
        assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
        assert_eq!(text.matches("[DONE]").count(), 1);
        text.split("\n\n")
            .filter_map(|e| e.strip_prefix("data: "))
            .filter(|d| *d != "[DONE]")
            .map(|d| serde_json::from_str(d).unwrap())
            .collect()
    }

    fn run(input: &str, include_usage: bool, piece: usize) -> (Vec<Value>, Option<Usage>) {
        let mut tr = SseTranslator::new(
            Box::new(AnthropicEvents::new("claude-cfg", include_usage)),
            false,
        );
        let mut out = Vec::new();
        for part in input.as_bytes().chunks(piece) {
            out.extend_from_slice(&tr.push(part));
        }
        out.extend_from_slice(&tr.finish());
        (chunks(&out), tr.usage())
    }

    fn text_stream() -> String {
        sse(&[
            (
                "message_start",
                json!({"type": "message_start", "message": {"id": "msg_1",
                "type": "message", "role": "assistant", "model": "claude-3-5-sonnet-20241022",
                "content": [], "usage": {"input_tokens": 25, "output_tokens": 1}}}),
            ),
            (
                "content_block_start",
                json!({"type": "content_block_start", "index": 0,
                "content_block": {"type": "text", "text": ""}}),
            ),
            ("ping", json!({"type": "ping"})),
            (
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0,
                "delta": {"type": "text_delta", "text": "Hello"}}),
            ),
            (
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0,
                "delta": {"type": "text_delta", "text": " world"}}),
            ),
            (
                "content_block_stop",
                json!({"type": "content_block_stop", "index": 0}),
            ),
            (
                "message_delta",
                json!({"type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": null},
                "usage": {"output_tokens": 15}}),
            ),
            ("message_stop", json!({"type": "message_stop"})),
        ])
    }

    #[test]
    fn text_stream_becomes_chunks() {
        for piece in [1, 7, 64, 4096] {
            let (chunks, usage) = run(&text_stream(), false, piece);
            assert_eq!(chunks.len(), 4, "piece {piece}");
            for chunk in &chunks {
                assert_eq!(chunk["id"], "msg_1");
                assert_eq!(chunk["object"], "chat.completion.chunk");
                assert_eq!(chunk["model"], "claude-3-5-sonnet-20241022");
                assert!(chunk["created"].is_u64());
            }
            assert_eq!(
                chunks[0]["choices"][0]["delta"],
                json!({"role": "assistant", "content": ""})
            );
            assert_eq!(chunks[1]["choices"][0]["delta"]["content"], "Hello");
            assert_eq!(chunks[2]["choices"][0]["delta"]["content"], " world");
            assert_eq!(chunks[3]["choices"][0]["finish_reason"], "stop");
            assert_eq!(chunks[3]["choices"][0]["delta"], json!({}));
            assert_eq!(
                usage,
                Some(Usage {
                    prompt_tokens: 25,
                    completion_tokens: 15
                })
            );
        }
    }

    #[test]
    fn the_fast_path_writes_what_the_generic_path_writes() {
        let mut events = AnthropicEvents::new("m", false);
        let data = json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "text_delta", "text": "a \"quoted\" é\n"}})
        .to_string();
        let fast: Value = serde_json::from_str(&events.fast_text_delta(&data).unwrap()).unwrap();
        let mut out = Vec::new();
        events.fast_text = false;
        events.event(SseEvent { event: None, data }, &mut out);
        assert_eq!(out, vec![Emit::Chunk(fast.clone())]);
        assert_eq!(fast["choices"][0]["delta"]["content"], "a \"quoted\" é\n");
    }

    #[test]
    fn include_usage_adds_a_final_usage_chunk() {
        let (chunks, _) = run(&text_stream(), true, 4096);
        let last = chunks.last().unwrap();
        assert_eq!(last["choices"], json!([]));
        assert_eq!(last["usage"]["total_tokens"], 40);
    }

    #[test]
    fn tool_use_stream_becomes_tool_call_deltas() {
        let input = sse(&[
            (
                "message_start",
                json!({"type": "message_start", "message": {"id": "msg_2",
                "model": "claude", "usage": {"input_tokens": 5, "output_tokens": 1}}}),
            ),
            (
                "content_block_start",
                json!({"type": "content_block_start", "index": 0,
                "content_block": {"type": "text", "text": ""}}),
            ),
            (
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0,
                "delta": {"type": "text_delta", "text": "Checking."}}),
            ),
            (
                "content_block_start",
                json!({"type": "content_block_start", "index": 1,
                "content_block": {"type": "tool_use", "id": "toolu_9", "name": "get_weather",
                                  "input": {}}}),
            ),
            (
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 1,
                "delta": {"type": "input_json_delta", "partial_json": "{\"city\":"}}),
            ),
            (
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 1,
                "delta": {"type": "input_json_delta", "partial_json": "\"Paris\"}"}}),
            ),
            (
                "message_delta",
                json!({"type": "message_delta",
                "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 30}}),
            ),
            ("message_stop", json!({"type": "message_stop"})),
        ]);
        let (chunks, _) = run(&input, false, 13);
        let deltas: Vec<&Value> = chunks.iter().map(|c| &c["choices"][0]["delta"]).collect();
        assert_eq!(
            deltas[2]["tool_calls"],
            json!([{"index": 0, "id": "toolu_9", "type": "function",
                    "function": {"name": "get_weather", "arguments": ""}}])
        );
        let arguments: String = deltas
            .iter()
            .filter_map(|d| d.pointer("/tool_calls/0/function/arguments"))
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(arguments, "{\"city\":\"Paris\"}");
        assert_eq!(
            chunks.last().unwrap()["choices"][0]["finish_reason"],
            "tool_calls"
        );
    }

    #[test]
    fn errors_and_truncation_are_reported_in_openai_shape() {
        let input = sse(&[
            (
                "message_start",
                json!({"type": "message_start", "message": {"id": "m"}}),
            ),
            (
                "error",
                json!({"type": "error",
                "error": {"type": "overloaded_error", "message": "Overloaded"}}),
            ),
            (
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0,
                "delta": {"type": "text_delta", "text": "ignored after the error"}}),
            ),
        ]);
        let (chunks, _) = run(&input, false, 4096);
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[1]["error"]["message"], "Overloaded");
        assert_eq!(chunks[1]["error"]["type"], "overloaded_error");

        let cut = sse(&[(
            "message_start",
            json!({"type": "message_start", "message": {}}),
        )]);
        let (chunks, _) = run(&cut, false, 4096);
        assert!(
            chunks[1]["error"]["message"]
                .as_str()
                .unwrap()
                .contains("ended before")
        );
    }
}
