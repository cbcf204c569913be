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

fn load_text(
    text: &str,
    vars: &[(&str, &str)],
) -> Result<gwctl::state::Loaded, gwctl::state::LoadFailure> {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "state.yaml", text);
    load(&[path], &options(vars))
}

fn errors_of(text: &str) -> Vec<String> {
    match load_text(text, &[]) {
        Ok(_) => vec![],
        Err(f) => f
            .errors()
            .map(|p| format!("{}: {}", p.path, p.message))
            .collect(),
    }
}

#[test]
fn info_select_tags_and_defaults_apply() {
    let loaded = load_text(
        "_format_version: \"3.0\"\n_info:\n  select_tags: [team-a]\n  defaults:\n    service: {read_timeout: 5000, port: 8080}\n    route: {strip_path: false}\nservices:\n  - name: s\n    host: h\n    tags: [x]\n    routes:\n      - name: r\n        paths: [/]\n  - name: t\n    host: h\n    port: 9\n",
        &[],
    )
    .unwrap();
    let state = loaded.state;
    assert_eq!(state.select_tags, vec!["team-a"]);
    let s = &state.of_kind("services")[0].body;
    assert_eq!(s["tags"], json!(["x", "team-a"]));
    assert_eq!(s["read_timeout"], 5000);
    assert_eq!(s["port"], 8080);
    assert_eq!(
        state.of_kind("services")[1].body["port"],
        9,
        "the file wins over defaults"
    );
    assert_eq!(state.of_kind("routes")[0].body["strip_path"], false);
    assert_eq!(state.of_kind("routes")[0].body["tags"], json!(["team-a"]));
}

#[test]
fn defaults_may_not_set_identity_fields() {
    let errors =
        errors_of("_format_version: \"3.0\"\n_info:\n  defaults:\n    service: {name: x}\n");
    assert_eq!(
        errors,
        vec!["/_info/defaults/service/name: _info.defaults.service may not set 'name'"]
    );
}

#[test]
fn deck_templates_and_defaults_substitute() {
    let loaded = load_text(
        "_format_version: \"3.0\"\nservices:\n  - name: s\n    host: ${{ env \"DECK_HOST\" }}\n    path: /${PREFIX:-v1}/$$x\n    connect_timeout: ${{ env \"DECK_TIMEOUT\" | toInt }}\n",
        &[("DECK_HOST", "api.internal"), ("DECK_TIMEOUT", "1500")],
    )
    .unwrap();
    let s = &loaded.state.of_kind("services")[0];
    assert_eq!(s.body["host"], "api.internal");
    assert_eq!(s.body["path"], "/v1/$x");
    assert_eq!(s.body["connect_timeout"], 1500);
    let mut secrets = loaded.state.secret_values.clone();
    secrets.sort();
    assert_eq!(secrets, vec!["1500", "api.internal"]);
    assert_eq!(s.secret_paths.len(), 2);
}

#[test]
fn nested_children_of_every_parent_point_back() {
    let loaded = load_text(
        "_format_version: \"3.0\"\nconsumers:\n  - custom_id: c1\n    keyauth_credentials: [{key: k1}]\n    acls: [{group: g}]\n    plugins:\n      - name: rate-limiting\n        config: {minute: 5}\nupstreams:\n  - name: u\n    targets: [{target: 10.0.0.1:80}]\n",
        &[],
    )
    .unwrap();
    let state = loaded.state;
    assert_eq!(
        state.of_kind("keyauth_credentials")[0].body["consumer"],
        json!({"custom_id": "c1"})
    );
    assert_eq!(
        state.of_kind("acls")[0].body["consumer"],
        json!({"custom_id": "c1"})
    );
    assert_eq!(
        state.of_kind("plugins")[0].body["consumer"],
        json!({"custom_id": "c1"})
    );
    assert_eq!(
        state.of_kind("targets")[0].body["upstream"],
        json!({"name": "u"})
    );
    // A literal key is a warning, not an error.
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    assert_eq!(
        loaded.warnings[0].path,
        "/consumers/0/keyauth_credentials/0/key"
    );
}

