//! key-auth: identifies the consumer by an API key in a header, query or body.

use crate::kinds::PluginDef;
use crate::kinds::schema::{array, boolean, field, record, string};

pub fn plugin() -> PluginDef {
    let config = record(vec![
        field(
            "key_names",
            array(string())
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
