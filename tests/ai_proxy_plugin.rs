//! ai-proxy through the plugin trait with real sockets: mock OpenAI and Anthropic servers on
//! 127.0.0.1:0, the plugin's hooks driven as the proxy drives them.

mod ai_harness;
mod ai_mock;

use std::time::{Duration, Instant};

use ai_harness::{body_json, exchange, log_entry, plugin, post, sse_data, sse_frames};
use ai_mock::{MockConfig, MockProvider};
use http::{Request, header};
use serde_json::{Value, json};

async fn mock() -> MockProvider {
    MockProvider::start("127.0.0.1:0", MockConfig::default())
        .await
        .unwrap()
}

fn openai_config(mock: &MockProvider) -> Value {
    json!({
        "route_type": "llm/v1/chat",
        "auth": {"header_name": "Authorization", "header_value": "Bearer sk-mock-openai"},
        "model": {"provider": "openai", "name": "gpt-4o",
                  "options": {"max_tokens": 512, "upstream_url": mock.url()}},
        "logging": {"log_statistics": true, "log_payloads": false}
    })
}

fn anthropic_config(mock: &MockProvider) -> Value {
    json!({
        "route_type": "llm/v1/chat",
        "auth": {"header_name": "x-api-key", "header_value": "sk-ant-mock"},
        "model": {"provider": "anthropic", "name": "claude-3-5-sonnet",
                  "options": {"anthropic_version": "2023-06-01", "max_tokens": 256,
                              "temperature": 0.3,
                              "upstream_url": format!("{}/v1/messages", mock.url())}},
        "logging": {"log_statistics": true, "log_payloads": false}
    })
}

fn hello() -> Value {
    json!({"messages": [{"role": "system", "content": "Be brief."},
                        {"role": "user", "content": "hello there"}]})
}

