//! The real `gwctl` binary against the real bundled gateway on an ephemeral port: every online
//! command, every output format, exit codes, masking, idempotence, partial failure, atomic
//! rollback and saved plans. Behaviours only a Kong has (its own schema defaults) run against
//! the fake Admin API.

// Only `serve` is used here.
#[allow(dead_code)]
mod serve_support;
mod sync_support;

use std::path::{Path, PathBuf};

use serde_json::Value;
use sync_support::cli::{Run, gwctl};
use sync_support::fake_gateway::start;
use sync_support::gateway::{Target, start_gateway};

const KEY_A: &str = "sk-first-secret-0123456789";
const KEY_B: &str = "sk-second-secret-9876543210";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn run(gw: &dyn Target, args: &[&str], env: &[(&str, &str)]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let url = gw.url();
    let mut all = vec!["--addr", url.as_str()];
    all.extend_from_slice(args);
    gwctl(&all, env, dir.path())
}

fn ai() -> String {
    fixture("kong-ai.yaml").display().to_string()
}

/// Ids, ports and timings vary run to run.
fn normalise(text: &str) -> String {
    let uuid =
        regex::Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").unwrap();
    let port = regex::Regex::new(r"127\.0\.0\.1:\d+").unwrap();
    let ms = regex::Regex::new(r"in \d+\.\d ms").unwrap();
    let text = uuid.replace_all(text, "[uuid]");
    let text = port.replace_all(&text, "127.0.0.1:[port]");
    ms.replace_all(&text, "in [n] ms").into_owned()
}

fn assert_no_secret(run: &Run, secrets: &[&str]) {
    for s in secrets {
        assert!(!run.stdout.contains(s), "secret in stdout:\n{}", run.stdout);
        assert!(!run.stderr.contains(s), "secret in stderr:\n{}", run.stderr);
    }
}

#[test]
fn diff_then_sync_then_diff_is_clean() {
    let gw = start_gateway();
    let env = [("OPENAI_API_KEY", KEY_A)];
    let diff = run(&gw, &["diff", "--exit-code", &ai()], &env);
    assert_eq!(diff.code, 2, "{}", diff.stderr);
    insta::assert_snapshot!("diff_human_create", normalise(&diff.stdout));
    assert_no_secret(&diff, &[KEY_A]);

    let sync = run(&gw, &["sync", &ai()], &env);
    assert_eq!(sync.code, 0, "{}", sync.stderr);
    assert_no_secret(&sync, &[KEY_A]);
    assert_eq!(gw.count(), 3);

    let again = run(&gw, &["diff", "--non-zero-exit-code", &ai()], &env);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert_eq!(
        again.stdout,
        "Summary:\n  Created: 0\n  Updated: 0\n  Deleted: 0\n"
    );
}

#[test]
fn json_and_markdown_outputs_are_printed_even_with_exit_code_2() {
    let gw = start_gateway();
    let env = [("OPENAI_API_KEY", KEY_A)];
    let json = run(
        &gw,
        &["diff", "--exit-code", "--format", "json", &ai()],
        &env,
    );
    assert_eq!(json.code, 2, "{}", json.stderr);
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["summary"]["creating"], 3);
    assert_eq!(doc["summary"]["total"], 3);
    assert_eq!(doc["changes"]["creating"][0]["kind"], "service");
    assert_eq!(
        doc["changes"]["creating"][2]["name"],
        "ai-proxy (route openai-chat-route)"
    );
    assert_eq!(
        doc["changes"]["creating"][2]["body"]["new"]["config"]["auth"]["header_value"],
        "[masked]"
    );
    assert_eq!(doc["errors"], Value::Array(vec![]));
    assert_no_secret(&json, &[KEY_A]);

    let deck = run(&gw, &["diff", "--json-output", &ai()], &env);
    assert_eq!(deck.code, 0);
    assert!(serde_json::from_str::<Value>(&deck.stdout).is_ok());

    let md = run(
        &gw,
        &["diff", "--exit-code", "--format", "markdown", &ai()],
        &env,
    );
    assert_eq!(md.code, 2);
    insta::assert_snapshot!("diff_markdown_create", normalise(&md.stdout));
}

