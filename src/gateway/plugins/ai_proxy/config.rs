//! The ai-proxy `config` record as the runtime reads it. The registry has already validated and
//! defaulted it; this only turns it into types, tolerating Kong's `null` for unset fields.

use serde::Deserialize;
use serde_json::Value;

/// Which provider API the gateway talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Openai,
    Anthropic,
    Azure,
    Mistral,
}

impl Provider {
    pub fn name(self) -> &'static str {
        match self {
            Provider::Openai => "openai",
            Provider::Anthropic => "anthropic",
            Provider::Azure => "azure",
            Provider::Mistral => "mistral",
        }
    }
}

/// The client-facing API of the route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum RouteType {
    #[serde(rename = "llm/v1/chat")]
    Chat,
    #[serde(rename = "llm/v1/completions")]
    Completions,
    /// Forward as is: auth and target only, no translation.
    #[serde(rename = "preserve")]
    Preserve,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Streaming {
    #[default]
    Allow,
    Deny,
    Always,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamLocation {
    Query,
    Body,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Auth {
    pub header_name: Option<String>,
    pub header_value: Option<String>,
    pub param_name: Option<String>,
    pub param_value: Option<String>,
    pub param_location: Option<ParamLocation>,
    #[serde(deserialize_with = "null_as_default")]
    pub allow_override: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Options {
    pub max_tokens: Option<u64>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub top_k: Option<u64>,
    /// Cost per million prompt tokens, for the access log.
    pub input_cost: Option<f64>,
    /// Cost per million completion tokens, for the access log.
    pub output_cost: Option<f64>,
    pub anthropic_version: Option<String>,
    pub azure_instance: Option<String>,
    pub azure_api_version: Option<String>,
    pub azure_deployment_id: Option<String>,
    pub mistral_format: Option<String>,
    pub upstream_url: Option<String>,
    pub upstream_path: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Model {
    pub provider: Provider,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub options: Options,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Logging {
    #[serde(deserialize_with = "null_as_default")]
    pub log_statistics: bool,
    #[serde(deserialize_with = "null_as_default")]
    pub log_payloads: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AiConfig {
    pub route_type: RouteType,
    #[serde(default, deserialize_with = "null_as_default")]
    pub auth: Auth,
    pub model: Model,
    #[serde(default, deserialize_with = "null_as_default")]
    pub logging: Logging,
    #[serde(default, deserialize_with = "null_as_default")]
    pub response_streaming: Streaming,
    #[serde(default = "default_body_size", deserialize_with = "body_size")]
    pub max_request_body_size: usize,
    #[serde(default = "default_true", deserialize_with = "null_as_true")]
    pub model_name_header: bool,
}

impl AiConfig {
    /// Reads a validated plugin config; says plainly what gwctl cannot run yet.
    pub fn from_value(config: &Value) -> Result<AiConfig, String> {
        if let Some(provider) = config.pointer("/model/provider").and_then(Value::as_str)
            && !matches!(provider, "openai" | "anthropic" | "azure" | "mistral")
        {
            return Err(format!(
                "ai-proxy: provider '{provider}' is not supported by gwctl's gateway yet \
                 (supported: openai, anthropic, azure, mistral)"
            ));
        }
        if let Some(format) = config.pointer("/llm_format").and_then(Value::as_str)
            && format != "openai"
        {
            return Err(format!(
                "ai-proxy: llm_format '{format}' is not supported by gwctl's gateway yet \
                 (supported: openai)"
            ));
        }
        let parsed: AiConfig = serde_json::from_value(config.clone())
            .map_err(|e| format!("ai-proxy: invalid config: {e}"))?;
        if parsed.model.provider == Provider::Mistral
            && parsed.model.options.mistral_format.as_deref() == Some("ollama")
        {
            return Err(
                "ai-proxy: mistral_format 'ollama' is not supported by gwctl's gateway \
                        yet (use 'openai')"
                    .into(),
            );
        }
        Ok(parsed)
    }

    /// The configured secrets, so they can be scrubbed from anything sent back to the client.
    pub fn secrets(&self) -> Vec<String> {
        let mut out = Vec::new();
        for value in [&self.auth.header_value, &self.auth.param_value]
            .into_iter()
            .flatten()
        {
            if value.len() >= 4 {
                out.push(value.clone());
            }
            // A bearer token also appears without its scheme.
            if let Some((_, token)) = value.split_once(' ')
                && token.len() >= 4
            {
                out.push(token.to_string());
            }
        }
        out
    }
}

fn default_body_size() -> usize {
    8192
}

fn default_true() -> bool {
    true
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn null_as_true<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(d)?.unwrap_or(true))
}

fn body_size<'de, D: serde::Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    Ok(Option::<usize>::deserialize(d)?.unwrap_or_else(default_body_size))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_a_kong_style_config_with_nulls() {
        let cfg = AiConfig::from_value(&json!({
            "route_type": "llm/v1/chat",
            "auth": {"header_name": "Authorization", "header_value": "Bearer sk-1234",
                     "param_name": null, "allow_override": null},
            "model": {"provider": "openai", "name": "gpt-4o", "options": {"max_tokens": 512}},
            "logging": null, "response_streaming": null, "max_request_body_size": null
        }))
        .unwrap();
        assert_eq!(cfg.route_type, RouteType::Chat);
        assert_eq!(cfg.model.provider, Provider::Openai);
        assert_eq!(cfg.model.options.max_tokens, Some(512));
        assert_eq!(cfg.max_request_body_size, 8192);
        assert!(cfg.model_name_header);
        assert_eq!(cfg.response_streaming, Streaming::Allow);
        assert_eq!(cfg.secrets(), vec!["Bearer sk-1234", "sk-1234"]);
    }

    #[test]
    fn unsupported_provider_is_a_clear_error() {
        let err = AiConfig::from_value(&json!({
            "route_type": "llm/v1/chat", "model": {"provider": "cohere"}
        }))
        .unwrap_err();
        assert!(err.contains("'cohere' is not supported"), "{err}");
    }
}
