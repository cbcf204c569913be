//! `llm/v1/completions` on providers that only have a chat API (Anthropic's legacy
//! `/v1/complete` is retired; Mistral has no OpenAI-style completions): the prompt is sent as
//! one chat message and the chat answer is reshaped into OpenAI's `text_completion`.

use serde_json::{Value, json};

/// A `chat.completion` → `text_completion`.
pub fn chat_to_text_completion(chat: &Value) -> Value {
    reshape(
        chat,
        "text_completion",
        text_choices(chat, "/message/content"),
    )
}

/// A `chat.completion.chunk` → a streamed `text_completion` chunk.
pub fn chunk_to_text_completion(chunk: &Value) -> Value {
    reshape(
        chunk,
        "text_completion",
        text_choices(chunk, "/delta/content"),
    )
}

/// The choices of a chat answer (or chunk) as text-completion choices, reading each choice's
/// text at `content` (`/message/content` in answers, `/delta/content` in chunks).
fn text_choices(chat: &Value, content: &str) -> Vec<Value> {
    chat.get("choices")
        .and_then(Value::as_array)
        .map(|choices| {
            choices
                .iter()
                .map(|c| {
                    json!({
                        "index": c.get("index").cloned().unwrap_or(Value::from(0)),
                        "text": c.pointer(content).and_then(Value::as_str).unwrap_or(""),
                        "logprobs": null,
                        "finish_reason": c.get("finish_reason").cloned().unwrap_or(Value::Null),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

fn reshape(source: &Value, object: &str, choices: Vec<Value>) -> Value {
    let mut out = json!({
        "id": source.get("id").cloned().unwrap_or(Value::Null),
        "object": object,
        "created": source.get("created").cloned().unwrap_or(Value::Null),
        "model": source.get("model").cloned().unwrap_or(Value::Null),
        "choices": choices,
    });
    if let Some(usage) = source.get("usage").filter(|u| !u.is_null()) {
        out["usage"] = usage.clone();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_answers_become_text_completions() {
        let out = chat_to_text_completion(&json!({
            "id": "x", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
        }));
        assert_eq!(out["object"], "text_completion");
        assert_eq!(out["choices"][0]["text"], "Hi");
        assert_eq!(out["choices"][0]["finish_reason"], "stop");
        assert_eq!(out["usage"]["total_tokens"], 2);
        let chunk = chunk_to_text_completion(&json!({
            "id": "x", "created": 1, "model": "m",
            "choices": [{"index": 0, "delta": {"content": "H"}, "finish_reason": null}]
        }));
        assert_eq!(chunk["choices"][0]["text"], "H");
        assert!(chunk.get("usage").is_none());
    }
}
