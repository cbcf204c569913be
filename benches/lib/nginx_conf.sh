# Sourced by the proxy benchmark scripts; they set $dir, the temporary directory.

# Writes nginx configuration $1 ($dir/$1.conf) with the process settings $2 and the http
# block's contents $3.
nginx_conf() {
    cat > "$dir/$1.conf" <<CONF
$2
pid $dir/$1.pid;
error_log $dir/$1-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    keepalive_requests 1000000;
    $3
}
CONF
}

# Writes nginx configuration $1 (process settings $2) answering every request on port $3
# with a fixed text: the static upstream the proxies are measured against.
nginx_static_conf() {
    nginx_conf "$1" "$2" "server {
        listen 127.0.0.1:$3;
        location / { return 200 \"hello from the static upstream\n\"; }
    }"
}

# Writes nginx configuration $1 (process settings $2) proxying port $3 to the upstream on
# port $4 with kept-alive upstream connections, as `cargo bench --bench proxy` runs nginx.
nginx_proxy_conf() {
    nginx_conf "$1" "$2" "upstream static_upstream {
        server 127.0.0.1:$4;
        keepalive 128;
    }
    server {
        listen 127.0.0.1:$3;
        location / {
            proxy_pass http://static_upstream;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
        }
    }"
}
