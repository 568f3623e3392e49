//! Caching Scout's public answers without ever showing old data (see [`platform::freshness`]).
//!
//! Every change to contracts, or to anything shown with them (companies, contacts, line items,
//! properties, types, departments, followers), raises the `contracts` row of `data_versions` in
//! the same transaction.

use sea_orm::{ConnectionTrait, DbErr};

pub use platform::freshness::TTL;

/// The current version of the contracts data.
pub async fn version(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    platform::freshness::version(db, "contracts").await
}

/// Marks the contracts data as changed. Call it in the transaction that changes it.
pub async fn bump(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    platform::freshness::bump(db, "contracts").await
}

/// The cache key for `what` at `version`.
pub fn key(version: i64, what: &str) -> String {
    platform::freshness::key("scout", version, what)
}