#[test]
fn references_by_id_and_by_name_resolve_alike() {
    let id = "0f6c3a6e-8d2b-4b8e-9a51-2c3b3f3f3f3f";
    let text = format!(
        "_format_version: \"3.0\"\nservices:\n  - id: {id}\n    name: s\n    host: h\nroutes:\n  - name: a\n    service: {id}\n    paths: [/a]\n  - name: b\n    service: s\n    paths: [/b]\nplugins:\n  - name: acl\n    service: {id}\n    config: {{allow: [x]}}\n  - name: acl\n    service: s\n    config: {{allow: [y]}}\n"
    );
    let errors = errors_of(&text);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("/plugins/1: duplicate plugin 'acl'"),
        "{errors:?}"
    );
    let mut state = load_text(
        &text
            .replace("name: acl\n    service: s", "name: cors\n    service: s")
            .replace("config: {allow: [y]}", "config: {}"),
        &[],
    )
    .unwrap()
    .state;
    assert_eq!(
        state.of_kind("routes")[0].body["service"],
        json!({"id": id})
    );
    assert_eq!(
        state.of_kind("routes")[1].body["service"],
        json!({"name": "s"})
    );
    assign_ids(&mut state);
    assert_eq!(
        state.of_kind("routes")[1].body["service"],
        json!({"id": id})
    );
}

#[test]
fn repeating_the_parent_reference_in_a_nested_child_is_an_error() {
    let errors = errors_of(
        "_format_version: \"3.0\"\nservices:\n  - name: s\n    host: h\n    routes:\n      - name: r\n        service: s\n        paths: [/]\n",
    );
    assert_eq!(
        errors,
        vec![
            "/services/0/routes/0/service: 'service' is set on an entity nested under its service"
        ]
    );
}

#[test]
fn unknown_plugins_can_be_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "p.yaml",
        "_format_version: \"3.0\"\nplugins:\n  - name: key-auht\n",
    );
    let warn = load(std::slice::from_ref(&path), &options(&[])).unwrap();
    assert_eq!(warn.warnings.len(), 1);
    assert_eq!(
        warn.warnings[0].help.as_deref(),
        Some("did you mean 'key-auth'?")
    );
    let strict = LoadOptions {
        unknown_plugins_are_warnings: false,
        ..options(&[])
    };
    let failure = load(&[path], &strict).unwrap_err();
    assert_eq!(failure.errors().count(), 1);
}

#[test]
fn json_files_load_too_and_select_tags_must_agree() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(
        &dir,
        "a.JSON",
        r#"{"_format_version": "3.0", "_info": {"select_tags": ["a"]}, "consumers": [{"username": "x"}]}"#,
    );
    let b = write(
        &dir,
        "b.yaml",
        "_format_version: \"3.0\"\n_info: {select_tags: [b]}\n",
    );
    let loaded = load(std::slice::from_ref(&a), &options(&[])).unwrap();
    assert_eq!(
        loaded.state.of_kind("consumers")[0].body["tags"],
        json!(["a"])
    );
    let failure = load(&[a, b], &options(&[])).unwrap_err();
    let p = failure.errors().next().unwrap();
    assert!(p.message.contains("select_tags differ"), "{}", p.message);
    assert_eq!(p.line, Some(2));
}