#[test]
fn a_changed_secret_is_masked_old_and_new_in_every_format() {
    let gw = start_gateway();
    assert_eq!(
        run(&gw, &["sync", &ai()], &[("OPENAI_API_KEY", KEY_A)]).code,
        0
    );
    let env = [("OPENAI_API_KEY", KEY_B)];
    for format in ["human", "json", "markdown"] {
        let diff = run(&gw, &["diff", "--format", format, &ai()], &env);
        assert_eq!(diff.code, 0, "{}", diff.stderr);
        assert!(diff.stdout.contains("updating"), "{}", diff.stdout);
        assert_no_secret(&diff, &[KEY_A, KEY_B, "first-secret", "second-secret"]);
    }
    let human = run(&gw, &["diff", &ai()], &env);
    insta::assert_snapshot!("diff_human_secret_changed", normalise(&human.stdout));
    let sync = run(&gw, &["sync", &ai()], &env);
    assert_eq!(sync.code, 0);
    assert_no_secret(&sync, &[KEY_A, KEY_B]);
    let clean = run(&gw, &["diff", "--exit-code", &ai()], &env);
    assert_eq!(clean.code, 0, "{}", clean.stdout);
}

#[test]
fn dump_then_sync_is_a_no_op_and_the_file_is_private() {
    let gw = start_gateway();
    let env = [("OPENAI_API_KEY", KEY_A)];
    assert_eq!(run(&gw, &["sync", &ai()], &env).code, 0);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dumped.yaml");
    let dump = run(&gw, &["dump", "-o", out.to_str().unwrap()], &[]);
    assert_eq!(dump.code, 0, "{}", dump.stderr);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains("openai-service") && !text.contains("\nid:"),
        "{text}"
    );
    let diff = run(&gw, &["diff", "--exit-code", out.to_str().unwrap()], &[]);
    assert_eq!(diff.code, 0, "{}\n{}", diff.stdout, diff.stderr);
    // Deterministic: the same gateway dumps the same bytes.
    let again = run(&gw, &["dump"], &[]);
    assert_eq!(again.stdout, text);
    let json = run(&gw, &["dump", "--format", "json", "--with-id"], &[]);
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    assert!(doc["services"][0]["id"].is_string());
    assert_eq!(
        doc["services"][0]["routes"][0]["plugins"][0]["name"],
        "ai-proxy"
    );
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// `taken` already exists on the gateway outside the `team-a` scope, so creating it within the
/// scope fails with the gateway's 409; its route and plugin depend on it.
const TAKEN: &str =
    "_format_version: \"3.0\"\nservices:\n  - name: taken\n    host: other.example\n";
const WITH_FAILURE: &str = r#"_format_version: "3.0"
services:
  - name: good
    host: good.example
    routes:
      - name: good-route
        paths: [/good]
  - name: taken
    host: bad.example
    routes:
      - name: bad-route
        paths: [/bad]
        plugins:
          - name: cors
"#;

#[test]
fn a_failure_skips_its_dependents_and_reports_the_gateways_message() {
    let gw = start_gateway();
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        run(&gw, &["sync", &write(dir.path(), "t.yaml", TAKEN)], &[]).code,
        0
    );
    let file = write(dir.path(), "f.yaml", WITH_FAILURE);
    let sync = run(
        &gw,
        &["sync", "--no-atomic", "--select-tag", "team-a", &file],
        &[],
    );
    assert_eq!(sync.code, 1, "{}\n{}", sync.stdout, sync.stderr);
    assert!(
        sync.stderr
            .contains("failed: creating service taken: PUT /services/"),
        "{}",
        sync.stderr
    );
    assert!(
        sync.stderr
            .contains("HTTP 409: UNIQUE violation detected on '{name=\"taken\"}'"),
        "{}",
        sync.stderr
    );
    assert!(
        sync.stderr.contains("skipped: creating route bad-route: it needs creating service taken, which did not succeed"),
        "{}",
        sync.stderr
    );
    assert!(
        sync.stderr
            .contains("skipped: creating plugin cors (route bad-route)"),
        "{}",
        sync.stderr
    );
    assert!(sync.stdout.contains("  Created: 2\n"), "{}", sync.stdout);
    assert!(
        sync.stdout.contains("  Failed: 1\n  Skipped: 2\n"),
        "{}",
        sync.stdout
    );
    assert_eq!(gw.entities("services").len(), 2);
    assert_eq!(gw.entities("routes").len(), 1);
}

