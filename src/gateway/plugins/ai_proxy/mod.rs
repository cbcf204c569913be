//! ai-proxy's runtime: turns a route into an LLM endpoint that speaks OpenAI's chat format,
//! whichever provider (openai, anthropic, azure, mistral) serves it. The provider key is
//! configured here, in the gateway, and never reaches the client.
//!
//! `access` checks the client's OpenAI request, merges the configured options, translates it
//! for the provider, aims the request at the provider and injects the key; `response`
//! translates the answer (or the SSE stream, event by event) back; `log` adds provider, model
//! and token usage to the access log. Translation is in pure functions beside this file.

mod anthropic_request;
mod anthropic_response;
mod anthropic_stream;
mod auth;
mod completions;
mod config;
mod errors;
mod ids;
mod openai_response;
mod openai_stream;
mod request;
mod response;
mod sse;
mod stream;
mod upstream;
mod usage;

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use serde_json::{Map, Value};

use self::auth::AuthInjector;
use self::config::{AiConfig, Provider, RouteType};
use self::errors::AiError;
use self::upstream::Endpoint;
use self::usage::{Exchange, ExchangeSlot, Pricing};
use super::{Body, Ctx, Flow, PluginRuntime};

pub use self::anthropic_request::to_anthropic;
pub use self::anthropic_response::{finish_reason, to_openai as anthropic_to_openai};
pub use self::anthropic_stream::AnthropicEvents;
pub use self::openai_stream::OpenAiEvents;
pub use self::sse::{SseEvent, SseParser};
pub use self::stream::{Emit, EventTranslator, SseTranslator};
pub use self::usage::Usage;

/// Anthropic's API version when the config has none (the schema normally requires one).
const DEFAULT_ANTHROPIC_VERSION: &str = "2023-06-01";

/// Builds the ai-proxy runtime from its validated, defaulted `config`.
pub fn new(config: &Value) -> Result<Arc<dyn PluginRuntime>, String> {
    Ok(Arc::new(AiProxy::from_config(config)?))
}

/// One configured ai-proxy instance.
pub struct AiProxy {
    cfg: AiConfig,
    endpoint: Endpoint,
    auth: AuthInjector,
    anthropic_version: HeaderValue,
    /// The configured keys, scrubbed from error bodies sent back to the client.
    secrets: Vec<String>,
}

impl AiProxy {
    pub fn from_config(config: &Value) -> Result<AiProxy, String> {
        let cfg = AiConfig::from_value(config)?;
        let endpoint = upstream::endpoint(&cfg)?;
        let auth = AuthInjector::new(&cfg.auth)?;
        let version = cfg
            .model
            .options
            .anthropic_version
            .as_deref()
            .unwrap_or(DEFAULT_ANTHROPIC_VERSION);
        let anthropic_version = HeaderValue::try_from(version).map_err(|_| {
            format!("ai-proxy: anthropic_version '{version}' is not a valid header value")
        })?;
        let secrets = cfg.secrets();
        Ok(AiProxy {
            cfg,
            endpoint,
            auth,
            anthropic_version,
            secrets,
        })
    }

    fn provider(&self) -> Provider {
        self.cfg.model.provider
    }

    /// Completions served through the provider's chat API (Anthropic, Mistral).
    fn completions_via_chat(&self) -> bool {
        self.cfg.route_type == RouteType::Completions
            && matches!(self.provider(), Provider::Anthropic | Provider::Mistral)
    }

    /// Replaces every configured key in `bytes` with `[masked]`.
    fn scrub(&self, bytes: Bytes) -> Bytes {
        let mut text: Option<String> = None;
        for secret in &self.secrets {
            let current = text.as_deref().map(str::as_bytes).unwrap_or(&bytes);
            if memfind(current, secret.as_bytes()) {
                let replaced =
                    String::from_utf8_lossy(current).replace(secret.as_str(), "[masked]");
                text = Some(replaced);
            }
        }
        text.map(Bytes::from).unwrap_or(bytes)
    }

    /// The request body the provider gets, from the checked OpenAI request (taken, so the
    /// pass-through providers need no copy).
    fn provider_body(&self, prepared: &mut request::Prepared) -> Map<String, Value> {
        let mut body = match self.provider() {
            Provider::Anthropic => to_anthropic(&prepared.body),
            Provider::Mistral if self.completions_via_chat() => {
                let mut body = std::mem::take(&mut prepared.body);
                if let Some(prompt) = body.remove("prompt") {
                    let message = serde_json::json!({"role": "user", "content": prompt});
                    body.insert("messages".into(), Value::Array(vec![message]));
                }
                body
            }
            _ => {
                let mut body = std::mem::take(&mut prepared.body);
                // Ask OpenAI-format providers for stream usage so the access log can count
                // tokens; the extra chunk is dropped again unless the client asked for it.
                if prepared.stream
                    && self.cfg.logging.log_statistics
                    && !prepared.client_wants_usage
                    && self.provider() != Provider::Mistral
                {
                    body.insert(
                        "stream_options".into(),
                        serde_json::json!({"include_usage": true}),
                    );
                }
                body
            }
        };
        self.auth.apply_body(&mut body);
        body
    }

