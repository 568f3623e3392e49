//! Caching Scout's public answers without ever showing old data.
//!
//! Every change to contracts, or to anything shown with them (companies, contacts, line items,
//! properties, types, departments, followers), raises the `contracts` row of `data_versions` in
//! the same transaction. A cached page or API body is keyed by the version read at the start of
//! the request, so the moment a change commits, every request looks under a new key. What is
//! made after reading version `v` can only be as new or newer than `v`, never older.
//!
//! The cost is one indexed read per request, and that writers of contracts take turns on one
//! row (they mostly do already: one import or admin save at a time).

use std::time::Duration;

use sea_orm::{ConnectionTrait, DbErr, Statement};

/// How long a cached answer is kept (unless the data changes first, which makes it unreachable).
pub const TTL: Duration = Duration::from_secs(600);

/// The current version of the contracts data.
pub async fn version(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM data_versions WHERE name = 'contracts'",
        ))
        .await?;
    Ok(row.and_then(|r| r.try_get_by_index::<i64>(0).ok()).unwrap_or(0))
}

/// Marks the contracts data as changed. Call it in the transaction that changes it.
pub async fn bump(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let sql = "UPDATE data_versions SET version = version + 1 WHERE name = 'contracts'";
    db.execute_raw(Statement::from_string(db.get_database_backend(), sql)).await?;
    Ok(())
}

/// The cache key for `what` at `version`.
pub fn key(version: i64, what: &str) -> String {
    format!("scout:v{version}:{what}")
}
