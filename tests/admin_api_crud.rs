//! CRUD through the Admin API as Kong does it: create, read by id and endpoint key, PUT
//! upsert, PATCH deep merge, DELETE, nested endpoints, and what decK calls.

mod admin_api_support;

use admin_api_support::Api;
use serde_json::{Value, json};

#[tokio::test]
async fn services_are_created_read_updated_and_deleted() {
    let api = Api::start().await;
    let created = api
        .post(
            "/services",
            json!({"name": "svc", "url": "https://api.openai.com/v1"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(created.body["protocol"], "https");
    assert_eq!(created.body["port"], 443);
    assert_eq!(created.body["path"], "/v1");
    assert_eq!(created.body["retries"], 5);
    assert_eq!(
        created.body["tags"],
        Value::Null,
        "unset fields are rendered as null"
    );
    assert_eq!(created.body["client_certificate"], Value::Null);
    assert!(created.body["created_at"].as_i64().unwrap() > 1_600_000_000);

    let by_name = api.get("/services/svc").await;
    assert_eq!(by_name.status, 200);
    assert_eq!(by_name.body, created.body);
    let by_id = api.get(&format!("/services/{id}")).await;
    assert_eq!(by_id.body, created.body);

    let patched = api.patch("/services/svc", json!({"retries": 9})).await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["retries"], 9);
    assert_eq!(patched.body["host"], "api.openai.com");

    let replaced = api
        .put(
            &format!("/services/{id}"),
            json!({"name": "svc", "host": "example.com"}),
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.text);
    assert_eq!(
        replaced.body["retries"], 5,
        "PUT resets omitted fields to defaults"
    );
    assert_eq!(replaced.body["protocol"], "http");
    assert_eq!(replaced.body["created_at"], created.body["created_at"]);

    assert_eq!(api.delete("/services/svc").await.status, 204);
    assert_eq!(api.get(&format!("/services/{id}")).await.status, 404);
    assert_eq!(
        api.delete("/services/svc").await.status,
        204,
        "DELETE of an absent entity is 204"
    );
}

#[tokio::test]
async fn put_by_endpoint_key_creates_then_replaces() {
    let api = Api::start().await;
    let first = api
        .put("/consumers/alice", json!({"custom_id": "a-1"}))
        .await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.body["username"], "alice");
    let again = api
        .put("/consumers/alice", json!({"custom_id": "a-2"}))
        .await;
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(again.body["custom_id"], "a-2");
    let filtered = api.get("/consumers?custom_id=a-2").await;
    assert_eq!(filtered.body["data"][0]["username"], "alice");
    assert_eq!(
        api.get("/consumers?custom_id=nope").await.body,
        json!({"data": [], "next": null})
    );
}

#[tokio::test]
async fn nested_endpoints_scope_children_to_their_parent() {
    let api = Api::start().await;
    api.post("/services", json!({"name": "a", "host": "a.test"}))
        .await;
    api.post("/services", json!({"name": "b", "host": "b.test"}))
        .await;
    let route = api
        .post("/services/a/routes", json!({"name": "r", "paths": ["/a"]}))
        .await;
    assert_eq!(route.status, 201, "{}", route.text);
    let service_a = api.get("/services/a").await.body;
    assert_eq!(route.body["service"], json!({"id": service_a["id"]}));

    assert_eq!(
        api.get("/services/a/routes").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(api.get("/services/b/routes").await.body["data"], json!([]));
    assert_eq!(api.get("/services/a/routes/r").await.status, 200);
    assert_eq!(
        api.get("/services/b/routes/r").await.status,
        404,
        "not b's route"
    );
    assert_eq!(api.get("/routes/r/service").await.body["name"], "a");
    assert_eq!(api.get("/services/nope/routes").await.status, 404);
}

#[tokio::test]
async fn deck_request_surface_works() {
    let api = Api::start().await;
    let svc = "2b1d3c4e-0000-4000-8000-000000000001";
    let route = "2b1d3c4e-0000-4000-8000-000000000002";
    let consumer = "2b1d3c4e-0000-4000-8000-000000000003";
    let cred = "2b1d3c4e-0000-4000-8000-000000000004";
    let up = "2b1d3c4e-0000-4000-8000-000000000005";
    let plugin = "2b1d3c4e-0000-4000-8000-000000000006";
    assert_eq!(
        api.put(
            &format!("/services/{svc}"),
            json!({"name": "s", "host": "h.test"})
        )
        .await
        .status,
        200
    );
    let r = api
        .put(
            &format!("/routes/{route}"),
            json!({"name": "r", "paths": ["/x"], "service": {"id": svc, "name": "s"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        api.put(
            &format!("/consumers/{consumer}"),
            json!({"username": "bob"})
        )
        .await
        .status,
        200
    );
    let c = api
        .put(
            &format!("/consumers/{consumer}/key-auth/{cred}"),
            json!({"key": "k-123"}),
        )
        .await;
    assert_eq!(c.status, 200, "{}", c.text);
    assert_eq!(c.body["consumer"], json!({"id": consumer}));
    assert_eq!(api.get("/key-auths").await.body["data"][0]["key"], "k-123");
    assert_eq!(
        api.get("/consumers/bob/key-auth/k-123").await.body["id"],
        cred
    );
    assert_eq!(
        api.put(&format!("/upstreams/{up}"), json!({"name": "up.internal"}))
            .await
            .status,
        200
    );
    let t = api
        .post(
            &format!("/upstreams/{up}/targets"),
            json!({"target": "10.0.0.1", "weight": 50}),
        )
        .await;
    assert_eq!(t.status, 201, "{}", t.text);
    assert_eq!(t.body["target"], "10.0.0.1:8000");
    let tid = t.body["id"].as_str().unwrap();
    let t2 = api
        .put(
            &format!("/upstreams/{up}/targets/{tid}"),
            json!({"target": "10.0.0.1:8000", "weight": 5}),
        )
        .await;
    assert_eq!(t2.body["weight"], 5);
    assert_eq!(
        api.get(&format!("/upstreams/{up}/targets/10.0.0.1"))
            .await
            .body["id"],
        tid.to_string()
    );
    let off = api
        .post(
            &format!("/upstreams/{up}/targets"),
            json!({"target": "10.0.0.2", "weight": 0}),
        )
        .await;
    assert_eq!(off.status, 201, "{}", off.text);
    let all = api.get(&format!("/upstreams/{up}/targets/all")).await;
    assert_eq!(all.status, 200, "{}", all.text);
    let mut listed: Vec<_> = all.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["target"].clone(), t["weight"].clone()))
        .collect();
    listed.sort_by_key(|(t, _)| t.to_string());
    assert_eq!(
        listed,
        [
            (json!("10.0.0.1:8000"), json!(5)),
            (json!("10.0.0.2:8000"), json!(0))
        ],
        "the raw list includes disabled targets"
    );
    assert_eq!(
        api.get("/targets").await.status,
        404,
        "targets are only reachable through upstreams"
    );
    let p = api
        .put(
            &format!("/plugins/{plugin}"),
            json!({"name": "key-auth", "route": {"id": route}}),
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(p.body["config"]["key_names"], json!(["apikey"]));
    assert_eq!(
        api.get(&format!("/routes/{route}/plugins")).await.body["data"][0]["id"],
        plugin
    );
    for path in [
        "/schemas/services",
        "/schemas/routes",
        "/schemas/upstreams",
        "/schemas/targets",
        "/schemas/plugins/key-auth",
    ] {
        assert_eq!(api.get(path).await.status, 200, "{path}");
    }
    assert_eq!(
        api.delete(&format!("/consumers/{consumer}/key-auth/{cred}"))
            .await
            .status,
        204
    );
    assert_eq!(api.get("/key-auths").await.body["data"], json!([]));
}

#[tokio::test]
async fn patch_merges_plugin_config_deeply() {
    let api = Api::start().await;
    let created = api
        .post(
            "/plugins",
            json!({"name": "rate-limiting", "config": {"minute": 5, "hour": 100}}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().unwrap();
    let patched = api
        .patch(&format!("/plugins/{id}"), json!({"config": {"minute": 10}}))
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["config"]["minute"], 10);
    assert_eq!(
        patched.body["config"]["hour"], 100,
        "other config keys are kept"
    );
    let missing = api
        .patch(
            "/plugins/2b1d3c4e-0000-4000-8000-00000000dead",
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["code"], 6);
}

#[tokio::test]
async fn form_bodies_are_coerced_by_the_schema() {
    let api = Api::start().await;
    let reply = api
        .post_as(
            "/services",
            "application/x-www-form-urlencoded",
            "name=f&host=f.test&port=8080&retries=2&tags[]=one&tags[]=two&enabled=false",
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.body["port"], 8080);
    assert_eq!(reply.body["enabled"], false);
    assert_eq!(reply.body["tags"], json!(["one", "two"]));
    let plugin = api
        .post_as(
            "/services/f/plugins",
            "application/x-www-form-urlencoded",
            "name=rate-limiting&config.minute=7",
        )
        .await;
    assert_eq!(plugin.status, 201, "{}", plugin.text);
    assert_eq!(plugin.body["config"]["minute"], 7);
}

#[tokio::test]
async fn multipart_bodies_are_forms_and_file_parts_are_values() {
    let api = Api::start().await;
    // What `curl -F name=m -F port=8081 -F tags[]=one -F host=@host.txt` sends.
    let boundary = "XyZBoundary42";
    let part = |disposition: &str, value: &str| {
        format!("--{boundary}\r\nContent-Disposition: form-data; {disposition}\r\n\r\n{value}\r\n")
    };
    let body = [
        part(r#"name="name""#, "m"),
        part(r#"name="port""#, "8081"),
        part(r#"name="tags[]""#, "one"),
        part(r#"name="host"; filename="host.txt""#, "m.test"),
        format!("--{boundary}--\r\n"),
    ]
    .concat();
    let reply = api
        .post_as(
            "/services",
            &format!("multipart/form-data; boundary={boundary}"),
            body,
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(
        (
            &reply.body["name"],
            &reply.body["host"],
            &reply.body["port"]
        ),
        (&json!("m"), &json!("m.test"), &json!(8081))
    );
    assert_eq!(reply.body["tags"], json!(["one"]));

    let broken = api
        .post_as("/services", "multipart/form-data", "name=x")
        .await;
    assert_eq!(broken.status, 400, "no boundary: {}", broken.text);
    assert!(
        broken.body["message"]
            .as_str()
            .unwrap()
            .contains("multipart")
    );
}

#[tokio::test]
async fn head_and_options_are_answered() {
    let api = Api::start().await;
    let head = api.call(reqwest::Method::HEAD, "/services", None).await;
    assert_eq!(head.status, 200);
    assert!(head.text.is_empty());
    let options = api
        .call(reqwest::Method::OPTIONS, "/services/x", None)
        .await;
    assert_eq!(options.status, 204);
    assert_eq!(
        options.headers["allow"],
        "DELETE, GET, HEAD, OPTIONS, PATCH, PUT"
    );
    assert_eq!(
        api.call(reqwest::Method::POST, "/services/x", Some(json!({})))
            .await
            .status,
        405
    );
    assert_eq!(
        api.get("/nothing/here/at/all/really").await.body,
        json!({"message": "Not found"})
    );
    assert_eq!(
        api.get("/services/").await.status,
        200,
        "trailing slash tolerated"
    );
}

#[tokio::test]
async fn acls_are_addressed_by_group_within_their_consumer() {
    let api = Api::start().await;
    api.post("/consumers", json!({"username": "dan"})).await;
    let put = api.put("/consumers/dan/acls/admins", json!({})).await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.body["group"], "admins");
    let again = api
        .put("/consumers/dan/acls/admins", json!({"tags": ["t"]}))
        .await;
    assert_eq!(again.body["id"], put.body["id"], "replaced, not duplicated");
    assert_eq!(
        api.get("/consumers/dan/acls/admins").await.body["tags"],
        json!(["t"])
    );
    assert_eq!(
        api.get("/acls/admins").await.status,
        404,
        "a group names an ACL only within a consumer"
    );
    assert_eq!(api.delete("/consumers/dan/acls/admins").await.status, 204);
    assert_eq!(api.get("/acls").await.body["data"], json!([]));
}

#[tokio::test]
async fn certificate_snis_are_kept_in_step_with_sni_entities() {
    let api = Api::start().await;
    let pem = json!({
        "cert": "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n",
        "key": "-----BEGIN PRIVATE KEY-----\nMIIEfake\n-----END PRIVATE KEY-----\n",
    });
    let with = |snis: Value| {
        let mut body = pem.clone();
        body["snis"] = snis;
        body
    };
    let names = |list: &Value| -> Vec<String> {
        let mut names: Vec<String> = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    };

    // Writing `snis` creates the SNI entities; responses list them sorted.
    let cert = api
        .post(
            "/certificates",
            with(json!(["b.example", "a.example", "b.example"])),
        )
        .await;
    assert_eq!(cert.status, 201, "{}", cert.text);
    assert_eq!(cert.body["snis"], json!(["a.example", "b.example"]));
    let id = cert.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        names(&api.get("/snis").await.body),
        ["a.example", "b.example"]
    );

    // A certificate is found by one of its SNI names, as in Kong.
    assert_eq!(api.get("/certificates/a.example").await.body["id"], id);

    // SNIs written on their own show in the certificate.
    let c = api
        .post(
            &format!("/certificates/{id}/snis"),
            json!({"name": "c.example"}),
        )
        .await;
    assert_eq!(c.status, 201, "{}", c.text);
    assert_eq!(
        api.get(&format!("/certificates/{id}")).await.body["snis"],
        json!(["a.example", "b.example", "c.example"])
    );

    // PATCH replaces the list; SNIs not in it are deleted.
    let patched = api
        .patch(
            &format!("/certificates/{id}"),
            json!({"snis": ["c.example"]}),
        )
        .await;
    assert_eq!(patched.body["snis"], json!(["c.example"]));
    assert_eq!(names(&api.get("/snis").await.body), ["c.example"]);
    // A PATCH without `snis` leaves them be.
    let tagged = api
        .patch(&format!("/certificates/{id}"), json!({"tags": ["t"]}))
        .await;
    assert_eq!(tagged.body["snis"], json!(["c.example"]));
    assert_eq!(api.delete("/snis/c.example").await.status, 204);
    assert_eq!(
        api.get(&format!("/certificates/{id}")).await.body["snis"],
        json!([])
    );

    // PUT by an SNI name creates a certificate carrying that name.
    let put = api.put("/certificates/new.example", pem.clone()).await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.body["snis"], json!(["new.example"]));

    // A name another certificate holds: 409, and nothing of the write is kept.
    let before = api.get("/certificates").await.body["data"]
        .as_array()
        .unwrap()
        .len();
    let taken = api
        .post(
            "/certificates",
            with(json!(["fresh.example", "new.example"])),
        )
        .await;
    assert_eq!(taken.status, 409, "{}", taken.text);
    assert_eq!(
        api.get("/certificates").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        before
    );
    assert_eq!(api.get("/snis/fresh.example").await.status, 404);

    // Deleting the certificate deletes its SNIs.
    assert_eq!(api.delete("/certificates/new.example").await.status, 204);
    assert_eq!(api.get("/snis/new.example").await.status, 404);
}

#[tokio::test]
async fn ca_certificates_get_kongs_cert_digest() {
    let api = Api::start().await;
    let cert = include_str!("proxy_support/tls_cert.pem");
    let created = api.post("/ca_certificates", json!({"cert": cert})).await;
    assert_eq!(created.status, 201, "{}", created.text);
    // `openssl x509 -in tests/proxy_support/tls_cert.pem -outform der | sha256sum`
    assert_eq!(
        created.body["cert_digest"],
        "827cfd0e3b9ef5c55fc970cc22f40bed815d1f185015b88fb84ca4397d5f4008"
    );
    // The digest is unique: the same certificate twice is a conflict, as in Kong.
    let again = api.post("/ca_certificates", json!({"cert": cert})).await;
    assert_eq!(again.status, 409, "{}", again.text);
}
