//! `consumers`: the clients of the gateway, identified by credentials.

use super::typedefs::*;
use crate::kinds::check::EntityCheck;
use crate::kinds::schema::{field, record, string};
use crate::kinds::{Identity, Kind};

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
    let identity = Identity::FirstOf(vec!["username", "custom_id"]);
    [
        "plugins",
        "keyauth_credentials",
        "basicauth_credentials",
        "jwt_secrets",
        "acls",
    ]
    .into_iter()
    .fold(
        Kind::new("consumers", schema, identity, 1)
            .admin_paths("consumers", "consumer")
            .event("consumer")
            .endpoint_key("username"),
        |kind, child| kind.child(child, child, "consumer"),
    )
}
