//! key-auth, jwt and acl end to end: who gets in, what the upstream learns about the consumer,
//! and Kong's precedence for plugins scoped to a consumer.

mod proxy_support;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::StatusCode;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use proxy_support::*;
use serde_json::{Value, json};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Two consumers with keys, groups and JWT secrets, a service and a route.
fn base(upstream: &str) -> Entities {
    Entities::new()
        .service("s", upstream)
        .route("r", "s", json!({"paths": ["/"]}))
        .add(
            "consumers",
            json!({"username": "alice", "custom_id": "cust-1"}),
        )
        .add("consumers", json!({"username": "bob"}))
        .add("consumers", json!({"username": "guest"}))
        .add(
            "keyauth_credentials",
            json!({"key": "alice-key", "consumer": fk("alice")}),
        )
        .add(
            "keyauth_credentials",
            json!({"key": "bob-key", "consumer": fk("bob")}),
        )
        .add("acls", json!({"group": "admins", "consumer": fk("alice")}))
        .add("acls", json!({"group": "staff", "consumer": fk("alice")}))
        .add("acls", json!({"group": "staff", "consumer": fk("bob")}))
        .add(
            "jwt_secrets",
            json!({"key": "alice-iss", "secret": "alice-secret-value", "consumer": fk("alice")}),
        )
        .add(
            "jwt_secrets",
            json!({"key": "bob-rsa", "algorithm": "RS256", "rsa_public_key": RSA_PUBLIC, "consumer": fk("bob")}),
        )
}

#[tokio::test]
async fn key_auth_identifies_the_consumer_or_refuses() {
    let up = echo("a").await;
    let mut gw = Gateway::start(&base(&up.url()).plugin("key-auth", json!({}))).await;

    let reply = send("GET", &gw.url("/"), &[("apikey", "alice-key")], "").await;
    let h = reply.echoed()["headers"].clone();
    assert_eq!(h["x-consumer-username"], "alice");
    assert_eq!(h["x-consumer-custom-id"], "cust-1");
    assert_eq!(h["x-consumer-id"], id("alice"));
    assert!(h["x-credential-identifier"].as_str().is_some());
    assert!(h.get("x-anonymous-consumer").is_none());
    // Not hidden by default.
    assert_eq!(h["apikey"], "alice-key");
    let log = gw.next_log().await;
    assert_eq!(log["consumer"]["name"], "alice");
    assert!(
        !log.to_string().contains("alice-key"),
        "no key in the log: {log}"
    );

    // In the query string too.
    let reply = gw.get("/x?apikey=bob-key").await;
    assert_eq!(reply.echoed()["headers"]["x-consumer-username"], "bob");
    gw.next_log().await;

    let reply = gw.get("/").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json()["message"], "No API key found in request");
    assert_eq!(reply.header("www-authenticate"), Some("Key"));

    let reply = send("GET", &gw.url("/"), &[("apikey", "nope")], "").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json()["message"], "Unauthorized");

    let reply = send(
        "GET",
        &gw.url("/"),
        &[("apikey", "alice-key"), ("apikey", "bob-key")],
        "",
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json()["message"], "Duplicate API key found");
    assert_eq!(up.hits(), 2);
}

#[tokio::test]
async fn key_auth_hides_credentials_and_falls_back_to_anonymous() {
    let up = echo("a").await;
    let gw = Gateway::start(&base(&up.url()).plugin(
        "key-auth",
        json!({"hide_credentials": true, "anonymous": "guest", "key_names": ["apikey", "x-key"]}),
    ))
    .await;
    let reply = send("GET", &gw.url("/p?a=1&x-key=alice-key&b=2"), &[], "").await;
    let seen = reply.echoed();
    assert_eq!(seen["uri"], "/p?a=1&b=2");
    assert_eq!(seen["headers"]["x-consumer-username"], "alice");

    let reply = send("GET", &gw.url("/"), &[("apikey", "bob-key")], "").await;
    let seen = reply.echoed();
    assert!(seen["headers"].get("apikey").is_none());

    for headers in [vec![], vec![("apikey", "wrong")]] {
        let reply = send("GET", &gw.url("/"), &headers, "").await;
        let h = reply.echoed()["headers"].clone();
        assert_eq!(h["x-consumer-username"], "guest");
        assert_eq!(h["x-anonymous-consumer"], "true");
        assert!(h.get("x-credential-identifier").is_none());
    }
}