fn weather_tools(mut body: Value) -> Value {
    body["tools"] = json!([{"type": "function", "function": {"name": "get_weather",
        "description": "Current weather", "parameters": {"type": "object",
        "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]);
    body
}

#[tokio::test]
async fn openai_chat_gets_the_gateway_key_and_configured_options() {
    let mock = mock().await;
    let plugin = plugin(openai_config(&mock));
    let mut request = post("/ai/chat", hello());
    request.headers_mut().insert(
        header::AUTHORIZATION,
        "Bearer sk-client-own".parse().unwrap(),
    );
    let (response, ctx) = exchange(&*plugin, request).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-kong-llm-model"], "openai/gpt-4o");
    assert_eq!(response.headers()["x-request-id"], "req_mock");
    assert!(response.headers().get("openai-organization").is_none());
    let body = body_json(response).await;
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "You said: hello there"
    );

    let sent = mock.last();
    assert_eq!(sent.path_and_query, "/v1/chat/completions");
    assert_eq!(sent.headers[header::AUTHORIZATION], "Bearer sk-mock-openai");
    assert_eq!(sent.body["model"], "gpt-4o");
    assert_eq!(sent.body["max_tokens"], 512);
    assert_eq!(sent.body["messages"], hello()["messages"]);

    let log = log_entry(&*plugin, &ctx);
    assert_eq!(log["ai"]["proxy"]["meta"]["provider_name"], "openai");
    assert_eq!(log["ai"]["proxy"]["usage"]["total_tokens"], 18);
    assert!(!Value::Object(log).to_string().contains("sk-mock-openai"));
}

#[tokio::test]
async fn anthropic_chat_is_translated_both_ways() {
    let mock = mock().await;
    let plugin = plugin(anthropic_config(&mock));
    let (response, ctx) = exchange(&*plugin, post("/ai/claude", hello())).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["x-kong-llm-model"],
        "anthropic/claude-3-5-sonnet"
    );
    let body = body_json(response).await;
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["id"], "msg_mock");
    assert!(body["created"].as_u64().unwrap() > 1_700_000_000);
    assert_eq!(body["model"], "claude-3-5-sonnet");
    assert_eq!(
        body["choices"][0]["message"],
        json!({"role": "assistant", "content": "You said: hello there"})
    );
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert_eq!(
        body["usage"],
        json!({"prompt_tokens": 21, "completion_tokens": 9, "total_tokens": 30})
    );

    let sent = mock.last();
    assert_eq!(sent.path_and_query, "/v1/messages");
    assert_eq!(sent.headers["x-api-key"], "sk-ant-mock");
    assert_eq!(sent.headers["anthropic-version"], "2023-06-01");
    assert_eq!(sent.body["system"], "Be brief.");
    assert_eq!(
        sent.body["messages"],
        json!([{"role": "user", "content": "hello there"}])
    );
    assert_eq!(sent.body["max_tokens"], 256);
    assert_eq!(sent.body["temperature"], 0.3);
    assert_eq!(sent.body["model"], "claude-3-5-sonnet");

    let log = log_entry(&*plugin, &ctx);
    assert_eq!(log["ai"]["proxy"]["usage"]["prompt_tokens"], 21);
    assert_eq!(log["ai"]["proxy"]["usage"]["completion_tokens"], 9);
}

#[tokio::test]
async fn anthropic_tool_calls_come_back_as_openai_tool_calls() {
    let mock = mock().await;
    let plugin = plugin(anthropic_config(&mock));
    let (response, _) = exchange(&*plugin, post("/ai", weather_tools(hello()))).await;
    let body = body_json(response).await;
    let choice = &body["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert_eq!(choice["message"]["content"], Value::Null);
    assert_eq!(
        choice["message"]["tool_calls"],
        json!([{"id": "toolu_mock", "type": "function",
                "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}])
    );
    assert_eq!(
        mock.last().body["tools"][0]["input_schema"]["required"],
        json!(["city"])
    );
}

#[tokio::test]
async fn anthropic_stream_is_translated_event_by_event() {
    let mock = MockProvider::start(
        "127.0.0.1:0",
        MockConfig {
            pace: Duration::from_millis(40),
            ..MockConfig::default()
        },
    )
    .await
    .unwrap();
    let plugin = plugin(anthropic_config(&mock));
    let mut body = hello();
    body["stream"] = json!(true);
    let started = Instant::now();
    let (response, ctx) = exchange(&*plugin, post("/ai", body)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/event-stream"
    );
    assert!(response.headers().get(header::CONTENT_LENGTH).is_none());
    let frames = sse_frames(response).await;
    let finished = Instant::now();
    // Translated as it arrives: the first chunk reached the client long before the end.
    let first = frames.first().unwrap().0;
    assert!(
        finished - first >= Duration::from_millis(150),
        "first chunk at {:?}, end at {:?}",
        first - started,
        finished - started
    );
    assert!(frames.len() >= 5, "{} frames", frames.len());

    let text: String = frames.iter().map(|(_, f)| f.as_str()).collect();
    assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
    let data = sse_data(&text);
    let chunks: Vec<Value> = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    let content: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(content, "You said: hello there");
    for chunk in &chunks {
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["id"], "msg_mock");
        assert!(chunk["created"].is_u64());
    }
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        "stop"
    );
    assert_eq!(mock.last().body["stream"], true);

    let log = log_entry(&*plugin, &ctx);
    assert_eq!(log["ai"]["proxy"]["usage"]["total_tokens"], 30);
}

#[tokio::test]
async fn anthropic_streamed_tool_call() {
    let mock = mock().await;
    let plugin = plugin(anthropic_config(&mock));
    let mut body = weather_tools(hello());
    body["stream"] = json!(true);
    let (response, _) = exchange(&*plugin, post("/ai", body)).await;
    let text: String = sse_frames(response)
        .await
        .into_iter()
        .map(|(_, f)| f)
        .collect();
    let data = sse_data(&text);
    assert_eq!(data.last().unwrap(), "[DONE]");
    let chunks: Vec<Value> = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    let first_call = chunks
        .iter()
        .find_map(|c| c.pointer("/choices/0/delta/tool_calls/0"))
        .unwrap();
    assert_eq!(first_call["id"], "toolu_mock");
    assert_eq!(first_call["function"]["name"], "get_weather");
    let arguments: String = chunks
        .iter()
        .filter_map(|c| c.pointer("/choices/0/delta/tool_calls/0/function/arguments"))
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        serde_json::from_str::<Value>(&arguments).unwrap(),
        json!({"city": "Paris"})
    );
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        "tool_calls"
    );
}

#[tokio::test]
async fn openai_stream_passes_through_and_usage_is_counted_quietly() {
    let mock = mock().await;
    let plugin = plugin(openai_config(&mock));
    let mut body = hello();
    body["stream"] = json!(true);
    let (response, ctx) = exchange(&*plugin, post("/ai", body)).await;
    let text: String = sse_frames(response)
        .await
        .into_iter()
        .map(|(_, f)| f)
        .collect();
    let data = sse_data(&text);
    assert_eq!(data.last().unwrap(), "[DONE]");
    assert_eq!(data.iter().filter(|d| *d == "[DONE]").count(), 1);
    // The gateway asked for usage for its log; the client did not, so it gets no usage chunk.
    assert_eq!(
        mock.last().body["stream_options"],
        json!({"include_usage": true})
    );
    assert!(!text.contains("\"usage\""), "{text}");
    let content: String = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str::<Value>(d).unwrap())
        .filter_map(|c| {
            c["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_string)
        })
        .collect();
    assert_eq!(content, "You said: hello there");
    let log = log_entry(&*plugin, &ctx);
    assert_eq!(log["ai"]["proxy"]["usage"]["total_tokens"], 18);
}

#[tokio::test]
async fn completions_route_on_anthropic_answers_text_completion() {
    let mock = mock().await;
    let mut config = anthropic_config(&mock);
    config["route_type"] = json!("llm/v1/completions");
    config["logging"]["log_statistics"] = json!(false);
    let plugin = plugin(config);
    let (response, ctx) = exchange(&*plugin, post("/ai", json!({"prompt": "say hi"}))).await;
    let body = body_json(response).await;
    assert_eq!(body["object"], "text_completion");
    assert_eq!(body["choices"][0]["text"], "You said: say hi");
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert_eq!(
        mock.last().body["messages"],
        json!([{"role": "user", "content": "say hi"}])
    );
    // Without log_statistics: provider and model, no usage.
    let log = log_entry(&*plugin, &ctx);
    assert!(log["ai"]["proxy"].get("usage").is_none());
    assert_eq!(
        log["ai"]["proxy"]["meta"]["request_model"],
        "claude-3-5-sonnet"
    );
}

#[tokio::test]
async fn azure_takes_the_clients_api_version() {
    let mock = mock().await;
    // The mock serves OpenAI paths; point upstream_path at it as an Azure deployment would be.
    let plugin = plugin(json!({
        "route_type": "llm/v1/chat",
        "auth": {"header_name": "Authorization", "header_value": "Bearer sk-mock-openai"},
        "model": {"provider": "azure", "name": "gpt-4o",
                  "options": {"azure_instance": "acme", "azure_deployment_id": "prod",
                              "azure_api_version": "2024-06-01",
                              "upstream_url": format!("{}/v1/chat/completions", mock.url())}},
        "logging": {"log_statistics": false, "log_payloads": false}
    }));
    let (response, _) = exchange(&*plugin, post("/ai?api-version=2025-01-01", hello())).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-kong-llm-model"], "azure/gpt-4o");
    assert_eq!(
        mock.last().path_and_query,
        "/v1/chat/completions?api-version=2025-01-01"
    );
}

#[tokio::test]
async fn key_in_a_query_parameter() {
    let mock = mock().await;
    let plugin = plugin(json!({
        "route_type": "llm/v1/chat",
        "auth": {"header_name": "Authorization", "header_value": "Bearer sk-mock-openai",
                 "param_name": "key", "param_value": "sk-query", "param_location": "query"},
        "model": {"provider": "mistral", "name": "mistral-small",
                  "options": {"mistral_format": "openai", "upstream_url": mock.url()}},
        "logging": {"log_statistics": false, "log_payloads": false}
    }));
    let (response, _) = exchange(&*plugin, post("/ai?key=client", hello())).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        mock.last().path_and_query,
        "/v1/chat/completions?key=sk-query"
    );
}

/// A route whose provider key goes in the `key` query parameter (as Gemini-style APIs take it).
fn query_key_config(mock: &MockProvider, allow_override: bool) -> Value {
    json!({
        "route_type": "llm/v1/chat",
        "auth": {"header_name": "Authorization", "header_value": "Bearer sk-mock-openai",
                 "param_name": "key", "param_value": "sk-query", "param_location": "query",
                 "allow_override": allow_override},
        "model": {"provider": "openai", "name": "gpt-4o", "options": {"upstream_url": mock.url()}},
        "logging": {"log_statistics": false, "log_payloads": false}
    })
}

#[tokio::test]
async fn the_clients_query_string_reaches_the_provider() {
    let mock = mock().await;
    let plugin = plugin(openai_config(&mock));
    let (response, _) = exchange(&*plugin, post("/ai/chat?trace=abc&q=a%20b&flag", hello())).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        mock.last().path_and_query,
        "/v1/chat/completions?trace=abc&q=a%20b&flag"
    );
}

