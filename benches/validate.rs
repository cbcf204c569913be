//! `gwctl validate` on generated state files: wall time and peak memory of the release binary.
//!
//! Run: `cargo bench --bench validate`. Targets (issue 2): 10,000 entities (2,000 services each
//! with a route and two plugins, 2,000 consumers each with a key-auth credential) under 150 ms
//! and 200 MB; 100,000 entities under 12× that; one small file under 20 ms.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 5;

/// A state file with `n` services (each with a route, key-auth and rate-limiting) and `n`
/// consumers (each with a key-auth credential whose key comes from the environment).
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

struct Run {
    wall: Duration,
    /// User + system CPU seconds: less sensitive than wall time to other load on the machine.
    cpu: Option<f64>,
    peak_kb: Option<u64>,
    code: i32,
}

fn field(stderr: &str, name: &str) -> Option<f64> {
    stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix(name))
        .and_then(|v| v.trim().parse().ok())
}

fn run_once(binary: &str, file: &Path) -> Run {
    let time = Path::new("/usr/bin/time");
    let mut command = if time.exists() {
        let mut c = Command::new(time);
        c.arg("-v").arg(binary);
        c
    } else {
        Command::new(binary)
    };
    command
        .arg("validate")
        .arg(file)
        .env("BENCH_KEY_PREFIX", "bench-key");
    let start = Instant::now();
    let output = command.output().expect("run gwctl");
    let wall = start.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let peak_kb = field(&stderr, "Maximum resident set size (kbytes): ").map(|kb| kb as u64);
    let cpu = field(&stderr, "User time (seconds): ")
        .zip(field(&stderr, "System time (seconds): "))
        .map(|(u, s)| u + s);
    Run {
        wall,
        cpu,
        peak_kb,
        code: output.status.code().unwrap_or(-1),
    }
}

fn measure(label: &str, binary: &str, file: &Path, entities: Option<usize>) -> Duration {
    let runs: Vec<Run> = (0..RUNS).map(|_| run_once(binary, file)).collect();
    assert!(
        runs.iter().all(|r| r.code == 0),
        "{label}: gwctl validate failed (exit {})",
        runs[0].code
    );
    let mut walls: Vec<Duration> = runs.iter().map(|r| r.wall).collect();
    walls.sort();
    let median = walls[walls.len() / 2];
    let peak = runs.iter().filter_map(|r| r.peak_kb).max();
    let cpu = runs.iter().filter_map(|r| r.cpu).reduce(f64::min);
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    let entities = entities.map_or("-".to_string(), |n| n.to_string());
    println!(
        "{label:<11} {entities:>7} entities {:>7.1} KiB  wall median {:>7.1} ms, min {:>7.1} ms  cpu min {}  peak RSS {}",
        size as f64 / 1024.0,
        median.as_secs_f64() * 1000.0,
        walls[0].as_secs_f64() * 1000.0,
        cpu.map_or("n/a".to_string(), |c| format!("{:.0} ms", c * 1000.0)),
        peak.map_or("n/a (no /usr/bin/time)".to_string(), |kb| format!(
            "{:.1} MB",
            kb as f64 / 1024.0
        )),
    );
    median
}

fn main() {
    // `cargo bench` passes `--bench`; this benchmark takes no arguments. Other load on the
    // machine inflates wall time: compare the CPU column, or run on an idle machine.
    let binary = env!("CARGO_BIN_EXE_gwctl");
    let dir = tempfile::tempdir().expect("temp dir");
    let small = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/multi-provider.yaml");
    if small.exists() {
        // The fixture takes its secrets from these variables.
        for var in [
            "OPENAI_API_KEY",
            "ANTHROPIC_API_KEY",
            "ALICE_API_KEY",
            "BOB_JWT_SECRET",
            "CI_BOT_API_KEY",
        ] {
            // SAFETY: single-threaded benchmark set-up, before any child process starts.
            unsafe { std::env::set_var(var, format!("bench-{var}")) };
        }
        measure("small file", binary, &small, None);
    }
    let mut base = None;
    for n in [2_000usize, 20_000] {
        let file = dir.path().join(format!("state-{n}.yaml"));
        std::fs::write(&file, generate(n)).expect("write state file");
        let entities = n * 6;
        let median = measure(
            &format!("{}k", entities / 1000),
            binary,
            &file,
            Some(entities),
        );
        match base {
            None => base = Some(median),
            Some(b) => println!(
                "ratio {:.1}x time for {}x entities",
                median.as_secs_f64() / b.as_secs_f64(),
                10
            ),
        }
    }
}
