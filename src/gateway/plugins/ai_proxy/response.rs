//! The `response` hook's work: provider answers back into OpenAI's format (whole JSON bodies
//! or SSE streams), upstream errors passed on in a shape OpenAI clients parse, the model
//! header set, and nothing of the provider key left in what the client gets.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};

use super::AiProxy;
use super::anthropic_response;
use super::anthropic_stream::AnthropicEvents;
use super::completions::chat_to_text_completion;
use super::config::{Provider, RouteType};
use super::errors::{AiError, json_response};
use super::openai_response;
use super::openai_stream::OpenAiEvents;
use super::stream::{EventTranslator, SseTranslator, TranslatedBody};
use super::usage::{Exchange, ExchangeSlot};
use crate::gateway::plugins::Body;
use crate::gateway::proxy::error_body::GatewayError;

/// Largest error body read from a provider (they are small JSON documents).
const ERROR_BODY_LIMIT: usize = 1 << 20;
/// Largest non-streamed answer read from a provider.
const ANSWER_LIMIT: usize = 64 << 20;
/// Provider response headers naming the account that owns the key.
const ACCOUNT_HEADERS: [&str; 3] = [
    "openai-organization",
    "openai-project",
    "anthropic-organization-id",
];
/// How much of a non-JSON error body is quoted to the client.
const ERROR_SNIPPET: usize = 512;

/// `kong_debug`: the client sent Kong's `Kong-Debug` header, which asks for the model header
/// even when `model_name_header` is off.
pub async fn translate(
    plugin: &AiProxy,
    slot: &ExchangeSlot,
    response: Response<Body>,
    kong_debug: bool,
) -> Response<Body> {
    let exchange = slot.snapshot();
    if let Some(at) = exchange.forwarded_at {
        slot.update(|e| e.llm_latency = Some(at.elapsed()));
    }
    let mut response = if plugin.cfg.route_type == RouteType::Preserve {
        response
    } else if response.status() != StatusCode::OK {
        upstream_error(plugin, response).await
    } else if is_event_stream(&response) {
        translate_stream(plugin, &exchange, slot, response)
    } else {
        translate_json(plugin, &exchange, slot, response).await
    };
    let headers = response.headers_mut();
    // No model known (a preserve route without `model.name`): no `openai/` half header.
    if (plugin.cfg.model_name_header || kong_debug)
        && !exchange.request_model.is_empty()
        && let Ok(value) = HeaderValue::try_from(format!(
            "{}/{}",
            plugin.provider().name(),
            exchange.request_model
        ))
    {
        headers.insert("x-kong-llm-model", value);
    }
    // As Kong's drivers do: provider cookies are not the client's business.
    if plugin.provider() != Provider::Anthropic {
        headers.remove(header::SET_COOKIE);
    }
    // Nor is the account behind the gateway's key (Kong passes these on).
    for name in ACCOUNT_HEADERS {
        headers.remove(name);
    }
    response
}

fn is_event_stream(response: &Response<Body>) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("text/event-stream"))
}

fn translate_stream(
    plugin: &AiProxy,
    exchange: &Exchange,
    slot: &ExchangeSlot,
    response: Response<Body>,
) -> Response<Body> {
    let via_chat = plugin.completions_via_chat();
    let events: Box<dyn EventTranslator> = match plugin.provider() {
        Provider::Anthropic => {
            let events = AnthropicEvents::new(&exchange.request_model, exchange.client_wants_usage);
            Box::new(if via_chat {
                events.without_fast_text()
            } else {
                events
            })
        }
        _ => Box::new(OpenAiEvents::new(!exchange.client_wants_usage, via_chat)),
    };
    let translator = SseTranslator::new(events, via_chat);
    let (mut parts, body) = response.into_parts();
    let body = TranslatedBody::new(body, translator, slot.clone()).boxed();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_ENCODING);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    parts
        .headers
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Response::from_parts(parts, body)
}

