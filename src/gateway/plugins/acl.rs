//! acl: lets a request through only when the consumer's groups allow it (Kong priority 950).

use async_trait::async_trait;
use http::{HeaderValue, StatusCode};
use serde::Deserialize;
use serde_json::Value;

use super::{Ctx, Flow, PluginRuntime, parse_config};

#[derive(Debug, Deserialize)]
struct Config {
    allow: Option<Vec<String>>,
    deny: Option<Vec<String>>,
    #[serde(default)]
    hide_groups_header: bool,
}

pub struct Acl {
    /// `true`: the groups are an allow list; `false`: a deny list.
    allow_list: bool,
    groups: Vec<String>,
    hide_groups_header: bool,
}

impl Acl {
    pub fn new(config: &Value) -> Result<Acl, String> {
        let c: Config = parse_config("acl", config)?;
        let (allow_list, groups) = match (c.allow, c.deny) {
            (Some(allow), None) => (true, allow),
            (None, Some(deny)) => (false, deny),
            _ => return Err("exactly one of 'allow' and 'deny' must be set".into()),
        };
        Ok(Acl {
            allow_list,
            groups,
            hide_groups_header: c.hide_groups_header,
        })
    }
}

#[async_trait]
impl PluginRuntime for Acl {
    async fn access(&self, ctx: &mut Ctx) -> Flow {
        let Some(consumer) = &ctx.consumer else {
            return Flow::Respond(ctx.error_response(StatusCode::UNAUTHORIZED, "Unauthorized"));
        };
        let member = ctx.consumer_groups.iter().any(|g| self.groups.contains(g));
        if member != self.allow_list {
            // Kong: an allow list facing a consumer with no groups at all that no credential
            // identified (the `anonymous` fallback) asks for authentication rather than
            // forbidding, so the client learns that a key would help.
            let unauthenticated = self.allow_list
                && ctx.consumer_groups.is_empty()
                && consumer.credential_id.is_none();
            return Flow::Respond(if unauthenticated {
                ctx.error_response(StatusCode::UNAUTHORIZED, "Unauthorized")
            } else {
                ctx.error_response(StatusCode::FORBIDDEN, "You cannot consume this service")
            });
        }
        let header = "x-consumer-groups";
        if self.hide_groups_header || ctx.consumer_groups.is_empty() {
            ctx.request.headers.remove(header);
        } else if let Ok(v) = HeaderValue::from_str(&ctx.consumer_groups.join(", ")) {
            ctx.request.headers.insert(header, v);
        }
        Flow::Continue
    }
}
