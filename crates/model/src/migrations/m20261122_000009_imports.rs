//! Imports started from the admin: the uploaded file, its preview (a dry run), and the run's
//! progress and result.
// async_trait needs the trait's exact signature, whose `SchemaManager` lifetime is elided.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::audited;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Imports {
    Table,
    Id,
    Kind,
    FileName,
    FileId,
    Status,
    RowsDone,
    RowsTotal,
    /// The dry run's report while previewed, the real one when done (JSON).
    Report,
    Error,
}

#[derive(DeriveIden)]
enum StoredFiles {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let states = ["previewed", "queued", "running", "done", "failed"];
        manager
            .create_table(audited(
                Table::create()
                    .table(Imports::Table)
                    .col(pk_auto(Imports::Id))
                    .col(string(Imports::Kind).check(Expr::col(Imports::Kind).is_in([
                        "contracts",
                        "state",
                        "costars",
                        "nigp",
                    ])))
                    .col(string(Imports::FileName))
                    .col(big_integer_null(Imports::FileId))
                    .col(string(Imports::Status).check(Expr::col(Imports::Status).is_in(states)))
                    .col(big_integer(Imports::RowsDone).default(0))
                    .col(big_integer(Imports::RowsTotal).default(0))
                    .col(text_null(Imports::Report))
                    .col(text_null(Imports::Error))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_imports_file")
                            .from_col(Imports::FileId)
                            .to(StoredFiles::Table, StoredFiles::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    ),
                "imports",
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Imports::Table).to_owned()).await
    }
}
