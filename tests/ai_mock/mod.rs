//! A mock LLM provider for tests and for trying the gateway offline: OpenAI's
//! `/v1/chat/completions` and `/v1/completions`, and Anthropic's `/v1/messages`, with SSE
//! streams paced like a real model. It answers "You said: <last user text>", calls the first
//! tool it is offered, and records every request so tests can assert what the gateway sent.
//!
//! Triggers in the last user message (or the prompt): `trigger:500` (plain-text 500),
//! `trigger:429` (JSON rate-limit error), `trigger:200-not-json` (a 200 whose body is
//! `not json`), `trigger:200-no-choices` (a 200 with `{"foo":1}`). A wrong key gets a 401 whose body *echoes the key it received*, like an
//! over-helpful provider, so tests can prove the gateway scrubs it.
//!
//! Shared by `tests/ai_proxy_*.rs` and `examples/mock_provider.rs` (via `#[path]`).
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::{Value, json};

/// The keys the mock accepts (`None`: any non-empty key).
#[derive(Debug, Clone)]
pub struct MockConfig {
    pub openai_key: Option<String>,
    pub anthropic_key: Option<String>,
    /// Pause before each streamed event.
    pub pace: Duration,
}

impl Default for MockConfig {
    fn default() -> MockConfig {
        MockConfig {
            openai_key: Some("sk-mock-openai".into()),
            anthropic_key: Some("sk-ant-mock".into()),
            pace: Duration::from_millis(15),
        }
    }
}

/// One request the mock received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path_and_query: String,
    pub headers: HeaderMap,
    pub body: Value,
}

