//! The generic entity endpoints: one set of handlers for every kind, driven by the route
//! table (which kind, which parent, which foreign field).

use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use super::Ctx;
use super::body::Parsed;
use super::respond::{self, json_text, message, no_content, not_found};
use crate::gateway::store::{
    Action, Key, ListQuery, Op, Scope, TagFilter, unique_fields, unique_key,
};
use crate::kinds::Kind;

/// Resolves the parent named by the first path parameter; `None` means 404.
fn parent_scope(
    ctx: &Ctx,
    parent: Option<(&'static Kind, &'static str)>,
) -> Result<Option<Scope>, Response> {
    let Some((parent_kind, field)) = parent else {
        return Ok(None);
    };
    let key = ctx.matched.key(0);
    match ctx.state.store.resolve(parent_kind, &key, None) {
        Some(parent_id) => Ok(Some(Scope { field, parent_id })),
        None => Err(not_found()),
    }
}

/// The entity key: the last path parameter.
fn entity_key(ctx: &Ctx) -> Key {
    ctx.matched.key(ctx.matched.params.len() - 1)
}

pub fn list(
    ctx: &Ctx,
    kind: &'static Kind,
    parent: Option<(&'static Kind, &'static str)>,
) -> Response {
    let scope = match parent_scope(ctx, parent) {
        Ok(scope) => scope,
        Err(response) => return response,
    };
    let mut query = ListQuery::default();
    let mut size_given = None;
    let mut tags_given = None;
    for (name, value) in &ctx.query {
        match name.as_str() {
            "size" => match parse_size(value) {
                Ok(size) => {
                    query.size = size;
                    size_given = Some(value.clone());
                }
                Err(response) => return response,
            },
            "offset" => match URL_SAFE_NO_PAD
                .decode(value)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
            {
                Some(start) => query.start = Some(start),
                None => {
                    return respond::json(
                        400,
                        &json!({
                            "code": 7,
                            "name": "invalid offset",
                            "message": format!("'{value}' is not a valid offset: bad base64 encoding"),
                        }),
                    );
                }
            },
            // Kong ignores tags on nested lists.
            "tags" if scope.is_none() => match parse_tags(value) {
                Ok(filter) => {
                    query.tags = Some(filter);
                    tags_given = Some(value.clone());
                }
                Err(response) => return response,
            },
            field if scope.is_none() && unique_fields(kind).any(|u| u == field) => {
                if value.is_empty() {
                    return message(400, format!("{field} must be an unempty string"));
                }
                query.unique_key = Some(unique_key(
                    kind.name,
                    &[field],
                    &[Value::from(value.as_str())],
                ));
            }
            _ => {}
        }
    }
    if let Some(scope) = &scope {
        let (parent_kind, _) = parent.expect("a scope comes from a parent");
        query.parent = Some((parent_kind.name, scope.parent_id.clone(), scope.field));
    }
    let page = ctx.state.store.list(kind, &query);
    let mut out = String::with_capacity(page.items.iter().map(|i| i.len() + 1).sum::<usize>() + 64);
    out.push_str("{\"data\":[");
    for (i, item) in page.items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(item);
    }
    out.push(']');
    match page.next {
        Some(next_id) => {
            let token = URL_SAFE_NO_PAD.encode(next_id.as_bytes());
            let mut next = format!("{}?offset={token}", ctx.path);
            // Kong's order (`get_collection_endpoint`): tags, then size as it was given.
            if scope.is_none() {
                if let Some(tags) = tags_given {
                    let escaped: String =
                        url::form_urlencoded::byte_serialize(tags.as_bytes()).collect();
                    next.push_str(&format!("&tags={}", escaped.replace('+', "%20")));
                }
                if let Some(size) = size_given {
                    let escaped: String =
                        url::form_urlencoded::byte_serialize(size.as_bytes()).collect();
                    next.push_str(&format!("&size={escaped}"));
                }
            }
            out.push_str(&format!(
                ",\"next\":{},\"offset\":{}",
                Value::from(next),
                Value::from(token)
            ));
        }
        None => out.push_str(",\"next\":null"),
    }
    out.push('}');
    json_text(200, out)
}

