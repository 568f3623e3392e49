//! Which expiration notices have gone to which follower, so each is sent at most once.
// async_trait needs the trait's exact signature, whose `SchemaManager` lifetime is elided.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::audited;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ContractNotices {
    Table,
    ContractId,
    UserId,
    /// `expiring` (within 30 days) or `expired` (the day it ends).
    Kind,
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
            .create_table(audited(
                Table::create()
                    .table(ContractNotices::Table)
                    .col(integer(ContractNotices::ContractId))
                    .col(integer(ContractNotices::UserId))
                    .col(
                        string(ContractNotices::Kind)
                            .check(Expr::col(ContractNotices::Kind).is_in(["expiring", "expired"])),
                    )
                    .primary_key(
                        Index::create()
                            .col(ContractNotices::ContractId)
                            .col(ContractNotices::UserId)
                            .col(ContractNotices::Kind),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_contract_notices_contract")
                            .from_col(ContractNotices::ContractId)
                            .to(Contracts::Table, Contracts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_contract_notices_user")
                            .from_col(ContractNotices::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    ),
                "contract_notices",
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ContractNotices::Table).to_owned()).await
    }
}
