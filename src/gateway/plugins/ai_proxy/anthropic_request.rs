//! OpenAI chat request → Anthropic Messages API request (`POST /v1/messages`).
//!
//! Beyond Kong's driver: all system messages are kept (joined), consecutive tool results go in
//! one user turn (Anthropic requires the results of parallel calls together), images and
//! `stop`/`top_p`/`top_k`/`user`/`parallel_tool_calls` are carried over, and `max_tokens`
//! (required by Anthropic) defaults to 4096 when neither the client nor the config sets it.

use serde_json::{Map, Value, json};

/// `max_tokens` when neither the client nor the config gives one; Anthropic requires it.
pub const DEFAULT_MAX_TOKENS: u64 = 4096;

/// Translates an OpenAI chat request (already checked and merged). A completions request
/// (`prompt`) is sent as one user message.
pub fn to_anthropic(openai: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(model) = openai.get("model") {
        out.insert("model".into(), model.clone());
    }
    let (system, messages) = match (openai.get("messages"), openai.get("prompt")) {
        (Some(Value::Array(messages)), _) => convert_messages(messages),
        (_, Some(prompt)) => (
            None,
            vec![json!({"role": "user", "content": text_of(prompt)})],
        ),
        _ => (None, Vec::new()),
    };
    if let Some(system) = system {
        out.insert("system".into(), Value::String(system));
    }
    out.insert("messages".into(), Value::Array(messages));
    let max_tokens = openai
        .get("max_tokens")
        .or_else(|| openai.get("max_completion_tokens"))
        .and_then(Value::as_u64)
        .unwrap_or(DEFAULT_MAX_TOKENS);
    out.insert("max_tokens".into(), Value::from(max_tokens));
    for key in ["temperature", "top_p", "top_k"] {
        if let Some(value) = openai.get(key).filter(|v| v.is_number()) {
            out.insert(key.into(), value.clone());
        }
    }
    match openai.get("stop") {
        Some(Value::String(stop)) => {
            out.insert("stop_sequences".into(), json!([stop]));
        }
        Some(Value::Array(stops)) if !stops.is_empty() => {
            out.insert("stop_sequences".into(), Value::Array(stops.clone()));
        }
        _ => {}
    }
    if openai.get("stream").and_then(Value::as_bool) == Some(true) {
        out.insert("stream".into(), Value::Bool(true));
    }
    if let Some(Value::Array(tools)) = openai.get("tools") {
        let tools: Vec<Value> = tools.iter().filter_map(convert_tool).collect();
        if !tools.is_empty() {
            out.insert("tools".into(), Value::Array(tools));
        }
    }
    let parallel = openai.get("parallel_tool_calls").and_then(Value::as_bool);
    if let Some(mut choice) = openai.get("tool_choice").and_then(convert_tool_choice) {
        if parallel == Some(false) && choice["type"] != "none" {
            choice["disable_parallel_tool_use"] = Value::Bool(true);
        }
        out.insert("tool_choice".into(), choice);
    } else if parallel == Some(false) && out.contains_key("tools") {
        out.insert(
            "tool_choice".into(),
            json!({"type": "auto", "disable_parallel_tool_use": true}),
        );
    }
    if let Some(Value::String(user)) = openai.get("user") {
        out.insert("metadata".into(), json!({"user_id": user}));
    }
    out
}

/// Splits system prompts out and converts each turn.
fn convert_messages(messages: &[Value]) -> (Option<String>, Vec<Value>) {
    let mut system: Vec<String> = Vec::new();
    let mut out: Vec<Value> = Vec::new();
    for message in messages {
        let role = message.get("role").and_then(Value::as_str).unwrap_or("");
        let content = message.get("content").unwrap_or(&Value::Null);
        match role {
            "user" => out.push(json!({"role": "user", "content": convert_content(content)})),
            "assistant" => out.push(convert_assistant(message, content)),
            "tool" => push_tool_result(&mut out, message, content),
            // system, developer, and (as in Kong) any other role become the system prompt.
            _ => {
                let text = text_of(content);
                if !text.is_empty() {
                    system.push(text);
                }
            }
        }
    }
    let system = (!system.is_empty()).then(|| system.join("\n\n"));
    (system, out)
}