async fn translate_json(
    plugin: &AiProxy,
    exchange: &Exchange,
    slot: &ExchangeSlot,
    response: Response<Body>,
) -> Response<Body> {
    let (parts, body) = response.into_parts();
    let bytes = match read(body, ANSWER_LIMIT).await {
        Ok(bytes) => bytes,
        Err(message) => return bad_gateway(plugin, &message),
    };
    let (object, route_type) = if plugin.cfg.route_type == RouteType::Completions {
        ("text_completion", "llm/v1/completions")
    } else {
        ("chat.completion", "llm/v1/chat")
    };
    let (body, usage, model) = if plugin.provider() == Provider::Anthropic {
        let answer: Value = match serde_json::from_slice(&bytes) {
            Ok(answer) => answer,
            Err(_) => {
                return bad_gateway(
                    plugin,
                    &format!(
                        "transformation failed from type anthropic://{route_type}: \
                         failed to decode anthropic response"
                    ),
                );
            }
        };
        match anthropic_response::to_openai(&answer, &exchange.request_model) {
            Ok((chat, usage)) => {
                let model = chat["model"].as_str().map(str::to_string);
                let out = if plugin.completions_via_chat() {
                    chat_to_text_completion(&chat)
                } else {
                    chat
                };
                (Bytes::from(out.to_string()), usage, model)
            }
            Err(message) => return bad_gateway(plugin, &message),
        }
    } else {
        let normalized = match openai_response::normalize(bytes, object, route_type) {
            Ok(normalized) => normalized,
            // Kong's message; a 502 as for Anthropic answers that cannot be translated.
            Err(message) => {
                return bad_gateway(
                    plugin,
                    &format!(
                        "transformation failed from type {}://{route_type}: {message}",
                        plugin.provider().name()
                    ),
                );
            }
        };
        let body = if plugin.completions_via_chat() {
            match serde_json::from_slice::<Value>(&normalized.body) {
                Ok(chat) => Bytes::from(chat_to_text_completion(&chat).to_string()),
                Err(_) => normalized.body,
            }
        } else {
            normalized.body
        };
        (body, normalized.usage, normalized.model)
    };
    slot.update(|e| {
        e.usage = usage;
        e.response_model = model;
        if let Some((_, response)) = &mut e.payloads {
            *response = Some(super::usage::payload_text(&body));
        }
    });
    let mut out = json_response(parts.status, body);
    // Keep the provider's other headers (request ids, rate-limit hints) for the client.
    for (name, value) in &parts.headers {
        if !matches!(
            *name,
            header::CONTENT_LENGTH
                | header::CONTENT_TYPE
                | header::CONTENT_ENCODING
                | header::TRANSFER_ENCODING
        ) {
            out.headers_mut().append(name.clone(), value.clone());
        }
    }
    out
}

/// Non-200 answers keep their status. A JSON `{"error":…}` body (OpenAI's and Anthropic's
/// shape) passes through; anything else is wrapped in that shape so clients can show it.
/// Either way the configured key is scrubbed out.
async fn upstream_error(plugin: &AiProxy, response: Response<Body>) -> Response<Body> {
    let (parts, body) = response.into_parts();
    let body = match parts.extensions.get::<GatewayError>() {
        // The gateway's own error (502, 504, 503…) is read from what it said, not from its
        // body, whose format (JSON, HTML, XML, text) the client's `Accept` chose.
        Some(error) => {
            let message = match gateway_failure(plugin, parts.status, &error.message) {
                Some(what) => format!("{what}: {}", error.message),
                None => error.message.clone(),
            };
            upstream_error_body(&message, Some(&error.request_id))
        }
        None => {
            let bytes = match read(body, ERROR_BODY_LIMIT).await {
                Ok(bytes) => plugin.scrub(bytes),
                Err(message) => {
                    let text = format!(
                        "{} answered HTTP {} and its body could not be read: {message}",
                        plugin.provider().name(),
                        parts.status.as_u16()
                    );
                    return json_response(parts.status, AiError::bad_request(text).body());
                }
            };
            provider_error_body(plugin, parts.status, bytes)
        }
    };
    let mut out = json_response(parts.status, body);
    for (name, value) in &parts.headers {
        if name.as_str().starts_with("retry-after")
            || name.as_str().contains("ratelimit")
            || name.as_str().ends_with("request-id")
        {
            out.headers_mut().append(name.clone(), value.clone());
        }
    }
    out
}

