//! The gateway's own error answers in the format the client asks for (Kong's
//! `kong.response.error` and `kong/error_handlers.lua` with the templates of
//! `kong/tools/http.lua`), and the `Server` header Kong's `header_filter` sets.

mod proxy_support;

use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use proxy_support::*;
use serde_json::json;
use tokio::net::TcpListener;

const SERVER: &str = concat!("gwctl/", env!("CARGO_PKG_VERSION"));
const NO_ROUTE: &str = "no Route matched with those values";

/// A gateway whose only route is `/api`, so anything else matches no route.
async fn gateway(upstream: &str) -> Gateway {
    Gateway::start(&Entities::new().service("s", upstream).route(
        "r",
        "s",
        json!({"paths": ["/api"]}),
    ))
    .await
}

fn request_id(reply: &Reply) -> String {
    reply
        .header("x-kong-request-id")
        .expect("an X-Kong-Request-Id header")
        .to_string()
}

fn json_body(message: &str, id: &str) -> String {
    format!("{{\n  \"message\":\"{message}\",\n  \"request_id\":\"{id}\"\n}}")
}

fn html_body(message: &str, id: &str) -> String {
    format!(
        "<!doctype html>\n<html>\n  <head>\n    <meta charset=\"utf-8\">\n    <title>Error</title>\n  \
         </head>\n  <body>\n    <h1>Error</h1>\n    <p>{message}.</p>\n    <p>request_id: {id}</p>\n  \
         </body>\n</html>\n"
    )
}

fn xml_body(message: &str, id: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<error>\n  <message>{message}</message>\n  \
         <requestid>{id}</requestid>\n</error>\n"
    )
}

fn plain_body(message: &str, id: &str) -> String {
    format!("{message}\nrequest_id: {id}\n")
}

