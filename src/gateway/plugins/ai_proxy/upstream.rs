//! Where each provider lives: the default endpoint per provider and route type, or the
//! operator's `model.options.upstream_url` (a local mock, a self-hosted gateway…).

use url::Url;

use super::config::{AiConfig, Provider, RouteType};
use crate::gateway::plugins::UpstreamTarget;

/// The provider endpoint for a route, computed once when the plugin is built.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub target: UpstreamTarget,
    /// Azure's `api-version` query value (a client's `?api-version=` replaces it).
    pub azure_api_version: Option<String>,
}

/// The path each provider serves a route type on (`None`: the client's path, for preserve).
fn default_path(cfg: &AiConfig) -> Option<String> {
    let options = &cfg.model.options;
    let completions = cfg.route_type == RouteType::Completions;
    let path = match (cfg.model.provider, cfg.route_type) {
        (_, RouteType::Preserve) => return None,
        (Provider::Openai, _) if completions => "/v1/completions".to_string(),
        (Provider::Openai, _) => "/v1/chat/completions".to_string(),
        // Anthropic's and Mistral's completions are served through their chat APIs.
        (Provider::Anthropic, _) => "/v1/messages".to_string(),
        (Provider::Mistral, _) => "/v1/chat/completions".to_string(),
        (Provider::Azure, _) => format!(
            "/openai/deployments/{}/{}",
            options.azure_deployment_id.as_deref().unwrap_or_default(),
            if completions {
                "completions"
            } else {
                "chat/completions"
            }
        ),
    };
    Some(path)
}

fn default_base(cfg: &AiConfig) -> String {
    match cfg.model.provider {
        Provider::Openai => "https://api.openai.com".into(),
        Provider::Anthropic => "https://api.anthropic.com".into(),
        Provider::Mistral => "https://api.mistral.ai".into(),
        Provider::Azure => format!(
            "https://{}.openai.azure.com",
            cfg.model
                .options
                .azure_instance
                .as_deref()
                .unwrap_or_default()
        ),
    }
}

/// Resolves the endpoint. `upstream_url` with a path is used as given (as Kong does); with no
/// path (`http://127.0.0.1:9999`) the provider's usual path is appended, which Kong does not do.
pub fn endpoint(cfg: &AiConfig) -> Result<Endpoint, String> {
    let options = &cfg.model.options;
    let text = options
        .upstream_url
        .clone()
        .unwrap_or_else(|| default_base(cfg));
    let url = Url::parse(&text).map_err(|e| format!("ai-proxy: invalid upstream_url: {e}"))?;
    let scheme = match url.scheme() {
        "http" => "http",
        "https" => "https",
        other => {
            return Err(format!(
                "ai-proxy: upstream_url must be http or https, not '{other}'"
            ));
        }
    };
    let host = url
        .host_str()
        .ok_or("ai-proxy: upstream_url has no host")?
        .to_string();
    let port = url
        .port_or_known_default()
        .ok_or("ai-proxy: upstream_url has no port")?;
    let explicit_path = match options.upstream_path.as_deref() {
        Some(path) if !path.is_empty() => Some(path.to_string()),
        _ if !matches!(url.path(), "" | "/") => Some(url.path().to_string()),
        _ => None,
    };
    let path = explicit_path
        .or_else(|| default_path(cfg))
        .unwrap_or_default();
    let path_and_query = match url.query() {
        Some(query) => format!("{path}?{query}"),
        None => path,
    };
    let host_header = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.clone(),
    };
    let azure_api_version = (cfg.model.provider == Provider::Azure)
        .then(|| options.azure_api_version.clone())
        .flatten();
    Ok(Endpoint {
        target: UpstreamTarget {
            scheme,
            host: host.trim_start_matches('[').trim_end_matches(']').into(),
            port,
            path_and_query,
            host_header: Some(host_header),
        },
        azure_api_version,
    })
}

