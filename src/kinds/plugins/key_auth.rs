//! key-auth: identifies the consumer by an API key in a header, query or body.

use crate::kinds::PluginDef;
use crate::kinds::entities::typedefs;
use crate::kinds::schema::{array, boolean, field, record, string};

pub fn plugin() -> PluginDef {
    let config = record(vec![
        // Kong's elements are `typedefs.header_name`: a key name is looked for as a header.
        field(
            "key_names",
            array(string().check("header_name", typedefs::check_header_name))
                .required()
                .default(vec!["apikey"])
                .len_min(1),
        ),
        field("hide_credentials", boolean().required().default(false)),
        field("anonymous", string()),
        field("key_in_header", boolean().required().default(true)),
        field("key_in_query", boolean().required().default(true)),
        field("key_in_body", boolean().required().default(false)),
        field("run_on_preflight", boolean().required().default(true)),
        field("realm", string()),
    ]);
    super::define("key-auth", 1250, config, true, true, vec![])
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::kinds::{self, validate};

    /// Kong's message for the violations, empty when there are none.
    fn errors(config: serde_json::Value) -> String {
        let registry = kinds::registry();
        let kind = registry.kind("plugins").expect("plugins kind");
        let mut entity = json!({"name": "key-auth", "config": config})
            .as_object()
            .cloned()
            .unwrap();
        let violations =
            validate::process_entity(registry, kind, &mut entity, validate::Options::default());
        if violations.is_empty() {
            return String::new();
        }
        validate::kong_message(&violations)
    }

    #[test]
    fn key_names_must_be_header_names_as_in_kong() {
        assert!(
            errors(json!({"key_names": ["apikey", "bad key"]}))
                .contains("bad header name 'bad key'")
        );
        assert_eq!(errors(json!({"key_names": ["apikey", "X-Api_Key2"]})), "");
    }
}
