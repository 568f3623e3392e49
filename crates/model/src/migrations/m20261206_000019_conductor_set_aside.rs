//! Contracts set aside from Conductor (issue 15): "Remove from Conductor only" on a contract
//! nobody has started work on. The contract stays on Scout; it leaves Conductor's All
//! contracts until someone restores it (the row is deleted then; when and by whom it was set
//! aside is in the audit log).
// async_trait needs the trait's exact signature, whose `SchemaManager` lifetime is elided.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ConductorSetAside {
    Table,
    ContractId,
    CreatedAt,
    CreatedBy,
}

#[derive(DeriveIden)]
enum Contracts {
    Table,
    Id,
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
                    .table(ConductorSetAside::Table)
                    .col(integer(ConductorSetAside::ContractId).primary_key())
                    .col(timestamp_with_time_zone(ConductorSetAside::CreatedAt))
                    .col(integer_null(ConductorSetAside::CreatedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_conductor_set_aside_contract")
                            .from_col(ConductorSetAside::ContractId)
                            .to(Contracts::Table, Contracts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_conductor_set_aside_user")
                            .from_col(ConductorSetAside::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ConductorSetAside::Table).to_owned()).await
    }
}
