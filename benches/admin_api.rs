//! Admin API speed and size, against a real `gwctl serve` child process on a file database.
//!
//! Run: `cargo bench --bench admin_api` (`GWCTL_BENCH=speed` or `GWCTL_BENCH=memory` for one
//! part). Prints each figure beside its target; the targets are
//! goals to watch, not assertions.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(db: &Path, sync: &str) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gwctl"))
        .args([
            "serve",
            "--admin-listen",
            "127.0.0.1:0",
            "--sync",
            sync,
            "--db",
        ])
        .arg(db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("gwctl serve starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    Server {
        base: format!("http://{addr}"),
        child,
    }
}

fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn services_batch(from: usize, count: usize) -> Value {
    batch_of("services", from, count)
}

fn batch_of(kind: &str, from: usize, count: usize) -> Value {
    let ops: Vec<Value> = (from..from + count)
        .map(|i| {
            let body = if kind == "services" {
                json!({
                    "name": format!("service-{i:06}"),
                    "url": format!("http://backend-{}.internal:8080/api", i % 50),
                    "tags": ["bench", format!("team-{}", i % 7)],
                })
            } else {
                json!({"username": format!("user-{i:06}"), "custom_id": format!("c-{i}"), "tags": ["bench"]})
            };
            json!({"op": "create", "kind": kind, "body": body})
        })
        .collect();
    json!({ "operations": ops })
}

/// A decK-like configuration of 100,000 entities: 25,000 services each with a route, and
/// 25,000 consumers each with a key-auth credential, created `count` pairs at a time.
fn mixed_batch(from: usize, count: usize) -> Value {
    let id = |kind: u8, i: usize| format!("00000000-0000-4000-8{kind:03}-{i:012}");
    let ops: Vec<Value> = (from..from + count)
        .flat_map(|i| {
            [
                json!({"op": "create", "kind": "services", "body": {
                    "id": id(1, i),
                    "name": format!("service-{i:06}"),
                    "url": format!("http://backend-{}.internal:8080/api", i % 50),
                    "tags": ["bench"],
                }}),
                json!({"op": "create", "kind": "routes", "body": {
                    "name": format!("route-{i:06}"),
                    "paths": [format!("/api/v1/service-{i:06}")],
                    "methods": ["GET", "POST"],
                    "service": {"id": id(1, i)},
                    "tags": ["bench"],
                }}),
                json!({"op": "create", "kind": "consumers", "body": {
                    "id": id(2, i),
                    "username": format!("user-{i:06}"),
                    "tags": ["bench"],
                }}),
                json!({"op": "create", "kind": "keyauth_credentials", "body": {
                    "key": format!("key-{i:06}-0123456789abcdef"),
                    "consumer": {"id": id(2, i)},
                }}),
            ]
        })
        .collect();
    json!({ "operations": ops })
}

async fn post_batch(client: &reqwest::Client, base: &str, body: &Value) -> Duration {
    let started = Instant::now();
    let reply = client
        .post(format!("{base}/batch"))
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        reply.status(),
        200,
        "{}",
        reply.text().await.unwrap_or_default()
    );
    reply.bytes().await.unwrap();
    started.elapsed()
}

async fn batch_of_ten_thousand(client: &reqwest::Client) {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(&dir.path().join("b.db"), "normal");
    let body = services_batch(0, 10_000);
    let took = post_batch(client, &server.base, &body).await;
    println!(
        "batch: 10,000 services in one POST /batch: {:.0} ms (target < 1000 ms)",
        took.as_secs_f64() * 1000.0
    );
}

async fn concurrent_puts(client: &reqwest::Client, sync: &str) {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(&dir.path().join("p.db"), sync);
    let done = Arc::new(AtomicU64::new(0));
    let run_for = Duration::from_secs(3);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..10 {
        let (client, base, done) = (client.clone(), server.base.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = 0u64;
            while started.elapsed() < run_for {
                let reply = client
                    .put(format!("{base}/services/w{worker}-{i}"))
                    .json(&json!({"host": "backend.internal", "port": 8080, "tags": ["bench"]}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(reply.status(), 200);
                reply.bytes().await.unwrap();
                done.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let rate = done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
    println!(
        "put: single PUTs from 10 concurrent clients, synchronous={sync}: {rate:.0} writes/s (target > 3000)"
    );
}

async fn list_ten_thousand(client: &reqwest::Client) {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(&dir.path().join("l.db"), "normal");
    post_batch(client, &server.base, &services_batch(0, 10_000)).await;
    let mut best = f64::MAX;
    for _ in 0..5 {
        let started = Instant::now();
        let mut path = "/services?size=1000".to_string();
        let mut seen = 0;
        loop {
            let page: Value = client
                .get(format!("{}{path}", server.base))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            seen += page["data"].as_array().unwrap().len();
            match page["next"].as_str() {
                Some(next) => path = next.to_string(),
                None => break,
            }
        }
        assert_eq!(seen, 10_000);
        best = best.min(started.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "list: all 10,000 services with size=1000 (10 pages): {best:.0} ms, best of 5 (target < 200 ms)"
    );
}

/// Loads 100,000 entities of `kind` (`services`, `consumers`, or `mixed`: services with
/// routes, consumers with key-auth credentials) through ten batches and prints the RSS.
async fn memory_with_hundred_thousand(client: &reqwest::Client, kind: &str) {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(&dir.path().join("m.db"), "normal");
    let idle = rss_mb(server.child.id());
    for chunk in 0..10 {
        let batch = match kind {
            "mixed" => mixed_batch(chunk * 2_500, 2_500),
            _ => batch_of(kind, chunk * 10_000, 10_000),
        };
        post_batch(client, &server.base, &batch).await;
    }
    let kind = match kind {
        "mixed" => "entities (services, routes, consumers, key-auth credentials)",
        plain => plain,
    };
    // Let the snapshot publisher settle on the last revision.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let loaded = rss_mb(server.child.id());
    println!(
        "memory: 100,000 {kind} held (store, indexes and the proxy snapshot): {loaded:.0} MB RSS, {idle:.0} MB idle (target < 300 MB)"
    );
    drop(server);
    let restarted = serve(&dir.path().join("m.db"), "normal");
    tokio::time::sleep(Duration::from_secs(3)).await;
    println!(
        "memory: the same 100,000 {kind} after a restart (loaded from disk): {:.0} MB RSS",
        rss_mb(restarted.child.id())
    );
}

/// Whether a part of the benchmark runs: `GWCTL_BENCH=speed` or `GWCTL_BENCH=memory` runs
/// only that part; unset runs both.
fn selected(part: &str) -> bool {
    std::env::var("GWCTL_BENCH").map_or(true, |only| only.is_empty() || only == part)
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        if selected("speed") {
            batch_of_ten_thousand(&client).await;
            concurrent_puts(&client, "normal").await;
            concurrent_puts(&client, "full").await;
            list_ten_thousand(&client).await;
        }
        if selected("memory") {
            memory_with_hundred_thousand(&client, "services").await;
            memory_with_hundred_thousand(&client, "consumers").await;
            memory_with_hundred_thousand(&client, "mixed").await;
        }
    });
}
