//! The HTTP request each change becomes, as decK sends it: creates and updates `PUT` the full
//! entity by its id (creates `POST` to the nested collection where Kong's key is only unique
//! within the parent), deletes `DELETE` by id.

use reqwest::Method;
use serde_json::{Map, Value};

use crate::admin::paths::{collection, create_by_post, entity};
use crate::kinds::registry;
use crate::plan::model::{Change, Op};

#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub method: Method,
    pub path: String,
    pub body: Option<Value>,
}

pub fn request_for(change: &Change) -> Request {
    let kind = registry()
        .kind(&change.kind)
        .expect("plans only hold registry kinds");
    match change.op {
        Op::Delete => {
            let old = change.old.clone().unwrap_or_default();
            Request {
                method: Method::DELETE,
                path: entity(kind, &old, &change.id),
                body: None,
            }
        }
        Op::Create | Op::Update => {
            let mut body: Map<String, Value> = Map::new();
            body.insert("id".into(), Value::String(change.id.clone()));
            body.extend(change.new.clone().unwrap_or_default());
            let creating = change.op == Op::Create || change.recreate;
            if creating && create_by_post(kind) {
                Request {
                    method: Method::POST,
                    path: collection(kind, &body),
                    body: Some(Value::Object(body)),
                }
            } else {
                Request {
                    method: Method::PUT,
                    path: entity(kind, &body, &change.id),
                    body: Some(Value::Object(body)),
                }
            }
        }
    }
}
