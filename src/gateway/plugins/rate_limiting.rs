//! rate-limiting with the `local` policy: counts requests per identifier in windows from a
//! second to a year and answers 429 past the limit (Kong priority 910).
//!
//! `cluster` and `redis` policies are accepted by the schema but count locally here (one node
//! is all the bundled gateway has); this is documented in the README.

use std::sync::Arc;

use async_trait::async_trait;
use http::{HeaderName, HeaderValue, StatusCode};
use serde::Deserialize;
use serde_json::Value;

use super::{Ctx, Flow, PluginRuntime, parse_config};
use crate::gateway::proxy::error_body::nginx_error;
use crate::gateway::proxy::path::normalize;
use crate::gateway::proxy::rate_counters::{RateCounters, Window, WindowUsage};

#[derive(Debug, Deserialize)]
struct Config {
    second: Option<f64>,
    minute: Option<f64>,
    hour: Option<f64>,
    day: Option<f64>,
    month: Option<f64>,
    year: Option<f64>,
    #[serde(default = "consumer")]
    limit_by: String,
    header_name: Option<String>,
    path: Option<String>,
    #[serde(default)]
    hide_client_headers: bool,
    error_code: Option<f64>,
    error_message: Option<String>,
}

fn consumer() -> String {
    "consumer".into()
}

enum LimitBy {
    Consumer,
    Credential,
    Ip,
    Service,
    Header(HeaderName),
    Path(String),
}

pub struct RateLimiting {
    instance: String,
    counters: Arc<RateCounters>,
    limits: Vec<(Window, u64)>,
    limit_by: LimitBy,
    hide_client_headers: bool,
    /// None when the configured code is not one `kong.response.error` sends (400–599).
    error_code: Option<StatusCode>,
    error_message: String,
}

impl RateLimiting {
    pub fn new(
        config: &Value,
        instance: &str,
        counters: &Arc<RateCounters>,
    ) -> Result<RateLimiting, String> {
        let c: Config = parse_config("rate-limiting", config)?;
        let limits: Vec<(Window, u64)> = [c.second, c.minute, c.hour, c.day, c.month, c.year]
            .into_iter()
            .zip(Window::ALL)
            // Kong lets a request through while `limit - used > 0`, so a limit of 1.5 admits 2
            // and 0.5 admits 1: the whole number of requests allowed is the ceiling.
            .filter_map(|(limit, window)| limit.map(|l| (window, l.max(0.0).ceil() as u64)))
            .collect();
        if limits.is_empty() {
            return Err(
                "rate-limiting: at least one of second, minute, hour, day, month, year is required"
                    .into(),
            );
        }
        let limit_by = match c.limit_by.as_str() {
            "consumer" => LimitBy::Consumer,
            "credential" => LimitBy::Credential,
            "ip" => LimitBy::Ip,
            "service" => LimitBy::Service,
            "header" => {
                let name = c
                    .header_name
                    .ok_or("rate-limiting: limit_by header needs header_name")?;
                LimitBy::Header(
                    HeaderName::from_bytes(name.as_bytes())
                        .map_err(|_| format!("rate-limiting: invalid header_name {name:?}"))?,
                )
            }
            "path" => LimitBy::Path(c.path.ok_or("rate-limiting: limit_by path needs path")?),
            other => return Err(format!("rate-limiting: unknown limit_by {other:?}")),
        };
        // Kong's schema takes any `error_code` above 0, and `kong.response.error` raises for one
        // outside 400–599, so the refused request gets a 500 instead. Such a plugin must still
        // count and refuse: left out, it would let unlimited traffic through.
        let code = c.error_code.unwrap_or(429.0);
        let error_code = if (400.0..=599.0).contains(&code) {
            StatusCode::from_u16(code as u16).ok()
        } else {
            None
        };
        Ok(RateLimiting {
            instance: instance.to_string(),
            counters: counters.clone(),
            limits,
            limit_by,
            hide_client_headers: c.hide_client_headers,
            error_code,
            error_message: c
                .error_message
                .unwrap_or_else(|| "API rate limit exceeded".into()),
        })
    }

