//! Client request checks and Kong's option merge, in OpenAI's format (before any provider
//! translation): right shape for the route, the configured model enforced, the streaming
//! policy applied, and the configured options overriding the client's.

use serde_json::{Map, Value};

use super::config::{AiConfig, Provider, RouteType, Streaming};
use super::errors::AiError;

/// A checked OpenAI-format request, ready for the provider translation.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub body: Map<String, Value>,
    /// The model the provider is asked for.
    pub model: String,
    /// Whether the provider is asked to stream.
    pub stream: bool,
    /// Whether the client asked for a final usage chunk (`stream_options.include_usage`).
    pub client_wants_usage: bool,
}

/// Checks and merges a client's request body for `cfg`'s route.
pub fn prepare(cfg: &AiConfig, raw: &[u8]) -> Result<Prepared, AiError> {
    let value: Value = serde_json::from_slice(raw).map_err(|e| {
        AiError::bad_request(format!(
            "request body must be JSON in OpenAI's format ({e}); send Content-Type: application/json"
        ))
    })?;
    let Value::Object(mut body) = value else {
        return Err(AiError::bad_request(
            "request body must be a JSON object in OpenAI's format",
        ));
    };
    check_format(cfg.route_type, &body)?;
    let model = resolve_model(cfg, &body)?;
    body.insert("model".into(), Value::String(model.clone()));

    let asked = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let stream = match cfg.response_streaming {
        Streaming::Deny if asked => {
            return Err(AiError::bad_request(
                "response streaming is not enabled for this LLM",
            ));
        }
        Streaming::Always => true,
        _ => asked,
    };
    if stream {
        body.insert("stream".into(), Value::Bool(true));
    } else {
        body.remove("stream");
        body.remove("stream_options");
    }
    let client_wants_usage = body
        .get("stream_options")
        .and_then(|o| o.get("include_usage"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    merge_options(cfg, &mut body);
    Ok(Prepared {
        body,
        model,
        stream,
        client_wants_usage,
    })
}

fn check_format(route_type: RouteType, body: &Map<String, Value>) -> Result<(), AiError> {
    let is_chat = body.contains_key("messages");
    let is_completion = body.get("prompt").is_some_and(Value::is_string);
    // Kong refuses a body that is both a chat and a completion request rather than guessing
    // which one the client meant (`kong/llm/init.lua`, `identify_request`).
    let has_messages = body
        .get("messages")
        .and_then(Value::as_array)
        .is_some_and(|m| !m.is_empty());
    if route_type != RouteType::Preserve && has_messages && is_completion {
        return Err(AiError::bad_request(
            "request matches multiple LLM request formats",
        ));
    }
    match route_type {
        RouteType::Chat if !is_chat && is_completion => Err(AiError::bad_request(
            "[llm/v1/completions] message format is not compatible with [llm/v1/chat] route type",
        )),
        RouteType::Completions if is_chat && !is_completion => Err(AiError::bad_request(
            "[llm/v1/chat] message format is not compatible with [llm/v1/completions] route type",
        )),
        RouteType::Chat => match body.get("messages") {
            Some(Value::Array(messages))
                if !messages.is_empty()
                    && messages
                        .iter()
                        .all(|m| m.get("role").is_some_and(Value::is_string)) =>
            {
                Ok(())
            }
            _ => Err(AiError::bad_request(
                "request must contain a non-empty 'messages' array of objects with a 'role' \
                 (route_type llm/v1/chat)",
            )),
        },
        RouteType::Completions if is_completion => Ok(()),
        RouteType::Completions => Err(AiError::bad_request(
            "request must contain a 'prompt' string (route_type llm/v1/completions)",
        )),
        RouteType::Preserve => Ok(()),
    }
}

fn resolve_model(cfg: &AiConfig, body: &Map<String, Value>) -> Result<String, AiError> {
    // An empty `model` is no request for a model (some SDKs always send the field); Kong
    // ignores it too rather than calling it a mismatch.
    let asked = body
        .get("model")
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty());
    match (cfg.model.name.as_deref(), asked) {
        (Some(configured), Some(asked)) if configured != asked => Err(AiError::bad_request(
            format!("cannot use own model - must be: {configured}"),
        )),
        (Some(configured), _) => Ok(configured.to_string()),
        (None, Some(asked)) => Ok(asked.to_string()),
        _ => Err(AiError::bad_request(
            "model parameter not found in request, nor in gateway configuration",
        )),
    }
}

/// Kong's `merge_config_defaults`: configured options win over the client's values.
fn merge_options(cfg: &AiConfig, body: &mut Map<String, Value>) {
    let options = &cfg.model.options;
    if let Some(max_tokens) = options.max_tokens {
        // Newer OpenAI models reject `max_tokens`; keep the client's spelling when it used the
        // newer `max_completion_tokens`.
        let key = if body.contains_key("max_completion_tokens") {
            "max_completion_tokens"
        } else {
            "max_tokens"
        };
        body.insert(key.into(), Value::from(max_tokens));
    }
    if let Some(temperature) = options.temperature {
        body.insert("temperature".into(), Value::from(temperature));
    }
    if let Some(top_p) = options.top_p {
        body.insert("top_p".into(), Value::from(top_p));
    }
    // OpenAI-format APIs (openai, azure, mistral) answer 400 to an unknown `top_k`, so the
    // client's is dropped too, as Kong's openai driver does; only Anthropic takes it.
    if cfg.model.provider != Provider::Anthropic {
        body.remove("top_k");
    } else if let Some(top_k) = options.top_k {
        body.insert("top_k".into(), Value::from(top_k));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cfg(extra: Value) -> AiConfig {
        let mut base = json!({
            "route_type": "llm/v1/chat",
            "model": {"provider": "openai", "name": "gpt-4o",
                      "options": {"max_tokens": 512, "temperature": 0.5, "top_k": 40}}
        });
        crate::gateway::plugins::ai_proxy::tests_support::merge(&mut base, extra);
        AiConfig::from_value(&base).unwrap()
    }

    fn chat(body: Value) -> Result<Prepared, AiError> {
        prepare(&cfg(json!({})), body.to_string().as_bytes())
    }

    #[test]
    fn enforces_the_configured_model() {
        let err =
            chat(json!({"model": "gpt-3.5", "messages": [{"role": "user", "content": "hi"}]}))
                .unwrap_err();
        assert_eq!(err.message, "cannot use own model - must be: gpt-4o");
        assert_eq!(err.status, 400);
        let ok = chat(json!({"messages": [{"role": "user", "content": "hi"}]})).unwrap();
        assert_eq!(ok.model, "gpt-4o");
        assert_eq!(ok.body["model"], "gpt-4o");
    }

    #[test]
    fn configured_options_override_the_clients() {
        let ok = chat(json!({"messages": [{"role": "user", "content": "hi"}],
                             "max_tokens": 4000, "temperature": 1.5}))
        .unwrap();
        assert_eq!(ok.body["max_tokens"], 512);
        assert_eq!(ok.body["temperature"], 0.5);
        assert!(
            !ok.body.contains_key("top_k"),
            "top_k is not sent to OpenAI"
        );
        let newer = chat(json!({"messages": [{"role": "user", "content": "hi"}],
                                "max_completion_tokens": 4000}))
        .unwrap();
        assert_eq!(newer.body["max_completion_tokens"], 512);
        assert!(!newer.body.contains_key("max_tokens"));
    }

    #[test]
    fn rejects_wrong_shapes_with_clear_messages() {
        let err = chat(json!({"prompt": "hi"})).unwrap_err();
        assert!(err.message.contains("not compatible with [llm/v1/chat]"));
        let err = chat(json!({"messages": []})).unwrap_err();
        assert!(err.message.contains("non-empty 'messages'"));
        let err = prepare(&cfg(json!({})), b"{not json").unwrap_err();
        assert!(err.message.starts_with("request body must be JSON"));
        let err = prepare(&cfg(json!({})), b"[1]").unwrap_err();
        assert!(err.message.contains("JSON object"));
    }

    #[test]
    fn missing_model_everywhere_is_an_error() {
        let mut cfg = cfg(json!({}));
        cfg.model.name = None;
        let err = prepare(&cfg, br#"{"messages":[{"role":"user","content":"x"}]}"#).unwrap_err();
        assert_eq!(
            err.message,
            "model parameter not found in request, nor in gateway configuration"
        );
        let ok = prepare(
            &cfg,
            br#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}]}"#,
        )
        .unwrap();
        assert_eq!(ok.model, "gpt-4o-mini");
    }

    #[test]
    fn streaming_policy() {
        let body = br#"{"messages":[{"role":"user","content":"x"}],"stream":true}"#;
        let deny = cfg(json!({"response_streaming": "deny"}));
        assert_eq!(
            prepare(&deny, body).unwrap_err().message,
            "response streaming is not enabled for this LLM"
        );
        let always = cfg(json!({"response_streaming": "always"}));
        let ok = prepare(&always, br#"{"messages":[{"role":"user","content":"x"}]}"#).unwrap();
        assert!(ok.stream);
        assert_eq!(ok.body["stream"], true);
        let allow = prepare(&cfg(json!({})), body).unwrap();
        assert!(allow.stream);
    }

    #[test]
    fn clients_top_k_is_dropped_for_openai_format_providers() {
        let ok =
            chat(json!({"messages": [{"role": "user", "content": "hi"}], "top_k": 5})).unwrap();
        assert!(!ok.body.contains_key("top_k"), "{:?}", ok.body);
        let mut no_options = cfg(json!({}));
        no_options.model.options.top_k = None;
        no_options.model.provider = Provider::Anthropic;
        let ok = prepare(
            &no_options,
            br#"{"messages":[{"role":"user","content":"x"}],"top_k":5}"#,
        )
        .unwrap();
        assert_eq!(ok.body["top_k"], 5, "Anthropic takes the client's top_k");
    }

    #[test]
    fn an_empty_model_is_no_model() {
        let ok =
            chat(json!({"model": "", "messages": [{"role": "user", "content": "hi"}]})).unwrap();
        assert_eq!(ok.model, "gpt-4o");
        let mut unnamed = cfg(json!({}));
        unnamed.model.name = None;
        let err = prepare(
            &unnamed,
            br#"{"model":"","messages":[{"role":"user","content":"x"}]}"#,
        )
        .unwrap_err();
        assert_eq!(
            err.message,
            "model parameter not found in request, nor in gateway configuration"
        );
    }

    #[test]
    fn a_body_in_both_formats_is_refused() {
        let both = json!({"messages": [{"role": "user", "content": "hi"}], "prompt": "hi"});
        let err = chat(both.clone()).unwrap_err();
        assert_eq!(err.message, "request matches multiple LLM request formats");
        let completions = cfg(json!({"route_type": "llm/v1/completions"}));
        let err = prepare(&completions, both.to_string().as_bytes()).unwrap_err();
        assert_eq!(err.message, "request matches multiple LLM request formats");
    }

    #[test]
    fn anthropic_gets_top_k() {
        let cfg = cfg(json!({"model": {"provider": "anthropic",
                                       "options": {"anthropic_version": "2023-06-01"}}}));
        let ok = prepare(&cfg, br#"{"messages":[{"role":"user","content":"x"}]}"#).unwrap();
        assert_eq!(ok.body["top_k"], 40);
    }
}
