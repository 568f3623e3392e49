//! Caching public answers without ever showing old data.
//!
//! Each kind of public data has a row in `data_versions` (`contracts` for Scout,
//! `opportunities` for Beacon), raised in the same transaction as every change to that data. A
//! cached page or API body is keyed by the version read at the start of the request, so the
//! moment a change commits, every request looks under a new key. What is made after reading
//! version `v` can only be as new or newer than `v`, never older.
//!
//! The cost is one indexed read per request, and that writers of one kind of data take turns on
//! its row. On SQLite that read is made on the request's own thread ([`crate::db::inline`]),
//! not through the pool's. While a cached answer is made, reads of its data's version inside the
//! making answer the version it will be kept under, without reading again (each read is a round
//! trip, and a search page made four).

tokio::task_local! {
    /// The data and version a cached answer is being made at (see [`cached`]).
    static MAKING_AT: (String, i64);
}

use std::time::Duration;

use sea_orm::{ConnectionTrait, DbErr, Statement};

use crate::db::stmt;
use crate::http::AppState;

/// How long a cached answer is kept (unless the data changes first, which makes it unreachable).
pub const TTL: Duration = Duration::from_secs(600);

/// The current version of data `name` as `db` (a connection or a transaction) sees it; inside
/// the making of an answer [`cached`] under that data, the version it is made at (read once,
/// when the making began).
pub async fn version(db: &impl ConnectionTrait, name: &str) -> Result<i64, DbErr> {
    if let Some(at) = making_at(name) {
        return Ok(at);
    }
    let sql = "SELECT version FROM data_versions WHERE name = $1";
    let row = db.query_one_raw(stmt(db.get_database_backend(), sql, vec![name.into()])).await?;
    Ok(row.and_then(|r| r.try_get_by_index::<i64>(0).ok()).unwrap_or(0))
}

/// [`version`] of `state`'s database, outside any transaction: the read every request makes. On
/// SQLite it is read on this thread, and through the pool only when that fails.
pub async fn current(state: &AppState, name: &str) -> Result<i64, DbErr> {
    if let Some(at) = making_at(name) {
        return Ok(at);
    }
    if let Some(path) = state.config.database.sqlite_path() {
        let sql = "SELECT version FROM data_versions WHERE name = ?1";
        if let Some(read) = crate::db::inline::row(path, sql, [name], |r| r.get::<_, i64>(0)) {
            return Ok(read.unwrap_or(0));
        }
    }
    version(&state.db, name).await
}

/// The version an answer under data `name` is being made at (see [`cached`]), if it is.
fn making_at(name: &str) -> Option<i64> {
    MAKING_AT.try_with(|(data, at)| (data == name).then_some(*at)).ok().flatten()
}

/// On PostgreSQL, the condition under which a raise of a version happens: once per transaction.
/// Each raise of one row leaves a row version that no one can prune before the commit, and the
/// next raise in the same transaction steps over all of them, so raising it once per record was
/// quadratic (20,000 raises in one transaction took 8 s, against 63 ms raised once; the demo's
/// 100,000 contracts did not finish in 25 minutes). Once is enough: after the commit the version
/// differs from every version read before it, which is all a version promises. A raise inside a
/// savepoint carries the subtransaction's id, so a later raise in its parent raises again: never
/// fewer raises than needed. The database's triggers use the same condition (migration 26).
pub const ONCE_PER_TRANSACTION: &str = "xmin <> pg_current_xact_id()::xid";

/// `UPDATE data_versions …` raising the rows that `filter` picks (SQL, may be empty), once per
/// transaction on PostgreSQL.
fn raise(backend: sea_orm::DbBackend, filter: &str) -> String {
    let mut conditions: Vec<&str> = Vec::new();
    if !filter.is_empty() {
        conditions.push(filter);
    }
    if backend == sea_orm::DbBackend::Postgres {
        conditions.push(ONCE_PER_TRANSACTION);
    }
    let mut sql = String::from("UPDATE data_versions SET version = version + 1");
    if !conditions.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conditions.join(" AND "));
    }
    sql
}

/// Marks data `name` as changed. Call it in the transaction that changes it.
pub async fn bump(db: &impl ConnectionTrait, name: &str) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    db.execute_raw(stmt(backend, &raise(backend, "name = $1"), vec![name.into()])).await?;
    Ok(())
}

/// Marks every kind of data as changed: for writers that may touch any of it (the back-office).
pub async fn bump_all(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_string(backend, raise(backend, ""))).await?;
    Ok(())
}

/// The cache key for `what` of data `name` at `version`.
pub fn key(name: &str, version: i64, what: &str) -> String {
    format!("{name}:v{version}:{what}")
}

/// A public answer (a page, an API body) cached under data `name`'s current version. `what`
/// names the answer and every moment it changes at without a write (today, a deadline), e.g.
/// `page:company:7@2026-12-01`. `make`'s `None` (no such answer) is passed on, not cached.
/// Only for answers that are the same for everyone who may get them (anonymous visitors).
pub async fn cached<F, Fut, E>(state: &AppState, name: &str, what: &str, make: F) -> Result<Option<String>, E>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Option<String>, E>>,
    E: From<DbErr>,
{
    let version = current(state, name).await?;
    let making = || MAKING_AT.scope((name.to_owned(), version), make());
    state.cache.get_or_make(&key(name, version, what), TTL, making).await
}

/// A value made from data `name` (a signed-in user, a list of people), cached under the data's
/// current version like [`cached`]: never older than the data. For values made from the
/// database alone, never from who is asking.
pub async fn cached_value<T, F, Fut>(state: &AppState, name: &str, what: &str, make: F) -> Result<Option<T>, DbErr>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, DbErr>>,
{
    let version = current(state, name).await?;
    let key = key(name, version, what);
    if let Some(hit) = state.cache.get(&key).await
        && let Ok(value) = serde_json::from_str(&hit)
    {
        metrics::counter!("cache.hit").increment(1);
        return Ok(Some(value));
    }
    metrics::counter!("cache.miss").increment(1);
    let made = make().await?;
    if let Some(value) = &made
        && let Ok(json) = serde_json::to_string(value)
    {
        state.cache.set(&key, &json, TTL).await;
    }
    Ok(made)
}

/// A value made from data `name`, kept by this process under the data's current version as it
/// is (not serialized): for large values read on every request. Concurrent misses make it
/// once; `bytes` estimates a value's size, which bounds what the process keeps. For values
/// made from the database alone, never from who is asking.
pub async fn shared<T, F, Fut>(
    state: &AppState,
    name: &str,
    what: &str,
    bytes: fn(&T) -> usize,
    make: F,
) -> Result<std::sync::Arc<T>, DbErr>
where
    T: Send + Sync + 'static,
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<T, DbErr>>,
{
    let version = current(state, name).await?;
    let made = async { make().await.map_err(|e| e.to_string()) };
    state.local.get_or_make(&key(name, version, what), bytes, made).await.map_err(DbErr::Custom)
}
