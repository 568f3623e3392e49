//! Stored files: one row per object in the file store, so a page can name, size and type a
//! file without asking the store, and deleting the row is how a file is deleted (see
//! `platform::files`).
// async_trait needs the trait's exact signature, whose `SchemaManager` lifetime is elided.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::audited;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StoredFiles {
    Table,
    Id,
    Key,
    Filename,
    ContentType,
    Size,
    Sha256,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(audited(
                Table::create()
                    .table(StoredFiles::Table)
                    .col(big_pk_auto(StoredFiles::Id))
                    .col(string_uniq(StoredFiles::Key))
                    .col(string(StoredFiles::Filename))
                    .col(string(StoredFiles::ContentType))
                    .col(big_integer(StoredFiles::Size))
                    .col(string_len(StoredFiles::Sha256, 64)),
                "stored_files",
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(StoredFiles::Table).to_owned()).await
    }
}
