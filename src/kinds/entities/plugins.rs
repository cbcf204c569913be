//! `plugins`: a plugin instance, global or scoped to a service, route and/or consumer.
//! Its `config` is checked against the plugin's own schema (see `kinds::plugins`).

use super::typedefs::*;
use crate::kinds::schema::{OnDelete, any, field, record, string};
use crate::kinds::{Identity, Kind, Timestamps};

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
    Kind {
        name: "plugins",
        admin_path: "plugins",
        nested_admin_path: "plugins",
        event_name: "plugin",
        file_key: Some("plugins"),
        schema,
        endpoint_key: Some("instance_name"),
        endpoint_key_scoped: false,
        identity: Identity::Fields(vec!["name", "service", "route", "consumer"]),
        unique_together: vec![vec!["name", "route", "service", "consumer"]],
        level: 4,
        children: vec![],
        shorthands: vec![],
        subschema_key: Some("name"),
        subschema_field: Some("config"),
        timestamps: Timestamps::Seconds,
    }
}
