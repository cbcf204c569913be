//! The whole chain as a user runs it: `gwctl serve` as a process, the ai-proxy route created
//! through the Admin API, a client request through the proxy to a mock provider, and the
//! access-log file checked for usage and for the absence of the key.

mod ai_mock;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ai_mock::{MockConfig, MockProvider};
use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

const KEY: &str = "sk-ant-mock";

struct Served {
    child: Child,
    admin: String,
    proxy: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `gwctl serve` on ephemeral ports and reads both addresses from its banner.
fn serve(access_log: &std::path::Path) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gwctl"))
        .args(["serve", "--db", ":memory:"])
        .args([
            "--admin-listen",
            "127.0.0.1:0",
            "--proxy-listen",
            "127.0.0.1:0",
        ])
        .arg("--access-log")
        .arg(access_log)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("gwctl starts");
    let mut banner = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut banner)
        .unwrap();
    let urls: Vec<&str> = banner
        .split_whitespace()
        .filter(|w| w.starts_with("http://"))
        .collect();
    assert!(urls.len() >= 2, "unexpected banner: {banner}");
    Served {
        admin: urls[0].to_string(),
        proxy: urls.last().unwrap().trim_end_matches(',').to_string(),
        child,
    }
}

async fn call(method: &str, url: &str, body: Value) -> (u16, Value) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = Request::builder()
        .method(method)
        .uri(url)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let response = tokio::time::timeout(Duration::from_secs(20), client.request(request))
        .await
        .expect("answer in time")
        .expect("request succeeds");
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test]
async fn serve_admin_api_proxy_and_access_log() {
    let mock = MockProvider::start("127.0.0.1:0", MockConfig::default())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("access.log");
    let served = serve(&log_path);

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

    // The configuration applies to the next requests; allow the swap a moment.
    let url = format!("{}/ai/claude", served.proxy);
    let request = json!({"messages": [{"role": "user", "content": "ping"}]});
    let deadline = Instant::now() + Duration::from_secs(10);
    let (status, answer) = loop {
        let (status, answer) = call("POST", &url, request.clone()).await;
        if status == 200 || Instant::now() > deadline {
            break (status, answer);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
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