#[tokio::test]
async fn key_in_body_is_found_and_hidden() {
    let up = echo("a").await;
    let gw = Gateway::start(&base(&up.url()).plugin(
        "key-auth",
        json!({"key_in_body": true, "hide_credentials": true}),
    ))
    .await;
    let reply = send(
        "POST",
        &gw.url("/"),
        &[("content-type", "application/json")],
        r#"{"apikey":"alice-key","q":1}"#,
    )
    .await;
    let seen = reply.echoed();
    assert_eq!(seen["headers"]["x-consumer-username"], "alice");
    assert_eq!(seen["body"], r#"{"q":1}"#);
    let reply = send(
        "POST",
        &gw.url("/"),
        &[("content-type", "application/x-www-form-urlencoded")],
        "a=1&apikey=bob-key",
    )
    .await;
    let seen = reply.echoed();
    assert_eq!(seen["headers"]["x-consumer-username"], "bob");
    assert_eq!(seen["body"], "a=1");
}

/// A `multipart/form-data` body of (field name, optional file name, content) parts, and its
/// `Content-Type` (a mixed-case boundary: boundaries are case-sensitive).
fn multipart(parts: &[(&str, Option<&str>, &str)]) -> (String, String) {
    const BOUNDARY: &str = "XyZ-Boundary-42";
    let mut body = String::new();
    for (name, file, content) in parts {
        body.push_str(&format!("--{BOUNDARY}\r\n"));
        match file {
            Some(file) => body.push_str(&format!(
                "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\n\
                 Content-Type: text/plain\r\n\r\n"
            )),
            None => body.push_str(&format!(
                "Content-Disposition: form-data; name=\"{name}\"\r\n\r\n"
            )),
        }
        body.push_str(content);
        body.push_str("\r\n");
    }
    body.push_str(&format!("--{BOUNDARY}--\r\n"));
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

#[tokio::test]
async fn key_in_a_multipart_body_is_checked() {
    let up = echo("a").await;
    let gw =
        Gateway::start(&base(&up.url()).plugin("key-auth", json!({"key_in_body": true}))).await;
    let post = |parts: &[(&str, Option<&str>, &str)]| {
        let (content_type, body) = multipart(parts);
        let url = gw.url("/");
        async move { send("POST", &url, &[("content-type", &content_type)], &body).await }
    };

    let (_, sent) = multipart(&[("note", None, "hi"), ("apikey", None, "alice-key")]);
    let reply = post(&[("note", None, "hi"), ("apikey", None, "alice-key")]).await;
    let seen = reply.echoed();
    assert_eq!(seen["headers"]["x-consumer-username"], "alice");
    // Without hide_credentials the body goes upstream as sent.
    assert_eq!(seen["body"], sent);

    let reply = post(&[("apikey", None, "not-a-key")]).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
    assert_eq!(reply.json()["message"], "Unauthorized");
    assert_eq!(reply.header("www-authenticate"), Some("Key"));
    assert!(!reply.body.contains("not-a-key"), "{}", reply.body);

    let reply = post(&[("apikey", None, "alice-key"), ("apikey", None, "bob-key")]).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json()["message"], "Duplicate API key found");

    let reply = post(&[("note", None, "no key here")]).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json()["message"], "No API key found in request");
}

#[tokio::test]
async fn key_in_a_multipart_body_is_hidden_from_the_upstream() {
    let up = echo("a").await;
    let gw = Gateway::start(&base(&up.url()).plugin(
        "key-auth",
        json!({"key_in_body": true, "hide_credentials": true}),
    ))
    .await;
    let (content_type, body) = multipart(&[
        ("note", None, "hi"),
        ("apikey", None, "bob-key"),
        ("upload", Some("a.txt"), "file content"),
    ]);
    let reply = send(
        "POST",
        &gw.url("/"),
        &[("content-type", &content_type)],
        &body,
    )
    .await;
    let seen = reply.echoed();
    assert_eq!(seen["headers"]["x-consumer-username"], "bob");
    // The key's part is gone; the others arrive whole (file name and type included) under
    // the same boundary, so the client's Content-Type still describes the body.
    assert_eq!(
        seen["body"],
        "--XyZ-Boundary-42\r\n\
         content-disposition: form-data; name=\"note\"\r\n\r\nhi\r\n\
         --XyZ-Boundary-42\r\n\
         content-disposition: form-data; name=\"upload\"; filename=\"a.txt\"\r\n\
         content-type: text/plain\r\n\r\nfile content\r\n\
         --XyZ-Boundary-42--\r\n"
    );
    assert_eq!(seen["headers"]["content-type"], content_type);
    assert_eq!(
        seen["headers"]["content-length"],
        seen["body"].as_str().unwrap().len().to_string()
    );
}

