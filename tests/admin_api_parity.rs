//! Behaviour of the Admin API that clients of Kong 3.x notice, checked against what Kong's
//! own endpoint code does (`kong/api/endpoints.lua`, `kong/api/api_helpers.lua`,
//! `kong/api/routes/upstreams.lua`, `kong/db/dao/init.lua`, `kong/db/errors.lua`).

mod admin_api_support;

use admin_api_support::Api;
use reqwest::Method;
use serde_json::json;

/// Two services `a` and `b`, and a route `r` under `a`.
async fn two_services_and_a_route(api: &Api) -> String {
    for name in ["a", "b"] {
        let s = api
            .post(
                "/services",
                json!({"name": name, "host": format!("{name}.test")}),
            )
            .await;
        assert_eq!(s.status, 201, "{}", s.text);
    }
    let r = api
        .post("/services/a/routes", json!({"name": "r", "paths": ["/r"]}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn nested_patch_and_delete_answer_a_plain_404_outside_the_parent() {
    let api = Api::start().await;
    let route = two_services_and_a_route(&api).await;
    let not_found = json!({"message": "Not found"});

    // Kong's nested PATCH looks the child up first: a plain 404, not the DAO's code 6.
    for key in ["r", route.as_str()] {
        let patch = api
            .patch(
                &format!("/services/b/routes/{key}"),
                json!({"strip_path": false}),
            )
            .await;
        assert_eq!(patch.status, 404, "{}", patch.text);
        assert_eq!(patch.body, not_found);
    }
    let missing = api
        .patch("/services/a/routes/nope", json!({"strip_path": false}))
        .await;
    assert_eq!(missing.status, 404, "{}", missing.text);
    assert_eq!(missing.body, not_found);

    // Nested DELETE: 404 for another parent's child or a missing one (only the top-level
    // DELETE of a missing entity is a 204), and the route is left alone.
    for key in ["r", route.as_str()] {
        let delete = api.delete(&format!("/services/b/routes/{key}")).await;
        assert_eq!(delete.status, 404, "{}", delete.text);
        assert_eq!(delete.body, not_found);
    }
    let delete = api.delete("/services/a/routes/nope").await;
    assert_eq!(delete.status, 404, "{}", delete.text);
    assert_eq!(api.get("/routes/r").await.status, 200, "still there");
    assert_eq!(api.delete("/routes/nope").await.status, 204);
    assert_eq!(api.delete("/services/a/routes/r").await.status, 204);
    assert_eq!(api.get("/routes/r").await.status, 404);
}

#[tokio::test]
async fn nested_put_moves_the_entity_under_the_parent() {
    let api = Api::start().await;
    let route = two_services_and_a_route(&api).await;
    let b = api.get("/services/b").await.body["id"].clone();

    // By endpoint key: Kong upserts by name with the parent written into the body.
    let by_name = api
        .put("/services/b/routes/r", json!({"paths": ["/moved"]}))
        .await;
    assert_eq!(by_name.status, 200, "{}", by_name.text);
    assert_eq!(
        by_name.body["id"],
        route.as_str(),
        "the same route, replaced"
    );
    assert_eq!(by_name.body["service"], json!({"id": b}));
    assert_eq!(by_name.body["paths"], json!(["/moved"]));

    // By id: the same, back under `a`.
    let a = api.get("/services/a").await.body["id"].clone();
    let by_id = api
        .put(
            &format!("/services/a/routes/{route}"),
            json!({"name": "r", "paths": ["/back"]}),
        )
        .await;
    assert_eq!(by_id.status, 200, "{}", by_id.text);
    assert_eq!(by_id.body["service"], json!({"id": a}));
    assert_eq!(api.get("/services/b/routes").await.body["data"], json!([]));

    // decK moving a credential to another consumer: PUT under the new consumer by id.
    let cred = "6a0f6c1e-0000-4000-8000-0000000000c1";
    for user in ["alice", "bob"] {
        api.post("/consumers", json!({"username": user})).await;
    }
    let first = api
        .put(
            &format!("/consumers/alice/key-auth/{cred}"),
            json!({"key": "k-1"}),
        )
        .await;
    assert_eq!(first.status, 200, "{}", first.text);
    let moved = api
        .put(
            &format!("/consumers/bob/key-auth/{cred}"),
            json!({"key": "k-1"}),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    let bob = api.get("/consumers/bob").await.body["id"].clone();
    assert_eq!(moved.body["consumer"], json!({"id": bob}));
    assert_eq!(
        api.get("/consumers/alice/key-auth").await.body["data"],
        json!([])
    );
}

#[tokio::test]
async fn target_put_only_updates_an_existing_target() {
    let api = Api::start().await;
    let up = api.post("/upstreams", json!({"name": "up.internal"})).await;
    assert_eq!(up.status, 201, "{}", up.text);
    let t = api
        .post(
            "/upstreams/up.internal/targets",
            json!({"target": "10.0.0.1", "weight": 50, "tags": ["keep"]}),
        )
        .await;
    assert_eq!(t.status, 201, "{}", t.text);
    let tid = t.body["id"].as_str().unwrap();

    // `kong/api/routes/upstreams.lua`: PUT selects the target first (404 when missing) and
    // then runs an update, so fields the body leaves out are kept.
    let missing = "6a0f6c1e-0000-4000-8000-0000000000f1";
    let put_missing = api
        .put(
            &format!("/upstreams/up.internal/targets/{missing}"),
            json!({"target": "10.0.0.9", "weight": 1}),
        )
        .await;
    assert_eq!(put_missing.status, 404, "{}", put_missing.text);
    assert_eq!(put_missing.body, json!({"message": "Not found"}));
    let put_by_address = api
        .put(
            "/upstreams/up.internal/targets/10.0.0.9:8000",
            json!({"weight": 1}),
        )
        .await;
    assert_eq!(put_by_address.status, 404, "{}", put_by_address.text);
    let listed = api.get("/upstreams/up.internal/targets").await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 1);

    let updated = api
        .put(
            &format!("/upstreams/up.internal/targets/{tid}"),
            json!({"weight": 5}),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(updated.body["weight"], 5);
    assert_eq!(updated.body["target"], "10.0.0.1:8000");
    assert_eq!(updated.body["tags"], json!(["keep"]));
    let delete_missing = api
        .delete(&format!("/upstreams/up.internal/targets/{missing}"))
        .await;
    assert_eq!(delete_missing.status, 404, "{}", delete_missing.text);
}

#[tokio::test]
async fn a_reference_by_name_that_resolves_to_nothing_is_code_13() {
    let api = Api::start().await;
    let reply = api
        .post(
            "/routes",
            json!({"paths": ["/x"], "service": {"name": "nope"}}),
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    let reason = "the foreign key cannot be resolved with '{name=\"nope\"}' for an existing 'services' entity";
    assert_eq!(
        reply.body,
        json!({
            "code": 13,
            "name": "foreign keys unresolved",
            "message": format!("foreign key unresolved (service.name: {reason})"),
            "fields": {"service": {"name": reason}},
        })
    );
    // Form bodies (`service.name=nope`) are the same reference.
    let form = api
        .post_as(
            "/routes",
            "application/x-www-form-urlencoded",
            "paths[]=/y&service.name=nope",
        )
        .await;
    assert_eq!(form.status, 400, "{}", form.text);
    assert_eq!(form.body["code"], 13);
    // A reference by id that finds nothing stays code 4.
    let by_id = api
        .post(
            "/routes",
            json!({"paths": ["/z"], "service": {"id": "6a0f6c1e-0000-4000-8000-0000000000a1"}}),
        )
        .await;
    assert_eq!(by_id.body["code"], 4, "{}", by_id.text);
}

#[tokio::test]
async fn cors_echoes_the_origin_and_the_requested_headers() {
    let api = Api::start().await;
    let plain = api.get("/services").await;
    assert_eq!(plain.headers["access-control-allow-origin"], "*");
    assert_eq!(plain.headers["access-control-allow-credentials"], "true");

    let from_gui = api
        .send(
            api.request(Method::GET, "/services")
                .header("Origin", "http://manager.test:8002"),
        )
        .await;
    assert_eq!(
        from_gui.headers["access-control-allow-origin"],
        "http://manager.test:8002"
    );

    let preflight = api
        .send(
            api.request(Method::OPTIONS, "/services")
                .header("Origin", "http://manager.test:8002")
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "content-type, x-custom"),
        )
        .await;
    assert_eq!(preflight.status, 204);
    assert_eq!(
        preflight.headers["access-control-allow-headers"],
        "content-type, x-custom"
    );
    assert_eq!(
        preflight.headers["access-control-allow-origin"],
        "http://manager.test:8002"
    );
    let bare = api.send(api.request(Method::OPTIONS, "/services")).await;
    assert_eq!(bare.headers["access-control-allow-headers"], "Content-Type");
}

#[tokio::test]
async fn responses_carry_the_admin_latency_header() {
    let api = Api::start().await;
    for reply in [api.get("/").await, api.get("/nope").await] {
        let latency = reply.headers["x-kong-admin-latency"].to_str().unwrap();
        assert!(latency.parse::<u64>().is_ok(), "{latency}");
    }
}

#[tokio::test]
async fn next_links_carry_tags_then_size_as_kong_builds_them() {
    let api = Api::start().await;
    for i in 0..3 {
        let s = api
            .post(
                "/services",
                json!({"name": format!("s{i}"), "host": "h.test", "tags": ["a b", "c"]}),
            )
            .await;
        assert_eq!(s.status, 201, "{}", s.text);
    }
    let page = api.get("/services?size=1&tags=a%20b,c").await;
    assert_eq!(page.status, 200, "{}", page.text);
    let offset = page.body["offset"].as_str().unwrap();
    assert_eq!(
        page.body["next"],
        format!("/services?offset={offset}&tags=a%20b%2Cc&size=1")
    );
    let next = api.get(page.body["next"].as_str().unwrap()).await;
    assert_eq!(next.status, 200, "{}", next.text);
    assert_eq!(next.body["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn put_on_an_unset_reference_creates_and_links_the_target() {
    let api = Api::start().await;
    let r = api
        .post("/routes", json!({"name": "lonely", "paths": ["/l"]}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(api.get("/routes/lonely/service").await.status, 404);
    assert_eq!(
        api.patch("/routes/lonely/service", json!({"host": "x.test"}))
            .await
            .status,
        404,
        "PATCH needs a referenced entity"
    );
    let created = api
        .put(
            "/routes/lonely/service",
            json!({"name": "made", "host": "made.test"}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.text);
    assert_eq!(created.body["host"], "made.test");
    let route = api.get("/routes/lonely").await;
    assert_eq!(route.body["service"], json!({"id": created.body["id"]}));
    assert_eq!(api.get("/routes/lonely/service").await.body["name"], "made");
}

#[tokio::test]
async fn tags_endpoint_size_errors_match_the_lists() {
    let api = Api::start().await;
    let reply = api.get("/tags?size=abc").await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.body,
        json!({"code": 9, "name": "invalid size", "message": "size must be a number"})
    );
    let reply = api.get("/tags/x?size=0").await;
    assert_eq!(
        reply.body["message"],
        "size must be an integer between 1 and 1000"
    );
}
