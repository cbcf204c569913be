//! `plugins`: a plugin instance, global or scoped to a service, route and/or consumer.
//! Its `config` is checked against the plugin's own schema (see `kinds::plugins`).

use super::typedefs::*;
use crate::kinds::schema::{OnDelete, any, field, record, string};
use crate::kinds::{Identity, Kind};

pub const ALL_PROTOCOLS: [&str; 9] = [
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
    let schema = record(vec![
        id(),
        created_at(),
        updated_at(),
        field("name", string().required()),
        field("instance_name", utf8_name().unique()),
        reference("route", "routes", OnDelete::Cascade),
        reference("service", "services", OnDelete::Cascade),
        reference("consumer", "consumers", OnDelete::Cascade),
        field("config", any()),
        field(
            "protocols",
            protocols(&["grpc", "grpcs", "http", "https"], &ALL_PROTOCOLS[..8]),
        ),
        enabled(),
        tags(),
    ]);
    let identity = Identity::Fields(vec!["name", "service", "route", "consumer"]);
    Kind::new("plugins", schema, identity, 4)
        .event("plugin")
        .endpoint_key("instance_name")
        .unique_together(vec!["name", "route", "service", "consumer"])
        .subschema("name", "config")
}
