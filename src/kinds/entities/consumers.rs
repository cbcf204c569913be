//! `consumers`: the clients of the gateway, identified by credentials.

use super::typedefs::*;
use crate::kinds::check::EntityCheck;
use crate::kinds::schema::{field, record, string};
use crate::kinds::{Identity, Kind, Nesting, Timestamps};

pub fn kind() -> Kind {
    let schema = record(vec![
        id(),
        created_at(),
        updated_at(),
        field("username", string().unique()),
        field("custom_id", string().unique()),
        tags(),
    ])
    .with_checks(vec![EntityCheck::AtLeastOneOf(vec![
        "custom_id",
        "username",
    ])]);
    let nested = |key, kind| Nesting {
        key,
        kind,
        foreign_field: "consumer",
    };
    Kind {
        name: "consumers",
        admin_path: "consumers",
        nested_admin_path: "consumer",
        event_name: "consumer",
        file_key: Some("consumers"),
        schema,
        endpoint_key: Some("username"),
        endpoint_key_scoped: false,
        identity: Identity::FirstOf(vec!["username", "custom_id"]),
        unique_together: vec![],
        level: 1,
        children: vec![
            nested("plugins", "plugins"),
            nested("keyauth_credentials", "keyauth_credentials"),
            nested("basicauth_credentials", "basicauth_credentials"),
            nested("jwt_secrets", "jwt_secrets"),
            nested("acls", "acls"),
        ],
        shorthands: vec![],
        subschema_key: None,
        subschema_field: None,
        timestamps: Timestamps::Seconds,
    }
}