    /// Kong's `get_identifier`: the chosen entity, else the client IP.
    fn identifier(&self, ctx: &Ctx) -> String {
        let chosen = match &self.limit_by {
            LimitBy::Consumer => ctx
                .consumer
                .as_ref()
                .map(|c| c.id.clone())
                .or_else(|| ctx.consumer.as_ref().and_then(|c| c.credential_id.clone())),
            LimitBy::Credential => ctx.consumer.as_ref().and_then(|c| c.credential_id.clone()),
            LimitBy::Ip => None,
            LimitBy::Service => ctx.service.as_ref().map(|s| s.id.to_string()),
            LimitBy::Header(name) => ctx
                .request
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            // Kong compares the normalised path (`kong.request.get_path`): `//hot` or
            // `/h%6Ft` must not escape the path's shared counter into a per-IP one.
            LimitBy::Path(path) => {
                (normalize(ctx.request.uri.path()) == path.as_str()).then(|| path.clone())
            }
        };
        chosen.unwrap_or_else(|| ctx.client_ip())
    }
}

/// Kong's headers: per-window `X-RateLimit-*`, and `RateLimit-*` for the most restrictive
/// window (fewest remaining; on a tie, the longer window).
fn add_headers(ctx: &mut Ctx, usage: &[WindowUsage], allowed: bool) -> Option<i64> {
    let mut chosen: Option<(u64, u64, Window, i64)> = None;
    for u in usage {
        let exceeded = u.used_before >= u.limit;
        let mut remaining = u.limit.saturating_sub(u.used_before);
        // This request counts against every window, or only the one that stopped it.
        if allowed || exceeded {
            remaining = remaining.saturating_sub(1);
        }
        let better = match chosen {
            None => true,
            Some((_, r, w, _)) => remaining < r || (remaining == r && u.window as u8 > w as u8),
        };
        if better {
            chosen = Some((u.limit, remaining, u.window, u.reset));
        }
        let h = &mut ctx.response_headers;
        let title = u.window.title();
        if let (Ok(limit_name), Ok(rem_name)) = (
            HeaderName::from_bytes(
                format!("x-ratelimit-limit-{}", title.to_ascii_lowercase()).as_bytes(),
            ),
            HeaderName::from_bytes(
                format!("x-ratelimit-remaining-{}", title.to_ascii_lowercase()).as_bytes(),
            ),
        ) {
            h.insert(limit_name, HeaderValue::from(u.limit));
            h.insert(rem_name, HeaderValue::from(remaining));
        }
    }
    let (limit, remaining, _, reset) = chosen?;
    let h = &mut ctx.response_headers;
    h.insert("ratelimit-limit", HeaderValue::from(limit));
    h.insert("ratelimit-remaining", HeaderValue::from(remaining));
    h.insert("ratelimit-reset", HeaderValue::from(reset));
    Some(reset)
}

#[async_trait]
impl PluginRuntime for RateLimiting {
    async fn access(&self, ctx: &mut Ctx) -> Flow {
        let identifier = self.identifier(ctx);
        let (allowed, usage) = self.counters.hit(
            &self.instance,
            &identifier,
            &self.limits,
            RateCounters::now(),
        );
        // Kong sends no `Retry-After` either when client headers are hidden.
        let reset = if self.hide_client_headers {
            None
        } else {
            add_headers(ctx, &usage, allowed)
        };
        if allowed {
            return Flow::Continue;
        }
        let mut response = match self.error_code {
            Some(code) => ctx.error_response(code, &self.error_message),
            // `kong.response.error` raises for a status outside 400–599: nginx's 500.
            None => nginx_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                &ctx.request_id,
                &ctx.request,
            ),
        };
        if let Some(reset) = reset {
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, HeaderValue::from(reset));
        }
        Flow::Respond(response)
    }
}