type Template = fn(&str, &str) -> String;
/// Request headers, and the `Content-Type` and template of the answer they should get.
type Case<'a> = (&'a [(&'a str, &'a str)], (&'a str, Template));

/// `Accept` values, the `Content-Type` Kong answers them with, and its template.
const FORMATS: [(&str, &str, Template); 4] = [
    (
        "application/json",
        "application/json; charset=utf-8",
        json_body,
    ),
    ("text/html", "text/html; charset=utf-8", html_body),
    (
        "application/xml",
        "application/xml; charset=utf-8",
        xml_body,
    ),
    ("text/plain", "text/plain; charset=utf-8", plain_body),
];

/// Asserts `reply` is `message` in the format `content_type`/`template`.
fn assert_format(reply: &Reply, content_type: &str, template: Template, message: &str) {
    assert_eq!(
        reply.header("content-type"),
        Some(content_type),
        "{}",
        reply.body
    );
    assert_eq!(reply.body, template(message, &request_id(reply)));
}

#[tokio::test]
async fn no_route_answers_in_each_format_the_client_accepts() {
    let up = echo("a").await;
    let gw = gateway(&up.url()).await;
    for (accept, content_type, template) in FORMATS {
        let reply = send("GET", &gw.url("/nowhere"), &[("accept", accept)], "").await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{accept}");
        assert_format(&reply, content_type, template, NO_ROUTE);
        assert_eq!(reply.header("server"), Some(SERVER), "{accept}");
        assert_eq!(reply.header("via"), None, "not proxied: {accept}");
        assert!(reply.header("x-kong-response-latency").is_some());
    }
    assert_eq!(up.hits(), 0);
}

#[tokio::test]
async fn no_or_any_accept_gets_json_and_quality_values_count() {
    let up = echo("a").await;
    let gw = gateway(&up.url()).await;
    let json = ("application/json; charset=utf-8", json_body as Template);
    let cases: [Case; 7] = [
        (&[], json),
        (&[("accept", "*/*")], json),
        // `kong.response.error` ignores the request's Content-Type.
        (&[("content-type", "text/html")], json),
        (&[("accept", "image/png")], json),
        (
            &[("accept", "text/plain;q=0.3, text/html;q=0.7, */*;q=0.5")],
            ("text/html; charset=utf-8", html_body),
        ),
        (
            &[("accept", "text/*")],
            ("text/plain; charset=utf-8", plain_body),
        ),
        // Several Accept headers are one list: html has the highest quality.
        (
            &[
                ("accept", "text/plain;q=0.2"),
                ("accept", "application/xml;q=0.4, text/html;q=0.9"),
            ],
            ("text/html; charset=utf-8", html_body),
        ),
    ];
    for (headers, (content_type, template)) in cases {
        let reply = send("GET", &gw.url("/nowhere"), headers, "").await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{headers:?}");
        assert_format(&reply, content_type, template, NO_ROUTE);
    }
}

#[tokio::test]
async fn plugin_refusals_answer_in_the_accepted_format() {
    let up = echo("a").await;
    let gw = Gateway::start(
        &Entities::new()
            .service("s", &up.url())
            .route("r", "s", json!({"paths": ["/"]}))
            .plugin("key-auth", json!({})),
    )
    .await;
    let missing = "No API key found in request";
    for (accept, content_type, template) in FORMATS {
        let reply = send("GET", &gw.url("/x"), &[("accept", accept)], "").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{accept}");
        assert_format(&reply, content_type, template, missing);
        assert_eq!(reply.header("www-authenticate"), Some("Key"));
        assert_eq!(reply.header("server"), Some(SERVER));
        assert_eq!(reply.header("via"), None, "not proxied: {accept}");
    }
    let reply = gw.get("/x").await;
    assert_format(
        &reply,
        "application/json; charset=utf-8",
        json_body,
        missing,
    );
    assert_eq!(up.hits(), 0);
}

#[tokio::test]
async fn rate_limiting_refusals_honour_accept_too() {
    let up = echo("a").await;
    away_from_a_minute_boundary().await;
    let gw = Gateway::start(&one_route_with_plugin(
        &up.url(),
        "rate-limiting",
        json!({"minute": 1}),
    ))
    .await;
    assert_eq!(gw.get("/").await.status, StatusCode::OK);
    let reply = send("GET", &gw.url("/"), &[("accept", "application/xml")], "").await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_format(
        &reply,
        "application/xml; charset=utf-8",
        xml_body,
        "API rate limit exceeded",
    );
}

#[tokio::test]
async fn upstream_failures_use_nginx_error_handler_defaults() {
    let dead = closed_port().await;
    let gw = Gateway::start(
        &Entities::new()
            .add(
                "services",
                json!({"name": "s", "url": format!("http://{dead}"), "retries": 0}),
            )
            .route("r", "s", json!({"paths": ["/"]})),
    )
    .await;
    let message = "An invalid response was received from the upstream server";
    let plain = ("text/plain; charset=utf-8", plain_body as Template);
    let json = ("application/json; charset=utf-8", json_body as Template);
    let cases: [Case; 4] = [
        // Kong's `error_default_type` (text/plain) when neither Accept nor Content-Type says.
        (&[], plain),
        // Without Accept, the request's Content-Type decides.
        (&[("content-type", "application/json")], json),
        (&[("accept", "application/json")], json),
        (
            &[
                ("accept", "text/html"),
                ("content-type", "application/json"),
            ],
            ("text/html; charset=utf-8", html_body),
        ),
    ];
    for (headers, (content_type, template)) in cases {
        let reply = send("GET", &gw.url("/"), headers, "").await;
        assert_eq!(reply.status, StatusCode::BAD_GATEWAY, "{headers:?}");
        assert_format(&reply, content_type, template, message);
        // Proxied (it went upstream): Kong's Via and upstream latency, and its own Server.
        assert_eq!(reply.header("server"), Some(SERVER));
        assert_eq!(
            reply.header("via"),
            Some(concat!("1.1 gwctl/", env!("CARGO_PKG_VERSION")))
        );
        assert!(reply.header("x-kong-upstream-latency").is_some());
        assert!(reply.header("x-kong-response-latency").is_none());
    }
}

#[tokio::test]
async fn a_request_with_two_hosts_gets_nginx_bad_request_in_plain_text() {
    let up = echo("a").await;
    let gw = gateway(&up.url()).await;
    let reply = send(
        "GET",
        &gw.url("/api"),
        &[("host", "a.test"), ("host", "b.test")],
        "",
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_format(
        &reply,
        "text/plain; charset=utf-8",
        plain_body,
        "Bad request",
    );
    assert_eq!(reply.header("server"), Some(SERVER));
}

#[tokio::test]
async fn grpc_requests_get_grpc_status_headers() {
    let up = echo("a").await;
    let gw = gateway(&up.url()).await;
    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http::<Full<Bytes>>();
    let request = Request::post(gw.url("/pkg.Service/Method"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = client.request(request).await.expect("h2c request succeeds");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/grpc");
    assert_eq!(headers["grpc-status"], "5");
    assert_eq!(headers["grpc-message"], "NotFound");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert!(body.is_empty(), "{body:?}");
}

/// An upstream that answers 200 with `Server: upstream-server/1.0`.
async fn upstream_with_a_server_header() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = service_fn(|_req: Request<Incoming>| async {
                    Ok::<_, Infallible>(
                        Response::builder()
                            .header("server", "upstream-server/1.0")
                            .body(Full::new(Bytes::from_static(b"hello")))
                            .unwrap(),
                    )
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn server_header_is_the_upstreams_when_proxied_else_the_gateways() {
    let named = upstream_with_a_server_header().await;
    let anonymous = echo("a").await;
    let gw = Gateway::start(
        &Entities::new()
            .service("named", &named)
            .route("to-named", "named", json!({"paths": ["/named"]}))
            .service("anonymous", &anonymous.url())
            .route(
                "to-anonymous",
                "anonymous",
                json!({"paths": ["/anonymous"]}),
            )
            .route("guarded", "named", json!({"paths": ["/guarded"]}))
            .add(
                "plugins",
                json!({"name": "key-auth", "config": {}, "route": fk("guarded")}),
            ),
    )
    .await;
    let via = concat!("1.1 gwctl/", env!("CARGO_PKG_VERSION"));
    // Proxied: the upstream's own Server passes through (Kong's `proxy_pass_header Server`).
    let reply = gw.get("/named").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("server"), Some("upstream-server/1.0"));
    assert_eq!(reply.header("via"), Some(via));
    // Proxied from an upstream that sends none: the gateway's.
    let reply = gw.get("/anonymous").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("server"), Some(SERVER));
    assert_eq!(reply.header("via"), Some(via));
    // Refused by a plugin in front of that same upstream: the gateway's, and no Via.
    let reply = gw.get("/guarded").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.header("server"), Some(SERVER));
    assert_eq!(reply.header("via"), None);
}
