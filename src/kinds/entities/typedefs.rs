//! Field types shared by many kinds (Kong's `typedefs.lua`).

use serde_json::Value;

use crate::kinds::schema::{
    Auto, Field, FieldSchema, OnDelete, array, boolean, field, foreign, integer, set, string,
};

pub fn id() -> Field {
    field(
        "id",
        string()
            .auto(Auto::Uuid)
            .check("uuid", check_uuid)
            .server_managed(),
    )
}

pub fn created_at() -> Field {
    field(
        "created_at",
        integer().auto(Auto::TimestampSeconds).server_managed(),
    )
}

pub fn updated_at() -> Field {
    field(
        "updated_at",
        integer().auto(Auto::TimestampSeconds).server_managed(),
    )
}

pub fn tags() -> Field {
    field("tags", set(string().check("tag", check_tag)))
}

/// A required or optional reference to another kind.
pub fn reference(name: &'static str, kind: &'static str, on_delete: OnDelete) -> Field {
    field(name, foreign(kind).on_delete(on_delete))
}

/// Kong's `utf8_name`: alphanumerics, `.`, `-`, `_`, `~` and non-ASCII.
pub fn utf8_name() -> FieldSchema {
    string().len_min(1).check("utf8_name", check_utf8_name)
}

pub fn protocols(default: &[&str], allowed: &[&str]) -> FieldSchema {
    set(string().one_of(allowed.iter().copied()))
        .required()
        .len_min(1)
        .default(Value::from(default.to_vec()))
}

pub fn timeout() -> FieldSchema {
    integer().default(60000).between(1.0, 2147483646.0)
}

pub fn port() -> FieldSchema {
    integer().between(0.0, 65535.0)
}

pub fn host() -> FieldSchema {
    string().check("host", check_host)
}

pub fn path() -> FieldSchema {
    string().starts_with("/").check("path", check_path)
}

pub fn hosts() -> FieldSchema {
    array(string().check("wildcard_host", check_wildcard_host_with_port))
}

pub fn enabled() -> Field {
    field("enabled", boolean().required().default(true))
}

pub fn check_uuid(value: &Value) -> Result<(), String> {
    let text = value.as_str().unwrap_or_default();
    uuid::Uuid::parse_str(text)
        .map(|_| ())
        .map_err(|_| "expected a valid UUID".to_string())
}

pub fn is_uuid(text: &str) -> bool {
    text.len() == 36 && uuid::Uuid::parse_str(text).is_ok()
}

fn check_tag(value: &Value) -> Result<(), String> {
    let text = value.as_str().unwrap_or_default();
    let printable = text
        .chars()
        .all(|c| !c.is_ascii() || (c.is_ascii_graphic() || c == ' ') && c != ',' && c != '/');
    if printable && !text.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "invalid tag '{text}': expected printable ascii (except `,` and `/`) or valid utf-8 sequences"
        ))
    }
}

fn check_utf8_name(value: &Value) -> Result<(), String> {
    let text = value.as_str().unwrap_or_default();
    let ok = text
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '~') || !c.is_ascii());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid value '{text}': it must only contain alphanumeric and '., -, _, ~' characters"
        ))
    }
}

/// A hostname or IP address, without a port.
pub fn check_host(value: &Value) -> Result<(), String> {
    let text = value.as_str().unwrap_or_default();
    if text.is_empty() {
        return Err("length must be at least 1".into());
    }
    if text.parse::<std::net::IpAddr>().is_ok() {
        return Ok(());
    }
    if text.contains(':') {
        return Err("must not have a port".into());
    }
    let valid = text.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    });
    if valid && text.len() <= 253 {
        Ok(())
    } else {
        Err(format!("invalid value: {text}"))
    }
}

fn check_path(value: &Value) -> Result<(), String> {
    let text = value.as_str().unwrap_or_default();
    if text.contains("//") {
        return Err("must not have empty segments".into());
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c);
    if !text.chars().all(allowed) {
        return Err("invalid path: contains characters outside RFC 3986".into());
    }
    Ok(())
}

/// `*.example.com`, `example.*` or a plain host, optionally with `:port`.
fn check_wildcard_host_with_port(value: &Value) -> Result<(), String> {
    let text = value.as_str().unwrap_or_default();
    let host = match text.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => {
            port.parse::<u16>()
                .map_err(|_| format!("invalid port number in '{text}'"))?;
            host
        }
        _ => text,
    };
    let stars = host.matches('*').count();
    if stars > 1 {
        return Err("only one wildcard must be specified".into());
    }
    if stars == 1 && !(host.starts_with("*.") || host.ends_with(".*")) {
        return Err("wildcard must be leftmost or rightmost character".into());
    }
    let bare = host.trim_start_matches("*.").trim_end_matches(".*");
    check_host(&Value::String(bare.to_string()))
}

/// Kong's `validate_header_name`: the characters a header name may have in nginx.
pub fn check_header_name(value: &Value) -> Result<(), String> {
    let text = value.as_str().unwrap_or_default();
    if text.is_empty() {
        return Err("no header name provided".into());
    }
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        Ok(())
    } else {
        Err(format!(
            "bad header name '{text}', allowed characters are A-Z, a-z, 0-9, '_', and '-'"
        ))
    }
}
