//! ai-proxy behaviours that must match Kong 3.x's ai-proxy (`kong/llm/...`), each found by
//! reading Kong's code and checked here against a mock provider over real sockets.

mod ai_harness;
mod ai_mock;

use ai_harness::{body_json, exchange, plugin, post};
use ai_mock::{MockConfig, MockProvider};
use http::Request;
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
                  "options": {"upstream_url": mock.url()}},
        "logging": {"log_statistics": false, "log_payloads": false}
    })
}

/// A preserve route to the mock's OpenAI chat endpoint, pinned to `gpt-4o`.
fn preserve_config(mock: &MockProvider) -> Value {
    json!({
        "route_type": "preserve",
        "auth": {"header_name": "Authorization", "header_value": "Bearer sk-mock-openai"},
        "model": {"provider": "openai", "name": "gpt-4o",
                  "options": {"upstream_url": format!("{}/v1/chat/completions", mock.url())}},
        "logging": {"log_statistics": false, "log_payloads": false},
        "max_request_body_size": 300
    })
}

fn hello() -> Value {
    json!({"messages": [{"role": "user", "content": "hello there"}]})
}

/// Kong's openai driver removes `top_k` (OpenAI-format APIs answer 400 to it), the client's
/// included.
#[tokio::test]
async fn parity_clients_top_k_is_not_sent_to_openai() {
    let mock = mock().await;
    let plugin = plugin(openai_config(&mock));
    let mut body = hello();
    body["top_k"] = json!(40);
    body["top_p"] = json!(0.5);
    let (response, _) = exchange(&*plugin, post("/ai", body)).await;
    assert_eq!(response.status(), 200);
    let sent = mock.last().body;
    assert!(sent.get("top_k").is_none(), "{sent}");
    assert_eq!(sent["top_p"], 0.5);
}

/// Kong ignores an empty `model` instead of calling it a mismatch with `model.name`.
#[tokio::test]
async fn parity_an_empty_model_uses_the_configured_one() {
    let mock = mock().await;
    let plugin = plugin(openai_config(&mock));
    let mut body = hello();
    body["model"] = json!("");
    let (response, _) = exchange(&*plugin, post("/ai", body)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-kong-llm-model"], "openai/gpt-4o");
    assert_eq!(mock.last().body["model"], "gpt-4o");
}

/// Kong's `identify_request`: a body with both `messages` and `prompt` is refused.
#[tokio::test]
async fn parity_a_body_in_both_formats_is_a_400() {
    let mock = mock().await;
    let plugin = plugin(openai_config(&mock));
    let mut body = hello();
    body["prompt"] = json!("hello");
    let (response, _) = exchange(&*plugin, post("/ai", body)).await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        body_json(response).await,
        json!({"error": {"message": "request matches multiple LLM request formats"}})
    );
    assert!(mock.requests().is_empty());
}

/// Kong sets `X-Kong-LLM-Model` when `model_name_header` is on *or* the client sent a
/// `Kong-Debug` header.
#[tokio::test]
async fn parity_kong_debug_asks_for_the_model_header() {
    let mock = mock().await;
    let mut config = openai_config(&mock);
    config["model_name_header"] = json!(false);
    let plugin = plugin(config);

    let (response, _) = exchange(&*plugin, post("/ai", hello())).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("x-kong-llm-model").is_none());

    let request = Request::post("/ai")
        .header("content-type", "application/json")
        .header("kong-debug", "1")
        .body(hello().to_string().into())
        .unwrap();
    let (response, _) = exchange(&*plugin, request).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-kong-llm-model"], "openai/gpt-4o");
}

/// Kong checks the model on preserve routes too: a configured `model.name` cannot be dodged
/// by using a preserve route.
#[tokio::test]
async fn parity_preserve_route_enforces_the_configured_model() {
    let mock = mock().await;
    let plugin = plugin(preserve_config(&mock));

    let mut other = hello();
    other["model"] = json!("gpt-4-32k");
    let (response, _) = exchange(&*plugin, post("/ai", other)).await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        body_json(response).await,
        json!({"error": {"message": "cannot use own model - must be: gpt-4o"}})
    );
    assert!(mock.requests().is_empty());

    // Padding the body past the size that can be checked does not get it through either.
    let mut padded = hello();
    padded["model"] = json!("gpt-4-32k");
    padded["user"] = json!("x".repeat(400));
    let (response, _) = exchange(&*plugin, post("/ai", padded)).await;
    assert_eq!(response.status(), 413);
    assert!(mock.requests().is_empty());

    // A multipart upload (audio, files) is not buffered for the check: Kong proxies it as is.
    let upload = Request::post("/ai")
        .header("content-type", "multipart/form-data; boundary=b")
        .body(format!("--b\r\n{}\r\n--b--\r\n", "x".repeat(400)).into())
        .unwrap();
    let (response, _) = exchange(&*plugin, upload).await;
    assert_ne!(response.status(), 413);
    assert_eq!(mock.requests().len(), 1);

    // The configured model, and no model at all, are forwarded untouched.
    let mut same = hello();
    same["model"] = json!("gpt-4o");
    for body in [same, hello()] {
        let (response, _) = exchange(&*plugin, post("/ai", body.clone())).await;
        assert_eq!(response.status(), 200);
        assert_eq!(mock.last().body, body);
        assert_eq!(
            mock.last().headers["authorization"],
            "Bearer sk-mock-openai"
        );
    }
}

/// A preserve route without `model.name` does not know the model: no half `openai/` header.
#[tokio::test]
async fn parity_preserve_without_a_model_name_sends_no_empty_model_header() {
    let mock = mock().await;
    let mut config = preserve_config(&mock);
    config["model"]["name"] = Value::Null;
    let plugin = plugin(config);
    let mut body = hello();
    body["model"] = json!("gpt-4o-mini");
    let (response, _) = exchange(&*plugin, post("/ai", body)).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers().get("x-kong-llm-model").is_none(),
        "{:?}",
        response.headers().get("x-kong-llm-model")
    );
}
