//! Routing end to end: Kong's matching and priority rules, strip_path and the upstream path,
//! hosts, methods, headers, and the headers the proxy adds or removes.

mod proxy_support;

use http::StatusCode;
use proxy_support::*;
use serde_json::json;

#[tokio::test]
async fn no_route_is_404_with_kongs_message() {
    let up = echo("a").await;
    let gw = Gateway::start(&Entities::new().service("s", &up.url()).route(
        "r",
        "s",
        json!({"paths": ["/api"]}),
    ))
    .await;
    let reply = gw.get("/other").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(
        reply.json()["message"],
        "no Route matched with those values"
    );
    assert!(reply.json()["request_id"].as_str().is_some());
    assert!(reply.header("x-kong-response-latency").is_some());
    assert_eq!(up.hits(), 0);
}

#[tokio::test]
async fn priority_follows_kongs_order() {
    let up = echo("a").await;
    let routes = Entities::new()
        .service("s", &up.url())
        .route("root", "s", json!({"paths": ["/"], "strip_path": false}))
        .route("api", "s", json!({"paths": ["/api"], "strip_path": false}))
        .route(
            "api-v1",
            "s",
            json!({"paths": ["/api/v1"], "strip_path": false}),
        )
        .route(
            "regex",
            "s",
            json!({"paths": ["~/api/v1/(?<id>\\d+)$"], "strip_path": false}),
        )
        .route(
            "regex-high",
            "s",
            json!({"paths": ["~/api/v1/7"], "regex_priority": 10, "strip_path": false}),
        )
        .route(
            "post",
            "s",
            json!({"paths": ["/api"], "methods": ["POST"], "strip_path": false}),
        )
        .route(
            "host",
            "s",
            json!({"paths": ["/api"], "hosts": ["api.test"], "strip_path": false}),
        )
        .route(
            "header",
            "s",
            json!({"paths": ["/api"], "headers": {"x-version": ["2"]}, "strip_path": false}),
        );
    let mut gw = Gateway::start(&routes).await;
    let route_of = |log: serde_json::Value| log["route"]["name"].as_str().unwrap().to_string();
    type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case<'_>; 9] = [
        ("GET", "/x", &[], "root"),
        ("GET", "/apifoo", &[], "api"),
        ("GET", "/api/v1/abc", &[], "api-v1"),
        ("GET", "/api/v1/42", &[], "regex"),
        ("GET", "/api/v1/7", &[], "regex-high"),
        ("POST", "/api/v1/42", &[], "post"),
        ("GET", "/api/v1/42", &[("host", "api.test")], "host"),
        ("GET", "/api", &[("x-version", "2")], "header"),
        // Two fields (paths + methods) beat one field with a longer path.
        ("POST", "/api/v1/abc", &[], "post"),
    ];
    for (method, path, headers, want) in cases {
        let reply = send(method, &gw.url(path), headers, "").await;
        assert_eq!(reply.status, StatusCode::OK, "{method} {path}");
        assert_eq!(
            route_of(gw.next_log().await),
            want,
            "{method} {path} {headers:?}"
        );
    }
}

#[tokio::test]
async fn strip_path_and_service_path_build_the_upstream_path() {
    let up = echo("a").await;
    let base = up.url();
    let entities = Entities::new()
        .service("plain", &base)
        .service("with-path", &format!("{base}/s"))
        .service("with-slash", &format!("{base}/s/"))
        .route("strip", "with-path", json!({"paths": ["/r"]}))
        .route(
            "keep",
            "with-path",
            json!({"paths": ["/k"], "strip_path": false}),
        )
        .route("strip-slash", "with-slash", json!({"paths": ["/t"]}))
        .route("plain", "plain", json!({"paths": ["/p"]}))
        .route("regex", "plain", json!({"paths": ["~/re/\\d+"]}));
    let gw = Gateway::start(&entities).await;
    let cases = [
        ("/r/x", "/s/x"),
        ("/r", "/s"),
        ("/r/", "/s/"),
        ("/rx", "/s/x"),
        ("/k/x", "/s/k/x"),
        ("/t", "/s"),
        ("/t/", "/s/"),
        ("/t/x", "/s/x"),
        ("/p/a/b?q=1&r", "/a/b?q=1&r"),
        ("/p?", "/?"),
        ("/re/123/rest", "/rest"),
        ("/r//x/./y/../z", "/s/x/z"),
    ];
    for (request, upstream) in cases {
        let reply = gw.get(request).await;
        assert_eq!(reply.echoed()["uri"], upstream, "request {request}");
    }
    let reply = gw.get("/r/x").await;
    assert_eq!(reply.echoed()["headers"]["x-forwarded-prefix"], "/r");
    let reply = gw.get("/k/x").await;
    assert!(
        reply.echoed()["headers"]
            .get("x-forwarded-prefix")
            .is_none()
    );
}

