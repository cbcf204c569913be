//! `routes`: rules that match requests and send them to a service.

use serde_json::{Map, Value};

use super::typedefs::*;
use crate::kinds::check::{EntityCheck, is_set};
use crate::kinds::schema::{
    OnDelete, array, boolean, field, integer, map, record, regex_error_reason, set, string,
};
use crate::kinds::{Identity, Kind};

const PROTOCOLS: [&str; 9] = [
    "grpc",
    "grpcs",
    "http",
    "https",
    "tcp",
    "tls",
    "tls_passthrough",
    "udp",
    "ws",
];

pub fn kind() -> Kind {
    let endpoint = || record(vec![field("ip", string()), field("port", port())]);
    let schema = record(vec![
        id(),
        created_at(),
        updated_at(),
        field("name", utf8_name().unique()),
        field("protocols", protocols(&["http", "https"], &PROTOCOLS[..8])),
        field(
            "https_redirect_status_code",
            integer()
                .required()
                .default(426)
                .one_of([426, 301, 302, 307, 308]),
        ),
        field(
            "strip_path",
            boolean()
                .required()
                .default(true)
                .default_for(grpc_strip_path),
        ),
        field("preserve_host", boolean().required().default(false)),
        field("request_buffering", boolean().required().default(true)),
        field("response_buffering", boolean().required().default(true)),
        tags(),
        reference("service", "services", OnDelete::Restrict),
        field("snis", set(string().check("sni", check_sni))),
        field("sources", set(endpoint())),
        field("destinations", set(endpoint())),
        field("methods", set(string().check("method", check_method))),
        field("hosts", hosts()),
        field(
            "paths",
            array(string().check("router_path", check_router_path)),
        ),
        field(
            "headers",
            map(
                string().check("header_name", check_header_key),
                array(string()),
            ),
        ),
        field("regex_priority", integer().default(0)),
        field("path_handling", string().default("v0").one_of(["v0", "v1"])),
    ])
    .with_checks(vec![EntityCheck::Custom {
        name: "protocol_fields",
        fields: vec![
            "protocols",
            "methods",
            "hosts",
            "headers",
            "paths",
            "snis",
            "sources",
            "destinations",
        ],
        rule: check_protocol_fields,
    }]);
    Kind::new("routes", schema, Identity::Fields(vec!["name"]), 3)
        .event("route")
        .endpoint_key("name")
        .child("plugins", "plugins", "route")
}

/// Kong's grpc/grpcs subschema (`routes_subschemas.lua`) defaults `strip_path` to false, the
/// only value it allows: a gRPC route written without it is valid.
fn grpc_strip_path(route: &Map<String, Value>) -> Option<Value> {
    let grpc = |p: &str| p == "grpc" || p == "grpcs";
    let is_grpc = match route.get("protocols") {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).any(grpc),
        // A form body's single value, before it is coerced to a set.
        Some(Value::String(p)) => grpc(p),
        _ => false,
    };
    is_grpc.then_some(Value::Bool(false))
}

fn check_method(value: &Value) -> Result<(), String> {
    let text = value.as_str().unwrap_or_default();
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(format!("invalid value: {text}"))
    }
}

fn check_sni(value: &Value) -> Result<(), String> {
    let text = value.as_str().unwrap_or_default();
    if text.parse::<std::net::IpAddr>().is_ok() {
        return Err("must not be an IP".to_string());
    }
    check_host(&Value::from(
        text.trim_start_matches("*.").trim_end_matches(".*"),
    ))
}

fn check_header_key(value: &Value) -> Result<(), String> {
    let text = value.as_str().unwrap_or_default();
    if text.eq_ignore_ascii_case("host") {
        return Err(
            "cannot contain 'host' header, which must be specified in the 'hosts' attribute".into(),
        );
    }
    check_header_name(value)
}

