//! Anthropic Messages API answer → OpenAI `chat.completion`.
//!
//! Better than Kong's driver: `stop_reason` is mapped to OpenAI's `finish_reason` values,
//! `id` and `created` are always set, `content` is `null` when the answer is only tool calls
//! (as OpenAI sends it), and cached prompt tokens count as prompt tokens.

use serde_json::{Map, Value, json};

use super::ids::{new_id, now_secs};
use super::usage::Usage;

/// Anthropic `stop_reason` → OpenAI `finish_reason`.
pub fn finish_reason(stop_reason: &str) -> &'static str {
    match stop_reason {
        "max_tokens" | "model_context_window_exceeded" => "length",
        "tool_use" => "tool_calls",
        "refusal" => "content_filter",
        // end_turn, stop_sequence, pause_turn and anything newer.
        _ => "stop",
    }
}

/// Anthropic `usage` → OpenAI counts. Anthropic's `input_tokens` excludes cached tokens;
/// OpenAI's `prompt_tokens` includes them.
pub fn usage_from_anthropic(usage: &Value) -> Option<Usage> {
    let count = |key: &str| usage.get(key).and_then(Value::as_u64).unwrap_or(0);
    usage.get("input_tokens")?;
    Some(Usage {
        prompt_tokens: count("input_tokens")
            + count("cache_creation_input_tokens")
            + count("cache_read_input_tokens"),
        completion_tokens: count("output_tokens"),
    })
}

/// An OpenAI tool call from a `tool_use` block.
pub fn tool_call(block: &Value) -> Value {
    let input = block.get("input").cloned().unwrap_or_else(|| json!({}));
    json!({
        "id": block.get("id").cloned().unwrap_or(Value::Null),
        "type": "function",
        "function": {
            "name": block.get("name").cloned().unwrap_or(Value::Null),
            "arguments": input.to_string(),
        }
    })
}

/// Translates a 200 answer. `Err` carries the message for a 502 when the answer is not an
/// Anthropic message.
pub fn to_openai(answer: &Value, fallback_model: &str) -> Result<(Value, Option<Usage>), String> {
    let Some(Value::Array(blocks)) = answer.get("content") else {
        return Err("transformation failed from type anthropic://llm/v1/chat: \
                    'content' not in anthropic://llm/v1/chat response"
            .into());
    };
    let mut texts: Vec<&str> = Vec::new();
    let mut tool_calls: Vec<Value> = Vec::new();
    for block in blocks {
        match block.get("type").and_then(Value::as_str) {
            Some("tool_use") => tool_calls.push(tool_call(block)),
            _ => {
                if let Some(text) = block.get("text").and_then(Value::as_str) {
                    texts.push(text);
                }
            }
        }
    }
    let mut message = Map::new();
    message.insert("role".into(), Value::from("assistant"));
    let content = if texts.is_empty() && !tool_calls.is_empty() {
        Value::Null
    } else {
        Value::String(texts.join("\n"))
    };
    message.insert("content".into(), content);
    if !tool_calls.is_empty() {
        message.insert("tool_calls".into(), Value::Array(tool_calls));
    }
    let finish = answer
        .get("stop_reason")
        .and_then(Value::as_str)
        .map(finish_reason);
    let usage = answer.get("usage").and_then(usage_from_anthropic);
    let mut out = json!({
        "id": answer.get("id").and_then(Value::as_str).map(str::to_string)
            .unwrap_or_else(|| new_id("chatcmpl")),
        "object": "chat.completion",
        "created": now_secs(),
        "model": answer.get("model").and_then(Value::as_str).unwrap_or(fallback_model),
        "choices": [{
            "index": 0,
            "message": Value::Object(message),
            "logprobs": null,
            "finish_reason": finish,
        }],
    });
    if let Some(usage) = usage {
        out["usage"] = usage.to_openai();
    }
    Ok((out, usage))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_answer() {
        let (out, usage) = to_openai(
            &json!({
                "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-2.1",
                "content": [{"type": "text", "text": "The sum of 1 + 1 is 2."}],
                "stop_reason": "end_turn", "stop_sequence": null,
                "usage": {"input_tokens": 12, "output_tokens": 9, "cache_read_input_tokens": 3}
            }),
            "claude",
        )
        .unwrap();
        assert_eq!(out["id"], "msg_01");
        assert_eq!(out["object"], "chat.completion");
        assert!(out["created"].as_u64().unwrap() > 1_700_000_000);
        assert_eq!(out["model"], "claude-2.1");
        assert_eq!(
            out["choices"][0]["message"],
            json!({"role": "assistant", "content": "The sum of 1 + 1 is 2."})
        );
        assert_eq!(out["choices"][0]["finish_reason"], "stop");
        assert_eq!(
            out["usage"],
            json!({"prompt_tokens": 15, "completion_tokens": 9, "total_tokens": 24})
        );
        assert_eq!(usage.unwrap().total(), 24);
    }

    #[test]
    fn tool_use_answer() {
        let (out, _) = to_openai(
            &json!({
                "content": [{"type": "tool_use", "id": "toolu_1", "name": "get_weather",
                             "input": {"city": "Paris"}}],
                "stop_reason": "tool_use"
            }),
            "claude-x",
        )
        .unwrap();
        assert!(out["id"].as_str().unwrap().starts_with("chatcmpl-"));
        assert_eq!(out["model"], "claude-x");
        let message = &out["choices"][0]["message"];
        assert_eq!(message["content"], Value::Null);
        assert_eq!(
            message["tool_calls"],
            json!([{"id": "toolu_1", "type": "function",
                    "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}])
        );
        assert_eq!(out["choices"][0]["finish_reason"], "tool_calls");
        assert!(out.get("usage").is_none());
    }

    #[test]
    fn stop_reasons_map_to_openai_values() {
        assert_eq!(finish_reason("end_turn"), "stop");
        assert_eq!(finish_reason("stop_sequence"), "stop");
        assert_eq!(finish_reason("max_tokens"), "length");
        assert_eq!(finish_reason("tool_use"), "tool_calls");
        assert_eq!(finish_reason("refusal"), "content_filter");
    }

    #[test]
    fn an_answer_without_content_is_an_error() {
        let err = to_openai(&json!({"type": "message"}), "m").unwrap_err();
        assert!(err.contains("'content' not in anthropic://llm/v1/chat response"));
    }
}
