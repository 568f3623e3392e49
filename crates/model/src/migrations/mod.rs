//! The migration list, and the two operations the binary needs: apply them, and ask whether any
//! are pending.

mod audit;
mod m20261122_000001_core;
mod m20261122_000002_jobs;
mod m20261122_000003_files;
mod m20261122_000004_sessions;
mod m20261122_000005_accounts;
mod m20261122_000006_scout;
mod m20261122_000007_search;
mod m20261122_000008_contract_notices;
mod m20261122_000009_imports;
mod m20261122_000010_data_versions;
mod m20261122_000011_beacon;
mod m20261123_000012_sent_mail_and_digests;
mod m20261124_000013_addresses_and_sign_in;
mod m20261205_000014_feedback;
mod m20261205_000015_audit_actions;
mod m20261206_000016_events;
mod m20261206_000017_conductor;
mod m20261206_000018_work_item_files;
mod m20261206_000019_conductor_set_aside;
mod m20261206_000020_work_item_index_keys;
mod m20261206_000021_versions_by_trigger;
mod m20261206_000022_lead_time_reminders;
mod m20261206_000023_conductor_digests;
mod m20261206_000024_conductor_calendars;
mod m20261206_000025_search_changes;
mod m20261207_000026_versions_once_per_transaction;
mod m20261207_000027_api_clients;
mod m20261207_000028_audit_via;

use std::time::Duration;

use sea_orm::{DatabaseConnection, DbErr};
use sea_orm_migration::prelude::*;

pub use audit::audited;
pub use m20261122_000001_core::ROLES;
pub use m20261122_000005_accounts::{ACCEPTED_DOMAIN, DEPARTMENTS};
pub use m20261122_000006_scout::CONTRACT_TYPES;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_core::Migration),
            Box::new(m20261122_000002_jobs::Migration),
            Box::new(m20261122_000003_files::Migration),
            Box::new(m20261122_000004_sessions::Migration),
            Box::new(m20261122_000005_accounts::Migration),
            Box::new(m20261122_000006_scout::Migration),
            Box::new(m20261122_000007_search::Migration),
            Box::new(m20261122_000008_contract_notices::Migration),
            Box::new(m20261122_000009_imports::Migration),
            Box::new(m20261122_000010_data_versions::Migration),
            Box::new(m20261122_000011_beacon::Migration),
            Box::new(m20261123_000012_sent_mail_and_digests::Migration),
            Box::new(m20261124_000013_addresses_and_sign_in::Migration),
            Box::new(m20261205_000014_feedback::Migration),
            Box::new(m20261205_000015_audit_actions::Migration),
            Box::new(m20261206_000016_events::Migration),
            Box::new(m20261206_000017_conductor::Migration),
            Box::new(m20261206_000018_work_item_files::Migration),
            Box::new(m20261206_000019_conductor_set_aside::Migration),
            Box::new(m20261206_000020_work_item_index_keys::Migration),
            Box::new(m20261206_000021_versions_by_trigger::Migration),
            Box::new(m20261206_000022_lead_time_reminders::Migration),
            Box::new(m20261206_000023_conductor_digests::Migration),
            Box::new(m20261206_000024_conductor_calendars::Migration),
            Box::new(m20261206_000025_search_changes::Migration),
            Box::new(m20261207_000026_versions_once_per_transaction::Migration),
            Box::new(m20261207_000027_api_clients::Migration),
            Box::new(m20261207_000028_audit_via::Migration),
        ]
    }
}

/// Applies every pending migration. Idempotent.
///
/// Two processes may start at once (say `procure web` and `procure worker` on one SQLite file).
/// On PostgreSQL each migration runs in its own transaction, so the loser of a race fails
/// without leaving a half-applied step. On SQLite sea-orm-migration runs them without one: the
/// loser fails at a statement the winner already ran ("already exists"). Either way the loser
/// retries and finds nothing left to do.
pub async fn migrate(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    let mut attempt = 0;
    loop {
        let pending: Vec<String> =
            Migrator::get_pending_migrations(db).await?.iter().map(|m| m.name().to_owned()).collect();
        if pending.is_empty() {
            // Another process may just have migrated under this pool's connections.
            refresh_sqlite_schema(db).await?;
            return Ok(pending);
        }
        match Migrator::up(db, None).await {
            Ok(()) => {
                refresh_sqlite_schema(db).await?;
                return Ok(pending);
            }
            Err(e) if attempt < 5 => {
                attempt += 1;
                tracing::warn!(attempt, error = %e, "migration failed; retrying");
                tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// SQLite keeps the schema per connection and rereads it only when a statement runs: a pooled
/// connection idle through the migrations still prepares against the old one, and a `RETURNING
/// *` or `SELECT *` prepared there yields rows without the columns just added ("missing value
/// for column"). So every idle connection runs one statement now, which makes it reload.
async fn refresh_sqlite_schema(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() != sea_orm::DatabaseBackend::Sqlite {
        return Ok(());
    }
    let pool = db.get_sqlite_connection_pool();
    // Held until all are done, so each idle connection is taken (and refreshed) once.
    let mut refreshed = Vec::new();
    while let Some(mut conn) = pool.try_acquire() {
        sea_orm::sqlx::query("SELECT count(*) FROM sqlite_master")
            .execute(&mut *conn)
            .await
            .map_err(|e| DbErr::Custom(format!("refreshing a connection's schema: {e}")))?;
        refreshed.push(conn);
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationState {
    pub applied: Vec<String>,
    pub pending: Vec<String>,
}

/// Which migrations are applied and which pending, without creating anything.
pub async fn migration_state(db: &DatabaseConnection) -> Result<MigrationState, DbErr> {
    let all = Migrator::get_migration_with_status_read_only(db).await?;
    let mut state = MigrationState { applied: Vec::new(), pending: Vec::new() };
    for m in all {
        let name = m.name().to_owned();
        match m.status() {
            sea_orm_migration::MigrationStatus::Applied => state.applied.push(name),
            _ => state.pending.push(name),
        }
    }
    Ok(state)
}