#[derive(Clone)]
struct Mock {
    config: MockConfig,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

/// A running mock.
pub struct MockProvider {
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl MockProvider {
    /// Starts the mock on `listen` (use `127.0.0.1:0` in tests).
    pub async fn start(listen: &str, config: MockConfig) -> std::io::Result<MockProvider> {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let requests = Arc::new(Mutex::new(Vec::new()));
        let state = Mock {
            config,
            requests: requests.clone(),
        };
        let app = Router::new()
            .route("/v1/chat/completions", post(openai_chat))
            .route("/v1/completions", post(openai_completions))
            .route("/v1/messages", post(anthropic_messages))
            .with_state(state);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(MockProvider { addr, requests })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    pub fn last(&self) -> Recorded {
        self.requests().pop().expect("the mock received no request")
    }
}

async fn record(mock: &Mock, request: Request) -> Recorded {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 16 << 20)
        .await
        .unwrap_or_default();
    let recorded = Recorded {
        path_and_query: parts
            .uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        headers: parts.headers,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    };
    mock.requests.lock().unwrap().push(recorded.clone());
    recorded
}

/// The text of the last user message (OpenAI or Anthropic shape) or the prompt.
fn last_user_text(body: &Value) -> String {
    if let Some(prompt) = body.get("prompt").and_then(Value::as_str) {
        return prompt.to_string();
    }
    let messages = body.get("messages").and_then(Value::as_array);
    let Some(last) = messages.and_then(|m| m.iter().rev().find(|m| m["role"] == "user")) else {
        return String::new();
    };
    match &last["content"] {
        Value::String(text) => text.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

fn key_ok(given: &str, expected: &Option<String>) -> bool {
    match expected {
        Some(expected) => given == expected,
        None => !given.trim().is_empty(),
    }
}

fn json_reply(status: StatusCode, body: Value) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            // Real providers name the account that owns the key.
            (
                header::HeaderName::from_static("openai-organization"),
                "org-mock",
            ),
            (header::HeaderName::from_static("x-request-id"), "req_mock"),
        ],
        body.to_string(),
    )
        .into_response()
}

/// The failure a trigger asks for, if any.
fn triggered(text: &str) -> Option<Response> {
    if text.contains("trigger:500") {
        return Some((StatusCode::INTERNAL_SERVER_ERROR, "upstream exploded").into_response());
    }
    if text.contains("trigger:429") {
        let mut reply = json_reply(
            StatusCode::TOO_MANY_REQUESTS,
            json!({"error": {"message": "Rate limit reached", "type": "rate_limit_error"}}),
        );
        reply
            .headers_mut()
            .insert(header::RETRY_AFTER, "7".parse().unwrap());
        return Some(reply);
    }
    if text.contains("trigger:200-not-json") {
        return Some((StatusCode::OK, "not json").into_response());
    }
    if text.contains("trigger:200-no-choices") {
        return Some(json_reply(StatusCode::OK, json!({"foo": 1})));
    }
    None
}

/// SSE events sent one by one with `pace` before each.
fn sse(events: Vec<String>, pace: Duration) -> Response {
    let stream = futures_util::stream::iter(events).then(move |event| async move {
        tokio::time::sleep(pace).await;
        Ok::<Bytes, Infallible>(Bytes::from(event))
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(stream))
        .unwrap()
}

/// Splits the answer into a few streamed pieces.
fn pieces(text: &str) -> Vec<String> {
    text.split_inclusive(' ').map(str::to_string).collect()
}

fn first_tool(body: &Value) -> Option<String> {
    body.get("tools")?
        .as_array()?
        .first()
        .and_then(|t| t.pointer("/function/name").or_else(|| t.get("name")))
        .and_then(Value::as_str)
        .map(str::to_string)
}

async fn openai_chat(State(mock): State<Mock>, request: Request) -> Response {
    let recorded = record(&mock, request).await;
    let given = recorded
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !key_ok(
        given.strip_prefix("Bearer ").unwrap_or(""),
        &mock.config.openai_key,
    ) {
        return json_reply(
            StatusCode::UNAUTHORIZED,
            json!({"error": {"message": format!("Incorrect API key provided: {given}"),
                             "type": "invalid_request_error", "code": "invalid_api_key"}}),
        );
    }
    let body = &recorded.body;
    let text = last_user_text(body);
    if let Some(reply) = triggered(&text) {
        return reply;
    }
    let model = body["model"].as_str().unwrap_or("gpt-mock").to_string();
    let answer = format!("You said: {text}");
    let tool = first_tool(body);
    let usage = json!({"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18});
    if body["stream"] == true {
        let chunk = |delta: Value, finish: Value| {
            format!(
                "data: {}\n\n",
                json!({"id": "chatcmpl-mock", "object": "chat.completion.chunk",
                       "created": 1_700_000_000, "model": model,
                       "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
            )
        };
        let mut events = vec![chunk(
            json!({"role": "assistant", "content": ""}),
            Value::Null,
        )];
        match &tool {
            Some(name) => events.push(chunk(
                json!({"tool_calls": [{"index": 0, "id": "call_mock", "type": "function",
                       "function": {"name": name, "arguments": "{\"city\":\"Paris\"}"}}]}),
                Value::Null,
            )),
            None => events.extend(
                pieces(&answer)
                    .into_iter()
                    .map(|p| chunk(json!({"content": p}), Value::Null)),
            ),
        }
        let finish = if tool.is_some() { "tool_calls" } else { "stop" };
        events.push(chunk(json!({}), json!(finish)));
        if body.pointer("/stream_options/include_usage") == Some(&json!(true)) {
            events.push(format!(
                "data: {}\n\n",
                json!({"id": "chatcmpl-mock", "object": "chat.completion.chunk",
                       "created": 1_700_000_000, "model": model, "choices": [], "usage": usage})
            ));
        }
        events.push("data: [DONE]\n\n".into());
        return sse(events, mock.config.pace);
    }
    let message = match &tool {
        Some(name) => json!({"role": "assistant", "content": null, "tool_calls": [
            {"id": "call_mock", "type": "function",
             "function": {"name": name, "arguments": "{\"city\":\"Paris\"}"}}]}),
        None => json!({"role": "assistant", "content": answer}),
    };
    json_reply(
        StatusCode::OK,
        json!({"id": "chatcmpl-mock", "object": "chat.completion", "created": 1_700_000_000,
               "model": model, "choices": [{"index": 0, "message": message,
               "finish_reason": if tool.is_some() { "tool_calls" } else { "stop" }}],
               "usage": usage}),
    )
}

async fn openai_completions(State(mock): State<Mock>, request: Request) -> Response {
    let recorded = record(&mock, request).await;
    let text = last_user_text(&recorded.body);
    if let Some(reply) = triggered(&text) {
        return reply;
    }
    json_reply(
        StatusCode::OK,
        json!({"id": "cmpl-mock", "object": "text_completion", "created": 1_700_000_000,
               "model": recorded.body["model"], "choices": [{"index": 0,
               "text": format!("You said: {text}"), "finish_reason": "stop"}],
               "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}}),
    )
}

fn anthropic_error(status: StatusCode, kind: &str, message: String) -> Response {
    json_reply(
        status,
        json!({"type": "error", "error": {"type": kind, "message": message}}),
    )
}

async fn anthropic_messages(State(mock): State<Mock>, request: Request) -> Response {
    let recorded = record(&mock, request).await;
    let key = recorded
        .headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !key_ok(key, &mock.config.anthropic_key) {
        return anthropic_error(
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            format!("invalid x-api-key: {key}"),
        );
    }
    if !recorded.headers.contains_key("anthropic-version") {
        return anthropic_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "anthropic-version: header is required".into(),
        );
    }
    let body = &recorded.body;
    if body.get("max_tokens").and_then(Value::as_u64).is_none() {
        return anthropic_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "max_tokens: Field required".into(),
        );
    }
    let text = last_user_text(body);
    if let Some(reply) = triggered(&text) {
        return reply;
    }
    let model = body["model"].as_str().unwrap_or("claude-mock").to_string();
    let answer = format!("You said: {text}");
    let tool = first_tool(body);
    let stop_reason = if tool.is_some() {
        "tool_use"
    } else {
        "end_turn"
    };
    if body["stream"] == true {
        let event = |name: &str, data: Value| format!("event: {name}\ndata: {data}\n\n");
        let mut events = vec![
            event(
                "message_start",
                json!({"type": "message_start", "message": {
                "id": "msg_mock", "type": "message", "role": "assistant", "model": model,
                "content": [], "stop_reason": null,
                "usage": {"input_tokens": 21, "output_tokens": 1}}}),
            ),
            event("ping", json!({"type": "ping"})),
        ];
        match &tool {
            Some(name) => {
                events.push(event(
                    "content_block_start",
                    json!({"type": "content_block_start",
                    "index": 0, "content_block": {"type": "tool_use", "id": "toolu_mock",
                    "name": name, "input": {}}}),
                ));
                for part in ["{\"city\":", " \"Paris\"}"] {
                    events.push(event(
                        "content_block_delta",
                        json!({"type":
                        "content_block_delta", "index": 0,
                        "delta": {"type": "input_json_delta", "partial_json": part}}),
                    ));
                }
            }
            None => {
                events.push(event(
                    "content_block_start",
                    json!({"type": "content_block_start",
                    "index": 0, "content_block": {"type": "text", "text": ""}}),
                ));
                for part in pieces(&answer) {
                    events.push(event(
                        "content_block_delta",
                        json!({"type":
                        "content_block_delta", "index": 0,
                        "delta": {"type": "text_delta", "text": part}}),
                    ));
                }
            }
        }
        events.push(event(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ));
        events.push(event(
            "message_delta",
            json!({"type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": null},
            "usage": {"output_tokens": 9}}),
        ));
        events.push(event("message_stop", json!({"type": "message_stop"})));
        return sse(events, mock.config.pace);
    }
    let content = match &tool {
        Some(name) => json!([{"type": "tool_use", "id": "toolu_mock", "name": name,
                              "input": {"city": "Paris"}}]),
        None => json!([{"type": "text", "text": answer}]),
    };
    json_reply(
        StatusCode::OK,
        json!({"id": "msg_mock", "type": "message", "role": "assistant", "model": model,
               "content": content, "stop_reason": stop_reason, "stop_sequence": null,
               "usage": {"input_tokens": 21, "output_tokens": 9}}),
    )
}
