//! Proxy benchmark: `wrk` against the gateway and against nginx proxying the same local static
//! upstream (an nginx of its own), in the same run; then 10,000 routes against 10, the
//! configuration rebuild time and the gateway's memory with 10,000 routes. Each gateway is a
//! `gwctl serve` process of its own (the release binary this benchmark is built with), so
//! neither shares a process with the other or with the benchmark. Each proxy run also reports
//! the proxy's CPU time per request, user and system, from `/proc`: the gateway's worker
//! threads, nginx's worker processes.
//!
//! Run with `cargo bench --bench proxy`. Needs `wrk` and `nginx` on PATH (Debian:
//! `apt-get install wrk nginx-light`); without them it prints a "skipped" line and exits 0.
//! `PROXY_BENCH_SECS` sets each wrk run's duration (default 10), `PROXY_BENCH_ROUNDS` how many
//! rounds of (gateway, nginx, gateway with 10,000 routes) to take medians over (default 3; the
//! three take turns running first). `PROXY_BENCH_NGINX_REUSEPORT=1` gives the proxying nginx
//! `listen … reuseport`, a socket per worker as the gateway's workers have (Debian's default
//! configuration has none).
//! First, without wrk or nginx, it times configuration rebuilds with 1,000 RSA certificates.

/// The same allocator as the shipped `gwctl` binary, so the configuration rebuilds timed here
/// in-process measure as they run in the gateway.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gwctl::gateway::proxy::config::{Persistent, ProxyConfig};
use gwctl::gateway::snapshot::Snapshot;
use gwctl::kinds::{self, validate};
use serde_json::{Map, Value, json};

