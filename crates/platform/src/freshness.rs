//! Caching public answers without ever showing old data.
//!
//! Each kind of public data has a row in `data_versions` (`contracts` for Scout,
//! `opportunities` for Beacon), raised in the same transaction as every change to that data. A
//! cached page or API body is keyed by the version read at the start of the request, so the
//! moment a change commits, every request looks under a new key. What is made after reading
//! version `v` can only be as new or newer than `v`, never older.
//!
//! The cost is one indexed read per request, and that writers of one kind of data take turns on
//! its row.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DbErr, Statement};

use crate::db::stmt;

/// How long a cached answer is kept (unless the data changes first, which makes it unreachable).
pub const TTL: Duration = Duration::from_secs(600);

/// The current version of data `name`.
pub async fn version(db: &impl ConnectionTrait, name: &str) -> Result<i64, DbErr> {
    let sql = "SELECT version FROM data_versions WHERE name = $1";
    let row = db.query_one_raw(stmt(db.get_database_backend(), sql, vec![name.into()])).await?;
    Ok(row.and_then(|r| r.try_get_by_index::<i64>(0).ok()).unwrap_or(0))
}

/// Marks data `name` as changed. Call it in the transaction that changes it.
pub async fn bump(db: &impl ConnectionTrait, name: &str) -> Result<(), DbErr> {
    let sql = "UPDATE data_versions SET version = version + 1 WHERE name = $1";
    db.execute_raw(stmt(db.get_database_backend(), sql, vec![name.into()])).await?;
    Ok(())
}

/// Marks every kind of data as changed: for writers that may touch any of it (the back-office).
pub async fn bump_all(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_string(db.get_database_backend(), "UPDATE data_versions SET version = version + 1"))
        .await?;
    Ok(())
}

/// The cache key for `what` of data `name` at `version`.
pub fn key(name: &str, version: i64, what: &str) -> String {
    format!("{name}:v{version}:{what}")
}
