#!/usr/bin/env bash
# User-space instructions per proxied request, counted by callgrind: a figure that, unlike
# time on a shared 2-core machine, moves by well under 1% between runs, so the effect of a
# change to the request path can be measured before and after it.
#
#   cargo build --release && benches/proxy_instructions.sh
#   ROUTES=10000 benches/proxy_instructions.sh      # the same with 10,000 routes
#   GWCTL_BIN=target/dist/gwctl benches/proxy_instructions.sh   # another build
#
# It then counts nginx proxying the same upstream the same way, for scale, and, when built,
# the least a proxy does on hyper (cargo build --release --example hyper_floor) and on pingora
# (benches/pingora_floor/Cargo.toml says how to build it).
#
# Needs valgrind, wrk and nginx (Debian: apt-get install -y valgrind wrk nginx-light). It runs
# the release gwctl with one proxy worker under callgrind, proxying to a static nginx upstream;
# counts are zeroed after a warm-up, so start-up is not included. The callgrind file it names
# can be read with `callgrind_annotate --inclusive=yes FILE`.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in valgrind callgrind_control callgrind_annotate wrk nginx curl; do
    command -v "$tool" >/dev/null || { echo "skipped: $tool not installed" >&2; exit 0; }
done
gwctl="${GWCTL_BIN:-$PWD/target/release/gwctl}"
[ -x "$gwctl" ] || { echo "build first: cargo build --release" >&2; exit 1; }

upstream_port=${UPSTREAM_PORT:-19190}
proxy_port=${PROXY_PORT:-19100}
admin_port=${ADMIN_PORT:-19101}
peer_port=${PEER_PORT:-19102}
secs=${SECS:-10}
dir=$(mktemp -d)
# Each step may fail (a process already gone, or reporting the signal that ended it) without
# skipping the next, so the static nginx is always stopped.
cleanup() {
    set +e
    [ -n "${gw_pid:-}" ] && { kill "$gw_pid"; wait "$gw_pid"; } 2>/dev/null
    [ -n "${peer_pid:-}" ] && { kill "$peer_pid"; wait "$peer_pid"; } 2>/dev/null
    nginx -p "$dir" -c nginx.conf -s stop 2>/dev/null
}
trap cleanup EXIT

# shellcheck source=benches/lib/nginx_conf.sh
source benches/lib/nginx_conf.sh

nginx_static_conf nginx "daemon on; worker_processes 1;" "$upstream_port"
nginx -p "$dir" -c nginx.conf

# ROUTES=N configures routes /r0 … /rN-1 on the one service (as `cargo bench --bench proxy`
# does) and requests /r(N/2); the default is the single route /bench.
routes=${ROUTES:-}
{
    printf '_format_version: "3.0"\nservices:\n- name: static\n  url: http://127.0.0.1:%s\n  routes:\n' "$upstream_port"
    if [ -z "$routes" ]; then
        printf '  - name: bench\n    paths: [/bench]\n'
    else
        for i in $(seq 0 $((routes - 1))); do
            printf '  - name: r%s\n    paths: [/r%s]\n' "$i" "$i"
        done
    fi
} > "$dir/gw.yaml"

# Zeroes the counts of the callgrind-run process $1 after a warm-up on $2, runs wrk, and
# prints the user-space instructions per request; the profile goes to $3.
count() {
    local pid=$1 url=$2 profile=$3 requests dump total
    for _ in $(seq 120); do curl -s -o /dev/null "$url" && break; sleep 1; done
    wrk -t1 -c8 -d3s "$url" >/dev/null
    callgrind_control -z "$pid" >/dev/null 2>&1
    requests=$(wrk -t1 -c8 "-d${secs}s" "$url" | awk '/requests in/ {print $1}')
    callgrind_control -d "$pid" >/dev/null 2>&1
    dump=$(ls "$dir"/callgrind."$pid".1)
    total=$(callgrind_annotate "$dump" | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
    cp "$dump" "$profile"
    echo "$((total / requests)) ($requests requests; profile: $profile)"
}

GWCTL_PROXY_WORKERS=1 valgrind --tool=callgrind --callgrind-out-file="$dir/callgrind.%p" \
    "$gwctl" serve --config "$dir/gw.yaml" --db :memory: --no-access-log \
    --proxy-listen "127.0.0.1:$proxy_port" --admin-listen "127.0.0.1:$admin_port" \
    >"$dir/gwctl.log" 2>&1 &
gw_pid=$!
if [ -z "$routes" ]; then
    url="http://127.0.0.1:$proxy_port/bench/x"
else
    url="http://127.0.0.1:$proxy_port/r$((routes / 2))/bench"
fi
echo "gwctl: user-space instructions per request${routes:+ with $routes routes}:" \
    "$(count "$gw_pid" "$url" target/proxy-instructions.callgrind)"
kill "$gw_pid" && wait "$gw_pid" 2>/dev/null || true
gw_pid=

# The same count for nginx proxying the same upstream with upstream keep-alive, one worker
# (as `cargo bench --bench proxy` configures it), for scale.
nginx_proxy_conf peer "daemon off; master_process off; worker_processes 1;" "$peer_port" "$upstream_port"
valgrind --tool=callgrind --callgrind-out-file="$dir/callgrind.%p" \
    nginx -p "$dir" -c peer.conf >"$dir/peer.log" 2>&1 &
peer_pid=$!
echo "nginx proxy_pass: user-space instructions per request:" \
    "$(count "$peer_pid" "http://127.0.0.1:$peer_port/bench/x" target/proxy-instructions-nginx.callgrind)"
kill "$peer_pid" && wait "$peer_pid" 2>/dev/null || true
peer_pid=

# And the least a proxy built on hyper does (examples/hyper_floor.rs: no routing, plugins or
# added headers), which shows how much of the gateway's count hyper itself sets; and the same
# on pingora (benches/pingora_floor), another Rust HTTP stack, when either is built.
yardstick() {
    local name=$1 bin=$2 build=$3
    if [ ! -x "$bin" ]; then
        echo "$name: skipped ($build)"
        return
    fi
    valgrind --tool=callgrind --callgrind-out-file="$dir/callgrind.%p" \
        "$bin" "127.0.0.1:$peer_port" "127.0.0.1:$upstream_port" >"$dir/$name.log" 2>&1 &
    peer_pid=$!
    echo "$name: user-space instructions per request:" \
        "$(count "$peer_pid" "http://127.0.0.1:$peer_port/bench/x" "target/proxy-instructions-${name// /-}.callgrind")"
    # Killed outright: the count is taken, and pingora takes SIGTERM as a graceful shutdown
    # that waits a minute (and a background job of a script ignores SIGINT).
    kill -KILL "$peer_pid" && wait "$peer_pid" 2>/dev/null || true
    peer_pid=
}
yardstick "hyper floor" "$PWD/target/release/examples/hyper_floor" \
    "cargo build --release --example hyper_floor"
yardstick "pingora floor" "$PWD/target/pingora_floor/release/pingora_floor" \
    "cargo build --release --manifest-path benches/pingora_floor/Cargo.toml --target-dir target/pingora_floor; needs cmake"
yardstick "raw floor" "$PWD/target/release/examples/raw_floor" \
    "cargo build --release --example raw_floor"
