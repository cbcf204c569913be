//! Consumer credentials: key-auth keys, basic-auth passwords, JWT secrets and ACL groups.
//! They share one shape (a required consumer, cascade on delete) so one constructor builds all.

use serde_json::{Map, Value};

use super::typedefs::*;
use crate::kinds::check::EntityCheck;
use crate::kinds::schema::{Auto, Field, OnDelete, field, integer, record, string};
use crate::kinds::{Identity, Kind, Timestamps};

struct Credential {
    name: &'static str,
    admin_path: &'static str,
    nested_admin_path: &'static str,
    event_name: &'static str,
    endpoint_key: Option<&'static str>,
    identity: Vec<&'static str>,
    fields: Vec<Field>,
    checks: Vec<EntityCheck>,
    unique_together: Vec<Vec<&'static str>>,
}

fn consumer() -> Field {
    let mut consumer = reference("consumer", "consumers", OnDelete::Cascade);
    consumer.schema.required = true;
    consumer
}

fn build(c: Credential) -> Kind {
    let mut fields = vec![id(), created_at(), consumer()];
    fields.extend(c.fields);
    fields.push(tags());
    let schema = record(fields).with_checks(c.checks);
    let mut kind = Kind::new(c.name, schema, Identity::Fields(c.identity), 2)
        .admin_paths(c.admin_path, c.nested_admin_path)
        .event(c.event_name)
        .nested_only()
        .timestamps(Timestamps::CreatedOnly);
    kind.endpoint_key = c.endpoint_key;
    kind.unique_together = c.unique_together;
    kind
}

pub fn keyauth() -> Kind {
    build(Credential {
        name: "keyauth_credentials",
        admin_path: "key-auths",
        nested_admin_path: "key-auth",
        event_name: "key-auth",
        endpoint_key: Some("key"),
        identity: vec!["key"],
        fields: vec![
            field("key", string().unique().auto(Auto::RandomKey).secret()),
            field("ttl", integer().between(0.0, 100_000_000.0)),
        ],
        checks: vec![],
        unique_together: vec![],
    })
}

pub fn basicauth() -> Kind {
    build(Credential {
        name: "basicauth_credentials",
        admin_path: "basic-auths",
        nested_admin_path: "basic-auth",
        event_name: "basic-auth",
        endpoint_key: Some("username"),
        identity: vec!["username"],
        fields: vec![
            field("username", string().required().unique()),
            field("password", string().required().secret()),
        ],
        checks: vec![],
        unique_together: vec![],
    })
}

pub fn jwt() -> Kind {
    const ALGORITHMS: [&str; 13] = [
        "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256",
        "PS384", "PS512", "EdDSA",
    ];
    build(Credential {
        name: "jwt_secrets",
        admin_path: "jwts",
        nested_admin_path: "jwt",
        event_name: "jwt-auth",
        endpoint_key: Some("key"),
        identity: vec!["key"],
        fields: vec![
            field("key", string().unique().auto(Auto::RandomKey)),
            field("secret", string().auto(Auto::RandomKey).secret()),
            field("rsa_public_key", string()),
            field("algorithm", string().default("HS256").one_of(ALGORITHMS)),
        ],
        checks: vec![EntityCheck::Custom {
            name: "rsa_public_key_required",
            fields: vec!["algorithm", "rsa_public_key"],
            rule: check_rsa_key,
        }],
        unique_together: vec![],
    })
}

pub fn acl() -> Kind {
    build(Credential {
        name: "acls",
        admin_path: "acls",
        nested_admin_path: "acls",
        event_name: "acl-group",
        endpoint_key: None,
        identity: vec!["consumer", "group"],
        fields: vec![field("group", string().required())],
        checks: vec![],
        unique_together: vec![vec!["consumer", "group"]],
    })
}

/// RS*, PS* and EdDSA secrets verify with a public key, so it must be there and be PEM.
fn check_rsa_key(record: &Map<String, Value>) -> Vec<(Option<&'static str>, String)> {
    let algorithm = record
        .get("algorithm")
        .and_then(Value::as_str)
        .unwrap_or("HS256");
    let needs_key =
        algorithm.starts_with("RS") || algorithm.starts_with("PS") || algorithm == "EdDSA";
    if !needs_key {
        return vec![];
    }
    match record.get("rsa_public_key").and_then(Value::as_str) {
        None => vec![(
            Some("rsa_public_key"),
            format!("required field missing (needed for {algorithm})"),
        )],
        Some(pem) if !pem.contains("-----BEGIN") => {
            vec![(
                Some("rsa_public_key"),
                "invalid key: not a PEM public key".into(),
            )]
        }
        Some(_) => vec![],
    }
}
