//! Where entities of each kind are listed, written and deleted — derived from the registry,
//! following what decK sends so a real Kong accepts it.
//!
//! Kinds that only exist inside a parent (credentials, SNIs, targets: no top-level file key and
//! a required reference to the kind they nest under) are written under the parent's nested
//! collection, as decK writes `PUT /consumers/{c}/key-auth/{id}`. Everything else is written at
//! `/{collection}/{id}`. Creates carry our own id and go as `PUT` (an upsert), except where the
//! natural key is only unique within the parent (targets): there Kong's `PUT …/{key}` only
//! updates, so creates `POST` to the nested collection with the id in the body.

use serde_json::{Map, Value};

use crate::kinds::{Kind, registry};

/// The parent a nested-only kind is written under: (foreign field, parent kind).
pub fn nested_parent(kind: &Kind) -> Option<(&'static str, &'static Kind)> {
    if kind.file_key.is_some() {
        return None;
    }
    let registry = registry();
    registry
        .kinds()
        .iter()
        .find_map(|parent| {
            parent
                .children
                .iter()
                .find(|n| n.kind == kind.name)
                .map(|n| (n.foreign_field, parent))
        })
        .filter(|(field, _)| kind.schema.field(field).is_some_and(|f| f.required))
}

fn foreign_id<'a>(body: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    body.get(field)?.get("id")?.as_str()
}

/// The collection an entity lives in: `/services` or `/consumers/{c}/key-auth`.
pub fn collection(kind: &Kind, body: &Map<String, Value>) -> String {
    match nested_parent(kind) {
        Some((field, parent)) => match foreign_id(body, field) {
            Some(pid) => format!(
                "/{}/{}/{}",
                parent.admin_path,
                encode(pid),
                kind.nested_admin_path
            ),
            None => format!("/{}", kind.admin_path),
        },
        None => format!("/{}", kind.admin_path),
    }
}

/// The entity's own URL, by id.
pub fn entity(kind: &Kind, body: &Map<String, Value>, id: &str) -> String {
    format!("{}/{}", collection(kind, body), encode(id))
}

/// Whether a create must be a POST to the collection rather than a PUT by id.
pub fn create_by_post(kind: &Kind) -> bool {
    kind.endpoint_key_scoped
}

pub fn encode(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn credentials_are_written_under_their_consumer() {
        let r = registry();
        let key_auth = r.kind("keyauth_credentials").unwrap();
        let b = body(json!({"consumer": {"id": "c1"}, "key": "k"}));
        assert_eq!(entity(key_auth, &b, "k1"), "/consumers/c1/key-auth/k1");
        let service = r.kind("services").unwrap();
        assert_eq!(entity(service, &body(json!({})), "s1"), "/services/s1");
        let target = r.kind("targets").unwrap();
        let b = body(json!({"upstream": {"id": "u1"}, "target": "a:1"}));
        assert_eq!(collection(target, &b), "/upstreams/u1/targets");
        assert!(create_by_post(target));
        let route = r.kind("routes").unwrap();
        let b = body(json!({"service": {"id": "s1"}}));
        assert_eq!(entity(route, &b, "r1"), "/routes/r1");
    }
}
