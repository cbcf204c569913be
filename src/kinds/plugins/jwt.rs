//! jwt: verifies a signed JSON Web Token and identifies the consumer by its key claim.

use serde_json::{Map, Value};

use crate::kinds::PluginDef;
use crate::kinds::schema::{boolean, field, number, record, set, string};

pub fn plugin() -> PluginDef {
    let config = record(vec![
        field("uri_param_names", set(string()).default(vec!["jwt"])),
        field("cookie_names", set(string()).default(Vec::<String>::new())),
        field("key_claim_name", string().default("iss")),
        field("secret_is_base64", boolean().required().default(false)),
        field("claims_to_verify", set(string().one_of(["exp", "nbf"]))),
        field("anonymous", string()),
        field("run_on_preflight", boolean().required().default(true)),
        field(
            "maximum_expiration",
            number().default(0).between(0.0, 31_536_000.0),
        ),
        field("header_names", set(string()).default(vec!["authorization"])),
        field("realm", string()),
    ])
    .with_checks(vec![crate::kinds::check::EntityCheck::Custom {
        name: "maximum_expiration_needs_exp",
        fields: vec!["maximum_expiration", "claims_to_verify"],
        rule: check_max_expiration,
    }]);
    super::define("jwt", 1450, config, true, true, vec![])
}

fn check_max_expiration(config: &Map<String, Value>) -> Vec<(Option<&'static str>, String)> {
    let max = config
        .get("maximum_expiration")
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    let verifies_exp = config
        .get("claims_to_verify")
        .and_then(Value::as_array)
        .is_some_and(|claims| claims.iter().any(|c| c == "exp"));
    if max > 0.0 && !verifies_exp {
        vec![(Some("claims_to_verify"), "expected to contain: exp".into())]
    } else {
        vec![]
    }
}