#[test]
fn select_tag_flag_must_equal_the_files_select_tags() {
    let dir = tempfile::tempdir().unwrap();
    let tagged = write(
        &dir,
        "tagged.yaml",
        "_format_version: \"3.0\"\n_info:\n  select_tags: [b, a]\nconsumers:\n  - username: x\n",
    );
    let plain = write(
        &dir,
        "plain.yaml",
        "_format_version: \"3.0\"\nconsumers:\n  - username: y\n",
    );
    let flag = |tags: &[&str]| LoadOptions {
        select_tags: tags.iter().map(|t| t.to_string()).collect(),
        ..options(&[])
    };
    // The same tags (in any order), or a file without `_info.select_tags`, are fine.
    let loaded = load(std::slice::from_ref(&tagged), &flag(&["a", "b"])).unwrap();
    assert_eq!(loaded.state.select_tags, vec!["a", "b"]);
    let loaded = load(std::slice::from_ref(&plain), &flag(&["team-a"])).unwrap();
    assert_eq!(
        loaded.state.of_kind("consumers")[0].body["tags"],
        json!(["team-a"])
    );
    // Different tags are an error naming the file and both sets, not a silent override.
    let failure = load(std::slice::from_ref(&tagged), &flag(&["team-a"])).unwrap_err();
    let p = failure.errors().next().unwrap();
    assert_eq!(p.file.as_deref(), Some(&*tagged.display().to_string()));
    assert!(
        p.message
            .contains("--select-tag [team-a] differs from this file's _info.select_tags [a, b]"),
        "{}",
        p.message
    );
    assert!(p.help.as_deref().unwrap().contains("drop --select-tag"));
    assert_eq!(p.line, Some(3));
}

#[test]
fn a_file_without_select_tags_beside_one_with_them_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let tagged = write(
        &dir,
        "tagged.yaml",
        "_format_version: \"3.0\"\n_info: {select_tags: [team-a]}\nconsumers:\n  - username: x\n",
    );
    let plain = write(
        &dir,
        "plain.yaml",
        "_format_version: \"3.0\"\nconsumers:\n  - username: y\n",
    );
    for files in [
        vec![tagged.clone(), plain.clone()],
        vec![plain.clone(), tagged.clone()],
    ] {
        let failure = load(&files, &options(&[])).unwrap_err();
        let errors: Vec<_> = failure.errors().collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        let p = errors[0];
        assert_eq!(p.file.as_deref(), Some(&*plain.display().to_string()));
        assert!(
            p.message.contains("this file has no _info.select_tags")
                && p.message.contains("declares [team-a]"),
            "{}",
            p.message
        );
    }
    // The flag does not excuse the untagged file either.
    let with_flag = LoadOptions {
        select_tags: vec!["team-a".into()],
        ..options(&[])
    };
    assert!(load(&[tagged, plain], &with_flag).is_err());
}

/// Certificates are identified by their PEM: messages name them by id, else their first SNI,
/// else their place, never by the PEM text.
#[test]
fn certificates_are_named_in_messages_without_their_pem() {
    let dir = tempfile::tempdir().unwrap();
    let indent = |text: &str| {
        text.trim()
            .lines()
            .map(|l| format!("      {l}\n"))
            .collect::<String>()
    };
    let cert = indent(&std::fs::read_to_string("tests/proxy_support/sni_a_cert.pem").unwrap());
    let key = indent(&std::fs::read_to_string("tests/proxy_support/sni_a_key.pem").unwrap());
    let pair = format!("cert: |\n{cert}    key: |\n{key}");
    let text = format!(
        "_format_version: \"3.0\"\ncertificates:\n  - {pair}  - {pair}    snis:\n      - name: a.example.com\n  - id: 6f0b6d4e-0f1b-4b7e-9a53-7f3c2b0e9d11\n    {pair}ca_certificates:\n  - cert: |\n{cert}  - cert: |\n{cert}"
    );
    let file = write(&dir, "certs.yaml", &text);
    let failure = load(&[file], &options(&[])).unwrap_err();
    let messages: Vec<&str> = failure
        .problems
        .iter()
        .map(|p| p.message.as_str())
        .collect();
    for message in &messages {
        assert!(!message.contains("BEGIN"), "{message}");
    }
    let secret = |who: &str| format!("literal secret in key of certificate {who}:");
    for who in [
        "at certificates[0]",
        "for SNI 'a.example.com'",
        "with id 6f0b6d4e-0f1b-4b7e-9a53-7f3c2b0e9d11",
    ] {
        assert!(
            messages.iter().any(|m| m.starts_with(&secret(who))),
            "{who}: {messages:#?}"
        );
    }
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("duplicate ca-certificate at ca_certificates[1]:")),
        "{messages:#?}"
    );
}

