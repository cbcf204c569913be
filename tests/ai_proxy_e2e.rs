//! End to end over real sockets: client → gwctl's proxy → ai-proxy → mock OpenAI / Anthropic.
//! What the client receives, what the provider received, and what the access log says.

mod ai_mock;
mod proxy_support;

use std::time::{Duration, Instant};

use ai_mock::{MockConfig, MockProvider};
use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use proxy_support::{Entities, Gateway, closed_port, fk, send};
use serde_json::{Value, json};

const OPENAI_KEY: &str = "sk-mock-openai";
const ANTHROPIC_KEY: &str = "sk-ant-mock";

/// The seed's route and an Anthropic route, both aimed at `mock`, plus a route whose provider
/// is down. The services point at a closed port: only ai-proxy's retargeting reaches the mock.
async fn entities(mock: &MockProvider) -> Entities {
    let nowhere = format!("http://{}", closed_port().await);
    let down = format!("http://{}", closed_port().await);
    Entities::new()
        .service("openai-service", &nowhere)
        .route("openai-chat-route", "openai-service", json!({"paths": ["/ai/chat"]}))
        .add("plugins", json!({"name": "ai-proxy", "route": fk("openai-chat-route"), "config": {
            "route_type": "llm/v1/chat",
            "auth": {"header_name": "Authorization", "header_value": format!("Bearer {OPENAI_KEY}")},
            "model": {"provider": "openai", "name": "gpt-4o",
                      "options": {"max_tokens": 512, "upstream_url": mock.url()}},
            "logging": {"log_statistics": true, "log_payloads": false}}}))
        .service("anthropic-service", &nowhere)
        .route("anthropic-chat-route", "anthropic-service", json!({"paths": ["/ai/claude"]}))
        .add("plugins", json!({"name": "ai-proxy", "route": fk("anthropic-chat-route"), "config": {
            "route_type": "llm/v1/chat",
            "auth": {"header_name": "x-api-key", "header_value": ANTHROPIC_KEY},
            "model": {"provider": "anthropic", "name": "claude-sonnet-4-5",
                      "options": {"anthropic_version": "2023-06-01", "max_tokens": 256,
                                  "upstream_url": mock.url()}},
            "logging": {"log_statistics": true, "log_payloads": false}}}))
        .service("down-service", &nowhere)
        .route("down-route", "down-service", json!({"paths": ["/ai/down"]}))
        .add("plugins", json!({"name": "ai-proxy", "route": fk("down-route"), "config": {
            "route_type": "llm/v1/chat",
            "auth": {"header_name": "Authorization", "header_value": format!("Bearer {OPENAI_KEY}")},
            "model": {"provider": "openai", "name": "gpt-4o", "options": {"upstream_url": down}},
            "logging": {"log_statistics": false, "log_payloads": false}}}))
}

async fn setup(config: MockConfig) -> (MockProvider, Gateway) {
    let mock = MockProvider::start("127.0.0.1:0", config).await.unwrap();
    let gateway = Gateway::start(&entities(&mock).await).await;
    (mock, gateway)
}

fn chat(text: &str) -> String {
    json!({"messages": [{"role": "system", "content": "Be brief."},
                        {"role": "user", "content": text}]})
    .to_string()
}

fn with(body: &str, key: &str, value: Value) -> String {
    let mut body: Value = serde_json::from_str(body).unwrap();
    body[key] = value;
    body.to_string()
}

const JSON: (&str, &str) = ("content-type", "application/json");

/// Sends a request and returns each body frame with the time it arrived.
async fn stream(
    url: &str,
    body: String,
) -> (http::StatusCode, http::HeaderMap, Vec<(Instant, Bytes)>) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = Request::post(url)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let response = tokio::time::timeout(Duration::from_secs(20), client.request(request))
        .await
        .unwrap()
        .unwrap();
    let (parts, mut body) = response.into_parts();
    let mut frames = Vec::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.unwrap().into_data() {
            frames.push((Instant::now(), data));
        }
    }
    (parts.status, parts.headers, frames)
}

