//! The rows of the kinds registry, one file per family of kinds.

mod certificates;
mod consumers;
mod credentials;
mod plugins;
mod routes;
mod services;
pub mod typedefs;
mod upstreams;
mod vaults;

use std::collections::HashMap;

pub use certificates::pem_digest;

use super::{Kind, Subschema};

pub use plugins::ALL_PROTOCOLS;
pub use upstreams::{healthcheck_defaults, normalize_target};

/// Every kind, parents before children (the order dumps and creates use).
pub fn all() -> Vec<Kind> {
    let mut kinds = vec![
        certificates::certificate(),
        certificates::ca_certificate(),
        consumers::kind(),
        vaults::kind(),
        certificates::sni(),
        services::kind(),
        upstreams::upstream(),
        credentials::keyauth(),
        credentials::basicauth(),
        credentials::jwt(),
        credentials::acl(),
        routes::kind(),
        upstreams::target(),
        plugins::kind(),
    ];
    kinds.sort_by_key(|k| k.level);
    kinds
}

pub fn other_subschemas() -> HashMap<(&'static str, &'static str), Subschema> {
    vaults::subschemas()
}