fn hs256(claims: Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn rs256(claims: Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::RS256),
        &claims,
        &EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn jwt_verifies_hs256_and_rs256_tokens() {
    let up = echo("a").await;
    let gw =
        Gateway::start(&base(&up.url()).plugin("jwt", json!({"claims_to_verify": ["exp", "nbf"]})))
            .await;
    let bearer = |t: &str| format!("Bearer {t}");
    let good = hs256(
        json!({"iss": "alice-iss", "exp": now() + 60, "nbf": now() - 5}),
        "alice-secret-value",
    );
    let reply = send(
        "GET",
        &gw.url("/"),
        &[("authorization", &bearer(&good))],
        "",
    )
    .await;
    let h = reply.echoed()["headers"].clone();
    assert_eq!(h["x-consumer-username"], "alice");
    assert_eq!(h["x-credential-identifier"], "alice-iss");

    let rsa = rs256(json!({"iss": "bob-rsa", "exp": now() + 60, "nbf": now()}));
    let reply = gw.get(&format!("/?jwt={rsa}")).await;
    assert_eq!(reply.echoed()["headers"]["x-consumer-username"], "bob");

    let refused = |token: String, want: Value| {
        let url = gw.url("/");
        async move {
            let reply = send(
                "GET",
                &url,
                &[("authorization", &format!("Bearer {token}"))],
                "",
            )
            .await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
            let body = reply.json();
            for (k, v) in want.as_object().unwrap() {
                assert_eq!(&body[k], v, "{body}");
            }
            assert_eq!(
                reply.header("www-authenticate"),
                Some(r#"Bearer error="invalid_token""#)
            );
        }
    };
    refused(
        hs256(
            json!({"iss": "alice-iss", "exp": now() + 60, "nbf": 0}),
            "wrong",
        ),
        json!({"message": "Invalid signature"}),
    )
    .await;
    refused(
        hs256(
            json!({"iss": "alice-iss", "exp": now() - 10, "nbf": 0}),
            "alice-secret-value",
        ),
        json!({"exp": "token expired"}),
    )
    .await;
    refused(
        hs256(
            json!({"iss": "alice-iss", "exp": now() + 60, "nbf": now() + 600}),
            "alice-secret-value",
        ),
        json!({"nbf": "token not valid yet"}),
    )
    .await;
    refused(
        hs256(json!({"iss": "nobody", "exp": now() + 60, "nbf": 0}), "x"),
        json!({"message": "No credentials found for given 'iss'"}),
    )
    .await;
    refused(
        hs256(json!({"sub": "x"}), "x"),
        json!({"message": "No mandatory 'iss' in claims"}),
    )
    .await;
    // An HS256 token for the RS256 secret: the algorithm must match the secret's.
    refused(
        hs256(
            json!({"iss": "bob-rsa", "exp": now() + 60, "nbf": 0}),
            RSA_PUBLIC,
        ),
        json!({"message": "Invalid algorithm"}),
    )
    .await;
    refused("not.a.jwt".into(), json!({})).await;
    let reply = gw.get("/").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json()["message"], "Unauthorized");
}

/// A key to sign tokens with and the `jwt_secrets` fields that verify them.
fn jwt_signer(algorithm: Algorithm) -> (EncodingKey, Value) {
    use Algorithm::*;
    let generated = |kind: &'static rcgen::SignatureAlgorithm| {
        let pair = rcgen::KeyPair::generate_for(kind).unwrap();
        (pair.serialize_pem(), pair.public_key_pem())
    };
    match algorithm {
        HS256 | HS384 | HS512 => {
            let secret = format!("secret-for-{algorithm:?}");
            (
                EncodingKey::from_secret(secret.as_bytes()),
                json!({ "secret": secret }),
            )
        }
        RS256 | RS384 | RS512 | PS256 | PS384 | PS512 => (
            EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).unwrap(),
            json!({ "rsa_public_key": RSA_PUBLIC }),
        ),
        ES256 | ES384 => {
            let curve = if algorithm == ES256 {
                &rcgen::PKCS_ECDSA_P256_SHA256
            } else {
                &rcgen::PKCS_ECDSA_P384_SHA384
            };
            let (private, public) = generated(curve);
            (
                EncodingKey::from_ec_pem(private.as_bytes()).unwrap(),
                json!({ "rsa_public_key": public }),
            )
        }
        EdDSA => {
            let (private, public) = generated(&rcgen::PKCS_ED25519);
            (
                EncodingKey::from_ed_pem(private.as_bytes()).unwrap(),
                json!({ "rsa_public_key": public }),
            )
        }
    }
}

