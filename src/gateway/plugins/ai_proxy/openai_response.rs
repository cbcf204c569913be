//! Answers from OpenAI-format providers (openai, azure, mistral) pass through, read only for
//! usage and model; `id`, `created` and `object` are filled in when a compatible server
//! leaves them out (bytes are rewritten only then). An answer that is not JSON, or has no
//! `choices` list, is refused, as Kong's openai driver refuses it (`transformers_from`).

use bytes::Bytes;
use serde_json::Value;

use super::ids::{new_id, now_secs};
use super::usage::Usage;

/// What the gateway learnt from an OpenAI-format answer.
#[derive(Debug, Default)]
pub struct Normalized {
    pub body: Bytes,
    pub usage: Option<Usage>,
    pub model: Option<String>,
}

/// Normalizes a 200 answer. `object` is the expected type (`chat.completion`…) and
/// `route_type` the route's (`llm/v1/chat`…), for the message. `Err` is Kong's message for an
/// answer that is not JSON or has no `choices` (Kong answers those 500; the caller decides).
pub fn normalize(body: Bytes, object: &str, route_type: &str) -> Result<Normalized, String> {
    let answer = serde_json::from_slice::<Value>(&body)
        .map_err(|_| format!("failed to decode {route_type} response"))?;
    let Value::Object(mut answer) = answer else {
        return Err(format!("'choices' not in {route_type} response"));
    };
    match answer.get("choices") {
        Some(Value::Array(_)) => {}
        None | Some(Value::Null) => {
            return Err(format!("'choices' not in {route_type} response"));
        }
        Some(_) => return Err(format!("'choices' is not a list in {route_type} response")),
    }
    let usage = answer.get("usage").and_then(Usage::from_openai);
    let model = answer
        .get("model")
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut changed = false;
    if !answer.get("id").is_some_and(Value::is_string) {
        let prefix = if object == "text_completion" {
            "cmpl"
        } else {
            "chatcmpl"
        };
        answer.insert("id".into(), Value::from(new_id(prefix)));
        changed = true;
    }
    if !answer.get("created").is_some_and(Value::is_u64) {
        answer.insert("created".into(), Value::from(now_secs()));
        changed = true;
    }
    if !answer.get("object").is_some_and(Value::is_string) {
        answer.insert("object".into(), Value::from(object));
        changed = true;
    }
    let body = if changed {
        Bytes::from(Value::Object(answer).to_string())
    } else {
        body
    };
    Ok(Normalized { body, usage, model })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn complete_answers_pass_through_byte_for_byte() {
        let raw = Bytes::from_static(
            br#"{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}"#,
        );
        let out = normalize(raw.clone(), "chat.completion", "llm/v1/chat").unwrap();
        assert_eq!(out.body, raw);
        assert_eq!(out.usage.unwrap().total(), 7);
        assert_eq!(out.model.as_deref(), Some("gpt-4o"));
    }

    #[test]
    fn missing_id_and_created_are_filled() {
        let raw = Bytes::from(json!({"model": "mistral-small", "choices": []}).to_string());
        let out = normalize(raw, "chat.completion", "llm/v1/chat").unwrap();
        let value: Value = serde_json::from_slice(&out.body).unwrap();
        assert!(value["id"].as_str().unwrap().starts_with("chatcmpl-"));
        assert!(value["created"].is_u64());
        assert_eq!(value["object"], "chat.completion");
    }

    /// Kong's `transformers_from` messages; a `choices` that is not a list is refused too.
    #[test]
    fn answers_without_choices_are_refused() {
        let refused = |raw: &'static [u8], route_type| {
            normalize(Bytes::from_static(raw), "chat.completion", route_type).unwrap_err()
        };
        assert_eq!(
            refused(b"<html>", "llm/v1/chat"),
            "failed to decode llm/v1/chat response"
        );
        assert_eq!(
            refused(b"", "llm/v1/completions"),
            "failed to decode llm/v1/completions response"
        );
        for raw in [
            &br#"{"foo":1}"#[..],
            br#"{"choices":null}"#,
            b"[]",
            b"\"x\"",
        ] {
            assert_eq!(
                refused(raw, "llm/v1/chat"),
                "'choices' not in llm/v1/chat response"
            );
        }
        assert_eq!(
            refused(br#"{"choices":{}}"#, "llm/v1/chat"),
            "'choices' is not a list in llm/v1/chat response"
        );
    }
}
