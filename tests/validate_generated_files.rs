//! The generated files users rely on stay current: JSON Schemas (for editors) and shell
//! completions. Run with `GWCTL_BLESS=1` to rewrite them after changing the registry or CLI.
//! The state schema also has to agree with the registry in practice: the example files pass
//! it, and files with unknown fields or wrong types fail it.

use std::path::{Path, PathBuf};

use clap_complete::Shell;
use gwctl::kinds::export::json_schema;
use gwctl::kinds::registry;
use gwctl::state::yaml::{Limits, parse_value};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bless() -> bool {
    std::env::var_os("GWCTL_BLESS").is_some_and(|v| v == "1")
}

/// Compares (or with GWCTL_BLESS=1 rewrites) generated files; returns the stale ones.
fn check_current(files: Vec<(PathBuf, Vec<u8>)>) -> Vec<String> {
    let mut stale = Vec::new();
    for (path, content) in files {
        if bless() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &content).unwrap();
        } else if std::fs::read(&path).ok().as_deref() != Some(&content[..]) {
            stale.push(path.display().to_string());
        }
    }
    stale
}

#[test]
fn schemas_are_current() {
    let files = json_schema::files(registry())
        .into_iter()
        .map(|(name, text)| (root().join("schemas").join(name), text.into_bytes()))
        .collect();
    let stale = check_current(files);
    assert!(
        stale.is_empty(),
        "stale schema files {stale:?}: run `GWCTL_BLESS=1 cargo test --test validate_generated_files`"
    );
}

#[test]
fn completions_are_current() {
    let shells = [
        (Shell::Bash, "gwctl.bash"),
        (Shell::Zsh, "gwctl.zsh"),
        (Shell::Fish, "gwctl.fish"),
        (Shell::PowerShell, "gwctl.ps1"),
        (Shell::Elvish, "gwctl.elv"),
    ];
    let files = shells
        .into_iter()
        .map(|(shell, name)| {
            let mut out = Vec::new();
            gwctl::cli::completions::write(shell, &mut out);
            (root().join("completions").join(name), out)
        })
        .collect();
    let stale = check_current(files);
    assert!(
        stale.is_empty(),
        "stale completion files {stale:?}: run `GWCTL_BLESS=1 cargo test --test validate_generated_files`"
    );
}

fn load_yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    parse_value(&text, Limits::default()).unwrap()
}

fn errors(instance: &Value) -> Vec<String> {
    let schema = json_schema::state_schema(registry());
    let validator = jsonschema::validator_for(&schema).expect("the state schema is valid");
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn example_files_satisfy_the_state_schema() {
    for file in ["fixtures/kong-ai.yaml", "fixtures/multi-provider.yaml"] {
        let errs = errors(&load_yaml(&root().join(file)));
        assert!(errs.is_empty(), "{file}: {errs:#?}");
    }
}

#[test]
fn the_state_schema_rejects_what_the_registry_rejects() {
    let errs = errors(&load_yaml(
        &root().join("fixtures/invalid/unknown-fields.yaml"),
    ));
    let joined = errs.join("\n");
    for field in ["prot", "pahts", "confg"] {
        assert!(joined.contains(field), "{field} in {joined}");
    }
    let wrong = serde_json::json!({
        "_format_version": "3.0",
        "services": [{"name": "s", "host": "h", "port": "eighty", "routes": [{"paths": "/x"}]}],
        "plugins": [{"name": "ai-proxy", "config": {"route_type": "llm/v9", "model": {"provider": "openai"}}}]
    });
    let errs = errors(&wrong).join("\n");
    assert!(errs.contains("/services/0/port"), "{errs}");
    assert!(errs.contains("/services/0/routes/0/paths"), "{errs}");
    assert!(errs.contains("/plugins/0/config/route_type"), "{errs}");
    let env = serde_json::json!({
        "_format_version": "3.0",
        "services": [{"name": "s", "host": "h", "port": "$PORT"}]
    });
    assert!(
        errors(&env).is_empty(),
        "an env reference stands for a number"
    );
}

#[test]
fn each_plugin_config_schema_matches_its_registry_defaults() {
    for plugin in registry().plugins() {
        let path = root().join(format!("schemas/plugins/{}.json", plugin.name));
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let config = plugin.config_schema().unwrap();
        for field in &config.fields {
            let property = &schema["properties"][field.name];
            assert!(
                !property.is_null(),
                "{}: {} missing",
                plugin.name,
                field.name
            );
            if let Some(default) = &field.schema.default {
                let shown = property
                    .get("default")
                    .or_else(|| property["anyOf"][0].get("default"));
                assert_eq!(shown, Some(default), "{}.{}", plugin.name, field.name);
            }
        }
    }
}
