use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use gwctl::kinds::validate::{Options, UnknownSubschema, process_entity};
use gwctl::kinds::{Kind, registry};

/// One recorded request.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query, as sent.
    pub uri: String,
    pub body: Option<Value>,
}

#[derive(Debug, Default)]
pub struct Store {
    /// kind → entities in insertion order.
    pub entities: BTreeMap<&'static str, Vec<Map<String, Value>>>,
    pub revision: u64,
}

#[derive(Debug, Default)]
pub struct Inner {
    pub store: Store,
    pub requests: Vec<Recorded>,
    /// Advertise (and serve) the batch extension.
    pub batch: bool,
    /// Answer the next N requests with 429 (Retry-After: 0).
    pub throttle: usize,
    /// Schemas served at `/schemas/...` (path without `/schemas/`), whose defaults the fake
    /// fills into plugins it does not know, as a newer Kong would.
    pub schemas: BTreeMap<String, Value>,
}

#[derive(Clone, Default)]
pub struct Fake(pub Arc<Mutex<Inner>>);

pub struct Running {
    pub addr: SocketAddr,
    pub fake: Fake,
}

impl Running {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
    pub fn requests(&self) -> Vec<Recorded> {
        self.fake.0.lock().unwrap().requests.clone()
    }
    pub fn clear_requests(&self) {
        self.fake.0.lock().unwrap().requests.clear();
    }
    pub fn entities(&self, kind: &str) -> Vec<Map<String, Value>> {
        let inner = self.fake.0.lock().unwrap();
        inner
            .store
            .entities
            .iter()
            .find(|(k, _)| **k == kind)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
    pub fn count(&self) -> usize {
        let inner = self.fake.0.lock().unwrap();
        inner.store.entities.values().map(Vec::len).sum()
    }
    pub fn revision(&self) -> u64 {
        self.fake.0.lock().unwrap().store.revision
    }
}

/// Starts the fake on 127.0.0.1:0 in a background thread with its own runtime.
pub fn start(batch: bool) -> Running {
    let fake = Fake::default();
    fake.0.lock().unwrap().batch = batch;
    let (tx, rx) = std::sync::mpsc::channel();
    let served = fake.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            let app = Router::new().fallback(handle).with_state(served);
            axum::serve(listener, app).await.unwrap();
        });
    });
    let addr = rx.recv().unwrap();
    Running { addr, fake }
}