/// Every algorithm of Kong's list that the gateway verifies, beyond the HS256 and RS256 above,
/// with a token signed here: accepted when genuine, "Invalid signature" once its claims
/// are changed.
#[tokio::test]
async fn jwt_verifies_every_supported_algorithm() {
    use Algorithm::*;
    let up = echo("a").await;
    let algorithms = [
        HS384, HS512, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA,
    ];
    let mut entities = base(&up.url()).plugin("jwt", json!({}));
    let mut keys = Vec::new();
    for algorithm in algorithms {
        let (key, fields) = jwt_signer(algorithm);
        let mut secret = json!({"key": format!("alice-{algorithm:?}"),
                                "algorithm": format!("{algorithm:?}"),
                                "consumer": fk("alice")});
        secret
            .as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        entities = entities.add("jwt_secrets", secret);
        keys.push((algorithm, key));
    }
    let gw = Gateway::start(&entities).await;
    for (algorithm, key) in &keys {
        let claims = json!({"iss": format!("alice-{algorithm:?}"), "exp": now() + 60});
        let token = jsonwebtoken::encode(&Header::new(*algorithm), &claims, key).unwrap();
        let reply = send(
            "GET",
            &gw.url("/"),
            &[("authorization", &format!("Bearer {token}"))],
            "",
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{algorithm:?}: {}",
            reply.body
        );
        assert_eq!(
            reply.echoed()["headers"]["x-consumer-username"],
            "alice",
            "{algorithm:?}"
        );

        // Same signature over other claims.
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            json!({"iss": format!("alice-{algorithm:?}"), "exp": now() + 999}).to_string(),
        );
        parts[1] = &forged;
        let reply = gw.get(&format!("/?jwt={}", parts.join("."))).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{algorithm:?}");
        assert_eq!(
            reply.json()["message"],
            "Invalid signature",
            "{algorithm:?}"
        );
    }
}

#[tokio::test]
async fn acl_allows_and_denies_by_group() {
    let up = echo("a").await;
    let entities = base(&up.url())
        .route("admin", "s", json!({"paths": ["/admin"]}))
        .route("public", "s", json!({"paths": ["/public"]}))
        .plugin("key-auth", json!({}))
        .add(
            "plugins",
            json!({"name": "acl", "route": fk("admin"), "config": {"allow": ["admins"]}}),
        )
        .add(
            "plugins",
            json!({"name": "acl", "route": fk("public"), "config": {"deny": ["admins"], "hide_groups_header": true}}),
        );
    let gw = Gateway::start(&entities).await;
    let get = |path: &str, key: &str| {
        let url = gw.url(path);
        let key = key.to_string();
        async move { send("GET", &url, &[("apikey", &key)], "").await }
    };
    let reply = get("/admin", "alice-key").await;
    assert_eq!(
        reply.echoed()["headers"]["x-consumer-groups"],
        "admins, staff"
    );
    let reply = get("/admin", "bob-key").await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.json()["message"], "You cannot consume this service");
    let reply = get("/public", "bob-key").await;
    assert!(reply.echoed()["headers"].get("x-consumer-groups").is_none());
    let reply = get("/public", "alice-key").await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn acl_without_authentication_is_401() {
    let up = echo("a").await;
    let gw = Gateway::start(&base(&up.url()).plugin("acl", json!({"allow": ["staff"]}))).await;
    let reply = gw.get("/").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(up.hits(), 0);
}

