//! Starting and stopping the bundled gateway in-process: the store, the snapshot publisher and
//! the Admin API listener. `gwctl serve` and integration tests both start it through
//! [`start`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::gateway::admin_api::{self, AdminOptions, AdminState, DEFAULT_BODY_LIMIT};
use crate::gateway::proxy::health::HealthBook;
use crate::gateway::snapshot::Snapshot;
use crate::gateway::store::{
    Action, Committed, Durability, Key, Op, SqliteStore, Store, WriteError, spawn_publisher,
};
use crate::kinds::registry;
use crate::state::State;
use crate::state::model::mask_text;

/// How to run the gateway.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub admin_listen: SocketAddr,
    /// The SQLite file, or `:memory:`.
    pub db: PathBuf,
    pub durability: Durability,
    pub admin_token: Option<String>,
    pub body_limit: usize,
    /// A state to load at start: it replaces the stored configuration in one transaction
    /// (like Kong's declarative mode). Entities keep the ids they carry.
    pub initial_state: Option<State>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            admin_listen: SocketAddr::from(([127, 0, 0, 1], 8001)),
            db: PathBuf::from("gwctl.db"),
            durability: Durability::Normal,
            admin_token: None,
            body_limit: DEFAULT_BODY_LIMIT,
            initial_state: None,
        }
    }
}

impl ServeOptions {
    /// In memory on an ephemeral loopback port: what tests want.
    pub fn ephemeral() -> Self {
        ServeOptions {
            admin_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            db: PathBuf::from(":memory:"),
            ..ServeOptions::default()
        }
    }
}

/// Why the gateway did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Store(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the configuration could not be loaded: {0}")]
    Config(String),
}

/// A running gateway. Dropping it does not stop it; call [`RunningGateway::shutdown`].
pub struct RunningGateway {
    /// The address the Admin API really listens on (useful with port 0).
    pub admin_addr: SocketAddr,
    /// The newest configuration snapshot; the proxy consumes this.
    pub snapshots: watch::Receiver<Arc<Snapshot>>,
    pub store: Arc<dyn Store>,
    /// Target health: give it to the proxy so the Admin API reports what the proxy sees.
    pub health: Arc<HealthBook>,
    shutdown: Option<oneshot::Sender<()>>,
    server: JoinHandle<std::io::Result<()>>,
    publisher: JoinHandle<()>,
}

impl RunningGateway {
    /// Stops accepting requests, lets in-flight ones finish, stops the publisher, and closes the
    /// database (once the caller drops its own clones of `store`).
    pub async fn shutdown(mut self) {
        if let Some(signal) = self.shutdown.take() {
            let _ = signal.send(());
        }
        let _ = (&mut self.server).await;
        self.publisher.abort();
        // Wait for the publisher to let go of the store, so the database closes when we return.
        let _ = (&mut self.publisher).await;
    }

    /// Waits until the server stops on its own (it only does when shut down or on I/O error).
    pub async fn wait(&mut self) {
        let _ = (&mut self.server).await;
    }
}

/// Opens the store, loads the initial state, starts the publisher and the Admin API.
pub async fn start(mut options: ServeOptions) -> Result<RunningGateway, StartError> {
    let db = options.db.clone();
    let durability = options.durability;
    let store = tokio::task::spawn_blocking(move || SqliteStore::open(&db, durability))
        .await
        .map_err(|e| StartError::Store(e.to_string()))?
        .map_err(StartError::Store)?;
    let store: Arc<dyn Store> = Arc::new(store);
    // Taken, not cloned, and its entities moved into the write's operations rather than
    // copied: with 10,000 routes each copy of the state is tens of megabytes at the moment the
    // gateway's memory peaks. A failure is described from each operation's label, kept apart.
    if let Some(mut state) = options.initial_state.take() {
        let target = store.clone();
        tokio::task::spawn_blocking(move || {
            let secrets = std::mem::take(&mut state.secret_values);
            let mut ops = clear_ops(target.as_ref());
            let first = ops.len();
            let loaded = state_ops(state);
            let labels: Vec<String> = loaded.iter().map(label).collect();
            ops.extend(loaded);
            target.write(ops, None).map(drop).map_err(|e| {
                // Messages can quote values (a duplicate key); mask what came from the environment.
                StartError::Config(mask_text(&secrets, &describe(&e, &labels, first)))
            })
        })
        .await
        .map_err(|e| StartError::Config(e.to_string()))??;
    }
    let listener = tokio::net::TcpListener::bind(options.admin_listen)
        .await
        .map_err(|source| StartError::Listen {
            addr: options.admin_listen,
            source,
        })?;
    let admin_addr = listener.local_addr().map_err(|source| StartError::Listen {
        addr: options.admin_listen,
        source,
    })?;
    let (snapshots, publisher) = spawn_publisher(store.clone());
    // Filled by the proxy's health checks, read and set through the Admin API.
    let health = Arc::<HealthBook>::default();
    let state = AdminState::new(
        store.clone(),
        AdminOptions {
            token: options.admin_token.clone(),
            body_limit: options.body_limit,
            admin_listen: admin_addr.to_string(),
            database: options.db.display().to_string(),
        },
        health.clone(),
    );
    let app = admin_api::router(state);
    let (shutdown, signal) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = signal.await;
            })
            .await
    });
    Ok(RunningGateway {
        admin_addr,
        snapshots,
        store,
        health,
        shutdown: Some(shutdown),
        server,
        publisher,
    })
}

