//! The whole chain as a user runs it: `gwctl serve` as a process, the ai-proxy route created
//! through the Admin API, a client request through the proxy to a mock provider, and the
//! access-log file checked for usage and for the absence of the key.

mod ai_mock;
mod serve_support;

use std::time::{Duration, Instant};

use ai_mock::{MockConfig, MockProvider};
use serde_json::{Value, json};
use serve_support::{call, serve};

const KEY: &str = "sk-ant-mock";

#[tokio::test]
async fn serve_admin_api_proxy_and_access_log() {
    let mock = MockProvider::start("127.0.0.1:0", MockConfig::default())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("access.log");
    let served = serve(&["--access-log".as_ref(), log_path.as_os_str()]);

    let admin = |path: &str| format!("{}{path}", served.admin);
    let (status, body) = call(
        "POST",
        &admin("/services"),
        json!({"name": "anthropic-service", "url": "https://api.anthropic.com"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = call(
        "POST",
        &admin("/services/anthropic-service/routes"),
        json!({"name": "claude", "paths": ["/ai/claude"]}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    // A config Kong would refuse is refused here too.
    let (status, body) = call(
        "POST",
        &admin("/routes/claude/plugins"),
        json!({"name": "ai-proxy", "config": {"route_type": "llm/v1/chat",
               "model": {"provider": "anthropic", "name": "claude-sonnet-4-5"}}}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("anthropic_version"), "{body}");
    let (status, body) = call(
        "POST",
        &admin("/routes/claude/plugins"),
        json!({"name": "ai-proxy", "config": {
            "route_type": "llm/v1/chat",
            "auth": {"header_name": "x-api-key", "header_value": KEY},
            "model": {"provider": "anthropic", "name": "claude-sonnet-4-5",
                      "options": {"anthropic_version": "2023-06-01", "max_tokens": 128,
                                  "upstream_url": mock.url()}},
            "logging": {"log_statistics": true}}}),
    )
    .await;
    assert_eq!(status, 201, "{body}");

    // The configuration applies from the very next request.
    let url = format!("{}/ai/claude", served.proxy);
    let request = json!({"messages": [{"role": "user", "content": "ping"}]});
    let (status, answer) = call("POST", &url, request).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["object"], "chat.completion");
    assert_eq!(answer["choices"][0]["message"]["content"], "You said: ping");
    assert_eq!(answer["choices"][0]["finish_reason"], "stop");
    assert_eq!(mock.last().headers["x-api-key"], KEY);

    // The access-log line of that request carries provider, model and tokens, and no key.
    let deadline = Instant::now() + Duration::from_secs(5);
    let line = loop {
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        if let Some(line) = text
            .lines()
            .filter(|l| l.contains("\"ai\""))
            .find(|l| l.contains("\"status\":200"))
        {
            break line.to_string();
        }
        assert!(
            Instant::now() < deadline,
            "no access-log line for the AI request: {text}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let entry: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(entry["ai"]["proxy"]["meta"]["provider_name"], "anthropic");
    assert_eq!(
        entry["ai"]["proxy"]["meta"]["request_model"],
        "claude-sonnet-4-5"
    );
    assert_eq!(entry["ai"]["proxy"]["usage"]["total_tokens"], 30);
    let all = std::fs::read_to_string(&log_path).unwrap();
    assert!(!all.contains(KEY), "the key leaked into the access log");
}
