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
    let kept: Value = client
        .get(format!("{}/services/kept", again.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