#[test]
fn atomic_batch_failure_leaves_the_gateway_unchanged() {
    let gw = start_gateway();
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        run(&gw, &["sync", &write(dir.path(), "t.yaml", TAKEN)], &[]).code,
        0
    );
    let file = write(dir.path(), "f.yaml", WITH_FAILURE);
    let sync = run(
        &gw,
        &["sync", "--select-tag", "team-a", "--format", "json", &file],
        &[],
    );
    assert_eq!(sync.code, 1);
    assert_eq!(gw.count(), 1, "only the pre-existing service");
    let doc: Value = serde_json::from_str(&sync.stdout).unwrap();
    assert_eq!(doc["summary"]["total"], 0);
    assert!(
        doc["errors"][0]
            .as_str()
            .unwrap()
            .contains("UNIQUE violation"),
        "{doc}"
    );
    assert!(sync.stderr.contains("rolled back"), "{}", sync.stderr);
    // A clean plan goes in as one batch request.
    let good = write(
        dir.path(),
        "g.yaml",
        "_format_version: \"3.0\"\nservices:\n  - name: s2\n    host: s2.example\n",
    );
    let apply = run(&gw, &["apply", "-v", &good], &[]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    assert_eq!(gw.count(), 2);
}

/// A key-auth key written in the files that the gateway already has (outside the select-tag
/// scope): its 409 quotes the key, in the message and in the field errors.
const COLLIDING_KEY: &str = "TOPSECRET-collide-key";
const COLLIDE: &str = r#"_format_version: "3.0"
_info: {select_tags: [collide]}
consumers:
  - username: frank
    keyauth_credentials: [{key: TOPSECRET-collide-key}, {key: abc}]
"#;