    async fn access_translated(&self, ctx: &mut Ctx) -> Result<ExchangeSlot, AiError> {
        let raw = ctx
            .read_body(self.cfg.max_request_body_size)
            .await
            .map_err(|_| self.body_too_large())?;
        let mut prepared = request::prepare(&self.cfg, &raw)?;
        let body = Bytes::from(Value::Object(self.provider_body(&mut prepared)).to_string());
        let headers = &mut ctx.request.headers;
        // The new body has a known length; a client's chunked framing no longer applies.
        headers.remove(header::TRANSFER_ENCODING);
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if self.provider() == Provider::Anthropic {
            headers.insert("anthropic-version", self.anthropic_version.clone());
        }
        ctx.set_body(body);
        Ok(ExchangeSlot::new(Exchange {
            provider: self.provider().name(),
            request_model: prepared.model,
            client_wants_usage: prepared.client_wants_usage,
            payloads: self
                .cfg
                .logging
                .log_payloads
                .then(|| (usage::payload_text(&raw), None)),
            ..Exchange::default()
        }))
    }

    /// A preserve route forwards the body untouched, but a configured `model.name` still pins
    /// the model, as in Kong (its model check runs for every route type): a JSON body asking
    /// for another model gets the same 400 as on a chat route. Without a configured name the
    /// body is not read, so it streams through. A body too large to check is refused rather
    /// than let through unchecked. Multipart uploads (audio, files) stream through unchecked,
    /// as Kong proxies them directly; another non-JSON body has no `model` to check.
    async fn check_preserved_model(&self, ctx: &mut Ctx) -> Result<(), AiError> {
        let Some(configured) = self.cfg.model.name.as_deref() else {
            return Ok(());
        };
        let multipart = ctx
            .request
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().starts_with("multipart/form-data"));
        if multipart {
            return Ok(());
        }
        let raw = ctx
            .read_body(self.cfg.max_request_body_size)
            .await
            .map_err(|_| self.body_too_large())?;
        let asked = serde_json::from_slice::<Value>(&raw).ok().and_then(|body| {
            body.get("model")
                .and_then(Value::as_str)
                .filter(|m| !m.is_empty())
                .map(str::to_string)
        });
        match asked {
            Some(asked) if asked != configured => Err(AiError::bad_request(format!(
                "cannot use own model - must be: {configured}"
            ))),
            _ => Ok(()),
        }
    }

    fn body_too_large(&self) -> AiError {
        AiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "request body is larger than max_request_body_size ({} bytes); \
                 raise it in the ai-proxy config",
                self.cfg.max_request_body_size
            ),
        )
    }

    /// Aims the request at the provider with the key on it.
    fn aim(&self, ctx: &mut Ctx) {
        let client_query = ctx.request.uri.query().map(str::to_string);
        // The service's path (the route's stripped, as the proxy computed it) or else the
        // client's; its query is the client's, added back by `target_for`.
        let client_path = ctx
            .upstream
            .as_ref()
            .map(|u| u.path_and_query.as_str())
            .map(|p| p.split_once('?').map_or(p, |(path, _)| path).to_string())
            .unwrap_or_else(|| ctx.request.uri.path().to_string());
        let mut target = upstream::target_for(
            &self.endpoint,
            self.cfg.route_type,
            &client_path,
            client_query.as_deref(),
        );
        self.auth
            .apply_query(&mut target.path_and_query, client_query.as_deref());
        self.auth.apply_header(&mut ctx.request.headers);
        // The gateway must read the answer: ask for it uncompressed.
        ctx.request.headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("identity"),
        );
        ctx.upstream = Some(target);
    }
}

/// Whether `needle` occurs in `haystack`.
fn memfind(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

#[async_trait]
impl PluginRuntime for AiProxy {
    async fn access(&self, ctx: &mut Ctx) -> Flow {
        let slot = if self.cfg.route_type == RouteType::Preserve {
            if let Err(error) = self.check_preserved_model(ctx).await {
                return Flow::Respond(error.into_response());
            }
            if self.provider() == Provider::Anthropic
                && !ctx.request.headers.contains_key("anthropic-version")
            {
                let version = self.anthropic_version.clone();
                ctx.request.headers.insert("anthropic-version", version);
            }
            ExchangeSlot::new(Exchange {
                provider: self.provider().name(),
                request_model: self.cfg.model.name.clone().unwrap_or_default(),
                ..Exchange::default()
            })
        } else {
            match self.access_translated(ctx).await {
                Ok(slot) => slot,
                Err(error) => return Flow::Respond(error.into_response()),
            }
        };
        self.aim(ctx);
        slot.update(|e| e.forwarded_at = Some(Instant::now()));
        ctx.extensions.insert(slot);
        Flow::Continue
    }

    async fn response(&self, ctx: &mut Ctx, response: Response<Body>) -> Response<Body> {
        // No slot: `access` answered the client itself (a 400), nothing to translate.
        match ctx.extensions.get::<ExchangeSlot>().cloned() {
            Some(slot) => {
                let kong_debug = ctx.request.headers.contains_key("kong-debug");
                response::translate(self, &slot, response, kong_debug).await
            }
            None => response,
        }
    }

    fn log(&self, ctx: &Ctx, entry: &mut Map<String, Value>) {
        let Some(slot) = ctx.extensions.get::<ExchangeSlot>() else {
            return;
        };
        let pricing = Pricing {
            input: self.cfg.model.options.input_cost,
            output: self.cfg.model.options.output_cost,
        };
        let fields = usage::log_fields(&slot.snapshot(), self.cfg.logging.log_statistics, pricing);
        entry.insert("ai".into(), fields);
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    use serde_json::Value;

    /// Deep-merges `extra` into `base` (objects merge, everything else replaces).
    pub fn merge(base: &mut Value, extra: Value) {
        match (base, extra) {
            (Value::Object(base), Value::Object(extra)) => {
                for (key, value) in extra {
                    merge(base.entry(key).or_insert(Value::Null), value);
                }
            }
            (base, extra) => *base = extra,
        }
    }
}
