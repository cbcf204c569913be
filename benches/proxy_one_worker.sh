#!/usr/bin/env bash
# Throughput with one worker each: nginx proxy_pass, the hyper floor (examples/hyper_floor.rs,
# the least a hyper proxy does), the gateway and, when built, the pingora floor
# (benches/pingora_floor, the least a pingora proxy does) and the raw floor
# (examples/raw_floor.rs, an HTTP/1 proxy on tokio and httparse without hyper: cargo build
# --release --example raw_floor), proxying the same static nginx upstream with wrk taking turns
# for ROUNDS rounds of SECS seconds. Prints each run and the median ratios to nginx by round,
# which say how much of the gap to nginx the HTTP stack itself leaves.
#
#   cargo build --release && cargo build --release --example hyper_floor
#   benches/proxy_one_worker.sh            # ROUNDS=5 SECS=8 by default
#
# Needs wrk and nginx (Debian: apt-get install -y wrk nginx-light).
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in wrk nginx curl python3; do
    command -v "$tool" >/dev/null || { echo "skipped: $tool not installed" >&2; exit 0; }
done
gwctl="${GWCTL_BIN:-$PWD/target/release/gwctl}"
floor="$PWD/target/release/examples/hyper_floor"
for bin in "$gwctl" "$floor"; do
    [ -x "$bin" ] || { echo "build first: cargo build --release && cargo build --release --example hyper_floor" >&2; exit 1; }
done
rounds=${ROUNDS:-5}
secs=${SECS:-8}

# Seven free loopback ports, asked of the kernel.
read -r upstream_port nginx_port floor_port proxy_port admin_port pingora_port raw_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(7)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')

dir=$(mktemp -d)
floor_pids=()
cleanup() {
    set +e
    for pid in ${floor_pid:-} ${gw_pid:-}; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
    # Killed outright: pingora takes SIGTERM as a graceful shutdown that waits a minute.
    for pid in "${floor_pids[@]}"; do kill -KILL "$pid"; wait "$pid"; done 2>/dev/null
    for conf in proxy upstream; do nginx -p "$dir" -c "$conf.conf" -s stop 2>/dev/null; done
}
trap cleanup EXIT

# shellcheck source=benches/lib/nginx_conf.sh
source benches/lib/nginx_conf.sh
# shellcheck source=benches/lib/gateway.sh
source benches/lib/gateway.sh
nginx_static_conf upstream "daemon on; worker_processes 1;" "$upstream_port"
nginx -p "$dir" -c upstream.conf
nginx_proxy_conf proxy "daemon on; worker_processes 1;" "$nginx_port" "$upstream_port"
nginx -p "$dir" -c proxy.conf

"$floor" "127.0.0.1:$floor_port" "127.0.0.1:$upstream_port" >"$dir/floor.log" 2>&1 &
floor_pid=$!
start_one_worker_gateway "$upstream_port" "$proxy_port" "$admin_port"
names=("nginx" "hyper floor" "gateway")
ports=("$nginx_port" "$floor_port" "$proxy_port")
# Starts the yardstick proxy $2 (name $1) on port $3 when it is built, and adds it to the runs.
optional_floor() {
    local name=$1 bin=$2 port=$3
    [ -x "$bin" ] || return 0
    "$bin" "127.0.0.1:$port" "127.0.0.1:$upstream_port" >"$dir/${name// /-}.log" 2>&1 &
    floor_pids+=("$!")
    names+=("$name")
    ports+=("$port")
}
optional_floor "pingora floor" "$PWD/target/pingora_floor/release/pingora_floor" "$pingora_port"
optional_floor "raw floor" "$PWD/target/release/examples/raw_floor" "$raw_port"
for port in "${ports[@]}"; do
    for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/bench/x" && break; sleep 0.1; done
done

echo "one worker each, wrk -t1 -c32 -d${secs}s, $rounds rounds (requests/s):"
results="$dir/results"
for round in $(seq "$rounds"); do
    line="$round"
    shown="  [$round]"
    for i in "${!ports[@]}"; do
        rps=$(wrk -t1 -c32 "-d${secs}s" "http://127.0.0.1:${ports[$i]}/bench/x" | awk '/Requests\/sec/ {print $2}')
        line="$line $rps"
        shown=$(printf '%s   %s %8.0f' "$shown" "${names[$i]}" "$rps")
    done
    echo "$line" >> "$results"
    echo "$shown"
done
python3 - "$results" "${names[@]}" <<'PY'
import statistics, sys
rows = [list(map(float, l.split()[1:])) for l in open(sys.argv[1])]
for i, name in enumerate(sys.argv[3:], start=1):
    ratios = sorted(r[i] / r[0] for r in rows)
    print(f"{name}/nginx: {statistics.median(ratios):.2f} (rounds: {ratios[0]:.2f}–{ratios[-1]:.2f})")
PY