#[test]
fn keys_quoted_in_the_gateways_errors_are_masked_in_every_format_and_mode() {
    let gw = start_gateway();
    let dir = tempfile::tempdir().unwrap();
    let other = write(
        dir.path(),
        "m.yaml",
        r#"_format_version: "3.0"
consumers:
  - username: mallory
    keyauth_credentials: [{key: TOPSECRET-collide-key}, {key: abc}]
"#,
    );
    assert_eq!(run(&gw, &["sync", &other], &[]).code, 0);
    let file = write(dir.path(), "f.yaml", COLLIDE);
    for format in ["human", "json", "markdown"] {
        for mode in [&["--no-atomic"][..], &[][..]] {
            let mut args = vec!["sync", "--format", format];
            args.extend_from_slice(mode);
            args.push(&file);
            let sync = run(&gw, &args, &[]);
            assert_eq!(sync.code, 1, "{format} {mode:?}: {}", sync.stderr);
            let all = format!("{}{}", sync.stdout, sync.stderr);
            assert!(all.contains("UNIQUE violation"), "{format} {mode:?}: {all}");
            assert!(
                all.contains(r#"{key="[masked]"}"#) || all.contains(r#"{key=\"[masked]\"}"#),
                "{format} {mode:?}: {all}"
            );
            assert_no_secret(&sync, &[COLLIDING_KEY]);
            // The short key is masked where it stands as a value, and nowhere else.
            assert!(!all.contains(r#"key="abc""#), "{all}");
            assert!(!all.contains(r#"key=\"abc\""#), "{all}");
            assert!(!all.contains("key: abc"), "{all}");
            assert!(!all.contains("[masked]c"), "{all}");
        }
    }
    // A saved plan applied later relays the same errors, masked.
    let plan = dir.path().join("plan.json");
    let diff = run(&gw, &["diff", "--out", plan.to_str().unwrap(), &file], &[]);
    assert_eq!(diff.code, 0, "{}", diff.stderr);
    let saved = run(
        &gw,
        &["sync", "--no-atomic", "--plan", plan.to_str().unwrap()],
        &[],
    );
    assert_eq!(saved.code, 1, "{}", saved.stderr);
    assert!(
        saved.stderr.contains("UNIQUE violation"),
        "{}",
        saved.stderr
    );
    assert_no_secret(&saved, &[COLLIDING_KEY]);
    assert!(!saved.stderr.contains(r#"key="abc""#), "{}", saved.stderr);
}

#[test]
fn saved_plans_apply_exactly_and_are_refused_when_stale() {
    // The fake has no revisions (fingerprint check); the bundled gateway has (revision check).
    for batch in [false, true] {
        let gw: Box<dyn Target> = if batch {
            Box::new(start_gateway())
        } else {
            Box::new(start(false))
        };
        let gw = gw.as_ref();
        let dir = tempfile::tempdir().unwrap();
        let plan = dir.path().join("plan.json");
        let env = [("OPENAI_API_KEY", KEY_A)];
        let diff = run(gw, &["diff", "--out", plan.to_str().unwrap(), &ai()], &env);
        assert_eq!(diff.code, 0, "{}", diff.stderr);
        let text = std::fs::read_to_string(&plan).unwrap();
        assert!(!text.contains(KEY_A));
        assert!(text.contains("${OPENAI_API_KEY}"), "{text}");
        let sync = run(gw, &["sync", "--plan", plan.to_str().unwrap()], &env);
        assert_eq!(sync.code, 0, "{}", sync.stderr);
        assert_eq!(gw.count(), 3);
        let clean = run(gw, &["diff", "--exit-code", &ai()], &env);
        assert_eq!(clean.code, 0, "{}", clean.stdout);
        // Applying it again: the gateway moved on since the plan was made.
        let stale = run(gw, &["sync", "--plan", plan.to_str().unwrap()], &env);
        assert_eq!(stale.code, 1);
        assert!(
            stale.stderr.contains("changed since the plan was made"),
            "{}",
            stale.stderr
        );
        assert_no_secret(&stale, &[KEY_A]);
    }
}

#[test]
fn empty_state_is_refused_unless_allowed_and_apply_never_deletes() {
    let gw = start_gateway();
    let env = [("OPENAI_API_KEY", KEY_A)];
    assert_eq!(run(&gw, &["sync", &ai()], &env).code, 0);
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "empty.yaml", "_format_version: \"3.0\"\n");
    let apply = run(&gw, &["apply", &empty], &[]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    assert_eq!(gw.count(), 3);
    let refused = run(&gw, &["sync", &empty], &[]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("--allow-empty"),
        "{}",
        refused.stderr
    );
    assert_eq!(gw.count(), 3);
    let allowed = run(&gw, &["sync", "--allow-empty", &empty], &[]);
    assert_eq!(allowed.code, 0, "{}", allowed.stderr);
    assert_eq!(gw.count(), 0);
}

#[test]
fn reset_needs_yes_off_a_terminal_and_respects_select_tags() {
    let gw = start_gateway();
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "t.yaml",
        "_format_version: \"3.0\"\nservices:\n  - name: a\n    host: a.example\n    tags: [team-a]\n  - name: b\n    host: b.example\n",
    );
    assert_eq!(run(&gw, &["sync", &file], &[]).code, 0);
    let refused = run(&gw, &["reset"], &[]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("--yes"), "{}", refused.stderr);
    let scoped = run(&gw, &["reset", "--yes", "--select-tag", "team-a"], &[]);
    assert_eq!(scoped.code, 0, "{}", scoped.stderr);
    assert_eq!(gw.entities("services").len(), 1);
    assert_eq!(gw.entities("services")[0]["name"], "b");
    assert_eq!(run(&gw, &["reset", "-y"], &[]).code, 0);
    assert_eq!(gw.count(), 0);
}

#[test]
fn ping_prints_address_version_and_round_trip() {
    let gw = start_gateway();
    let ping = run(&gw, &["ping"], &[]);
    assert_eq!(ping.code, 0);
    assert_eq!(
        normalise(&ping.stdout),
        "Reached gwctl gateway 3.9.1 (community) at http://127.0.0.1:[port] in [n] ms\n"
    );
    let kong = start(false);
    assert_eq!(
        normalise(&run(&kong, &["ping"], &[]).stdout),
        "Reached Kong 3.9.1 (community) at http://127.0.0.1:[port] in [n] ms\n"
    );
    let json = run(&gw, &["ping", "--format", "json"], &[]);
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["version"], "3.9.1");
}

#[test]
fn an_unreachable_gateway_fails_with_one_line() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let dir = tempfile::tempdir().unwrap();
    let r = gwctl(&["--addr", &addr, "ping"], &[], dir.path());
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains(&format!(
        "cannot reach the Admin API at {addr}: connection refused — is the gateway running? `gwctl serve` starts one"
    )), "{}", r.stderr);
    assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
    // JSON mode still prints one document, with the error in it.
    let file = fixture("kong-ai.yaml").display().to_string();
    let r = gwctl(
        &["--addr", &addr, "diff", "--format", "json", &file],
        &[("OPENAI_API_KEY", KEY_A)],
        dir.path(),
    );
    assert_eq!(r.code, 1);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(
        doc["errors"][0]
            .as_str()
            .unwrap()
            .starts_with("cannot reach the Admin API")
    );
    assert_eq!(doc["summary"]["total"], 0);
}

#[test]
fn a_kong_targets_own_schema_defaults_do_not_show_as_changes() {
    let gw = start(false);
    gw.fake.0.lock().unwrap().schemas.insert(
        "plugins/x-custom".into(),
        serde_json::json!({"fields": [{"config": {"type": "record", "required": true,
            "fields": [{"limit": {"type": "integer"}}, {"mode": {"type": "string", "default": "fast"}}]}}]}),
    );
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "x.yaml",
        "_format_version: \"3.0\"\nplugins:\n  - name: x-custom\n    config:\n      limit: 5\n",
    );
    assert_eq!(run(&gw, &["sync", &file], &[]).code, 0);
    assert_eq!(gw.entities("plugins")[0]["config"]["mode"], "fast");
    let diff = run(&gw, &["diff", "--exit-code", &file], &[]);
    assert_eq!(diff.code, 0, "{}", diff.stdout);
    assert!(
        gw.requests()
            .iter()
            .any(|r| r.uri == "/schemas/plugins/x-custom")
    );
}

/// A real Kong's `/schemas/routes` has `strip_path` default true (its grpc subschema's false is
/// not in that document): a gRPC route without it is sent and compared with false.
#[test]
fn a_grpc_route_without_strip_path_syncs_and_diffs_clean_against_a_kong() {
    let gw = start(false);
    gw.fake.0.lock().unwrap().schemas.insert(
        "routes".into(),
        serde_json::json!({"fields": [{"strip_path": {"type": "boolean", "required": true,
            "default": true}}, {"preserve_host": {"type": "boolean", "default": false}}]}),
    );
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "g.yaml",
        "_format_version: \"3.0\"\nservices:\n  - name: g\n    protocol: grpc\n    host: grpc.test\n    port: 50051\n    routes:\n      - name: r\n        protocols: [grpc]\n        paths: [/pkg.Svc]\n",
    );
    let sync = run(&gw, &["sync", &file], &[]);
    assert_eq!(sync.code, 0, "{}\n{}", sync.stdout, sync.stderr);
    assert_eq!(gw.entities("routes")[0]["strip_path"], false);
    let diff = run(&gw, &["diff", "--exit-code", &file], &[]);
    assert_eq!(diff.code, 0, "{}", diff.stdout);
    assert!(gw.requests().iter().any(|r| r.uri == "/schemas/routes"));
}

/// decK's diff fails at once on a plugin the target lacks (its `/schemas/plugins/{name}` is a
/// 404); gwctl reads the plugins the target has from `GET /` and refuses before any write.
#[test]
fn plugins_the_target_does_not_have_fail_diff_and_sync_before_any_write() {
    const UNKNOWN: &str = "_format_version: \"3.0\"\n_info: {select_tags: [unk]}\nservices:\n  - name: s\n    host: s.example\nplugins:\n  - name: prometheus\n  - name: cors\n";
    let gw = start_gateway();
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "p.yaml", UNKNOWN);
    let expected = "plugin 'prometheus' is not available on the gateway at ";
    let has = "which has: acl, ai-proxy, cors, jwt, key-auth, rate-limiting";
    for args in [
        &["diff"][..],
        &["diff", "--exit-code"][..],
        &["sync"][..],
        &["sync", "--no-atomic"][..],
        &["apply"][..],
    ] {
        let mut all = args.to_vec();
        all.push(&file);
        let r = run(&gw, &all, &[]);
        assert_eq!(r.code, 1, "{args:?}: {}\n{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(expected), "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(has), "{args:?}: {}", r.stderr);
        assert!(!r.stdout.contains("creating"), "{args:?}: {}", r.stdout);
    }
    let json = run(&gw, &["sync", "--format", "json", &file], &[]);
    assert_eq!(json.code, 1);
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    assert!(
        doc["errors"][0].as_str().unwrap().contains(expected),
        "{doc}"
    );
    assert_eq!(gw.count(), 0, "nothing was written");

    // A plan saved against a gateway that does not say which plugins it has (the fake, like
    // this one empty) is refused by one that does, before any write.
    let fake = start(false);
    let plan = dir.path().join("plan.json");
    let diff = run(
        &fake,
        &["diff", "--out", plan.to_str().unwrap(), &file],
        &[],
    );
    assert_eq!(diff.code, 0, "{}", diff.stderr);
    assert!(
        diff.stdout.contains("creating plugin prometheus"),
        "{}",
        diff.stdout
    );
    let saved = run(&gw, &["sync", "--plan", plan.to_str().unwrap()], &[]);
    assert_eq!(saved.code, 1, "{}\n{}", saved.stdout, saved.stderr);
    assert!(saved.stderr.contains(expected), "{}", saved.stderr);
    assert_eq!(gw.count(), 0, "nothing was written");
}

