//! ai-proxy's own work per request, without sockets or the upstream: the `access` hook (read
//! the body, check, merge options, translate, aim, inject the key), the `response` hook on a
//! canned provider answer (translate back, or the SSE stream event by event, read to the end)
//! and the `log` hook. Target: under 100 µs per request.
//!
//! cargo bench --bench ai_proxy

use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use gwctl::gateway::plugins::{Body, Ctx, Flow, PluginRuntime, UpstreamTarget};
use http::{Request, Response, header};
use http_body_util::{BodyExt, Full};
use serde_json::{Map, Value, json};

const TARGET: Duration = Duration::from_micros(100);

fn full(bytes: Bytes) -> Body {
    Full::new(bytes).map_err(|never| match never {}).boxed()
}

fn plugin(provider: &str) -> Arc<dyn PluginRuntime> {
    let (auth, options) = match provider {
        "anthropic" => (
            json!({"header_name": "x-api-key", "header_value": "sk-ant-bench"}),
            json!({"anthropic_version": "2023-06-01", "max_tokens": 512, "temperature": 0.2}),
        ),
        _ => (
            json!({"header_name": "Authorization", "header_value": "Bearer sk-bench"}),
            json!({"max_tokens": 512, "temperature": 0.2}),
        ),
    };
    let config = json!({
        "route_type": "llm/v1/chat", "auth": auth,
        "model": {"provider": provider, "name": "bench-model", "options": options},
        "logging": {"log_statistics": true, "log_payloads": false},
        "response_streaming": "allow", "max_request_body_size": 65536, "model_name_header": true
    });
    gwctl::gateway::plugins::ai_proxy::new(&config).unwrap()
}

