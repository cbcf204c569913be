//! Where each provider lives: the default endpoint per provider and route type, or the
//! operator's `model.options.upstream_url` (a local mock, a self-hosted gateway…).

use url::Url;

use super::config::{AiConfig, Provider, RouteType};
use crate::gateway::plugins::UpstreamTarget;

/// The provider endpoint for a route, computed once when the plugin is built.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Scheme, host and port, and the path alone (empty for a preserve route that takes the
    /// client's path); the query is built per request by [`target_for`].
    pub target: UpstreamTarget,
    /// The query of `upstream_url`, if it has one.
    pub query: Option<String>,
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
            path_and_query: path,
            host_header: Some(host_header),
        },
        query: url.query().filter(|q| !q.is_empty()).map(str::to_string),
        azure_api_version,
    })
}

/// The target for one request: the endpoint, with the client's path for preserve routes, the
/// client's query string, and Azure's `api-version` (the client's value wins, as in Kong).
///
/// Kong's drivers set only the upstream *path*, so the client's query arguments reach the
/// provider as sent (`kong/llm/drivers/openai.lua`, `configure_request`). `client_path` is
/// the path without its query.
pub fn target_for(
    endpoint: &Endpoint,
    route_type: RouteType,
    client_path: &str,
    client_query: Option<&str>,
) -> UpstreamTarget {
    let mut target = endpoint.target.clone();
    if route_type == RouteType::Preserve && target.path_and_query.is_empty() {
        target.path_and_query = client_path.to_string();
    }
    if let Some(query) = merged_query(endpoint.query.as_deref(), client_query) {
        target.path_and_query.push('?');
        target.path_and_query.push_str(&query);
    }
    if let Some(configured) = &endpoint.azure_api_version {
        let from_client = client_query.and_then(|q| query_value(q, "api-version"));
        let version = from_client.as_deref().unwrap_or(configured);
        target.path_and_query = set_query_param(&target.path_and_query, "api-version", version);
    }
    target
}

/// The query sent to the provider: `upstream_url`'s own query (a gwctl extension: Kong drops
/// it), then the client's parameters byte for byte, less any the configured query sets, so
/// a value the operator pinned in `upstream_url` cannot be replaced by a client.
fn merged_query(configured: Option<&str>, client: Option<&str>) -> Option<String> {
    let configured: Vec<&str> = pairs(configured.unwrap_or_default()).collect();
    let pinned: Vec<String> = configured.iter().map(|pair| pair_name(pair)).collect();
    let from_client =
        pairs(client.unwrap_or_default()).filter(|pair| !pinned.contains(&pair_name(pair)));
    let all: Vec<&str> = configured.iter().copied().chain(from_client).collect();
    (!all.is_empty()).then(|| all.join("&"))
}

/// The non-empty `name=value` segments of a raw query string, still encoded.
fn pairs(query: &str) -> impl Iterator<Item = &str> {
    query.split('&').filter(|pair| !pair.is_empty())
}

/// The decoded name of one raw `name=value` segment.
fn pair_name(pair: &str) -> String {
    url::form_urlencoded::parse(pair.as_bytes())
        .next()
        .map(|(name, _)| name.into_owned())
        .unwrap_or_default()
}

/// The value of `name` in a query string.
pub fn query_value(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `path_and_query` with `name=value` set: every earlier value of `name` is removed and the
/// other parameters are kept as they were encoded.
pub fn set_query_param(path_and_query: &str, name: &str, value: &str) -> String {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let pair = url::form_urlencoded::Serializer::new(String::new())
        .append_pair(name, value)
        .finish();
    let kept = pairs(query).filter(|p| pair_name(p) != name);
    let all: Vec<&str> = kept.chain(std::iter::once(pair.as_str())).collect();
    format!("{path}?{}", all.join("&"))
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
        assert_eq!(full.target.path_and_query, "/custom/chat");
        let target = target_for(&full, RouteType::Chat, "/ai", None);
        assert_eq!(target.path_and_query, "/custom/chat?x=1");
    }

    #[test]
    fn query_params_are_replaced_not_duplicated() {
        assert_eq!(
            set_query_param("/p?a=1&key=old", "key", "new"),
            "/p?a=1&key=new"
        );
        assert_eq!(set_query_param("/p", "key", "a b"), "/p?key=a+b");
        // The other parameters keep their encoding; every copy of the name goes.
        assert_eq!(
            set_query_param("/p?key=1&q=a%20b&flag&key=2", "key", "k"),
            "/p?q=a%20b&flag&key=k"
        );
        assert_eq!(query_value("a=1&key=x%20y", "key").as_deref(), Some("x y"));
    }

    #[test]
    fn the_clients_query_reaches_the_provider() {
        let openai = endpoint(&cfg(json!({"route_type": "llm/v1/chat",
            "model": {"provider": "openai"}})))
        .unwrap();
        let target = target_for(
            &openai,
            RouteType::Chat,
            "/ai",
            Some("trace=1&q=a%20b&flag"),
        );
        assert_eq!(
            target.path_and_query,
            "/v1/chat/completions?trace=1&q=a%20b&flag"
        );
        // A preserve route takes the client's path and query.
        let preserve = endpoint(&cfg(json!({"route_type": "preserve",
            "model": {"provider": "openai"}})))
        .unwrap();
        let target = target_for(&preserve, RouteType::Preserve, "/v1/files", Some("limit=5"));
        assert_eq!(target.path_and_query, "/v1/files?limit=5");
        let target = target_for(&preserve, RouteType::Preserve, "/v1/files", None);
        assert_eq!(target.path_and_query, "/v1/files");
    }

    #[test]
    fn the_upstream_url_query_is_kept_and_wins_over_the_clients() {
        let pinned = endpoint(&cfg(json!({"route_type": "llm/v1/chat",
            "model": {"provider": "openai",
                      "options": {"upstream_url": "http://127.0.0.1:9/v1/chat?tenant=a"}}})))
        .unwrap();
        let target = target_for(&pinned, RouteType::Chat, "/ai", Some("tenant=b&x=1"));
        assert_eq!(target.path_and_query, "/v1/chat?tenant=a&x=1");
    }
}