#[tokio::test]
async fn the_gateways_query_key_replaces_the_clients_but_keeps_its_other_arguments() {
    let mock = mock().await;
    let plugin = plugin(query_key_config(&mock, false));
    let (response, _) = exchange(&*plugin, post("/ai?key=client&a=1&key=again", hello())).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        mock.last().path_and_query,
        "/v1/chat/completions?a=1&key=sk-query"
    );
}

#[tokio::test]
async fn allow_override_lets_the_clients_query_key_through() {
    let mock = mock().await;
    let plugin = plugin(query_key_config(&mock, true));
    let (response, _) = exchange(&*plugin, post("/ai?key=client-own&a=1", hello())).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        mock.last().path_and_query,
        "/v1/chat/completions?key=client-own&a=1"
    );
    // Without a key from the client, the gateway's goes on.
    let (response, _) = exchange(&*plugin, post("/ai?a=1", hello())).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        mock.last().path_and_query,
        "/v1/chat/completions?a=1&key=sk-query"
    );
}

#[tokio::test]
async fn azure_keeps_the_clients_arguments_beside_the_api_version() {
    let mock = mock().await;
    let plugin = plugin(json!({
        "route_type": "llm/v1/chat",
        "auth": {"header_name": "api-key", "header_value": "sk-azure"},
        "model": {"provider": "azure", "name": "gpt-4o",
                  "options": {"azure_instance": "acme", "azure_deployment_id": "prod",
                              "azure_api_version": "2024-06-01",
                              "upstream_url": format!("{}/v1/chat/completions", mock.url())}},
        "logging": {"log_statistics": false, "log_payloads": false}
    }));
    let (_, _) = exchange(&*plugin, post("/ai?user=42", hello())).await;
    assert_eq!(
        mock.last().path_and_query,
        "/v1/chat/completions?user=42&api-version=2024-06-01"
    );
}

