//! The loader: nested and flat forms, references, defaults, env substitution, ids.

use std::collections::HashMap;
use std::path::PathBuf;

use gwctl::state::{Env, LoadOptions, assign_ids, load};
use serde_json::json;

fn options(vars: &[(&str, &str)]) -> LoadOptions {
    LoadOptions {
        env: Env::Map(
            vars.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<HashMap<_, _>>(),
        ),
        ..LoadOptions::default()
    }
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn seed_file_loads_with_its_key_from_the_environment() {
    let loaded = load(
        &[PathBuf::from("fixtures/kong-ai.yaml")],
        &options(&[("OPENAI_API_KEY", "sk-test-123")]),
    )
    .unwrap_or_else(|e| panic!("{:?}", miette::Report::new(e)));
    let state = &loaded.state;
    let service = &state.of_kind("services")[0];
    assert_eq!(service.body["host"], "api.openai.com");
    assert_eq!(service.body["port"], 443);
    let route = &state.of_kind("routes")[0];
    assert_eq!(route.body["service"], json!({"name": "openai-service"}));
    let plugin = &state.of_kind("plugins")[0];
    assert_eq!(plugin.body["route"], json!({"name": "openai-chat-route"}));
    assert_eq!(
        plugin.body["config"]["auth"]["header_value"],
        "Bearer sk-test-123"
    );
    assert_eq!(state.secret_values, vec!["sk-test-123".to_string()]);
    assert_eq!(plugin.secret_paths.len(), 1);
    let origin = plugin.origin.as_ref().unwrap();
    assert_eq!(&*origin.file, "fixtures/kong-ai.yaml");
    assert_eq!(origin.pointer, "/services/0/routes/0/plugins/0");
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
}

#[test]
fn nested_and_flat_routes_end_up_identical() {
    let dir = tempfile::tempdir().unwrap();
    let nested = write(
        &dir,
        "nested.yaml",
        "_format_version: \"3.0\"\nservices:\n  - name: s\n    host: h\n    routes:\n      - name: r\n        paths: [/a]\n",
    );
    let flat = write(
        &dir,
        "flat.yaml",
        "_format_version: \"3.0\"\nservices:\n  - name: s\n    host: h\nroutes:\n  - name: r\n    service: s\n    paths: [/a]\n",
    );
    let a = load(&[nested], &options(&[])).unwrap().state;
    let b = load(&[flat], &options(&[])).unwrap().state;
    assert_eq!(a.of_kind("routes")[0].body, b.of_kind("routes")[0].body);
    assert_eq!(a.of_kind("services")[0].body, b.of_kind("services")[0].body);
}

#[test]
fn assign_ids_points_every_reference_at_an_id() {
    let mut state = load(
        &[PathBuf::from("fixtures/kong-ai.yaml")],
        &options(&[("OPENAI_API_KEY", "k")]),
    )
    .unwrap()
    .state;
    assign_ids(&mut state);
    let service_id = state.of_kind("services")[0].id().unwrap().to_string();
    let route = &state.of_kind("routes")[0];
    assert_eq!(route.body["service"], json!({"id": service_id}));
    let route_id = route.id().unwrap().to_string();
    assert_eq!(
        state.of_kind("plugins")[0].body["route"],
        json!({"id": route_id})
    );
}
