//! Consumers and their credentials, indexed for the auth plugins: key-auth keys, JWT secrets
//! and ACL groups. Built once per configuration, shared by every request that runs on it.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::gateway::snapshot::{Snapshot, foreign_id};

#[derive(Debug, Clone)]
pub struct ConsumerRecord {
    pub id: String,
    pub username: Option<String>,
    pub custom_id: Option<String>,
}

/// A key-auth credential: the key itself is only the map key, never copied elsewhere.
#[derive(Debug, Clone)]
pub struct KeyCredential {
    pub id: String,
    pub consumer_id: String,
}

#[derive(Debug, Clone)]
pub struct JwtSecret {
    pub id: String,
    pub key: String,
    pub consumer_id: String,
    pub algorithm: String,
    pub secret: Option<String>,
    pub rsa_public_key: Option<String>,
}

#[derive(Debug, Default)]
pub struct Directory {
    consumers: HashMap<String, Arc<ConsumerRecord>>,
    by_username: HashMap<String, String>,
    key_credentials: HashMap<String, KeyCredential>,
    jwt_secrets: HashMap<String, JwtSecret>,
    groups: HashMap<String, Vec<String>>,
}

fn text(entity: &Map<String, Value>, field: &str) -> Option<String> {
    entity.get(field)?.as_str().map(str::to_string)
}

impl Directory {
    /// A shared empty directory (for contexts built before a configuration is known).
    pub fn empty() -> Arc<Directory> {
        static EMPTY: std::sync::LazyLock<Arc<Directory>> =
            std::sync::LazyLock::new(|| Arc::new(Directory::default()));
        EMPTY.clone()
    }

    pub fn build(snapshot: &Snapshot) -> Directory {
        let mut dir = Directory::default();
        for c in snapshot.of_kind("consumers") {
            let c = &c;
            let Some(id) = text(c, "id") else { continue };
            let record = ConsumerRecord {
                id: id.clone(),
                username: text(c, "username"),
                custom_id: text(c, "custom_id"),
            };
            if let Some(username) = &record.username {
                dir.by_username.insert(username.clone(), id.clone());
            }
            dir.consumers.insert(id, Arc::new(record));
        }
        for cred in snapshot.of_kind("keyauth_credentials") {
            let cred = &cred;
            let (Some(id), Some(key), Some(consumer)) = (
                text(cred, "id"),
                text(cred, "key"),
                foreign_id(cred, "consumer"),
            ) else {
                continue;
            };
            dir.key_credentials.insert(
                key,
                KeyCredential {
                    id,
                    consumer_id: consumer.to_string(),
                },
            );
        }
        for secret in snapshot.of_kind("jwt_secrets") {
            let secret = &secret;
            let (Some(id), Some(key), Some(consumer)) = (
                text(secret, "id"),
                text(secret, "key"),
                foreign_id(secret, "consumer"),
            ) else {
                continue;
            };
            dir.jwt_secrets.insert(
                key.clone(),
                JwtSecret {
                    id,
                    key,
                    consumer_id: consumer.to_string(),
                    algorithm: text(secret, "algorithm").unwrap_or_else(|| "HS256".into()),
                    secret: text(secret, "secret"),
                    rsa_public_key: text(secret, "rsa_public_key"),
                },
            );
        }
        for acl in snapshot.of_kind("acls") {
            let acl = &acl;
            let (Some(group), Some(consumer)) = (text(acl, "group"), foreign_id(acl, "consumer"))
            else {
                continue;
            };
            dir.groups
                .entry(consumer.to_string())
                .or_default()
                .push(group);
        }
        dir
    }

    pub fn consumer(&self, id: &str) -> Option<&Arc<ConsumerRecord>> {
        self.consumers.get(id)
    }

    /// A consumer by id or username (how plugins' `anonymous` setting names one).
    pub fn find_consumer(&self, id_or_username: &str) -> Option<&Arc<ConsumerRecord>> {
        self.consumers.get(id_or_username).or_else(|| {
            self.by_username
                .get(id_or_username)
                .and_then(|id| self.consumers.get(id))
        })
    }

    pub fn key_credential(&self, key: &str) -> Option<&KeyCredential> {
        self.key_credentials.get(key)
    }

    pub fn jwt_secret(&self, key: &str) -> Option<&JwtSecret> {
        self.jwt_secrets.get(key)
    }

    /// What the configuration holds that the auth plugins cannot use: JWT secrets whose
    /// algorithm Kong accepts but `jsonwebtoken` cannot verify (ES512). They stay valid
    /// configuration, since the same files may be synced to a real Kong, but every token
    /// signed for them is refused here, so the gateway says so when it loads them.
    pub fn problems(&self) -> Vec<String> {
        let mut problems: Vec<String> = self
            .jwt_secrets
            .values()
            .filter(|s| s.algorithm.parse::<jsonwebtoken::Algorithm>().is_err())
            .map(|s| {
                format!(
                    "jwt_secret {}: the gateway cannot verify {} signatures; tokens for it are \
                     refused (use HS*, RS*, PS*, ES256, ES384 or EdDSA)",
                    s.id, s.algorithm
                )
            })
            .collect();
        problems.sort();
        problems
    }

    /// The ACL groups of a consumer, in the order the snapshot lists them.
    pub fn groups(&self, consumer_id: &str) -> &[String] {
        self.groups
            .get(consumer_id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}