#[tokio::test]
async fn hosts_with_wildcards_and_ports() {
    let up = echo("a").await;
    let gw_entities = Entities::new()
        .service("s", &up.url())
        .route("exact", "s", json!({"hosts": ["api.example.com"]}))
        .route("suffix", "s", json!({"hosts": ["*.example.com"]}))
        .route("prefix", "s", json!({"hosts": ["example.*"]}));
    let mut gw = Gateway::start(&gw_entities).await;
    for (host, want) in [
        ("api.example.com", Some("exact")),
        ("API.Example.com:8000", Some("exact")),
        ("www.example.com", Some("suffix")),
        ("example.org", Some("prefix")),
        ("other.org", None),
    ] {
        let reply = send("GET", &gw.url("/"), &[("host", host)], "").await;
        match want {
            Some(route) => {
                assert_eq!(reply.status, StatusCode::OK, "{host}");
                assert_eq!(gw.next_log().await["route"]["name"], route, "{host}");
            }
            None => {
                assert_eq!(reply.status, StatusCode::NOT_FOUND, "{host}");
                gw.next_log().await;
            }
        }
    }
    // A host with a port only matches requests that arrived on that port.
    let port = gw.addr.port();
    let entities = gw_entities
        .clone()
        .route("port", "s", json!({"hosts": [format!("port.test:{port}")]}))
        .route("other-port", "s", json!({"hosts": ["other-port.test:1"]}));
    gw.update(&entities).await;
    let reply = send("GET", &gw.url("/"), &[("host", "port.test")], "").await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = send("GET", &gw.url("/"), &[("host", "other-port.test")], "").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn two_host_headers_are_refused_as_nginx_does() {
    let up = echo("a").await;
    let mut gw = Gateway::start(&Entities::new().service("s", &up.url()).route(
        "r",
        "s",
        json!({"hosts": ["a.test"]}),
    ))
    .await;
    let reply = send(
        "GET",
        &gw.url("/"),
        &[("host", "a.test"), ("host", "b.test")],
        "",
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    // nginx's own error: without Accept or Content-Type, Kong's `error_default_type` (text).
    assert!(
        reply.body.starts_with("Bad request\nrequest_id: "),
        "{}",
        reply.body
    );
    assert!(reply.header("x-kong-request-id").is_some());
    assert_eq!(gw.next_log().await["status"], 400);
    assert_eq!(up.hits(), 0);
    // One Host header is routed as usual.
    let reply = send("GET", &gw.url("/"), &[("host", "a.test")], "").await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn an_http_1_1_request_without_host_is_refused_an_http_1_0_one_is_not() {
    let up = echo("a").await;
    let gw = Gateway::start(&one_route(&up.url())).await;
    let ask = |request: &'static [u8]| raw_exchange(gw.addr, request);
    let answer = ask(b"GET /x HTTP/1.1\r\nconnection: close\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert_eq!(up.hits(), 0);
    let answer = ask(b"GET /x HTTP/1.0\r\n\r\n").await;
    assert_eq!(answer.split_whitespace().nth(1), Some("200"), "{answer}");
    assert_eq!(up.hits(), 1);
}

#[tokio::test]
async fn methods_and_headers_must_match() {
    let up = echo("a").await;
    let gw = Gateway::start(
        &Entities::new()
            .service("s", &up.url())
            .route(
                "m",
                "s",
                json!({"paths": ["/m"], "methods": ["GET", "POST"]}),
            )
            .route(
                "h",
                "s",
                json!({"paths": ["/h"], "headers": {"x-team": ["Blue", "~*^gr(e)+n$"]}}),
            ),
    )
    .await;
    assert_eq!(
        send("POST", &gw.url("/m"), &[], "x").await.status,
        StatusCode::OK
    );
    assert_eq!(
        send("DELETE", &gw.url("/m"), &[], "").await.status,
        StatusCode::NOT_FOUND
    );
    let url = gw.url("/h");
    for (team, status) in [
        ("blue", StatusCode::OK),
        ("GREEEN", StatusCode::OK),
        ("red", StatusCode::NOT_FOUND),
    ] {
        let reply = send("GET", &url, &[("x-team", team)], "").await;
        assert_eq!(reply.status, status, "{team}");
    }
    assert_eq!(gw.get("/h").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn forwarded_headers_host_and_hop_by_hop() {
    let up = echo("a").await;
    let gw = Gateway::start(
        &Entities::new()
            .service("s", &format!("{}/base", up.url()))
            .route("r", "s", json!({"paths": ["/r"]}))
            .route(
                "keep-host",
                "s",
                json!({"paths": ["/keep"], "preserve_host": true}),
            ),
    )
    .await;
    let reply = send(
        "POST",
        &gw.url("/r/x?y=1"),
        &[
            ("host", "client.test:8000"),
            ("x-forwarded-for", "10.0.0.1"),
            ("x-forwarded-proto", "https"),
            ("connection", "x-secret-hop"),
            ("x-secret-hop", "1"),
            ("keep-alive", "timeout=5"),
            ("x-app", "kept"),
            // httpoxy: an upstream CGI would take it for HTTP_PROXY; Kong clears it.
            ("proxy", "http://evil.test:8080"),
            // The gateway answers 100 Continue itself; nginx sends no Expect upstream.
            ("expect", "100-continue"),
        ],
        "payload",
    )
    .await;
    let seen = reply.echoed();
    let h = &seen["headers"];
    assert_eq!(h["x-forwarded-for"], "10.0.0.1, 127.0.0.1");
    assert_eq!(h["x-forwarded-proto"], "http");
    assert_eq!(h["x-forwarded-host"], "client.test");
    assert_eq!(h["x-forwarded-port"], gw.addr.port().to_string());
    assert_eq!(h["x-forwarded-path"], "/r/x");
    assert_eq!(h["x-forwarded-prefix"], "/r");
    assert_eq!(h["host"], up.addr.to_string());
    assert_eq!(h["x-app"], "kept");
    assert!(h.get("x-secret-hop").is_none());
    assert!(h.get("keep-alive").is_none());
    assert!(h.get("proxy").is_none());
    assert!(h.get("expect").is_none());
    assert_eq!(seen["body"], "payload");
    assert_eq!(seen["method"], "POST");
    assert!(reply.header("x-kong-upstream-latency").is_some());
    assert!(reply.header("x-kong-proxy-latency").is_some());
    assert_eq!(reply.header("x-upstream-name"), Some("a"));

    let reply = send("GET", &gw.url("/keep"), &[("host", "client.test:8000")], "").await;
    assert_eq!(reply.echoed()["headers"]["host"], "client.test:8000");
}

#[tokio::test]
async fn route_without_service_is_503_and_disabled_service_drops_routes() {
    let up = echo("a").await;
    let entities = Entities::new()
        .service("s", &up.url())
        .add("routes", json!({"name": "orphan", "paths": ["/orphan"]}))
        .add(
            "services",
            json!({"name": "off", "url": up.url(), "enabled": false}),
        )
        .route("to-off", "off", json!({"paths": ["/off"]}))
        .route("catch-all", "s", json!({"paths": ["/"]}));
    let gw = Gateway::start(&entities).await;
    let reply = gw.get("/orphan").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        reply.json()["message"],
        "no Service found with those values"
    );
    // The disabled service's route is gone: the catch-all answers.
    let reply = gw.get("/off").await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn https_only_routes_ask_for_https() {
    let up = echo("a").await;
    let gw = Gateway::start(
        &Entities::new()
            .service("s", &up.url())
            .route("tls", "s", json!({"paths": ["/tls"], "protocols": ["https"]}))
            .route(
                "redirect",
                "s",
                json!({"paths": ["/go"], "protocols": ["https"], "https_redirect_status_code": 301}),
            ),
    )
    .await;
    let reply = gw.get("/tls").await;
    assert_eq!(reply.status, StatusCode::UPGRADE_REQUIRED);
    assert_eq!(reply.json()["message"], "Please use HTTPS protocol");
    let reply = send("GET", &gw.url("/go/x?a=1"), &[("host", "h.test:8000")], "").await;
    assert_eq!(reply.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(reply.header("location"), Some("https://h.test/go/x?a=1"));
    assert_eq!(up.hits(), 0);
}

/// Kong's redirect goes to `https://` + nginx's `$host`: the Host without its port, lowercase.
#[tokio::test]
async fn https_redirects_go_to_the_lowercase_host() {
    let up = echo("a").await;
    let gw = Gateway::start(&Entities::new().service("s", &up.url()).route(
        "redirect",
        "s",
        json!({"paths": ["/go"], "protocols": ["https"], "https_redirect_status_code": 308}),
    ))
    .await;
    let reply = send(
        "GET",
        &gw.url("/go/A?b=C"),
        &[("host", "API.Example.TEST:8000")],
        "",
    )
    .await;
    assert_eq!(reply.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        reply.header("location"),
        Some("https://api.example.test/go/A?b=C")
    );
    assert_eq!(up.hits(), 0);
}

#[tokio::test]
async fn large_bodies_stream_through_both_ways() {
    let up = echo("a").await;
    let gw = Gateway::start(&Entities::new().service("s", &up.url()).route(
        "r",
        "s",
        json!({"paths": ["/"]}),
    ))
    .await;
    let body = "x".repeat(3 * 1024 * 1024);
    let reply = send("PUT", &gw.url("/big"), &[], &body).await;
    assert_eq!(
        reply.echoed()["body"].as_str().map(str::len),
        Some(body.len())
    );
}