fn reply(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

async fn handle(
    AxState(fake): AxState<Fake>,
    method: Method,
    uri: Uri,
    _headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body: Option<Value> = if body.is_empty() {
        None
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => Some(v),
            Err(_) => {
                return reply(
                    StatusCode::BAD_REQUEST,
                    json!({"message": "Cannot parse JSON body"}),
                );
            }
        }
    };
    let mut inner = fake.0.lock().unwrap();
    inner.requests.push(Recorded {
        method: method.to_string(),
        uri: uri.to_string(),
        body: body.clone(),
    });
    if inner.throttle > 0 {
        inner.throttle -= 1;
        let mut r = reply(
            StatusCode::TOO_MANY_REQUESTS,
            json!({"message": "API rate limit exceeded"}),
        );
        r.headers_mut().insert("retry-after", "0".parse().unwrap());
        return r;
    }
    let path = uri.path().trim_end_matches('/').to_string();
    if path.is_empty() && method == Method::GET {
        let mut root =
            json!({"version": "3.9.1", "edition": "community", "tagline": "Welcome to kong"});
        if inner.batch {
            root["gwctl"] = json!({"revision": inner.store.revision, "batch": "/batch"});
        }
        return reply(StatusCode::OK, root);
    }
    if path == "/batch" && method == Method::POST && inner.batch {
        let ops = body
            .as_ref()
            .and_then(|b| b.get("operations"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut copy = Store {
            entities: inner.store.entities.clone(),
            revision: inner.store.revision,
        };
        for (i, op) in ops.iter().enumerate() {
            let Some(kind) = op["kind"].as_str().and_then(|k| registry().kind(k)) else {
                return reply(StatusCode::BAD_REQUEST, json!({"message": "unknown kind"}));
            };
            let key = op["key"].as_str().map(str::to_string);
            let body = op.get("body").cloned().unwrap_or(json!({}));
            let (status, answer) = match (op["op"].as_str().unwrap_or(""), key) {
                ("create", _) => write(&mut copy, kind, None, None, body),
                ("put", Some(key)) => write(&mut copy, kind, None, Some(key), body),
                ("delete", Some(key)) => delete(&mut copy, kind, &key),
                _ => (StatusCode::BAD_REQUEST, json!({"message": "bad operation"})),
            };
            if !status.is_success() {
                let message = format!(
                    "batch operation {i} failed: {}",
                    answer["message"].as_str().unwrap_or("")
                );
                return reply(
                    status,
                    json!({"message": message, "revision": inner.store.revision,
                           "failed_operation": {"index": i, "status": status.as_u16(), "error": answer}}),
                );
            }
        }
        inner.store = copy;
        return reply(StatusCode::OK, json!({"revision": inner.store.revision}));
    }
    if let Some(name) = path.strip_prefix("/schemas/") {
        return match inner.schemas.get(name) {
            Some(schema) => reply(StatusCode::OK, schema.clone()),
            None => reply(
                StatusCode::NOT_FOUND,
                json!({"message": format!("No entity named '{name}'")}),
            ),
        };
    }
    let query = uri.query().unwrap_or("").to_string();
    let body = body.map(|mut b| {
        if let Some(name) = b.get("name").and_then(Value::as_str).map(str::to_string)
            && let Some(schema) = inner.schemas.get(&format!("plugins/{name}"))
            && let Some(map) = b.as_object_mut()
        {
            let mut remote = gwctl::plan::remote::RemoteSchemas::default();
            remote.insert("plugins", Some(&name), schema.clone());
            remote.fill("plugins", Some(&name), map);
        }
        b
    });
    let (status, answer) = route(&mut inner.store, &method, &path, &query, body);
    reply(status, answer)
}

/// A request path resolved: the kind, the parent it is nested under, the entity id.
type Target = (
    &'static Kind,
    Option<(&'static str, String)>,
    Option<String>,
);

/// Resolves `/a/b/c/d` into (kind, parent filter, id).
fn resolve(path: &str) -> Option<Target> {
    let r = registry();
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segs.as_slice() {
        [collection] => Some((r.kind_by_admin_path(collection)?, None, None)),
        [collection, id] => Some((
            r.kind_by_admin_path(collection)?,
            None,
            Some(id.to_string()),
        )),
        [parent, pid, nested, rest @ ..] => {
            let parent = r.kind_by_admin_path(parent)?;
            let nesting = parent.children.iter().find(|n| {
                r.kind(n.kind)
                    .is_some_and(|k| k.nested_admin_path == *nested)
            })?;
            let kind = r.kind(nesting.kind)?;
            Some((
                kind,
                Some((nesting.foreign_field, pid.to_string())),
                rest.first().map(|s| s.to_string()),
            ))
        }
        _ => None,
    }
}

fn not_found() -> (StatusCode, Value) {
    (StatusCode::NOT_FOUND, json!({"message": "Not found"}))
}

fn route(
    store: &mut Store,
    method: &Method,
    path: &str,
    query: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let Some((kind, parent, id)) = resolve(path) else {
        return not_found();
    };
    // Kong disables the top-level /targets collection.
    if kind.name == "targets" && parent.is_none() {
        return not_found();
    }
    let params: BTreeMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    match (method.clone(), id) {
        (Method::GET, None) => list(store, kind, parent, &params),
        (Method::PUT, Some(id)) => write(store, kind, parent, Some(id), body.unwrap_or(json!({}))),
        (Method::POST, None) => write(store, kind, parent, None, body.unwrap_or(json!({}))),
        (Method::DELETE, Some(id)) => delete(store, kind, &id),
        (Method::GET, Some(id)) => match store
            .entities
            .get(kind.name)
            .and_then(|v| v.iter().find(|e| e["id"] == id.as_str()))
        {
            Some(e) => (StatusCode::OK, Value::Object(e.clone())),
            None => not_found(),
        },
        _ => (
            StatusCode::METHOD_NOT_ALLOWED,
            json!({"message": "Method not allowed"}),
        ),
    }
}

fn list(
    store: &Store,
    kind: &Kind,
    parent: Option<(&'static str, String)>,
    params: &BTreeMap<String, String>,
) -> (StatusCode, Value) {
    let size: usize = params
        .get("size")
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    if !(1..=1000).contains(&size) {
        return (
            StatusCode::BAD_REQUEST,
            json!({"code": 9, "name": "invalid size", "message": "size must be an integer between 1 and 1000"}),
        );
    }
    let offset: usize = params
        .get("offset")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let tags: Vec<String> = match (&parent, params.get("tags")) {
        (None, Some(t)) => t.split(',').map(str::to_string).collect(),
        _ => vec![],
    };
    let all: Vec<&Map<String, Value>> = store
        .entities
        .get(kind.name)
        .map(|v| v.iter().collect())
        .unwrap_or_default();
    let matching: Vec<&Map<String, Value>> = all
        .into_iter()
        .filter(|e| match &parent {
            Some((field, pid)) => e.get(*field).and_then(|r| r.get("id")) == Some(&json!(pid)),
            None => true,
        })
        .filter(|e| {
            let have: Vec<&str> = e
                .get("tags")
                .and_then(Value::as_array)
                .map(|t| t.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            tags.iter().all(|t| have.contains(&t.as_str()))
        })
        .collect();
    let page: Vec<Value> = matching
        .iter()
        .skip(offset)
        .take(size)
        .map(|e| Value::Object((*e).clone()))
        .collect();
    let mut answer = json!({"data": page, "next": null});
    if offset + size < matching.len() {
        answer["offset"] = json!((offset + size).to_string());
        answer["next"] = json!(format!("/{}?offset={}", kind.admin_path, offset + size));
    }
    (StatusCode::OK, answer)
}

fn write(
    store: &mut Store,
    kind: &'static Kind,
    parent: Option<(&'static str, String)>,
    id: Option<String>,
    body: Value,
) -> (StatusCode, Value) {
    let Value::Object(mut body) = body else {
        return (
            StatusCode::BAD_REQUEST,
            json!({"message": "expected an object"}),
        );
    };
    if let Some((field, pid)) = &parent {
        body.insert(field.to_string(), json!({ "id": pid }));
    }
    let id = id
        .or_else(|| body.get("id").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    body.insert("id".into(), json!(id));
    let tagged_fail = body
        .get("tags")
        .and_then(Value::as_array)
        .is_some_and(|t| t.iter().any(|v| v == "fail"));
    if tagged_fail {
        return (
            StatusCode::BAD_REQUEST,
            json!({"code": 2, "name": "schema violation",
                   "message": "schema violation (tags: the fake gateway refuses 'fail')",
                   "fields": {"tags": "the fake gateway refuses 'fail'"}}),
        );
    }
    let options = Options {
        fill_nulls: true,
        unknown_subschema: UnknownSubschema::Skip,
        ..Options::default()
    };
    let violations = process_entity(registry(), kind, &mut body, options);
    let violations: Vec<_> = violations
        .into_iter()
        .filter(|v| v.message != "required field missing" || v.path.len() > 1)
        .collect();
    if !violations.is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            json!({"code": 2, "name": "schema violation",
                   "message": gwctl::kinds::validate::kong_message(&violations),
                   "fields": gwctl::kinds::validate::kong_fields(&violations)}),
        );
    }
    // Foreign keys must exist.
    for f in registry().foreign_fields(kind) {
        if let Some(pid) = body
            .get(f.field)
            .and_then(|r| r.get("id"))
            .and_then(Value::as_str)
        {
            let exists = store
                .entities
                .get(f.kind)
                .is_some_and(|v| v.iter().any(|e| e["id"] == pid));
            if !exists {
                return (
                    StatusCode::BAD_REQUEST,
                    json!({"code": 4, "name": "foreign key violation",
                        "message": format!("the foreign key '{{id=\"{pid}\"}}' does not reference an existing '{}' entity.", f.kind),
                        "fields": {f.field: {"id": pid}}}),
                );
            }
        }
    }
    let entities = store.entities.entry(kind.name).or_default();
    // Unique natural keys (single-field identities).
    for field in kind.identity_fields() {
        let is_scalar = kind
            .schema
            .field(field)
            .is_some_and(|s| s.unique && s.ty != gwctl::kinds::schema::Type::Foreign);
        if !is_scalar {
            continue;
        }
        if let Some(v) = body.get(*field).filter(|v| !v.is_null())
            && entities
                .iter()
                .any(|e| e.get(*field) == Some(v) && e["id"] != id.as_str())
        {
            return (
                StatusCode::CONFLICT,
                json!({"code": 5, "name": "unique constraint violation",
                       "message": format!("UNIQUE violation detected on '{{{field}=\"{}\"}}'", v.as_str().unwrap_or(""))}),
            );
        }
    }
    store.revision += 1;
    let now = json!(1_700_000_000);
    match entities.iter_mut().find(|e| e["id"] == id.as_str()) {
        Some(existing) => {
            let created = existing.get("created_at").cloned().unwrap_or(now);
            body.insert("created_at".into(), created);
            *existing = body.clone();
            (StatusCode::OK, Value::Object(body))
        }
        None => {
            body.insert("created_at".into(), now);
            entities.push(body.clone());
            (StatusCode::CREATED, Value::Object(body))
        }
    }
}

fn delete(store: &mut Store, kind: &Kind, id: &str) -> (StatusCode, Value) {
    let r = registry();
    for (child, f) in r.referencing(kind.name) {
        let refs = |e: &Map<String, Value>| {
            e.get(f.field)
                .and_then(|v| v.get("id"))
                .and_then(Value::as_str)
                == Some(id)
        };
        let has = store
            .entities
            .get(child.name)
            .is_some_and(|v| v.iter().any(refs));
        if has && f.on_delete == gwctl::kinds::schema::OnDelete::Restrict {
            return (
                StatusCode::BAD_REQUEST,
                json!({"code": 4, "name": "foreign key violation",
                       "message": format!("an existing '{}' entity references this '{}' entity", child.name, kind.name),
                       "fields": {"@referenced_by": child.name}}),
            );
        }
    }
    for (child, f) in r.referencing(kind.name) {
        if let Some(v) = store.entities.get_mut(child.name) {
            v.retain(|e| {
                e.get(f.field)
                    .and_then(|v| v.get("id"))
                    .and_then(Value::as_str)
                    != Some(id)
            });
        }
    }
    if let Some(v) = store.entities.get_mut(kind.name) {
        let before = v.len();
        v.retain(|e| e["id"] != id);
        if v.len() != before {
            store.revision += 1;
        }
    }
    (StatusCode::NO_CONTENT, Value::Null)
}
