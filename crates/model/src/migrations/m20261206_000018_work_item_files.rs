//! Files kept with a Conductor work item: the attachments of its update emails (issue 15).
//!
//! A row links a `stored_files` record to the work item and, when the file was sent with an
//! update email, to that activity entry. The file goes with the work item (cascade); deleting
//! a stored file is refused while a work item keeps it (restrict), so the log never names an
//! attachment that cannot be downloaded.
// async_trait needs the trait's exact signature, whose `SchemaManager` lifetime is elided.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WorkItemFiles {
    Table,
    Id,
    WorkItemId,
    /// The update email it was sent with, if any.
    ActivityId,
    FileId,
    CreatedAt,
    CreatedBy,
}

#[derive(DeriveIden)]
enum WorkItems {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum WorkItemActivity {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum StoredFiles {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

fn fk(
    from: WorkItemFiles,
    table: impl IntoIden,
    to: impl IntoIden,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    let name = format!("fk_work_item_files_{}", from.to_string());
    ForeignKey::create().name(name).from_col(from).to(table, to).on_delete(on_delete).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WorkItemFiles::Table)
                    .col(pk_auto(WorkItemFiles::Id))
                    .col(integer(WorkItemFiles::WorkItemId))
                    .col(big_integer_null(WorkItemFiles::ActivityId))
                    .col(big_integer_uniq(WorkItemFiles::FileId))
                    .col(timestamp_with_time_zone(WorkItemFiles::CreatedAt))
                    .col(integer_null(WorkItemFiles::CreatedBy))
                    .foreign_key(&mut fk(
                        WorkItemFiles::WorkItemId,
                        WorkItems::Table,
                        WorkItems::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        WorkItemFiles::ActivityId,
                        WorkItemActivity::Table,
                        WorkItemActivity::Id,
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut fk(
                        WorkItemFiles::FileId,
                        StoredFiles::Table,
                        StoredFiles::Id,
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(WorkItemFiles::CreatedBy, Users::Table, Users::Id, ForeignKeyAction::SetNull))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_work_item_files_item")
                    .table(WorkItemFiles::Table)
                    .col(WorkItemFiles::WorkItemId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(WorkItemFiles::Table).to_owned()).await
    }
}
