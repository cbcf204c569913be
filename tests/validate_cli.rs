//! `gwctl validate` and `gwctl render` as users run them: the real binary, exit codes,
//! file:line:col in the output, the JSON shape, and secrets never printed.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const MULTI_PROVIDER_VARS: [(&str, &str); 5] = [
    ("OPENAI_API_KEY", "sk-openai-test-value-1"),
    ("ANTHROPIC_API_KEY", "sk-ant-test-value-2"),
    ("ALICE_API_KEY", "alice-test-key-3"),
    ("CI_BOT_API_KEY", "ci-bot-test-key-4"),
    ("BOB_JWT_SECRET", "bob-jwt-test-secret-5"),
];

fn gwctl(args: &[&str], env: &[(&str, &str)]) -> Output {
    gwctl_with_stdin(args, env, None)
}

fn gwctl_with_stdin(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gwctl"));
    command
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("OPENAI_API_KEY")
        .env_remove("GWCTL_TEST_UNSET_TOKEN")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("run gwctl");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("gwctl finishes")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json_problems(o: &Output) -> Vec<serde_json::Value> {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

#[test]
fn the_seed_file_is_valid_with_its_key_set() {
    let out = gwctl(
        &["validate", "fixtures/kong-ai.yaml"],
        &[("OPENAI_API_KEY", "sk-seed-test")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "valid: 3 entities\n");
}

#[test]
fn the_seed_file_without_its_key_points_at_the_reference() {
    let out = gwctl(&["validate", "fixtures/kong-ai.yaml"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("fixtures/kong-ai.yaml:17:"), "{err}");
    assert!(
        err.contains("environment variable 'OPENAI_API_KEY' is not set"),
        "{err}"
    );
    assert!(
        err.contains("header_value: \"Bearer $OPENAI_API_KEY\""),
        "the source line: {err}"
    );
}

#[test]
fn the_multi_provider_example_is_clean_even_strict() {
    let out = gwctl(
        &["validate", "--strict", "fixtures/multi-provider.yaml"],
        &MULTI_PROVIDER_VARS,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    for (_, secret) in MULTI_PROVIDER_VARS {
        assert!(!stdout(&out).contains(secret));
    }
}

/// Every invalid fixture fails, and each problem its header comment lists is reported at that
/// line, in both human and JSON output.
#[test]
fn invalid_fixtures_report_each_problem_at_its_line() {
    let cases: [(&str, &[(u64, &str)]); 7] = [
        (
            "unknown-fields",
            &[
                (8, "unknown field 'prot'"),
                (12, "unknown field 'pahts'"),
                (17, "unknown field 'confg'"),
            ],
        ),
        (
            "broken-references",
            &[
                (13, "refers to service 'billing-svc'"),
                (18, "refers to route 'chat'"),
                (19, "refers to consumer 'alicia'"),
            ],
        ),
        (
            "duplicates",
            &[
                (9, "duplicate service 'billing'"),
                (13, "duplicate consumer 'alice'"),
                (20, "duplicate plugin 'key-auth'"),
            ],
        ),
        (
            "plugin-config",
            &[
                (13, "'auth.header_name', 'auth.header_value'"),
                (17, "anthropic_version: must be set"),
                (21, "cannot be lower than the limit for minute"),
                (25, "'allow', 'deny'"),
            ],
        ),
        (
            "entity-checks",
            &[
                (9, "path: value must be null"),
                (12, "must set one of"),
                (15, "protocols.1"),
            ],
        ),
        ("unset-env", &[(13, "GWCTL_TEST_UNSET_TOKEN")]),
        ("format-1-1", &[(2, "Kong 2.x format")]),
    ];
    for (name, expected) in cases {
        let file = format!("fixtures/invalid/{name}.yaml");
        let human = gwctl(&["validate", &file], &[]);
        assert_eq!(human.status.code(), Some(1), "{name}");
        let err = stderr(&human);
        let json = gwctl(&["validate", "--format", "json", &file], &[]);
        assert_eq!(json.status.code(), Some(1), "{name}");
        let problems = json_problems(&json);
        assert_eq!(problems.len(), expected.len(), "{name}: {problems:#?}");
        for (line, text) in expected {
            assert!(
                err.contains(&format!("{file}:{line}:")),
                "{name}: no {file}:{line}: in\n{err}"
            );
            assert!(err.contains(text), "{name}: no '{text}' in\n{err}");
            assert!(
                problems.iter().any(|p| p["line"] == *line
                    && p["message"].as_str().unwrap().contains(text)
                    && p["severity"] == "error"),
                "{name}: {line} {text} in {problems:#?}"
            );
        }
    }
}

#[test]
fn unknown_fields_suggest_the_right_name() {
    let out = gwctl(&["validate", "fixtures/invalid/unknown-fields.yaml"], &[]);
    let err = stderr(&out);
    for hint in [
        "did you mean 'port'?",
        "did you mean 'paths'?",
        "did you mean 'config'?",
    ] {
        assert!(err.contains(hint), "{hint} in {err}");
    }
}

#[test]
fn json_output_has_exactly_the_documented_fields() {
    let out = gwctl(
        &[
            "validate",
            "--format",
            "json",
            "fixtures/invalid/broken-references.yaml",
        ],
        &[],
    );
    let problems = json_problems(&out);
    let first = problems[0].as_object().unwrap();
    let mut keys: Vec<&str> = first.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "code", "column", "file", "line", "message", "path", "severity"
        ]
    );
    assert_eq!(first["file"], "fixtures/invalid/broken-references.yaml");
    assert_eq!(first["path"], "/routes/0/service");
    assert_eq!(
        (first["line"].as_u64(), first["column"].as_u64()),
        (Some(13), Some(14))
    );
    assert_eq!(first["code"], "reference");
}

#[test]
fn warnings_pass_unless_strict_and_never_print_the_literal() {
    let file = "fixtures/invalid/literal-secrets.yaml";
    let out = gwctl(&["validate", file], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains(&format!("{file}:13:")), "{err}");
    assert!(err.contains(&format!("{file}:19:")), "{err}");
    assert!(err.contains("unknown plugin 'my-custom-logger'"), "{err}");
    assert!(stdout(&out).starts_with("valid: "), "{}", stdout(&out));
    let strict = gwctl(&["validate", "--strict", file], &[]);
    assert_eq!(strict.status.code(), Some(1));
    let json = gwctl(&["validate", "--strict", "--format", "json", file], &[]);
    let problems = json_problems(&json);
    assert_eq!(problems.len(), 3);
    assert!(problems.iter().all(|p| p["severity"] == "warning"));
    for output in [&out, &strict, &json] {
        for literal in ["sk-committed-by-mistake", "alice-literal-key-123"] {
            assert!(!stdout(output).contains(literal) && !stderr(output).contains(literal));
        }
    }
}

#[test]
fn a_substituted_secret_never_appears_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hosts.yaml");
    std::fs::write(
        &file,
        "_format_version: \"3.0\"\nservices:\n  - name: s\n    host: \"${UPSTREAM_HOST}\"\n",
    )
    .unwrap();
    let secret = "not a host: hunter2-secret";
    let file = file.to_str().unwrap();
    let human = gwctl(&["validate", file], &[("UPSTREAM_HOST", secret)]);
    let json = gwctl(
        &["validate", "--format", "json", file],
        &[("UPSTREAM_HOST", secret)],
    );
    let render = gwctl(&["render", file], &[("UPSTREAM_HOST", secret)]);
    for out in [&human, &json, &render] {
        assert_eq!(out.status.code(), Some(1));
        let all = stdout(out) + &stderr(out);
        assert!(!all.contains("hunter2"), "{all}");
    }
    assert!(stderr(&human).contains(&format!("{file}:4:")));
    assert_eq!(json_problems(&json)[0]["path"], "/services/0/host");
}

#[test]
fn whole_scalar_substitutions_become_numbers() {
    let text = "_format_version: \"3.0\"\nservices:\n  - name: s\n    host: h\n    port: $PORT\n    retries: \"${RETRIES:-3}\"\n";
    let out = gwctl_with_stdin(
        &["render", "--format", "json", "--show-secrets", "-"],
        &[("PORT", "8443")],
        Some(text),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["services"][0]["port"], 8443);
    assert_eq!(doc["services"][0]["retries"], 3);
}

#[test]
fn render_masks_unless_asked_and_its_output_validates() {
    let masked = gwctl(
        &["render", "fixtures/multi-provider.yaml"],
        &MULTI_PROVIDER_VARS,
    );
    assert_eq!(masked.status.code(), Some(0), "{}", stderr(&masked));
    let text = stdout(&masked);
    assert!(text.contains("[masked]"));
    for (_, secret) in MULTI_PROVIDER_VARS {
        assert!(!text.contains(secret) && !stderr(&masked).contains(secret));
    }
    let shown = gwctl(
        &["render", "--show-secrets", "fixtures/multi-provider.yaml"],
        &MULTI_PROVIDER_VARS,
    );
    let text = stdout(&shown);
    assert!(text.contains("Bearer sk-openai-test-value-1"));
    // Rendered state is a state file: it loads again to the same rendering.
    let again = gwctl_with_stdin(&["render", "--show-secrets", "-"], &[], Some(&text));
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(stdout(&again), text);
}

#[test]
fn directories_and_several_files_merge() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "a/services.YAML",
        "_format_version: \"3.0\"\nservices:\n  - name: s\n    host: h\n",
    );
    write(
        "b/routes.yml",
        "_format_version: \"3.0\"\nroutes:\n  - name: r\n    service: s\n    paths: [/r]\n",
    );
    write("b/readme.md", "not a state file");
    let out = gwctl(&["validate", dir.path().to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "valid: 2 entities\n");
    // The route alone refers to a service it cannot see.
    let alone = dir.path().join("b/routes.yml");
    let out = gwctl(&["validate", alone.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn no_arguments_reads_kong_yaml_in_the_current_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gwctl"))
        .arg("validate")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("./kong.yaml does not exist"),
        "{}",
        stderr(&out)
    );
    std::fs::write(
        dir.path().join("kong.yaml"),
        "_format_version: \"3.0\"\nconsumers:\n  - username: a\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gwctl"))
        .arg("validate")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn unknown_path_is_a_clear_error() {
    let out = gwctl(&["validate", "no/such/file.yaml"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("cannot read no/such/file.yaml: no such file or directory"));
    let _ = Path::new("unused");
}

#[test]
fn select_tag_flag_tags_every_entity() {
    let text = "_format_version: \"3.0\"\nservices:\n  - name: s\n    host: h\n    routes:\n      - name: r\n        paths: [/]\n";
    let out = gwctl_with_stdin(
        &["render", "--format", "json", "--select-tag", "team-a", "-"],
        &[],
        Some(text),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["_info"]["select_tags"], serde_json::json!(["team-a"]));
    assert_eq!(doc["services"][0]["tags"], serde_json::json!(["team-a"]));
    assert_eq!(doc["routes"][0]["tags"], serde_json::json!(["team-a"]));
    assert_eq!(doc["routes"][0]["service"], "s");
}

/// Kong's gRPC guide writes gRPC routes without `strip_path`: valid, as in Kong (where the
/// grpc subschema defaults it to false); `strip_path: true` stays an error.
#[test]
fn a_grpc_route_without_strip_path_is_valid() {
    let file = |strip: &str| {
        format!(
            "_format_version: \"3.0\"\nservices:\n  - name: g\n    protocol: grpc\n    host: grpc.test\n    port: 50051\n    routes:\n      - name: r\n        protocols: [grpc]\n        paths: [/pkg.Svc]\n{strip}"
        )
    };
    let out = gwctl_with_stdin(&["validate", "-"], &[], Some(&file("")));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rendered = gwctl_with_stdin(&["render", "-"], &[], Some(&file("")));
    assert_eq!(rendered.status.code(), Some(0), "{}", stderr(&rendered));
    assert!(
        stdout(&rendered).contains("strip_path: false"),
        "{}",
        stdout(&rendered)
    );
    let out = gwctl_with_stdin(
        &["validate", "-"],
        &[],
        Some(&file("        strip_path: true\n")),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn select_tag_flag_different_from_the_file_is_an_error() {
    let text = "_format_version: \"3.0\"\n_info:\n  select_tags: [team-b]\nservices:\n  - name: s\n    host: h\n";
    for command in ["validate", "render"] {
        let out = gwctl_with_stdin(&[command, "--select-tag", "team-a", "-"], &[], Some(text));
        assert_eq!(out.status.code(), Some(1), "{command}: {}", stdout(&out));
        let err = stderr(&out);
        assert!(
            err.contains(
                "-:3:16: --select-tag [team-a] differs from this file's _info.select_tags [team-b]"
            ),
            "{command}: {err}"
        );
        let same = gwctl_with_stdin(&[command, "--select-tag", "team-b", "-"], &[], Some(text));
        assert_eq!(same.status.code(), Some(0), "{command}: {}", stderr(&same));
    }
}

/// Usage errors exit 1, never 2: 2 is `diff --exit-code`'s "there are changes".
#[test]
fn usage_errors_exit_1_and_help_and_version_exit_0() {
    for args in [
        &["diff", "--exit-code", "--format", "yaml", "x.yaml"][..],
        &["validate", "--no-such-flag"],
        &["no-such-command"],
        &[],
    ] {
        let out = gwctl(args, &[]);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).is_empty(), "{args:?}");
    }
    for args in [&["--help"][..], &["diff", "--help"], &["--version"]] {
        let out = gwctl(args, &[]);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(!stdout(&out).is_empty(), "{args:?}");
    }
}

/// render's masked output must not validate: syncing it would send `[masked]` as the key.
#[test]
fn a_masked_placeholder_in_a_secret_field_is_an_error() {
    let rendered = gwctl(
        &["render", "fixtures/multi-provider.yaml"],
        &MULTI_PROVIDER_VARS,
    );
    assert_eq!(rendered.status.code(), Some(0), "{}", stderr(&rendered));
    let text = stdout(&rendered);
    assert!(text.contains("\"[masked]\""), "{text}");
    let out = gwctl_with_stdin(&["validate", "--format", "json", "-"], &[], Some(&text));
    assert_eq!(out.status.code(), Some(1));
    let masked: Vec<String> = json_problems(&out)
        .iter()
        .filter(|p| p["code"] == "masked")
        .map(|p| format!("{} {}", p["path"].as_str().unwrap(), p["message"]))
        .collect();
    // Two key-auth keys, a jwt secret and two ai-proxy header values.
    assert_eq!(masked.len(), 5, "{masked:#?}");
    for problem in &masked {
        assert!(
            problem.contains("a placeholder left by render/dump masking"),
            "{problem}"
        );
    }
    assert!(
        masked
            .iter()
            .any(|p| p.starts_with("/plugins/0/config/auth/header_value ")),
        "{masked:#?}"
    );
    let human = gwctl_with_stdin(&["validate", "-"], &[], Some(&text));
    assert!(
        stderr(&human).contains("help: use an environment variable"),
        "{}",
        stderr(&human)
    );
    // The unmasked round trip stays valid, and `[masked]` outside a secret field is a value.
    let shown = gwctl(
        &["render", "--show-secrets", "fixtures/multi-provider.yaml"],
        &MULTI_PROVIDER_VARS,
    );
    let out = gwctl_with_stdin(
        &["validate", "-"],
        &MULTI_PROVIDER_VARS,
        Some(&stdout(&shown)),
    );
    assert!(!stderr(&out).contains("masking"), "{}", stderr(&out));
    let plain =
        "_format_version: \"3.0\"\nservices:\n  - name: s\n    host: h\n    tags: [\"[masked]\"]\n";
    let out = gwctl_with_stdin(&["validate", "-"], &[], Some(plain));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// `gwctl … 2>&1 | head` closes stderr early: problems still end in gwctl's own exit code 1,
/// not a panic (101) on the first write that finds the pipe closed.
#[test]
fn a_closed_stderr_does_not_turn_problems_into_a_panic() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gwctl"))
        .args([
            "serve",
            "--db",
            ":memory:",
            "--config",
            "fixtures/invalid/unknown-fields.yaml",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
}
