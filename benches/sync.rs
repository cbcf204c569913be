//! Sync against the bundled gateway on loopback, through the same library calls `gwctl sync`
//! makes (load → read → plan → apply), counting HTTP requests.
//!
//! Run: `cargo bench --bench sync` (10,000 entities; `GWCTL_BENCH_ENTITIES=100000` for the
//! large run). Targets (issue 4): first sync in atomic mode under 2 s, per-entity at
//! parallelism 10 under 6 s, a no-op diff under 1 s; 100,000 entities under 12× those. Requests
//! per sync: one write per changed entity plus list pages (or one batch request).

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use gwctl::admin::{AdminClient, ClientConfig, ReadOptions, read_gateway};
use gwctl::apply::{ApplyOptions, apply};
use gwctl::gateway::server::{ServeOptions, start};
use gwctl::plan::{DiffOptions, plan};
use gwctl::state::{LoadOptions, State, load};

/// `n` services each with a route and two plugins, and `n` consumers each with a key-auth
/// credential: 5n entities (the validate benchmark's shape).
fn generate(n: usize) -> String {
    let mut out = String::with_capacity(n * 700);
    out.push_str("_format_version: \"3.0\"\nservices:\n");
    for i in 0..n {
        let _ = write!(
            out,
            "  - name: svc-{i}\n    url: http://backend-{i}.internal:8080/api\n    routes:\n      - name: route-{i}\n        paths: [/svc-{i}]\n        methods: [GET, POST]\n        plugins:\n          - name: key-auth\n            config:\n              key_names: [apikey]\n    plugins:\n      - name: rate-limiting\n        config:\n          minute: 100\n          policy: local\n"
        );
    }
    out.push_str("consumers:\n");
    for i in 0..n {
        let _ = write!(
            out,
            "  - username: user-{i}\n    keyauth_credentials:\n      - key: $BENCH_KEY_PREFIX-{i}\n"
        );
    }
    out
}

struct Measured {
    wall: Duration,
    /// Reading the gateway, planning, applying.
    phases: [Duration; 3],
    requests: usize,
    changes: usize,
    ok: bool,
}

/// One sync (or, without apply options, one diff) from a fresh client.
async fn sync(url: &str, target: &State, options: Option<ApplyOptions>) -> Measured {
    let started = Instant::now();
    let client = AdminClient::new(ClientConfig::new(url)).unwrap();
    let snapshot = read_gateway(&client, &ReadOptions::default())
        .await
        .unwrap();
    let read = started.elapsed();
    let options_diff = DiffOptions {
        current_complete: snapshot.info.bundled,
        ..DiffOptions::default()
    };
    let p = plan(&snapshot.state, target, &options_diff).unwrap();
    let planned = started.elapsed();
    let ok = match options {
        Some(options) => apply(&client, &snapshot.info, &p, &options)
            .await
            .is_success(),
        None => true,
    };
    let wall = started.elapsed();
    Measured {
        wall,
        phases: [read, planned - read, wall - planned],
        requests: client.request_count(),
        changes: p.changes.len(),
        ok,
    }
}

fn report(label: &str, m: &Measured, target: Duration) {
    println!(
        "{label:<40} {:>6.3} s  (read {:.3} + plan {:.3} + apply {:.3})  {:>6} requests  {:>6} changes  {}  (target < {:.0} s)",
        m.wall.as_secs_f64(),
        m.phases[0].as_secs_f64(),
        m.phases[1].as_secs_f64(),
        m.phases[2].as_secs_f64(),
        m.requests,
        m.changes,
        if !m.ok {
            "FAILED"
        } else if m.wall < target {
            "ok"
        } else {
            "SLOW"
        },
        target.as_secs_f64()
    );
}

fn main() {
    let entities: usize = std::env::var("GWCTL_BENCH_ENTITIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let scale = (entities as f64 / 10_000.0).max(1.0) * if entities > 10_000 { 1.2 } else { 1.0 };
    let n = entities / 5;
    // SAFETY: single-threaded at this point; the loader reads it.
    unsafe { std::env::set_var("BENCH_KEY_PREFIX", "bench-secret-key") };
    let dir = std::env::temp_dir().join(format!("gwctl-sync-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("state.yaml");
    std::fs::write(&file, generate(n)).unwrap();
    let load_started = Instant::now();
    let target = load(&[file], &LoadOptions::default()).unwrap().state;
    println!(
        "{} entities; loading the state file: {:.3} s (part of every sync, not in the figures below)",
        target.len(),
        load_started.elapsed().as_secs_f64()
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let secs = |s: f64| Duration::from_secs_f64(s * scale);
        // Atomic: the gateway's batch extension.
        let gw = start(ServeOptions::ephemeral()).await.unwrap();
        let url = format!("http://{}", gw.admin_addr);
        let atomic = ApplyOptions::default();
        let m = sync(&url, &target, Some(atomic.clone())).await;
        report("first sync, atomic batch", &m, secs(2.0));
        let m = sync(&url, &target, None).await;
        report("no-op diff", &m, secs(1.0));
        let m = sync(&url, &target, Some(atomic)).await;
        report("no-op sync", &m, secs(1.0));
        gw.shutdown().await;

        // Per entity at parallelism 10, on a fresh gateway.
        let gw = start(ServeOptions::ephemeral()).await.unwrap();
        let url = format!("http://{}", gw.admin_addr);
        let per_entity = ApplyOptions {
            parallelism: 10,
            atomic: false,
            ..ApplyOptions::default()
        };
        let m = sync(&url, &target, Some(per_entity)).await;
        report("first sync, per entity (parallelism 10)", &m, secs(6.0));
        let m = sync(&url, &target, None).await;
        report("no-op diff", &m, secs(1.0));
        gw.shutdown().await;
    });
    let _ = std::fs::remove_dir_all(&dir);
}