#[test]
fn every_problem_is_reported_at_once_in_file_order() {
    let errors = errors_of(
        "_format_version: \"3.0\"\nservices:\n  - name: s\n    host: h\n    port: x\n  - name: s\n    host: h\nroutes:\n  - name: r\n    service: nope\n    paths: [/]\nconsumers:\n  - {}\n",
    );
    assert_eq!(
        errors,
        vec![
            "/services/0/port: port: expected an integer",
            "/services/1/name: duplicate service 's': another service has the same name",
            "/routes/0/service: route 'r' refers to service 'nope', which is not in the state files",
            "/consumers/0: at least one of these fields must be non-empty: 'custom_id', 'username'",
        ]
    );
}

#[test]
fn a_typo_of_a_nested_collection_is_suggested() {
    let failure = load_text(
        "_format_version: \"3.0\"\nservices:\n  - name: s\n    host: h\n    rotes:\n      - paths: [/]\n",
        &[],
    )
    .unwrap_err();
    let p = failure.errors().next().unwrap();
    assert_eq!(p.message, "unknown field 'rotes'");
    assert_eq!(p.help.as_deref(), Some("did you mean 'routes'?"));
    assert_eq!((p.line, p.column), (Some(5), Some(5)));
}

#[test]
fn credential_headers_are_found_wherever_they_are_written() {
    let loaded = load_text(
        "_format_version: \"3.0\"\nplugins:\n  - name: request-transformer\n    config:\n      add:\n        headers: [\"x-api-key: abc123\", \"x-trace: 1\"]\n  - name: some-proxy\n    config:\n      upstream_headers: {Authorization: Basic Zm9vOmJhcg==}\n  - name: vault-ref\n    config:\n      headers: {apikey: \"{vault://env/my-key}\"}\n",
        &[],
    )
    .unwrap();
    let secrets: Vec<&str> = loaded
        .warnings
        .iter()
        .filter(|p| p.code == "secret")
        .map(|p| p.path.as_str())
        .collect();
    assert_eq!(
        secrets,
        vec![
            "/plugins/0/config/add/headers/0",
            "/plugins/1/config/upstream_headers/Authorization"
        ]
    );
}

#[test]
fn long_lists_read_in_parallel_keep_order_and_places() {
    let mut text = String::from("_format_version: \"3.0\"\nservices:\n");
    for i in 0..1500 {
        let port = match i {
            1234 => "port: eighty".to_string(),
            7 => "port: $NOT_SET_ANYWHERE".to_string(),
            _ => format!("port: {}", 1000 + i),
        };
        text.push_str(&format!("  - name: s{i}\n    host: h\n    {port}\n"));
    }
    let failure = load_text(&text, &[]).unwrap_err();
    let found: Vec<(String, Option<u64>)> =
        failure.errors().map(|p| (p.path.clone(), p.line)).collect();
    assert_eq!(
        found,
        vec![
            ("/services/7/port".to_string(), Some(3 + 7 * 3 + 2)),
            ("/services/1234/port".to_string(), Some(3 + 1234 * 3 + 2)),
        ]
    );
    let fixed = text
        .replace("port: eighty", "port: 80")
        .replace("$NOT_SET_ANYWHERE", "81");
    let state = load_text(&fixed, &[]).unwrap().state;
    let names: Vec<String> = state
        .of_kind("services")
        .iter()
        .map(|e| e.body["name"].as_str().unwrap().to_string())
        .collect();
    let expected: Vec<String> = (0..1500).map(|i| format!("s{i}")).collect();
    assert_eq!(names, expected);
    assert_eq!(
        state.of_kind("services")[1499]
            .origin
            .as_ref()
            .unwrap()
            .pointer,
        "/services/1499"
    );
}
