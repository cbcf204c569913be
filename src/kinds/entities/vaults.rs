//! `vaults`: where `{vault://…}` references are resolved. OSS bundles only the `env` vault.

use std::collections::HashMap;

use serde_json::Value;

use super::typedefs::*;
use crate::kinds::schema::{any, field, record, string};
use crate::kinds::{Identity, Kind, Subschema};

pub fn kind() -> Kind {
    let schema = record(vec![
        id(),
        created_at(),
        updated_at(),
        field(
            "prefix",
            string()
                .required()
                .unique()
                .check("vault_prefix", check_prefix),
        ),
        field("name", string().required()),
        field("description", string()),
        field("config", any()),
        tags(),
    ]);
    Kind::new("vaults", schema, Identity::Fields(vec!["prefix"]), 1)
        .event("vault")
        .endpoint_key("prefix")
        .subschema("name", "config")
}

pub fn subschemas() -> HashMap<(&'static str, &'static str), Subschema> {
    let env = Subschema {
        fields: vec![field(
            "config",
            record(vec![field(
                "prefix",
                string().check("env_prefix", check_env_prefix),
            )])
            .required(),
        )],
        checks: vec![],
    };
    HashMap::from([(("vaults", "env"), env)])
}

fn check_prefix(value: &Value) -> Result<(), String> {
    let text = value.as_str().unwrap_or_default();
    let mut chars = text.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    let rest_ok = text
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if first_ok && rest_ok && !text.ends_with('-') && text.len() > 1 && text != "env" {
        Ok(())
    } else {
        Err(format!("invalid value: {text}"))
    }
}

fn check_env_prefix(value: &Value) -> Result<(), String> {
    let text = value.as_str().unwrap_or_default();
    let mut chars = text.chars();
    let first_ok = chars
        .next()
        .is_none_or(|c| c.is_ascii_alphabetic() || c == '_' || c == '-');
    if first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        Ok(())
    } else {
        Err(format!("invalid value: {text}"))
    }
}
