//! Kong's `request_buffering` (a route flag, on by default): nginx reads a request's whole
//! body before sending it upstream, so the upstream gets a `Content-Length` even when the
//! client sent the body chunked (or, over HTTP/2, with no length at all). Some upstreams take
//! no chunked request body, so behind Kong they work and behind a streaming proxy they would
//! not. gwctl reads such a body whole up to [`LIMIT`], in memory; a longer one goes on
//! streaming, chunked, from where the read stopped (nginx would go on buffering to a file). A
//! body that announces its length is streamed as it comes, as before: the upstream learns its
//! length either way.

use http::Response;
use http::header::CONTENT_LENGTH;
use hyper::body::Body as _;

use super::error_body::body_not_received;
use crate::gateway::plugins::{Body, Ctx};

/// The longest body of unknown length read whole before forwarding.
pub const LIMIT: usize = 1 << 20;

/// Reads the request's body whole when the route buffers requests and the client did not say
/// how long the body is. `Some` is the answer for a client that stopped sending it (nginx's
/// 408, or 400 for a broken body), which also closes the connection.
pub async fn read_unsized_body(ctx: &mut Ctx, route_buffers: bool) -> Option<Response<Body>> {
    // Most requests have no body, which `is_end_stream` says without a header lookup.
    let unsized_body = route_buffers
        && ctx.body_bytes.is_none()
        && ctx.body.as_ref().is_some_and(|body| !body.is_end_stream())
        && !ctx.request.headers.contains_key(CONTENT_LENGTH);
    if !unsized_body {
        return None;
    }
    // Longer than the limit: what was read is put back in front of the rest, to be streamed.
    let _ = ctx.read_body(LIMIT).await;
    let status = ctx.take_body_failure()?;
    Some(body_not_received(ctx, status))
}