/// A state as one ordered list of writes: parents before children, each entity created or
/// replaced by its id (or created when it has none). The entities' bodies are moved, not copied.
pub fn state_ops(mut state: State) -> Vec<Op> {
    let mut ops = Vec::with_capacity(state.len());
    for kind in registry().kinds() {
        for entity in state.entities.remove(kind.name).unwrap_or_default() {
            let action = match entity.id() {
                Some(id) => Action::Upsert(Key::parse(id)),
                None => Action::Create,
            };
            ops.push(Op::new(kind, action, entity.body));
        }
    }
    ops
}

/// Deletes of every stored entity, children first (cascades take care of the rest).
pub fn clear_ops(store: &dyn Store) -> Vec<Op> {
    let (_, kinds) = store.dump();
    let mut ops = Vec::new();
    for kind in registry().kinds().iter().rev() {
        if let Some((_, items)) = kinds.iter().find(|(k, _)| *k == kind.name) {
            for (id, _) in items {
                ops.push(Op::new(
                    kind,
                    Action::Delete(Key::Id(id.to_string())),
                    Default::default(),
                ));
            }
        }
    }
    ops
}

/// How a load failure names an operation's entity: its kind and natural key (`routes r1`),
/// never a secret nor a PEM block (a certificate's key): then by id.
pub fn label(op: &Op) -> String {
    let mut names: Vec<&str> = op.kind.shown_identity(&op.body).collect();
    if names.is_empty()
        && let Some(id) = op.body.get("id").and_then(|v| v.as_str())
    {
        names.push(id);
    }
    format!("{} {}", op.kind.name, names.join(" "))
        .trim_end()
        .to_string()
}

/// A load failure in words, naming the entity by the label of its operation (see [`label`]);
/// `labels` are those of the loaded operations, which start at `offset` in the write.
pub fn describe(error: &WriteError, labels: &[String], offset: usize) -> String {
    match error {
        WriteError::Op { index, error } => {
            let entity = index
                .checked_sub(offset)
                .and_then(|i| labels.get(i))
                .cloned()
                .unwrap_or_else(|| format!("operation {index}"));
            format!("{entity}: {}", error.message())
        }
        WriteError::RevisionMismatch { expected, current } => {
            format!("revision {expected} expected, {current} current")
        }
        WriteError::Storage(e) => format!("database error: {e}"),
    }
}

/// Applies operations to a running store (used by `--config` and tests).
pub async fn apply(store: Arc<dyn Store>, ops: Vec<Op>) -> Result<Committed, WriteError> {
    tokio::task::spawn_blocking(move || store.write(ops, None))
        .await
        .unwrap_or_else(|_| Err(WriteError::Storage("the write task failed".into())))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::gateway::store::{Action, EntityError};
    use crate::state::Entity;

    fn entity(body: Value) -> Entity {
        match body {
            Value::Object(map) => Entity::new(map),
            _ => unreachable!("bodies are objects"),
        }
    }

    #[tokio::test]
    async fn a_refused_initial_state_names_the_entity_with_its_secrets_masked() {
        let mut state = State::default();
        state.push("services", entity(json!({"name": "s", "host": "h.test"})));
        for path in ["/a", "/b"] {
            state.push(
                "routes",
                entity(json!({"name": "secret-route", "paths": [path], "service": {"name": "s"}})),
            );
        }
        state.secret_values = vec!["secret-route".into()];
        let options = ServeOptions {
            initial_state: Some(state),
            ..ServeOptions::ephemeral()
        };
        let Err(StartError::Config(message)) = start(options).await else {
            panic!("the second route's name is taken");
        };
        assert!(message.starts_with("routes [masked]: "), "{message}");
        assert!(!message.contains("secret-route"), "{message}");
    }

    #[test]
    fn a_failed_certificate_is_named_by_id_not_by_its_pem() {
        let kind = registry().kind("certificates").unwrap();
        let body = json!({
            "id": "6f0b6d4e-0f1b-4b7e-9a53-7f3c2b0e9d11",
            "cert": "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n",
            "key": "-----BEGIN PRIVATE KEY-----\nTOPSECRET\n-----END PRIVATE KEY-----\n",
        });
        let loaded = Op::new(kind, Action::Create, body.as_object().unwrap().clone());
        let error = WriteError::Op {
            index: 0,
            error: EntityError::PrimaryKey {
                id: "6f0b6d4e-0f1b-4b7e-9a53-7f3c2b0e9d11".into(),
            },
        };
        let text = describe(&error, &[label(&loaded)], 0);
        assert!(
            text.starts_with("certificates 6f0b6d4e-0f1b-4b7e-9a53-7f3c2b0e9d11: "),
            "{text}"
        );
        assert!(
            !text.contains("BEGIN") && !text.contains("TOPSECRET"),
            "{text}"
        );
    }
}
