//! acl: allows or denies consumers by the groups they belong to.

use crate::kinds::PluginDef;
use crate::kinds::check::EntityCheck;
use crate::kinds::schema::{array, boolean, field, record, string};

pub fn plugin() -> PluginDef {
    let config = record(vec![
        field("allow", array(string())),
        field("deny", array(string())),
        field("hide_groups_header", boolean().required().default(false)),
        field(
            "always_use_authenticated_groups",
            boolean().required().default(false),
        ),
    ])
    .with_checks(vec![EntityCheck::OnlyOneOf(vec!["allow", "deny"])]);
    super::define("acl", 950, config, true, true, vec![])
}