/// The one line a wrong `--addr` fails with, checked to stay one line.
fn one_line_error(r: &Run) -> &str {
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
    r.stderr.trim()
}

#[test]
fn an_addr_at_the_proxy_port_says_it_is_not_the_admin_api() {
    let served = serve_support::serve(&[]);
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "s.yaml",
        "_format_version: \"3.0\"\nservices:\n  - name: s\n    host: s.example\n",
    );
    for command in [&["ping"][..], &["diff", &file][..], &["dump"][..]] {
        let mut args = vec!["--addr", served.proxy.as_str()];
        args.extend_from_slice(command);
        let r = gwctl(&args, &[], dir.path());
        assert_eq!(
            one_line_error(&r),
            format!(
                "× {} is not a gateway's Admin API: GET / answered HTTP 404 (no Route matched with \
                 those values). This looks like a gateway's proxy port. Kong's Admin API is \
                 usually on port 8001; `gwctl serve` prints its Admin API address when it starts",
                served.proxy
            ),
            "{command:?}"
        );
    }
    let ping = gwctl(&["--addr", &served.admin, "ping"], &[], dir.path());
    assert_eq!(ping.code, 0, "{}", ping.stderr);
}

/// Kong's nginx answers a plain-HTTP request on its TLS port (8444) with this 400, then closes.
fn fake_nginx_tls_port() -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let mut head = Vec::new();
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let body = "<html>\r\n<head><title>400 The plain HTTP request was sent to HTTPS port</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>The plain HTTP request was sent to HTTPS port</center>\r\n</body>\r\n</html>\r\n";
            let _ = write!(
                stream,
                "HTTP/1.1 400 Bad Request\r\nServer: kong/3.9.1\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("127.0.0.1:{}", addr.port())
}