fn main() {
    certificate_rebuilds();
    let (Some(wrk), Some(nginx)) = (find("wrk"), find("nginx")) else {
        println!("skipped: wrk/nginx not installed (apt-get install -y wrk nginx-light)");
        return;
    };
    let secs: u64 = std::env::var("PROXY_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let static_port = free_port();
    let nginx_proxy_port = free_port();
    let nginx_listen_flags = match std::env::var("PROXY_BENCH_NGINX_REUSEPORT").as_deref() {
        Ok("1") => " reuseport",
        _ => "",
    };
    // The static upstream is its own nginx, apart from the nginx that proxies, so the proxy's
    // CPU time per request counts its own work only, as the gateway's does, and neither proxy
    // shares processes with its upstream.
    let upstream_nginx = Nginx::start(
        &nginx,
        &format!(
            r#"server {{
        listen 127.0.0.1:{static_port};
        location / {{ return 200 "hello from the static upstream\n"; }}
    }}"#
        ),
    );
    let proxy_nginx = Nginx::start(
        &nginx,
        &format!(
            r#"upstream static_upstream {{
        server 127.0.0.1:{static_port};
        keepalive 128;
    }}
    server {{
        listen 127.0.0.1:{nginx_proxy_port}{nginx_listen_flags};
        location / {{
            proxy_pass http://static_upstream;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}"#
        ),
    );
    wait_for_port(static_port);
    wait_for_port(nginx_proxy_port);

    let upstream = format!("http://127.0.0.1:{static_port}");

    println!(
        "proxy benchmark: wrk -t2 -c64 -d{secs}s, static upstream = nginx on :{static_port}, \
         proxying nginx {}",
        if nginx_listen_flags.is_empty() {
            "with one listening socket"
        } else {
            "with a socket per worker (reuseport)"
        }
    );
    let direct = wrk_run(&wrk, &format!("{upstream}/"), secs, Charged::Nothing);
    println!("  upstream direct        {}", direct.line());

    // The machine is shared (wrk, nginx, the upstream and the gateway on 2 cores), so single
    // runs swing by 20% or more: the gateway with 10 routes, nginx and the gateway with 10,000
    // routes take turns for several rounds, and the medians are compared.
    let rounds: usize = std::env::var("PROXY_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3)
        .max(1);
    let (gw_small, _) = GatewayProcess::start(&upstream, 10);

    // The rebuild a configuration change costs, timed here on the snapshot the store would
    // hand the proxy.
    let build_started = Instant::now();
    let large = snapshot(&upstream, 10_000);
    let snapshot_secs = build_started.elapsed().as_secs_f64();
    let t = Instant::now();
    let config = ProxyConfig::build(&large, &Persistent::default());
    let rebuild = t.elapsed();
    assert_eq!(config.routes.len(), 10_000);
    drop((config, large));
    let (gw_large, startup) = GatewayProcess::start(&upstream, 10_000);
    let rss_started = gw_large.rss_kib();

    // The three runs take turns leading each round: whichever runs later in a round would
    // otherwise carry what the earlier runs left behind (sockets in TIME_WAIT, warm caches).
    let targets = [
        (
            "gateway (10 routes)   ",
            gw_small.url("/r5/bench"),
            Charged::GatewayWorkers(gw_small.pid()),
        ),
        (
            "nginx proxy_pass      ",
            format!("http://127.0.0.1:{nginx_proxy_port}/r5/bench"),
            Charged::NginxWorkers(proxy_nginx.master.id()),
        ),
        (
            "gateway (10000 routes)",
            gw_large.url("/r5000/bench"),
            Charged::GatewayWorkers(gw_large.pid()),
        ),
    ];
    let mut runs: [Vec<WrkResult>; 3] = Default::default();
    for round in 1..=rounds {
        for turn in 0..targets.len() {
            let which = (round - 1 + turn) % targets.len();
            let (name, url, charged) = &targets[which];
            let run = wrk_run(&wrk, url, secs, *charged);
            println!("  [{round}] {name} {}", run.line());
            runs[which].push(run);
        }
    }
    let [gateway_runs, nginx_runs, large_runs] = runs;
    let rss_after = gw_large.rss_kib();
    drop((gw_small, gw_large));

    // Each round's runs sit seconds apart, so each ratio is taken within a round; the headline
    // is the median of those ratios, with their range.
    let ratio = |a: &[WrkResult], b: &[WrkResult], f: fn(&WrkResult) -> f64| {
        let r: Vec<f64> = a.iter().zip(b).map(|(a, b)| f(a) / f(b)).collect();
        let (lo, hi) = r
            .iter()
            .fold((f64::MAX, f64::MIN), |(lo, hi), x| (lo.min(*x), hi.max(*x)));
        format!("{:.2} (rounds: {lo:.2}–{hi:.2})", median(r))
    };
    let rps = |runs: &[WrkResult]| median(runs.iter().map(|r| r.rps).collect());
    let p99 = |runs: &[WrkResult]| median(runs.iter().map(|r| r.p99_ms).collect());
    println!();
    println!("over {rounds} rounds; figures in brackets are medians:");
    println!(
        "throughput gateway/nginx: {}  [gateway {:.0} req/s, nginx {:.0} req/s]",
        ratio(&gateway_runs, &nginx_runs, |r| r.rps),
        rps(&gateway_runs),
        rps(&nginx_runs)
    );
    println!(
        "p99 latency gateway/nginx: {}  [gateway {:.2} ms, nginx {:.2} ms]",
        ratio(&gateway_runs, &nginx_runs, |r| r.p99_ms),
        p99(&gateway_runs),
        p99(&nginx_runs)
    );
    let cpu = |runs: &[WrkResult]| {
        let user = median(
            runs.iter()
                .filter_map(|r| r.cpu_us)
                .map(|c| c.user)
                .collect(),
        );
        let system = median(
            runs.iter()
                .filter_map(|r| r.cpu_us)
                .map(|c| c.system)
                .collect(),
        );
        format!("{user:.1} µs user + {system:.1} µs sys")
    };
    println!(
        "CPU per request: gateway {}, nginx {}; gateway with 10000 routes {}",
        cpu(&gateway_runs),
        cpu(&nginx_runs),
        cpu(&large_runs)
    );
    println!(
        "10000 routes vs 10 routes throughput: {}  [{:.0} vs {:.0} req/s]",
        ratio(&large_runs, &gateway_runs, |r| r.rps),
        rps(&large_runs),
        rps(&gateway_runs)
    );
    println!(
        "config rebuild for 10000 routes: {:.0} ms (building the snapshot took {:.2} s; \
         `gwctl serve` with the 10000-route file answered {:.2} s after it was started)",
        rebuild.as_secs_f64() * 1000.0,
        snapshot_secs,
        startup.as_secs_f64()
    );
    let mb = |kib: u64| kib as f64 / 1024.0;
    println!(
        "gateway RSS with 10000 routes: {:.1} MB after start, {:.1} MB after the runs",
        mb(rss_started),
        mb(rss_after)
    );
    proxy_nginx.stop();
    upstream_nginx.stop();
}

/// A `gwctl serve` process proxying `/r0` … `/rN-1` to the static upstream; killed when
/// dropped.
struct GatewayProcess {
    child: Child,
    port: u16,
    /// Holds the state file the gateway was started with.
    _dir: tempfile::TempDir,
}

impl GatewayProcess {
    /// Starts the gateway with `routes` routes and returns it with how long it took from
    /// starting the process to answering through the proxy.
    fn start(upstream: &str, routes: usize) -> (GatewayProcess, Duration) {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("gateway.yaml");
        let mut state = format!(
            "_format_version: \"3.0\"\nservices:\n- name: static\n  url: {upstream}\n  routes:\n"
        );
        for i in 0..routes {
            state.push_str(&format!("  - name: r{i}\n    paths: [/r{i}]\n"));
        }
        std::fs::write(&file, state).expect("state file written");
        let port = free_port();
        let admin_port = free_port();
        let t = Instant::now();
        let child = Command::new(env!("CARGO_BIN_EXE_gwctl"))
            .arg("serve")
            .arg("--config")
            .arg(&file)
            .args(["--db", ":memory:", "--no-access-log"])
            .args(["--proxy-listen", &format!("127.0.0.1:{port}")])
            .args(["--admin-listen", &format!("127.0.0.1:{admin_port}")])
            .stdout(Stdio::null())
            .spawn()
            .expect("gwctl serve starts");
        let gateway = GatewayProcess {
            child,
            port,
            _dir: dir,
        };
        let probe = gateway.url("/r0/bench");
        for _ in 0..600 {
            let answered = Command::new("curl")
                .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", &probe])
                .output()
                .is_ok_and(|o| o.stdout == b"200");
            if answered {
                return (gateway, t.elapsed());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("gwctl serve with {routes} routes did not answer on {probe}");
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn rss_kib(&self) -> u64 {
        rss_kib(self.pid())
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Rebuilds with 1,000 RSA-2048 certificates (each with an SNI): the first parses them all;
/// after an Admin API write that changed one, only that one is parsed again.
fn certificate_rebuilds() {
    const COUNT: usize = 1000;
    let cert = include_str!("../tests/proxy_support/sni_a_cert.pem");
    let key = include_str!("../tests/proxy_support/sni_a_key.pem");
    let certificate = |i: usize, tags: Value| {
        let body = json!({"id": format!("cert-{i}"), "cert": cert, "key": key, "tags": tags});
        body.as_object().unwrap().clone()
    };
    let certificates = (0..COUNT).map(|i| certificate(i, json!([]))).collect();
    let snis = (0..COUNT)
        .map(|i| {
            let body = json!({"name": format!("host{i}.test"), "certificate": {"id": format!("cert-{i}")}});
            body.as_object().unwrap().clone()
        })
        .collect();
    let first = Snapshot::from_entities(1, [("certificates", certificates), ("snis", snis)]);
    // The store's next snapshot shares every unchanged entity's text with this one.
    let mut next = first.clone();
    next.revision = 2;
    let changed = Snapshot::from_entities(
        2,
        [("certificates", vec![certificate(0, json!(["renewed"]))])],
    );
    next.entities.get_mut("certificates").unwrap()[0] = changed.entities["certificates"][0].clone();

    let persistent = Persistent::default();
    let t = Instant::now();
    let config = ProxyConfig::build(&first, &persistent);
    let initial = t.elapsed();
    assert!(config.problems.is_empty(), "{:?}", config.problems);
    let t = Instant::now();
    let config = ProxyConfig::build(&next, &persistent);
    let after_change = t.elapsed();
    assert!(config.problems.is_empty(), "{:?}", config.problems);
    println!(
        "config rebuild with {COUNT} RSA certificates: {:.1} ms the first time, {:.1} ms after one changed",
        initial.as_secs_f64() * 1000.0,
        after_change.as_secs_f64() * 1000.0
    );
}

/// One service on the static upstream and `routes` routes `/r0` … `/rN`.
fn snapshot(upstream: &str, routes: usize) -> Snapshot {
    let registry = kinds::registry();
    let options = validate::Options {
        fill_nulls: true,
        ..validate::Options::default()
    };
    let entity = |kind: &str, body: Value| -> Map<String, Value> {
        let mut map = body.as_object().unwrap().clone();
        let violations =
            validate::process_entity(registry, registry.kind(kind).unwrap(), &mut map, options);
        assert!(
            violations.is_empty(),
            "{}",
            validate::kong_message(&violations)
        );
        map
    };
    let service_id = "00000000-0000-4000-8000-000000000001";
    let services = vec![entity(
        "services",
        json!({"id": service_id, "name": "static", "url": upstream}),
    )];
    let routes = (0..routes)
        .map(|i| {
            entity(
                "routes",
                json!({
                    "id": format!("00000000-0000-4000-9000-{i:012}"),
                    "name": format!("r{i}"),
                    "paths": [format!("/r{i}")],
                    "service": {"id": service_id},
                    "created_at": i,
                }),
            )
        })
        .collect();
    Snapshot::from_entities(1, [("services", services), ("routes", routes)])
}

struct WrkResult {
    rps: f64,
    p99_ms: f64,
    p50_ms: f64,
    /// The proxy's CPU time per request, user and system, in µs.
    cpu_us: Option<CpuTime>,
}

impl WrkResult {
    fn line(&self) -> String {
        let cpu = self.cpu_us.map_or(String::new(), |c| {
            format!(
                "   CPU/request {:>4.1} µs user + {:>4.1} µs sys",
                c.user, c.system
            )
        });
        format!(
            "{:>9.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms{cpu}",
            self.rps, self.p50_ms, self.p99_ms
        )
    }
}

/// CPU time as `/proc/<pid>/task/<tid>/stat` counts it.
#[derive(Clone, Copy, Default)]
struct CpuTime {
    user: f64,
    system: f64,
}

/// Which threads' CPU time a run is charged with.
#[derive(Clone, Copy)]
enum Charged {
    Nothing,
    /// The proxy worker threads of the `gwctl serve` with this pid.
    GatewayWorkers(u32),
    /// The worker processes of the nginx whose master has this pid.
    NginxWorkers(u32),
}

impl Charged {
    /// CPU seconds used so far.
    fn seconds(&self) -> CpuTime {
        match self {
            Charged::Nothing => CpuTime::default(),
            Charged::GatewayWorkers(pid) => {
                threads_cpu(*pid, |name| name.starts_with(PROXY_THREADS))
            }
            Charged::NginxWorkers(master) => children(*master)
                .into_iter()
                .map(|pid| threads_cpu(pid, |_| true))
                .fold(CpuTime::default(), |a, b| CpuTime {
                    user: a.user + b.user,
                    system: a.system + b.system,
                }),
        }
    }
}

/// Linux reports `/proc` times in USER_HZ, which is 100 on every architecture it runs on.
const USER_HZ: f64 = 100.0;

fn threads_cpu(pid: u32, pick: impl Fn(&str) -> bool) -> CpuTime {
    let mut total = CpuTime::default();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return total;
    };
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid …`: the name may hold spaces, so split after its last ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        if !pick(&stat[open + 1..close]) {
            continue;
        }
        let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
        // After the name: state is field 0, utime field 11, stime field 12.
        let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
        if let (Some(user), Some(system)) = (ticks(11), ticks(12)) {
            total.user += user / USER_HZ;
            total.system += system / USER_HZ;
        }
    }
    total
}

/// The pids whose parent is `parent`.
fn children(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                stat.rfind(')')
                    .and_then(|close| stat[close + 2..].split(' ').nth(1)?.parse::<u32>().ok())
                    == Some(parent)
            })
        })
        .collect()
}

fn wrk_run(wrk: &Path, url: &str, secs: u64, charged: Charged) -> WrkResult {
    let cpu_before = charged.seconds();
    let output = Command::new(wrk)
        .args(["-t2", "-c64", &format!("-d{secs}s"), "--latency", url])
        .output()
        .expect("wrk runs");
    let cpu_after = charged.seconds();
    let text = String::from_utf8_lossy(&output.stdout);
    let rps = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no Requests/sec in wrk output:\n{text}"));
    let percentile = |p: &str| {
        text.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(p))
            .map(|v| to_ms(v.trim()))
            .unwrap_or(f64::NAN)
    };
    if let Some(errors) = text
        .lines()
        .find(|l| l.contains("Non-2xx") || l.contains("Socket errors"))
    {
        println!("  (wrk: {})", errors.trim());
    }
    let requests = rps * secs as f64;
    let cpu_us = match charged {
        Charged::Nothing => None,
        _ => Some(CpuTime {
            user: (cpu_after.user - cpu_before.user) / requests * 1e6,
            system: (cpu_after.system - cpu_before.system) / requests * 1e6,
        }),
    };
    WrkResult {
        rps,
        p99_ms: percentile("99%"),
        p50_ms: percentile("50%"),
        cpu_us,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// wrk prints latencies as `812.00us`, `1.23ms` or `1.01s`.
fn to_ms(v: &str) -> f64 {
    let (num, factor) = if let Some(n) = v.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = v.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (v, 1.0)
    };
    num.parse::<f64>().map_or(f64::NAN, |n| n * factor)
}

/// The gateway's proxy worker threads are named `gwctl-proxy-N`.
const PROXY_THREADS: &str = "gwctl-proxy-";

/// An nginx instance in its own temporary prefix directory, with two worker processes.
struct Nginx {
    bin: PathBuf,
    dir: tempfile::TempDir,
    master: Child,
}

impl Nginx {
    /// Starts nginx with `servers` (`upstream` and `server` blocks) inside its `http` block.
    fn start(bin: &Path, servers: &str) -> Nginx {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path().display();
        let conf = format!(
            r#"daemon off;
worker_processes 2;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    keepalive_requests 1000000;
    {servers}
}}
"#
        );
        std::fs::write(dir.path().join("nginx.conf"), conf).expect("write nginx.conf");
        let master = Command::new(bin)
            .arg("-p")
            .arg(dir.path())
            .args(["-c", "nginx.conf"])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("nginx starts");
        Nginx {
            bin: bin.to_path_buf(),
            dir,
            master,
        }
    }

    /// Stops nginx as its own `-s stop` does (SIGTERM to the master), so the master takes its
    /// workers down; killing the master outright would leave them running.
    fn stop(mut self) {
        let stopped = Command::new(&self.bin)
            .arg("-p")
            .arg(self.dir.path())
            .args(["-c", "nginx.conf", "-s", "stop"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !stopped {
            let _ = self.master.kill();
        }
        let _ = self.master.wait();
    }
}

fn find(program: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':')
        .chain(["/usr/sbin", "/sbin"])
        .map(|d| Path::new(d).join(program))
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn wait_for_port(port: u16) {
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing listens on port {port}; see nginx's error output above");
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
