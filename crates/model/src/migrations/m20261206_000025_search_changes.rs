//! `search_changes`: which contracts changed at which version of the `contracts` data, so each
//! web process's in-memory search index (`scout::search::index`) catches up by reading only what
//! changed since the version it holds.
//!
//! Invariant: every change that can alter a search's answer has a row here, with a version
//! raised by the same transaction: `scout::search::reindex` and `forget` write one for text (an
//! FTS5 table cannot have triggers), and triggers on `contracts` write one for the columns the
//! filters read and for deletions, whoever makes them. The row's version is raised *before* it is
//! read, so it is this transaction's own and held by its row lock until commit: a reader that
//! sees version V has seen every row at or below V committed.
// async_trait needs the trait's exact signature, whose `SchemaManager` lifetime is elided.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The columns of `contracts` the search filters read.
const FILTERED: &str = "is_visible, is_archived, expiration_date, contract_type_id, department_id, financial_id";

const LOG: &str = "UPDATE data_versions SET version = version + 1 WHERE name = 'contracts'; \
     INSERT INTO search_changes (version, contract_id) SELECT version, {id} FROM data_versions WHERE name = 'contracts'";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("CREATE TABLE search_changes (version BIGINT NOT NULL, contract_id INTEGER NOT NULL)")
            .await?;
        db.execute_unprepared("CREATE INDEX idx_search_changes_version ON search_changes (version)").await?;
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                let body = LOG.replace("{id}", "CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END");
                db.execute_unprepared(&format!(
                    "CREATE FUNCTION search_contract_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$ \
                     BEGIN {body}; RETURN NULL; END $fn$"
                ))
                .await?;
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER search_contract_changed AFTER UPDATE OF {FILTERED} OR DELETE ON contracts \
                     FOR EACH ROW EXECUTE FUNCTION search_contract_changed()"
                ))
                .await?;
            }
            _ => {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER search_contract_changed AFTER UPDATE OF {FILTERED} ON contracts \
                     FOR EACH ROW BEGIN {}; END",
                    LOG.replace("{id}", "NEW.id")
                ))
                .await?;
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER search_contract_deleted AFTER DELETE ON contracts FOR EACH ROW BEGIN {}; END",
                    LOG.replace("{id}", "OLD.id")
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared("DROP TRIGGER IF EXISTS search_contract_changed ON contracts").await?;
                db.execute_unprepared("DROP FUNCTION IF EXISTS search_contract_changed()").await?;
            }
            _ => {
                db.execute_unprepared("DROP TRIGGER IF EXISTS search_contract_changed").await?;
                db.execute_unprepared("DROP TRIGGER IF EXISTS search_contract_deleted").await?;
            }
        }
        db.execute_unprepared("DROP TABLE search_changes").await?;
        Ok(())
    }
}
