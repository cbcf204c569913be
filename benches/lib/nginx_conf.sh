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
