//! ai-proxy: turns a route into an LLM endpoint speaking OpenAI's chat format, whichever
//! provider serves it. The provider key lives here, in the gateway, never in the client.

use serde_json::{Map, Value};

use crate::kinds::PluginDef;
use crate::kinds::check::{EntityCheck, lookup};
use crate::kinds::schema::{boolean, field, integer, number, record, string};

const PROVIDERS: [&str; 9] = [
    "openai",
    "azure",
    "anthropic",
    "cohere",
    "mistral",
    "llama2",
    "gemini",
    "bedrock",
    "huggingface",
];

pub fn plugin() -> PluginDef {
    let auth = record(vec![
        field("header_name", string()),
        field("header_value", string().secret()),
        field("param_name", string()),
        field("param_value", string().secret()),
        field("param_location", string().one_of(["query", "body"])),
        field("gcp_use_service_account", boolean().default(false)),
        field("gcp_service_account_json", string().secret()),
        field("aws_access_key_id", string().secret()),
        field("aws_secret_access_key", string().secret()),
        field("allow_override", boolean().default(false)),
    ]);
    let options = record(vec![
        field("max_tokens", integer()),
        field("input_cost", number().gt(0.0)),
        field("output_cost", number().gt(0.0)),
        field("temperature", number().between(0.0, 5.0)),
        field("top_p", number().between(0.0, 1.0)),
        field("top_k", integer().between(0.0, 500.0)),
        field("anthropic_version", string()),
        field("azure_instance", string()),
        field("azure_api_version", string().default("2023-05-15")),
        field("azure_deployment_id", string()),
        field(
            "llama2_format",
            string().one_of(["raw", "openai", "ollama"]),
        ),
        field("mistral_format", string().one_of(["openai", "ollama"])),
        field("upstream_url", string().check("url", check_url)),
        field("upstream_path", string()),
        field(
            "gemini",
            record(vec![
                field("api_endpoint", string()),
                field("project_id", string()),
                field("location_id", string()),
            ]),
        ),
        field("bedrock", record(vec![field("aws_region", string())])),
        field(
            "huggingface",
            record(vec![
                field("use_cache", boolean()),
                field("wait_for_model", boolean()),
            ]),
        ),
    ]);
    let model = record(vec![
        field("provider", string().required().one_of(PROVIDERS)),
        field("name", string()),
        field("options", options),
    ]);
    let config = record(vec![
        field(
            "route_type",
            string()
                .required()
                .one_of(["llm/v1/chat", "llm/v1/completions", "preserve"]),
        ),
        field("auth", auth),
        field("model", model.required()),
        field(
            "logging",
            record(vec![
                field("log_statistics", boolean().required().default(false)),
                field("log_payloads", boolean().required().default(false)),
            ])
            .required(),
        ),
        field(
            "response_streaming",
            string()
                .default("allow")
                .one_of(["allow", "deny", "always"]),
        ),
        field("max_request_body_size", integer().default(8192).gt(0.0)),
        field("model_name_header", boolean().default(true)),
        field(
            "llm_format",
            string()
                .default("openai")
                .one_of(["openai", "bedrock", "gemini"]),
        ),
    ])
    .with_checks(vec![
        EntityCheck::MutuallyRequired(vec!["auth.header_name", "auth.header_value"]),
        EntityCheck::MutuallyRequired(vec![
            "auth.param_name",
            "auth.param_value",
            "auth.param_location",
        ]),
        EntityCheck::Custom {
            name: "provider_requirements",
            fields: vec![
                "model.provider",
                "model.options",
                "auth.allow_override",
                "route_type",
            ],
            rule: check_provider_requirements,
        },
    ]);
    super::define("ai-proxy", 770, config, true, false, vec![])
}

fn check_url(value: &Value) -> Result<(), String> {
    let text = value.as_str().unwrap_or_default();
    match url::Url::parse(text) {
        Ok(url) if url.has_host() => Ok(()),
        _ => Err(format!("invalid url: {text}")),
    }
}

/// What each provider needs beyond the common fields (Kong's `llm/schemas/init.lua`).
fn check_provider_requirements(config: &Map<String, Value>) -> Vec<(Option<&'static str>, String)> {
    let provider = lookup(config, "model.provider")
        .and_then(Value::as_str)
        .unwrap_or("");
    let needs = |field: &'static str, out: &mut Vec<(Option<&'static str>, String)>| {
        if lookup(config, field).is_none() {
            out.push((
                Some(field),
                format!("must be set for the '{provider}' provider"),
            ));
        }
    };
    let mut out = Vec::new();
    match provider {
        "anthropic" => needs("model.options.anthropic_version", &mut out),
        "mistral" => needs("model.options.mistral_format", &mut out),
        "llama2" => {
            needs("model.options.llama2_format", &mut out);
            needs("model.options.upstream_url", &mut out);
        }
        "azure" => {
            needs("model.options.azure_instance", &mut out);
            needs("model.options.azure_api_version", &mut out);
            needs("model.options.azure_deployment_id", &mut out);
        }
        "bedrock" | "gemini"
            if lookup(config, "auth.allow_override") == Some(&Value::Bool(true)) =>
        {
            out.push((
                Some("auth.allow_override"),
                format!("cannot be true for the '{provider}' provider"),
            ));
        }
        _ => {}
    }
    let format = lookup(config, "llm_format")
        .and_then(Value::as_str)
        .unwrap_or("openai");
    if format != "openai" {
        if lookup(config, "route_type").and_then(Value::as_str) != Some("llm/v1/chat") {
            out.push((
                Some("route_type"),
                format!("must be 'llm/v1/chat' when llm_format is '{format}'"),
            ));
        }
        if provider != format {
            out.push((
                Some("llm_format"),
                format!("llm_format '{format}' can only be used with provider '{format}'"),
            ));
        }
    }
    if provider == "anthropic"
        && lookup(config, "route_type").and_then(Value::as_str) == Some("llm/v1/completions")
        && lookup(config, "logging.log_statistics") == Some(&Value::Bool(true))
    {
        out.push((
            Some("logging.log_statistics"),
            "anthropic does not support statistics when route_type is llm/v1/completions".into(),
        ));
    }
    out
}
