//! The database connection: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL, from one
//! [`DatabaseConfig`].

pub mod inline;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbErr};

use crate::config::{DatabaseBackend, DatabaseConfig};

/// How long a writer waits for SQLite's lock before giving up (Vaultwarden uses the same).
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum DbConnectError {
    #[error("cannot create the database folder {path}: {source}")]
    Folder { path: String, source: std::io::Error },
    #[error(
        "the database folder {path} is not writable by this process ({who}): SQLite writes its \
         database and journal there. Make it writable by that user, e.g. `chown -R {uid} {path}`; for a \
         folder bind-mounted into a rootless container, `podman unshare chown -R {uid} <the host folder>`"
    )]
    NotWritable { path: String, who: String, uid: String },
    #[error("cannot connect to the database ({target}): {source}")]
    Connect { target: String, source: DbErr },
}

/// Opens the pool. For SQLite the file and its folder are created on first run.
pub async fn connect(config: &DatabaseConfig) -> Result<DatabaseConnection, DbConnectError> {
    if let DatabaseBackend::Sqlite { path } = &config.backend
        && let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)
            .map_err(|source| DbConnectError::Folder { path: parent.display().to_string(), source })?;
        writable(parent)?;
    }
    let mut options = ConnectOptions::new(config.url.expose().to_owned());
    options
        .max_connections(config.max_connections)
        .min_connections(0)
        .connect_timeout(config.connect_timeout)
        .acquire_timeout(config.connect_timeout)
        .idle_timeout(Duration::from_secs(300))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .create_if_missing(true)
        });
    Database::connect(options).await.map_err(|source| DbConnectError::Connect { target: config.describe(), source })
}

/// Fails with [`DbConnectError::NotWritable`] when this process cannot create a file in
/// `folder` (SQLite's own error would only say "unable to open database file").
fn writable(folder: &std::path::Path) -> Result<(), DbConnectError> {
    let probe = folder.join(format!(".procure-write-test-{}", std::process::id()));
    match std::fs::OpenOptions::new().write(true).create_new(true).open(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            let uid = process_uid();
            let who = uid.as_deref().map_or_else(|| "the user running Procure".to_owned(), |u| format!("uid {u}"));
            Err(DbConnectError::NotWritable {
                path: folder.display().to_string(),
                who,
                uid: uid.unwrap_or_else(|| "<its user>".to_owned()),
            })
        }
        // Anything else (a read-only file system, say) is left to SQLite to report.
        Err(_) => Ok(()),
    }
}

/// This process's user id, from `/proc` (Linux); None elsewhere.
fn process_uid() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| l.strip_prefix("Uid:")).and_then(|v| v.split_whitespace().next()).map(str::to_owned)
}

/// A round trip to the database, bounded by `timeout` so a dead server cannot hang a caller
/// (the heartbeat, say) for the pool's whole acquire timeout.
pub async fn ping(db: &DatabaseConnection, timeout: Duration) -> Result<(), String> {
    match tokio::time::timeout(timeout, db.execute_unprepared("SELECT 1")).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {} ms", timeout.as_millis())),
    }
}

/// Whether `e` says the database cannot be reached (stopped, restarting, the network or the pool
/// timing out) rather than that a statement is wrong: the first passes, and is answered 503;
/// the second is a bug, answered 500. PostgreSQL's SQLSTATE classes 08 (connection exception)
/// and 57P (the server shutting down or starting up) count as unreachable.
pub fn is_unreachable(e: &DbErr) -> bool {
    use sea_orm::{RuntimeErr, sqlx};
    let source = match e {
        DbErr::ConnectionAcquire(_) => return true,
        DbErr::Conn(RuntimeErr::SqlxError(s))
        | DbErr::Exec(RuntimeErr::SqlxError(s))
        | DbErr::Query(RuntimeErr::SqlxError(s)) => s,
        _ => return false,
    };
    match source.as_ref() {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
        _ => false,
    }
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once (`BEGIN
/// IMMEDIATE`), waiting for it under the busy timeout: a plain (deferred) transaction that reads
/// first and writes later cannot wait when another connection wrote meanwhile, and fails with
/// "database is locked" at its first write (WAL mode's stale snapshot). On PostgreSQL it is an
/// ordinary transaction. Read-only transactions keep `begin()`.
///
/// On SQLite this process's writers first take turns ([`WriteTxn`]), so SQLite's lock is only
/// ever contended by other processes.
pub async fn begin_write(db: &DatabaseConnection) -> Result<WriteTxn, DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    let turn = turn_to_write(db).await?;
    let options =
        TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate), ..Default::default() };
    Ok(WriteTxn { txn: db.begin_with_options(options).await?, _turn: turn })
}

