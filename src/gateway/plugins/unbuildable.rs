//! What runs in place of a plugin instance whose configuration could not be made into a
//! runtime. The schema is meant to refuse every such configuration first, but when one gets
//! through, leaving the instance out would fail open: a key-auth, jwt, acl or rate-limiting
//! plugin that is silently missing lets every request through. So the requests it applies to
//! are refused instead, with nginx's 500 (what Kong answers when a plugin raises an error),
//! and the reason is in the gateway's log, never in the answer.

use async_trait::async_trait;
use http::StatusCode;

use super::{Ctx, Flow, PluginRuntime};
use crate::gateway::proxy::error_body::nginx_error;

pub struct Unbuildable;

#[async_trait]
impl PluginRuntime for Unbuildable {
    async fn access(&self, ctx: &mut Ctx) -> Flow {
        Flow::Respond(nginx_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &ctx.request_id,
            &ctx.request,
        ))
    }
}
