#!/usr/bin/env bash
# System calls per proxied request, counted by `strace -c`, for the gateway (one proxy worker)
# and for nginx proxying the same static upstream with upstream keep-alive (one worker): the
# figures behind "the kernel's share is the same for both proxies" in the README's proxy
# Speed section. strace slows both down a lot, so only the counts mean anything, not the
# times.
#
#   cargo build --release && benches/proxy_syscalls.sh      # SECS=4 by default
#
# Needs strace, wrk and nginx (Debian: apt-get install -y strace wrk nginx-light).
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in strace wrk nginx curl python3; do
    command -v "$tool" >/dev/null || { echo "skipped: $tool not installed" >&2; exit 0; }
done
gwctl="${GWCTL_BIN:-$PWD/target/release/gwctl}"
[ -x "$gwctl" ] || { echo "build first: cargo build --release" >&2; exit 1; }
secs=${SECS:-4}

read -r upstream_port proxy_port admin_port peer_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')

dir=$(mktemp -d)
cleanup() {
    set +e
    for pid in ${gw_pid:-} ${peer_pid:-}; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
    nginx -p "$dir" -c upstream.conf -s stop 2>/dev/null
}
trap cleanup EXIT

# shellcheck source=benches/lib/nginx_conf.sh
source benches/lib/nginx_conf.sh
# shellcheck source=benches/lib/gateway.sh
source benches/lib/gateway.sh
nginx_static_conf upstream "daemon on; worker_processes 1;" "$upstream_port"
nginx -p "$dir" -c upstream.conf

# Runs wrk against port $2 while strace counts the system calls of process $1, then prints
# each call's count per request.
count() {
    local pid=$1 port=$2 requests
    for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/bench/x" && break; sleep 0.1; done
    wrk -t1 -c16 -d2s "http://127.0.0.1:$port/bench/x" >/dev/null
    strace -c -f -p "$pid" -o "$dir/strace.txt" 2>/dev/null &
    local strace_pid=$!
    sleep 0.5
    requests=$(wrk -t1 -c16 "-d${secs}s" "http://127.0.0.1:$port/bench/x" | awk '/requests in/ {print $1}')
    kill -INT "$strace_pid"
    wait "$strace_pid" 2>/dev/null || true
    # Calls made at least once per hundred requests (connection set-up and the like are not).
    awk -v n="$requests" '$NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ && $NF != "total" && $4 / n >= 0.01 {
        printf "  %-14s %6.2f per request\n", $NF, $4 / n }' "$dir/strace.txt" | sort -k2 -rn
}

start_one_worker_gateway "$upstream_port" "$proxy_port" "$admin_port"
echo "gwctl (one proxy worker):"
count "$gw_pid" "$proxy_port"
kill "$gw_pid" && wait "$gw_pid" 2>/dev/null || true
gw_pid=

nginx_proxy_conf peer "daemon off; master_process off; worker_processes 1;" "$peer_port" "$upstream_port"
nginx -p "$dir" -c peer.conf >"$dir/peer.log" 2>&1 &
peer_pid=$!
echo "nginx proxy_pass (one worker):"
count "$peer_pid" "$peer_port"