#[tokio::test]
async fn gateway_checks_answer_before_any_upstream_call() {
    let mock = mock().await;
    let mut config = openai_config(&mock);
    config["max_request_body_size"] = json!(200);
    config["response_streaming"] = json!("deny");
    let plugin = plugin(config);

    let cases = [
        (
            json!({"model": "gpt-3.5-turbo", "messages": [{"role": "user", "content": "x"}]}),
            400,
            "cannot use own model - must be: gpt-4o",
        ),
        (
            json!({"messages": [{"role": "user", "content": "x"}], "stream": true}),
            400,
            "response streaming is not enabled for this LLM",
        ),
        (
            json!({"messages": [{"role": "user", "content": "x".repeat(300)}]}),
            413,
            "request body is larger than max_request_body_size (200 bytes); raise it in the ai-proxy config",
        ),
    ];
    for (body, status, message) in cases {
        let (response, _) = exchange(&*plugin, post("/ai", body)).await;
        assert_eq!(response.status(), status);
        assert_eq!(
            body_json(response).await,
            json!({"error": {"message": message}})
        );
    }
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn upstream_errors_pass_through_with_the_key_scrubbed() {
    let mock = MockProvider::start(
        "127.0.0.1:0",
        MockConfig {
            anthropic_key: Some("sk-ant-other".into()),
            ..MockConfig::default()
        },
    )
    .await
    .unwrap();
    let plugin = plugin(anthropic_config(&mock));
    let (response, _) = exchange(&*plugin, post("/ai", hello())).await;
    assert_eq!(response.status(), 401);
    let text = String::from_utf8(ai_harness::body_bytes(response).await.to_vec()).unwrap();
    assert!(!text.contains("sk-ant-mock"), "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["error"]["type"], "authentication_error");
    assert_eq!(body["error"]["message"], "invalid x-api-key: [masked]");
}

#[tokio::test]
async fn non_json_and_rate_limit_errors() {
    let mock = mock().await;
    let plugin = plugin(openai_config(&mock));
    let ask = |text: &str| {
        post(
            "/ai",
            json!({"messages": [{"role": "user", "content": text}]}),
        )
    };

    let (response, _) = exchange(&*plugin, ask("trigger:500")).await;
    assert_eq!(response.status(), 500);
    assert_eq!(
        body_json(response).await,
        json!({"error": {"message": "openai answered HTTP 500: upstream exploded",
                         "type": "upstream_error"}})
    );

    let (response, _) = exchange(&*plugin, ask("trigger:429")).await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()[header::RETRY_AFTER], "7");
    assert_eq!(
        body_json(response).await["error"]["message"],
        "Rate limit reached"
    );
}

#[tokio::test]
async fn allow_override_lets_the_client_key_through() {
    let mock = mock().await;
    let mut config = openai_config(&mock);
    config["auth"]["header_value"] = json!("Bearer sk-wrong");
    config["auth"]["allow_override"] = json!(true);
    let plugin = plugin(config);
    let request = Request::post("/ai")
        .header(header::AUTHORIZATION, "Bearer sk-mock-openai")
        .body(hello().to_string().into())
        .unwrap();
    let (response, _) = exchange(&*plugin, request).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        mock.last().headers[header::AUTHORIZATION],
        "Bearer sk-mock-openai"
    );
}