pub(super) fn parse_size(value: &str) -> Result<usize, Response> {
    let invalid = |m: &str| {
        respond::json(
            400,
            &json!({"code": 9, "name": "invalid size", "message": m}),
        )
    };
    let n: f64 = value
        .trim()
        .parse()
        .map_err(|_| invalid("size must be a number"))?;
    if n.fract() != 0.0 || !(1.0..=1000.0).contains(&n) {
        return Err(invalid("size must be an integer between 1 and 1000"));
    }
    Ok(n as usize)
}

fn parse_tags(value: &str) -> Result<TagFilter, Response> {
    let invalid = |m: &str| {
        respond::json(
            400,
            &json!({
                "code": 11,
                "name": "invalid options",
                "message": format!("invalid option (tags: {m})"),
                "options": {"tags": m},
            }),
        )
    };
    if value.is_empty() {
        return Err(invalid("cannot be null"));
    }
    let (all, any) = (value.contains(','), value.contains('/'));
    if all && any {
        return Err(invalid("invalid filter syntax"));
    }
    let separator = if any { '/' } else { ',' };
    let tags: Vec<String> = value.split(separator).map(str::to_string).collect();
    if tags.iter().any(String::is_empty) {
        return Err(invalid("invalid filter syntax"));
    }
    if tags.len() > 5 {
        return Err(invalid("cannot query more than 5 tags"));
    }
    Ok(if any {
        TagFilter::Any(tags)
    } else {
        TagFilter::All(tags)
    })
}

pub fn get(
    ctx: &Ctx,
    kind: &'static Kind,
    parent: Option<(&'static Kind, &'static str)>,
) -> Response {
    let scope = match parent_scope(ctx, parent) {
        Ok(scope) => scope,
        Err(response) => return response,
    };
    match ctx.state.store.get(kind, &entity_key(ctx), scope.as_ref()) {
        Some(entity) => json_text(200, entity.to_string()),
        None => not_found(),
    }
}

/// POST, PUT, PATCH and DELETE on an entity or collection.
pub async fn write(
    ctx: &Ctx,
    kind: &'static Kind,
    parent: Option<(&'static Kind, &'static str)>,
    action: fn(Key) -> Action,
    keyed: bool,
    body: Parsed,
) -> Response {
    let scope = match parent_scope(ctx, parent) {
        Ok(scope) => scope,
        Err(response) => return response,
    };
    let mut fields = body.fields;
    let mut scope = scope;
    let action = if keyed {
        let key = entity_key(ctx);
        let mut action = action(key.clone());
        // Kong's `PUT /upstreams/{u}/targets/{t}` (`kong/api/routes/upstreams.lua`) is an
        // update of a target that must already be there, like PATCH: a kind whose endpoint key
        // only means something within its parent is never created by PUT.
        if scope.is_some() && kind.endpoint_key_scoped && matches!(action, Action::Upsert(_)) {
            action = Action::Update(key.clone());
        }
        if let Some(in_scope) = &scope {
            match &action {
                // Kong's nested PATCH and DELETE (`kong/api/endpoints.lua`) first look the
                // entity up and answer a plain 404 when it is missing or belongs to another
                // parent; only the top-level DELETE of a missing entity is a 204.
                Action::Update(_) | Action::Delete(_) => {
                    if ctx
                        .state
                        .store
                        .resolve(kind, &key, Some(in_scope))
                        .is_none()
                    {
                        return not_found();
                    }
                }
                // Kong's nested PUT is the top-level upsert with the parent written into the
                // body: an entity named by id or by its own endpoint key is created, or replaced
                // and moved under this parent, wherever it was. Keys only meaningful within
                // the parent (a target's address, an ACL's group) stay scoped.
                Action::Upsert(_) => {
                    let global = match &key {
                        Key::Id(_) => true,
                        Key::Endpoint(_) => {
                            kind.endpoint_key.is_some() && !kind.endpoint_key_scoped
                        }
                    };
                    if global {
                        fields.insert(
                            in_scope.field.to_string(),
                            json!({ "id": in_scope.parent_id }),
                        );
                        scope = None;
                    }
                }
                Action::Create => {}
            }
        }
        action
    } else {
        Action::Create
    };
    let op = Op {
        kind,
        action,
        body: fields,
        scope,
        form: body.form,
    };
    single(ctx, op).await
}

