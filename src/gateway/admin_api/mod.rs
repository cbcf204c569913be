//! The Kong-compatible Admin API, generic over the kinds registry.
//!
//! One handler serves every path: it authenticates, matches the path against the generated
//! route table ([`routes`]), answers OPTIONS/HEAD/405 uniformly, and hands over to the
//! generic entity handlers ([`entities`]), the informational endpoints ([`info`]) or the batch
//! endpoint ([`batch`]). Every response carries the config revision as `ETag`.

// Handlers return `Result<_, Response>` so any step can answer early; a response is the error
// by design and is built once per request, so its size does not matter.
#![allow(clippy::result_large_err)]

mod batch;
mod body;
mod entities;
mod health;
mod info;
pub mod openapi;
mod respond;
pub mod routes;

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use futures_util::FutureExt;
use http::{HeaderValue, Method, header};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::gateway::proxy::health::HealthBook;
use crate::gateway::store::{Action, Committed, Op, Store, WriteError};
use routes::{Matched, Target};

pub use batch::{BatchOperation, BatchRequest};

/// The header carrying the admin token, as Kong Enterprise names it.
pub const TOKEN_HEADER: &str = "Kong-Admin-Token";

/// Default request body limit. A whole-configuration batch of 120,000 entities is about 60 MB
/// of JSON; the limit leaves room for that while still refusing absurd bodies (413).
pub const DEFAULT_BODY_LIMIT: usize = 128 * 1024 * 1024;

/// Settings of the Admin API.
#[derive(Debug, Clone)]
pub struct AdminOptions {
    /// When set, every request must carry it in `Kong-Admin-Token`.
    pub token: Option<String>,
    pub body_limit: usize,
    /// Shown in `GET /`'s configuration summary.
    pub admin_listen: String,
    pub database: String,
}

/// What every request handler shares.
pub struct AdminState {
    pub store: Arc<dyn Store>,
    /// SHA-256 of the token: comparing digests is constant-time whatever the lengths.
    token_digest: Option<[u8; 32]>,
    pub options: AdminOptions,
    pub node_id: String,
    pub started: Instant,
    pub requests: AtomicU64,
    /// Target health as the proxy's checks see it.
    pub health: Arc<HealthBook>,
}

impl AdminState {
    pub fn new(
        store: Arc<dyn Store>,
        options: AdminOptions,
        health: Arc<HealthBook>,
    ) -> Arc<AdminState> {
        Arc::new(AdminState {
            health,
            store,
            token_digest: options.token.as_deref().map(digest),
            options,
            node_id: uuid::Uuid::new_v4().to_string(),
            started: Instant::now(),
            requests: AtomicU64::new(0),
        })
    }

    /// Runs a write off the async executor (SQLite blocks).
    pub async fn write(&self, ops: Vec<Op>, expect: Option<u64>) -> Result<Committed, WriteError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.write(ops, expect))
            .await
            .unwrap_or_else(|_| Err(WriteError::Storage("the write task failed".into())))
    }

    fn authorized(&self, request: &Request) -> bool {
        let Some(expected) = &self.token_digest else {
            return true;
        };
        let given = request
            .headers()
            .get(TOKEN_HEADER)
            .map(|v| digest_bytes(v.as_bytes()))
            .unwrap_or([0; 32]);
        bool::from(given.ct_eq(expected)) && request.headers().contains_key(TOKEN_HEADER)
    }
}

fn digest(text: &str) -> [u8; 32] {
    digest_bytes(text.as_bytes())
}

