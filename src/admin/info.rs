//! `GET /`: the gateway's version, and gwctl's extensions when the target advertises them.

use serde_json::Value;

use super::client::AdminClient;
use super::error::AdminError;
use crate::plan::{Op, Plan};
use crate::state::State;

/// gwctl extensions a target may advertise (Kong has none of these).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extensions {
    /// The config revision, incremented by every write (also sent as `ETag`).
    pub revision: Option<String>,
    /// Path of the all-or-nothing batch endpoint.
    pub batch: Option<String>,
    /// Whether writes honour `If-Match` with the revision (412 when it moved).
    pub conditional_writes: bool,
}

#[derive(Debug, Clone)]
pub struct GatewayInfo {
    pub version: String,
    pub edition: Option<String>,
    pub hostname: Option<String>,
    pub extensions: Extensions,
    /// True when the target is gwctl's own gateway (its `/schemas` come from our registry).
    pub bundled: bool,
    /// The plugins the target has (`plugins.available_on_server` in `GET /`, which Kong and
    /// gwctl's gateway both return), sorted; None when it does not say.
    pub plugins: Option<Vec<String>>,
}

impl GatewayInfo {
    /// Refuses `names` (plugins about to be written) the target does not have, naming them and
    /// what it has; passes when the target does not say which plugins it has.
    pub fn check_plugins<'a>(
        &self,
        addr: &str,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), String> {
        let Some(available) = &self.plugins else {
            return Ok(());
        };
        let mut missing: Vec<&str> = names
            .into_iter()
            .filter(|n| available.binary_search_by(|a| a.as_str().cmp(n)).is_err())
            .collect();
        missing.sort_unstable();
        missing.dedup();
        if missing.is_empty() {
            return Ok(());
        }
        let quoted: Vec<String> = missing.iter().map(|n| format!("'{n}'")).collect();
        let (noun, verb) = if missing.len() == 1 {
            ("plugin", "is")
        } else {
            ("plugins", "are")
        };
        Err(format!(
            "{noun} {} {verb} not available on the gateway at {addr}, which has: {}",
            quoted.join(", "),
            if available.is_empty() {
                "none".to_string()
            } else {
                available.join(", ")
            }
        ))
    }
}

impl AdminClient {
    pub async fn info(&self) -> Result<GatewayInfo, AdminError> {
        let answer = self
            .get("/")
            .await
            .map_err(|e| not_admin_api(self.addr(), e))?;
        Ok(parse_info(&answer.body, answer.etag))
    }
}

/// Kong's proxy (and gwctl's) when no route matches: what `GET /` on a proxy port answers.
const NO_ROUTE: &str = "no Route matched with those values";

/// Every Admin API answers `GET /` with JSON: a 404 or another body there means `--addr`
/// names something else, most often the gateway's proxy port.
fn not_admin_api(addr: &str, error: AdminError) -> AdminError {
    let (answer, proxy) = match &error {
        AdminError::Http {
            status: 404,
            message,
            ..
        } => (format!("HTTP 404 ({message})"), message == NO_ROUTE),
        AdminError::Decode { .. } => ("with a body that is not JSON".to_string(), false),
        _ => return error,
    };
    AdminError::NotAdminApi {
        addr: addr.to_string(),
        answer,
        hint: if proxy {
            "This looks like a gateway's proxy port. ".into()
        } else {
            String::new()
        },
    }
}