#[test]
fn an_addr_with_the_wrong_scheme_says_which_one_to_use() {
    let dir = tempfile::tempdir().unwrap();
    let ping = |addr: &str| gwctl(&["--addr", addr, "ping"], &[], dir.path());

    // https:// to a plain-HTTP Admin API.
    let gw = start_gateway();
    let plain = gw.addr.to_string();
    assert_eq!(
        one_line_error(&ping(&format!("https://{plain}"))),
        format!(
            "× cannot reach the Admin API at https://{plain}: the server there does not speak \
             TLS (it answered the TLS handshake in plain text); use --addr http://{plain}"
        )
    );

    // http:// to Kong's TLS Admin API port.
    let nginx = fake_nginx_tls_port();
    assert_eq!(
        one_line_error(&ping(&format!("http://{nginx}"))),
        format!(
            "× cannot reach the Admin API at http://{nginx}: the server there expects TLS (it \
             answered HTTP 400: The plain HTTP request was sent to HTTPS port); use --addr \
             https://{nginx}"
        )
    );

    // http:// to a TLS port that answers a plain request with a TLS alert (gwctl's own), and
    // https:// to it with a certificate nobody signed.
    let served = serve_support::serve(&[
        std::ffi::OsStr::new("--proxy-listen"),
        std::ffi::OsStr::new("127.0.0.1:0 ssl"),
    ]);
    let tls = served.tls_proxy.clone().expect("a TLS proxy listener");
    let hostport = tls.trim_start_matches("https://");
    assert_eq!(
        one_line_error(&ping(&format!("http://{hostport}"))),
        format!(
            "× cannot reach the Admin API at http://{hostport}: the server there did not answer \
             in HTTP; if it expects TLS, use --addr https://{hostport}"
        )
    );
    let untrusted = ping(&tls);
    let line = one_line_error(&untrusted);
    assert!(
        line.starts_with(&format!(
            "× cannot reach the Admin API at {tls}: its TLS certificate is not trusted ("
        )) && line
            .ends_with("); pass --ca-cert FILE with the CA that signed it, or --tls-skip-verify"),
        "{line}"
    );
    assert!(!line.contains("is the gateway running"), "{line}");
}

