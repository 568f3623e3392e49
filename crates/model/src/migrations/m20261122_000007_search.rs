//! The contract search index, kept by the service layer in the same transaction as each edit
//! (the original's materialized view was stale between refreshes).
//!
//! Both backends have a `contract_search` row per contract holding the searchable text by field
//! (company names, description, line items, properties). PostgreSQL adds a weighted `tsvector`
//! (company and description A, line items B, properties D) with a GIN index; SQLite's table is
//! an FTS5 index (rowid = contract id) ranked with per-column bm25 weights. Both stem English
//! words (PostgreSQL's `english` configuration, FTS5's porter tokenizer).
// async_trait needs the trait's exact signature, whose `SchemaManager` lifetime is elided.
#![allow(elided_lifetimes_in_paths)]

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE TABLE contract_search (\
                     contract_id integer PRIMARY KEY REFERENCES contracts (id) ON DELETE CASCADE, \
                     company text NOT NULL DEFAULT '', description text NOT NULL DEFAULT '', \
                     line_items text NOT NULL DEFAULT '', properties text NOT NULL DEFAULT '', \
                     vector tsvector NOT NULL)",
                )
                .await?;
                db.execute_unprepared("CREATE INDEX idx_contract_search_vector ON contract_search USING GIN (vector)")
                    .await?;
            }
            _ => {
                db.execute_unprepared(
                    "CREATE VIRTUAL TABLE contract_search USING fts5(\
                     company, description, line_items, properties, \
                     tokenize = 'porter unicode61 remove_diacritics 2')",
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("DROP TABLE contract_search").await?;
        Ok(())
    }
}
