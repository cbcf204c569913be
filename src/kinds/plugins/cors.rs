//! cors: answers preflight requests and adds CORS headers to responses.

use serde_json::Value;

use crate::kinds::PluginDef;
use crate::kinds::schema::{array, boolean, field, number, record, regex_error_reason, string};

const METHODS: [&str; 9] = [
    "GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS", "TRACE", "CONNECT",
];

pub fn plugin() -> PluginDef {
    let config = record(vec![
        field(
            "origins",
            array(string().check("cors_origin", check_origin)),
        ),
        field("headers", array(string())),
        field("exposed_headers", array(string())),
        field(
            "methods",
            array(string().one_of(METHODS)).default(METHODS.to_vec()),
        ),
        field("max_age", number()),
        field("credentials", boolean().required().default(false)),
        field("private_network", boolean().required().default(false)),
        field("preflight_continue", boolean().required().default(false)),
    ]);
    super::define("cors", 2000, config, true, true, vec![])
}

/// Kong's `validate_asterisk_or_regex`. Checked when written: the proxy cannot build a cors
/// plugin with a broken regex, and would leave it out (no CORS headers at all) instead.
fn check_origin(value: &Value) -> Result<(), String> {
    let text = value.as_str().unwrap_or_default();
    if text == "*" {
        return Ok(());
    }
    regex::Regex::new(text)
        .map(|_| ())
        .map_err(|e| format!("'{text}' is not a valid regex ({})", regex_error_reason(&e)))
}
