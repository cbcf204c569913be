//! `gwctl serve` as users run it: the banner, graceful shutdown on SIGTERM, persistence
//! across restarts, one server per database.

mod admin_api_support;

use std::process::Command;

use admin_api_support::process::serve;
use serde_json::{Value, json};

#[tokio::test]
async fn serve_prints_its_address_persists_and_stops_on_sigterm() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gw.db");
    let served = serve(&db, &[]).expect("starts");
    let client = reqwest::Client::new();
    let created = client
        .post(format!("{}/services", served.base))
        .json(&json!({"name": "kept", "host": "h.test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    let second = serve(&db, &[]);
    let error = second
        .err()
        .expect("a second server on the same database is refused");
    assert!(error.contains("in use by another process"), "{error}");

    let status = Command::new("kill")
        .args(["-TERM", &served.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = served.child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "graceful exit: {:?}",
        output.status
    );

    let again = serve(&db, &[]).expect("restarts");
    let kept: Value = again.get_json(&client, "/services/kept").await;
    assert_eq!(kept["host"], "h.test");
    let mut child = again.child;
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn a_bad_listen_address_is_a_clear_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_gwctl"))
        .args([
            "serve",
            "--db",
            ":memory:",
            "--admin-listen",
            "not an address",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--admin-listen"), "{stderr}");
}

#[tokio::test]
async fn config_replaces_the_stored_configuration_at_start() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gw.db");
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/kong-ai.yaml");
    let key = [("OPENAI_API_KEY", "sk-test-not-a-real-key")];
    let client = reqwest::Client::new();
    for round in 0..2 {
        let served = admin_api_support::process::serve_with_env(&db, &["--config", fixture], &key)
            .expect("starts with the fixture");
        if round == 0 {
            // Something the file does not have: replaced on the next start.
            let extra = client
                .post(format!("{}/consumers", served.base))
                .json(&json!({"username": "stray"}))
                .send()
                .await
                .unwrap();
            assert_eq!(extra.status(), 201);
        }
        let services: Value = served.get_json(&client, "/services").await;
        assert_eq!(
            services["data"].as_array().unwrap().len(),
            1,
            "round {round}"
        );
        assert_eq!(services["data"][0]["name"], "openai-service");
        let plugins: Value = served
            .get_json(&client, "/routes/openai-chat-route/plugins")
            .await;
        assert_eq!(
            plugins["data"][0]["config"]["auth"]["header_value"],
            "Bearer sk-test-not-a-real-key"
        );
        let consumers: Value = served.get_json(&client, "/consumers").await;
        let expected = if round == 0 { 1 } else { 0 };
        assert_eq!(
            consumers["data"].as_array().unwrap().len(),
            expected,
            "round {round}"
        );
        let mut child = served.child;
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

#[test]
fn a_bad_config_stops_the_start_with_validate_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.yaml");
    std::fs::write(
        &file,
        "_format_version: \"3.0\"\nservices:\n  - name: s\n    host: h.test\n    port: not-a-port\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_gwctl"))
        .args([
            "serve",
            "--db",
            ":memory:",
            "--admin-listen",
            "127.0.0.1:0",
            "--config",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        output.stdout.is_empty(),
        "no banner: the gateway did not start"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bad.yaml:5"), "{stderr}");
    assert!(stderr.contains("expected an integer"), "{stderr}");
}

/// Log lines on a stderr that is not a terminal, or with `--no-color`, carry no ANSI colours
/// (`NO_COLOR` unset, so the flag and the terminal check are what is tested).
#[tokio::test]
async fn logs_have_no_colour_off_a_terminal_or_with_no_color() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let _ = rustls::crypto::ring::default_provider().install_default();
    for extra in [&["-vv"][..], &["-vv", "--no-color"]] {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_gwctl"))
            .env_remove("NO_COLOR")
            .env_remove("RUST_LOG")
            .args(["serve", "--admin-listen", "127.0.0.1:0", "--proxy-listen"])
            .args(["127.0.0.1:0", "--db"])
            .arg(dir.path().join("gw.db"))
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut banner = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut banner)
            .unwrap();
        let base = banner
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no banner: {banner:?}"));
        let answer = reqwest::get(format!("http://{base}/services")).await;
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let output = child.wait_with_output().unwrap();
        assert_eq!(answer.unwrap().status(), 200);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("admin request"), "{extra:?}: {stderr}");
        assert!(!stderr.contains('\u{1b}'), "{extra:?}: {stderr:?}");
    }
}