fn sse_chunks(frames: &[(Instant, Bytes)]) -> Vec<String> {
    let text: String = frames
        .iter()
        .map(|(_, f)| String::from_utf8_lossy(f).into_owned())
        .collect();
    assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
    text.split("\n\n")
        .filter_map(|e| e.strip_prefix("data: "))
        .map(str::to_string)
        .collect()
}

/// Through the real proxy, whose route strips `/ai/chat`: the provider gets its own path and
/// the client's query string, as Kong's drivers set only the path.
#[tokio::test]
async fn the_clients_query_string_reaches_the_provider() {
    let (mock, gateway) = setup(MockConfig::default()).await;
    let reply = send(
        "POST",
        &gateway.url("/ai/chat?trace=abc&q=a%20b"),
        &[JSON],
        &chat("hello"),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        mock.last().path_and_query,
        "/v1/chat/completions?trace=abc&q=a%20b"
    );
}

#[tokio::test]
async fn openai_route_answers_with_the_gateways_key() {
    let (mock, mut gateway) = setup(MockConfig::default()).await;
    let reply = send(
        "POST",
        &gateway.url("/ai/chat"),
        &[JSON, ("authorization", "Bearer sk-client-own")],
        &chat("hello"),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("x-kong-llm-model"), Some("openai/gpt-4o"));
    let body = reply.json();
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["choices"][0]["message"]["content"], "You said: hello");
    let sent = mock.last();
    assert_eq!(
        sent.headers["authorization"],
        format!("Bearer {OPENAI_KEY}")
    );
    assert_eq!(sent.body["max_tokens"], 512);
    assert_eq!(sent.path_and_query, "/v1/chat/completions");

    let log = gateway.next_log().await;
    assert_eq!(log["ai"]["proxy"]["meta"]["provider_name"], "openai");
    assert_eq!(log["ai"]["proxy"]["usage"]["total_tokens"], 18);
    let everything = format!("{:?}{}{}", reply.headers, reply.body, log);
    assert!(!everything.contains(OPENAI_KEY), "{everything}");
}

#[tokio::test]
async fn anthropic_route_answers_in_openai_format() {
    let (mock, mut gateway) = setup(MockConfig::default()).await;
    let reply = send("POST", &gateway.url("/ai/claude"), &[JSON], &chat("hi")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.header("x-kong-llm-model"),
        Some("anthropic/claude-sonnet-4-5")
    );
    let body = reply.json();
    assert_eq!(body["object"], "chat.completion");
    assert!(body["id"].is_string() && body["created"].is_u64());
    assert_eq!(
        body["choices"][0]["message"],
        json!({"role": "assistant", "content": "You said: hi"})
    );
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert_eq!(body["usage"]["total_tokens"], 30);

    let sent = mock.last();
    assert_eq!(sent.path_and_query, "/v1/messages");
    assert_eq!(sent.headers["x-api-key"], ANTHROPIC_KEY);
    assert_eq!(sent.headers["anthropic-version"], "2023-06-01");
    assert_eq!(sent.body["system"], "Be brief.");
    assert_eq!(sent.body["max_tokens"], 256);

    let log = gateway.next_log().await;
    assert_eq!(log["ai"]["proxy"]["usage"]["prompt_tokens"], 21);
    assert_eq!(log["ai"]["proxy"]["usage"]["completion_tokens"], 9);
    assert!(!log.to_string().contains(ANTHROPIC_KEY));
}

