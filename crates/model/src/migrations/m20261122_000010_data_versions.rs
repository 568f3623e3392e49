//! A version number per kind of public data, raised in the same transaction as every change to
//! it: caches key what they keep by it, so a cached page is never older than the data.
// async_trait needs the trait's exact signature, whose `SchemaManager` lifetime is elided.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DataVersions {
    Table,
    /// What changed: `contracts` (contracts and everything shown with them).
    Name,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DataVersions::Table)
                    .col(string(DataVersions::Name).primary_key())
                    .col(big_integer(DataVersions::Version).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(DataVersions::Table)
                    .columns([DataVersions::Name, DataVersions::Version])
                    .values_panic(["contracts".into(), 0.into()])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(DataVersions::Table).to_owned()).await
    }
}
