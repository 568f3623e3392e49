//! The database connection: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL, from one
//! [`DatabaseConfig`].

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};

use crate::config::{DatabaseBackend, DatabaseConfig};

/// How long a writer waits for SQLite's lock before giving up (Vaultwarden uses the same).
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum DbConnectError {
    #[error("cannot create the database folder {path}: {source}")]
    Folder { path: String, source: std::io::Error },
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
pub async fn begin_write(db: &DatabaseConnection) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    let options =
        TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate), ..Default::default() };
    db.begin_with_options(options).await
}

/// A statement written with `$n` placeholders, for either backend (SQLite reads them as `?n`).
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