/// A realistic chat request: a system prompt, a short history and one tool.
fn request_body(stream: bool) -> Bytes {
    let filler = "The quick brown fox jumps over the lazy dog. ".repeat(6);
    Bytes::from(
        json!({
            "model": "bench-model", "stream": stream,
            "messages": [
                {"role": "system", "content": format!("You are a helpful assistant. {filler}")},
                {"role": "user", "content": format!("Summarise this: {filler}")},
                {"role": "assistant", "content": format!("Summary: {filler}")},
                {"role": "user", "content": "And what is the weather in Paris?"}
            ],
            "tools": [{"type": "function", "function": {"name": "get_weather",
                "description": "Current weather for a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                               "required": ["city"]}}}]
        })
        .to_string(),
    )
}

fn answer_text() -> String {
    "Paris is mild today, around eighteen degrees with a light breeze. ".repeat(6)
}

fn openai_answer() -> Bytes {
    Bytes::from(
        json!({"id": "chatcmpl-1", "object": "chat.completion", "created": 1_700_000_000,
               "model": "bench-model", "choices": [{"index": 0, "message":
               {"role": "assistant", "content": answer_text()}, "finish_reason": "stop"}],
               "usage": {"prompt_tokens": 210, "completion_tokens": 96, "total_tokens": 306}})
        .to_string(),
    )
}

fn anthropic_answer() -> Bytes {
    Bytes::from(
        json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "bench-model",
               "content": [{"type": "text", "text": answer_text()}], "stop_reason": "end_turn",
               "usage": {"input_tokens": 210, "output_tokens": 96}})
        .to_string(),
    )
}

/// An Anthropic stream of one text block, one event per word (~70 events).
fn anthropic_stream() -> Vec<Bytes> {
    let event = |name: &str, data: Value| Bytes::from(format!("event: {name}\ndata: {data}\n\n"));
    let mut events = vec![
        event(
            "message_start",
            json!({"type": "message_start", "message": {"id": "msg_1",
            "model": "bench-model", "usage": {"input_tokens": 210, "output_tokens": 1}}}),
        ),
        event(
            "content_block_start",
            json!({"type": "content_block_start", "index": 0,
            "content_block": {"type": "text", "text": ""}}),
        ),
    ];
    for word in answer_text().split_inclusive(' ') {
        events.push(event(
            "content_block_delta",
            json!({"type": "content_block_delta",
            "index": 0, "delta": {"type": "text_delta", "text": word}}),
        ));
    }
    events.push(event(
        "content_block_stop",
        json!({"type": "content_block_stop", "index": 0}),
    ));
    events.push(event(
        "message_delta",
        json!({"type": "message_delta",
        "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 96}}),
    ));
    events.push(event("message_stop", json!({"type": "message_stop"})));
    events
}

fn ctx(body: Bytes) -> Ctx {
    let (parts, ()) = Request::post("/ai/chat")
        .header(header::CONTENT_TYPE, "application/json")
        .body(())
        .unwrap()
        .into_parts();
    let mut ctx = Ctx::new(
        parts,
        SocketAddr::from(([127, 0, 0, 1], 50000)),
        Default::default(),
        Default::default(),
        Instant::now(),
    );
    ctx.body = Some(full(body));
    ctx.upstream = Some(UpstreamTarget {
        scheme: "http",
        host: "placeholder".into(),
        port: 80,
        path_and_query: "/".into(),
        host_header: None,
    });
    ctx.request_id = "test-request".into();
    ctx
}

fn upstream_response(body: Body, content_type: &'static str) -> Response<Body> {
    Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .body(body)
        .unwrap()
}

/// One request through the three hooks; returns the client's body size.
async fn one(plugin: &dyn PluginRuntime, request: Bytes, answer: Answer<'_>) -> usize {
    let mut ctx = ctx(request);
    if let Flow::Respond(_) = plugin.access(&mut ctx).await {
        panic!("the request was refused");
    }
    let upstream = match answer {
        Answer::Json(bytes) => upstream_response(full(bytes.clone()), "application/json"),
        Answer::Stream(events) => {
            let frames: Vec<_> = events
                .iter()
                .cloned()
                .map(|b| Ok::<_, gwctl::gateway::plugins::BoxError>(hyper::body::Frame::data(b)))
                .collect();
            let frames = futures_util::stream::iter(frames);
            upstream_response(
                http_body_util::StreamBody::new(frames).boxed(),
                "text/event-stream",
            )
        }
    };
    let response = plugin.response(&mut ctx, upstream).await;
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let mut entry = Map::new();
    plugin.log(&ctx, &mut entry);
    black_box(&entry);
    body.len()
}

#[derive(Clone, Copy)]
enum Answer<'a> {
    Json(&'a Bytes),
    Stream(&'a [Bytes]),
}

/// CPU time this thread has run, from Linux's `/proc/thread-self/schedstat` (first field, ns).
/// Unlike wall time it does not count the time the scheduler gives to other processes, so
/// it measures ai-proxy's own work even on a busy shared machine.
fn thread_cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// One measurement: the median batch's CPU time per run, and its wall time.
struct Figure {
    cpu: Duration,
    wall: Duration,
}

/// Runs `run` in batches of at least 40 ms (the kernel's CPU-time counter is updated per
/// scheduler tick) and returns the median batch's per-run CPU time (wall time when CPU time
/// is unavailable).
fn measure(mut run: impl FnMut() -> usize) -> Figure {
    let warm = Instant::now();
    let mut per_batch = 0u32;
    while warm.elapsed() < Duration::from_millis(40) {
        black_box(run());
        per_batch += 1;
    }
    let batches = 15;
    let mut cpu = Vec::with_capacity(batches);
    let mut wall = Vec::with_capacity(batches);
    for _ in 0..batches {
        let cpu_start = thread_cpu_time();
        let started = Instant::now();
        for _ in 0..per_batch {
            black_box(run());
        }
        let elapsed = started.elapsed();
        wall.push(elapsed / per_batch);
        let spent = match (cpu_start, thread_cpu_time()) {
            (Some(a), Some(b)) if b > a => b - a,
            _ => elapsed,
        };
        cpu.push(spent / per_batch);
    }
    cpu.sort();
    wall.sort();
    Figure {
        cpu: cpu[batches / 2],
        wall: wall[batches / 2],
    }
}

/// Prints the plugin's own cost: the full run minus the same run with a plugin that does
/// nothing (building the context, feeding and collecting the bodies).
fn report(name: &str, full: Figure, baseline: Figure) -> bool {
    let own = full.cpu.saturating_sub(baseline.cpu);
    let ok = own < TARGET;
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "{name:<34} {:>6.1} µs/request  (run {:>6.1} − harness {:>5.1} µs CPU; wall {:>6.1})   {}",
        us(own),
        us(full.cpu),
        us(baseline.cpu),
        us(full.wall),
        if ok { "ok (< 100 µs)" } else { "OVER 100 µs" }
    );
    ok
}

/// A plugin with every hook left at its default: the harness's own cost.
struct Nothing;

impl PluginRuntime for Nothing {}

fn main() {
    // Timers on, as in the gateway's workers: a plugin reading the body bounds each read.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let openai = plugin("openai");
    let anthropic = plugin("anthropic");
    let request = request_body(false);
    let streamed_request = request_body(true);
    let openai_json = openai_answer();
    let anthropic_json = anthropic_answer();
    let stream = anthropic_stream();
    println!(
        "ai-proxy per-request work (access + response + log hooks, no sockets); \
         request {} B, answer {} B, stream {} events",
        request.len(),
        anthropic_json.len(),
        stream.len()
    );
    let nothing = Nothing;
    let mut all_ok = true;
    let full =
        measure(|| runtime.block_on(one(&*openai, request.clone(), Answer::Json(&openai_json))));
    let base =
        measure(|| runtime.block_on(one(&nothing, request.clone(), Answer::Json(&openai_json))));
    all_ok &= report("openai chat (pass-through)", full, base);
    let full = measure(|| {
        runtime.block_on(one(
            &*anthropic,
            request.clone(),
            Answer::Json(&anthropic_json),
        ))
    });
    let base = measure(|| {
        runtime.block_on(one(
            &nothing,
            request.clone(),
            Answer::Json(&anthropic_json),
        ))
    });
    all_ok &= report("anthropic chat (translated)", full, base);
    let full = measure(|| {
        runtime.block_on(one(
            &*anthropic,
            streamed_request.clone(),
            Answer::Stream(&stream),
        ))
    });
    let base = measure(|| {
        runtime.block_on(one(
            &nothing,
            streamed_request.clone(),
            Answer::Stream(&stream),
        ))
    });
    let streamed = full.cpu.saturating_sub(base.cpu);
    let translator_only = measure(|| {
        let events = gwctl::gateway::plugins::ai_proxy::AnthropicEvents::new("bench-model", false);
        let mut translator =
            gwctl::gateway::plugins::ai_proxy::SseTranslator::new(Box::new(events), false);
        let mut size = 0;
        for event in &stream {
            size += translator.push(event).len();
        }
        size + translator.finish().len()
    });
    // A stream's cost grows with the answer, so it is reported per event as well; the target
    // is judged on the non-streamed requests, whose cost does not depend on answer length.
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "anthropic stream (translated SSE)  {:>6.1} µs/request for {} events ({:.2} µs per event, of which the SSE translation {:.2}; wall {:.1})",
        us(streamed),
        stream.len(),
        us(streamed) / stream.len() as f64,
        us(translator_only.cpu) / stream.len() as f64,
        us(full.wall),
    );
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "target < 100 µs per non-streamed request: {}   (load average: {})",
        if all_ok { "met" } else { "NOT met" },
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
}
