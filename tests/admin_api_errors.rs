//! Kong's error bodies and codes, references, uniqueness and cascades.

mod admin_api_support;

use admin_api_support::Api;
use serde_json::json;

#[tokio::test]
async fn schema_violations_are_code_2_with_per_field_messages() {
    let api = Api::start().await;
    let reply = api
        .post("/services", json!({"name": "s", "port": "x", "prot": 1}))
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.body["code"], 2);
    assert_eq!(reply.body["name"], "schema violation");
    assert_eq!(reply.body["fields"]["port"], "expected an integer");
    assert_eq!(reply.body["fields"]["prot"], "unknown field");
    assert_eq!(reply.body["fields"]["host"], "required field missing");
    assert_eq!(
        reply.body["message"],
        "3 schema violations (host: required field missing; port: expected an integer; prot: unknown field)"
    );
}

#[tokio::test]
async fn unknown_plugins_are_refused() {
    let api = Api::start().await;
    let reply = api
        .post("/plugins", json!({"name": "no-such-plugin"}))
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.body["code"], 2);
    // Kong's shape, but listing the plugins this gateway has: it has no 'plugins' property.
    assert_eq!(
        reply.body["fields"]["name"],
        "plugin 'no-such-plugin' not enabled; this gateway's plugins are: acl, ai-proxy, cors, \
         jwt, key-auth, rate-limiting"
    );
    let root = api.get("/").await;
    let mut available: Vec<&str> = root.body["plugins"]["available_on_server"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    available.sort_unstable();
    assert!(
        reply.body["fields"]["name"]
            .as_str()
            .unwrap()
            .ends_with(&available.join(", ")),
        "{}",
        reply.text
    );
}

/// Kong's grpc/grpcs route subschema defaults `strip_path` to false; only `true` is refused.
#[tokio::test]
async fn a_grpc_route_without_strip_path_is_created_with_it_false() {
    let api = Api::start().await;
    let svc = api
        .post(
            "/services",
            json!({"name": "g", "protocol": "grpc", "host": "grpc.test", "port": 50051}),
        )
        .await;
    assert_eq!(svc.status, 201, "{}", svc.text);
    let created = api
        .post(
            "/routes",
            json!({"protocols": ["grpc"], "paths": ["/a"], "service": {"name": "g"}}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["strip_path"], false);
    let form = api
        .send(
            api.request(reqwest::Method::POST, "/routes")
                .form(&[("protocols", "grpcs"), ("paths", "/b")]),
        )
        .await;
    assert_eq!(form.status, 201, "{}", form.text);
    assert_eq!(form.body["strip_path"], false);
    let refused = api
        .post(
            "/routes",
            json!({"protocols": ["grpc"], "paths": ["/c"], "strip_path": true}),
        )
        .await;
    assert_eq!(refused.status, 400);
    assert_eq!(
        refused.body["fields"]["strip_path"],
        "cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'"
    );
}

#[tokio::test]
async fn unique_violations_are_409_code_5() {
    let api = Api::start().await;
    assert_eq!(
        api.post("/consumers", json!({"username": "bob"}))
            .await
            .status,
        201
    );
    let dup = api.post("/consumers", json!({"username": "bob"})).await;
    assert_eq!(dup.status, 409);
    assert_eq!(dup.body["code"], 5);
    assert_eq!(
        dup.body["message"],
        "UNIQUE violation detected on '{username=\"bob\"}'"
    );
    assert_eq!(dup.body["fields"], json!({"username": "bob"}));

    // Composite keys: one plugin of a name per scope.
    assert_eq!(
        api.post("/plugins", json!({"name": "cors"})).await.status,
        201
    );
    let twice = api.post("/plugins", json!({"name": "cors"})).await;
    assert_eq!(twice.status, 409, "{}", twice.text);
    assert_eq!(
        twice.body["message"],
        "UNIQUE violation detected on '{consumer=null,name=\"cors\",route=null,service=null}'"
    );
}

#[tokio::test]
async fn references_to_missing_entities_are_code_4() {
    let api = Api::start().await;
    let missing = "7c0b7a8e-1111-4111-8111-111111111111";
    let reply = api
        .post(
            "/routes",
            json!({"paths": ["/x"], "service": {"id": missing}}),
        )
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.body["code"], 4);
    assert_eq!(
        reply.body["message"],
        format!(
            "the foreign key '{{id=\"{missing}\"}}' does not reference an existing 'services' entity."
        )
    );
    assert_eq!(reply.body["fields"], json!({"service": {"id": missing}}));
    // A reference by name resolves to the id.
    api.post("/services", json!({"name": "svc", "host": "h.test"}))
        .await;
    let by_name = api
        .post(
            "/routes",
            json!({"paths": ["/y"], "service": {"name": "svc"}}),
        )
        .await;
    assert_eq!(by_name.status, 201, "{}", by_name.text);
    let id = api.get("/services/svc").await.body["id"].clone();
    assert_eq!(by_name.body["service"], json!({"id": id}));
}