/// Reads `GET /`. Extensions are looked for under a `gwctl` object
/// (`{"gwctl": {"revision": 3, "batch": "/batch", "if_match": true}}`), or an `extensions`
/// object of the same shape.
pub fn parse_info(body: &Value, etag: Option<String>) -> GatewayInfo {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let ext = body.get("gwctl").or_else(|| body.get("extensions"));
    let revision = ext
        .and_then(|e| e.get("revision"))
        .and_then(|r| match r {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .or(etag);
    let batch = ext.and_then(|e| e.get("batch")).and_then(|b| match b {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("path").and_then(Value::as_str).map(str::to_string),
        Value::Bool(true) => Some("/batch".to_string()),
        _ => None,
    });
    let conditional_writes = ext
        .and_then(|e| e.get("if_match").or_else(|| e.get("conditional_writes")))
        .and_then(Value::as_bool)
        .unwrap_or(revision.is_some() && ext.is_some());
    GatewayInfo {
        version: text(body.get("version")).unwrap_or_else(|| "unknown".into()),
        edition: text(body.get("edition")),
        hostname: text(body.get("hostname")),
        bundled: ext.is_some(),
        plugins: available_plugins(body),
        extensions: Extensions {
            revision: if ext.is_some() { revision } else { None },
            batch,
            conditional_writes,
        },
    }
}

/// The names of the plugins in a state (files about to be synced).
pub fn state_plugins(state: &State) -> impl Iterator<Item = &str> {
    state
        .of_kind("plugins")
        .iter()
        .filter_map(|e| e.body.get("name").and_then(Value::as_str))
}

/// The names of the plugins a plan creates or updates.
pub fn plan_plugins(plan: &Plan) -> impl Iterator<Item = &str> {
    plan.changes
        .iter()
        .filter(|c| c.kind == "plugins" && c.op != Op::Delete)
        .filter_map(|c| c.new.as_ref()?.get("name")?.as_str())
}

/// `plugins.available_on_server`: an object by name in Kong 3 (`{"acl": {"version": …}}`) and
/// 2 (`{"acl": true}`), a list of names in older versions.
fn available_plugins(body: &Value) -> Option<Vec<String>> {
    let mut names: Vec<String> = match body.get("plugins")?.get("available_on_server")? {
        Value::Object(map) => map
            .iter()
            .filter(|(_, v)| *v != &Value::Bool(false))
            .map(|(k, _)| k.clone())
            .collect(),
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => return None,
    };
    names.sort();
    names.dedup();
    Some(names)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn kong_has_no_extensions() {
        let info = parse_info(&json!({"version": "3.9.1", "edition": "community"}), None);
        assert_eq!(info.version, "3.9.1");
        assert_eq!(info.extensions, Extensions::default());
        assert!(!info.bundled);
    }

    #[test]
    fn gwctl_extensions_are_detected() {
        let info = parse_info(
            &json!({"version": "3.9.0", "gwctl": {"revision": 7, "batch": "/batch"}}),
            None,
        );
        assert_eq!(info.extensions.revision.as_deref(), Some("7"));
        assert_eq!(info.extensions.batch.as_deref(), Some("/batch"));
        assert!(info.bundled);
    }

    #[test]
    fn the_plugins_a_target_has_are_read_in_each_kong_shape() {
        let info =
            |plugins: Value| parse_info(&json!({"version": "3.9.1", "plugins": plugins}), None);
        let kong3 = info(json!({"available_on_server": {
            "key-auth": {"version": "3.9.1", "priority": 1250},
            "acl": {"version": "3.9.1", "priority": 950}}, "enabled_in_cluster": []}));
        assert_eq!(kong3.plugins, Some(vec!["acl".into(), "key-auth".into()]));
        let kong2 = info(json!({"available_on_server": {"acl": true, "zipkin": false}}));
        assert_eq!(kong2.plugins, Some(vec!["acl".into()]));
        let list = info(json!({"available_on_server": ["cors", "acl"]}));
        assert_eq!(list.plugins, Some(vec!["acl".into(), "cors".into()]));
        let silent = parse_info(&json!({"version": "3.9.1"}), None);
        assert_eq!(silent.plugins, None);
        assert_eq!(silent.check_plugins("http://gw", ["prometheus"]), Ok(()));
    }

    #[test]
    fn plugins_the_target_lacks_are_named_with_what_it_has() {
        let info = parse_info(
            &json!({"plugins": {"available_on_server": {"acl": {}, "cors": {}}}}),
            None,
        );
        assert_eq!(
            info.check_plugins("http://gw", ["cors", "acl", "cors"]),
            Ok(())
        );
        assert_eq!(
            info.check_plugins("http://gw", ["prometheus", "cors"]),
            Err(
                "plugin 'prometheus' is not available on the gateway at http://gw, which has: \
                 acl, cors"
                    .into()
            )
        );
        assert_eq!(
            info.check_plugins("http://gw", ["zipkin", "prometheus", "zipkin"]),
            Err(
                "plugins 'prometheus', 'zipkin' are not available on the gateway at http://gw, \
                 which has: acl, cors"
                    .into()
            )
        );
    }
}