/// A transaction from [`begin_write`]: used as the `DatabaseTransaction` it holds, and on SQLite
/// holding this process's turn to write until it is committed, rolled back or dropped.
///
/// Why turns: SQLite makes a writer that finds its lock taken sleep and retry, for up to 100 ms
/// a time, so among concurrent writers the lock sat idle while they slept (at 8 concurrent
/// writers a page's write waited up to 1.3 s; bench/RESULTS.md). Waiting in a first-come queue
/// instead, the next writer starts the moment the last one commits. That holds only while every
/// write of this process queues: one outside a transaction takes [`turn_to_write`] (the
/// session store's do).
pub struct WriteTxn {
    txn: DatabaseTransaction,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTxn {
    /// A plain transaction in the same clothes, for a caller that picks at run time between
    /// writing and only reading (an import's preview): it takes no turn and no lock up front.
    pub async fn unwritten(db: &DatabaseConnection) -> Result<WriteTxn, DbErr> {
        Ok(WriteTxn { txn: sea_orm::TransactionTrait::begin(db).await?, _turn: None })
    }

    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

impl std::ops::Deref for WriteTxn {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

impl std::fmt::Debug for WriteTxn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteTxn").field("turn", &self._turn.is_some()).finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> sea_orm::DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: sea_orm::Statement) -> Result<sea_orm::ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<sea_orm::ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: sea_orm::Statement) -> Result<Option<sea_orm::QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: sea_orm::Statement) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}

/// This process's turn to write to `db` on SQLite (`None` on PostgreSQL), held until dropped:
/// for a write outside [`begin_write`] (the session store's), so it too waits in the queue
/// rather than in SQLite's sleeps. Never while holding a [`WriteTxn`] of the same database: the
/// turn is not reentrant, and the wait ends after the busy timeout with an error.
pub async fn turn_to_write(db: &DatabaseConnection) -> Result<Option<tokio::sync::OwnedMutexGuard<()>>, DbErr> {
    let Some(writers) = writers_of(db) else { return Ok(None) };
    tokio::time::timeout(SQLITE_BUSY_TIMEOUT, writers.lock_owned())
        .await
        .map(Some)
        .map_err(|_| DbErr::Custom("database is locked: no turn to write within the busy timeout".into()))
}

/// The queue of this process's writers to `db`'s file, on SQLite; one per file.
fn writers_of(db: &DatabaseConnection) -> Option<Arc<tokio::sync::Mutex<()>>> {
    static WRITERS: LazyLock<std::sync::Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>> =
        LazyLock::new(Default::default);
    if db.get_database_backend() != sea_orm::DbBackend::Sqlite {
        return None;
    }
    let options = db.get_sqlite_connection_pool().connect_options();
    let file = options.get_filename();
    let mut writers = WRITERS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(queue) = writers.get(file) {
        return Some(queue.clone());
    }
    Some(writers.entry(file.to_path_buf()).or_default().clone())
}

/// Makes every other transaction that locks the same `key` wait until this one ends: for writes
/// that decide from what is there ("create it unless it exists") and must not both decide so.
/// On PostgreSQL an advisory transaction lock on the key's hash; on SQLite nothing, since a
/// [`begin_write`] transaction already holds the database's single write lock.
pub async fn lock_key(txn: &impl ConnectionTrait, key: &str) -> Result<(), DbErr> {
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        txn.execute_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            [key.into()],
        ))
        .await?;
    }
    Ok(())
}

/// A statement written with `$n` placeholders, for either backend (SQLite reads them as `?n`).
/// On PostgreSQL, refreshes the planner's statistics of `tables`, for a bulk load that then
/// queries what it wrote in the same transaction (the demo). Without them, prepared statements
/// soon get a generic plan made for empty tables: the demo's re-indexing of 100,000 contracts
/// read all 20,000 companies once per contract (2 billion rows). ANALYZE counts the
/// transaction's own new rows. SQLite plans each statement from its indexes: nothing to do.
pub async fn analyze(db: &impl sea_orm::ConnectionTrait, tables: &[&str]) -> Result<(), sea_orm::DbErr> {
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.execute_unprepared(&format!("ANALYZE {}", tables.join(", "))).await?;
    }
    Ok(())
}

pub fn stmt(backend: sea_orm::DbBackend, sql: &str, values: Vec<sea_orm::Value>) -> sea_orm::Statement {
    let sql = if backend == sea_orm::DbBackend::Sqlite { sql.replace('$', "?") } else { sql.to_owned() };
    sea_orm::Statement::from_sql_and_values(backend, sql, values)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::response::IntoResponse;
    use sea_orm::{ConnAcquireErr, RuntimeErr, sqlx};

    use super::*;
    use crate::http::AppError;

    #[test]
    fn an_unreachable_database_is_a_503_and_a_bad_statement_a_500() {
        let io = || sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        let unreachable = [
            DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
            DbErr::Conn(RuntimeErr::SqlxError(Arc::new(io()))),
            DbErr::Query(RuntimeErr::SqlxError(Arc::new(io()))),
            DbErr::Exec(RuntimeErr::SqlxError(Arc::new(sqlx::Error::PoolClosed))),
        ];
        for e in unreachable {
            assert!(is_unreachable(&e), "{e}");
            assert_eq!(AppError::from(e).into_response().status(), 503);
        }
        let wrong = [
            DbErr::Custom("constraint".into()),
            DbErr::Query(RuntimeErr::SqlxError(Arc::new(sqlx::Error::RowNotFound))),
            DbErr::RecordNotInserted,
        ];
        for e in wrong {
            assert!(!is_unreachable(&e), "{e}");
            assert_eq!(AppError::from(e).into_response().status(), 500);
        }
        // Through anyhow, as jobs and some handlers carry it.
        let wrapped =
            anyhow::Error::from(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)).context("loading the page");
        assert_eq!(AppError::Internal(wrapped).into_response().status(), 503);
        // Inside the platform's own errors (a job queued, a file recorded) too.
        let queued = crate::jobs::JobsError::Db(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout));
        assert_eq!(AppError::Internal(queued.into()).into_response().status(), 503);
        let filed = crate::files::FileError::Db(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout));
        assert_eq!(AppError::Internal(filed.into()).into_response().status(), 503);
    }
}
