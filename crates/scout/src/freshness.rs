//! Caching Scout's public answers without ever showing old data (see [`platform::freshness`]).
//!
//! Every change to contracts, or to anything shown with them (companies, contacts, line items,
//! properties, types, departments, followers), raises the `contracts` row of `data_versions` in
//! the same transaction.

use sea_orm::{ConnectionTrait, DbErr};

/// The `data_versions` row of the contracts data.
pub const DATA: &str = "contracts";

/// Marks the contracts data as changed. Call it in the transaction that changes it.
pub async fn bump(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    platform::freshness::bump(db, DATA).await
}