/// The target for one request: the endpoint, with the client's path for preserve routes and
/// Azure's `api-version` (the client's value wins, as in Kong).
pub fn target_for(
    endpoint: &Endpoint,
    route_type: RouteType,
    client_path_and_query: &str,
    client_query: Option<&str>,
) -> UpstreamTarget {
    let mut target = endpoint.target.clone();
    if route_type == RouteType::Preserve && target.path_and_query.is_empty() {
        target.path_and_query = client_path_and_query.to_string();
    }
    if let Some(configured) = &endpoint.azure_api_version {
        let from_client = client_query.and_then(|q| query_value(q, "api-version"));
        let version = from_client.as_deref().unwrap_or(configured);
        target.path_and_query = set_query_param(&target.path_and_query, "api-version", version);
    }
    target
}

/// The value of `name` in a query string.
pub fn query_value(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `path_and_query` with `name=value` set (replacing any earlier value of `name`).
pub fn set_query_param(path_and_query: &str, name: &str, value: &str) -> String {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        if k != name {
            out.append_pair(&k, &v);
        }
    }
    out.append_pair(name, value);
    format!("{path}?{}", out.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cfg(value: serde_json::Value) -> AiConfig {
        AiConfig::from_value(&value).unwrap()
    }

    #[test]
    fn provider_defaults() {
        let openai = endpoint(&cfg(json!({"route_type": "llm/v1/chat",
            "model": {"provider": "openai"}})))
        .unwrap();
        assert_eq!(openai.target.scheme, "https");
        assert_eq!(&*openai.target.host, "api.openai.com");
        assert_eq!(openai.target.port, 443);
        assert_eq!(openai.target.path_and_query, "/v1/chat/completions");
        assert_eq!(openai.target.host_header.as_deref(), Some("api.openai.com"));

        let anthropic = endpoint(&cfg(json!({"route_type": "llm/v1/completions",
            "model": {"provider": "anthropic", "options": {"anthropic_version": "2023-06-01"}}})))
        .unwrap();
        assert_eq!(&*anthropic.target.host, "api.anthropic.com");
        assert_eq!(anthropic.target.path_and_query, "/v1/messages");

        let mistral = endpoint(&cfg(json!({"route_type": "llm/v1/chat",
            "model": {"provider": "mistral", "options": {"mistral_format": "openai"}}})))
        .unwrap();
        assert_eq!(&*mistral.target.host, "api.mistral.ai");
    }

    #[test]
    fn azure_builds_the_deployment_url_and_api_version() {
        let azure = endpoint(&cfg(json!({"route_type": "llm/v1/chat",
            "model": {"provider": "azure", "options": {"azure_instance": "acme",
                "azure_deployment_id": "gpt4o", "azure_api_version": "2024-06-01"}}})))
        .unwrap();
        assert_eq!(&*azure.target.host, "acme.openai.azure.com");
        let target = target_for(&azure, RouteType::Chat, "/ai", None);
        assert_eq!(
            target.path_and_query,
            "/openai/deployments/gpt4o/chat/completions?api-version=2024-06-01"
        );
        let target = target_for(
            &azure,
            RouteType::Chat,
            "/ai",
            Some("api-version=2025-01-01"),
        );
        assert!(target.path_and_query.ends_with("api-version=2025-01-01"));
    }

    #[test]
    fn upstream_url_redirects_with_or_without_a_path() {
        let bare = endpoint(&cfg(json!({"route_type": "llm/v1/chat",
            "model": {"provider": "openai", "options": {"upstream_url": "http://127.0.0.1:9999"}}})))
        .unwrap();
        assert_eq!(bare.target.scheme, "http");
        assert_eq!(bare.target.port, 9999);
        assert_eq!(bare.target.path_and_query, "/v1/chat/completions");
        assert_eq!(bare.target.host_header.as_deref(), Some("127.0.0.1:9999"));
        let full = endpoint(&cfg(json!({"route_type": "llm/v1/chat",
            "model": {"provider": "openai",
                      "options": {"upstream_url": "http://localhost:8080/custom/chat?x=1"}}})))
        .unwrap();
        assert_eq!(full.target.path_and_query, "/custom/chat?x=1");
    }

    #[test]
    fn query_params_are_replaced_not_duplicated() {
        assert_eq!(
            set_query_param("/p?a=1&key=old", "key", "new"),
            "/p?a=1&key=new"
        );
        assert_eq!(set_query_param("/p", "key", "a b"), "/p?key=a+b");
        assert_eq!(query_value("a=1&key=x%20y", "key").as_deref(), Some("x y"));
    }
}
