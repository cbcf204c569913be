//! No spurious diffs: for every fixture and for a file holding every kind, sync then diff is
//! empty, and dump then diff is empty.

mod sync_support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use gwctl::kinds::registry;
use sync_support::cli::gwctl;
use sync_support::fake_gateway::start;
use sync_support::gateway::{Target, start_gateway};

fn run(gw: &dyn Target, args: &[&str], env: &[(String, String)]) -> sync_support::cli::Run {
    let dir = tempfile::tempdir().unwrap();
    let url = gw.url();
    let mut all = vec!["--addr", url.as_str()];
    all.extend_from_slice(args);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    gwctl(&all, &env, dir.path())
}

/// A value for every `$NAME` / `${NAME}` the file references.
fn env_for(text: &str) -> Vec<(String, String)> {
    let re = regex::Regex::new(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)").unwrap();
    let names: BTreeSet<String> = re.captures_iter(text).map(|c| c[1].to_string()).collect();
    names
        .into_iter()
        .map(|n| (n.clone(), format!("value-of-{n}-0123456789")))
        .collect()
}

fn round_trip(file: &Path) {
    let text = std::fs::read_to_string(file).unwrap();
    let env = env_for(&text);
    let path = file.display().to_string();
    // A Kong-like target (per-entity writes) and the bundled gateway (one atomic batch).
    for bundled in [false, true] {
        let gw: Box<dyn Target> = if bundled {
            Box::new(start_gateway())
        } else {
            Box::new(start(false))
        };
        let gw = gw.as_ref();
        let sync = run(gw, &["sync", &path], &env);
        assert_eq!(sync.code, 0, "{path}: {}\n{}", sync.stdout, sync.stderr);
        let diff = run(gw, &["diff", "--exit-code", &path], &env);
        assert_eq!(diff.code, 0, "{path}: sync then diff:\n{}", diff.stdout);
        let dir = tempfile::tempdir().unwrap();
        let dumped = dir.path().join("dump.yaml");
        let dump = run(gw, &["dump", "-o", dumped.to_str().unwrap()], &[]);
        assert_eq!(dump.code, 0, "{}", dump.stderr);
        let diff = run(gw, &["diff", "--exit-code", dumped.to_str().unwrap()], &[]);
        assert_eq!(
            diff.code,
            0,
            "{path}: dump then diff:\n{}\n{}",
            diff.stdout,
            std::fs::read_to_string(&dumped).unwrap()
        );
        let json = dir.path().join("dump.json");
        assert_eq!(
            run(gw, &["dump", "-o", json.to_str().unwrap()], &[]).code,
            0
        );
        let diff = run(gw, &["diff", "--exit-code", json.to_str().unwrap()], &[]);
        assert_eq!(
            diff.code, 0,
            "{path}: json dump then diff:\n{}",
            diff.stdout
        );
    }
}

#[test]
fn every_kind_syncs_and_dumps_without_spurious_diffs() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sync_support/every_kind.yaml");
    let gw = start_gateway();
    let path = file.display().to_string();
    assert_eq!(run(&gw, &["sync", &path], &[]).code, 0);
    for kind in registry().kinds() {
        assert!(
            !gw.entities(kind.name).is_empty(),
            "every_kind.yaml lacks {}",
            kind.name
        );
    }
    round_trip(&file);
}

#[test]
fn every_fixture_syncs_then_diffs_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for file in files {
        round_trip(&file);
    }
}