fn convert_assistant(message: &Value, content: &Value) -> Value {
    let Some(Value::Array(calls)) = message.get("tool_calls") else {
        return json!({"role": "assistant", "content": convert_content(content)});
    };
    let mut blocks = Vec::new();
    let text = text_of(content);
    if !text.is_empty() {
        blocks.push(json!({"type": "text", "text": text}));
    }
    for call in calls {
        let function = call.get("function").unwrap_or(&Value::Null);
        let arguments = function
            .get("arguments")
            .and_then(Value::as_str)
            .unwrap_or("{}");
        // Anthropic wants the input as an object; a model's malformed arguments are sent as
        // an empty object rather than failing the whole conversation.
        let input = serde_json::from_str::<Value>(arguments)
            .ok()
            .filter(Value::is_object)
            .unwrap_or_else(|| json!({}));
        blocks.push(json!({
            "type": "tool_use",
            "id": call.get("id").cloned().unwrap_or(Value::Null),
            "name": function.get("name").cloned().unwrap_or(Value::Null),
            "input": input,
        }));
    }
    json!({"role": "assistant", "content": blocks})
}

/// A `tool` message becomes a `tool_result` block in a user turn; results that follow each
/// other share one turn.
fn push_tool_result(out: &mut Vec<Value>, message: &Value, content: &Value) {
    let block = json!({
        "type": "tool_result",
        "tool_use_id": message.get("tool_call_id").cloned().unwrap_or(Value::Null),
        "content": text_of(content),
    });
    if let Some(last) = out.last_mut()
        && last["role"] == "user"
        && let Some(Value::Array(blocks)) = last.get_mut("content")
        && blocks.iter().all(|b| b["type"] == "tool_result")
    {
        blocks.push(block);
        return;
    }
    out.push(json!({"role": "user", "content": [block]}));
}

/// OpenAI content (string or parts) → Anthropic content (string or blocks).
fn convert_content(content: &Value) -> Value {
    match content {
        Value::Array(parts) => Value::Array(parts.iter().map(convert_part).collect()),
        Value::Null => Value::String(String::new()),
        Value::String(_) => content.clone(),
        other => Value::String(other.to_string()),
    }
}

fn convert_part(part: &Value) -> Value {
    match part.get("type").and_then(Value::as_str) {
        Some("text") => {
            json!({"type": "text", "text": part.get("text").cloned().unwrap_or_default()})
        }
        Some("image_url") => {
            let url = part
                .pointer("/image_url/url")
                .or_else(|| part.get("image_url"))
                .and_then(Value::as_str)
                .unwrap_or("");
            match data_url(url) {
                Some((media_type, data)) => json!({"type": "image", "source":
                    {"type": "base64", "media_type": media_type, "data": data}}),
                None => json!({"type": "image", "source": {"type": "url", "url": url}}),
            }
        }
        // Already an Anthropic block (or unknown): pass it on for the provider to judge.
        _ => part.clone(),
    }
}

/// `data:image/png;base64,AAAA` → (`image/png`, `AAAA`).
fn data_url(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("data:")?;
    let (meta, data) = rest.split_once(',')?;
    let media_type = meta.strip_suffix(";base64")?;
    Some((media_type, data))
}