#[tokio::test]
async fn consumer_scoped_plugins_apply_once_the_consumer_is_known() {
    let up = echo("a").await;
    // A global limit of 100/minute, but alice gets 1/minute: the consumer-scoped instance wins
    // once key-auth (which runs first) has identified her.
    let entities = base(&up.url())
        .plugin("key-auth", json!({}))
        .plugin("rate-limiting", json!({"minute": 100}))
        .add(
            "plugins",
            json!({"name": "rate-limiting", "consumer": fk("alice"), "config": {"minute": 1}}),
        );
    let gw = Gateway::start(&entities).await;
    let url = gw.url("/");
    let first = send("GET", &url, &[("apikey", "alice-key")], "").await;
    assert_eq!(first.header("x-ratelimit-limit-minute"), Some("1"));
    let second = send("GET", &url, &[("apikey", "alice-key")], "").await;
    assert_eq!(second.status, StatusCode::TOO_MANY_REQUESTS);
    let bob = send("GET", &gw.url("/"), &[("apikey", "bob-key")], "").await;
    assert_eq!(bob.status, StatusCode::OK);
    assert_eq!(bob.header("x-ratelimit-limit-minute"), Some("100"));
}

/// An ES512 secret is valid configuration (Kong verifies it, and the same files may be synced
/// to one), but `jsonwebtoken` cannot verify ES512: the gateway says so when it loads the
/// configuration, and refuses the tokens rather than failing open.
#[tokio::test]
async fn an_es512_secret_is_reported_when_loaded_and_its_tokens_are_refused() {
    use gwctl::gateway::proxy::config::{Persistent, ProxyConfig};
    let up = echo("a").await;
    let entities = base(&up.url())
        .add(
            "jwt_secrets",
            json!({"key": "guest-es512", "algorithm": "ES512", "rsa_public_key": RSA_PUBLIC,
                   "consumer": fk("guest")}),
        )
        .plugin("jwt", json!({}));
    let problems = ProxyConfig::build(&entities.snapshot(1), &Persistent::default()).problems;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("jwt_secret ") && problems[0].contains("cannot verify ES512"),
        "{problems:?}"
    );

    let gw = Gateway::start(&entities).await;
    let header = r#"{"alg":"ES512","typ":"JWT"}"#;
    let claims = r#"{"iss":"guest-es512"}"#;
    let b64 = |s: &str| URL_SAFE_NO_PAD.encode(s);
    let token = format!("{}.{}.{}", b64(header), b64(claims), b64("not a signature"));
    let reply = send(
        "GET",
        &gw.url("/"),
        &[("authorization", &format!("Bearer {token}"))],
        "",
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(up.hits(), 0);
}

/// A plugin whose configuration cannot be made into a runtime refuses the requests it applies
/// to rather than being left out, which would let them all through. The schema refuses such
/// configurations, but a configuration that got past it (the proxy is built from the store's
/// snapshot, as here) must still fail closed.
#[tokio::test]
async fn a_plugin_that_cannot_be_built_refuses_its_requests() {
    use gwctl::gateway::proxy::config::{Persistent, ProxyConfig};
    let up = echo("a").await;
    for (plugin, valid, broken) in [
        ("key-auth", json!({}), json!({"key_names": "apikey"})),
        (
            "acl",
            json!({"allow": ["a"]}),
            json!({"allow": ["a"], "deny": ["b"]}),
        ),
        (
            "rate-limiting",
            json!({"minute": 1}),
            json!({"limit_by": "ip"}),
        ),
    ] {
        let entities =
            one_route_with_plugin(&up.url(), plugin, valid).with_unchecked_plugin_config(broken);
        let problems = ProxyConfig::build(&entities.snapshot(1), &Persistent::default()).problems;
        assert!(
            problems.iter().any(|p| p.contains("refused with 500")),
            "{plugin}: {problems:?}"
        );
        let gw = Gateway::start(&entities).await;
        let reply = gw.get("/").await;
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR, "{plugin}");
        assert_eq!(
            reply.body.lines().next(),
            Some("An unexpected error occurred"),
            "{plugin}"
        );
    }
    assert_eq!(up.hits(), 0);
}
