//! Matching and planning without a gateway: natural keys as decK matches them, explicit ids,
//! renames and moved keys without 409s, select-tag scope, apply's no-deletes, and ordering.

use gwctl::plan::{DiffOptions, Op, Phase, Plan, plan};
use gwctl::state::{Entity, State};
use serde_json::{Value, json};

const SVC_A: &str = "0a000000-0000-4000-8000-000000000001";
const SVC_B: &str = "0a000000-0000-4000-8000-000000000002";
const ROUTE: &str = "0b000000-0000-4000-8000-000000000001";

fn entity(v: Value) -> Entity {
    Entity::new(v.as_object().unwrap().clone())
}

fn state(items: &[(&'static str, Value)]) -> State {
    let mut s = State::default();
    for (kind, body) in items {
        s.push(kind, entity(body.clone()));
    }
    s
}

/// A gateway-side body: what the Admin API returns (defaults filled, nulls present).
fn service(id: &str, name: &str) -> Value {
    json!({"id": id, "name": name, "host": "h.example", "port": 80, "protocol": "http",
           "path": null, "retries": 5, "connect_timeout": 60000, "read_timeout": 60000,
           "write_timeout": 60000, "enabled": true, "tags": null, "created_at": 1, "updated_at": 1})
}

fn route(id: &str, name: &str, service: &str) -> Value {
    json!({"id": id, "name": name, "paths": ["/x"], "service": {"id": service},
           "protocols": ["http", "https"], "created_at": 1})
}

fn lines(p: &Plan) -> Vec<String> {
    p.changes
        .iter()
        .map(|c| format!("{:?} {} {}", c.op, c.kind, c.name))
        .collect()
}

#[test]
fn identical_entities_match_by_name_and_produce_no_changes() {
    let current = state(&[
        ("services", service(SVC_A, "a")),
        ("routes", route(ROUTE, "r", SVC_A)),
    ]);
    let target = state(&[
        ("services", json!({"name": "a", "host": "h.example"})),
        (
            "routes",
            json!({"name": "r", "paths": ["/x"], "service": {"name": "a"}}),
        ),
    ]);
    let p = plan(&current, &target, &DiffOptions::default()).unwrap();
    assert!(p.is_empty(), "{:?}", lines(&p));
}

#[test]
fn a_changed_field_is_an_update_and_reference_names_resolve_to_ids() {
    let current = state(&[
        ("services", service(SVC_A, "a")),
        ("routes", route(ROUTE, "r", SVC_A)),
    ]);
    let target = state(&[
        (
            "services",
            json!({"name": "a", "host": "h.example", "port": 8080}),
        ),
        (
            "routes",
            json!({"name": "r", "paths": ["/x"], "service": "a"}),
        ),
    ]);
    let p = plan(&current, &target, &DiffOptions::default()).unwrap();
    assert_eq!(lines(&p), vec!["Update services a"]);
    assert_eq!(p.changes[0].id, SVC_A);
    assert_eq!(p.changes[0].new.as_ref().unwrap()["port"], 8080);
}

#[test]
fn deletes_run_child_first_after_writes_parent_first() {
    let current = state(&[
        ("services", service(SVC_A, "old")),
        ("routes", route(ROUTE, "old-route", SVC_A)),
    ]);
    let target = state(&[
        ("services", json!({"name": "new", "host": "n.example"})),
        (
            "routes",
            json!({"name": "new-route", "paths": ["/n"], "service": {"name": "new"}}),
        ),
    ]);
    let p = plan(&current, &target, &DiffOptions::default()).unwrap();
    assert_eq!(
        lines(&p),
        vec![
            "Create services new",
            "Create routes new-route",
            "Delete routes old-route",
            "Delete services old",
        ]
    );
    // The route create waits for its service; the service delete waits for its route's.
    assert_eq!(p.changes[1].depends_on, vec![0]);
    assert_eq!(p.changes[3].depends_on, vec![2]);
    let apply = plan(
        &current,
        &target,
        &DiffOptions {
            no_deletes: true,
            ..DiffOptions::default()
        },
    )
    .unwrap();
    assert!(apply.changes.iter().all(|c| c.op != Op::Delete));
}

#[test]
fn a_name_moving_to_an_explicit_new_id_frees_the_name_first() {
    // The file gives service "a" a new explicit id: the old "a" must go before the new one
    // is written, and its route with it (decK fixture 020, issue #698).
    let current = state(&[
        ("services", service(SVC_A, "a")),
        ("routes", route(ROUTE, "r", SVC_A)),
    ]);
    let target = state(&[
        (
            "services",
            json!({"id": SVC_B, "name": "a", "host": "h.example"}),
        ),
        (
            "routes",
            json!({"name": "r", "paths": ["/x"], "service": {"name": "a"}}),
        ),
    ]);
    let p = plan(&current, &target, &DiffOptions::default()).unwrap();
    let phases: Vec<(Phase, String)> = p
        .changes
        .iter()
        .map(|c| (c.phase, format!("{:?} {} {}", c.op, c.kind, c.id)))
        .collect();
    assert_eq!(
        phases,
        vec![
            (Phase::FreeKeys, format!("Delete routes {ROUTE}")),
            (Phase::FreeKeys, format!("Delete services {SVC_A}")),
            (Phase::Write, format!("Create services {SVC_B}")),
            (Phase::Write, format!("Update routes {ROUTE}")),
        ]
    );
    assert!(
        p.changes[3].recreate,
        "the route is re-created under the new service"
    );
}

#[test]
fn consumers_match_by_username_then_custom_id() {
    let c1 = "0c000000-0000-4000-8000-000000000001";
    let c2 = "0c000000-0000-4000-8000-000000000002";
    let current = state(&[
        (
            "consumers",
            json!({"id": c1, "username": "alice", "custom_id": null}),
        ),
        (
            "consumers",
            json!({"id": c2, "username": null, "custom_id": "ext-7"}),
        ),
    ]);
    let target = state(&[
        (
            "consumers",
            json!({"username": "alice", "custom_id": "new-cid"}),
        ),
        ("consumers", json!({"custom_id": "ext-7"})),
    ]);
    let p = plan(&current, &target, &DiffOptions::default()).unwrap();
    assert_eq!(lines(&p), vec!["Update consumers alice"]);
    assert_eq!(p.changes[0].id, c1);
}

#[test]
fn plugins_match_by_name_and_scope() {
    let p1 = "0d000000-0000-4000-8000-000000000001";
    let current = state(&[
        ("services", service(SVC_A, "a")),
        ("routes", route(ROUTE, "r", SVC_A)),
        (
            "plugins",
            json!({"id": p1, "name": "cors", "route": {"id": ROUTE}, "service": null,
                           "consumer": null, "config": {}, "enabled": true}),
        ),
    ]);
    let target = state(&[
        ("services", json!({"name": "a", "host": "h.example"})),
        (
            "routes",
            json!({"name": "r", "paths": ["/x"], "service": {"name": "a"}}),
        ),
        ("plugins", json!({"name": "cors", "route": {"name": "r"}})),
        ("plugins", json!({"name": "cors"})),
    ]);
    let p = plan(&current, &target, &DiffOptions::default()).unwrap();
    assert_eq!(lines(&p), vec!["Create plugins cors (global)"]);
}

#[test]
fn select_tags_are_merged_into_created_entities() {
    let target = state(&[("services", json!({"name": "a", "host": "h.example"}))]);
    let p = plan(
        &State::default(),
        &target,
        &DiffOptions {
            select_tags: vec!["team".into()],
            ..DiffOptions::default()
        },
    )
    .unwrap();
    assert_eq!(p.changes[0].new.as_ref().unwrap()["tags"], json!(["team"]));
}

#[test]
fn an_unresolvable_reference_is_a_clear_error() {
    let target = state(&[(
        "routes",
        json!({"name": "r", "paths": ["/x"], "service": {"name": "ghost"}}),
    )]);
    let error = plan(&State::default(), &target, &DiffOptions::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "route 'r' refers to service name ghost, which is neither in the state files nor on the gateway"
    );
}