/// Two schema errors; and a file whose only problem is a literal key (a warning).
const INVALID: &str =
    "_format_version: \"3.0\"\nservices:\n  - name: s\n    host: 1\n    bogus: 2\n";
const LITERAL_KEY: &str = "_format_version: \"3.0\"\nconsumers:\n  - username: u\n    keyauth_credentials: [{key: literal-key-0123456789}]\n";

#[test]
fn state_file_problems_show_exactly_as_validate_shows_them() {
    let gw = start_gateway();
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "bad.yaml", INVALID);
    let validate = run(&gw, &["validate", &file], &[]);
    assert_eq!(validate.code, 1);
    assert!(
        validate.stderr.ends_with("invalid: 2 errors\n"),
        "{}",
        validate.stderr
    );
    for command in [
        &["diff"][..],
        &["diff", "--exit-code"][..],
        &["sync"][..],
        &["apply"][..],
        &["render"][..],
        &["diff", "--format", "markdown"][..],
    ] {
        let mut args = command.to_vec();
        args.push(&file);
        let r = run(&gw, &args, &[]);
        assert_eq!(r.code, 1, "{command:?}");
        assert_eq!(r.stderr, validate.stderr, "{command:?}");
        assert_eq!(r.stdout, "", "{command:?}");
    }
    // JSON: one document, the problems as its errors, one line each.
    let json = run(&gw, &["sync", "--format", "json", &file], &[]);
    assert_eq!(json.code, 1);
    assert_eq!(json.stderr, validate.stderr);
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        doc["errors"],
        serde_json::json!([
            format!("{file}:4:11: host: expected a string"),
            format!("{file}:5:5: unknown field 'bogus'"),
        ])
    );
    // Warnings too, when the files load.
    let warned = write(dir.path(), "key.yaml", LITERAL_KEY);
    let validate = run(&gw, &["validate", &warned], &[]);
    assert_eq!(validate.code, 0);
    assert!(
        validate.stderr.contains("literal secret in key"),
        "{}",
        validate.stderr
    );
    let diff = run(&gw, &["diff", &warned], &[]);
    assert_eq!(diff.code, 0, "{}", diff.stderr);
    assert_eq!(diff.stderr, validate.stderr);
    assert_eq!(gw.count(), 0, "nothing was written");
}

const TAGGED_SECRETS: &str = r#"_format_version: "3.0"
_info: {select_tags: [team]}
services:
  - name: openai-service
    url: https://api.openai.com
    tags: [rotated-alice-key-0123456789]
    routes:
      - name: chat
        paths: [/ai/chat]
        plugins:
          - name: ai-proxy
            config:
              route_type: llm/v1/chat
              auth: {header_name: Authorization, header_value: "Bearer $OPENAI_API_KEY"}
              model: {provider: openai, name: gpt-4o}
