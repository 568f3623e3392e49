//! `conductor_calendars`: each conductor-level user's calendar link's epoch. The link to a
//! user's renewal calendar is signed with the epoch (`conductor::calendar`); raising it
//! ("Get a new link") makes every earlier link stop working. No row: epoch 0.
// async_trait needs the trait's exact signature, whose `SchemaManager` lifetime is elided.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ConductorCalendars {
    Table,
    UserId,
    Epoch,
    RotatedAt,
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
                    .table(ConductorCalendars::Table)
                    .col(integer(ConductorCalendars::UserId).primary_key())
                    .col(integer(ConductorCalendars::Epoch))
                    .col(timestamp_with_time_zone(ConductorCalendars::RotatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ConductorCalendars::Table, ConductorCalendars::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ConductorCalendars::Table).to_owned()).await
    }
}