#[tokio::test]
async fn anthropic_stream_arrives_translated_as_it_is_produced() {
    let config = MockConfig {
        pace: Duration::from_millis(40),
        ..MockConfig::default()
    };
    let (_mock, mut gateway) = setup(config).await;
    let body = with(&chat("stream this please"), "stream", json!(true));
    let (status, headers, frames) = stream(&gateway.url("/ai/claude"), body).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/event-stream");
    let first = frames.first().unwrap().0;
    let last = frames.last().unwrap().0;
    assert!(
        last - first >= Duration::from_millis(200),
        "frames were not streamed: {} frames over {:?}",
        frames.len(),
        last - first
    );
    let chunks = sse_chunks(&frames);
    let parsed: Vec<Value> = chunks[..chunks.len() - 1]
        .iter()
        .map(|c| serde_json::from_str(c).unwrap())
        .collect();
    let content: String = parsed
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(content, "You said: stream this please");
    assert!(
        parsed
            .iter()
            .all(|c| c["object"] == "chat.completion.chunk")
    );
    assert_eq!(
        parsed.last().unwrap()["choices"][0]["finish_reason"],
        "stop"
    );

    // The log line is written when the stream has ended, with its usage.
    let log = gateway.next_log().await;
    assert_eq!(log["ai"]["proxy"]["usage"]["total_tokens"], 30);
}

#[tokio::test]
async fn openai_stream_passes_through_and_ends_with_done() {
    let (_mock, mut gateway) = setup(MockConfig::default()).await;
    let body = with(&chat("hey"), "stream", json!(true));
    let (status, _, frames) = stream(&gateway.url("/ai/chat"), body).await;
    assert_eq!(status, 200);
    let chunks = sse_chunks(&frames);
    assert_eq!(chunks.iter().filter(|c| *c == "[DONE]").count(), 1);
    assert!(!chunks.iter().any(|c| c.contains("\"usage\"")));
    let log = gateway.next_log().await;
    assert_eq!(log["ai"]["proxy"]["usage"]["total_tokens"], 18);
}

