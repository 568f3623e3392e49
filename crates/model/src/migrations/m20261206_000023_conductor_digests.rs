//! `conductor_digests`: one row per weekly digest sent, by week (its Monday) and recipient, so
//! each assignee gets one a week however often the job runs (`conductor::digest`).
// async_trait needs the trait's exact signature, whose `SchemaManager` lifetime is elided.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ConductorDigests {
    Table,
    Week,
    UserId,
    SentAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ConductorDigests::Table)
                    .col(date(ConductorDigests::Week))
                    .col(integer(ConductorDigests::UserId))
                    .col(timestamp_with_time_zone(ConductorDigests::SentAt))
                    .primary_key(Index::create().col(ConductorDigests::Week).col(ConductorDigests::UserId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ConductorDigests::Table, ConductorDigests::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ConductorDigests::Table).to_owned()).await
    }
}