consumers:
  - username: alice
    keyauth_credentials: [{key: $ALICE_KEY}, {key: $SHORT_KEY}]
    basicauth_credentials: [{username: alice-basic, password: $ALICE_PASSWORD}]
    jwt_secrets: [{key: alice-iss, secret: $ALICE_JWT}]
"#;
const SECRETS: [(&str, &str); 5] = [
    ("OPENAI_API_KEY", KEY_A),
    ("ALICE_KEY", "alice-key-0123456789"),
    ("SHORT_KEY", "kxq"),
    ("ALICE_PASSWORD", "hunter2-password"),
    ("ALICE_JWT", "alice-jwt-secret-0123"),
];

#[test]
fn dump_with_select_tags_writes_info_right_after_the_format_version() {
    let gw = start_gateway();
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "t.yaml", TAGGED_SECRETS);
    assert_eq!(run(&gw, &["sync", &file], &SECRETS).code, 0);
    let dump = run(&gw, &["dump", "--select-tag", "team"], &[]);
    assert_eq!(dump.code, 0, "{}", dump.stderr);
    assert!(
        dump.stdout.starts_with(
            "_format_version: \"3.0\"\n_info:\n  select_tags:\n  - team\nconsumers:\n"
        ),
        "{}",
        dump.stdout
    );
    let json = run(
        &gw,
        &["dump", "--select-tag", "team", "--format", "json"],
        &[],
    );
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["_format_version", "_info", "consumers", "services"]);
}

#[test]
fn dump_sanitize_masks_every_secret_and_keeps_the_rest() {
    let gw = start_gateway();
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "t.yaml", TAGGED_SECRETS);
    assert_eq!(run(&gw, &["sync", &file], &SECRETS).code, 0);
    let values: Vec<&str> = SECRETS.iter().map(|(_, v)| *v).collect();

    // Without --sanitize, every secret is there: the dump syncs back.
    let plain = run(&gw, &["dump"], &[]);
    for v in &values {
        assert!(plain.stdout.contains(v), "{v} missing:\n{}", plain.stdout);
    }

    let out = dir.path().join("shared.yaml");
    let sanitized = run(
        &gw,
        &["dump", "--sanitize", "-o", out.to_str().unwrap()],
        &[],
    );
    assert_eq!(sanitized.code, 0, "{}", sanitized.stderr);
    let text = std::fs::read_to_string(&out).unwrap();
    for v in &values {
        assert!(!text.contains(v), "{v} in the sanitized dump:\n{text}");
    }
    let doc: Value = serde_saphyr::from_str(&text).unwrap();
    let alice = &doc["consumers"][0];
    assert_eq!(alice["username"], "alice");
    for cred in alice["keyauth_credentials"].as_array().unwrap() {
        assert_eq!(cred["key"], "[masked]");
        // The key was their identity: the id keeps the two apart.
        assert!(cred["id"].is_string(), "{cred}");
    }
    assert_eq!(alice["basicauth_credentials"][0]["username"], "alice-basic");
    assert_eq!(alice["basicauth_credentials"][0]["password"], "[masked]");
    assert!(alice["basicauth_credentials"][0].get("id").is_none());
    assert_eq!(alice["jwt_secrets"][0]["key"], "alice-iss");
    assert_eq!(alice["jwt_secrets"][0]["secret"], "[masked]");
    let plugin = &doc["services"][0]["routes"][0]["plugins"][0];
    assert_eq!(plugin["config"]["auth"]["header_name"], "Authorization");
    assert_eq!(plugin["config"]["auth"]["header_value"], "[masked]");
    assert_eq!(plugin["config"]["model"]["name"], "gpt-4o");
    // A secret inside other text is masked there too.
    assert_eq!(
        doc["services"][0]["tags"],
        serde_json::json!(["rotated-[masked]", "team"])
    );
    // JSON too; and a sanitized dump is refused rather than synced back.
    let json = run(&gw, &["dump", "--sanitize", "--format", "json"], &[]);
    for v in &values {
        assert!(!json.stdout.contains(v), "{v}:\n{}", json.stdout);
    }
    let validate = run(&gw, &["validate", out.to_str().unwrap()], &[]);
    assert_eq!(validate.code, 1, "{}", validate.stderr);
}