#[tokio::test]
async fn tool_calls_through_the_gateway() {
    let (_mock, _gateway) = setup(MockConfig::default()).await;
    let gateway = _gateway;
    let tools = json!([{"type": "function", "function": {"name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]);
    let reply = send(
        "POST",
        &gateway.url("/ai/claude"),
        &[JSON],
        &with(&chat("weather in Paris?"), "tools", tools.clone()),
    )
    .await;
    let body = reply.json();
    assert_eq!(body["choices"][0]["finish_reason"], "tool_calls");
    let call = &body["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(call["function"]["name"], "get_weather");
    assert_eq!(
        serde_json::from_str::<Value>(call["function"]["arguments"].as_str().unwrap()).unwrap(),
        json!({"city": "Paris"})
    );

    let streamed = with(
        &with(&chat("weather?"), "tools", tools),
        "stream",
        json!(true),
    );
    let (_, _, frames) = stream(&gateway.url("/ai/claude"), streamed).await;
    let chunks = sse_chunks(&frames);
    let arguments: String = chunks[..chunks.len() - 1]
        .iter()
        .map(|c| serde_json::from_str::<Value>(c).unwrap())
        .filter_map(|c| {
            c.pointer("/choices/0/delta/tool_calls/0/function/arguments")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect();
    assert_eq!(
        serde_json::from_str::<Value>(&arguments).unwrap(),
        json!({"city": "Paris"})
    );
}

#[tokio::test]
async fn upstream_errors_pass_through_without_the_key() {
    let config = MockConfig {
        openai_key: Some("sk-something-else".into()),
        anthropic_key: Some("sk-something-else".into()),
        ..MockConfig::default()
    };
    let (_mock, gateway) = setup(config).await;
    for (path, key) in [("/ai/chat", OPENAI_KEY), ("/ai/claude", ANTHROPIC_KEY)] {
        let reply = send("POST", &gateway.url(path), &[JSON], &chat("hi")).await;
        assert_eq!(reply.status, 401, "{path}: {}", reply.body);
        assert!(!reply.body.contains(key), "{path}: {}", reply.body);
        assert!(reply.body.contains("[masked]"), "{path}: {}", reply.body);
        assert!(reply.json()["error"]["message"].is_string());
    }
}

#[tokio::test]
async fn provider_failures_are_clear() {
    let (_mock, gateway) = setup(MockConfig::default()).await;
    let reply = send(
        "POST",
        &gateway.url("/ai/chat"),
        &[JSON],
        &chat("trigger:500"),
    )
    .await;
    assert_eq!(reply.status, 500);
    assert_eq!(
        reply.json()["error"]["message"],
        "openai answered HTTP 500: upstream exploded"
    );
    let reply = send(
        "POST",
        &gateway.url("/ai/chat"),
        &[JSON],
        &chat("trigger:429"),
    )
    .await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.header("retry-after"), Some("7"));

    let started = Instant::now();
    let reply = send("POST", &gateway.url("/ai/down"), &[JSON], &chat("anyone?")).await;
    assert_eq!(reply.status, 502, "{}", reply.body);
    assert!(started.elapsed() < Duration::from_secs(5));
    let message = reply.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!message.is_empty());
    assert!(!reply.body.contains(OPENAI_KEY));
}

/// The gateway's own 502 on an ai-proxy route stays OpenAI-shaped JSON, naming the provider,
/// whatever format the client's `Accept` would pick for a gateway error elsewhere.
#[tokio::test]
async fn an_unreachable_provider_is_reported_in_openai_shape_whatever_the_accept() {
    let (_mock, gateway) = setup(MockConfig::default()).await;
    for accept in ["text/html", "application/xml", "text/plain"] {
        let reply = send(
            "POST",
            &gateway.url("/ai/down"),
            &[JSON, ("accept", accept)],
            &chat("anyone?"),
        )
        .await;
        assert_eq!(reply.status, 502, "{}", reply.body);
        let body = reply.json();
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("openai could not be reached at 127.0.0.1:")
                && message.ends_with(": An invalid response was received from the upstream server"),
            "{accept}: {message}"
        );
        assert_eq!(body["error"]["type"], "upstream_error");
        assert_eq!(
            body["error"]["request_id"].as_str(),
            reply.header("x-kong-request-id"),
            "{accept}"
        );
    }
}

#[tokio::test]
async fn gateway_refuses_other_models_before_calling_the_provider() {
    let (mock, gateway) = setup(MockConfig::default()).await;
    let body = with(&chat("hi"), "model", json!("gpt-3.5-turbo"));
    let reply = send("POST", &gateway.url("/ai/chat"), &[JSON], &body).await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.json(),
        json!({"error": {"message": "cannot use own model - must be: gpt-4o"}})
    );
    assert!(mock.requests().is_empty());
}

/// Without network the provider's host does not resolve: Kong's 503 `name resolution failed`,
/// said of the provider, at once (a `.invalid` host fails so without a lookup).
#[tokio::test]
async fn a_provider_whose_host_does_not_resolve_is_a_clear_503() {
    let nowhere = format!("http://{}", closed_port().await);
    let entities = Entities::new()
        .service("s", &nowhere)
        .route("r", "s", json!({"paths": ["/ai"]}))
        .plugin("ai-proxy", json!({
            "route_type": "llm/v1/chat",
            "auth": {"header_name": "Authorization", "header_value": format!("Bearer {OPENAI_KEY}")},
            "model": {"provider": "openai", "name": "gpt-4o",
                      "options": {"upstream_url": "https://provider.invalid"}}}));
    let gateway = Gateway::start(&entities).await;
    let started = Instant::now();
    let reply = send("POST", &gateway.url("/ai"), &[JSON], &chat("anyone?")).await;
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        reply.json()["error"]["message"],
        "openai could not be reached at provider.invalid:443: name resolution failed"
    );
    assert!(!reply.body.contains(OPENAI_KEY));
}

/// A provider answering 200 with something that is not a chat (or completion) answer: not
/// JSON, or JSON without `choices` (Anthropic: without `content`). Kong's drivers refuse such
/// an answer rather than pass it on (`transformers_from`: `failed to decode llm/v1/chat
/// response`, `'choices' not in llm/v1/chat response`); the gateway does too, with a 502 for
/// every provider, pass-through (openai, azure, mistral) or translated (anthropic) alike.
#[tokio::test]
async fn a_malformed_200_from_any_provider_is_a_502() {
    let mock = MockProvider::start("127.0.0.1:0", MockConfig::default())
        .await
        .unwrap();
    let nowhere = format!("http://{}", closed_port().await);
    let auth =
        json!({"header_name": "Authorization", "header_value": format!("Bearer {OPENAI_KEY}")});
    let chat_path = format!("{}/v1/chat/completions", mock.url());
    let routes = [
        (
            "openai",
            "llm/v1/chat",
            auth.clone(),
            json!({"provider": "openai", "name": "gpt-4o", "options": {"upstream_url": mock.url()}}),
        ),
        (
            "openai-completions",
            "llm/v1/completions",
            auth.clone(),
            json!({"provider": "openai", "name": "gpt-3.5-turbo-instruct",
                "options": {"upstream_url": mock.url()}}),
        ),
        (
            "azure",
            "llm/v1/chat",
            auth.clone(),
            json!({"provider": "azure", "name": "gpt-4o",
                "options": {"azure_instance": "acme", "azure_deployment_id": "prod",
                            "azure_api_version": "2024-06-01", "upstream_url": chat_path}}),
        ),
        (
            "mistral",
            "llm/v1/chat",
            auth.clone(),
            json!({"provider": "mistral", "name": "mistral-small",
                "options": {"mistral_format": "openai", "upstream_url": mock.url()}}),
        ),
        (
            "anthropic",
            "llm/v1/chat",
            json!({"header_name": "x-api-key", "header_value": ANTHROPIC_KEY}),
            json!({"provider": "anthropic", "name": "claude-sonnet-4-5",
                "options": {"anthropic_version": "2023-06-01", "max_tokens": 256,
                            "upstream_url": mock.url()}}),
        ),
    ];
    let mut entities = Entities::new().service("s", &nowhere);
    for (name, route_type, auth, model) in &routes {
        entities = entities
            .route(name, "s", json!({"paths": [format!("/ai/{name}")]}))
            .add(
                "plugins",
                json!({"name": "ai-proxy", "route": fk(name), "config": {
                "route_type": route_type, "auth": auth, "model": model,
                "logging": {"log_statistics": false, "log_payloads": false}}}),
            );
    }
    let gateway = Gateway::start(&entities).await;

    for (name, route_type, _, _) in &routes {
        let provider = name.split('-').next().unwrap();
        let reasons = if provider == "anthropic" {
            [
                "failed to decode anthropic response".to_string(),
                "'content' not in anthropic://llm/v1/chat response".to_string(),
            ]
        } else {
            [
                format!("failed to decode {route_type} response"),
                format!("'choices' not in {route_type} response"),
            ]
        };
        let triggers = ["trigger:200-not-json", "trigger:200-no-choices"];
        for (trigger, reason) in triggers.into_iter().zip(reasons) {
            let body = if *route_type == "llm/v1/completions" {
                json!({"prompt": trigger}).to_string()
            } else {
                chat(trigger)
            };
            let reply = send("POST", &gateway.url(&format!("/ai/{name}")), &[JSON], &body).await;
            assert_eq!(reply.status, 502, "{name} {trigger}: {}", reply.body);
            assert_eq!(reply.header("content-type"), Some("application/json"));
            assert_eq!(
                reply.json(),
                json!({"error": {"message": format!(
                    "{provider}: the provider's answer could not be translated: \
                     transformation failed from type {provider}://{route_type}: {reason}"
                )}}),
                "{name} {trigger}"
            );
        }
    }
    assert_eq!(mock.requests().len(), routes.len() * 2);
}
