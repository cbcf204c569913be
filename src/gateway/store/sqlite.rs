//! The embedded store: SQLite (WAL) for durability, the in-memory [`Model`] for every read
//! and constraint check.
//!
//! One writer at a time: a write locks the connection, applies its operations to the model
//! (recording undo), writes the touched rows and the new revision in ONE SQLite transaction,
//! and only then answers. If SQLite fails, the model is rolled back, so memory and disk never
//! disagree. The database is opened in exclusive locking mode: a second `gwctl serve` on the
//! same file is refused instead of silently diverging.

use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use tokio::sync::watch;

use super::index::Stored;
use super::model::{ListQuery, Model, Page};
use super::ops::Op;
use super::write::{Change, Tx, resolve};
use super::{Committed, Dump, Key, Scope, Store, WriteError, parse_entity};
use crate::kinds::{Kind, registry};

/// A write of at least this many operations hands the memory its operations held back to the
/// system before persisting (see [`crate::memory`]).
const LARGE_WRITE: usize = 1_000;

/// The schema version this program writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 1;

/// SQLite's `synchronous` setting for the WAL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `NORMAL`: a commit reaches the OS before it is acknowledged, so it survives the process
    /// being killed; the WAL is synced at checkpoints, so the last commits may be lost on power
    /// failure. Several times faster than FULL.
    #[default]
    Normal,
    /// `FULL`: the WAL is synced on every commit; survives power loss too.
    Full,
}

pub struct SqliteStore {
    conn: Mutex<Connection>,
    model: RwLock<Model>,
    revisions: watch::Sender<u64>,
}

fn storage(e: rusqlite::Error) -> String {
    e.to_string()
}

impl SqliteStore {
    /// Opens (creating or migrating) the database at `path`; `:memory:` keeps it in memory.
    pub fn open(path: &Path, durability: Durability) -> Result<SqliteStore, String> {
        let memory = path.as_os_str() == ":memory:";
        let conn = if memory {
            Connection::open_in_memory()
        } else {
            Connection::open(path)
        }
        .map_err(|e| format!("cannot open database {}: {e}", path.display()))?;
        configure(&conn, memory, durability).map_err(|e| {
            if e.to_string().contains("locked") {
                format!(
                    "database {} is in use by another process (is another `gwctl serve` running on it?)",
                    path.display()
                )
            } else {
                format!("cannot open database {}: {e}", path.display())
            }
        })?;
        let model =
            load(&conn).map_err(|e| format!("cannot read database {}: {e}", path.display()))?;
        let (revisions, _) = watch::channel(model.revision);
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            model: RwLock::new(model),
            revisions,
        })
    }

    /// How many entities the store holds.
    pub fn count(&self) -> usize {
        self.read().count()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Model> {
        // A panic while holding the lock cannot leave the model half-written (writes roll back
        // before unlocking), so a poisoned lock is still consistent.
        self.model.read().unwrap_or_else(|p| p.into_inner())
    }
}

fn configure(conn: &Connection, memory: bool, durability: Durability) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::ZERO)?;
    if !memory {
        // Exclusive before WAL: no shared-memory file, and no second writer process.
        conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(rusqlite::Error::InvalidQuery);
        }
    }
    let sync = match durability {
        Durability::Normal => "NORMAL",
        Durability::Full => "FULL",
    };
    conn.pragma_update(None, "synchronous", sync)?;
    migrate(conn)?;
    // A write at start takes the exclusive lock now, not at the first Admin API write.
    conn.execute(
        "INSERT INTO meta(key, value) VALUES('opened_at', strftime('%s','now'))
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [],
    )?;
    Ok(())
}

fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_MISMATCH),
            Some(format!(
                "the database has schema version {version}; this gwctl understands up to {SCHEMA_VERSION} (upgrade gwctl)"
            )),
        ));
    }
    if version < 1 {
        conn.execute_batch(
            "BEGIN;
             CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS entities (
                 kind TEXT NOT NULL,
                 id   TEXT NOT NULL,
                 body TEXT NOT NULL,
                 PRIMARY KEY (kind, id)
             ) WITHOUT ROWID;
             INSERT OR IGNORE INTO meta(key, value) VALUES ('revision', '0');
             PRAGMA user_version = 1;
             COMMIT;",
        )?;
    }
    Ok(())
}

fn load(conn: &Connection) -> rusqlite::Result<Model> {
    let mut model = Model::default();
    let revision: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'revision'", [], |r| {
            r.get(0)
        })
        .optional()?;
    model.revision = revision.and_then(|r| r.parse().ok()).unwrap_or(0);
    let mut stmt = conn.prepare("SELECT kind, id, body FROM entities")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let kind: String = row.get(0)?;
        let id: String = row.get(1)?;
        let body: String = row.get(2)?;
        let Some(kind) = registry().kind(&kind) else {
            tracing::warn!(
                kind,
                "ignoring stored entities of a kind this gwctl does not know"
            );
            continue;
        };
        let entity = parse_entity(&body);
        model.put(
            kind.name,
            Arc::from(id),
            Stored::with_text(kind, &entity, &body),
        );
    }
    Ok(model)
}

