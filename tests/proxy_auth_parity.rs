//! key-auth, jwt and acl details where Kong 3.x's behaviour is easy to miss: which message a
//! refusal carries, which challenge, what `hide_credentials` removes, and when acl answers
//! 401 rather than 403. Each test pins one behaviour read from Kong's plugin handlers.

mod proxy_support;

use base64::Engine;
use http::StatusCode;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use proxy_support::*;
use serde_json::{Value, json};

/// Consumers with keys and groups, a JWT secret, a service and a catch-all route.
fn base(upstream: &str) -> Entities {
    Entities::new()
        .service("s", upstream)
        .route("r", "s", json!({"paths": ["/"]}))
        .add("consumers", json!({"username": "alice"}))
        .add("consumers", json!({"username": "carol"}))
        .add("consumers", json!({"username": "guest"}))
        .add(
            "keyauth_credentials",
            json!({"key": "alice-key", "consumer": fk("alice")}),
        )
        // A key that looks like a number, for bodies that send one as a JSON number.
        .add(
            "keyauth_credentials",
            json!({"key": "123", "consumer": fk("carol")}),
        )
        .add("acls", json!({"group": "staff", "consumer": fk("alice")}))
        .add(
            "jwt_secrets",
            json!({"key": "alice-iss", "secret": "alice-secret-value", "consumer": fk("alice")}),
        )
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

fn hs256(claims: Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

async fn bearer(gw: &Gateway, token: &str) -> Reply {
    let value = format!("Bearer {token}");
    send("GET", &gw.url("/"), &[("authorization", &value)], "").await
}

#[tokio::test]
async fn key_auth_empty_key_is_reported_missing() {
    let up = echo("a").await;
    let gw = Gateway::start(&base(&up.url()).plugin("key-auth", json!({}))).await;
    // Kong stops at the first key name present and then finds the key empty: "missing",
    // not "wrong".
    for reply in [
        send("GET", &gw.url("/"), &[("apikey", "")], "").await,
        gw.get("/?apikey=").await,
    ] {
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
        assert_eq!(reply.json()["message"], "No API key found in request");
        assert_eq!(reply.header("www-authenticate"), Some("Key"));
    }
    assert_eq!(up.hits(), 0);
}

#[tokio::test]
async fn key_auth_hide_credentials_clears_every_copy_of_the_key() {
    let up = echo("a").await;
    let gw = Gateway::start(&base(&up.url()).plugin(
        "key-auth",
        json!({"hide_credentials": true, "key_in_body": true}),
    ))
    .await;
    // The header's key authenticates; the same name in the query and the body (another key,
    // perhaps someone else's) must not reach the upstream either.
    let reply = send(
        "POST",
        &gw.url("/p?a=1&apikey=other-key"),
        &[
            ("apikey", "alice-key"),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        "apikey=third-key&b=2",
    )
    .await;
    let seen = reply.echoed();
    assert_eq!(seen["headers"]["x-consumer-username"], "alice");
    assert!(seen["headers"].get("apikey").is_none(), "{seen}");
    assert_eq!(seen["uri"], "/p?a=1");
    assert_eq!(seen["body"], "b=2");

    // A key found in the query also takes a JSON body's copy with it.
    let reply = send(
        "POST",
        &gw.url("/p?apikey=alice-key"),
        &[("content-type", "application/json")],
        r#"{"apikey":"other-key","q":1}"#,
    )
    .await;
    let seen = reply.echoed();
    assert_eq!(seen["headers"]["x-consumer-username"], "alice");
    assert_eq!(seen["uri"], "/p");
    assert_eq!(seen["body"], r#"{"q":1}"#);
}

#[tokio::test]
async fn key_auth_body_only_takes_string_keys() {
    let up = echo("a").await;
    let gw =
        Gateway::start(&base(&up.url()).plugin("key-auth", json!({"key_in_body": true}))).await;
    let post = |body: &'static str| {
        let url = gw.url("/");
        async move { send("POST", &url, &[("content-type", "application/json")], body).await }
    };
    // A JSON number is not a key to Kong, even though the credential "123" exists.
    let reply = post(r#"{"apikey":123}"#).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
    assert_eq!(reply.json()["message"], "No API key found in request");
    // An object is a table to Lua, like a list: several keys.
    let reply = post(r#"{"apikey":{"k":"alice-key"}}"#).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
    assert_eq!(reply.json()["message"], "Duplicate API key found");
    let reply = post(r#"{"apikey":"123"}"#).await;
    assert_eq!(reply.echoed()["headers"]["x-consumer-username"], "carol");
    assert_eq!(up.hits(), 1);
}

/// Kong's `kong.request.get_query()` (and `get_body()` for a URL-encoded form) gives a bare
/// name (`?apikey`) as `true`: neither a key (a string) nor several (a table), so key-auth
/// goes on with the next key name, without looking further for this one. `?apikey=` is an
/// empty string, which stops the search and is reported missing.
#[tokio::test]
async fn key_auth_a_bare_key_name_is_passed_over() {
    let up = echo("a").await;
    let gw = Gateway::start(&base(&up.url()).plugin(
        "key-auth",
        json!({"key_names": ["apikey", "x-key"], "key_in_body": true}),
    ))
    .await;
    let reply = gw.get("/?apikey&x-key=alice-key").await;
    assert_eq!(reply.echoed()["headers"]["x-consumer-username"], "alice");

    let form = [("content-type", "application/x-www-form-urlencoded")];
    let reply = send("POST", &gw.url("/"), &form, "apikey&x-key=alice-key").await;
    assert_eq!(reply.echoed()["headers"]["x-consumer-username"], "alice");

    let refused = [
        // No other name has a key.
        (gw.get("/?apikey").await, "No API key found in request"),
        // An empty value is a string: the search stops there.
        (
            gw.get("/?apikey=&x-key=alice-key").await,
            "No API key found in request",
        ),
        // A bare name beside a value is a list: two keys.
        (
            gw.get("/?apikey&apikey=alice-key").await,
            "Duplicate API key found",
        ),
        // `true` in the query means the body is not searched under that name.
        (
            send("POST", &gw.url("/?apikey"), &form, "apikey=alice-key").await,
            "No API key found in request",
        ),
    ];
    for (reply, message) in refused {
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
        assert_eq!(reply.json()["message"], message);
        assert_eq!(reply.header("www-authenticate"), Some("Key"));
    }
    assert_eq!(up.hits(), 2);

    // hide_credentials removes the name the key was found under, not the bare one; the
    // form's other fields go on as sent.
    let gw = Gateway::start(&base(&up.url()).plugin(
        "key-auth",
        json!({"key_names": ["apikey", "x-key"], "hide_credentials": true, "key_in_body": true}),
    ))
    .await;
    let seen = gw.get("/p?apikey&x-key=alice-key").await.echoed();
    assert_eq!(seen["headers"]["x-consumer-username"], "alice");
    assert_eq!(seen["uri"], "/p?apikey");
    let body = "a=x%20y&apikey&x-key=alice-key&b=%7E";
    let seen = send("POST", &gw.url("/p"), &form, body).await.echoed();
    assert_eq!(seen["headers"]["x-consumer-username"], "alice");
    assert_eq!(seen["body"], "a=x%20y&apikey&b=%7E");
}

#[tokio::test]
async fn auth_headers_sent_by_the_client_are_replaced() {
    let up = echo("a").await;
    let gw =
        Gateway::start(&base(&up.url()).plugin("key-auth", json!({"anonymous": "guest"}))).await;
    let spoofed = [
        ("x-consumer-id", "spoof"),
        ("x-consumer-custom-id", "spoof"),
        ("x-consumer-username", "spoof"),
        ("x-credential-identifier", "spoof"),
        ("x-anonymous-consumer", "spoof"),
    ];
    let mut headers = spoofed.to_vec();
    headers.push(("apikey", "123"));
    let h = send("GET", &gw.url("/"), &headers, "").await.echoed()["headers"].clone();
    assert_eq!(h["x-consumer-id"], id("carol"));
    assert_eq!(h["x-consumer-username"], "carol");
    assert!(h.get("x-consumer-custom-id").is_none(), "{h}");
    assert!(h.get("x-anonymous-consumer").is_none(), "{h}");
    assert_ne!(h["x-credential-identifier"], "spoof");

    let h = send("GET", &gw.url("/"), &spoofed, "").await.echoed()["headers"].clone();
    assert_eq!(h["x-consumer-username"], "guest");
    assert_eq!(h["x-anonymous-consumer"], "true");
    assert!(h.get("x-credential-identifier").is_none(), "{h}");
}

#[tokio::test]
async fn jwt_refusals_of_a_token_carry_the_invalid_token_challenge() {
    let up = echo("a").await;
    let gw = Gateway::start(&base(&up.url()).plugin("jwt", json!({}))).await;
    let bad_signature = hs256(json!({"iss": "alice-iss"}), "wrong");

    // No token at all: the plain challenge. A token that fails: RFC 6750's error.
    let reply = gw.get("/").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    let reply = bearer(&gw, &bad_signature).await;
    assert_eq!(reply.json()["message"], "Invalid signature");
    assert_eq!(
        reply.header("www-authenticate"),
        Some(r#"Bearer error="invalid_token""#)
    );
    let expired = hs256(json!({"iss": "alice-iss", "exp": 1}), "alice-secret-value");
    let gw2 = Gateway::start(
        &base(&up.url()).plugin("jwt", json!({"claims_to_verify": ["exp"], "realm": "api"})),
    )
    .await;
    let reply = bearer(&gw2, &expired).await;
    assert_eq!(reply.json()["exp"], "token expired");
    assert_eq!(
        reply.header("www-authenticate"),
        Some(r#"Bearer realm="api", error="invalid_token""#)
    );
    assert_eq!(
        gw2.get("/").await.header("www-authenticate"),
        Some(r#"Bearer realm="api""#)
    );

    // Multiple tokens are a refused token too.
    let good = hs256(json!({"iss": "alice-iss"}), "alice-secret-value");
    let reply = send(
        "GET",
        &gw.url(&format!("/?jwt={bad_signature}")),
        &[("authorization", &format!("Bearer {good}"))],
        "",
    )
    .await;
    assert_eq!(reply.json()["message"], "Multiple tokens provided");
    assert_eq!(
        reply.header("www-authenticate"),
        Some(r#"Bearer error="invalid_token""#)
    );
    assert_eq!(up.hits(), 0);
}

/// Kong's jwt plugin ends with `kong.response.exit(401, {message = …})` (or the claim
/// errors): the body is that table alone, with no `request_id`, unlike the errors of
/// `kong.response.error` (key-auth, acl, rate-limiting, and jwt's own 500 for a missing
/// anonymous consumer), which carry it.
#[tokio::test]
async fn jwt_refusals_are_just_the_message() {
    let up = echo("a").await;
    let gw =
        Gateway::start(&base(&up.url()).plugin("jwt", json!({"claims_to_verify": ["exp"]}))).await;
    let bad_signature = hs256(json!({"iss": "alice-iss"}), "wrong");
    let unknown = hs256(json!({"iss": "nobody"}), "alice-secret-value");
    let expired = hs256(json!({"iss": "alice-iss", "exp": 1}), "alice-secret-value");
    let cases = [
        (gw.get("/").await, json!({"message": "Unauthorized"})),
        (
            bearer(&gw, &bad_signature).await,
            json!({"message": "Invalid signature"}),
        ),
        (
            bearer(&gw, &unknown).await,
            json!({"message": "No credentials found for given 'iss'"}),
        ),
        (
            bearer(&gw, "a.b.c").await,
            json!({"message": "Bad token; invalid JSON"}),
        ),
        (bearer(&gw, &expired).await, json!({"exp": "token expired"})),
    ];
    for (reply, body) in cases {
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
        assert_eq!(reply.json(), body);
        assert_eq!(
            reply.header("content-type"),
            Some("application/json; charset=utf-8")
        );
    }

    // kong.response.error's bodies keep the request id: a missing anonymous consumer...
    let gw = Gateway::start(&base(&up.url()).plugin("jwt", json!({"anonymous": "ghost"}))).await;
    let reply = gw.get("/").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        reply.json()["request_id"].as_str(),
        reply.header("x-kong-request-id")
    );
    // ...and key-auth's 401.
    let gw = Gateway::start(&base(&up.url()).plugin("key-auth", json!({}))).await;
    let reply = gw.get("/").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        reply.json()["request_id"].as_str(),
        reply.header("x-kong-request-id")
    );
    assert_eq!(up.hits(), 0);
}

/// A bare `?jwt` is `true` to Kong's `kong.request.get_query()`: a token, but not a string,
/// so "Unrecognizable token" alone and "Multiple tokens provided" beside another. `?jwt=`
/// (empty) is no token at all.
#[tokio::test]
async fn jwt_a_bare_uri_param_is_an_unrecognizable_token() {
    let up = echo("a").await;
    let gw = Gateway::start(&base(&up.url()).plugin("jwt", json!({}))).await;
    let good = format!(
        "Bearer {}",
        hs256(json!({"iss": "alice-iss"}), "alice-secret-value")
    );
    let auth = [("authorization", good.as_str())];
    for (reply, message) in [
        (gw.get("/?jwt").await, "Unrecognizable token"),
        (gw.get("/?jwt&jwt").await, "Unrecognizable token"),
        (
            send("GET", &gw.url("/?jwt"), &auth, "").await,
            "Multiple tokens provided",
        ),
    ] {
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
        assert_eq!(reply.json()["message"], message);
        assert_eq!(
            reply.header("www-authenticate"),
            Some(r#"Bearer error="invalid_token""#)
        );
    }
    assert_eq!(up.hits(), 0);
    let reply = send("GET", &gw.url("/?jwt="), &auth, "").await;
    assert_eq!(reply.echoed()["headers"]["x-consumer-username"], "alice");
}

#[tokio::test]
async fn jwt_malformed_tokens_get_the_parser_messages() {
    let up = echo("a").await;
    let gw = Gateway::start(&base(&up.url()).plugin("jwt", json!({}))).await;
    let claims = b64(r#"{"iss":"alice-iss"}"#);
    let hs_header = b64(r#"{"alg":"HS256","typ":"JWT"}"#);
    let cases = [
        // A part that is not base64url at all is "invalid JSON", as Kong words it.
        (format!("%%%.{claims}.sig"), "Bad token; invalid JSON"),
        (format!("{hs_header}.***.sig"), "Bad token; invalid JSON"),
        (format!("{hs_header}.{claims}"), "Bad token; invalid JSON"),
        // An unknown or missing alg is refused before any secret is looked up, even for a
        // key claim no secret has.
        (
            format!(
                "{}.{}.",
                b64(r#"{"alg":"none"}"#),
                b64(r#"{"iss":"nobody"}"#)
            ),
            "Bad token; invalid alg",
        ),
        (
            format!("{}.{claims}.c2ln", b64(r#"{"typ":"JWT"}"#)),
            "Bad token; invalid alg",
        ),
        // The signature is everything after the second dot, and must be base64url.
        (
            format!("{hs_header}.{claims}.c2ln.c2ln"),
            "Bad token; invalid signature",
        ),
    ];
    for (token, message) in cases {
        let reply = bearer(&gw, &token).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{token}: {}",
            reply.body
        );
        assert_eq!(reply.json()["message"], message, "{token}");
    }
    assert_eq!(up.hits(), 0);
}

#[tokio::test]
async fn acl_allow_list_asks_a_groupless_anonymous_consumer_to_authenticate() {
    let up = echo("a").await;
    let entities = base(&up.url())
        .plugin("key-auth", json!({"anonymous": "guest"}))
        .plugin("acl", json!({"allow": ["staff"]}));
    let gw = Gateway::start(&entities).await;
    // The anonymous fallback has no groups: Kong answers 401, a key would help.
    let reply = gw.get("/").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
    assert_eq!(reply.json()["message"], "Unauthorized");
    // A consumer a key identified, without groups: 403.
    let reply = send("GET", &gw.url("/"), &[("apikey", "123")], "").await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.json()["message"], "You cannot consume this service");
    let reply = send("GET", &gw.url("/"), &[("apikey", "alice-key")], "").await;
    assert_eq!(reply.echoed()["headers"]["x-consumer-groups"], "staff");

    // An anonymous consumer that has groups, none allowed: 403, as for anyone else.
    let entities = base(&up.url())
        .add(
            "acls",
            json!({"group": "visitors", "consumer": fk("guest")}),
        )
        .plugin("key-auth", json!({"anonymous": "guest"}))
        .plugin("acl", json!({"allow": ["staff"]}));
    let gw = Gateway::start(&entities).await;
    assert_eq!(gw.get("/").await.status, StatusCode::FORBIDDEN);
    // A deny list lets the groupless anonymous consumer through.
    let entities = base(&up.url())
        .plugin("key-auth", json!({"anonymous": "guest"}))
        .plugin("acl", json!({"deny": ["staff"]}));
    let gw = Gateway::start(&entities).await;
    let h = gw.get("/").await.echoed()["headers"].clone();
    assert_eq!(h["x-consumer-username"], "guest");
    assert!(h.get("x-consumer-groups").is_none(), "{h}");
}

/// A realm holding a control character (which cannot go in a header) does not take the auth
/// plugin out of the proxy, which would let every request through: the challenge carries it
/// percent-escaped, as OpenResty escapes header values.
#[tokio::test]
async fn a_realm_with_control_characters_still_refuses() {
    let up = echo("a").await;
    let gw =
        Gateway::start(&base(&up.url()).plugin("key-auth", json!({"realm": "a\nb\u{1}"}))).await;
    let reply = gw.get("/").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        reply.header("www-authenticate"),
        Some(r#"Key realm="a%0Ab%01""#)
    );
    let reply = send("GET", &gw.url("/"), &[("apikey", "alice-key")], "").await;
    assert_eq!(reply.status, StatusCode::OK);

    let gw = Gateway::start(&base(&up.url()).plugin("jwt", json!({"realm": "r\r\n\u{7f}"}))).await;
    let reply = gw.get("/").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        reply.header("www-authenticate"),
        Some(r#"Bearer realm="r%0D%0A%7F""#)
    );
    let reply = bearer(&gw, &hs256(json!({"iss": "alice-iss"}), "wrong")).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        reply.header("www-authenticate"),
        Some(r#"Bearer realm="r%0D%0A%7F", error="invalid_token""#)
    );
    assert_eq!(up.hits(), 1);
}