/// The text of OpenAI content: a string, or its text parts joined.
pub fn text_of(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn convert_tool(tool: &Value) -> Option<Value> {
    let function = tool.get("function")?;
    let mut out = Map::new();
    out.insert("name".into(), function.get("name")?.clone());
    if let Some(description) = function.get("description") {
        out.insert("description".into(), description.clone());
    }
    let schema = function
        .get("parameters")
        .cloned()
        .unwrap_or_else(|| json!({"type": "object", "properties": {}}));
    out.insert("input_schema".into(), schema);
    Some(Value::Object(out))
}

fn convert_tool_choice(choice: &Value) -> Option<Value> {
    match choice {
        Value::String(kind) => match kind.as_str() {
            "required" => Some(json!({"type": "any"})),
            "auto" | "none" => Some(json!({"type": kind})),
            _ => None,
        },
        Value::Object(_) => {
            let name = choice.pointer("/function/name")?;
            Some(json!({"type": "tool", "name": name}))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn translate(openai: Value) -> Value {
        Value::Object(to_anthropic(openai.as_object().unwrap()))
    }

    #[test]
    fn system_messages_move_to_the_top_and_max_tokens_is_set() {
        let out = translate(json!({
            "model": "claude-3-5-sonnet", "temperature": 0.2, "stop": "END",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "developer", "content": [{"type": "text", "text": "Use French."}]},
                {"role": "user", "content": "Hi"}
            ]
        }));
        assert_eq!(out["system"], "Be brief.\n\nUse French.");
        assert_eq!(out["messages"], json!([{"role": "user", "content": "Hi"}]));
        assert_eq!(out["max_tokens"], DEFAULT_MAX_TOKENS);
        assert_eq!(out["temperature"], 0.2);
        assert_eq!(out["stop_sequences"], json!(["END"]));
        assert_eq!(out["model"], "claude-3-5-sonnet");
        assert!(out.get("stream").is_none());
    }

    #[test]
    fn tool_calls_and_results_round_trip() {
        let out = translate(json!({
            "model": "m", "max_tokens": 100, "stream": true,
            "tools": [{"type": "function", "function": {"name": "get_weather",
                "description": "Weather", "parameters": {"type": "object",
                "properties": {"city": {"type": "string"}}}}}],
            "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
            "parallel_tool_calls": false,
            "messages": [
                {"role": "user", "content": "Weather in Paris and Rome?"},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "call_1", "type": "function",
                     "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
                    {"id": "call_2", "type": "function",
                     "function": {"name": "get_weather", "arguments": "not json"}}]},
                {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
                {"role": "tool", "tool_call_id": "call_2", "content": "24C"}
            ]
        }));
        assert_eq!(out["max_tokens"], 100);
        assert_eq!(out["stream"], true);
        assert_eq!(
            out["tools"],
            json!([{"name": "get_weather", "description": "Weather", "input_schema":
                {"type": "object", "properties": {"city": {"type": "string"}}}}])
        );
        assert_eq!(
            out["tool_choice"],
            json!({"type": "tool", "name": "get_weather", "disable_parallel_tool_use": true})
        );
        let messages = out["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 3);
        assert_eq!(
            messages[1]["content"],
            json!([
                {"type": "tool_use", "id": "call_1", "name": "get_weather",
                 "input": {"city": "Paris"}},
                {"type": "tool_use", "id": "call_2", "name": "get_weather", "input": {}}
            ])
        );
        assert_eq!(
            messages[2],
            json!({"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "call_1", "content": "18C"},
                {"type": "tool_result", "tool_use_id": "call_2", "content": "24C"}
            ]})
        );
    }

    #[test]
    fn tool_choice_strings_and_images() {
        assert_eq!(
            convert_tool_choice(&json!("required")),
            Some(json!({"type": "any"}))
        );
        assert_eq!(
            convert_tool_choice(&json!("none")),
            Some(json!({"type": "none"}))
        );
        let out = translate(
            json!({"model": "m", "messages": [{"role": "user", "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                {"type": "image_url", "image_url": {"url": "https://x/y.png"}}
            ]}]}),
        );
        assert_eq!(
            out["messages"][0]["content"],
            json!([
                {"type": "text", "text": "What is this?"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                             "data": "AAAA"}},
                {"type": "image", "source": {"type": "url", "url": "https://x/y.png"}}
            ])
        );
    }

    #[test]
    fn a_prompt_becomes_one_user_message() {
        let out = translate(json!({"model": "m", "prompt": "Say hi", "max_tokens": 5}));
        assert_eq!(
            out["messages"],
            json!([{"role": "user", "content": "Say hi"}])
        );
    }
}