/// A prefix path (`/foo`) or a regex path (`~/foo/(?<id>\d+)`).
fn check_router_path(value: &Value) -> Result<(), String> {
    let text = value.as_str().unwrap_or_default();
    if let Some(regex) = text.strip_prefix('~') {
        if !regex.starts_with('/') {
            return Err("should start with: / (fixed path) or ~/ (regex path)".into());
        }
        let rewritten = regex
            .replace("(?<", "(?P<")
            .replace("(?P<=", "(?<=")
            .replace("(?P<!", "(?<!");
        return regex::Regex::new(&rewritten)
            .map(|_| ())
            .map_err(|e| format!("invalid regex: '{regex}' ({})", regex_error_reason(&e)));
    }
    if !text.starts_with('/') {
        return Err("should start with: / (fixed path) or ~/ (regex path)".into());
    }
    if text.contains("//") {
        return Err("must not have empty segments".into());
    }
    if text.split('/').any(|seg| seg == "." || seg == "..") {
        return Err(format!(
            "non-normalized path, consider use '{}' instead",
            normalize(text)
        ));
    }
    Ok(())
}

fn normalize(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/').skip(1) {
        match seg {
            "." => {}
            ".." => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    format!("/{}", out.join("/"))
}

/// Kong's per-protocol rules (`routes_subschemas.lua`).
fn check_protocol_fields(route: &Map<String, Value>) -> Vec<(Option<&'static str>, String)> {
    let protocols: Vec<&str> = route
        .get("protocols")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let has = |p: &str| protocols.contains(&p);
    let set = |f: &str| is_set(route.get(f));
    let mut out = Vec::new();
    let must_be_null = |fields: &[&'static str], out: &mut Vec<(Option<&'static str>, String)>| {
        for f in fields {
            if set(f) {
                out.push((
                    Some(*f),
                    format!(
                        "cannot set '{f}' when 'protocols' is '{}'",
                        protocols.join("', '")
                    ),
                ));
            }
        }
    };
    let http = has("http") || has("https");
    let stream = has("tcp") || has("tls") || has("udp");
    let grpc = has("grpc") || has("grpcs");
    let groups = [http, stream, has("tls_passthrough"), grpc];
    if groups.iter().filter(|g| **g).count() > 1 {
        out.push((Some("protocols"), "these sets are mutually exclusive: ('http', 'https'), ('tcp', 'tls', 'udp'), ('tls_passthrough'), ('grpc', 'grpcs')".to_string()));
        return out;
    }
    if http {
        must_be_null(&["sources", "destinations"], &mut out);
        let snis_count = has("https") && set("snis");
        if !(set("methods") || set("hosts") || set("headers") || set("paths") || snis_count) {
            let list = if has("https") {
                "'methods', 'hosts', 'headers', 'paths', 'snis'"
            } else {
                "'methods', 'hosts', 'headers', 'paths'"
            };
            out.push((
                None,
                format!(
                    "must set one of {list} when 'protocols' is '{}'",
                    protocols.join("', '")
                ),
            ));
        }
        if !has("https") && set("snis") {
            out.push((Some("snis"), "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'".into()));
        }
    } else if stream {
        must_be_null(&["methods", "hosts", "paths", "headers"], &mut out);
        if !(set("sources") || set("destinations") || set("snis")) {
            out.push((
                None,
                format!(
                    "must set one of 'sources', 'destinations', 'snis' when 'protocols' is '{}'",
                    protocols.join("', '")
                ),
            ));
        }
    } else if has("tls_passthrough") {
        must_be_null(
            &[
                "methods",
                "hosts",
                "paths",
                "headers",
                "sources",
                "destinations",
            ],
            &mut out,
        );
        if !set("snis") {
            out.push((Some("snis"), "required field missing".into()));
        }
    } else if grpc {
        must_be_null(&["methods", "sources", "destinations"], &mut out);
        if route.get("strip_path") == Some(&Value::Bool(true)) {
            out.push((
                Some("strip_path"),
                "cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'".into(),
            ));
        }
        if !(set("hosts") || set("headers") || set("paths") || (has("grpcs") && set("snis"))) {
            out.push((
                None,
                "must set one of 'hosts', 'headers', 'paths' when 'protocols' is 'grpc' or 'grpcs'"
                    .into(),
            ));
        }
    }
    out
}