fn persist(conn: &mut Connection, changes: &[Change], revision: u64) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut upsert = tx.prepare_cached(
            "INSERT INTO entities(kind, id, body) VALUES (?1, ?2, ?3)
             ON CONFLICT(kind, id) DO UPDATE SET body = excluded.body",
        )?;
        let mut delete = tx.prepare_cached("DELETE FROM entities WHERE kind = ?1 AND id = ?2")?;
        for (kind, id, body) in changes {
            match body {
                Some(body) => upsert.execute(params![kind, &**id, &**body])?,
                None => delete.execute(params![kind, &**id])?,
            };
        }
        tx.prepare_cached("UPDATE meta SET value = ?1 WHERE key = 'revision'")?
            .execute(params![revision.to_string()])?;
    }
    tx.commit()
}

impl Store for SqliteStore {
    fn revision(&self) -> u64 {
        self.read().revision
    }

    fn get(&self, kind: &'static Kind, key: &Key, scope: Option<&Scope>) -> Option<Arc<str>> {
        let model = self.read();
        let id = resolve(&model, kind, key, scope)?;
        model.get(kind.name, &id).map(|s| s.json.clone())
    }

    fn resolve(&self, kind: &'static Kind, key: &Key, scope: Option<&Scope>) -> Option<String> {
        resolve(&self.read(), kind, key, scope)
    }

    fn list(&self, kind: &'static Kind, query: &ListQuery) -> Page {
        self.read().list(kind.name, query)
    }

    fn tags(&self, tag: Option<&str>) -> Vec<(&'static str, Arc<str>, String)> {
        self.read().tags(tag)
    }

    fn write(&self, ops: Vec<Op>, expect: Option<u64>) -> Result<Committed, WriteError> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let mut model = self.model.write().unwrap_or_else(|p| p.into_inner());
        let current = model.revision;
        if let Some(expected) = expect
            && expected != current
        {
            return Err(WriteError::RevisionMismatch { expected, current });
        }
        let mut tx = Tx::new(&mut model);
        let mut results = Vec::with_capacity(ops.len());
        for (index, op) in ops.into_iter().enumerate() {
            match tx.apply(op) {
                Ok(result) => results.push(result),
                Err(error) => {
                    tx.rollback();
                    return Err(WriteError::Op { index, error });
                }
            }
        }
        let changes = tx.changes();
        if results.len() >= LARGE_WRITE {
            // The operations' bodies are freed by now: return their memory before SQLite
            // allocates the rows, through the C allocator, which cannot reuse mimalloc's.
            crate::memory::release();
        }
        if changes.is_empty() {
            return Ok(Committed {
                revision: current,
                results,
            });
        }
        let revision = current + 1;
        if let Err(e) = persist(&mut conn, &changes, revision) {
            tx.rollback();
            tracing::error!(error = %e, "database write failed; nothing was changed");
            return Err(WriteError::Storage(storage(e)));
        }
        model.revision = revision;
        drop(model);
        drop(conn);
        self.revisions.send_replace(revision);
        Ok(Committed { revision, results })
    }

    fn dump(&self) -> Dump {
        let model = self.read();
        (model.revision, model.dump())
    }

    fn revisions(&self) -> watch::Receiver<u64> {
        self.revisions.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synchronous(store: &SqliteStore) -> i64 {
        let conn = store.conn.lock().unwrap();
        conn.query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn durability_sets_synchronous_and_wal_is_used() {
        let dir = tempfile::tempdir().unwrap();
        let normal = SqliteStore::open(&dir.path().join("n.db"), Durability::Normal).unwrap();
        assert_eq!(synchronous(&normal), 1, "NORMAL");
        let full = SqliteStore::open(&dir.path().join("f.db"), Durability::Full).unwrap();
        assert_eq!(synchronous(&full), 2, "FULL");
        let mode: String = full
            .conn
            .lock()
            .unwrap()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn one_store_per_file_and_newer_schemas_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db");
        let first = SqliteStore::open(&path, Durability::Normal).unwrap();
        let second = SqliteStore::open(&path, Durability::Normal).err().unwrap();
        assert!(second.contains("in use by another process"), "{second}");
        first
            .conn
            .lock()
            .unwrap()
            .execute_batch("PRAGMA user_version = 99")
            .unwrap();
        drop(first);
        let newer = SqliteStore::open(&path, Durability::Normal).err().unwrap();
        assert!(newer.contains("upgrade gwctl"), "{newer}");
    }
}