#[test]
fn unsupported_configs_are_refused_clearly() {
    let refused = gwctl::gateway::plugins::ai_proxy::new(
        &json!({"route_type": "llm/v1/chat", "model": {"provider": "gemini"}}),
    );
    let Err(message) = refused else {
        panic!("gemini accepted")
    };
    assert!(message.contains("'gemini' is not supported"), "{message}");
}

/// The ai-proxy configs of `fixtures/kong-ai-local.yaml`, loaded as `gwctl serve` loads them,
/// with the mock's keys in the environment, by route path.
fn local_fixture() -> Vec<(String, Value)> {
    use gwctl::state::{Env, LoadOptions, load};
    let env = [
        ("OPENAI_API_KEY", "sk-mock-openai"),
        ("ANTHROPIC_API_KEY", "sk-ant-mock"),
    ];
    let options = LoadOptions {
        env: Env::Map(
            env.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ),
        ..LoadOptions::default()
    };
    let loaded = load(&["fixtures/kong-ai-local.yaml".into()], &options)
        .unwrap_or_else(|e| panic!("{:?}", miette::Report::new(e)));
    let state = &loaded.state;
    state
        .of_kind("routes")
        .iter()
        .map(|route| {
            let plugin = state
                .of_kind("plugins")
                .iter()
                .find(|p| {
                    let parent = p.body.get("route");
                    let by = |key: &str| {
                        route.body.get(key).is_some()
                            && parent.and_then(|r| r.get(key)) == route.body.get(key)
                    };
                    by("id") || by("name")
                })
                .expect("each route has its ai-proxy");
            (
                route.body["paths"][0].as_str().unwrap().to_string(),
                plugin.body["config"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn local_fixture_routes_answer_through_the_mock() {
    let mock = mock().await;
    let mut served = Vec::new();
    for (path, mut config) in local_fixture() {
        assert_eq!(
            config["model"]["options"]["upstream_url"],
            "http://127.0.0.1:9999"
        );
        config["model"]["options"]["upstream_url"] = json!(mock.url());
        let plugin = plugin(config);
        let (response, _) = exchange(&*plugin, post(&path, hello())).await;
        assert_eq!(response.status(), 200, "{path}");
        let body = body_json(response).await;
        assert_eq!(body["object"], "chat.completion", "{path}");
        assert_eq!(
            body["choices"][0]["message"]["content"],
            "You said: hello there"
        );
        served.push(path);
    }
    assert_eq!(served, ["/ai/chat", "/ai/claude"]);
}

#[tokio::test]
async fn log_payloads_records_both_bodies_but_never_the_key() {
    let mock = mock().await;
    let mut config = anthropic_config(&mock);
    config["logging"]["log_payloads"] = json!(true);
    let plugin = plugin(config);
    let (response, ctx) = exchange(&*plugin, post("/ai", hello())).await;
    let answer = ai_harness::body_bytes(response).await;
    let log = log_entry(&*plugin, &ctx);
    let payload = &log["ai"]["proxy"]["payload"];
    assert_eq!(
        serde_json::from_str::<Value>(payload["request"].as_str().unwrap()).unwrap(),
        hello()
    );
    assert_eq!(
        payload["response"].as_str().unwrap().as_bytes(),
        &answer[..]
    );
    assert!(!Value::Object(log).to_string().contains("sk-ant-mock"));
}

#[tokio::test]
async fn preserve_forwards_the_body_untouched_with_the_key() {
    let mock = mock().await;
    let plugin = plugin(json!({
        "route_type": "preserve",
        "auth": {"header_name": "x-api-key", "header_value": "sk-ant-mock"},
        "model": {"provider": "anthropic",
                  "options": {"anthropic_version": "2023-06-01",
                              "upstream_url": format!("{}/v1/messages", mock.url())}},
        "logging": {"log_statistics": false, "log_payloads": false}
    }));
    // A native Anthropic request: no translation, answered in Anthropic's own format.
    let native = json!({"model": "claude-x", "max_tokens": 10,
                        "messages": [{"role": "user", "content": "native"}]});
    let (response, _) = exchange(&*plugin, post("/ai/native", native.clone())).await;
    assert_eq!(response.status(), 200);
    let body = body_json(response).await;
    assert_eq!(body["type"], "message");
    assert_eq!(body["content"][0]["text"], "You said: native");
    let sent = mock.last();
    assert_eq!(sent.body, native);
    assert_eq!(sent.headers["x-api-key"], "sk-ant-mock");
    assert_eq!(sent.headers["anthropic-version"], "2023-06-01");
}

#[tokio::test]
async fn an_unreachable_provider_is_a_clear_502() {
    // Bound then released: nothing listens there.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let plugin = plugin(json!({
        "route_type": "llm/v1/chat",
        "auth": {"header_name": "Authorization", "header_value": "Bearer sk-mock-openai"},
        "model": {"provider": "openai", "name": "gpt-4o",
                  "options": {"upstream_url": format!("http://{closed}")}},
        "logging": {"log_statistics": false, "log_payloads": false}
    }));
    let (response, _) = exchange(&*plugin, post("/ai", hello())).await;
    assert_eq!(response.status(), 502);
    let body = body_json(response).await;
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!("openai could not be reached at {closed}: ")),
        "{message}"
    );
    assert!(!body.to_string().contains("sk-mock-openai"));
}

#[tokio::test]
async fn completions_route_on_mistral_goes_through_its_chat_api() {
    let mock = mock().await;
    let plugin = plugin(json!({
        "route_type": "llm/v1/completions",
        "auth": {"header_name": "Authorization", "header_value": "Bearer sk-mock-openai"},
        "model": {"provider": "mistral", "name": "mistral-small",
                  "options": {"mistral_format": "openai", "upstream_url": mock.url()}},
        "logging": {"log_statistics": true, "log_payloads": false}
    }));
    let (response, ctx) = exchange(&*plugin, post("/ai", json!({"prompt": "complete me"}))).await;
    let body = body_json(response).await;
    assert_eq!(body["object"], "text_completion");
    assert_eq!(body["choices"][0]["text"], "You said: complete me");
    let sent = mock.last();
    assert_eq!(sent.path_and_query, "/v1/chat/completions");
    assert_eq!(
        sent.body["messages"],
        json!([{"role": "user", "content": "complete me"}])
    );
    assert!(sent.body.get("prompt").is_none());
    assert_eq!(
        log_entry(&*plugin, &ctx)["ai"]["proxy"]["usage"]["total_tokens"],
        18
    );
}
