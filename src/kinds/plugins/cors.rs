//! cors: answers preflight requests and adds CORS headers to responses.

use crate::kinds::PluginDef;
use crate::kinds::schema::{array, boolean, field, number, record, string};

const METHODS: [&str; 9] = [
    "GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS", "TRACE", "CONNECT",
];

pub fn plugin() -> PluginDef {
    let config = record(vec![
        field("origins", array(string())),
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