/// Runs one operation as its own transaction and answers as Kong does.
pub async fn single(ctx: &Ctx, op: Op) -> Response {
    match ctx.state.write(vec![op], ctx.expect).await {
        Ok(committed) => {
            let result = &committed.results[0];
            let mut response = match &result.entity {
                Some(entity) => json_text(result.status, entity.to_string()),
                None => no_content(),
            };
            response
                .headers_mut()
                .insert(http::header::ETAG, respond::etag(committed.revision));
            response
        }
        Err(error) => respond::write_error(&error),
    }
}

/// `/routes/{r}/service`: the entity a foreign field points at.
pub async fn referenced(
    ctx: &Ctx,
    kind: &'static Kind,
    field: &'static str,
    target: &'static Kind,
    body: Option<Parsed>,
) -> Response {
    let Some(entity) = ctx.state.store.get(kind, &ctx.matched.key(0), None) else {
        return not_found();
    };
    let entity: Map<String, Value> = crate::gateway::store::parse_entity(&entity);
    let Some(target_id) = entity
        .get(field)
        .and_then(|v| v.get("id"))
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        // Kong's PUT here with nothing referenced (`put_entity_endpoint` in
        // `kong/api/endpoints.lua`) creates the target under a new id and points the entity
        // at it, both in one transaction here.
        return match (body, &ctx.method) {
            (Some(body), &http::Method::PUT) => {
                associate(ctx, kind, field, target, &entity, body).await
            }
            _ => not_found(),
        };
    };
    match body {
        None => match ctx.state.store.get(target, &Key::Id(target_id), None) {
            Some(found) => json_text(200, found.to_string()),
            None => not_found(),
        },
        Some(body) => {
            let action = if ctx.method == http::Method::PUT {
                Action::Upsert(Key::Id(target_id))
            } else {
                Action::Update(Key::Id(target_id))
            };
            let op = Op {
                kind: target,
                action,
                body: body.fields,
                scope: None,
                form: body.form,
            };
            single(ctx, op).await
        }
    }
}

/// `PUT /routes/{r}/service` on a route without a service: creates the service and sets the
/// route's reference to it; answers with the service.
async fn associate(
    ctx: &Ctx,
    kind: &'static Kind,
    field: &'static str,
    target: &'static Kind,
    entity: &Map<String, Value>,
    body: Parsed,
) -> Response {
    let Some(entity_id) = entity.get("id").and_then(Value::as_str) else {
        return not_found();
    };
    let new_id = uuid::Uuid::new_v4().to_string();
    let create = Op {
        kind: target,
        action: Action::Upsert(Key::Id(new_id.clone())),
        body: body.fields,
        scope: None,
        form: body.form,
    };
    let mut reference = Map::new();
    reference.insert(field.to_string(), json!({ "id": new_id }));
    let link = Op::new(
        kind,
        Action::Update(Key::Id(entity_id.to_string())),
        reference,
    );
    match ctx.state.write(vec![create, link], ctx.expect).await {
        Ok(committed) => {
            let result = &committed.results[0];
            let mut response = match &result.entity {
                Some(created) => json_text(200, created.to_string()),
                None => not_found(),
            };
            response
                .headers_mut()
                .insert(http::header::ETAG, respond::etag(committed.revision));
            response
        }
        Err(error) => respond::write_error(&error),
    }
}
