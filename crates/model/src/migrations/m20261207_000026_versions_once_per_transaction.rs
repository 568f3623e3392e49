//! On PostgreSQL, the triggers that raise a `data_versions` row (migrations 21 and 25) raise it
//! once per transaction, as `platform::freshness::bump` does (its `ONCE_PER_TRANSACTION` says
//! why: raising one row per statement made a transaction of many changes quadratic). SQLite keeps
//! one row version, so its triggers stay as they are.
// async_trait needs the trait's exact signature, whose `SchemaManager` lifetime is elided.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `platform::freshness::ONCE_PER_TRANSACTION` (model does not depend on platform).
const ONCE: &str = "xmin <> pg_current_xact_id()::xid";

/// The trigger functions of migration 21: (function, version it raises).
const VERSION_FUNCTIONS: [(&str, &str); 2] =
    [("people_version_bump", "people"), ("conductor_version_bump", "conductor")];

/// Migration 25's function: the raise, then the change logged at the (raised) version.
fn search_function(guard: &str) -> String {
    format!(
        "CREATE OR REPLACE FUNCTION search_contract_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN \
         UPDATE data_versions SET version = version + 1 WHERE name = 'contracts'{guard}; \
         INSERT INTO search_changes (version, contract_id) SELECT version, \
         CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END FROM data_versions WHERE name = 'contracts'; \
         RETURN NULL; END $fn$"
    )
}

fn version_function(function: &str, version: &str, guard: &str) -> String {
    format!(
        "CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN \
         UPDATE data_versions SET version = version + 1 WHERE name = '{version}'{guard}; RETURN NULL; END $fn$"
    )
}

async fn replace(manager: &SchemaManager<'_>, guard: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let db = manager.get_connection();
    for (function, version) in VERSION_FUNCTIONS {
        db.execute_unprepared(&version_function(function, version, guard)).await?;
    }
    db.execute_unprepared(&search_function(guard)).await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        replace(manager, &format!(" AND {ONCE}")).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        replace(manager, "").await
    }
}