/// A provider's error body in OpenAI's shape: a JSON `{"error":…}` as it is, a `{"message":…}`
/// wrapped, anything else quoted in a message that names the provider.
fn provider_error_body(plugin: &AiProxy, status: StatusCode, bytes: Bytes) -> Bytes {
    let parsed = serde_json::from_slice::<Value>(&bytes).ok();
    match &parsed {
        Some(value) if value.get("error").is_some_and(|e| !e.is_null()) => bytes,
        Some(value) if value.get("message").is_some_and(Value::is_string) => upstream_error_body(
            value["message"].as_str().unwrap_or_default(),
            value.get("request_id").and_then(Value::as_str),
        ),
        _ => {
            let text = String::from_utf8_lossy(&bytes);
            let snippet: String = text.chars().take(ERROR_SNIPPET).collect();
            let message = format!(
                "{} answered HTTP {}{}{}",
                plugin.provider().name(),
                status.as_u16(),
                if snippet.trim().is_empty() { "" } else { ": " },
                snippet.trim()
            );
            upstream_error_body(&message, None)
        }
    }
}

/// `{"error": {"message", "type": "upstream_error", "request_id"?}}`.
fn upstream_error_body(message: &str, request_id: Option<&str>) -> Bytes {
    let mut error = json!({"message": message, "type": "upstream_error"});
    if let Some(id) = request_id {
        error["request_id"] = Value::from(id);
    }
    Bytes::from(json!({ "error": error }).to_string())
}

/// When the proxy itself answered 502/504, or 503 because the provider's host name did not
/// resolve (no network, say), says plainly which provider could not be reached, and where.
fn gateway_failure(plugin: &AiProxy, status: StatusCode, message: &str) -> Option<String> {
    let target = &plugin.endpoint.target;
    let provider = plugin.provider().name();
    match status {
        StatusCode::SERVICE_UNAVAILABLE if message == "name resolution failed" => Some(format!(
            "{provider} could not be reached at {}:{}",
            target.host, target.port
        )),
        StatusCode::BAD_GATEWAY => Some(format!(
            "{provider} could not be reached at {}:{}",
            target.host, target.port
        )),
        StatusCode::GATEWAY_TIMEOUT => Some(format!(
            "{provider} did not answer in time at {}:{}",
            target.host, target.port
        )),
        _ => None,
    }
}

/// A 200 answer that cannot be read or is not what the provider should send (not JSON, no
/// `choices`, no Anthropic `content`): 502, whichever the provider. Kong's drivers refuse the
/// same answers with a 500 (`normalize-json-response`); the fault is the upstream's, hence
/// the 502.
fn bad_gateway(plugin: &AiProxy, message: &str) -> Response<Body> {
    AiError::new(
        StatusCode::BAD_GATEWAY,
        format!(
            "{}: the provider's answer could not be translated: {message}",
            plugin.provider().name()
        ),
    )
    .into_response()
}

/// Reads a whole body, at most `limit` bytes. (A hand loop: `Limited` + `collect` trips a
/// higher-ranked `Send` check inside `async_trait` methods.)
async fn read(mut body: Body, limit: usize) -> Result<Bytes, String> {
    let mut out = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| e.to_string())?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > limit {
                return Err(format!("the body is larger than {limit} bytes"));
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(out))
}