fn digest_bytes(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// The Admin API as an axum router.
pub fn router(state: Arc<AdminState>) -> Router {
    Router::new().fallback(handle).with_state(state)
}

/// One request being served.
pub struct Ctx {
    pub state: Arc<AdminState>,
    pub method: Method,
    /// The request path without a trailing slash (used in `next` links).
    pub path: String,
    pub query: Vec<(String, String)>,
    pub matched: Matched,
    /// `If-Match`: the revision a write is conditional on.
    pub expect: Option<u64>,
}

async fn handle(State(state): State<Arc<AdminState>>, request: Request) -> Response {
    let method = request.method().clone();
    let started = Instant::now();
    // Kong's `cors_filter` (kong/api/api_helpers.lua): the request's `Origin` is echoed (`*`
    // without one), and a preflight's requested headers are allowed as asked.
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .cloned()
        .unwrap_or(HeaderValue::from_static("*"));
    let preflight_headers = request
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .filter(|_| method == Method::OPTIONS)
        .cloned();
    let outcome = AssertUnwindSafe(dispatch(state.clone(), request))
        .catch_unwind()
        .await;
    let (mut response, route) = outcome.unwrap_or_else(|_| {
        tracing::error!("an Admin API handler panicked; answered 500");
        (respond::internal(), "?")
    });
    // Log the route template, never the concrete path: paths can hold credentials.
    tracing::info!(
        method = %method,
        route,
        status = response.status().as_u16(),
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "admin request"
    );
    let headers = response.headers_mut();
    if !headers.contains_key(header::ETAG) {
        headers.insert(header::ETAG, respond::etag(state.store.revision()));
    }
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    if let Some(requested) = preflight_headers {
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested);
    }
    // Kong sends its Admin API latency (whole milliseconds) by default (`latency_tokens`).
    headers.insert(
        "x-kong-admin-latency",
        HeaderValue::from(started.elapsed().as_millis() as u64),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
    headers.insert(
        header::SERVER,
        HeaderValue::from_static(concat!("gwctl/", env!("CARGO_PKG_VERSION"))),
    );
    if method == Method::HEAD {
        *response.body_mut() = Body::empty();
    }
    response
}

async fn dispatch(state: Arc<AdminState>, request: Request) -> (Response, &'static str) {
    state.requests.fetch_add(1, Ordering::Relaxed);
    if !state.authorized(&request) {
        return (
            respond::message(401, format!("Missing or invalid {TOKEN_HEADER} header")),
            "-",
        );
    }
    let Some(segments) = routes::segments(request.uri().path()) else {
        return (respond::not_found(), "-");
    };
    let candidates = routes::matching(&segments);
    if candidates.is_empty() {
        return (respond::not_found(), "-");
    }
    let method = request.method().clone();
    if method == Method::OPTIONS {
        return (options(&candidates), candidates[0].template.path.as_str());
    }
    let wanted = if method == Method::HEAD {
        Method::GET
    } else {
        method.clone()
    };
    let Some(matched) = candidates
        .into_iter()
        .find(|m| m.template.methods.contains(&wanted))
    else {
        return (respond::message(405, "Method not allowed"), "-");
    };
    let route = matched.template.path.as_str();
    let writes = wanted != Method::GET;
    let has_body = matches!(wanted, Method::POST | Method::PUT | Method::PATCH);
    let expect = match request.headers().get(header::IF_MATCH) {
        Some(value) if writes => match respond::if_match(value) {
            Ok(expect) => expect,
            Err(response) => return (response, route),
        },
        _ => None,
    };
    let (parts, body) = request.into_parts();
    let body = if has_body {
        let bytes = match body::read_bytes(body, state.options.body_limit).await {
            Ok(bytes) => bytes,
            Err(response) => return (response, route),
        };
        // The batch parses its own body; the others ignore theirs, whatever it is.
        if matches!(
            matched.template.target,
            Target::Batch | Target::Config | Target::SetTargetHealth { .. }
        ) {
            Some(Err(bytes))
        } else {
            match body::parse(&parts.headers, &bytes).await {
                Ok(parsed) => Some(Ok(parsed)),
                Err(response) => return (response, route),
            }
        }
    } else {
        None
    };
    let query = parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let path = format!("/{}", parts.uri.path().trim_matches('/'));
    let ctx = Ctx {
        state,
        method: wanted,
        path,
        query,
        matched,
        expect,
    };
    (serve(&ctx, body, &parts.headers).await, route)
}

/// Answers OPTIONS for every template matching the path.
fn options(candidates: &[Matched]) -> Response {
    let mut methods: Vec<&str> = vec!["HEAD", "OPTIONS"];
    for m in candidates {
        for method in m.template.methods {
            if !methods.contains(&method.as_str()) {
                methods.push(method.as_str());
            }
        }
    }
    methods.sort_unstable();
    let allow =
        HeaderValue::from_str(&methods.join(", ")).unwrap_or(HeaderValue::from_static("GET"));
    let mut response = respond::no_content();
    let headers = response.headers_mut();
    headers.insert(header::ALLOW, allow.clone());
    headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, allow);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Content-Type"),
    );
    response
}

type RawBody = Option<Result<body::Parsed, bytes::Bytes>>;

async fn serve(ctx: &Ctx, body: RawBody, headers: &http::HeaderMap) -> Response {
    let parsed = |body: RawBody| match body {
        Some(Ok(parsed)) => parsed,
        _ => body::Parsed {
            fields: Default::default(),
            form: false,
        },
    };
    match ctx.matched.template.target {
        Target::Root => info::root(ctx),
        Target::Status => info::status(ctx),
        Target::Endpoints => info::endpoints(),
        Target::PluginsEnabled => info::plugins_enabled(),
        Target::Tags => info::tags(ctx, None),
        Target::Tag => info::tags(ctx, Some(&ctx.matched.params[0])),
        Target::Schema => info::schema(&ctx.matched.params[0]),
        Target::PluginSchema => info::plugin_schema(&ctx.matched.params[0]),
        Target::SchemaValidate => info::validate(&ctx.matched.params[0], parsed(body)),
        Target::UpstreamHealth => health::report(ctx),
        Target::SetTargetHealth { healthy } => health::set(ctx, healthy),
        Target::Config => respond::message(
            400,
            "this endpoint is only available when Kong is configured to not use a database \
             (gwctl serve keeps its configuration in a database: change it with gwctl sync, \
             POST /batch or the entity endpoints)",
        ),
        Target::Batch => match body {
            Some(Err(bytes)) => batch::handle(ctx, headers, &bytes).await,
            _ => respond::message(400, "Cannot parse JSON body"),
        },
        Target::Collection { kind, parent } => match ctx.method {
            Method::POST => {
                entities::write(ctx, kind, parent, Action::Upsert, false, parsed(body)).await
            }
            _ => entities::list(ctx, kind, parent),
        },
        Target::Entity { kind, parent } => match ctx.method {
            Method::PUT => {
                entities::write(ctx, kind, parent, Action::Upsert, true, parsed(body)).await
            }
            Method::PATCH => {
                entities::write(ctx, kind, parent, Action::Update, true, parsed(body)).await
            }
            Method::DELETE => {
                entities::write(ctx, kind, parent, Action::Delete, true, parsed(body)).await
            }
            _ => entities::get(ctx, kind, parent),
        },
        Target::Referenced {
            kind,
            field,
            target,
        } => {
            let body = (ctx.method != Method::GET).then(|| parsed(body));
            entities::referenced(ctx, kind, field, target, body).await
        }
    }
}