#[tokio::test]
async fn a_service_with_routes_cannot_be_deleted_but_its_plugins_cascade() {
    let api = Api::start().await;
    api.post("/services", json!({"name": "svc", "host": "h.test"}))
        .await;
    api.post("/services/svc/routes", json!({"name": "r", "paths": ["/"]}))
        .await;
    api.post("/services/svc/plugins", json!({"name": "cors"}))
        .await;
    let refused = api.delete("/services/svc").await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.body["code"], 4);
    assert_eq!(
        refused.body["message"],
        "an existing 'routes' entity references this 'services' entity"
    );
    assert_eq!(refused.body["fields"], json!({"@referenced_by": "routes"}));
    assert_eq!(
        api.get("/services/svc").await.status,
        200,
        "nothing was deleted"
    );
    assert_eq!(
        api.get("/plugins").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    assert_eq!(api.delete("/routes/r").await.status, 204);
    assert_eq!(api.delete("/services/svc").await.status, 204);
    assert_eq!(
        api.get("/plugins").await.body["data"],
        json!([]),
        "plugins cascade"
    );
}

#[tokio::test]
async fn deleting_a_consumer_removes_its_credentials_and_plugins() {
    let api = Api::start().await;
    api.post("/consumers", json!({"username": "carol"})).await;
    api.post("/consumers/carol/key-auth", json!({})).await;
    api.post("/consumers/carol/acls", json!({"group": "admins"}))
        .await;
    api.post(
        "/consumers/carol/plugins",
        json!({"name": "rate-limiting", "config": {"minute": 1}}),
    )
    .await;
    assert_eq!(
        api.get("/key-auths").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let key = api.get("/key-auths").await.body["data"][0]["key"].clone();
    assert_eq!(
        key.as_str().unwrap().len(),
        32,
        "keys are generated when absent"
    );
    assert_eq!(api.delete("/consumers/carol").await.status, 204);
    for path in ["/key-auths", "/acls", "/plugins", "/consumers"] {
        assert_eq!(api.get(path).await.body["data"], json!([]), "{path}");
    }
}

#[tokio::test]
async fn malformed_bodies_get_clear_errors() {
    let api = Api::start().await;
    let bad = api
        .post_as("/services", "application/json", "{not json")
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body, json!({"message": "Cannot parse JSON body"}));
    let odd = api.post_as("/services", "text/plain", "hello").await;
    assert_eq!(odd.status, 415);
    let array = api.post("/services", json!([1, 2])).await;
    assert_eq!(array.status, 400);
}

#[tokio::test]
async fn list_parameters_are_checked() {
    let api = Api::start().await;
    let size = api.get("/services?size=abc").await;
    assert_eq!((size.status, size.body["code"].clone()), (400, json!(9)));
    assert_eq!(size.body["message"], "size must be a number");
    let range = api.get("/services?size=1001").await;
    assert_eq!(
        range.body["message"],
        "size must be an integer between 1 and 1000"
    );
    let offset = api.get("/services?offset=!!").await;
    assert_eq!(offset.status, 400);
    assert_eq!(offset.body["code"], 7);
    assert_eq!(
        offset.body["message"],
        "'!!' is not a valid offset: bad base64 encoding"
    );
    let tags = api.get("/services?tags=a,b/c").await;
    assert_eq!(tags.body["code"], 11);
    assert_eq!(tags.body["options"]["tags"], "invalid filter syntax");
    assert_eq!(
        api.get("/services?tags=").await.body["message"],
        "invalid option (tags: cannot be null)"
    );
}
