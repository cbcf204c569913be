# Sourced by the proxy benchmark scripts; they set $dir (the temporary directory) and $gwctl.

# Starts `gwctl serve` with one proxy worker and no access log, proxying port $2 (Admin API
# on port $3) to the static upstream on port $1 through route /bench; sets $gw_pid.
start_one_worker_gateway() {
    printf '_format_version: "3.0"\nservices:\n- name: static\n  url: http://127.0.0.1:%s\n  routes:\n  - name: bench\n    paths: [/bench]\n' \
        "$1" > "$dir/gw.yaml"
    GWCTL_PROXY_WORKERS=1 "$gwctl" serve --config "$dir/gw.yaml" --db :memory: --no-access-log \
        --proxy-listen "127.0.0.1:$2" --admin-listen "127.0.0.1:$3" >"$dir/gwctl.log" 2>&1 &
    gw_pid=$!
}
