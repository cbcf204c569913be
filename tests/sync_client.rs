//! The Admin API client against a recording mock: it sends decK's request shapes (offset
//! paging with size=1000, PUT by id for creates, nested credential paths, POST for targets),
//! tolerates kinds a target lacks, retries 429, and reports an unreachable gateway in one line.

mod sync_support;

use gwctl::admin::{AdminClient, ClientConfig, ReadOptions, read_gateway};
use gwctl::apply::{ApplyOptions, apply};
use gwctl::plan::{DiffOptions, plan};
use gwctl::state::{Entity, State};
use serde_json::{Value, json};
use sync_support::fake_gateway::start;

fn entity(v: Value) -> Entity {
    Entity::new(v.as_object().unwrap().clone())
}

fn client(url: &str) -> AdminClient {
    AdminClient::new(ClientConfig::new(url)).unwrap()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

fn sample_state() -> State {
    let mut s = State::default();
    s.push(
        "services",
        entity(json!({"name": "svc", "url": "http://up.example:8080/v1"})),
    );
    s.push(
        "routes",
        entity(json!({"name": "r1", "paths": ["/a"], "service": {"name": "svc"}})),
    );
    s.push(
        "plugins",
        entity(json!({"name": "rate-limiting", "config": {"minute": 5}, "route": {"name": "r1"}})),
    );
    s.push("consumers", entity(json!({"username": "alice"})));
    s.push(
        "keyauth_credentials",
        entity(json!({"key": "alice-key-123456", "consumer": {"username": "alice"}})),
    );
    s.push("upstreams", entity(json!({"name": "up"})));
    s.push(
        "targets",
        entity(json!({"target": "10.0.0.1:80", "upstream": {"name": "up"}})),
    );
    s
}

#[test]
fn creates_are_put_by_id_credentials_nested_and_targets_posted() {
    let gw = start(false);
    let c = client(&gw.url());
    let rt = rt();
    let snapshot = rt
        .block_on(read_gateway(&c, &ReadOptions::default()))
        .unwrap();
    let plan = plan(&snapshot.state, &sample_state(), &DiffOptions::default()).unwrap();
    gw.clear_requests();
    let outcome = rt.block_on(apply(&c, &snapshot.info, &plan, &ApplyOptions::default()));
    assert!(outcome.is_success(), "{outcome:?}");
    let writes: Vec<(String, String)> = gw
        .requests()
        .into_iter()
        .map(|r| (r.method, r.uri))
        .collect();
    let find = |kind_path: &str| {
        writes
            .iter()
            .find(|(_, uri)| uri.contains(kind_path))
            .cloned()
            .unwrap_or_else(|| panic!("no request to {kind_path}: {writes:?}"))
    };
    let (m, uri) = find("/services/");
    assert_eq!(m, "PUT");
    let svc_id = &gw.entities("services")[0]["id"];
    assert_eq!(uri, format!("/services/{}", svc_id.as_str().unwrap()));
    assert_eq!(find("/routes/").0, "PUT");
    assert_eq!(find("/plugins/").0, "PUT");
    let consumer_id = gw.entities("consumers")[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (m, uri) = find("/key-auth/");
    assert_eq!(m, "PUT");
    assert!(
        uri.starts_with(&format!("/consumers/{consumer_id}/key-auth/")),
        "{uri}"
    );
    let (m, uri) = find("/targets");
    assert_eq!(m, "POST");
    assert!(
        uri.starts_with("/upstreams/") && uri.ends_with("/targets"),
        "{uri}"
    );
    // One write per entity, nothing else.
    assert_eq!(writes.len(), 7, "{writes:?}");
    // Parents before children.
    let pos = |p: &str| writes.iter().position(|(_, u)| u.contains(p)).unwrap();
    assert!(pos("/services/") < pos("/routes/"));
    assert!(pos("/routes/") < pos("/plugins/"));
}

#[test]
fn reads_page_with_size_1000_following_offset_and_list_targets_per_upstream() {
    let gw = start(false);
    let c = client(&gw.url());
    let rt = rt();
    let mut state = State::default();
    for i in 0..2500 {
        state.push(
            "consumers",
            entity(json!({"username": format!("user-{i:04}")})),
        );
    }
    state.push("upstreams", entity(json!({"name": "up"})));
    state.push(
        "targets",
        entity(json!({"target": "10.0.0.9:80", "upstream": {"name": "up"}})),
    );
    let empty = rt
        .block_on(read_gateway(&c, &ReadOptions::default()))
        .unwrap();
    let p = plan(&empty.state, &state, &DiffOptions::default()).unwrap();
    let options = ApplyOptions {
        parallelism: 32,
        ..ApplyOptions::default()
    };
    assert!(
        rt.block_on(apply(&c, &empty.info, &p, &options))
            .is_success()
    );
    gw.clear_requests();
    let snapshot = rt
        .block_on(read_gateway(&c, &ReadOptions::default()))
        .unwrap();
    assert_eq!(snapshot.state.of_kind("consumers").len(), 2500);
    assert_eq!(snapshot.state.of_kind("targets").len(), 1);
    let uris: Vec<String> = gw.requests().into_iter().map(|r| r.uri).collect();
    let consumer_pages: Vec<&String> = uris
        .iter()
        .filter(|u| u.starts_with("/consumers?"))
        .collect();
    assert_eq!(
        consumer_pages,
        vec![
            "/consumers?size=1000",
            "/consumers?size=1000&offset=1000",
            "/consumers?size=1000&offset=2000"
        ]
    );
    assert!(uris.iter().any(|u| u == "/targets?size=1000"), "{uris:?}");
    assert!(
        uris.iter()
            .any(|u| u.starts_with("/upstreams/") && u.ends_with("/targets?size=1000")),
        "{uris:?}"
    );
    // A no-op diff afterwards: nothing to do.
    let again = plan(&snapshot.state, &state, &DiffOptions::default()).unwrap();
    assert!(again.is_empty(), "{:#?}", again.changes);
}

#[test]
fn select_tags_are_sent_and_applied_to_creates() {
    let gw = start(false);
    let c = client(&gw.url());
    let rt = rt();
    let tags = vec!["team-a".to_string()];
    let snapshot = rt
        .block_on(read_gateway(
            &c,
            &ReadOptions {
                select_tags: tags.clone(),
            },
        ))
        .unwrap();
    let mut state = State::default();
    state.push(
        "services",
        entity(json!({"name": "a", "host": "a.example"})),
    );
    let p = plan(
        &snapshot.state,
        &state,
        &DiffOptions {
            select_tags: tags.clone(),
            ..DiffOptions::default()
        },
    )
    .unwrap();
    assert!(
        rt.block_on(apply(&c, &snapshot.info, &p, &ApplyOptions::default()))
            .is_success()
    );
    assert_eq!(gw.entities("services")[0]["tags"], json!(["team-a"]));
    assert!(
        gw.requests()
            .iter()
            .any(|r| r.uri == "/services?size=1000&tags=team-a"),
        "{:?}",
        gw.requests().iter().map(|r| &r.uri).collect::<Vec<_>>()
    );
}

#[test]
fn throttled_requests_are_retried() {
    let gw = start(false);
    gw.fake.0.lock().unwrap().throttle = 2;
    let c = client(&gw.url());
    let info = rt().block_on(c.info()).unwrap();
    assert_eq!(info.version, "3.9.1");
    assert_eq!(c.request_count(), 3);
}

#[test]
fn an_unreachable_gateway_is_one_clear_line() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let c = client(&format!("http://{addr}"));
    let error = rt().block_on(c.info()).unwrap_err().to_string();
    assert_eq!(
        error,
        format!(
            "cannot reach the Admin API at http://{addr}: connection refused — is the gateway running? `gwctl serve` starts one"
        )
    );
}
