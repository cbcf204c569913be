//! Token usage and per-request facts shared between the hooks: `access` records what was
//! asked, `response` (or the SSE translator, when the stream ends) records what came back,
//! and `log` writes it to the access-log line. Never holds a key.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

/// Token counts in OpenAI's terms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

impl Usage {
    pub fn total(&self) -> u64 {
        self.prompt_tokens + self.completion_tokens
    }

    /// Reads an OpenAI `usage` object.
    pub fn from_openai(usage: &Value) -> Option<Usage> {
        let prompt = usage.get("prompt_tokens")?.as_u64()?;
        let completion = usage
            .get("completion_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        Some(Usage {
            prompt_tokens: prompt,
            completion_tokens: completion,
        })
    }

    pub fn to_openai(self) -> Value {
        json!({
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total(),
        })
    }
}

/// What one request through ai-proxy did.
#[derive(Debug, Clone, Default)]
pub struct Exchange {
    pub provider: &'static str,
    pub request_model: String,
    pub response_model: Option<String>,
    pub usage: Option<Usage>,
    /// Time from forwarding until the provider's answer (head) arrived.
    pub llm_latency: Option<Duration>,
    /// Whether the client asked for the final usage chunk of a stream.
    pub client_wants_usage: bool,
    /// When the request was handed to the proxy for forwarding.
    pub forwarded_at: Option<Instant>,
    /// With `logging.log_payloads`: the client's request body and the answer it got
    /// (non-streamed answers only), each cut at [`PAYLOAD_LOG_LIMIT`].
    pub payloads: Option<(String, Option<String>)>,
}

/// The most of a payload written to the access log.
pub const PAYLOAD_LOG_LIMIT: usize = 64 * 1024;

/// A body as log text, cut at [`PAYLOAD_LOG_LIMIT`] on a character boundary.
pub fn payload_text(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    if text.len() <= PAYLOAD_LOG_LIMIT {
        return text.into_owned();
    }
    let mut end = PAYLOAD_LOG_LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// The shared, per-request [`Exchange`]; kept in the request's extensions.
#[derive(Debug, Clone, Default)]
pub struct ExchangeSlot(pub Arc<Mutex<Exchange>>);

impl ExchangeSlot {
    pub fn new(exchange: Exchange) -> ExchangeSlot {
        ExchangeSlot(Arc::new(Mutex::new(exchange)))
    }

    pub fn update(&self, f: impl FnOnce(&mut Exchange)) {
        // A poisoned lock only means another hook panicked; the data is still usable.
        let mut guard = self.0.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard);
    }

    pub fn snapshot(&self) -> Exchange {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Costs per million tokens, from `model.options.input_cost` / `output_cost`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Pricing {
    pub input: Option<f64>,
    pub output: Option<f64>,
}

/// The access-log fields, Kong's `ai.proxy.{meta,usage}` layout. Usage only when
/// `log_statistics` is on.
pub fn log_fields(exchange: &Exchange, statistics: bool, pricing: Pricing) -> Value {
    let mut meta = Map::new();
    meta.insert("provider_name".into(), Value::from(exchange.provider));
    meta.insert(
        "request_model".into(),
        Value::from(exchange.request_model.clone()),
    );
    if let Some(model) = &exchange.response_model {
        meta.insert("response_model".into(), Value::from(model.clone()));
    }
    if let Some(latency) = exchange.llm_latency {
        meta.insert(
            "llm_latency".into(),
            Value::from(latency.as_millis() as u64),
        );
    }
    let mut proxy = Map::new();
    proxy.insert("meta".into(), Value::Object(meta));
    if statistics && let Some(usage) = exchange.usage {
        let mut fields = Map::new();
        fields.insert("prompt_tokens".into(), usage.prompt_tokens.into());
        fields.insert("completion_tokens".into(), usage.completion_tokens.into());
        fields.insert("total_tokens".into(), usage.total().into());
        if let (Some(latency), true) = (exchange.llm_latency, usage.completion_tokens > 0) {
            let per_token = latency.as_secs_f64() * 1000.0 / usage.completion_tokens as f64;
            fields.insert("time_per_token".into(), Value::from(per_token));
        }
        if pricing.input.is_some() || pricing.output.is_some() {
            let cost = (usage.prompt_tokens as f64 * pricing.input.unwrap_or(0.0)
                + usage.completion_tokens as f64 * pricing.output.unwrap_or(0.0))
                / 1_000_000.0;
            fields.insert("cost".into(), Value::from(cost));
        }
        proxy.insert("usage".into(), Value::Object(fields));
    }
    if let Some((request, response)) = &exchange.payloads {
        proxy.insert(
            "payload".into(),
            json!({"request": request, "response": response}),
        );
    }
    json!({ "proxy": proxy })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_payloads_are_cut_on_a_character_boundary() {
        let text = "é".repeat(PAYLOAD_LOG_LIMIT);
        let cut = payload_text(text.as_bytes());
        assert!(cut.len() <= PAYLOAD_LOG_LIMIT + '…'.len_utf8());
        assert!(cut.ends_with('…'));
        assert_eq!(payload_text(b"{}"), "{}");
    }

    #[test]
    fn log_fields_carry_usage_only_with_statistics() {
        let exchange = Exchange {
            provider: "anthropic",
            request_model: "claude-3-5-sonnet".into(),
            response_model: Some("claude-3-5-sonnet-20241022".into()),
            usage: Some(Usage {
                prompt_tokens: 10,
                completion_tokens: 5,
            }),
            llm_latency: Some(Duration::from_millis(50)),
            ..Exchange::default()
        };
        let pricing = Pricing {
            input: Some(3.0),
            output: Some(15.0),
        };
        let with = log_fields(&exchange, true, pricing);
        assert_eq!(with["proxy"]["meta"]["provider_name"], "anthropic");
        assert_eq!(with["proxy"]["usage"]["total_tokens"], 15);
        assert_eq!(with["proxy"]["usage"]["time_per_token"], 10.0);
        let cost = with["proxy"]["usage"]["cost"].as_f64().unwrap();
        assert!((cost - 0.000105).abs() < 1e-12, "{cost}");
        let without = log_fields(&exchange, false, pricing);
        assert!(without["proxy"].get("usage").is_none());
        assert!(without["proxy"].get("payload").is_none());
        assert_eq!(
            without["proxy"]["meta"]["request_model"],
            "claude-3-5-sonnet"
        );
    }
}
